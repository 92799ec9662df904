"""Which ref the pipeline builds: an explicit REF (as CI gives it), else what git says of HEAD."""

from __future__ import annotations

import os
import subprocess

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
    dirty = bool(git("status", "--porcelain", "--untracked-files=no"))
    releases = git("tag", "--points-at", "HEAD", "--list", "v*").split()
    if len(releases) > 1:
        raise PipelineError(f"HEAD has several release tags ({' '.join(releases)}): set REF")
    if releases:
        return f"refs/tags/{releases[0]}", sha, dirty
    branch = git("rev-parse", "--abbrev-ref", "HEAD")
    if branch == "HEAD":
        raise PipelineError("HEAD is detached and not tagged: set REF=refs/heads/<branch>")
    return f"refs/heads/{branch}", sha, dirty


def commit_time(sha: str) -> str:
    """The commit's time in UTC: a rebuild of the same commit gets the same `created` label."""
    utc = {**os.environ, "TZ": "UTC"}  # format-local formats in $TZ
    return git("show", "-s", "--format=%cd", "--date=format-local:%Y-%m-%dT%H:%M:%SZ", sha, env=utc)


def commit_epoch(sha: str) -> str:
    """The same time as seconds since the epoch, for SOURCE_DATE_EPOCH (reproducible builds)."""
    return git("show", "-s", "--format=%ct", sha)
