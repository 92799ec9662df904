"""Throwaway git copies of this repository to run `make` in (the registry and the Trivy DB are
tests/support/registry.py's)."""

import os
import shutil
import subprocess

import pytest

from template.tests.docker import ROOT


def tmp_path_factory_key(request):
    """One signing key for the session, outside every project copy, as make's default is."""
    factory = request.getfixturevalue("tmp_path_factory")
    return factory.getbasetemp() / "cosign" / "pipeline.key"


class Project:
    """A git copy of this repository's work tree, where `make` runs as a user would run it."""

    def __init__(self, path, env):
        self.path, self.env = path, env

    def git(self, *args):
        return subprocess.run(["git", *args], cwd=self.path, check=True, capture_output=True,
                              text=True).stdout.strip()

    def commit(self, message="change"):
        self.git("add", "-A")
        self.git("-c", "user.name=Test", "-c", "user.email=test@example.com", "commit", "-qm",
                 message)

    def edit(self, name, old, new):
        path = self.path / name
        text = path.read_text()
        assert old in text
        path.write_text(text.replace(old, new))

    def make(self, *targets, **env):
        # The repository's venv serves every copy (same locked tools); `-o` keeps make from
        # reinstalling it when a test changes a copy's lock.
        venv = f"{ROOT}/.venv"
        return subprocess.run(
            ["make", "--no-print-directory", f"VENV={venv}", "-o", f"{venv}/.installed",
             *(targets or ["pipeline"])],
            cwd=self.path, env={**self.env, **env}, capture_output=True, text=True, timeout=900,
        )


def copy_of_this_tree(dest, env=None):
    """A git repository holding this work tree's files (tracked and new, none ignored), one
    commit: what a user has after "Use this template" or a clone."""
    files = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                           cwd=ROOT, check=True, capture_output=True, text=True).stdout
    for name in filter(None, files.split("\0")):
        source, target = ROOT / name, dest / name
        if source.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)  # keeps mtimes: make sees the venv as up to date
    copy = Project(dest, env or dict(os.environ))
    copy.git("init", "-q", "-b", "main")
    copy.commit("initial")
    return copy


@pytest.fixture
def project(tmp_path, registry, trivy_db, trivy_cache, request):
    env = {**os.environ, "REGISTRY": registry.address,
           "COSIGN_KEY": str(tmp_path_factory_key(request)),
           "IMAGE": "e2e/" + request.node.name[5:35].replace("_", "-").strip("-"),
           "TRIVY_DB_REPOSITORY": trivy_db, "TRIVY_CACHE_DIR": str(trivy_cache)}
    env.pop("REF", None)
    return copy_of_this_tree(tmp_path, env)


def last_line(result):
    """The pipeline's own last word; make's "*** Error" note follows it."""
    lines = [line for line in result.stderr.splitlines() if not line.startswith("make")]
    return lines[-1] if lines else ""
