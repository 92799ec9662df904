#!/usr/bin/env bash
# Docker Engine 28+ with buildx, compose v2 and the containerd image store, started; plus any Debian
# packages named as arguments. Where Docker with buildx and compose already runs (Docker Desktop,
# docker-ce), installs nothing. On Debian 12 and 13 the engine comes from Debian's testing suite
# through an apt source written from the machine's own entry, pinned low, so nothing else moves.
#
#   template/scripts/engine.sh [PACKAGE...]              # idempotent: a second run only checks
#   template/scripts/engine.sh --simulate [PACKAGE...]   # write the apt source and pin, then only show
#                                               # what apt would install (apt-get -s)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
log=${DOCKERD_LOG:-/var/log/dockerd.log}
engine=(docker.io docker-cli docker-buildx docker-compose containerd)
simulate=
if [ "${1:-}" = --simulate ]; then simulate=1; shift; fi

# The project's own reading of the machine's apt sources, from any working directory.
debian() { (cd "$root" && python3 -m template.debian "$@"); }
# Not `dpkg -s`: it succeeds for a removed package whose configuration files remain.
installed() { [ "$(dpkg-query -W -f '${Status}' "$1" 2>/dev/null)" = "install ok installed" ]; }
major() { docker version -f '{{.Server.Version}}' 2>/dev/null | cut -d. -f1; }
tools() { docker buildx version >/dev/null 2>&1 && docker compose version >/dev/null 2>&1; }
snapshotter() { [ "$(docker info -f '{{.DriverStatus}}' 2>/dev/null)" = "[[driver-type io.containerd.snapshotter.v1]]" ]; }
# The containerd image store (multi-platform images, registry cache export, provenance), for a
# dockerd this script installs or starts: one already running keeps its owner's configuration.
image_store() {
  mkdir -p /etc/docker
  python3 - /etc/docker/daemon.json <<'PY'
import json, sys
from pathlib import Path
path = Path(sys.argv[1])
config = json.loads(path.read_text()) if path.exists() and path.read_text().strip() else {}
config.setdefault("features", {})["containerd-snapshotter"] = True
path.write_text(json.dumps(config, indent=2) + "\n")
PY
}

missing=()
for p in "$@"; do
  # A tool installed some other way (Homebrew, a release binary) counts as installed.
  installed "${p%%/*}" || command -v "${p%%/*}" >/dev/null || missing+=("$p")
done
current=0
if installed docker.io; then current=$(dpkg-query -W -f '${Version}' docker.io | cut -d. -f1); fi
if tools && [ "$current" -ge 28 ] 2>/dev/null; then
  need_engine=  # Debian's engine is new enough
elif tools && [ "$(major)" -ge 28 ] 2>/dev/null; then
  need_engine=  # someone else's engine (Docker Desktop, docker-ce) answers: leave it alone
else
  need_engine=1
fi
if [ -n "$need_engine" ] || [ ${#missing[@]} -gt 0 ]; then
  if [ ! -f /etc/debian_version ]; then
    [ -z "$need_engine" ] || echo "engine: install Docker Engine 28+ with buildx and compose (https://docs.docker.com/engine/install/)" >&2
    [ ${#missing[@]} -eq 0 ] || echo "engine: not Debian: install ${missing[*]} yourself" >&2
    exit 1
  fi
  suite=$(debian suite)
  # docker.io only recommends docker-cli on Debian 13: name every part.
  [ -z "$need_engine" ] || missing+=("${engine[@]/%//$suite}")
  # Packages asked for from the suite (oras/forky) need its source even where the engine is
  # someone else's. Assigned first, so a failure leaves no half-written file for apt.
  if [[ " ${missing[*]} " == *"/$suite "* ]]; then
    text=$(debian source)
    printf '%s\n' "$text" >"/etc/apt/sources.list.d/$suite.sources"
    text=$(debian pin)
    printf '%s\n' "$text" >"/etc/apt/preferences.d/$suite"
  fi
  apt-get update -q >/dev/null
  if [ -n "$simulate" ]; then
    exec apt-get install -s --no-install-recommends "${missing[@]}"
  fi
  echo "engine: installing ${missing[*]}"
  # Before the packages: where systemd runs, their postinst starts dockerd with this file.
  [ -z "$need_engine" ] || image_store
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi
if [ -n "$simulate" ]; then
  echo "engine: nothing to install"
  exit 0
fi

if ! docker info >/dev/null 2>&1; then
  command -v dockerd >/dev/null || { echo "engine: no dockerd here: start Docker yourself" >&2; exit 1; }
  image_store
  # Its own session, no terminal, nothing inherited: the caller's output closes when it ends.
  setsid -f dockerd </dev/null >>"$log" 2>&1
  for _ in $(seq 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
  docker info >/dev/null 2>&1 || { tail -n 20 "$log" >&2; echo "engine: dockerd did not start (log: $log)" >&2; exit 1; }
fi
# A dockerd started before the packages were upgraded still runs the old binary.
[ "$(major)" -ge 28 ] 2>/dev/null || { echo "engine: the running dockerd is $(docker version -f '{{.Server.Version}}' 2>/dev/null), older than 28: stop it, then run $0 again" >&2; exit 1; }
snapshotter || { echo "engine: dockerd runs without the containerd image store: set {\"features\": {\"containerd-snapshotter\": true}} in /etc/docker/daemon.json (Docker Desktop: Settings, General, \"Use containerd for pulling and storing images\") and restart it" >&2; exit 1; }

# arm64 under QEMU, where qemu is installed but nothing registered it (no systemd): Debian 12's
# qemu-user-static ships binfmt-support's format, Debian 13's qemu-user-binfmt systemd's binfmt.d.
if [ ! -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] && { [ -e /usr/share/binfmts/qemu-aarch64 ] || [ -e /usr/lib/binfmt.d/qemu-aarch64.conf ]; }; then
  mountpoint -q /proc/sys/fs/binfmt_misc || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc 2>/dev/null || true
  if [ -e /usr/share/binfmts/qemu-aarch64 ]; then
    update-binfmts --enable qemu-aarch64 >/dev/null 2>&1 || true
  else
    while IFS= read -r rule; do
      case $rule in '' | '#'* | ';'*) continue ;; esac
      printf '%s\n' "$rule" >/proc/sys/fs/binfmt_misc/register 2>/dev/null || true
    done </usr/lib/binfmt.d/qemu-aarch64.conf
  fi
fi
echo "engine: Docker $(docker version -f '{{.Server.Version}}'), buildx $(docker buildx version | cut -d' ' -f2), compose $(docker compose version --short)"
