"""The real server: gunicorn with the project's config file, on a free loopback port."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
GUNICORN = [sys.executable, "-m", "gunicorn", "--config", "app/gunicorn.conf.py"]


def fetch(url):
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.read().decode()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(**env):
    return subprocess.Popen(
        GUNICORN, cwd=ROOT, env={**os.environ, "WEB_CONCURRENCY": "1", **env},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )


@pytest.fixture(scope="module")
def server():
    port = free_port()
    process = start(PORT=str(port), NAME="Gunicorn", APP_VERSION="9.9.9")
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            fetch(base + "/healthz")
            break
        except OSError:
            time.sleep(0.1)
    yield base, process
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=15) == 0  # a graceful stop exits 0
    process.stdout.close()


def test_answers_the_routes(server):
    base, _ = server
    assert "Hello Gunicorn!" in fetch(base + "/")
    assert json.loads(fetch(base + "/healthz")) == {"status": "ok"}
    assert json.loads(fetch(base + "/version"))["version"] == "9.9.9"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"PORT": "abc"}, "config error: PORT='abc' is not an integer; expected 1..65535"),
        ({"WEB_CONCURRENCY": "0"},
         "config error: WEB_CONCURRENCY=0 is out of range; expected 1..64"),
    ],
)
def test_bad_config_stops_with_one_line(env, message):
    process = start(**env)
    output, _ = process.communicate(timeout=20)
    assert process.returncode != 0
    assert output.strip().splitlines() == [message]


def test_settings_come_from_the_environment(monkeypatch):
    import runpy

    monkeypatch.setenv("PORT", "8081")
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    config = runpy.run_path(str(ROOT / "app/gunicorn.conf.py"))
    assert (config["bind"], config["workers"]) == ("0.0.0.0:8081", 3)
    assert config["graceful_timeout"] < 10  # docker stop's default grace period
    assert config["worker_tmp_dir"] == "/dev/shm"


def test_bad_settings_exit_before_any_worker(monkeypatch, capsys):
    import runpy

    monkeypatch.setenv("PORT", "abc")
    with pytest.raises(SystemExit) as exit:
        runpy.run_path(str(ROOT / "app/gunicorn.conf.py"))
    assert exit.value.code == 2
    assert capsys.readouterr().err == (
        "config error: PORT='abc' is not an integer; expected 1..65535\n"
    )
