"""The base image's one source of truth: the Dockerfile's FROM, its override, its Python."""

import re

import pytest

from pipeline import PipelineError, base
from pipeline.__main__ import main

REF = "python:3.13-slim@sha256:" + "ab" * 32

# Dependabot's docker updater (dependabot-core docker/lib/dependabot/docker/file_parser.rb): the
# FROM lines it reads. A line without a tag or a digest it skips, as it skips `FROM ${ARG}`.
NAME = r"(?:[a-z\d]+(?:(?:[._]|__|[-]*)[a-z\d]+)*)"
DOMAIN = r"(?:[A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9])"
DEPENDABOT = re.compile(
    rf"^FROM\s+(--platform=(?P<platform>\S+)\s+)?"
    rf"((?P<registry>{DOMAIN}(?:\.{DOMAIN})+(?::\d+)?)/)?"
    rf"(?P<image>{NAME}(?:/{NAME})*)(:(?P<tag>[\w][\w.-]{{0,127}}))?(@(?P<digest>[^\s]+))?"
    rf"(\s+AS\s+(?P<name>[\w-]+))?", re.I)


def dockerfile(tmp_path, text):
    path = tmp_path / "Dockerfile"
    path.write_text(text)
    return path


def test_the_real_base_is_what_dependabot_reads_and_bumps():
    lines = [line for line in base.DOCKERFILE.read_text().splitlines()
             if line.startswith("FROM")]
    parsed = [m.groupdict() for line in lines if (m := DEPENDABOT.match(line))]
    bumped = [p for p in parsed if p["tag"] or p["digest"]]
    assert len(bumped) == 1
    assert f"{bumped[0]['image']}:{bumped[0]['tag']}@{bumped[0]['digest']}" == base.ref()
    assert re.fullmatch(r"sha256:[0-9a-f]{64}", bumped[0]["digest"])
    assert bumped[0]["name"] == base.STAGE


def test_the_base_runs_the_python_of_python_version():
    assert base.check_version() == (base.ROOT / ".python-version").read_text().strip()


def test_a_version_mismatch_names_both_files(tmp_path):
    path = dockerfile(tmp_path, f"FROM {REF.replace('3.13', '3.12')} AS base\n")
    (tmp_path / ".python-version").write_text("3.13\n")
    with pytest.raises(PipelineError, match="Python 3.12, .python-version says 3.13"):
        base.check_version(path, tmp_path / ".python-version")


@pytest.mark.parametrize("text, error", [
    ("FROM python:3.13-slim AS base\n", "not IMAGE:TAG@sha256:DIGEST"),
    ("ARG PYTHON_IMAGE\nFROM ${PYTHON_IMAGE} AS base\n", "found 0"),
    (f"FROM {REF} AS base\nFROM {REF} AS base\n", "found 2"),
    (f"FROM {REF} AS builder\n", "found 0"),
])
def test_the_base_must_be_one_literal_pinned_from(tmp_path, text, error):
    with pytest.raises(PipelineError, match=re.escape(error)):
        base.ref(dockerfile(tmp_path, text))


def test_the_override_is_a_named_context_keyed_by_the_exact_ref(tmp_path):
    path = dockerfile(tmp_path, f"# comment\nFROM {REF} AS base\nFROM base AS runtime\n")
    assert base.args({}, path) == []
    assert base.args({"PYTHON_IMAGE": " "}, path) == []
    assert base.args({"PYTHON_IMAGE": "mirror.example.com/python:3.13-slim"}, path) == [
        "--build-context", f"{REF}=docker-image://mirror.example.com/python:3.13-slim"]
    assert base.image({}, path) == REF
    assert base.image({"PYTHON_IMAGE": "python-stand-in:3.13-slim"}, path) == \
        "python-stand-in:3.13-slim"
    for bad in ("a b", "docker-image://x"):
        with pytest.raises(PipelineError, match="expected an image reference"):
            base.args({"PYTHON_IMAGE": bad}, path)


def test_base_args_prints_one_argument_per_line(capsys, monkeypatch):
    monkeypatch.setenv("PYTHON_IMAGE", "python-stand-in:3.13-slim")
    assert main(["base-args"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "--build-context", f"{base.ref()}=docker-image://python-stand-in:3.13-slim"]
    assert main(["base-args", "--image"]) == 0
    assert capsys.readouterr().out == "python-stand-in:3.13-slim\n"
    monkeypatch.delenv("PYTHON_IMAGE")
    assert main(["base-args"]) == 0
    assert capsys.readouterr().out == ""
    monkeypatch.setenv("PYTHON_IMAGE", "a b")
    assert main(["base-args"]) == 1
    assert "error: PYTHON_IMAGE='a b'" in capsys.readouterr().err


def test_the_app_is_named_once_in_the_dockerfile(tmp_path):
    from pipeline import build

    assert base.app() == "app" and build.check_context() == "app"
    (tmp_path / "Dockerfile").write_text("ARG APP=blog.wsgi:app\nFROM x AS base\n")
    (tmp_path / ".dockerignore").write_text("*\n!src/\n")
    with pytest.raises(PipelineError) as error:
        build.check_context(tmp_path / "Dockerfile")
    assert str(error.value) == ("the Dockerfile serves blog.wsgi:app (ARG APP) but src/ has no "
                                "package or module blog: put your app in src/blog/, or set ARG "
                                "APP to it")
    (tmp_path / "src/blog").mkdir(parents=True)
    (tmp_path / "src/blog/__init__.py").write_text("")
    assert build.check_context(tmp_path / "Dockerfile") == "blog.wsgi:app"
    (tmp_path / ".dockerignore").write_text("*\n!src/\nsrc/blog/\n")
    with pytest.raises(PipelineError) as error:
        build.check_context(tmp_path / "Dockerfile")
    assert str(error.value) == ("the Dockerfile serves blog.wsgi:app (ARG APP) but .dockerignore "
                                "leaves src/blog/__init__.py out: keep `!src/` in it")
    (tmp_path / "src/blog/__init__.py").unlink()
    (tmp_path / "src/blog.py").write_text("")  # a module serves as well as a package
    (tmp_path / ".dockerignore").write_text("*\n!src/\n")
    assert build.check_context(tmp_path / "Dockerfile") == "blog.wsgi:app"
    (tmp_path / "Dockerfile").write_text("FROM x AS base\n")
    with pytest.raises(PipelineError, match=r"^Dockerfile: no `ARG APP=<package>` line"):
        base.app(tmp_path / "Dockerfile")
