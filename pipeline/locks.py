"""Is a pip-compile lock stale against its .in file? Checked offline, without resolving again.

A lock is fresh when every requirement of the .in is pinned to a version it allows, and every pin
the lock says came from the .in (`# via -r <file>.in`) is still asked for there.
"""

from __future__ import annotations

import re
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from pipeline import PipelineError

# Every lock of the project, each compiled from its .in: the image's, the dev tools', the build
# tools' (uv). `make lock` writes them all; `make check` (so `make pipeline`, CI) checks them.
SOURCES = ("requirements.in", "requirements-dev.in", "requirements-build.in")

PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)")
FIX = "run `make lock` to regenerate it"


def requirements(path: str | Path) -> dict[str, Requirement]:
    """Direct requirements of an .in file, by canonical name; -r/-c lines are other files' job."""
    found: dict[str, Requirement] = {}
    for line in Path(path).read_text().splitlines():
        line = line.split(" #")[0].strip()
        if line and not line.startswith(("#", "-")):
            requirement = Requirement(line)
            found[canonicalize_name(requirement.name)] = requirement
    return found


def pins(path: str | Path) -> tuple[dict[str, str], set[str]]:
    """Pinned versions of a lock and which of them it says came straight from `source`."""
    pinned: dict[str, str] = {}
    direct: set[str] = set()
    current = ""
    for line in Path(path).read_text().splitlines():
        if match := PIN.match(line):
            current = canonicalize_name(match[1])
            pinned[current] = match[2]
        elif current and re.match(r"^\s+#\s+(via\s+)?-r\s+\S+\.in$", line):
            direct.add(current)
    return pinned, direct


def check(source: str, lock: str) -> None:
    """Raise PipelineError naming the fix when `lock` no longer matches `source`."""
    if not Path(lock).exists():
        raise PipelineError(f"{lock} is missing: {FIX}")
    wanted = requirements(source)
    pinned, direct = pins(lock)
    for name, requirement in wanted.items():
        if name not in pinned:
            raise PipelineError(f"{lock} is stale: {requirement} is not pinned; {FIX}")
        if not requirement.specifier.contains(pinned[name], prereleases=True):
            raise PipelineError(
                f"{lock} is stale: {name}=={pinned[name]} does not satisfy {requirement}; {FIX}"
            )
    for name in sorted(direct - set(wanted) - included(source)):
        raise PipelineError(f"{lock} is stale: {name} is no longer in {source}; {FIX}")


def included(source: str | Path) -> set[str]:
    """Names required by the .in files that `source` pulls in with `-r`."""
    names: set[str] = set()
    for line in Path(source).read_text().splitlines():
        if line.startswith("-r "):
            other = Path(source).parent / line[3:].strip()
            names |= set(requirements(other)) | included(other)
    return names
