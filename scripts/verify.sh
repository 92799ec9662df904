#!/usr/bin/env bash
# Checks that REF (repo:tag or repo@digest) and every platform image in it carry a valid
# signature from COSIGN_KEY's public key: a re-pushed tag points at an unsigned digest and fails.
#   scripts/verify.sh REF        (make verify REF=...)
set -euo pipefail
: "${PYTHON:=python3}" "${COSIGN_KEY:?set COSIGN_KEY to the signing key (make verify sets it)}"
ref=${1:?usage: verify.sh REGISTRY/REPOSITORY:TAG or @DIGEST}
# shellcheck source=scripts/lib/cosign.sh
. "$(dirname "$0")/lib/cosign.sh"
cosign_setup "$ref"
[ -f "${COSIGN_KEY%.key}.pub" ] || { echo "verify: no public key ${COSIGN_KEY%.key}.pub: set COSIGN_KEY" >&2; exit 1; }
repo=${ref%@*}
[ "$repo" != "$ref" ] || repo=${ref%:*}
mapfile -t digests < <("$PYTHON" -m pipeline digests "$ref")
for digest in "${digests[@]}"; do
  cosign verify --key "${COSIGN_KEY%.key}.pub" --insecure-ignore-tlog "${cosign_flags[@]}" \
    "$repo@$digest" >/dev/null 2>"${TMPDIR:-/tmp}/verify.$$" \
    || { tail -n 1 "${TMPDIR:-/tmp}/verify.$$" >&2; rm -f "${TMPDIR:-/tmp}/verify.$$"; echo "verify: $repo@$digest is not signed by ${COSIGN_KEY%.key}.pub" >&2; exit 1; }
done
rm -f "${TMPDIR:-/tmp}/verify.$$"
echo "verified: $ref (${#digests[@]} manifest(s)) signed by ${COSIGN_KEY%.key}.pub"
