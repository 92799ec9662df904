"""Debian containers for the engine's simulation tests: the releases CI may land on, made without
pulling anything (nothing can be pulled here)."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).parents[3]
DOCKER = os.environ.get("DOCKER", "docker")
BOOKWORM = "python-app-debian-probe:bookworm"
CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")


def run(*command: str, cwd: Path | None = None) -> str:
    result = subprocess.run(command, capture_output=True, text=True, timeout=900, cwd=cwd)
    if result.returncode != 0:
        raise AssertionError(f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def present(image: str) -> bool:
    return subprocess.run([DOCKER, "image", "inspect", image], capture_output=True).returncode == 0


def bookworm() -> str:
    """A minimal Debian 12 image, bootstrapped once from the machine's mirror and kept."""
    if present(BOOKWORM):
        return BOOKWORM
    # The mirror as the project's own code reads it from the machine's apt sources.
    mirror = run(sys.executable, "-m", "template.debian", "mirror", cwd=ROOT).strip()
    with tempfile.TemporaryDirectory(prefix="engine-test-") as work:
        rootfs = Path(work) / "rootfs"
        # python3, not python3-minimal: `python3 -m template.debian` needs argparse.
        run("debootstrap", "--variant=minbase", "--include=python3,ca-certificates",
            "bookworm", str(rootfs), mirror)
        # TLS goes through an intercepting proxy here: trust its CA as the host does.
        (rootfs / "etc/ssl/certs/ca-certificates.crt").write_bytes(CA_BUNDLE.read_bytes())
        run("bash", "-o", "pipefail", "-c",
            f"tar -C {rootfs} --numeric-owner -c . | {DOCKER} import - {BOOKWORM}")
    return BOOKWORM


if __name__ == "__main__":
    print(bookworm())
