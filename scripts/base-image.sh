#!/usr/bin/env bash
# Prints the base image to build on: $PYTHON_IMAGE if set, else the official python:<version>-slim
# unless only the local stand-in (scripts/stand-in-base.sh) is here.
set -euo pipefail
DOCKER=${DOCKER:-docker}
version=$(cat "$(dirname "$0")/../.python-version")
official=python:$version-slim
stand_in=${STAND_IN_IMAGE:-python-stand-in:$version-slim}
if [ -n "${PYTHON_IMAGE:-}" ]; then
  echo "$PYTHON_IMAGE"
elif ! "$DOCKER" image inspect "$official" >/dev/null 2>&1 \
    && "$DOCKER" image inspect "$stand_in" >/dev/null 2>&1; then
  echo "$stand_in"
else
  echo "$official"
fi
