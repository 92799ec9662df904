"""The build stage and the run record, in process, on the real engine and registry: a tiny image
from the stand-in base, built, pushed by digest, recorded, passed, published through the CLI."""

import json
import os
import subprocess

import pytest

from pipeline import build
from pipeline.__main__ import main

pytestmark = [pytest.mark.container, pytest.mark.registry]


@pytest.fixture
def context(tmp_path, monkeypatch):
    """A one-commit repository holding a tiny Dockerfile, as the working directory."""
    (tmp_path / "Dockerfile").write_text(
        "ARG PYTHON_IMAGE=python:3.13-slim\nFROM ${PYTHON_IMAGE}\nARG VERSION\n"
        "LABEL org.opencontainers.image.version=$VERSION\nCOPY hello /hello\n")
    (tmp_path / "hello").write_text("hello\n")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-qm", "one"]):
        subprocess.run([*git, *args], cwd=tmp_path, check=True)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("REF", raising=False)
    monkeypatch.delenv("SHA", raising=False)
    monkeypatch.setenv("OCI_LAYOUT", str(tmp_path / "oci"))
    return tmp_path


def base_arg():
    return [f"--build-arg=PYTHON_IMAGE={os.environ.get('PYTHON_IMAGE', 'python:3.13-slim')}"]


def test_built_pushed_recorded_passed_published(context, registry, capsys):
    image = f"{registry.address}/unit/built"
    assert main(["build", "--image", image, "--platform", "linux/amd64", "--push",
                 "--artifacts", "out", "--", *base_arg()]) == 0
    assert capsys.readouterr().out.startswith(f"built linux/amd64: {image}@sha256:")
    record = json.loads((context / "out/run.json").read_text())
    (built,) = record["platforms"]
    assert built["ref"] == f"{image}@{built['digest']}" and built["passed"] == []
    assert record["tags"][0] == "edge" and record["created"].endswith("Z")
    assert registry.tags("unit/built") == []  # pushed by digest, untagged
    assert registry.tags("unit/built-buildcache") == ["amd64"]
    assert json.loads((context / "out/provenance-amd64.json").read_text())["materials"]

    assert main(["record", "refs", "--artifacts", "out"]) == 0
    assert capsys.readouterr().out == f"linux/amd64 {built['ref']}\n"
    assert main(["publish", "out/run.json", "--artifacts", "out"]) == 1
    assert "linux/amd64 has not passed smoke and scan" in capsys.readouterr().err
    for stage in ("smoke", "scan"):
        assert main(["record", "passed", stage, "linux/amd64", "--artifacts", "out"]) == 0
    assert json.loads((context / "out/run.json").read_text())["platforms"][0]["passed"] == [
        "smoke", "scan"]

    output = context / "github_output"
    os.environ["GITHUB_OUTPUT"] = str(output)
    try:
        assert main(["publish", "out/run.json", "--artifacts", "out"]) == 0
    finally:
        del os.environ["GITHUB_OUTPUT"]
    published = json.loads((context / "out/published.json").read_text())
    assert capsys.readouterr().out == (
        f"published {image}@{published['digest']} as {' '.join(record['tags'])}\n")
    assert registry.manifests("unit/built", "edge") == {"linux/amd64": built["digest"]}
    assert output.read_text() == (f"digest={published['digest']}\n"
                                  f"manifests={built['digest']}\n")
    assert main(["digests", f"{image}:edge"]) == 0
    listed = capsys.readouterr().out
    assert listed == f"{published['digest']} index\n{built['digest']} linux/amd64\n"


def test_a_local_build_is_loaded_not_pushed(context, capsys):
    assert main(["build", "--image", "unit.test/local", "--platform", "linux/amd64",
                 "--artifacts", "out", "--", *base_arg()]) == 0
    (built,) = json.loads((context / "out/run.json").read_text())["platforms"]
    assert (built["ref"], built["digest"]) == ("unit.test/local:candidate-amd64", "")
    inspected = subprocess.run(["docker", "image", "inspect", "-f",
                                "{{index .Config.Labels \"org.opencontainers.image.version\"}}",
                                built["ref"]], capture_output=True, text=True, check=True)
    assert inspected.stdout.strip() == "edge"


def test_a_failed_build_says_so_in_one_line(context, capsys):
    (context / "Dockerfile").write_text("FROM scratch\nRUN false\n")
    assert main(["build", "--image", "unit.test/broken", "--platform", "linux/amd64",
                 "--artifacts", "out"]) == 1
    assert capsys.readouterr().err.endswith(
        "error: the linux/amd64 build failed (buildx exited 1): see above\n")
    assert not (context / "out/run.json").exists()


def test_the_build_options_for_each_builder():
    spec = build.Build("ghcr.io/o/r", "linux/arm64", True, "docker-container",
                       build.Path("m.json"), build.Path("oci"), {"VERSION": "1.0.0"},
                       "type=gha,scope=arm64", "type=gha,mode=max,scope=arm64", ("--x",))
    argv = spec.argv()
    # GitHub's builder pushes by digest itself; the docker driver goes through an OCI layout.
    assert ["--output", "type=image,name=ghcr.io/o/r,push-by-digest=true,name-canonical=true,"
            "push=true"] == argv[-4:-2]
    assert argv[-2:] == ["--x", "."]
    assert {"--provenance=false", "--sbom=false"} <= set(argv)
    assert argv[argv.index("--cache-from") + 1] == "type=gha,scope=arm64"
    assert argv[argv.index("--build-arg") + 1] == "VERSION=1.0.0"
    local = build.Build("localhost:5000/r", "linux/amd64", True, "docker", build.Path("m.json"),
                        build.Path("oci"))
    assert ["--output", "type=oci,dest=oci,tar=false"] == local.argv()[-3:-1]
    assert build.plain_http("localhost:5000/r") and build.plain_http("127.0.0.1:5/r")
    assert not build.plain_http("ghcr.io/o/r")
