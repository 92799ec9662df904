"""`make pipeline` end to end: a real engine, a real registry, the real Trivy with a planted DB."""

import json
import re
import socket

import pytest

from template.tests.docker import docker
from template.tests.pipeline.conftest import last_line
from template.tests.support.registry import VULNERABLE

pytestmark = [pytest.mark.container, pytest.mark.registry]

STAGES = ["preflight", "build", "smoke", "scan", "check", "publish", "sign"]


def image_of(project):
    return project.env["IMAGE"]


def assert_ran(result, stages, failed=None):
    lines = [line for line in result.stdout.splitlines() if re.match(r"^\[\d/6\] ", line)]
    expected = [f"[{i}/6] {name}" for i, name in enumerate(stages)]
    assert [line[: len(e)] for line, e in zip(lines, expected)] == expected, result.stdout
    for line in lines:
        assert re.search(r"(ok|FAILED) +\d+s", line), line
    if failed:
        assert "FAILED" in lines[-1] and failed in lines[-1]


def test_pipeline_pushes_and_reruns_to_the_same_digest(project, registry):
    first = project.make()
    assert first.returncode == 0, first.stdout + first.stderr
    assert_ran(first, STAGES)
    image = image_of(project)
    sha = project.git("rev-parse", "--short=7", "HEAD")
    assert registry.tags(image) == sorted(["edge", f"sha-{sha}"])
    assert registry.tags(f"{image}-buildcache") == ["amd64"]  # the local twin of type=gha
    digest = registry.digest(image, "edge")
    assert re.search(rf"\| digest +\| {digest} \|", first.stdout)
    assert re.search(r"\| tags pushed +\| edge sha-", first.stdout)
    assert re.search(r"\| linux/amd64 +\| sha256:[0-9a-f]{64}; passed: smoke, scan \|",
                     first.stdout)
    assert re.search(r"\| vulnerabilities +\| none found", first.stdout)
    record = json.loads((project.path / "artifacts/run.json").read_text())
    (built,) = record["platforms"]
    # What was tagged is what was smoke-tested and scanned: the index holds that digest.
    assert registry.manifests(image, "edge") == {"linux/amd64": built["digest"]}
    verified = project.make("verify", REF=f"{registry.address}/{image}:edge")
    assert verified.returncode == 0, verified.stderr
    assert re.search(r"linux/amd64 sha256:[0-9a-f]{64}: signed\n +SBOM \(CycloneDX\): \d+ "
                     r"components, \d+ Python packages\n +provenance \(v0\.2\): builder ",
                     verified.stdout), verified.stdout

    artifacts = project.path / "artifacts"
    sbom = json.loads((artifacts / "sbom-amd64.cdx.json").read_text())
    assert sbom["bomFormat"] == "CycloneDX"
    python = {c["name"].lower() for c in sbom["components"] if "pkg:pypi/" in c.get("purl", "")}
    assert {"flask", "gunicorn", "jinja2"} <= python
    assert not python & {"pip", "setuptools", "wheel", "pytest"}  # nothing but the app's lock
    assert json.loads((artifacts / "trivy-amd64.json").read_text())["ArtifactName"]
    assert json.loads((artifacts / "trivy-amd64.sarif").read_text())["runs"]

    second = project.make()
    assert second.returncode == 0, second.stdout + second.stderr
    again = json.loads((project.path / "artifacts/run.json").read_text())["platforms"]
    assert again == [built], "an unchanged tree rebuilds the same image"
    assert registry.digest(image, "edge") == digest, second.stdout


def vulnerable_lock(project):
    """What a team does to pin an older release: pip-compile, as `make lock` runs it."""
    project.edit("requirements.in", "flask\n", "flask\njinja2==3.1.5\n")
    result = project.make("lock")
    assert result.returncode == 0, result.stderr
    assert "jinja2==3.1.5" in (project.path / "requirements.txt").read_text()
    project.commit("pin a vulnerable jinja2")


