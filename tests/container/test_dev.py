"""`make dev`: the same image with the source mounted, reloading, under resource limits."""

import os
import shutil
import subprocess
import time

import pytest

from tests.docker import DOCKER, ROOT, Container, docker, inspect

pytestmark = pytest.mark.container


def test_dev_reloads_mounted_source_under_limits(engine, tmp_path):
    shutil.copytree(ROOT / "app", tmp_path / "app")
    name = "python-app-dev-test"
    env = {**os.environ, "DOCKER": DOCKER, "APP_DIR": str(tmp_path / "app"), "DEV_PORT": "",
           "DEV_NAME": name, "IMAGE": "python-app-test"}
    docker("rm", "-f", name, check=False)
    subprocess.run(["scripts/dev.sh", "-d"], cwd=ROOT, env=env, check=True, capture_output=True)
    try:
        container = Container(name)
        assert "Hello World!" in container.wait_until_answering("/")[1]

        host = inspect(name, "{{json .HostConfig}}")
        assert host["NanoCpus"] == 1_000_000_000 and host["Memory"] == 512 * 1024**2
        assert host["ReadonlyRootfs"] is True

        greeting = tmp_path / "app/greeting.py"
        greeting.write_text(greeting.read_text().replace("<h3>Hello", "<h3>Howdy"))
        for _ in range(50):
            if "Howdy World!" in container.wait_until_answering("/")[1]:
                break
            time.sleep(0.2)
        assert "Howdy World!" in container.get("/")[1], container.logs()
    finally:
        docker("rm", "-f", name, check=False)
