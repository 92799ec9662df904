"""pipeline.registry against the real registry on loopback."""

import http.server
import threading

import pytest

from pipeline import PipelineError, registry as api
from pipeline.__main__ import main
from tests.support.trivydb import push

pytestmark = pytest.mark.registry


@pytest.fixture(scope="module")
def artifact(registry):
    digest = push(f"http://{registry.address}", "unit/artifact", b"content", tag="1.0.0")
    return registry.address, digest


def test_base_url_is_plain_http_only_on_loopback():
    assert api.base_url("localhost:5000") == "http://localhost:5000"
    assert api.base_url("127.0.0.1:5000") == "http://127.0.0.1:5000"
    assert api.base_url("ghcr.io") == "https://ghcr.io"


def test_ping_digest_and_tags(artifact):
    address, digest = artifact
    api.ping(address)
    assert api.digest(address, "unit/artifact", "1.0.0") == digest
    assert api.digest(address, "unit/artifact", "9.9.9") is None
    assert api.tags(address, "unit/artifact") == ["1.0.0"]
    assert api.tags(address, "unit/nothing") == []


def test_guard_on_the_real_registry(artifact, capsys):
    address, digest = artifact
    args = ["guard", "--registry", address, "--repository", "unit/artifact"]
    assert main([*args, "--tag", "2.0.0", "sha256:other"]) == 0
    assert capsys.readouterr().out == "push\n"
    assert main([*args, "--tag", "1.0.0", digest]) == 0
    assert capsys.readouterr().out == "exists\n"
    assert main([*args, "--tag", "1.0.0", "sha256:other"]) == 1
    assert capsys.readouterr().err == (
        f"error: release 1.0.0 already exists at {digest} with other content: release tags are "
        "immutable; cut a new version instead\n"
    )


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
    with pytest.raises(PipelineError, match=r"answered HTTP 500 for 1.0.0$"):
        api.digest(web_server, "unit/artifact", "1.0.0")
