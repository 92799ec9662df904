"""`make dev`: the same image with the source mounted, reloading, under resource limits."""

import json
import os
import shutil
import subprocess
import time

import pytest

from template.tests.docker import ROOT, Container, inspect
from template.tests.pipeline.conftest import copy_of_this_tree

pytestmark = pytest.mark.container


def test_dev_reloads_mounted_source_under_limits(engine, tmp_path):
    for folder in ("src", "server"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    tmp_path.chmod(0o755)  # as a checkout is: the app's user reads the mounted project
    env = {**os.environ, "PROJECT_DIR": str(tmp_path), "DEV_PORT": "",
           "COMPOSE_PROJECT_NAME": "python-app-dev-test", "IMAGE": "python-app-test",
           "PYTHON": f"{ROOT}/.venv/bin/python"}
    subprocess.run(["docker", "compose", "down"], cwd=ROOT, env=env, capture_output=True)
    started = subprocess.run(["scripts/dev.sh", "-d", "--wait"], cwd=ROOT, env=env,
                             capture_output=True, text=True)
    assert started.returncode == 0, started.stderr  # --wait: up and healthy
    try:
        name = subprocess.run(["docker", "compose", "ps", "-q", "app"], cwd=ROOT, env=env,
                              check=True, capture_output=True, text=True).stdout.strip()
        container = Container(name)
        assert "Hello World!" in container.wait_until_answering("/")[1]

        host = inspect(name, "{{json .HostConfig}}")
        assert host["NanoCpus"] == 1_000_000_000 and host["Memory"] == 512 * 1024**2
        assert host["ReadonlyRootfs"] is True
        # The instance folder is a volume the app user writes, not the project's folder.
        assert container.exec("touch", "/app/src/instance/db").returncode == 0
        assert not (tmp_path / "src/instance/db").exists()

        greeting = tmp_path / "src/app/greeting.py"
        greeting.write_text(greeting.read_text().replace("<h3>Hello", "<h3>Howdy"))
        for _ in range(50):
            if "Howdy World!" in container.wait_until_answering("/")[1]:
                break
            time.sleep(0.2)
        assert "Howdy World!" in container.get("/")[1], container.logs()
    finally:
        subprocess.run(["docker", "compose", "down"], cwd=ROOT, env=env, capture_output=True)


def test_compose_file_is_what_docker_compose_reads(engine):
    """`docker compose up` as a newcomer types it: builds the Dockerfile's runtime stage."""
    config = subprocess.run(["docker", "compose", "config", "--format", "json"], cwd=ROOT,
                            check=True, capture_output=True, text=True, env={
                                k: v for k, v in os.environ.items()
                                if not k.startswith(("DEV_", "PROJECT_DIR", "IMAGE", "COMPOSE_"))})
    app = json.loads(config.stdout)["services"]["app"]
    assert app["build"]["target"] == "runtime" and app["read_only"] is True
    assert app["ports"][0]["published"] == "8000" and app["ports"][0]["host_ip"] == "127.0.0.1"
    assert app["volumes"][0]["read_only"] is True and app["volumes"][0]["target"] == "/app"


def test_dev_runs_the_procfile_with_the_settings_and_a_random_secret(engine, tmp_path):
    """make dev as a project with a Procfile has it: the release once, before the server, on the
    instance volume the server and the worker share; the worker beside it; env/app.env's
    settings; a random SECRET_KEY, the same for every process and kept across restarts."""
    project = copy_of_this_tree(tmp_path / "project")
    (project.path / "Procfile").write_text(
        "release: python -c \"open('instance/released', 'w').write('yes')\"\n"
        "worker: python -c \"import os, time; open('instance/worker', 'w').write("
        "os.environ['SECRET_KEY']); time.sleep(600)\"\n")
    (project.path / "env/app.env").write_text("NAME=Dev\n")
    (project.path / "env/secrets").write_text("SECRET_KEY\n")
    env = {**os.environ, "DEV_PORT": "", "COMPOSE_PROJECT_NAME": "python-app-dev-procfile",
           "IMAGE": "python-app-test", "PYTHON": f"{ROOT}/.venv/bin/python"}
    compose = ["docker", "compose", "-f", "compose.yaml", "-f", ".cache/dev/compose.yaml"]
    started = subprocess.run(["scripts/dev.sh", "-d", "--wait"], cwd=project.path, env=env,
                             capture_output=True, text=True)
    try:
        assert started.returncode == 0, started.stdout + started.stderr
        name = subprocess.run([*compose, "ps", "-q", "app"], cwd=project.path, env=env,
                              check=True, capture_output=True, text=True).stdout.strip()
        app = Container(name)
        assert "Hello Dev!" in app.wait_until_answering("/")[1]
        assert app.exec("cat", "/app/src/instance/released").stdout == "yes"
        secret = (project.path / ".cache/dev/secrets/SECRET_KEY").read_text()
        assert len(secret) >= 32
        for _ in range(50):
            written = app.exec("cat", "/app/src/instance/worker", check=False)
            if written.returncode == 0:
                break
            time.sleep(0.2)
        assert written.stdout == secret
        assert secret not in json.dumps(inspect(name, "{{json .Config}}"))
        again = subprocess.run(["scripts/dev.sh", "-d", "--wait"], cwd=project.path, env=env,
                               capture_output=True, text=True)
        assert again.returncode == 0, again.stderr
        assert (project.path / ".cache/dev/secrets/SECRET_KEY").read_text() == secret
    finally:
        subprocess.run([*compose, "down", "--volumes"], cwd=project.path, env=env,
                       capture_output=True)
