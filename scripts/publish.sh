#!/usr/bin/env bash
# Stage 5: tag the pushed digests that passed smoke and scan (run records: CI's platform jobs'
# artifacts, or $ARTIFACTS/run.json), as one multi-platform index. No rebuild: the tags point at
# the tested manifests. A release version that exists is never moved (see pipeline/publish.py).
#   scripts/publish.sh [RECORD or FOLDER...]
set -euo pipefail
: "${ARTIFACTS:=artifacts}" "${PYTHON:=python3}"
[ $# -gt 0 ] || set -- "$ARTIFACTS/run.json"
exec "$PYTHON" -m pipeline publish --artifacts "$ARTIFACTS" "$@"
