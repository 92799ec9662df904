"""Someone else's app through the template: the blog (its own package, an application factory,
SQLite in Flask's instance folder, its own tests, no health path of its own) is dropped into a
copy of this repository, `make adopt` runs, and nothing else is edited. Then the whole pipeline
and the tests the project keeps pass, the published image serves the blog, and the deploy stage
runs it on a swarm."""

import json
import os
import subprocess
import urllib.request
import uuid

import pytest

from template.tests.adoption.conftest import drop_in_the_blog
from template.tests.docker import Container, docker
from template.tests.pipeline.conftest import tmp_path_factory_key
from template.tests.support.registry import free_port

pytestmark = [pytest.mark.container, pytest.mark.registry]


def test_an_adopted_flask_app_passes_the_pipeline_and_its_own_tests(
        template, registry, trivy_db, trivy_cache, swarm, request):
    template.env = {**os.environ, "REGISTRY": registry.address,
                    "COSIGN_KEY": str(tmp_path_factory_key(request)),
                    "TRIVY_DB_REPOSITORY": trivy_db, "TRIVY_CACHE_DIR": str(trivy_cache)}
    for key in ("IMAGE", "REF", "APP"):
        template.env.pop(key, None)
    drop_in_the_blog(template)
    # The blog's own smoke request, above the sample's (which make adopt removes).
    template.edit("smoke.txt", "# The sample's requests", "/ The Blog\n# The sample's requests")
    template.commit("the blog's smoke request")
    name = f"blog-{uuid.uuid4().hex[:6]}"
    adopted = template.make("adopt", NAME=name, APP="blog")
    assert adopted.returncode == 0, adopted.stderr
    template.commit("Adopt the template")

    files = template.git("ls-files").splitlines()
    assert not [f for f in files if f.startswith(("src/app/", "template/", ".ci/"))]
    # Nothing of the sample's wording is left, but in the README (the adopter's to rewrite).
    assert not [f for f in files if f != "README.md" and "Hello World" in (
        template.path / f).read_text(errors="replace")]

    kept = template.make("test")
    assert kept.returncode == 0, kept.stdout[-3000:] + kept.stderr[-2000:]
    assert "tests/test_blog.py .." in kept.stdout and "server/tests/" in kept.stdout

    piped = template.make("pipeline")
    assert piped.returncode == 0, piped.stdout[-3000:] + piped.stderr[-2000:]
    smoked = (template.path / "artifacts/logs/smoke.log").read_text()
    assert "smoke passed: linux/amd64: healthy, /healthz, /version (" in smoked
    assert "), /, clean stop" in smoked  # the blog's own request, from smoke.txt
    assert "edge" in registry.tags(name)

    # The published image: read-only, its instance folder a volume the blog writes SQLite to.
    container = Container.start(f"{registry.address}/{name}:edge", "--read-only",
                                "--tmpfs", "/tmp")
    try:
        container.wait_until_answering()
        posted = urllib.request.Request(container.url("/posts"), data=b"title=Adopted",
                                        method="POST")
        with urllib.request.urlopen(posted, timeout=10) as response:
            assert b"Adopted" in response.read()  # redirected to the list, read from SQLite
        version = json.loads(container.get("/version")[1])
        assert version["revision"] == template.git("rev-parse", "HEAD")
        listed = container.exec("ls", "/app/src/instance").stdout.split()
        assert listed == ["blog.sqlite"]
        labels = json.loads(docker("inspect", "-f", "{{json .Config.Labels}}",
                                   container.name).stdout)
        assert labels["org.opencontainers.image.title"] == name
    finally:
        container.remove()

    # The deploy stage keeps working for it: edge to staging on the swarm, the posts in the
    # stack's instance volume.
    port = free_port()
    deployed = template.make("deploy", "ENV=staging", STACK=name, DEPLOY_PORT=str(port))
    try:
        assert deployed.returncode == 0, deployed.stdout + deployed.stderr
        assert deployed.stdout.startswith(f"deployed {registry.address}/{name}@sha256:")
        posted = urllib.request.Request(f"http://127.0.0.1:{port}/posts",
                                        data=b"title=Deployed", method="POST")
        with urllib.request.urlopen(posted, timeout=10) as response:
            assert b"Deployed" in response.read()
    finally:
        docker("stack", "rm", name, check=False)
    assert subprocess.run(["git", "status", "--porcelain"], cwd=template.path,
                          capture_output=True, text=True).stdout == ""
