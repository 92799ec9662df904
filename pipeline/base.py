"""The base image: the Dockerfile's literal, digest-pinned FROM, which Dependabot reads and bumps,
and its one override, a buildx named build context keyed by that exact reference.

`PYTHON_IMAGE` (a mirror's copy, or the local stand-in on an air-gapped machine) becomes
`--build-context REF=docker-image://IMAGE`; unset, the build pulls REF itself. Standard library
only: CI's image jobs run this with a bare Python.
"""

import os
import re
from collections.abc import Mapping
from pathlib import Path

from pipeline import PipelineError

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = ROOT / "Dockerfile"
# The stage every other one starts from; its reference is the only image the build pulls.
STAGE = "base"
FROM = re.compile(rf"^FROM\s+(?P<ref>[^\s$]+)\s+AS\s+{STAGE}\s*$", re.I | re.M)
# name:tag@sha256:digest; the tag's leading version is the Python the image runs.
REF = re.compile(r"^(?P<name>[^:@\s]+):(?P<tag>[\w][\w.-]*)@sha256:[0-9a-f]{64}$")
VERSION = re.compile(r"^(?P<version>\d+\.\d+)(?:[.-]|$)")
# The app's package, named once: the image copies it and the server serves it.
APP = re.compile(r"^ARG APP=(?P<app>\S+)$", re.M)
# The adopter's code: the image copies this folder and puts it on the path.
SOURCE = "src"


def ref(dockerfile: Path = DOCKERFILE) -> str:
    """The base stage's reference, as written: `python:3.13-slim@sha256:...`."""
    found = FROM.findall(dockerfile.read_text())
    if len(found) != 1:
        raise PipelineError(f"{dockerfile.name}: expected one `FROM IMAGE:TAG@sha256:DIGEST AS "
                            f"{STAGE}` line, found {len(found)}")
    if not REF.match(found[0]):
        raise PipelineError(f"{dockerfile.name}: the {STAGE} image {found[0]!r} is not "
                            "IMAGE:TAG@sha256:DIGEST (Dependabot bumps a literal, pinned FROM)")
    return str(found[0])


def app(dockerfile: Path = DOCKERFILE) -> str:
    """The package the image serves (`ARG APP=`)."""
    found = APP.search(dockerfile.read_text())
    if not found:
        raise PipelineError(f"{dockerfile.name}: no `ARG APP=<package>` line: restore it from "
                            "the template")
    return found["app"]


def source(root: Path, name: str) -> str | None:
    """The file that makes `name` a top-level package or module of src/, relative to root."""
    found = [p for p in (f"{SOURCE}/{name}/__init__.py", f"{SOURCE}/{name}.py")
             if (root / p).is_file()]
    return found[0] if found else None


def python_version(reference: str) -> str:
    """`3.13` from `python:3.13-slim@sha256:...`."""
    match = REF.match(reference)
    version = VERSION.match(match["tag"]) if match else None
    if not version:
        raise PipelineError(f"no Python version in the tag of {reference!r}")
    return version["version"]


def check_version(dockerfile: Path = DOCKERFILE, pinned: Path = ROOT / ".python-version") -> str:
    """The base's Python must be .python-version's, which the locks are compiled with."""
    version, wanted = python_version(ref(dockerfile)), pinned.read_text().strip()
    if version != wanted:
        raise PipelineError(f"{dockerfile.name} builds on Python {version}, {pinned.name} says "
                            f"{wanted}: change one to match")
    return version


def args(env: Mapping[str, str] = os.environ, dockerfile: Path = DOCKERFILE) -> list[str]:
    """The build's arguments for the base: nothing, or the named context replacing it."""
    image = env.get("PYTHON_IMAGE", "").strip()
    if not image:
        return []
    if any(c.isspace() for c in image) or "://" in image:
        raise PipelineError(f"PYTHON_IMAGE={image!r}: expected an image reference such as "
                            "mirror.example.com/python:3.13-slim")
    return ["--build-context", f"{ref(dockerfile)}=docker-image://{image}"]


def image(env: Mapping[str, str] = os.environ, dockerfile: Path = DOCKERFILE) -> str:
    """The image a container of the base runs (`make lock` on a host without its Python)."""
    return env.get("PYTHON_IMAGE", "").strip() or ref(dockerfile)
