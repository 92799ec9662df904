"""The real server: gunicorn with the template's config file serving an app of these tests, on a
free loopback port."""

import json
import os
import runpy
import signal
import socket
import subprocess
import sys
import threading
import time
import types
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
CONFIG = ROOT / "server/gunicorn.conf.py"
GUNICORN = [sys.executable, "-m", "gunicorn", "--config", str(CONFIG)]


def fetch(url):
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.read().decode()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def start(apps):
    def start(stdout=subprocess.PIPE, **env):
        return subprocess.Popen(
            GUNICORN, cwd=ROOT, stdout=stdout, stderr=subprocess.STDOUT, text=True,
            env={**os.environ, "PYTHONPATH": str(apps), "WEB_CONCURRENCY": "1", "APP": "xshop",
                 **env})
    return start


def test_serves_the_app_and_stops_cleanly(start, monkeypatch):
    port = free_port()
    process = start(PORT=str(port), SHOP_NAME="Gunicorn", APP_VERSION="9.9.9")
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                fetch(base + "/healthz")
                break
            except OSError:
                time.sleep(0.1)
        assert fetch(base + "/") == "xshop Gunicorn"
        assert json.loads(fetch(base + "/healthz")) == {"status": "ok"}
        assert json.loads(fetch(base + "/version"))["version"] == "9.9.9"
        # The image's health check (python -m server.probe), on the server's own socket.
        from server import probe

        monkeypatch.setenv("PORT", str(port))
        assert probe.main() == 0
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 0  # a graceful stop exits 0
        process.stdout.close()


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"PORT": "abc"}, "config error: PORT='abc' is not an integer; expected 1..65535"),
        ({"WEB_CONCURRENCY": "0"},
         "config error: WEB_CONCURRENCY=0 is out of range; expected 1..64"),
        ({"APP": "no_such_app"},
         "config error: APP='no_such_app': no package or module 'no_such_app' to serve"),
        ({"APP": ""}, "config error: APP is not set; expected a package, module or "
                      "module:callable"),
    ],
)
def test_bad_config_stops_with_one_line(start, env, message):
    process = start(**env)
    output, _ = process.communicate(timeout=20)
    assert process.returncode != 0
    assert output.strip().splitlines() == [message]


def wait_until_serving(url):
    for _ in range(100):
        try:
            return fetch(url)
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"{url} never answered")


def test_two_servers_share_the_port_and_the_one_that_stays_takes_every_request(start):
    """What a rolling update on a host's network relies on: the new server listens beside the old
    one, and once the old one stops, the port is the new one's alone."""
    port = free_port()
    # Their access logs are not read: a full pipe would stall them.
    old = start(subprocess.DEVNULL, PORT=str(port), SHOP_NAME="Old", SHARE_PORT="1")
    wait_until_serving(f"http://127.0.0.1:{port}/")
    new = start(subprocess.DEVNULL, PORT=str(port), SHOP_NAME="New", SHARE_PORT="1")
    try:
        seen, deadline = set(), time.monotonic() + 20
        while len(seen) < 2 and new.poll() is None and time.monotonic() < deadline:
            seen.add(fetch(f"http://127.0.0.1:{port}/"))
        assert seen == {"xshop Old", "xshop New"}
        old.send_signal(signal.SIGTERM)
        assert old.wait(timeout=15) == 0
        assert {fetch(f"http://127.0.0.1:{port}/") for _ in range(50)} == {"xshop New"}
    finally:
        for process in (old, new):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                process.wait(timeout=15)


def test_the_probe_fails_when_nothing_answers(monkeypatch, capsys):
    from server import probe

    port = free_port()
    monkeypatch.setenv("PORT", str(port))
    assert probe.main() == 1
    # No socket file, or one a stopped server left behind: either way nothing answers.
    assert capsys.readouterr().err.startswith(f"/dev/shm/server-{port}.sock: [Errno ")


def test_the_probe_fails_on_an_answer_other_than_200(monkeypatch, capsys, tmp_path):
    from server import probe

    path = tmp_path / "server.sock"
    monkeypatch.setattr(probe, "socket_path", lambda port: str(path))
    with socket.socket(socket.AF_UNIX) as listener:
        listener.bind(str(path))
        listener.listen()
        # An answer queued before the probe asks: the server's whole reply, whatever the request.
        reply = threading.Thread(target=lambda: answer(listener, b"HTTP/1.1 503 Busy\r\n"
                                                       b"Content-Length: 0\r\n\r\n"))
        reply.start()
        assert probe.main() == 1
        reply.join(timeout=5)
    assert capsys.readouterr().err == f"{path}: /healthz answered 503\n"


