"""Image tags from a git ref: the only tag code, for `make` and CI alike. Its semantics are
docker/metadata-action's documented ones, so teams coming from it get the tags they expect:
    type=semver,pattern={{version}} / {{major}}.{{minor}} / {{major}}, type=edge,branch=main,
    type=ref,event=branch (other branches), type=sha (branches), flavor latest=auto.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipeline import PipelineError

# semver.org's grammar, with the "v" prefix metadata-action strips; build metadata is not allowed
# in a Docker tag ("+"), so it is refused rather than silently mangled.
RELEASE_TAG = re.compile(
    r"^v(?P<major>0|[1-9]\d*)\.(?P<minor>0|[1-9]\d*)\.(?P<patch>0|[1-9]\d*)"
    r"(?:-(?P<pre>(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)"
    r"(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?$"
)
EXPECTED_FORM = "vMAJOR.MINOR.PATCH[-PRERELEASE], e.g. v1.2.3 or v1.2.3-rc.1"
DEFAULT_BRANCH = "main"


@dataclass(frozen=True)
class Tags:
    version: str  # what the image reports as its version
    tags: tuple[str, ...]  # every tag to push, the immutable one (if any) first
    immutable: tuple[str, ...]  # tags that may never move once pushed


def for_release(tag: str, dirty: bool = False) -> Tags:
    """Tags for a release `vX.Y.Z`: X.Y.Z, X.Y, X and latest; a pre-release gets only its own."""
    match = RELEASE_TAG.match(tag)
    if not match:
        raise PipelineError(f"release tag {tag!r} is malformed: expected {EXPECTED_FORM}")
    if dirty:
        raise PipelineError(
            f"the work tree has uncommitted changes: commit or stash them before releasing {tag}"
        )
    version = tag[1:]
    if match["pre"] is not None:
        return Tags(version, (version,), (version,))
    major, minor = match["major"], match["minor"]
    return Tags(version, (version, f"{major}.{minor}", major, "latest"), (version,))


def slug(branch: str) -> str:
    """A branch name as a Docker tag, the way metadata-action's type=ref,event=branch writes it."""
    return re.sub(r"[^a-zA-Z0-9._-]+", "-", branch)


def for_branch(branch: str, sha: str, dirty: bool = False) -> Tags:
    """main -> edge and sha-<7>; another branch -> its slug and sha-<7>."""
    if not re.fullmatch(r"[0-9a-f]{7,40}", sha):
        raise PipelineError(f"commit {sha!r} is not a hex git SHA")
    # A dirty tree is not the commit it names: mark its tag so it can never pass for that commit.
    short = f"sha-{sha[:7]}" + ("-dirty" if dirty else "")
    head = "edge" if branch == DEFAULT_BRANCH else slug(branch)
    return Tags(head, (head, short), ())


def compute(ref: str, sha: str, dirty: bool = False) -> Tags:
    """Tags for a full git ref (refs/tags/..., refs/heads/..., refs/pull/N/merge), as GitHub
    gives it; a pull request's tags only label the image it tests, they are never pushed."""
    if ref.startswith("refs/tags/"):
        return for_release(ref.removeprefix("refs/tags/"), dirty)
    if ref.startswith("refs/heads/"):
        return for_branch(ref.removeprefix("refs/heads/"), sha, dirty)
    if match := re.fullmatch(r"refs/pull/(\d+)/(merge|head)", ref):
        return for_branch(f"pr-{match[1]}", sha, dirty)
    raise PipelineError(
        f"ref {ref!r} is not refs/heads/<branch>, refs/pull/<n>/merge or refs/tags/{EXPECTED_FORM}"
    )
