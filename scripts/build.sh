#!/usr/bin/env bash
# Stage 2: build the runtime image with BuildKit, labelled with the version, revision and commit
# time from `python -m pipeline tags`; records its ID for the stages that follow.
set -euo pipefail
: "${DOCKER:=docker}" "${IMAGE:?}" "${ARTIFACTS:=artifacts}" "${PYTHON:=python3}"
export DOCKER_BUILDKIT=1
mkdir -p "$ARTIFACTS"
"$PYTHON" -m pipeline tags >"$ARTIFACTS/build.env"
# shellcheck source=/dev/null
. "$ARTIFACTS/build.env"
# The base, or the named context that replaces it with $PYTHON_IMAGE (a mirror, the stand-in).
args=$("$PYTHON" -m pipeline base-args)
mapfile -t base < <(printf '%s' "$args")
"$DOCKER" buildx build --load --iidfile "$ARTIFACTS/image-id" "${base[@]}" \
  --build-arg "VERSION=$VERSION" --build-arg "REVISION=$REVISION" --build-arg "CREATED=$CREATED" \
  --build-arg "SOURCE_DATE_EPOCH=$SOURCE_DATE_EPOCH" \
  --build-arg "TITLE=${IMAGE##*/}" ${SOURCE_URL:+--build-arg "SOURCE=$SOURCE_URL"} \
  --tag "$IMAGE:candidate" .
echo "built $IMAGE:candidate $(cat "$ARTIFACTS/image-id") on ${PYTHON_IMAGE:-the Dockerfile base} (version $VERSION)"
