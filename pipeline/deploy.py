"""The deploy stage's decision: only what the pipeline published for an environment deploys, and
by digest. Staging runs what `edge` names, production what a release version names; anything
else is refused, naming why, before anything changes."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pipeline import PipelineError
from pipeline.tags import RELEASE_TAG

# The tag that names what each environment may run; production's is the release version.
TAGS = {"staging": "edge", "production": ""}
DIGEST_REF = re.compile(r"^(?P<repo>[^@\s]+)@(?P<digest>sha256:[0-9a-f]{64})$")


def release(tag: str) -> bool:
    """A release's own tag (X.Y.Z, or X.Y.Z-rc.1): the one that never moves."""
    return RELEASE_TAG.match(f"v{tag}") is not None


@dataclass(frozen=True)
class Target:
    env: str
    repo: str
    digest: str
    tag: str

    @property
    def ref(self) -> str:
        return f"{self.repo}@{self.digest}"


def target(env: str, ref: str, version: str, published: dict[str, object] | None) -> Target:
    """What to deploy where: REF (default: what the last `make pipeline` published) and the tag
    that must name it."""
    if env not in TAGS:
        raise PipelineError(f"ENV={env!r}: expected {' or '.join(TAGS)}")
    if not ref:
        if not published:
            raise PipelineError("no REF, and no artifacts/published.json: run make pipeline, or "
                                "give REF=<registry>/<repo>@sha256:...")
        ref = f"{published['image']}@{published['digest']}"
    repo, digest = split(ref)
    tag = TAGS[env] or version.removeprefix("v")  # the git tag vX.Y.Z, or X.Y.Z
    if not tag and published and f"{published['image']}@{published['digest']}" == ref:
        tags = published.get("tags")
        tag = next((t for t in tags if release(t)), "") if isinstance(tags, list) else ""
    if env == "production" and not release(tag):
        raise PipelineError("production runs a release: give VERSION=X.Y.Z, the release tag "
                            "that names REF")
    return Target(env, repo, digest, tag)


def split(ref: str) -> tuple[str, str]:
    """`<registry>/<repo>@sha256:...` as its repository and digest; a tag is refused."""
    found = DIGEST_REF.match(ref)
    if not found:
        raise PipelineError(f"REF={ref!r}: deploy by digest (<registry>/<repo>@sha256:...), "
                            "never by tag")
    return found["repo"], found["digest"]


def check(chosen: Target, lookup: Callable[[str], str | None]) -> None:
    """The environment's tag must name the very digest: `lookup` gives a tag's digest, or None
    when the registry has no such tag."""
    named = f"{chosen.repo}:{chosen.tag}"
    actual = lookup(named)
    if actual is None:
        raise PipelineError(f"{named} does not exist: nothing was published for {chosen.env}")
    if actual != chosen.digest:
        raise PipelineError(f"{chosen.ref} is not what {named} names ({actual}): {chosen.env} "
                            "runs only what the pipeline published for it")


def lookup(ref: str) -> str | None:
    from pipeline import publish

    return None if publish.inspect(ref) is None else publish.digest_of(ref)


def main(env: str, ref: str, version: str, artifacts: Path) -> Target:
    path = artifacts / "published.json"
    published = json.loads(path.read_text()) if path.is_file() else None
    chosen = target(env, ref, version, published)
    check(chosen, lookup)
    return chosen
