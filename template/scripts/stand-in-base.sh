#!/usr/bin/env bash
# Builds a local stand-in for the official python:<version>-slim image from Debian's packages, for
# machines that cannot pull from Docker Hub (air-gapped networks, this project's CI). Real users
# get the official image; only the base override changes (PYTHON_IMAGE, see README).
#
#   template/scripts/stand-in-base.sh             # $STAND_IN_IMAGE for $PLATFORMS, if it is missing
#   template/scripts/stand-in-base.sh --rootfs    # only the root file systems (slow under QEMU: start early)
#   FORCE=1 template/scripts/stand-in-base.sh     # rebuild the image (the root file systems are kept)
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
version=$(cat "$root/.python-version")
image=${STAND_IN_IMAGE:-python-stand-in:$version-slim}
platforms=${PLATFORMS:-linux/$(dpkg --print-architecture 2>/dev/null || echo amd64)}
suite=${SUITE:-trixie}  # the Debian release whose python3 is $version
cache=${STAND_IN_CACHE:-$root/.cache/stand-in}
ca_bundle=${CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}

# One root file system per architecture, made once and kept: debootstrap under QEMU takes minutes.
rootfs() {
  local arch=$1 tar=$cache/$suite-$1.tar work mirror actual
  mkdir -p "$cache"
  exec 9>"$tar.lock"
  flock 9  # a background --rootfs run and this one never bootstrap the same one twice
  if [ -s "$tar" ]; then exec 9>&-; return; fi
  command -v debootstrap >/dev/null || { echo "stand-in base: debootstrap is missing: apt-get install debootstrap" >&2; exit 1; }
  # The machine's own Debian mirror, read from its apt sources.
  mirror=${DEBIAN_MIRROR:-$(cd "$root" && python3 -m template.debian mirror)}
  work=$(mktemp -d)
  debootstrap --arch="$arch" --variant=minbase --include=python3,python3-venv,python3-pip,adduser,ca-certificates \
    "$suite" "$work/rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 \
    || { tail -n 20 "$work/debootstrap.log" >&2; echo "stand-in base: debootstrap of $suite/$arch failed (log above)" >&2; rm -rf "$work"; exit 1; }
  actual=$(chroot "$work/rootfs" python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')
  [ "$actual" = "$version" ] || { echo "stand-in base: $suite ships Python $actual, .python-version says $version: set SUITE" >&2; rm -rf "$work"; exit 1; }
  # Like the official image: `python` on PATH, pip usable without Debian's "externally managed" guard.
  ln -sf python3 "$work/rootfs/usr/bin/python"
  rm -f "$work"/rootfs/usr/lib/python3*/EXTERNALLY-MANAGED
  # PyPI is reached through a TLS-intercepting proxy here: trust the host's CA bundle.
  cp "$ca_bundle" "$work/rootfs/etc/ssl/certs/ca-certificates.crt"
  rm -rf "$work"/rootfs/var/cache/apt/archives/*.deb "$work"/rootfs/var/lib/apt/lists/* "$work"/rootfs/proc/* "$work"/rootfs/sys/*
  tar -C "$work/rootfs" --numeric-owner -cf "$tar.tmp" .
  mv "$tar.tmp" "$tar"
  rm -rf "$work"
  exec 9>&-
  echo "stand-in base: root file system for $suite/$arch ($(du -h "$tar" | cut -f1))"
}

archs=()
IFS=, read -ra wanted <<<"$platforms"
for platform in "${wanted[@]}"; do archs+=("${platform#linux/}"); done

if [ "${1:-}" = --rootfs ]; then
  for arch in "${archs[@]}"; do rootfs "$arch"; done
  exit 0
fi

present=1
for platform in "${wanted[@]}"; do
  docker image inspect --platform "$platform" "$image" >/dev/null 2>&1 || present=
done
if [ -z "${FORCE:-}" ] && [ -n "$present" ]; then
  echo "stand-in base: $image already present for $platforms"
  exit 0
fi
for arch in "${archs[@]}"; do rootfs "$arch"; done

context=$(mktemp -d)
trap 'rm -rf "$context"' EXIT
for arch in "${archs[@]}"; do ln "$cache/$suite-$arch.tar" "$context/rootfs-$arch.tar" 2>/dev/null || cp "$cache/$suite-$arch.tar" "$context/rootfs-$arch.tar"; done
cat >"$context/Dockerfile" <<'DOCKERFILE'
FROM scratch
ARG TARGETARCH
ADD rootfs-${TARGETARCH}.tar /
ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin \
    LANG=C.UTF-8
CMD ["python3"]
DOCKERFILE
docker buildx build --quiet --provenance=false --platform "$platforms" --load -t "$image" "$context" >/dev/null
echo "stand-in base: built $image for $platforms from Debian $suite"
