"""The built image, running on the real engine: what a user and an operator see."""

import json
import threading
import time
import urllib.request

import pytest

from template.tests.container.conftest import BUILD_ARGS
from template.tests.docker import ROOT, Container, build, docker, inspect

pytestmark = pytest.mark.container


def test_greets_the_world(run):
    container = run()
    container.wait_until_answering()
    status, body = container.get("/")
    assert status == 200
    assert "Hello World!" in body
    assert inspect(container.name, "{{json .Config.Hostname}}") in body


def test_honours_name(run):
    container = run("-e", "NAME=Docker")
    container.wait_until_answering()
    assert "Hello Docker!" in container.get("/")[1]
    _, body = container.get("/", headers={"Accept": "application/json"})
    assert json.loads(body)["message"] == "Hello Docker!"


def test_healthz_and_json_errors(run):
    container = run()
    assert container.wait_until_answering() == (200, '{"status":"ok"}')
    with pytest.raises(urllib.error.HTTPError) as error:
        container.get("/missing")
    assert error.value.code == 404
    assert json.loads(error.value.read()) == {"error": "Not Found", "status": 404}


def test_docker_reports_healthy(run):
    container = run("--health-interval", "1s", "--health-start-period", "1s")
    for _ in range(60):
        if container.state()["Health"]["Status"] == "healthy":
            break
        time.sleep(0.5)
    assert container.state()["Health"]["Status"] == "healthy", container.logs()


def test_runs_as_the_fixed_non_root_user(run, image):
    assert inspect(image, "{{json .Config.User}}") == "10001:10001"
    container = run()
    container.wait_until_answering()
    status = container.exec("cat", "/proc/1/status").stdout
    uid_line = next(line for line in status.splitlines() if line.startswith("Uid:"))
    assert uid_line.split()[1:] == ["10001"] * 4


def test_the_app_user_owns_and_can_write_its_instance_folder_alone(run):
    container = run(read_only=False)  # even without --read-only, code and venv are read-only
    container.wait_until_answering()
    owned = docker("exec", "-u", "0", container.name, "find", "/", "-xdev", "-user", "10001")
    assert owned.stdout.split() == ["/app/src/instance"]
    paths = ["/app", "/app/src", "/app/src/app", "/app/src/app/__init__.py", "/app/server",
             "/app/server/app.py", "/opt/venv", "/opt/venv/bin/gunicorn"]
    # A path that is not there is reported too: it would pass for not writable.
    writable = container.exec(
        "python", "-c", "import os, sys; print([p for p in sys.argv[1:] "
        "if not os.path.exists(p) or os.access(p, os.W_OK)])", *paths,
    )
    assert writable.stdout.strip() == "[]"


def test_read_only_root_with_tmpfs_tmp_and_a_writable_instance_folder(run):
    container = run()  # run() uses --read-only --tmpfs /tmp
    container.wait_until_answering()
    assert inspect(container.name, "{{json .HostConfig.ReadonlyRootfs}}") is True
    assert container.exec("python", "-c", "open('/tmp/x', 'w').write('ok')").returncode == 0
    # The image declares the instance folder a volume: a read-only container still gets one.
    assert inspect(container.name, "{{json .Config.Volumes}}") == {"/app/src/instance": {}}
    sqlite = ("import sqlite3; sqlite3.connect('/app/src/instance/app.db')"
              ".execute('create table t (x)')")
    assert container.exec("python", "-c", sqlite).returncode == 0
    refused = container.exec("python", "-c", "open('/etc/x', 'w')", check=False)
    assert "Read-only file system" in refused.stderr


SLOW_APP = '''
import time
from flask import Flask, request

app = Flask(__name__)


@app.get("/slow")
def slow():
    time.sleep(float(request.args["seconds"]))
    return {"slept": request.args["seconds"]}
'''


def test_docker_stop_drains_in_flight_requests(run, tmp_path):
    # Another app in the same image, named by APP alone: the server is the template's.
    (tmp_path / "slow_app.py").write_text(SLOW_APP)
    container = run("-v", f"{tmp_path}/slow_app.py:/app/slow_app.py:ro", "-e", "APP=slow_app")
    container.wait_until_answering()
    result = {}

    def slow_request():
        result["response"] = container.get("/slow?seconds=2", timeout=15)

    thread = threading.Thread(target=slow_request)
    thread.start()
    time.sleep(0.5)  # the request is in flight
    started = time.monotonic()
    docker("stop", container.name)
    stopped_after = time.monotonic() - started
    thread.join(timeout=15)
    assert result["response"] == (200, '{"slept":"2"}\n')
    assert container.state()["ExitCode"] == 0, container.logs()
    assert 1 < stopped_after < 9  # waited for the request, did not need docker's SIGKILL


def test_version_and_labels_carry_the_build_args(run, image):
    container = run()
    container.wait_until_answering()
    assert json.loads(container.get("/version")[1]) == {
        "version": BUILD_ARGS["VERSION"],
        "revision": BUILD_ARGS["REVISION"],
        "created": BUILD_ARGS["CREATED"],
    }
    labels = inspect(image, "{{json .Config.Labels}}")
    prefix = "org.opencontainers.image."
    assert {key: labels[prefix + key.lower()] for key in BUILD_ARGS} == BUILD_ARGS


def test_article_settings(image):
    config = inspect(image, "{{json .Config}}")
    assert {"APP=app", "PORT=80", "PYTHONUNBUFFERED=1"} <= set(config["Env"])
    assert config["ExposedPorts"] == {"80/tcp": {}}
    assert config["Cmd"] == ["gunicorn", "--config", "/app/server/gunicorn.conf.py"]  # exec form
    assert config["Entrypoint"] == ["python", "-m", "server.entry"]
    assert config["Healthcheck"]["Test"] == ["CMD", "python", "-m", "server.probe"]


def test_the_articles_commands(engine, image):
    """docker build -t my-python-app . && docker run -p 4000:80 my-python-app says Hello World!"""
    build(ROOT, tag="my-python-app")  # adds only the base-image argument, without the official
    container = Container.start("my-python-app", publish="4000:80")
    try:
        assert container.base == "http://127.0.0.1:4000"
        assert "Hello World!" in container.wait_until_answering("/")[1]
    finally:
        container.remove()
