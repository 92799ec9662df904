#!/usr/bin/env bash
# Builds a local stand-in for the official python:<version>-slim image from Debian's packages, for
# machines that cannot pull from Docker Hub (air-gapped networks, this project's CI). Real users
# get the official image; only the base-image build argument changes.
#
#   scripts/stand-in-base.sh            # builds and tags $STAND_IN_IMAGE if it is missing
#   FORCE=1 scripts/stand-in-base.sh    # rebuilds it
set -euo pipefail

DOCKER=${DOCKER:-docker}
root=$(cd "$(dirname "$0")/.." && pwd)
version=$(cat "$root/.python-version")
image=${STAND_IN_IMAGE:-python-stand-in:$version-slim}
suite=${SUITE:-trixie}  # the Debian release whose python3 is $version
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
ca_bundle=${CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}

if [ -z "${FORCE:-}" ] && "$DOCKER" image inspect "$image" >/dev/null 2>&1; then
  echo "stand-in base: $image already present"
  exit 0
fi
command -v debootstrap >/dev/null || { echo "stand-in base: debootstrap is missing: apt-get install debootstrap" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rootfs=$work/rootfs

debootstrap --variant=minbase --include=python3,python3-venv,python3-pip,adduser,ca-certificates \
  "$suite" "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 \
  || { tail -n 20 "$work/debootstrap.log" >&2; echo "stand-in base: debootstrap of $suite failed (log above)" >&2; exit 1; }

actual=$(chroot "$rootfs" python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')
[ "$actual" = "$version" ] || { echo "stand-in base: $suite ships Python $actual, .python-version says $version: set SUITE" >&2; exit 1; }

# Like the official image: `python` on PATH, pip usable without the Debian "externally managed" guard.
ln -sf python3 "$rootfs/usr/bin/python"
rm -f "$rootfs"/usr/lib/python3*/EXTERNALLY-MANAGED
# PyPI is reached through a TLS-intercepting proxy here: trust the host's CA bundle.
cp "$ca_bundle" "$rootfs/etc/ssl/certs/ca-certificates.crt"
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*

tar -C "$rootfs" -c . | "$DOCKER" import \
  --change 'ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV LANG=C.UTF-8' \
  --change 'CMD ["python3"]' \
  - "$image" >/dev/null
echo "stand-in base: built $image from Debian $suite ($("$DOCKER" image inspect -f '{{.Size}}' "$image") bytes)"
