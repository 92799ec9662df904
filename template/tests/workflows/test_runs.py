"""The workflows, executed with act (harness.py): each scenario is a real run of ci.yml or
release.yml for acme/shop, asserted on the registry, the jobs' outcomes and what GitHub's side
recorded (logins, signatures, releases, artifacts)."""

import json
import re
import subprocess
import urllib.request

import pytest

from template.tests.docker import ROOT
from template.tests.support.registry import free_port

pytestmark = [pytest.mark.container, pytest.mark.registry]

SETTINGS, CHECK = "Settings", "Lock check, lint, unit tests"
AMD64 = "Build, smoke, scan (linux/amd64)"  # read-only: pull requests, the weekly scan
PUSH_AMD64 = "Build, push by digest, smoke, scan (linux/amd64)"
PUSH_ARM64 = "Build, push by digest, smoke, scan (linux/arm64)"
SARIF_AMD64 = "Code scanning (linux/amd64)"
PUBLISH, SIGN, RELEASE = "Tag the tested digests", "Sign", "Release"
STAGING, PRODUCTION = "Deploy (staging)", "Deploy (production)"
MAIN = {"ref": "refs/heads/main"}
TAG = {"ref": "refs/tags/v1.2.3"}


def pull_request(number, head, base):
    return {"number": number, "pull_request": {
        "number": number, "head": {"ref": "feature", "sha": "0" * 40, "repo": {"full_name": head}},
        "base": {"ref": "main", "repo": {"full_name": base}}}}


def ok(result, *jobs):
    assert result.code == 0, result
    assert result.jobs == dict.fromkeys(jobs, "succeeded"), result


def record(result, run_id, arch="amd64"):
    """The run record the platform job uploaded (the artifact, as publish downloads it)."""
    path = result.store / "artifacts" / str(run_id) / f"run-record-{arch}" / "run.json"
    return json.loads(path.read_text())


def repository_exists(registry, repository):
    status, _, body = registry.get("/v2/_catalog")
    return status == 200 and repository in json.loads(body)["repositories"]


@pytest.mark.parametrize("is_template", [False, True], ids=["made-from-it", "the-template"])
def test_the_first_push_of_a_repository_made_from_the_template_adopts_it(shop, is_template):
    first = shop.commit_sha()
    repository = {"full_name": shop.name, "name": shop.name.split("/")[1],
                  "visibility": shop.visibility, "is_template": is_template}
    result = shop.run("adopt.yml", "push", {**MAIN, "repository": repository})
    assert result.code == 0, result
    if is_template:  # the template's own pushes never adopt it
        assert result.jobs == {} and shop.commit_sha() == first
        assert (shop.path / "template").is_dir()
        return
    ok(result, "adopt")
    assert shop.git("log", "--format=%s", f"{first}..") == (
        "Adopt the template: remove what only proves it, name the image")
    changed = shop.git("diff", "--name-only", "--diff-filter=M", first).split()
    assert changed == ["Makefile", "README.md"]
    removed = shop.git("diff", "--name-only", "--diff-filter=D", first).splitlines()
    assert {path.split("/")[0] for path in removed} == {"template", ".ci", ".github"}
    assert [p for p in removed if p.startswith(".github/")] == [".github/workflows/adopt.yml"]
    assert f"IMAGE ?= {repository['name']}\n" in (shop.path / "Makefile").read_text()
    assert (shop.path / "README.md").read_text().startswith(f"# {repository['name']}\n")


@pytest.mark.parametrize("fork", [False, True], ids=["same-repository", "fork"])
def test_a_pull_request_is_tested_and_nothing_is_pushed(shop, registry, fork):
    shop.variables["SARIF_UPLOAD"] = "true"
    payload = pull_request(8 if fork else 7, "eve/shop" if fork else shop.name, shop.name)
    result = shop.run("ci.yml", "pull_request", payload)
    # The SARIF goes to code scanning from a job of its own; a fork's token cannot write it.
    ok(result, SETTINGS, CHECK, AMD64, *([] if fork else [SARIF_AMD64]))
    assert result.records("logins") == []
    assert not repository_exists(registry, shop.name)
    built = record(result, 1)
    assert built["ref"] == f"refs/pull/{payload['number']}/merge"
    assert all(p["passed"] == ["smoke", "scan"] and not p["digest"] for p in built["platforms"])
    uploads = result.records("sarif")
    assert [u["category"] for u in uploads] == ([] if fork else ["trivy-amd64"])


