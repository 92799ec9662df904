"""The run record, `$ARTIFACTS/run.json`: what was built for which platform, where it was pushed,
and what passed. Every stage reads it and adds to it; CI hands it from job to job as an artifact.
Publishing tags only digests whose record says built, pushed, smoke-tested and scanned."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from pipeline import PipelineError

STAGES = ("smoke", "scan")


@dataclass
class Platform:
    platform: str  # os/arch, e.g. linux/amd64
    ref: str  # what smoke and scan run: repo@digest once pushed, else a local tag
    config: str  # the image config's digest: layers and run-time settings
    digest: str = ""  # the pushed manifest's digest; empty until pushed
    passed: list[str] = field(default_factory=list)

    @property
    def published(self) -> bool:
        """May this platform's digest get a tag?"""
        return bool(self.digest) and all(stage in self.passed for stage in STAGES)


@dataclass
class Run:
    image: str  # registry/repository
    ref: str  # the git ref built, e.g. refs/heads/main
    revision: str
    version: str
    tags: list[str]
    immutable: list[str]
    platforms: list[Platform] = field(default_factory=list)
    created: str = ""  # the commit's time, UTC, ISO 8601: what "newer" means for a branch tag

    def platform(self, name: str) -> Platform:
        for found in self.platforms:
            if found.platform == name:
                return found
        raise PipelineError(f"the run record has no {name} build: run make build")

    def add(self, built: Platform) -> None:
        self.platforms = [p for p in self.platforms if p.platform != built.platform] + [built]

    def passed(self, stage: str, platform: str) -> None:
        if stage not in STAGES:
            raise PipelineError(f"unknown stage {stage!r}: one of {', '.join(STAGES)}")
        found = self.platform(platform)
        if stage not in found.passed:
            found.passed.append(stage)

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(asdict(self), indent=2) + "\n")


def load(path: Path) -> Run:
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise PipelineError(f"no run record at {path}: run make build first") from None
    except ValueError as error:
        raise PipelineError(f"{path} is not a run record ({error}): run make build again") from None
    platforms = [Platform(**p) for p in data.pop("platforms", [])]
    return Run(**data, platforms=platforms)


def merge(runs: list[Run]) -> Run:
    """One run from the per-platform records of CI's matrix jobs: same commit, same tags."""
    if not runs:
        raise PipelineError("no run records to publish: did the build jobs upload run-record-*?")
    first = runs[0]
    merged = Run(first.image, first.ref, first.revision, first.version, list(first.tags),
                 list(first.immutable), created=first.created)
    for run in runs:
        if (run.image, run.revision, run.tags) != (first.image, first.revision, first.tags):
            raise PipelineError(
                f"run records disagree ({run.image}@{run.revision} vs "
                f"{first.image}@{first.revision}): publish records of one commit only")
        for platform in run.platforms:
            if any(p.platform == platform.platform for p in merged.platforms):
                raise PipelineError(f"two run records build {platform.platform}: one per platform")
            merged.platforms.append(platform)
    return merged
