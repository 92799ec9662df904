#!/usr/bin/env bash
# Proves that what a registry holds at REF is the image that was smoke-tested and scanned: follows
# REF (an index or a manifest) to the PLATFORM image and compares its layers and run-time config
# with SCANNED_JSON (`docker image inspect` of the scanned image).
#   verify-pushed.sh REF PLATFORM SCANNED_JSON
set -euo pipefail
: "${DOCKER:=docker}" "${PYTHON:=python3}"
ref=$1 platform=$2 scanned=$3
repo=${ref%@*}
manifest=$("$DOCKER" buildx imagetools inspect --raw "$ref" \
  | "$PYTHON" -m pipeline platform-manifest --platform "$platform")
[ -z "$manifest" ] || ref=$repo@$manifest
pushed=$(mktemp)
trap 'rm -f "$pushed"' EXIT
"$DOCKER" buildx imagetools inspect --format '{{json .Image}}' "$ref" >"$pushed"
"$PYTHON" -m pipeline same-image "$scanned" "$pushed"
