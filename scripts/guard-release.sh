#!/usr/bin/env bash
# The release-tag immutability rule, for `make push` and for CI: looks up the digest REPO:TAG has
# now with the Docker CLI (so `docker login` credentials apply), and lets `python -m pipeline
# guard` decide: no such tag -> push; a CANDIDATE digest -> already there; another -> refuse.
#   guard-release.sh REPO TAG [CANDIDATE_DIGEST ...]
set -euo pipefail
: "${DOCKER:=docker}" "${PYTHON:=python3}"
repo=$1 tag=$2
shift 2
registry=${repo%%/*}
insecure=()
case $registry in localhost:* | 127.*) insecure=(--insecure) ;; esac  # plain HTTP on loopback

digest() {  # prints the digest of $repo:$tag; exit 1 with the CLI's words when it can't
  if "$DOCKER" buildx version >/dev/null 2>&1; then
    "$DOCKER" buildx imagetools inspect --format '{{json .Manifest}}' "$repo:$tag"
  else  # Engine 20.10's client: a single-platform manifest, as `make push` writes
    "$DOCKER" manifest inspect --verbose "${insecure[@]}" "$repo:$tag"
  fi
}

existing=none
# shellcheck disable=SC2016 # Python, not shell
if out=$(digest 2>&1); then
  existing=$("$PYTHON" -c 'import json, sys
found = json.load(sys.stdin)
if isinstance(found, list):  # `docker manifest inspect` shows an index only by its parts
    sys.exit(f"error: {sys.argv[1]} is a multi-platform index: compare it with docker buildx")
print((found.get("Descriptor") or found)["digest"])' "$repo:$tag" <<<"$out")
elif ! grep -qiE 'no such manifest|not found' <<<"$out"; then
  echo "error: cannot read $repo:$tag from its registry: $out" >&2
  exit 1
fi
"$PYTHON" -m pipeline guard --tag "$tag" --existing "$existing" "$@"
