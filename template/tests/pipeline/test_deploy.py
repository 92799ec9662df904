"""What the deploy stage may run where (pipeline/deploy.py), before any registry is asked."""

import pytest

from pipeline import PipelineError, deploy

REPO = "registry.example.com/acme/shop"
DIGEST = "sha256:" + "a" * 64
PUBLISHED = {"image": REPO, "digest": DIGEST, "tags": ["1.2.3", "1.2", "1", "latest"]}


@pytest.mark.parametrize(("env", "ref", "version", "published", "tag"), [
    ("staging", f"{REPO}@{DIGEST}", "", None, "edge"),
    ("staging", "", "", {**PUBLISHED, "tags": ["edge", "sha-0123456"]}, "edge"),
    ("production", "", "", PUBLISHED, "1.2.3"),  # the release the last run published
    ("production", f"{REPO}@{DIGEST}", "1.2.4", PUBLISHED, "1.2.4"),
    ("production", f"{REPO}@{DIGEST}", "v2.0.0-rc.1", None, "2.0.0-rc.1"),  # a git tag's name
])
def test_each_environment_has_its_tag(env, ref, version, published, tag):
    chosen = deploy.target(env, ref, version, published)
    assert (chosen.ref, chosen.tag) == (f"{REPO}@{DIGEST}", tag)


@pytest.mark.parametrize(("env", "ref", "version", "published", "message"), [
    ("prod", "", "", PUBLISHED, "ENV='prod': expected staging or production"),
    ("staging", "", "", None, "no REF, and no artifacts/published.json: run make pipeline, or "
                              "give REF=<registry>/<repo>@sha256:..."),
    ("staging", f"{REPO}:edge", "", None, f"REF='{REPO}:edge': deploy by digest "
                                          "(<registry>/<repo>@sha256:...), never by tag"),
    ("staging", f"{REPO}@sha256:abc", "", None, f"REF='{REPO}@sha256:abc': deploy by digest "
                                                "(<registry>/<repo>@sha256:...), never by tag"),
    ("production", f"{REPO}@{DIGEST}", "", None, "production runs a release: give "
                                                 "VERSION=X.Y.Z, the release tag that names REF"),
    ("production", "", "", {**PUBLISHED, "tags": ["edge"]}, "production runs a release: give "
                                                            "VERSION=X.Y.Z, the release tag that "
                                                            "names REF"),
    ("production", "", "edge", PUBLISHED, "production runs a release: give VERSION=X.Y.Z, the "
                                          "release tag that names REF"),
])
def test_anything_else_is_one_line(env, ref, version, published, message):
    with pytest.raises(PipelineError) as error:
        deploy.target(env, ref, version, published)
    assert str(error.value) == message


def test_the_tag_must_name_the_very_digest():
    chosen = deploy.target("staging", f"{REPO}@{DIGEST}", "", None)
    deploy.check(chosen, {f"{REPO}:edge": DIGEST}.get)
    other = "sha256:" + "b" * 64
    with pytest.raises(PipelineError) as error:
        deploy.check(chosen, {f"{REPO}:edge": other}.get)
    assert str(error.value) == (f"{REPO}@{DIGEST} is not what {REPO}:edge names ({other}): "
                                "staging runs only what the pipeline published for it")
    with pytest.raises(PipelineError, match=rf"^{REPO}:edge does not exist: nothing was published"):
        deploy.check(chosen, {}.get)
