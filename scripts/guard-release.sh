#!/usr/bin/env bash
# The release-tag immutability rule of `make push`, for registries that need credentials (CI):
# the current digest of REPO:TAG is looked up with the caller's `docker login`, the decision is
# `python -m pipeline guard`'s. Usage: guard-release.sh REPO TAG CANDIDATE_DIGEST
set -euo pipefail
: "${DOCKER:=docker}" "${PYTHON:=python3}"
repo=$1 tag=$2 candidate=$3
existing=none
if out=$("$DOCKER" buildx imagetools inspect --format '{{json .Manifest}}' "$repo:$tag" 2>&1); then
  existing=$("$PYTHON" -c 'import json, sys; print(json.load(sys.stdin)["digest"])' <<<"$out")
elif ! grep -qi 'not found' <<<"$out"; then
  echo "error: cannot read $repo:$tag: $out" >&2
  exit 1
fi
"$PYTHON" -m pipeline guard --registry "${repo%%/*}" --repository "${repo#*/}" --tag "$tag" \
  --existing "$existing" "$candidate"
