#!/usr/bin/env bash
# CI's build settings from the same `python -m pipeline tags` that `make build` uses: the tags
# and PLATFORM_PAIR go to $GITHUB_ENV, the build arguments to the step output `build-args`, so
# every job that builds passes the same ones (and so hits the same cache).
set -euo pipefail
: "${PLATFORM:?}" "${GITHUB_REF:?}" "${GITHUB_SHA:?}" "${GITHUB_ENV:?}" "${GITHUB_OUTPUT:?}"
: "${GITHUB_SERVER_URL:?}" "${GITHUB_REPOSITORY:?}"
mkdir -p artifacts
python3 -m pipeline tags --ref "$GITHUB_REF" --sha "$GITHUB_SHA" --format github >artifacts/build.env
{ echo "PLATFORM_PAIR=${PLATFORM//\//-}"; cat artifacts/build.env; } >>"$GITHUB_ENV"
{
  echo "build-args<<BUILD_ARGS"
  grep -E '^(VERSION|REVISION|CREATED|SOURCE_DATE_EPOCH)=' artifacts/build.env
  echo "SOURCE=$GITHUB_SERVER_URL/$GITHUB_REPOSITORY"
  echo "TITLE=${GITHUB_REPOSITORY#*/}"
  echo "BUILD_ARGS"
} >>"$GITHUB_OUTPUT"
