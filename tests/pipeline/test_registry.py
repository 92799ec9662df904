"""pipeline.registry against the real registry on loopback."""

import http.server
import json
import os
import subprocess
import sys
import tarfile
import threading

import pytest

from pipeline import PipelineError, registry as api
from pipeline.__main__ import main
from tests.docker import DOCKER, ROOT, base_image, docker

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


@pytest.fixture(scope="module")
def pushed(registry, tmp_path_factory):
    """A tiny image pushed as 1.0.0, and the digest the registry gave it."""
    layer = tmp_path_factory.mktemp("layer")
    (layer / "hello").write_text("hello\n")
    tar = layer / "layer.tar"
    with tarfile.open(tar, "w") as archive:
        archive.add(layer / "hello", arcname="hello")
    ref = f"{registry.address}/unit/tiny:1.0.0"
    docker("import", str(tar), ref)
    docker("push", ref)
    return f"{registry.address}/unit/tiny", registry.digest("unit/tiny", "1.0.0")


def guard_release(repo, tag, *candidates):
    env = {**os.environ, "DOCKER": DOCKER, "PYTHON": sys.executable}
    return subprocess.run(["scripts/guard-release.sh", repo, tag, *candidates], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)


def test_guard_release_reads_the_registry_through_docker(pushed):
    repo, digest = pushed
    assert guard_release(repo, "2.0.0", "sha256:new").stdout == "push\n"
    assert guard_release(repo, "1.0.0", "sha256:other", digest).stdout == "exists\n"
    refused = guard_release(repo, "1.0.0", "sha256:other")
    assert refused.returncode == 1
    assert refused.stderr == (f"error: release 1.0.0 already exists at {digest} with other "
                              "content: release tags are immutable; cut a new version instead\n")


def test_guard_release_when_the_registry_is_down():
    result = guard_release("127.0.0.1:9/unit/tiny", "1.0.0", "sha256:new")
    assert result.returncode == 1
    assert result.stderr.startswith("error: cannot read 127.0.0.1:9/unit/tiny:1.0.0 from its "
                                    "registry: ")


def test_the_pushed_image_is_the_scanned_one(pushed, registry, tmp_path, capsys):
    """`docker image inspect` (what was scanned) against the config the registry serves."""
    repo, digest = pushed
    status, _, body = registry.get(f"/v2/unit/tiny/manifests/{digest}")
    config_digest = json.loads(body)["config"]["digest"]
    status, _, config = registry.get(f"/v2/unit/tiny/blobs/{config_digest}")
    (tmp_path / "pushed.json").write_bytes(config)
    (tmp_path / "scanned.json").write_text(docker("image", "inspect", f"{repo}:1.0.0").stdout)
    assert main(["same-image", str(tmp_path / "scanned.json"), str(tmp_path / "pushed.json")]) == 0
    assert capsys.readouterr().out.startswith("the pushed image is the scanned image")

    (tmp_path / "other.json").write_text(docker("image", "inspect", base_image()).stdout)
    assert main(["same-image", str(tmp_path / "other.json"), str(tmp_path / "pushed.json")]) == 1
    assert "the pushed image is not the scanned one (layers" in capsys.readouterr().err
