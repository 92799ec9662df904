"""Runs the real workflows with act, on this machine, as GitHub would run them for a repository
`acme/<name>`: act's self-hosted mode runs every step on the host (the real engine, registry,
Trivy, cosign), with GitHub's expressions, matrix, `needs`, outputs and `if:`. Each pinned
third-party action is replaced through `--local-repository` by our stand-in with the same
interface (stand-ins/standin.py says what each reproduces, and from which source); every `run:`
step is the workflow's own. The registry is the repository variable REGISTRY.

A run starts from a git repository holding a copy of this work tree (the "GitHub" the stand-in
checkout fetches from), with none of the developer's ignored files: each job's workspace starts
empty, as on a hosted runner.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from template.tests.docker import ROOT
from template.tests.support.registry import free_port

ACT = Path(sys.executable).parent / "act"
STAND_INS = Path(__file__).parent / "stand-ins"
USES = re.compile(r"uses:\s*([\w.-]+/[\w.-]+)((?:/[\w./-]+)?)@([0-9a-f]{40})")
RUNNERS = ("ubuntu-24.04", "ubuntu-24.04-arm")
# What a hosted runner has on PATH here, without this repository's venv (a job gets its tools
# from its own steps); the stand-ins' `gh` first.
HOST_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
       "GIT_COMMITTER_EMAIL": "t@example.com"}


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True,
                          env={**os.environ, **ENV}).stdout.strip()


@dataclass
class Result:
    code: int
    output: str
    jobs: dict[str, str]  # job name (matrix legs by name) -> succeeded / failed / skipped
    store: Path

    def records(self, kind: str) -> list[dict[str, object]]:
        path = self.store / f"{kind}.jsonl"
        return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() \
            else []

    def summary(self, job: str) -> str:
        """What the job wrote to $GITHUB_STEP_SUMMARY: act logs it as `⚙  Summary - ` and the
        lines that follow, up to act's next line."""
        found: list[str] = []
        taking = False
        for line in self.output.splitlines():
            match = JOB_LINE.match(line)
            if match:
                taking = re.sub(r"-\d+$", "", match["job"]) == job and \
                    match["what"].strip().startswith("⚙  Summary - ")
                if taking:
                    found.append(match["what"].strip().removeprefix("⚙  Summary - "))
            elif taking:
                found.append(line)
        return "\n".join(found)

    def __repr__(self) -> str:
        """What pytest shows of a failed run: act's last lines (the whole log is kept)."""
        return "act's last lines:\n" + "\n".join(self.output.splitlines()[-60:])


# [<caller job>/<workflow>/.../<job name>] what: a job name may hold a slash, an id none
JOB_LINE = re.compile(r"^\[(?:[\w-]+/)+(?P<job>[^\]]+?)\s*\] (?P<what>.*)$")


def outcomes(output: str) -> dict[str, str]:
    """{job name: succeeded or failed}, from act's `🏁  Job succeeded|failed` lines."""
    jobs: dict[str, str] = {}
    for line in output.splitlines():
        match = JOB_LINE.match(line)
        if not match:
            continue
        job = re.sub(r"-\d+$", "", match["job"])  # act numbers a matrix's legs
        what = match["what"].strip()
        if what.startswith("🏁  Job succeeded"):
            jobs[job] = "succeeded"
        elif what.startswith("🏁  Job failed"):
            jobs[job] = "failed"
    return jobs


def tool_cache(work: Path) -> Path:
    """What a hosted runner's image offers the setup actions: this machine's Python (the venv's
    interpreter), the dev lock's Trivy and cosign, each under its own name."""
    folder = work / "tool-cache"
    folder.mkdir(exist_ok=True)
    python = Path(os.path.realpath(sys.executable))
    version = ".".join(map(str, sys.version_info[:2]))
    offered = {f"python{version}": python, "trivy": Path(sys.executable).parent / "trivy",
               "cosign": Path(shutil.which("cosign") or "/nonexistent/cosign")}
    for name, target in offered.items():
        link = folder / name
        if not link.is_symlink():
            link.symlink_to(target)
    return folder


