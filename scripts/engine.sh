#!/usr/bin/env bash
# Docker Engine 28+ with buildx, compose v2 and the containerd image store, started; plus any Debian
# packages named as arguments. Where Docker with buildx and compose already runs (Docker Desktop,
# docker-ce), installs nothing. On Debian 12 and 13 the engine comes from Debian's testing suite
# through an apt source written from the machine's own entry, pinned low, so nothing else moves.
#
#   scripts/engine.sh [PACKAGE...]      # idempotent: a second run only checks
set -euo pipefail
cd "$(dirname "$0")/.."  # python3 -m pipeline reads the apt sources
log=${DOCKERD_LOG:-/var/log/dockerd.log}
engine=(docker.io docker-cli docker-buildx docker-compose containerd)

major() { docker version -f '{{.Server.Version}}' 2>/dev/null | cut -d. -f1; }
tools() { docker buildx version >/dev/null 2>&1 && docker compose version >/dev/null 2>&1; }

missing=()
for p in "$@"; do
  dpkg -s "${p%%/*}" >/dev/null 2>&1 || missing+=("$p")
done
current=$( (dpkg-query -W -f '${Version}' docker.io 2>/dev/null || true) | cut -d. -f1)
if tools && [ "${current:-0}" -ge 28 ] 2>/dev/null; then
  :  # Debian's engine is new enough
elif tools && [ "$(major)" -ge 28 ] 2>/dev/null; then
  :  # someone else's engine (Docker Desktop, docker-ce) answers: leave it alone
else
  [ -f /etc/debian_version ] || { echo "engine: install Docker Engine 28+ with buildx and compose (https://docs.docker.com/engine/install/)" >&2; exit 1; }
  suite=$(python3 -m pipeline debian suite)
  python3 -m pipeline debian source >"/etc/apt/sources.list.d/$suite.sources"
  python3 -m pipeline debian pin >"/etc/apt/preferences.d/$suite"
  # docker.io only recommends docker-cli on Debian 13: name every part.
  missing+=("${engine[@]/%//$suite}")
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "engine: installing ${missing[*]}"
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi

# The containerd image store: multi-platform images, registry cache export, provenance.
if ! docker info >/dev/null 2>&1 || [ "$(docker info -f '{{.DriverStatus}}' 2>/dev/null)" != "[[driver-type io.containerd.snapshotter.v1]]" ]; then
  mkdir -p /etc/docker
  python3 - /etc/docker/daemon.json <<'PY'
import json, sys
from pathlib import Path
path = Path(sys.argv[1])
config = json.loads(path.read_text()) if path.exists() and path.read_text().strip() else {}
config.setdefault("features", {})["containerd-snapshotter"] = True
path.write_text(json.dumps(config, indent=2) + "\n")
PY
fi
if ! docker info >/dev/null 2>&1; then
  command -v dockerd >/dev/null || { echo "engine: no dockerd here: start Docker yourself" >&2; exit 1; }
  # Its own session, no terminal, nothing inherited: the caller's output closes when it ends.
  setsid -f dockerd </dev/null >>"$log" 2>&1
  for _ in $(seq 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
  docker info >/dev/null 2>&1 || { tail -n 20 "$log" >&2; echo "engine: dockerd did not start (log: $log)" >&2; exit 1; }
fi

# arm64 under QEMU, where qemu-user-static is installed but binfmt_misc is not set up (no systemd).
if [ -d /usr/share/binfmts ] && ls /usr/share/binfmts/qemu-aarch64* >/dev/null 2>&1; then
  mountpoint -q /proc/sys/fs/binfmt_misc || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc 2>/dev/null || true
  [ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] || update-binfmts --enable qemu-aarch64 >/dev/null 2>&1 || true
fi
echo "engine: Docker $(docker version -f '{{.Server.Version}}'), buildx $(docker buildx version | cut -d' ' -f2), compose $(docker compose version --short)"
