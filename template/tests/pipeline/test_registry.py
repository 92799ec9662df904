"""pipeline.registry against the real registry on loopback."""

import http.server
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from pipeline import PipelineError, registry as api
from pipeline.__main__ import main

pytestmark = pytest.mark.registry


def test_base_url_is_plain_http_only_on_loopback():
    assert api.base_url("localhost:5000") == "http://localhost:5000"
    assert api.base_url("127.0.0.1:5000") == "http://127.0.0.1:5000"
    assert api.base_url("ghcr.io") == "https://ghcr.io"


def test_ping_the_real_registry(registry):
    api.ping(registry.address)
    assert main(["ping", "--registry", registry.address]) == 0


def test_unreachable_registry():
    with pytest.raises(PipelineError, match=r"^registry 127.0.0.1:9 is not reachable \(.*\): "
                                            r"start it with `make registry` or set REGISTRY$"):
        api.ping("127.0.0.1:9")


@pytest.fixture
def web_server():
    """A plain web server where a registry was expected (a wrong REGISTRY)."""

    class Broken(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_error(500)

        do_HEAD = do_GET

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Broken)
    thread = threading.Thread(target=server.serve_forever)
    thread.start()
    yield f"127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join()


def test_not_a_registry(web_server):
    with pytest.raises(PipelineError, match=r"answered /v2/ with HTTP 500$"):
        api.ping(web_server)


@pytest.mark.parametrize(("registry", "code"), [
    ("localhost:5000", 0), ("127.0.0.1:5000", 0), ("127.1.2.3:80", 0), ("ghcr.io", 3),
    ("registry.example.com:5000", 3)])
def test_the_loopback_rule_is_one_command_for_the_shell(registry, code):
    """scripts/lib/cosign.sh asks this (no request is sent) rather than spelling the rule again."""
    done = subprocess.run([sys.executable, "-m", "pipeline", "ping", "--plain-http", "--registry",
                           registry], capture_output=True, cwd=Path(__file__).parents[3])
    assert done.returncode == code
