"""Real parts every end-to-end test shares: a registry on loopback and a Trivy DB served from it."""

import json
import os
import socket
import subprocess
import urllib.error
import urllib.request
from dataclasses import dataclass

import pytest

from template.tests.docker import ROOT, DOCKER, engine_or_fail, images, remove
from template.tests.support.trivydb import PipAdvisory, pack, push, write_db

# The advisories the scan gate is tested with. jinja2 3.1.6 really fixed a sandbox escape; the
# repository's lock pins 3.1.6, a lock pinned to 3.1.5 is vulnerable.
VULNERABLE = PipAdvisory("jinja2", "GHSA-cpwx-vrp4-4pq7", ["<3.1.6"], ["3.1.6"], severity="HIGH")
UNFIXED = PipAdvisory("gunicorn", "GHSA-test-unfixed", [">=0"], [], severity="CRITICAL")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Registry:
    address: str  # host:port, as REGISTRY takes it

    def get(self, path, method="GET"):
        accept = ("application/vnd.oci.image.index.v1+json, "
                  "application/vnd.docker.distribution.manifest.v2+json")
        request = urllib.request.Request(
            f"http://{self.address}{path}", method=method, headers={"Accept": accept}
        )
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            with opener.open(request, timeout=10) as response:
                return response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.headers, b""

    def tags(self, repository):
        """Tags people pull by; cosign's signature tags (sha256-...) are not among them."""
        status, _, body = self.get(f"/v2/{repository}/tags/list")
        found = json.loads(body)["tags"] or [] if status == 200 else []
        return sorted(tag for tag in found if not tag.startswith("sha256-"))

    def tags_with_signatures(self, repository):
        """Every tag, cosign's signature and attestation tags (sha256-...) too."""
        status, _, body = self.get(f"/v2/{repository}/tags/list")
        return sorted(json.loads(body)["tags"] or []) if status == 200 else []

    def manifests(self, repository, tag):
        """Platform -> manifest digest of the index at `tag`."""
        status, _, body = self.get(f"/v2/{repository}/manifests/{tag}")
        assert status == 200, (repository, tag, status)
        index = json.loads(body)
        return {f"{m['platform']['os']}/{m['platform']['architecture']}": m["digest"]
                for m in index["manifests"] if m["platform"]["os"] != "unknown"}

    def digest(self, repository, tag):
        status, headers, _ = self.get(f"/v2/{repository}/manifests/{tag}", method="HEAD")
        return headers["Docker-Content-Digest"] if status == 200 else None

    def state(self, repository):
        return {tag: self.digest(repository, tag) for tag in self.tags(repository)}


@pytest.fixture(scope="session")
def registry(tmp_path_factory):
    """Debian's docker-registry on a free loopback port, started by the project's own script."""
    engine_or_fail()
    address = f"127.0.0.1:{free_port()}"
    env = {**os.environ, "DOCKER": DOCKER, "REGISTRY": address,
           "PYTHON": f"{ROOT}/.venv/bin/python",
           "REGISTRY_STATE": str(tmp_path_factory.mktemp("registry"))}
    subprocess.run(["scripts/registry.sh", "start"], cwd=ROOT, env=env, check=True)
    yield Registry(address)
    subprocess.run(["scripts/registry.sh", "stop"], cwd=ROOT, env=env, check=True)
    # What the session pulled from it: the next session's registry has another port.
    remove([ref for ref in images() if ref.startswith(f"{address}/")])


@pytest.fixture(scope="session")
def trivy_db(registry, tmp_path_factory):
    """The DB the scan stage downloads, the air-gapped way: an OCI artifact in our registry."""
    db = write_db(tmp_path_factory.mktemp("trivy-db"), pip=[VULNERABLE, UNFIXED])
    push(f"http://{registry.address}", "trivy-db", pack(db), tag="2")
    return f"{registry.address}/trivy-db:2"


@pytest.fixture(scope="session")
def trivy_cache(tmp_path_factory):
    return tmp_path_factory.mktemp("trivy-cache")
