#!/usr/bin/env bash
# Starts a local OCI registry on $REGISTRY (host:port on loopback) unless one already answers:
# the registry:2 image, or Debian's docker-registry binary where no image can be pulled.
#   scripts/registry.sh [start|stop]
set -euo pipefail
: "${DOCKER:=docker}" "${REGISTRY:?}" "${PYTHON:=python3}"
state=${REGISTRY_STATE:-.cache/registry/${REGISTRY//[:\/]/_}}
port=${REGISTRY##*:}
host=${REGISTRY%:*}
[ "$host" = localhost ] && host=127.0.0.1
# shellcheck source=scripts/lib/engine.sh
. "$(dirname "$0")/lib/engine.sh"
answers() { "$PYTHON" -m pipeline ping --registry "$REGISTRY" >/dev/null 2>&1; }

case ${1:-start} in
stop)
  "$DOCKER" rm -f "registry-$port" >/dev/null 2>&1 || true
  [ -f "$state/pid" ] && kill "$(cat "$state/pid")" 2>/dev/null || true
  rm -f "$state/pid"
  exit 0 ;;
start) ;;
*) echo "usage: $0 [start|stop]" >&2; exit 2 ;;
esac

answers && { echo "registry: $REGISTRY already answers"; exit 0; }
# Without an engine nothing here can be built or run: say so, not that an image cannot be pulled.
"$DOCKER" version >/dev/null 2>&1 \
  || { echo "error: the Docker engine is not reachable: start it or set DOCKER_HOST$engine_hint" >&2; exit 1; }
mkdir -p "$state"
if "$DOCKER" run -d --restart unless-stopped --name "registry-$port" \
    -p "$host:$port:5000" registry:2 >/dev/null 2>"$state/docker.log"; then
  how="registry:2 container registry-$port"
elif command -v docker-registry >/dev/null; then
  state=$(cd "$state" && pwd)
  cat >"$state/config.yml" <<YAML
version: 0.1
storage:
  filesystem:
    rootdirectory: $state/data
  delete:
    enabled: true
http:
  addr: $host:$port
YAML
  # Detached (own session, no inherited output), so it outlives make and holds no caller's pipe.
  setsid docker-registry serve "$state/config.yml" </dev/null >"$state/registry.log" 2>&1 &
  echo $! >"$state/pid"
  how="docker-registry (pid $!, data in $state/data)"
else
  echo "registry: cannot start one: registry:2 cannot be pulled ($(tail -n 1 "$state/docker.log")) and docker-registry is missing (apt-get install docker-registry)" >&2
  exit 1
fi
for _ in $(seq 50); do answers && { echo "registry: started $how on $REGISTRY"; exit 0; }; sleep 0.2; done
echo "registry: started $how but $REGISTRY does not answer; see $state" >&2
exit 1