def answer(listener, response):
    connection, _ = listener.accept()
    with connection:
        connection.recv(65536)
        connection.sendall(response)


def listeners(port):
    """gunicorn.conf.py's on_starting, in process, with gunicorn's own config and logger."""
    from gunicorn.config import Config
    from gunicorn.glogging import Logger

    config = runpy.run_path(str(CONFIG))
    server = types.SimpleNamespace(cfg=Config(), log=Logger(Config()))
    config["on_starting"](server)
    return server.LISTENERS


def test_a_server_that_does_not_share_its_port_is_refused_it_and_says_so(start):
    """Two apps, or staging and production, on one host and one port: the second never starts,
    so neither answers the other's requests."""
    port = free_port()
    first = start(subprocess.DEVNULL, PORT=str(port), SHOP_NAME="Production")
    try:
        wait_until_serving(f"http://127.0.0.1:{port}/")
        second = start(PORT=str(port), SHOP_NAME="Staging")
        out, _ = second.communicate(timeout=30)
        assert second.returncode == 1
        assert f"error: cannot listen on port {port}: Address already in use" in out
        assert {fetch(f"http://127.0.0.1:{port}/") for _ in range(20)} == {"xshop Production"}
    finally:
        first.send_signal(signal.SIGTERM)
        first.wait(timeout=15)


def test_the_port_is_shared_only_when_asked_and_the_unix_socket_is_the_servers_own(
        monkeypatch):
    port = free_port()
    monkeypatch.setenv("APP", "server")
    monkeypatch.setenv("PORT", str(port))
    tcp, unix = listeners(port)
    try:
        assert tcp.sock.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT) == 0
    finally:
        for listener in (tcp, unix):
            listener.close()
    monkeypatch.setenv("SHARE_PORT", "1")
    tcp, unix = listeners(port)
    try:
        assert tcp.sock.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT) == 1
        assert tcp.sock.getsockname() == ("0.0.0.0", port)
        assert unix.sock.getsockname() == f"/dev/shm/server-{port}.sock"
    finally:
        for listener in (tcp, unix):
            listener.close()


def test_a_port_held_without_sharing_stops_the_server_with_one_line(monkeypatch, capsys):
    port = free_port()
    monkeypatch.setenv("APP", "server")
    monkeypatch.setenv("PORT", str(port))
    with socket.socket() as holder:
        holder.bind(("0.0.0.0", port))
        holder.listen()
        with pytest.raises(SystemExit) as exit:
            listeners(port)
    assert exit.value.code == 1
    assert capsys.readouterr().err == (
        f"error: cannot listen on port {port}: Address already in use\n")


def test_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("APP", "server")
    monkeypatch.setenv("PORT", "8081")
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    config = runpy.run_path(str(CONFIG))
    assert config["bind"] == ["0.0.0.0:8081", "unix:/dev/shm/server-8081.sock"]
    assert (config["workers"], config["preload_app"]) == (3, True)
    assert config["graceful_timeout"] < 10  # docker stop's default grace period
    assert config["worker_tmp_dir"] == "/dev/shm"


def test_bad_settings_exit_before_any_worker(monkeypatch, capsys):
    monkeypatch.setenv("APP", "server")
    monkeypatch.setenv("PORT", "abc")
    with pytest.raises(SystemExit) as exit:
        runpy.run_path(str(CONFIG))
    assert exit.value.code == 2
    assert capsys.readouterr().err == (
        "config error: PORT='abc' is not an integer; expected 1..65535\n"
    )


def chunked(port, body, size=100):
    """A POST whose body comes in chunks, with no Content-Length, as a streaming client sends it."""
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + size]), body[i:i + size])
                      for i in range(0, len(body), size))
    request = (b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
               b"Connection: close\r\n\r\n" + chunks + b"0\r\n\r\n")
    with socket.create_connection(("127.0.0.1", port), timeout=10) as client:
        client.sendall(request)
        answer = b""
        while data := client.recv(65536):
            answer += data
    head, _, rest = answer.partition(b"\r\n\r\n")
    return int(head.split()[1]), rest


def test_a_chunked_body_over_the_limit_is_refused_too(start):
    """No Content-Length to read: the server counts what comes, and the app never sees more than
    the limit."""
    port = free_port()
    server = start(subprocess.DEVNULL, PORT=str(port), MAX_CONTENT_LENGTH="10")
    try:
        wait_until_serving(f"http://127.0.0.1:{port}/")
        assert chunked(port, b"x" * 10, size=4) == (200, b"x" * 10)
        status, body = chunked(port, b"x" * 2000)
        assert (status, json.loads(body)) == (413, {"error": "Request Entity Too Large",
                                                    "status": 413})
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=15)
