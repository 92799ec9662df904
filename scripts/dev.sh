#!/usr/bin/env bash
# `make dev`: compose.yaml's service, with the Procfile's release and workers and a random value
# for each secret beside it (pipeline/dev.py), on an image built the way every build is (buildx,
# with the PYTHON_IMAGE override when set), so a mirror or stand-in base works here too. Extra
# arguments go to `docker compose up` (e.g. -d). DEV_PORT, DEV_CPUS, DEV_MEMORY, PROJECT_DIR: see
# compose.yaml.
set -euo pipefail
: "${PYTHON:=python3}" "${IMAGE:?the image name, from make dev}"
export IMAGE
mapfile -t base < <("$PYTHON" -m pipeline base-args)
docker buildx build --quiet --load --target runtime --tag "$IMAGE:dev" "${base[@]}" . >/dev/null
override=$("$PYTHON" -m pipeline dev)
exec docker compose -f compose.yaml -f "$override" up --no-build --remove-orphans "$@"
