#!/usr/bin/env bash
# Stage 3: run each built platform image as it runs in production, its Procfile's release first
# and its workers beside it, and ask it the health and version paths and smoke.txt's requests;
# stop it: exit 0 expected (pipeline/smoke.py). Runs exactly what the run record names.
set -euo pipefail
exec "${PYTHON:-python3}" -m pipeline smoke --artifacts "${ARTIFACTS:-artifacts}"
