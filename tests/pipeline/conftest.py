"""Real parts for the pipeline's end-to-end tests: a registry on loopback, a Trivy DB served from
it, and throwaway git copies of this repository to run `make` in."""

import json
import os
import shutil
import socket
import subprocess
import urllib.error
import urllib.request
from dataclasses import dataclass

import pytest

from tests.docker import DOCKER, ROOT, engine_or_fail
from tests.support.trivydb import PipAdvisory, pack, push, write_db

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


@pytest.fixture(scope="session")
def trivy_db(registry, tmp_path_factory):
    """The DB the scan stage downloads, the air-gapped way: an OCI artifact in our registry."""
    db = write_db(tmp_path_factory.mktemp("trivy-db"), pip=[VULNERABLE, UNFIXED])
    push(f"http://{registry.address}", "trivy-db", pack(db), tag="2")
    return f"{registry.address}/trivy-db:2"


@pytest.fixture(scope="session")
def trivy_cache(tmp_path_factory):
    return tmp_path_factory.mktemp("trivy-cache")


def tmp_path_factory_key(request):
    """One signing key for the session, outside every project copy, as make's default is."""
    factory = request.getfixturevalue("tmp_path_factory")
    return factory.getbasetemp() / "cosign" / "pipeline.key"


class Project:
    """A git copy of this repository's work tree, where `make` runs as a user would run it."""

    def __init__(self, path, env):
        self.path, self.env = path, env

    def git(self, *args):
        return subprocess.run(["git", *args], cwd=self.path, check=True, capture_output=True,
                              text=True).stdout.strip()

    def commit(self, message="change"):
        self.git("add", "-A")
        self.git("-c", "user.name=Test", "-c", "user.email=test@example.com", "commit", "-qm",
                 message)

    def edit(self, name, old, new):
        path = self.path / name
        text = path.read_text()
        assert old in text
        path.write_text(text.replace(old, new))

    def make(self, *targets, **env):
        # The repository's venv serves every copy (same locked tools); `-o` keeps make from
        # reinstalling it when a test changes a copy's lock.
        venv = f"{ROOT}/.venv"
        return subprocess.run(
            ["make", "--no-print-directory", f"VENV={venv}", "-o", f"{venv}/.installed",
             *(targets or ["pipeline"])],
            cwd=self.path, env={**self.env, **env}, capture_output=True, text=True, timeout=900,
        )


@pytest.fixture
def project(tmp_path, registry, trivy_db, trivy_cache, request):
    files = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                           cwd=ROOT, check=True, capture_output=True, text=True).stdout
    for name in filter(None, files.split("\0")):
        source, dest = ROOT / name, tmp_path / name
        if source.is_file():
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest)  # keeps mtimes: make sees the venv as up to date
    env = {**os.environ, "REGISTRY": registry.address,
           "COSIGN_KEY": str(tmp_path_factory_key(request)),
           "IMAGE": "e2e/" + request.node.name[5:35].replace("_", "-").strip("-"),
           "TRIVY_DB_REPOSITORY": trivy_db, "TRIVY_CACHE_DIR": str(trivy_cache)}
    env.pop("REF", None)
    copy = Project(tmp_path, env)
    copy.git("init", "-q", "-b", "main")
    copy.commit("initial")
    return copy


def last_line(result):
    """The pipeline's own last word; make's "*** Error" note follows it."""
    lines = [line for line in result.stderr.splitlines() if not line.startswith("make")]
    return lines[-1] if lines else ""
