#!/usr/bin/env bash
# Proves that what a registry holds at REF is the image that was smoke-tested and scanned:
# follows REF (an index or a manifest) to the PLATFORM image and compares its config digest,
# which is the image ID, with SCANNED_ID. Usage: verify-pushed.sh REF PLATFORM SCANNED_ID
set -euo pipefail
: "${DOCKER:=docker}" "${PYTHON:=python3}"
ref=$1 platform=$2 scanned=$3
repo=${ref%@*}
repo=${repo%:*}
raw() { "$DOCKER" buildx imagetools inspect --raw "$1"; }
read -r kind digest < <(raw "$ref" | "$PYTHON" -m pipeline image-config --platform "$platform")
if [ "$kind" = manifest ]; then
  read -r kind digest < <(raw "$repo@$digest" | "$PYTHON" -m pipeline image-config)
fi
if [ "$digest" != "$scanned" ]; then
  echo "error: $ref ($platform) is image $digest, not the scanned $scanned: refusing to publish it" >&2
  exit 1
fi
echo "verified: $ref ($platform) is the scanned image $scanned"
