#!/usr/bin/env bash
# Local development with production parity: the runtime image of the same Dockerfile, the source
# mounted read-only with gunicorn reloading on change, a read-only root, and CPU and memory
# limits like a small production container. Extra arguments go to `docker run` (e.g. -d);
# DEV_PORT= (empty) picks a free port.
set -euo pipefail
: "${DOCKER:=docker}" "${IMAGE:=python-app}" "${APP_DIR:=$PWD/app}"
: "${DEV_PORT=8000}" "${DEV_CPUS:=1}" "${DEV_MEMORY:=512m}" "${DEV_NAME:=python-app-dev}"
export DOCKER_BUILDKIT=1
args=$("${PYTHON:-python3}" -m pipeline base-args)
mapfile -t base < <(printf '%s' "$args")
"$DOCKER" buildx build --quiet --load "${base[@]}" -t "$IMAGE:dev" . >/dev/null
tty=()
[ -t 0 ] && tty=(-it)
exec "$DOCKER" run --rm "${tty[@]}" --name "$DEV_NAME" -p "127.0.0.1:$DEV_PORT:80" \
  --cpus "$DEV_CPUS" --memory "$DEV_MEMORY" --read-only --tmpfs /tmp \
  -v "$APP_DIR:/app/app:ro" -e WEB_CONCURRENCY=1 "$@" \
  "$IMAGE:dev" gunicorn --config app/gunicorn.conf.py --reload
