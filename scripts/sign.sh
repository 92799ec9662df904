#!/usr/bin/env bash
# Stage 6: sign what publish tagged, the index and every platform manifest (cosign --recursive),
# and attest each platform manifest with its SBOM and build provenance from $ARTIFACTS. With
# COSIGN_KEY (make's default: ~/.config/cosign/pipeline.key) a key pair and no transparency log;
# without it, keyless with the CI job's identity. What verifies already is left alone, so a
# re-run signs nothing twice.
set -euo pipefail
: "${ARTIFACTS:=artifacts}" "${PYTHON:=python3}"
here=$(dirname "$0")
# shellcheck source=scripts/lib/cosign.sh
. "$here/lib/cosign.sh"
published=$ARTIFACTS/published.json
[ -f "$published" ] || { echo "sign: nothing published to sign ($published is missing): run make publish" >&2; exit 1; }
read -r image digest < <("$PYTHON" -c 'import json, sys; d = json.load(open(sys.argv[1])); print(d["image"], d["digest"])' "$published")
ref=$image@$digest
cosign_setup "$ref"
[ -n "${COSIGN_KEY:-}" ] || : "${GITHUB_REPOSITORY:?keyless signing runs in GitHub Actions; set COSIGN_KEY elsewhere}"
if [ -n "${COSIGN_KEY:-}" ] && [ ! -f "$COSIGN_KEY" ]; then
  [ ! -f "${COSIGN_KEY%.key}.pub" ] || { echo "sign: ${COSIGN_KEY%.key}.pub has no private key $COSIGN_KEY beside it: sign where the key is" >&2; exit 1; }
  mkdir -p "$(dirname "$COSIGN_KEY")"
  cosign generate-key-pair --output-key-prefix "${COSIGN_KEY%.key}" >/dev/null 2>&1
  chmod 600 "$COSIGN_KEY"
  echo "sign: made a key pair ${COSIGN_KEY%.key}.{key,pub} (empty password; set COSIGN_PASSWORD for your own)" >&2
fi
if QUIET=1 "$here/verify.sh" "$ref" >/dev/null 2>&1; then
  echo "sign: $ref, its platform images and their attestations verify already"
  exit 0
fi
flags=(--yes)
[ -z "${COSIGN_KEY:-}" ] || flags+=(--key "$COSIGN_KEY" --use-signing-config=false --tlog-upload=false)
log=$ARTIFACTS/sign.log
: >"$log"
run() { "$@" >>"$log" 2>&1 || { tail -n 5 "$log" >&2; echo "sign: ${*:1:2} failed for ${*: -1} (log: $log)" >&2; exit 1; }; }

run cosign sign "${flags[@]}" "${cosign_flags[@]}" --recursive "$ref"
while read -r manifest platform; do
  [ "$platform" != index ] || continue
  arch=${platform#*/}
  for kind in "cyclonedx sbom-$arch.cdx.json" "slsaprovenance provenance-$arch.json"; do
    read -r type file <<<"$kind"
    [ -f "$ARTIFACTS/$file" ] || { echo "sign: $ARTIFACTS/$file is missing: run make scan (SBOM) or make build (provenance)" >&2; exit 1; }
    run cosign attest "${flags[@]}" "${cosign_flags[@]}" --type "$type" --predicate "$ARTIFACTS/$file" "$image@$manifest"
  done
done < <("$PYTHON" -m pipeline digests "$ref")
echo "signed $ref and its platform images; attested each with its SBOM and provenance"
