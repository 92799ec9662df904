"""The smoke stage (pipeline/smoke.py) on the session image: it passes what answers as smoke.txt
says, and fails, naming why and showing the container's last lines, on a request that does not,
a release command that fails, and a setting that keeps the server from starting. Nothing it
started is left behind."""

import json

import pytest

from pipeline import PipelineError, smoke
from template.tests.docker import docker

pytestmark = pytest.mark.container


@pytest.fixture
def project(tmp_path, image):
    (tmp_path / "artifacts").mkdir()
    (tmp_path / "artifacts/run.json").write_text(json.dumps({
        "image": "python-app-test", "ref": "refs/heads/main", "revision": "0" * 40,
        "version": "1.2.3", "tags": [], "immutable": [],
        "platforms": [{"platform": f"linux/{arch()}", "ref": image, "config": ""}]}))
    (tmp_path / "env").mkdir()
    (tmp_path / "env/app.env").write_text("NAME=Smoke\n")
    (tmp_path / "env/secrets").write_text("SECRET_KEY\n")
    return tmp_path


def arch():
    return docker("version", "-f", "{{.Server.Arch}}").stdout.strip()


def stage(project, requests, procfile=""):
    (project / "smoke.txt").write_text(requests)
    (project / "Procfile").write_text(procfile)
    try:
        return smoke.stage(project / "artifacts", project)
    finally:
        assert not docker("ps", "-aq", "--filter", "name=smoke-").stdout.strip()
        assert not docker("volume", "ls", "-q", "--filter", "name=smoke-").stdout.strip()


def test_a_release_then_the_requests_with_the_apps_settings(project):
    said = stage(project, "/ Hello Smoke!\n/nope 404\n",
                 "release: python -c \"import os; assert os.environ['SECRET_KEY']; "
                 "open('instance/released', 'w').write('1')\"\n")
    assert said == [f"smoke passed: linux/{arch()}: healthy, release, /healthz, "
                    "/version (1.2.3), /, /nope, clean stop"]
    record = json.loads((project / "artifacts/run.json").read_text())
    assert record["platforms"][0]["passed"] == ["smoke"]


def test_a_request_that_fails_fails_the_stage_naming_it(project):
    with pytest.raises(PipelineError) as error:
        stage(project, "/ Hello World!\n")
    first, *logs = str(error.value).splitlines()
    assert first == (f"smoke: linux/{arch()}: / answered 200 '<h3>Hello Smoke!</h3>"
                     f"{first.split('Smoke!</h3>', 1)[1]}")
    assert first.endswith("smoke.txt expects / 'Hello World!'") and logs  # its last lines
    record = json.loads((project / "artifacts/run.json").read_text())
    assert record["platforms"][0].get("passed", []) == []


def test_a_release_that_fails_fails_the_stage_with_its_last_lines(project):
    with pytest.raises(PipelineError) as error:
        stage(project, "/ Hello Smoke!\n",
              "release: python -c \"print('migration 7 failed'); raise SystemExit(4)\"\n")
    message = str(error.value)
    assert message.startswith(f"smoke: linux/{arch()}: the release command exited 4: python -c")
    assert "migration 7 failed" in message


def test_a_server_that_cannot_start_fails_the_stage(project):
    (project / "env/app.env").write_text("WEB_CONCURRENCY=0\n")
    with pytest.raises(PipelineError) as error:
        stage(project, "/ Hello\n")
    assert str(error.value).startswith(f"smoke: linux/{arch()}: the container exited\n")
    assert "config error: WEB_CONCURRENCY=0 is out of range; expected 1..64" in str(error.value)
