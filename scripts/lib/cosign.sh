# shellcheck shell=bash
# cosign's settings for sign.sh and verify.sh: a key pair (COSIGN_KEY; sign.sh makes it on first
# use, outside the repository; verify.sh needs only its .pub) or, with COSIGN_KEY empty, keyless
# signing with the CI job's OIDC identity.
cosign_flags=()
cosign_setup() {  # cosign_setup REF
  local registry=${1%%/*}
  # Keyless in GitHub Actions, the signer is this repository's workflows on GitHub's OIDC issuer.
  if [ -z "${COSIGN_KEY:-}" ] && [ -z "${COSIGN_IDENTITY:-}" ] && [ -n "${GITHUB_REPOSITORY:-}" ]; then
    export COSIGN_IDENTITY="^${GITHUB_SERVER_URL:-https://github.com}/$GITHUB_REPOSITORY/"
  fi
  if "${PYTHON:-python3}" -m pipeline ping --plain-http --registry "$registry"; then
    cosign_flags+=(--allow-http-registry)
  fi
  [ -z "${COSIGN_KEY:-}" ] || export COSIGN_PASSWORD=${COSIGN_PASSWORD-}
}
