#!/usr/bin/env bash
# Checks that REF (repo:tag or repo@digest) and every platform image in it are signed with
# COSIGN_KEY's public key or, with COSIGN_IDENTITY (a regular expression) instead, keyless by
# that GitHub workflow identity; prints each platform's verified SBOM and provenance. A tag
# re-pushed with other content points at an unsigned digest and fails. QUIET=1: only the verdict.
#   scripts/verify.sh REF        (make verify REF=...)
set -euo pipefail
: "${PYTHON:=python3}"
ref=${1:?usage: verify.sh REGISTRY/REPOSITORY:TAG or @DIGEST}
# shellcheck source=scripts/lib/cosign.sh
. "$(dirname "$0")/lib/cosign.sh"
cosign_setup "$ref"
repo=${ref%@*}
[ "$repo" != "$ref" ] || repo=${ref%:*}
if [ -n "${COSIGN_KEY:-}" ]; then
  key=${COSIGN_KEY%.key}.pub
  [ -f "$key" ] || { echo "verify: no public key $key: set COSIGN_KEY" >&2; exit 1; }
  flags=(--key "$key" --insecure-ignore-tlog)
else
  key="${COSIGN_IDENTITY:?set COSIGN_KEY to the signing key, or COSIGN_IDENTITY to the keyless signer}"
  flags=(--certificate-identity-regexp "$COSIGN_IDENTITY"
    --certificate-oidc-issuer "${COSIGN_ISSUER:-https://token.actions.githubusercontent.com}")
fi
flags+=("${cosign_flags[@]}")
err=$(mktemp)
trap 'rm -f "$err"' EXIT
fail() { tail -n 1 "$err" >&2; echo "verify: $*" >&2; exit 1; }

named=$("$PYTHON" -m pipeline digests "$ref") || exit 1
count=0
while read -r digest platform; do
  cosign verify "${flags[@]}" "$repo@$digest" >/dev/null 2>"$err" \
    || fail "$repo@$digest is not signed by $key"
  count=$((count + 1))
  echo "$platform $digest: signed"
  [ "$platform" != index ] || continue
  for type in cyclonedx slsaprovenance; do
    out=$(cosign verify-attestation "${flags[@]}" --type "$type" "$repo@$digest" 2>"$err") \
      || fail "$repo@$digest has no $type attestation signed by $key"
    [ -n "${QUIET:-}" ] || "$PYTHON" -m pipeline attestations <<<"$out" | sort -u | sed 's/^/    /'
  done
done <<<"$named"
echo "verified: $ref ($count manifest(s)) signed by $key"