def test_push_to_main_tags_exactly_the_scanned_digest(shop, registry):
    result = shop.run("ci.yml", "push", MAIN)
    ok(result, SETTINGS, CHECK, PUSH_AMD64, PUBLISH, STAGING)  # no key: edge goes unsigned
    sha = shop.commit_sha()
    (built,) = record(result, 1)["platforms"]
    assert built["passed"] == ["smoke", "scan"]
    assert registry.tags(shop.name) == sorted(["edge", f"sha-{sha[:7]}"])
    for tag in registry.tags(shop.name):
        assert registry.manifests(shop.name, tag) == {"linux/amd64": built["digest"]}
    assert [login["job"] for login in result.records("logins")] == ["image-push", "publish"]
    labels = json.loads(subprocess.run(
        ["docker", "buildx", "imagetools", "inspect", "--format", "{{json .Image.Config.Labels}}",
         f"{shop.image}@{built['digest']}"], capture_output=True, text=True, check=True).stdout)
    assert labels["org.opencontainers.image.source"] == f"https://github.com/{shop.name}"
    assert labels["org.opencontainers.image.revision"] == sha
    published = result.summary(PUBLISH)
    assert f"| digest      | {registry.digest(shop.name, 'edge')} |" in published, published
    assert f"| tags pushed | edge sha-{sha[:7]} |" in published, published
    platform = result.summary(PUSH_AMD64)
    assert re.search(r"^\| scan +\| passed \|$", platform, re.M), platform
    # A new repository has no deploy target: green, and it says so.
    assert "The staging environment has no DEPLOY_HOST (or KUBECONFIG) secret: " in \
        result.summary(STAGING)
    assert f"| linux/amd64     | {built['digest']}; passed: smoke, scan |" in platform


def test_a_two_platform_push_to_main_tags_both_scanned_digests(shop, registry):
    shop.variables["PLATFORMS"] = "linux/amd64,linux/arm64"
    result = shop.run("ci.yml", "push", MAIN)
    ok(result, SETTINGS, CHECK, PUSH_AMD64, PUSH_ARM64, PUBLISH, STAGING)
    tested = {arch: record(result, 1, arch)["platforms"][0]["digest"]
              for arch in ("amd64", "arm64")}
    assert registry.manifests(shop.name, "edge") == {
        "linux/amd64": tested["amd64"], "linux/arm64": tested["arm64"]}


def test_a_vulnerable_lock_on_main_stops_at_the_scan_and_tags_nothing(shop, registry):
    shop.edit("requirements.in", "flask\n", "flask\njinja2==3.1.5\n")
    venv = ROOT / ".venv"  # `make lock` as a team runs it, with the repository's tools
    locked = subprocess.run(["make", "--no-print-directory", f"VENV={venv}", "-o",
                             f"{venv}/.installed", "lock"], cwd=shop.path, capture_output=True,
                            text=True)
    assert locked.returncode == 0, locked.stderr
    shop.commit("pin a vulnerable jinja2")
    result = shop.run("ci.yml", "push", MAIN)
    assert result.code != 0
    assert result.jobs[PUSH_AMD64] == "failed" and PUBLISH not in result.jobs, result
    assert "scan failed: 1 finding(s)" in result.output
    assert registry.tags(shop.name) == []


def test_a_failing_check_pushes_nothing(shop, registry):
    with open(shop.path / "pipeline/tags.py", "a") as module:
        module.write("\nimport os\n")  # flake8: an unused import, not at the top
    shop.commit("lint breaks")
    result = shop.run("ci.yml", "push", MAIN)
    assert result.code != 0
    assert result.jobs == {SETTINGS: "succeeded", CHECK: "failed"}, result
    assert not repository_exists(registry, shop.name)


def test_the_weekly_schedule_scans_and_never_tags(shop, registry):
    result = shop.run("ci.yml", "schedule", {"schedule": "17 5 * * 1"})
    ok(result, SETTINGS, CHECK, AMD64)
    assert record(result, 1)["platforms"][0]["passed"] == ["smoke", "scan"]
    assert result.records("logins") == []
    assert not repository_exists(registry, shop.name)


