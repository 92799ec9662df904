# shellcheck shell=bash
# cosign's settings for sign.sh and verify.sh: a key pair (COSIGN_KEY, made on first use outside
# the repository) or, with COSIGN_KEY empty, keyless signing with the CI job's OIDC identity.
cosign_flags=()
cosign_setup() {  # cosign_setup REF
  local registry=${1%%/*}
  if "${PYTHON:-python3}" -m pipeline ping --plain-http --registry "$registry"; then
    cosign_flags+=(--allow-http-registry)
  fi
  if [ -n "${COSIGN_KEY:-}" ]; then
    export COSIGN_PASSWORD=${COSIGN_PASSWORD-}
    if [ ! -f "$COSIGN_KEY" ]; then
      mkdir -p "$(dirname "$COSIGN_KEY")"
      cosign generate-key-pair --output-key-prefix "${COSIGN_KEY%.key}" >/dev/null 2>&1
      chmod 600 "$COSIGN_KEY"
      echo "sign: made a key pair ${COSIGN_KEY%.key}.{key,pub} (empty password; set COSIGN_PASSWORD for your own)" >&2
    fi
  fi
}
