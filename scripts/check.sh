#!/usr/bin/env bash
# Stage 1: the locks are fresh, the lint is clean, the unit tests pass (no Docker needed).
set -euo pipefail
: "${PYTHON:=python3}"
bin=$(dirname "$PYTHON")
"$PYTHON" -m pipeline lock-check requirements.in:requirements.txt requirements-dev.in:requirements-dev.txt
scripts/lint.sh
"$bin/pytest" -q -p no:cacheprovider -m "not container and not registry" --no-cov