def keys(shop, tmp_path):
    """A key pair as `cosign generate-key-pair` makes it, its private half a secret."""
    subprocess.run(["cosign", "generate-key-pair", "--output-key-prefix", str(tmp_path / "k")],
                   env={"COSIGN_PASSWORD": "s3cret", "PATH": "/usr/bin:/bin:/usr/local/bin"},
                   check=True, capture_output=True, cwd=tmp_path)
    shop.secrets |= {"COSIGN_PRIVATE_KEY": (tmp_path / "k.key").read_text().strip(),
                     "COSIGN_PASSWORD": "s3cret"}
    return tmp_path / "k.pub"


def test_a_push_to_main_deploys_the_signed_edge_to_staging_over_ssh(
        shop, registry, tmp_path, swarm, sshd):
    """The staging environment's secrets name a swarm manager: the deploy job reaches it over
    SSH with that key and those known hosts only, verifies edge's signature and runs it with
    staging's settings and the app's secret (a GitHub secret of the name env/secrets lists, a
    file in the task); the summary names what was requested and what ran before."""
    keys(shop, tmp_path)
    port = free_port()
    shop.variables["DEPLOY_PORT"] = str(port)
    shop.secrets |= {"DEPLOY_HOST": sshd.host, "DEPLOY_USER": sshd.user,
                     "DEPLOY_SSH_KEY": sshd.key, "DEPLOY_KNOWN_HOSTS": sshd.known_hosts,
                     "SECRET_KEY": "staging-s3cr3t-value"}
    (shop.path / "env/staging.env").write_text("NAME=Staging\n")
    (shop.path / "env/secrets").write_text("SECRET_KEY\n")
    shop.commit("staging's name and the app's secret")
    stack = f"{shop.name.split('/')[1]}-staging"
    try:
        result = shop.run("ci.yml", "push", MAIN)
        ok(result, SETTINGS, CHECK, PUSH_AMD64, PUBLISH, SIGN, STAGING)
        edge = f"{shop.image}@{registry.digest(shop.name, 'edge')}"
        running = subprocess.run(
            ["docker", "service", "inspect", "-f", "{{.Spec.TaskTemplate.ContainerSpec.Image}}",
             f"{stack}_app"], capture_output=True, text=True, check=True).stdout.strip()
        assert running == edge
        summary = result.summary(STAGING)
        assert f"| requested | `{edge}` |" in summary and "| previous  | `nothing` |" in summary
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as response:
            assert b"Hello Staging!" in response.read()
        spec = subprocess.run(["docker", "service", "inspect", f"{stack}_app"],
                              capture_output=True, text=True, check=True).stdout
        assert "staging-s3cr3t-value" not in spec and '"SecretName"' in spec
        task = subprocess.run(["docker", "ps", "-q", "--filter", "label=com.docker.swarm."
                               f"service.name={stack}_app"], capture_output=True, text=True,
                              check=True).stdout.split()[0]
        given = subprocess.run(["docker", "exec", task, "cat", "/run/secrets/SECRET_KEY"],
                               capture_output=True, text=True, check=True).stdout
        assert given == "staging-s3cr3t-value"
    finally:
        subprocess.run(["docker", "stack", "rm", stack], capture_output=True)


def verify(registry, ref, key):
    return subprocess.run(["cosign", "verify", "--key", str(key), "--insecure-ignore-tlog",
                           "--allow-http-registry", f"{registry.address}/{ref}"],
                          capture_output=True, text=True)