@dataclass
class Repository:
    """acme/<name>: its git repository, its variables and secrets, and GitHub's side of it."""

    name: str  # owner/repo
    path: Path
    work: Path  # act's caches, the store
    registry: str
    env: dict[str, str] = field(default_factory=dict)  # the machine's, for what stands in
    variables: dict[str, str] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict)
    visibility: str = "private"
    run_id: int = 0

    @classmethod
    def copy_of_this_tree(cls, name: str, dest: Path, work: Path, registry: str,
                          env: dict[str, str]) -> Repository:
        files = subprocess.run(["git", "ls-files", "-z", "--cached", "--others",
                                "--exclude-standard"], cwd=ROOT, check=True, capture_output=True,
                               text=True).stdout
        for file in filter(None, files.split("\0")):
            source, target = ROOT / file, dest / file
            if source.is_file():
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, target)
        git(dest, "init", "-q", "-b", "main")
        # A job's push lands here as on GitHub: main moves, and this work tree with it.
        git(dest, "config", "receive.denyCurrentBranch", "updateInstead")
        git(dest, "remote", "add", "origin", f"https://github.com/{name}.git")
        git(dest, "add", "-A")
        git(dest, "commit", "-qm", "initial")
        return cls(name, dest, work, registry, env, {"REGISTRY": registry})

    @property
    def image(self) -> str:
        return f"{self.registry}/{self.name}"

    def git(self, *args: str) -> str:
        return git(self.path, *args)

    def commit(self, message: str = "change") -> str:
        git(self.path, "add", "-A")
        git(self.path, "commit", "-qm", message)
        return self.commit_sha()

    def commit_sha(self) -> str:
        return git(self.path, "rev-parse", "HEAD")

    def edit(self, name: str, old: str, new: str, count: int = -1) -> None:
        path = self.path / name
        text = path.read_text()
        assert old in text, (name, old)
        path.write_text(text.replace(old, new, count))

    def stand_ins(self) -> list[str]:
        """`--local-repository owner/repo@sha=<stand-in>` for every action the workflows pin;
        an action with no stand-in fails the run's set-up, naming it."""
        pins = {m for p in (self.path / ".github/workflows").glob("*.yml")
                for m in USES.findall(p.read_text())}
        args = []
        for name, _subpath, sha in sorted(pins):
            folder = STAND_INS / name.replace("/", "-")
            assert folder.is_dir(), f"no stand-in for {name} in {STAND_INS}"
            args += ["--local-repository", f"{name}@{sha}={folder}"]
        return args

    def run(self, workflow: str, event: str, payload: dict[str, object] | None = None, *,
            attempt: int = 1, new_run: bool = True, cold: bool = False) -> Result:
        """One workflow run (a new run id unless `new_run` is false: a re-run, same id);
        `cold`: the Actions cache is empty, as on a runner whose cache was evicted."""
        if new_run:
            self.run_id += 1
        sha = git(self.path, "rev-parse", "HEAD")
        payload = {"repository": {"full_name": self.name, "visibility": self.visibility},
                   **(payload or {})}
        if event == "push":
            payload = {"deleted": False, "after": sha, **payload}
        event_file = self.work / f"event-{self.run_id}-{attempt}.json"
        event_file.write_text(json.dumps(payload))
        store = self.work / "store"
        extra: dict[str, str] = {
            "STAND_INS": str(STAND_INS), "STAND_IN_STORE": str(store),
            "STAND_IN_ORIGIN": str(self.path), "STAND_IN_TOOLS": str(tool_cache(self.work)),
            "STAND_IN_VISIBILITY": self.visibility,
            "GITHUB_RUN_ID": str(self.run_id), "GITHUB_RUN_ATTEMPT": str(attempt),
            "GITHUB_REPOSITORY": self.name, "GITHUB_REPOSITORY_OWNER": self.name.split("/")[0],
            **self.env,
        }
        argv = [str(ACT), event, "-W", f".github/workflows/{workflow}", "-e", str(event_file),
                "--no-skip-checkout", "--cache-server-addr", "127.0.0.1",
                "--cache-server-path", str(self.work / ("cache-cold" if cold else "cache")),
                "-a", "octocat",
                "--action-cache-path", str(self.work / "act"),
                # act's runtime token (a JWT, as buildx's gha cache wants), for the runtime action
                "--artifact-server-path", str(self.work / "artifact-server"),
                "--artifact-server-addr", "127.0.0.1",
                # A port of its own: act's default one is shared by every run on the machine.
                "--artifact-server-port", str(free_port()),
                *[arg for runner in RUNNERS for arg in ("-P", f"{runner}=-self-hosted")],
                *self.stand_ins()]
        for key, value in extra.items():
            argv += ["--env", f"{key}={value}"]
        for key, value in self.variables.items():
            argv += ["--var", f"{key}={value}"]
        secrets = {"GITHUB_TOKEN": "stand-in-token", **self.secrets}
        secret_file = self.work / "secrets.env"
        secret_file.write_text("".join(f"{k}={json.dumps(v)}\n" for k, v in secrets.items()))
        argv += ["--secret-file", str(secret_file)]
        env = {"PATH": f"{STAND_INS / 'bin'}:{HOST_PATH}", "HOME": os.environ["HOME"],
               "LANG": "C.UTF-8"}
        for key in ("DOCKER_HOST", "XDG_CACHE_HOME"):
            if key in os.environ:
                env[key] = os.environ[key]
        done = subprocess.run(argv, cwd=self.path, env=env, capture_output=True, text=True,
                              timeout=1200)
        output = done.stdout + done.stderr
        (self.work / f"act-{self.run_id}-{attempt}.log").write_text(output)
        result = Result(done.returncode, output, outcomes(output), store)
        # A mutated copy must fail in the workflow's logic, never in its own check (lint and
        # unit tests): that would catch every mutation alike. Not an AssertionError, so a
        # mutation run (test_mutations.py) does not count it as caught.
        if os.environ.get("WORKFLOW_MUTATION") and "failed" in (
                result.jobs.get("Lock check, lint, unit tests"), result.jobs.get("Settings")):
            raise RuntimeError(f"the mutated copy failed its own check or settings: {result}")
        return result
