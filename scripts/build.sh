#!/usr/bin/env bash
# Stage 2: build $PLATFORMS (default: this machine's) with buildx, one platform at a time as CI's
# matrix does; with PUSH=1 each goes to the registry untagged, by digest. $ARTIFACTS/run.json
# records what smoke and scan must run. The base-image override comes from PYTHON_IMAGE.
set -euo pipefail
: "${REGISTRY:?}" "${IMAGE:?}" "${ARTIFACTS:=artifacts}" "${PYTHON:=python3}"
platforms=${PLATFORM:-${PLATFORMS:-linux/$(docker version -f '{{.Server.Arch}}')}}
mapfile -t base < <("$PYTHON" -m pipeline base-args)
exec "$PYTHON" -m pipeline build --image "$REGISTRY/$IMAGE" --platform "$platforms" \
  ${PUSH:+--push} --artifacts "$ARTIFACTS" --cache-from "${CACHE_FROM:-}" --cache-to "${CACHE_TO:-}" \
  -- "${base[@]}"