def test_vulnerable_lock_fails_the_scan_and_pushes_nothing(project, registry):
    vulnerable_lock(project)
    result = project.make()
    assert result.returncode != 0
    assert_ran(result, STAGES[:4], failed="scan")
    assert last_line(result) == (
        "pipeline stopped at scan: scan failed: 1 finding(s) block the release: "
        f"Jinja2 3.1.5: {VULNERABLE.id} (HIGH, fixed in 3.1.6); nothing was published"
    )
    assert registry.tags(image_of(project)) == []


def accept(project, expiry):
    (project.path / ".trivyignore.yaml").write_text(
        f"vulnerabilities:\n  - id: {VULNERABLE.id}\n"
        f"    statement: templates are never sandboxed here\n    expired_at: {expiry}\n"
    )


def test_accepted_risk_passes_until_it_expires(project, registry):
    vulnerable_lock(project)
    accept(project, "2099-01-01")
    project.commit("accept the risk")
    passed = project.make("build", "scan")
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "scan passed" in passed.stdout

    accept(project, "2020-01-01")
    project.commit("the acceptance expired")
    failed = project.make("build", "scan")
    assert failed.returncode != 0
    assert "accepted risk GHSA-cpwx-vrp4-4pq7 (expired 2020-01-01)" in failed.stderr
    assert f"scan failed: 1 finding(s) block the release: Jinja2 3.1.5: {VULNERABLE.id}" in (
        failed.stdout
    )


def test_scanner_failure_is_not_a_finding(project, registry):
    result = project.make(TRIVY_DB_REPOSITORY=f"{registry.address}/no-such-db:2",
                          TRIVY_CACHE_DIR=str(project.path / "empty-cache"))
    assert result.returncode != 0
    assert_ran(result, STAGES[:4], failed="scan")
    assert re.match(r"pipeline stopped at scan: scan broken: the scanner broke \(trivy exited 1\)",
                    last_line(result)), last_line(result)
    assert registry.tags(image_of(project)) == []


def test_a_two_platform_release_is_immutable(project, registry):
    """arm64 runs under QEMU here, as on a laptop; CI gives each platform its own runner."""
    two = {"PLATFORMS": "linux/amd64,linux/arm64"}
    project.git("tag", "v1.0.0")
    first = project.make(**two)
    assert first.returncode == 0, first.stdout + first.stderr
    assert_ran(first, STAGES)
    image = image_of(project)
    released = registry.state(image)
    assert sorted(released) == ["1", "1.0", "1.0.0", "latest"]
    assert len(set(released.values())) == 1
    record = json.loads((project.path / "artifacts/run.json").read_text())
    tested = {p["platform"]: p["digest"] for p in record["platforms"]}
    assert all(p["passed"] == ["smoke", "scan"] for p in record["platforms"])
    assert registry.manifests(image, "1.0.0") == tested and len(set(tested.values())) == 2
    verified = project.make("verify", REF=f"{registry.address}/{image}:1.0.0")
    assert "(3 manifest(s))" in verified.stdout, verified.stdout + verified.stderr

    again = project.make(**two)  # the same content again: a no-op, not a refusal
    assert again.returncode == 0, again.stdout + again.stderr
    assert f"release already published at {released['1.0.0']}" in again.stdout
    assert registry.state(image) == released

    project.git("tag", "-d", "v1.0.0")
    # Beside the package: the sample stays as shipped, which the check stage's tests hold.
    (project.path / "src/other.py").write_text("# other content\n")
    project.commit("other content")
    project.git("tag", "v1.0.0")
    refused = project.make(**two)
    assert refused.returncode != 0
    assert_ran(refused, STAGES[:6], failed="publish")
    assert last_line(refused) == (
        f"pipeline stopped at publish: error: release 1.0.0 already exists at "
        f"{released['1.0.0']} with other content: release tags are immutable; cut a new "
        "version instead")
    assert registry.state(image) == released  # not even latest moved


def test_prerelease_gets_only_its_own_tag(project, registry):
    project.git("tag", "v2.0.0-rc.1")
    result = project.make()
    assert result.returncode == 0, result.stdout + result.stderr
    assert registry.tags(image_of(project)) == ["2.0.0-rc.1"]