def test_a_private_release_is_tagged_signed_with_its_key_and_released_then_reruns_as_a_noop(
        shop, registry, tmp_path):
    public_key = keys(shop, tmp_path)
    shop.git("tag", "v1.2.3")
    result = shop.run("release.yml", "push", TAG)
    ok(result, SETTINGS, CHECK, PUSH_AMD64, PUBLISH, SIGN, RELEASE, PRODUCTION)
    (built,) = record(result, 1)["platforms"]
    assert registry.tags(shop.name) == ["1", "1.2", "1.2.3", "latest"]
    index = registry.digest(shop.name, "1.2.3")
    assert registry.manifests(shop.name, "1.2.3") == {"linux/amd64": built["digest"]}
    for digest in (index, built["digest"]):
        assert verify(registry, f"{shop.name}@{digest}", public_key).returncode == 0
    release = result.store / "releases" / "v1.2.3"
    assert sorted(p.name for p in (release / "assets").iterdir()) == ["sbom-amd64.cdx.json"]
    assert result.records("attestations") == []  # off by default for a private repository
    state = registry.state(shop.name)
    signatures = len(registry.tags_with_signatures(shop.name))

    again = shop.run("release.yml", "push", TAG, attempt=2, new_run=False)
    ok(again, SETTINGS, CHECK, PUSH_AMD64, PUBLISH, SIGN, RELEASE, PRODUCTION)
    assert "nothing to do" in again.output and "left as it is" in again.output
    assert "verify already" in again.output
    assert registry.state(shop.name) == state
    assert len(registry.tags_with_signatures(shop.name)) == signatures


def test_a_private_release_without_a_signing_key_stops_before_anything_is_built(shop, registry):
    shop.git("tag", "v1.2.3")
    result = shop.run("release.yml", "push", TAG)
    assert result.code != 0
    assert result.jobs[SETTINGS] == "failed", result
    assert "add the secret COSIGN_PRIVATE_KEY" in result.output
    assert not repository_exists(registry, shop.name)


def test_a_public_two_platform_release_attests_and_signs_each_platform_manifest_keyless(
        shop, registry):
    shop.visibility = "public"
    shop.git("tag", "v1.2.3")
    result = shop.run("release.yml", "push", TAG)
    attest = ("Attest (linux/amd64)", "Attest (linux/arm64)")
    sarif = ("Code scanning (linux/amd64)", "Code scanning (linux/arm64)")
    ok(result, SETTINGS, CHECK, PUSH_AMD64, PUSH_ARM64, *sarif, PUBLISH, SIGN, *attest, RELEASE,
       PRODUCTION)
    manifests = registry.manifests(shop.name, "1.2.3")
    subjects = sorted((a["subject"], a["type"]) for a in result.records("attestations"))
    assert subjects == sorted((f"{shop.image}@{digest}", kind) for digest in manifests.values()
                              for kind in ("provenance", "sbom"))
    signed = {entry["subject"] for entry in result.records("keyless")
              if entry["command"] == "sign"}
    assert signed == {f"{shop.image}@{registry.digest(shop.name, '1.2.3')}"}  # --recursive
    identity = {entry["identity"] for entry in result.records("keyless")}
    (signer,) = identity  # this repository's workflows, at the release tag
    assert signer.startswith(f"https://github.com/{shop.name}/.github/workflows/")
    assert signer.endswith(".yml@refs/tags/v1.2.3")
    assets = result.store / "releases" / "v1.2.3" / "assets"
    assert sorted(p.name for p in assets.iterdir()) == ["sbom-amd64.cdx.json",
                                                        "sbom-arm64.cdx.json"]


def test_a_release_re_run_without_the_build_cache_is_refused_and_changes_nothing(
        shop, registry, tmp_path):
    """A runner whose build cache is gone (evicted, or another runner) rebuilds every layer
    with new file times: the image differs from the published one, and the release refuses it
    (the README explains; re-run only the failed jobs instead). Last in this file: it empties
    the engine's build cache."""
    keys(shop, tmp_path)
    shop.git("tag", "v1.2.3")
    ok(shop.run("release.yml", "push", TAG), SETTINGS, CHECK, PUSH_AMD64, PUBLISH, SIGN, RELEASE,
       PRODUCTION)
    index = registry.digest(shop.name, "1.2.3")
    state = registry.state(shop.name)
    subprocess.run(["docker", "builder", "prune", "-af"], check=True, capture_output=True)
    cold = shop.run("release.yml", "push", TAG, attempt=2, new_run=False, cold=True)
    assert cold.code != 0 and cold.jobs[PUBLISH] == "failed", cold
    assert f"release 1.2.3 already exists at {index} with other content" in cold.output
    assert registry.state(shop.name) == state
