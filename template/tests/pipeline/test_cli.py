"""`python -m pipeline`, as the scripts call it, in-process; git in a throwaway repository."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline import PipelineError, gitref, run
from pipeline.__main__ import main

ROOT = Path(__file__).parents[3]
ROOT_LOCKS = ["requirements.in:requirements.txt", "requirements-dev.in:requirements-dev.txt"]


def test_lock_check(capsys):
    assert main(["lock-check", *ROOT_LOCKS]) == 0
    assert capsys.readouterr().out == "locks are fresh: requirements.txt, requirements-dev.txt\n"
    # With no argument, every lock of the project: the build lock (uv) too.
    assert main(["lock-check"]) == 0
    assert capsys.readouterr().out == (
        "locks are fresh: requirements.txt, requirements-dev.txt, requirements-build.txt\n")
    assert main(["locks"]) == 0
    assert capsys.readouterr().out.split() == [
        "requirements.in", "requirements-dev.in", "requirements-build.in"]


def test_errors_are_one_line_and_exit_1(capsys, tmp_path):
    (tmp_path / "a.in").write_text("flask\n")
    assert main(["lock-check", f"{tmp_path}/a.in:{tmp_path}/a.txt"]) == 1
    assert capsys.readouterr().err == f"error: {tmp_path}/a.txt is missing: run `make lock` " \
        "to regenerate it\n"


@pytest.fixture
def repo(tmp_path, monkeypatch):
    def git(*args):
        env = {**os.environ, "GIT_COMMITTER_DATE": "2026-01-02T04:04:05+01:00"}
        subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True, env=env)

    git("init", "-q", "-b", "main")
    (tmp_path / "f").write_text("1\n")
    git("add", "f")
    git("-c", "user.name=T", "-c", "user.email=t@example.com", "commit", "-qm", "one")
    monkeypatch.chdir(tmp_path)
    return git


def assignments(capsys):
    return dict(line.split("=", 1) for line in capsys.readouterr().out.splitlines())


def test_tags_from_the_branch(repo, capsys):
    sha = gitref.git("rev-parse", "HEAD")
    assert main(["tags"]) == 0
    values = assignments(capsys)
    assert values["TAGS"] == f"'edge sha-{sha[:7]}'"
    assert values["VERSION"] == "edge" and values["IMMUTABLE"] == "''"
    assert values["REVISION"] == sha
    assert values["CREATED"] == gitref.commit_time(sha)


def test_tags_from_a_release_tag_at_head(repo, capsys):
    repo("tag", "v1.2.3")
    assert main(["tags"]) == 0
    assert assignments(capsys)["TAGS"] == "'1.2.3 1.2 1 latest'"


def test_tags_from_an_explicit_ref(repo, capsys):
    assert main(["tags", "--ref", "refs/tags/v2.0.0-rc.1"]) == 0
    assert assignments(capsys)["IMMUTABLE"] == "2.0.0-rc.1"


def test_tags_for_github_env(repo, capsys):
    assert main(["tags", "--ref", "refs/tags/v1.2.3", "--format", "github"]) == 0
    values = assignments(capsys)
    assert values["TAGS"] == "1.2.3 1.2 1 latest"  # $GITHUB_ENV takes values unquoted
    assert values["SOURCE_DATE_EPOCH"] == "1767323045"  # 2026-01-02T03:04:05Z


def test_dirty_tree(repo, tmp_path, capsys):
    (tmp_path / "f").write_text("2\n")
    assert main(["tags"]) == 0
    values = assignments(capsys)
    assert values["TAGS"].endswith("-dirty'") and values["REVISION"].endswith("-dirty")


def test_an_untracked_file_the_build_would_send_makes_the_tree_dirty(repo, tmp_path):
    """The build context takes untracked files; a release must hold only what its commit does."""
    (tmp_path / ".dockerignore").write_text("*\n!src/\n**/__pycache__\n")
    (tmp_path / ".gitignore").write_text("*.log\n")
    repo("add", ".dockerignore", ".gitignore")
    repo("-c", "user.name=T", "-c", "user.email=t@example.com", "commit", "-qm", "two")
    (tmp_path / "notes.txt").write_text("not sent: .dockerignore leaves it out\n")
    (tmp_path / "src" / "__pycache__").mkdir(parents=True)
    (tmp_path / "src" / "__pycache__" / "x.pyc").write_text("not sent\n")
    (tmp_path / "src" / "debug.log").write_text("git-ignored\n")
    assert gitref.head()[2] is False
    (tmp_path / "src" / "secret_patch.py").write_text("sent with the build\n")
    assert gitref.untracked_in_context() == ["src/secret_patch.py"]
    assert gitref.head()[2] is True


@pytest.mark.parametrize(("path", "sent"), [
    ("src/app/x.py", True), ("src/x/y.py", True), ("README.md", False), ("tests/t.py", True),
    ("src/app/__pycache__/a.pyc", False), ("deep/a/__pycache__/b", False), ("x.pyc", False),
    ("src/m.pyo", False), ("requirements.txt", True), ("requirements.in", False),
    ("src/instance/app.db", False), ("app/x.py", False)])
def test_the_projects_dockerignore_as_docker_reads_it(path, sent):
    rules = gitref.ignores((ROOT / ".dockerignore").read_text())
    assert gitref.in_context(path, rules) is sent


@pytest.mark.parametrize(("remote", "url"), [
    ("git@github.com:acme/shop.git", "https://github.com/acme/shop"),
    ("https://github.com/acme/shop.git", "https://github.com/acme/shop"),
    ("https://token@github.com/acme/shop", "https://github.com/acme/shop"),
    ("ssh://git@gitlab.example.com:2222/group/sub/shop.git",
     "https://gitlab.example.com/group/sub/shop"),
    ("/srv/git/shop.git", ""),
])
def test_the_source_label_is_the_remotes_web_address(repo, remote, url):
    repo("remote", "add", "origin", remote)
    assert gitref.source_url({}) == url
    # In GitHub Actions, the server and repository say it, whatever the remote.
    actions = {"GITHUB_SERVER_URL": "https://ghe.example.com", "GITHUB_REPOSITORY": "acme/shop"}
    assert gitref.source_url(actions) == "https://ghe.example.com/acme/shop"


def test_no_remote_no_source_label(repo):
    assert gitref.source_url({}) == ""


def test_commit_time_is_the_commits_in_utc(repo, monkeypatch):
    monkeypatch.setenv("TZ", "America/New_York")
    assert gitref.commit_time("HEAD") == "2026-01-02T03:04:05Z"


def test_several_release_tags_at_head(repo):
    repo("tag", "v1.0.0")
    repo("tag", "v1.0.1")
    with pytest.raises(PipelineError, match="several release tags"):
        gitref.head()


def test_detached_head(repo):
    repo("checkout", "-q", "--detach")
    with pytest.raises(PipelineError, match="detached and not tagged"):
        gitref.head()


def test_not_a_repository(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    with pytest.raises(PipelineError, match="not a git work tree"):
        gitref.head()


def test_verdict_and_summary(tmp_path, capsys):
    report = tmp_path / "trivy.json"
    report.write_text(json.dumps({"Results": [{"Vulnerabilities": [
        {"VulnerabilityID": "CVE-1", "PkgName": "p", "InstalledVersion": "1",
         "FixedVersion": "2", "Severity": "HIGH"}]}]}))
    assert main(["verdict", "--exit-code", "3", "--report", str(report)]) == 1
    assert capsys.readouterr().out.startswith("scan failed: 1 finding(s) block the release")
    assert main(["verdict", "--exit-code", "1", "--report", str(tmp_path / "none")]) == 2
    capsys.readouterr()


def test_summary_of_a_run(tmp_path, capsys):
    record = run.Run("r/app", "refs/heads/main", "abc", "edge", ["edge", "sha-abc"], [])
    record.add(run.Platform("linux/amd64", "r/app@sha256:aa", "sha256:c1", "sha256:aa",
                            ["smoke", "scan"]))
    record.add(run.Platform("linux/arm64", "r/app@sha256:bb", "sha256:c2", "sha256:bb"))
    record.save(tmp_path / "run.json")
    (tmp_path / "trivy-amd64.json").write_text(json.dumps({"Results": [{"Vulnerabilities": [
        {"VulnerabilityID": "CVE-1", "PkgName": "p", "InstalledVersion": "1",
         "Severity": "LOW"}]}]}))
    (tmp_path / "trivy-arm64.json").write_text(json.dumps({"Results": [{"Vulnerabilities": [
        {"VulnerabilityID": "CVE-2", "PkgName": "q", "InstalledVersion": "1",
         "Severity": "LOW"}]}]}))
    reports = ["--report", str(tmp_path / "trivy-amd64.json"),
               "--report", str(tmp_path / "trivy-arm64.json")]
    assert main(["summary", "--image", "r/app", "--record", str(tmp_path / "run.json"),
                 *reports]) == 0
    table = capsys.readouterr().out
    assert "| linux/amd64     | sha256:aa; passed: smoke, scan |" in table
    assert "| linux/arm64     | sha256:bb; passed: nothing yet |" in table
    assert "| vulnerabilities | 2 LOW (fixable HIGH/CRITICAL gate) |" in table
    assert "tags pushed" not in table


def test_ignores(tmp_path, capsys):
    ignores = tmp_path / ".trivyignore.yaml"
    ignores.write_text("vulnerabilities:\n  - {id: CVE-1, statement: s, expired_at: 2020-01-01}\n")
    assert main(["ignores", str(ignores)]) == 0
    assert "accepted risk CVE-1 (expired 2020-01-01)" in capsys.readouterr().err
    assert main(["ignores", str(tmp_path / "missing.yaml")]) == 0


def test_commands_that_ci_runs_need_only_the_standard_library(tmp_path):
    """The image job runs these with the runner's bare Python, without the dev lock."""
    code = ("import sys, builtins; real = builtins.__import__\n"
            "def guard(name, *a, **k):\n"
            "    if name.split('.')[0] in ('yaml', 'packaging'): raise ImportError(name)\n"
            "    return real(name, *a, **k)\n"
            "builtins.__import__ = guard\n"
            "from pipeline.__main__ import main\n"
            "sys.exit(main(sys.argv[1:]))\n")
    result = subprocess.run([sys.executable, "-c", code, "tags", "--ref", "refs/heads/main"],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "TAGS='edge sha-" in result.stdout


@pytest.mark.container  # the engine's own words
def test_a_docker_failure_is_one_line_with_the_clis_words():
    from pipeline import docker

    with pytest.raises(PipelineError, match=r"^docker image inspect unit.test/no-such-image:1 "
                                            r"failed: .*No such image"):
        docker("image", "inspect", "unit.test/no-such-image:1")


def test_sign_refuses_a_public_key_without_its_private_half_and_makes_no_pair(tmp_path):
    """A verifier's machine holds only the .pub: a new pair there would replace the key every
    signature was checked with."""
    (tmp_path / "published.json").write_text(json.dumps(
        {"image": "127.0.0.1:5000/shop", "digest": "sha256:" + "a" * 64}))
    (tmp_path / "team.pub").write_text("the team's public key\n")
    env = {**os.environ, "ARTIFACTS": str(tmp_path), "COSIGN_KEY": str(tmp_path / "team.key"),
           "PYTHON": sys.executable}
    done = subprocess.run([str(ROOT / "scripts/sign.sh")], cwd=ROOT, env=env,
                          capture_output=True, text=True)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1] == (
        f"sign: {tmp_path}/team.pub has no private key {tmp_path}/team.key beside it: sign "
        "where the key is")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["published.json", "team.pub"]
    assert (tmp_path / "team.pub").read_text() == "the team's public key\n"
