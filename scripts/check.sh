#!/usr/bin/env bash
# Stage 1: the locks are fresh, the lint is clean, the unit tests pass (no Docker needed). Lint
# and tests run side by side; each one's output is shown whole, after it ends.
set -euo pipefail
: "${PYTHON:=.venv/bin/python}"  # the dev tools: make venv
bin=$(dirname "$PYTHON")
"$PYTHON" -m pipeline lock-check  # every lock (pipeline/locks.py)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
scripts/lint.sh >"$out/lint" 2>&1 &
lint=$!
code=0
"$bin/pytest" -q -p no:cacheprovider -m "not container and not registry" --cov \
  --cov-report=term >"$out/unit" 2>&1 || code=$?
wait "$lint" || { cat "$out/lint"; echo "error: lint failed (above): fix it, then make lint"; exit 1; }
cat "$out/lint" "$out/unit"
[ "$code" = 0 ] || { echo "error: unit tests failed (above): make unit"; exit "$code"; }