@pytest.mark.parametrize("change", ["src/app/greeting.py", "src/app/untracked.py"])
def test_dirty_tree_never_gets_a_release(project, registry, change):
    """An edit, or an untracked file the build context would ship, is not the tagged commit."""
    project.git("tag", "v1.0.0")
    (project.path / change).write_text("# uncommitted\n", encoding="utf-8")
    result = project.make()
    assert result.returncode != 0
    assert_ran(result, STAGES[:1], failed="preflight")
    assert last_line(result) == (
        "pipeline stopped at preflight: error: the work tree has uncommitted changes: "
        "commit or stash them before releasing v1.0.0; nothing was published"
    )


def test_malformed_tag_is_refused(project, registry):
    project.git("tag", "v1.0")
    result = project.make()
    assert result.returncode != 0
    assert last_line(result) == (
        "pipeline stopped at preflight: error: release tag 'v1.0' is malformed: expected "
        "vMAJOR.MINOR.PATCH[-PRERELEASE], e.g. v1.2.3 or v1.2.3-rc.1; nothing was published"
    )
    assert registry.tags(image_of(project)) == []


def test_registry_down(project, registry):
    down = "127.0.0.1:9"  # discard port: nothing listens
    result = project.make(REGISTRY=down)
    assert result.returncode != 0
    assert re.fullmatch(r"pipeline stopped at preflight: error: registry 127\.0\.0\.1:9 is not "
                        r"reachable \(.+\): start it with `make registry` or set REGISTRY; "
                        r"nothing was published", last_line(result)), last_line(result)


def test_engine_down(project, registry):
    result = project.make(DOCKER_HOST="unix:///nonexistent/docker.sock")
    assert result.returncode != 0
    assert last_line(result) == (
        "pipeline stopped at preflight: error: the Docker engine is not reachable: start it or "
        "set DOCKER_HOST (on Debian: make engine); nothing was published"
    )
    assert registry.tags(image_of(project)) == []


def test_engine_down_with_the_default_registry_names_the_engine(project, registry):
    """make starts the default registry first: with no engine, the first word is the engine's,
    not that registry:2 cannot be pulled."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        free = f"127.0.0.1:{s.getsockname()[1]}"
    result = project.make("pipeline", f"DEFAULT_REGISTRY={free}", f"REGISTRY={free}",
                          DOCKER_HOST="unix:///nonexistent/docker.sock")
    assert result.returncode != 0
    assert last_line(result) == (
        "error: the Docker engine is not reachable: start it or set DOCKER_HOST (on Debian: make "
        "engine)")


def test_verify_refuses_a_repushed_tag_and_an_unsigned_digest(project, registry):
    assert project.make().returncode == 0
    image = f"{registry.address}/{image_of(project)}"
    assert project.make("verify", REF=f"{image}:edge").returncode == 0
    built = json.loads((project.path / "artifacts/run.json").read_text())["platforms"][0]
    # Someone pushes other content under the tag: same image, a new (unsigned) index.
    docker("buildx", "imagetools", "create", "--annotation", "index:note=repushed",
           "--tag", f"{image}:edge", f"{image}@{built['digest']}")
    repushed = project.make("verify", REF=f"{image}:edge")
    assert repushed.returncode != 0
    assert re.search(r"verify: .+@sha256:[0-9a-f]{64} is not signed by .+pipeline\.pub",
                     repushed.stderr), repushed.stderr
    other = project.make("verify", REF=f"{registry.address}/trivy-db:2")
    assert other.returncode != 0 and "is not signed by" in other.stderr


def test_trivy_names_the_fix_when_missing(project, registry):
    assert project.make("build").returncode == 0
    result = project.make("scan", TRIVY="/nonexistent/trivy")
    assert result.returncode != 0
    assert "scan: no Trivy at '/nonexistent/trivy': make venv, or set TRIVY to its path" in (
        result.stderr)


def test_a_platform_without_emulation_is_refused_before_any_stage(project, registry):
    result = project.make(PLATFORMS="linux/amd64,linux/s390x")
    assert result.returncode != 0
    assert_ran(result, STAGES[:1], failed="preflight")
    assert re.fullmatch(r"pipeline stopped at preflight: error: this builder cannot build "
                        r"linux/s390x \(it has: .+\): install QEMU \(apt-get install "
                        r"qemu-user-static binfmt-support\) or drop it from PLATFORMS; nothing "
                        r"was published", last_line(result)), last_line(result)
