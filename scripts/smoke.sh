#!/usr/bin/env bash
# Stage 3: run the built image as it will run in production (read-only, tmpfs /tmp), wait for
# Docker to call it healthy, check /, /healthz and /version, stop it. Usage: smoke.sh [IMAGE]
set -euo pipefail
: "${DOCKER:=docker}" "${ARTIFACTS:=artifacts}"
image=${1:-$(cat "$ARTIFACTS/image-id")}
name=smoke-$$
cleanup() { "$DOCKER" rm -f "$name" >/dev/null 2>&1 || true; }
trap cleanup EXIT
fail() { echo "smoke: $*" >&2; "$DOCKER" logs --tail 20 "$name" >&2 || true; exit 1; }

"$DOCKER" run -d --name "$name" --read-only --tmpfs /tmp -p 127.0.0.1::80 \
  --health-interval 1s --health-start-period 1s "$image" >/dev/null
for _ in $(seq 60); do
  status=$("$DOCKER" inspect -f '{{.State.Health.Status}}' "$name")
  [ "$status" = healthy ] && break
  [ "$("$DOCKER" inspect -f '{{.State.Running}}' "$name")" = true ] || fail "the container exited"
  sleep 0.5
done
[ "$status" = healthy ] || fail "not healthy after 30 s (status: $status)"

port=$("$DOCKER" port "$name" 80/tcp | head -n 1 | sed 's/.*://')
get() { curl -fsS --max-time 5 "http://127.0.0.1:$port$1"; }
get / | grep -q "Hello World!" || fail "/ does not say Hello World!"
get /healthz | grep -q '"status":"ok"' || fail "/healthz is not ok"
expected=$("$DOCKER" inspect -f '{{index .Config.Labels "org.opencontainers.image.version"}}' "$name")
get /version | grep -q "\"version\":\"$expected\"" || fail "/version does not report $expected"

"$DOCKER" stop "$name" >/dev/null
code=$("$DOCKER" inspect -f '{{.State.ExitCode}}' "$name")
[ "$code" = 0 ] || fail "exited $code on docker stop, not 0"
mkdir -p "$ARTIFACTS"
"$DOCKER" image inspect -f '{{.Id}}' "$image" >"$ARTIFACTS/smoke-passed"
echo "smoke passed: healthy, /, /healthz, /version ($expected), clean stop"
