#!/usr/bin/env bash
# Stage 3: run each built platform image as it will run in production (read-only, tmpfs /tmp and a
# tmpfs on each volume the image declares), wait for Docker to call it healthy, ask it the health
# and version paths and smoke.txt's requests (pipeline/smoke.py), stop it: exit 0 expected.
# Runs exactly what the run record names: on push runs, the pushed digest.
set -euo pipefail
: "${ARTIFACTS:=artifacts}" "${PYTHON:=python3}"
name=smoke-$$
cleanup() { docker rm -f "$name" >/dev/null 2>&1 || true; }
trap cleanup EXIT
fail() { echo "smoke: $platform: $*" >&2; docker logs --tail 20 "$name" >&2 || true; exit 1; }

native=linux/$(docker version -f '{{.Server.Arch}}')
smoke() {
  # Probe often while it starts; a foreign platform runs under QEMU, where one probe takes seconds.
  local probe=(--health-start-interval 200ms) grace=10
  [ "$platform" = "$native" ] || { probe=(--health-start-interval 2s --health-timeout 30s); grace=60; }
  local user owner="" volumes=() volume
  docker image inspect "$ref" >/dev/null 2>&1 || docker pull -q --platform "$platform" "$ref" >/dev/null
  user=$(docker image inspect -f '{{.Config.User}}' "$ref")
  [ -z "$user" ] || owner=":uid=${user%%:*},gid=${user##*:}"
  for volume in $(docker image inspect -f '{{range $v, $_ := .Config.Volumes}}{{$v}} {{end}}' "$ref"); do
    volumes+=(--tmpfs "$volume$owner")
  done
  docker run -d --name "$name" --platform "$platform" --read-only --tmpfs /tmp "${volumes[@]}" \
    -p 127.0.0.1::80 --health-interval 1s --health-start-period 60s "${probe[@]}" "$ref" >/dev/null
  for _ in $(seq 300); do  # up to 60 s: a foreign platform runs under QEMU
    status=$(docker inspect -f '{{.State.Health.Status}}' "$name")
    [ "$status" = healthy ] && break
    [ "$(docker inspect -f '{{.State.Running}}' "$name")" = true ] || fail "the container exited"
    sleep 0.2
  done
  [ "$status" = healthy ] || fail "not healthy after 60 s (status: $status)"
  port=$(docker port "$name" 80/tcp | head -n 1 | sed 's/.*://')
  expected=$(docker inspect -f '{{index .Config.Labels "org.opencontainers.image.version"}}' "$name")
  asked=$("$PYTHON" -m pipeline smoke "http://127.0.0.1:$port" --version "$expected" 2>&1) \
    || fail "${asked#error: }"
  docker stop --time "$grace" "$name" >/dev/null
  code=$(docker inspect -f '{{.State.ExitCode}}' "$name")
  [ "$code" = 0 ] || fail "exited $code on docker stop, not 0"
  cleanup
}

refs=$("$PYTHON" -m pipeline record refs --artifacts "$ARTIFACTS")
while read -r platform ref; do
  smoke
  "$PYTHON" -m pipeline record passed smoke "$platform" --artifacts "$ARTIFACTS"
  echo "smoke passed: $platform: healthy, $asked, clean stop"
done <<<"$refs"
