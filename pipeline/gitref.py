"""Which ref the pipeline builds: an explicit REF (as CI gives it), else what git says of HEAD."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import Mapping

from pipeline import PipelineError


def git(*args: str, env: dict[str, str] | None = None) -> str:
    return subprocess.run(
        ["git", *args], check=True, capture_output=True, text=True, env=env
    ).stdout.strip()


def head() -> tuple[str, str, bool]:
    """(ref, sha, dirty) of the work tree: a v* tag at HEAD makes it a release."""
    try:
        sha = git("rev-parse", "HEAD")
    except (OSError, subprocess.CalledProcessError):
        raise PipelineError("not a git work tree with a commit: commit first, or set REF and SHA")
    dirty = bool(git("status", "--porcelain", "--untracked-files=no") or untracked_in_context())
    releases = git("tag", "--points-at", "HEAD", "--list", "v*").split()
    if len(releases) > 1:
        raise PipelineError(f"HEAD has several release tags ({' '.join(releases)}): set REF")
    if releases:
        return f"refs/tags/{releases[0]}", sha, dirty
    branch = git("rev-parse", "--abbrev-ref", "HEAD")
    if branch == "HEAD":
        raise PipelineError("HEAD is detached and not tagged: set REF=refs/heads/<branch>")
    return f"refs/heads/{branch}", sha, dirty


def ignores(text: str) -> list[tuple[bool, re.Pattern[str]]]:
    """.dockerignore's patterns in order, as Docker reads them (moby/patternmatcher): `!` keeps
    what an earlier line excluded, `*` stays within a folder, `**` crosses folders, and a
    pattern that matches a folder matches everything in it."""
    rules = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        keep = line.startswith("!")
        pattern = os.path.normpath(line.removeprefix("!").strip()).lstrip("/")
        regex = ""
        for part in re.split(r"(\*\*/?|\*|\?|\[[^]]*\])", pattern):
            if part.startswith("[") and part.endswith("]") and len(part) > 1:
                regex += "[" + re.sub(r"^!", "^", part[1:-1]) + "]"  # a class, as in Go
                continue
            regex += {"**/": "(?:.*/)?", "**": ".*", "*": "[^/]*", "?": "[^/]"}.get(
                part, re.escape(part))
        rules.append((keep, re.compile(f"{regex}(?:/.*)?")))
    return rules


def in_context(path: str, rules: list[tuple[bool, re.Pattern[str]]]) -> bool:
    sent = True
    for keep, pattern in rules:
        if pattern.fullmatch(path):
            sent = keep
    return sent


def untracked_in_context() -> list[str]:
    """Untracked files (not git-ignored) that `docker build .` would send: they would ship in
    an image labelled with a commit that does not hold them."""
    found = git("ls-files", "-z", "--others", "--exclude-standard").split("\0")
    dockerignore = Path(".dockerignore")
    rules = ignores(dockerignore.read_text() if dockerignore.is_file() else "")
    return [path for path in found if path and in_context(path, rules)]


REMOTE = re.compile(r"^(?:[a-z+]+://)?(?:[^@/]+@)?(?P<host>[^:/]+)(?::\d+)?[:/]"
                    r"(?P<path>.+?)(?:\.git)?/?$")


def source_url(env: Mapping[str, str] = os.environ) -> str:
    """The repository's web address, for the image's source label (GHCR links a package to its
    repository by it): GitHub's server and repository in Actions, else the `origin` remote as
    https; "" when there is neither."""
    if env.get("GITHUB_SERVER_URL") and env.get("GITHUB_REPOSITORY"):
        return f"{env['GITHUB_SERVER_URL'].rstrip('/')}/{env['GITHUB_REPOSITORY']}"
    try:
        remote = git("remote", "get-url", "origin")
    except (OSError, subprocess.CalledProcessError):
        return ""
    found = REMOTE.match(remote)
    if not found or remote.startswith(("/", "file:", ".")):
        return ""
    return f"https://{found['host']}/{found['path']}"


def commit_time(sha: str) -> str:
    """The commit's time in UTC: a rebuild of the same commit gets the same `created` label."""
    utc = {**os.environ, "TZ": "UTC"}  # format-local formats in $TZ
    return git("show", "-s", "--format=%cd", "--date=format-local:%Y-%m-%dT%H:%M:%SZ", sha, env=utc)


def commit_epoch(sha: str) -> str:
    """The same time as seconds since the epoch, for SOURCE_DATE_EPOCH (reproducible builds)."""
    return git("show", "-s", "--format=%ct", sha)
