#!/usr/bin/env bash
# Compiles each FILE.in (default: every lock's, `python -m pipeline locks`) into a hash-locked FILE.txt
# with the image's Python (the one in .python-version): with the venv's pip-compile when the venv
# runs that Python, otherwise inside a container of the base image, so a host with another Python
# still writes the image's locks. The locks carry every file hash and no index URL or find-links
# of the machine that made them.  Usage: scripts/lock.sh [FILE.in ...]
set -euo pipefail
: "${DOCKER:=docker}" "${PYTHON:=python3}"
version=$(cat .python-version)
flags=(--quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links)
export CUSTOM_COMPILE_COMMAND=${CUSTOM_COMPILE_COMMAND:-make lock}
if [ $# -eq 0 ]; then mapfile -t sources < <(PYTHONPATH="$(dirname "$0")/.." "$PYTHON" -m pipeline locks); set -- "${sources[@]}"; fi

running=$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
if [ "$running" = "$version" ] && [ -z "${LOCK_IN_CONTAINER:-}" ]; then
  for source in "$@"; do
    "$PYTHON" -m piptools compile "${flags[@]}" -o "${source%.in}.txt" "$source"
  done
  exit 0
fi

base=$(PYTHONPATH="$(dirname "$0")/.." "$PYTHON" -m pipeline base-args --image)
echo "lock: $PYTHON is Python $running, the image's is $version: compiling in $base" >&2
# shellcheck disable=SC2016 # expanded by the container's shell
"$DOCKER" run --rm --user "$(id -u):$(id -g)" --env HOME=/tmp --volume "$PWD:/src" --workdir /src \
  --env CUSTOM_COMPILE_COMMAND --env "PIP_TOOLS=$(grep -o '^pip-tools==[^ ]*' requirements-dev.txt)" \
  "$base" bash -c 'python -m venv /tmp/venv && /tmp/venv/bin/pip install --quiet "$PIP_TOOLS" \
    && PYTHON=/tmp/venv/bin/python scripts/lock.sh "$@"' lock "$@"
