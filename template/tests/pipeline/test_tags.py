"""Tags hold to docker/metadata-action's documented answers, so local runs and CI agree.

Rows marked (README) are the action's own examples (v6 README: "Semver" and `type=ref` tables),
for the configuration in .github/workflows: type=semver {{version}}, {{major}}.{{minor}},
{{major}}; type=edge on main; type=ref,event=branch elsewhere; type=sha on branches; latest=auto.
"""

import pytest

from pipeline import PipelineError
from pipeline.tags import compute, slug

SHA = "860c1904a1ce19322e91ac35af1ab07466440c37"


@pytest.mark.parametrize(
    ("ref", "tags"),
    [
        ("refs/tags/v1.2.3", ["1.2.3", "1.2", "1", "latest"]),  # (README) + {{major}}
        ("refs/tags/v2.0.8-beta.67", ["2.0.8-beta.67"]),  # (README) pre-release: version only
        ("refs/tags/v1.2.3-rc.1", ["1.2.3-rc.1"]),
        ("refs/tags/v0.1.2", ["0.1.2", "0.1", "0", "latest"]),  # the action's default for v0
        ("refs/tags/v10.20.30", ["10.20.30", "10.20", "10", "latest"]),
        ("refs/heads/releases/v1", ["releases-v1", "sha-860c190"]),  # (README)
        ("refs/heads/my/branch", ["my-branch", "sha-860c190"]),  # (README)
        ("refs/heads/main", ["edge", "sha-860c190"]),  # type=edge, type=sha (sha-<7>)
        ("refs/pull/2/merge", ["pr-2", "sha-860c190"]),  # (README) type=ref,event=pr; never pushed
    ],
)
def test_same_tags_as_metadata_action(ref, tags):
    assert list(compute(ref, SHA).tags) == tags


def test_only_the_exact_release_version_is_immutable():
    assert compute("refs/tags/v1.2.3", SHA).immutable == ("1.2.3",)
    assert compute("refs/tags/v1.2.3-rc.1", SHA).immutable == ("1.2.3-rc.1",)
    assert compute("refs/heads/main", SHA).immutable == ()


def test_version_reported_by_the_image():
    assert compute("refs/tags/v1.2.3", SHA).version == "1.2.3"
    assert compute("refs/heads/main", SHA).version == "edge"


@pytest.mark.parametrize(
    "tag", ["v1.2", "1.2.3", "v1.2.3.4", "v01.2.3", "v1.2.3+build.5", "v1.2.3-", "release-1", "v"]
)
def test_malformed_release_tags_are_refused_with_the_form(tag):
    with pytest.raises(PipelineError) as error:
        compute(f"refs/tags/{tag}", SHA)
    assert str(error.value) == (
        f"release tag {tag!r} is malformed: expected vMAJOR.MINOR.PATCH[-PRERELEASE], "
        "e.g. v1.2.3 or v1.2.3-rc.1"
    )


def test_a_dirty_tree_never_gets_a_release_tag():
    with pytest.raises(PipelineError, match="uncommitted changes: commit or stash"):
        compute("refs/tags/v1.2.3", SHA, dirty=True)


def test_a_dirty_tree_is_marked_on_branches():
    assert compute("refs/heads/main", SHA, dirty=True).tags == ("edge", "sha-860c190-dirty")


@pytest.mark.parametrize("ref", ["refs/pull/x/merge", "main", "refs/remotes/origin/main"])
def test_unknown_refs_are_refused(ref):
    with pytest.raises(PipelineError, match="is not refs/heads/<branch>, refs/pull/<n>/merge or"):
        compute(ref, SHA)


def test_bad_sha_is_refused():
    with pytest.raises(PipelineError, match="not a hex git SHA"):
        compute("refs/heads/main", "HEAD")


def test_slug_keeps_docker_tag_characters():
    assert slug("feature/Äpfel_v1.2") == "feature-pfel_v1.2"
