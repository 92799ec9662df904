#!/usr/bin/env bash
# CI's last push step: one manifest list from the per-platform digests that were verified as the
# scanned images. A release version that already exists at another digest is refused before any
# tag is written; then every tag docker/metadata-action computed points at the list.
# Needs: IMAGE, DIGESTS (a folder of files named by digest), DOCKER_METADATA_OUTPUT_JSON, GITHUB_REF.
set -euo pipefail
: "${DOCKER:=docker}" "${IMAGE:?}" "${DIGESTS:?}" "${DOCKER_METADATA_OUTPUT_JSON:?}" "${GITHUB_REF:?}"
sources=()
for file in "$DIGESTS"/*; do sources+=("$IMAGE@sha256:${file##*/}"); done

# metadata-action and `python -m pipeline tags` must agree (their test table says they do).
mapfile -t tags < <(python3 -c 'import json, os
for tag in json.loads(os.environ["DOCKER_METADATA_OUTPUT_JSON"])["tags"]: print(tag)')
eval "$(python3 -m pipeline tags --ref "$GITHUB_REF" --sha "$GITHUB_SHA")"
read -ra ours <<<"${TAGS:?}"
if [ "$(printf '%s\n' "${tags[@]}" | sort)" != "$(printf "$IMAGE:%s\n" "${ours[@]}" | sort)" ]; then
  echo "error: metadata-action's tags (${tags[*]}) differ from the pipeline's (${ours[*]})" >&2
  exit 1
fi

# The list's digest before it exists: --dry-run prints the bytes it would push, plus a newline.
candidate=sha256:$("$DOCKER" buildx imagetools create --dry-run "${sources[@]}" | head -c -1 \
  | sha256sum | cut -d' ' -f1)
for tag in $IMMUTABLE; do scripts/guard-release.sh "$IMAGE" "$tag" "$candidate"; done

args=()
for tag in "${tags[@]}"; do args+=(--tag "$tag"); done
"$DOCKER" buildx imagetools create "${args[@]}" "${sources[@]}"
digest=$("$DOCKER" buildx imagetools inspect --format '{{json .Manifest}}' "${tags[0]}" \
  | python3 -c 'import json, sys; print(json.load(sys.stdin)["digest"])')
[ "$digest" = "$candidate" ] || { echo "error: pushed $digest, expected $candidate" >&2; exit 1; }
echo "digest=$digest" >>"${GITHUB_OUTPUT:-/dev/stdout}"
echo "published $IMAGE@$digest as: ${tags[*]}" | tee -a "${GITHUB_STEP_SUMMARY:-/dev/null}"
