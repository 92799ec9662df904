#!/usr/bin/env bash
# Stage 6: sign what publish tagged: the index and every platform manifest (cosign --recursive).
# With COSIGN_KEY (make's default: ~/.config/cosign/pipeline.key) a local key pair, no
# transparency log; without it, keyless with the CI job's identity. Skips what verifies already.
set -euo pipefail
: "${ARTIFACTS:=artifacts}" "${PYTHON:=python3}"
# shellcheck source=scripts/lib/cosign.sh
. "$(dirname "$0")/lib/cosign.sh"
ref=$("$PYTHON" -c 'import json, sys; d = json.load(open(sys.argv[1])); print(d["image"] + "@" + d["digest"])' \
  "$ARTIFACTS/published.json")
cosign_setup "$ref"
if [ -n "${COSIGN_KEY:-}" ] && "$(dirname "$0")/verify.sh" "$ref" >/dev/null 2>&1; then
  echo "sign: $ref and its platform images are signed already"
  exit 0
fi
flags=(--yes --recursive)
[ -z "${COSIGN_KEY:-}" ] || flags+=(--key "$COSIGN_KEY" --use-signing-config=false --tlog-upload=false)
cosign sign "${flags[@]}" "${cosign_flags[@]}" "$ref" >"$ARTIFACTS/sign.log" 2>&1 \
  || { tail -n 5 "$ARTIFACTS/sign.log" >&2; echo "sign: cosign could not sign $ref (log: $ARTIFACTS/sign.log)" >&2; exit 1; }
echo "signed $ref and its platform images"
