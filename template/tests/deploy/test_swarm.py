"""`make deploy` on a real single-node Docker Swarm, from the loopback registry: what the pipeline
published runs (edge on staging, a release on production), an update under load drops nothing, a
release that never turns healthy is rolled back by Swarm with the old one still serving, and what
is not signed, not the environment's, or bound for a host that would reset requests never starts.
Its figures (requests, worst latency, update time) end the run's output."""

import os
import re
import signal
import socket
import subprocess
import time
import urllib.request
import uuid

import pytest

from pipeline.__main__ import main as cli
from template.tests.docker import docker
from template.tests.pipeline.conftest import copy_of_this_tree, tmp_path_factory_key
from template.tests.support.registry import free_port
from template.tests.support.swarm import MIGRATE

pytestmark = [pytest.mark.container, pytest.mark.registry]

# Allocates more than the stack's memory limit as it starts: smoke (no limit) passes, Swarm's
# task is killed, as a release that only fails under production's limits would be.
GREEDY = "\n_ballast = b\"\\1\" * (700 * 1024 * 1024)  # written, so resident\n"


@pytest.fixture(scope="module")
def shop(tmp_path_factory, registry, trivy_db, trivy_cache, swarm, request):
    """A project that has run `make pipeline` once (edge: version A), and a stack of its own."""
    path = tmp_path_factory.mktemp("shop")
    name = f"deploy-{uuid.uuid4().hex[:6]}"
    env = {**os.environ, "REGISTRY": registry.address, "IMAGE": f"e2e/{name}",
           "COSIGN_KEY": str(tmp_path_factory_key(request)), "TRIVY_DB_REPOSITORY": trivy_db,
           "TRIVY_CACHE_DIR": str(trivy_cache), "STACK": name, "DEPLOY_PORT": str(free_port())}
    env.pop("REF", None)
    project = copy_of_this_tree(path, env)
    project.port = env["DEPLOY_PORT"]
    release(project, "")
    yield project
    docker("stack", "rm", name, check=False)


def release(project, change, version=""):
    """A new version (on main, or tagged vVERSION), published and signed as `make pipeline`
    does it: its check stage (this suite's own unit tests) aside, which the first version ran."""
    if change:
        (project.path / "src/app/release.txt").write_text(change)
        project.commit(change)
    if version:
        project.git("tag", f"v{version}")
    for name in ("run.json", "published.json"):
        (project.path / "artifacts" / name).unlink(missing_ok=True)
    done = project.make("build", "smoke", "scan", "publish", "sign", PUSH="1") if change else \
        project.make("pipeline")
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]


def deploy(project, env="staging", **variables):
    return project.make("deploy", f"ENV={env}", **variables)


def get(project, path="/"):
    with urllib.request.urlopen(f"http://127.0.0.1:{project.port}{path}", timeout=10) as r:
        return r.read().decode()


def tasks(project):
    """The image of each running task."""
    out = docker("service", "ps", f"{project.env['STACK']}_app", "--filter",
                 "desired-state=running", "--format", "{{.Image}} {{.CurrentState}}").stdout
    return [line.split()[0] for line in out.splitlines() if " Running " in f" {line} "]


def named(project, tag="edge"):
    """What the registry's tag names, by digest."""
    repo = f"{project.env['REGISTRY']}/{project.env['IMAGE']}"
    return repo + "@" + docker("buildx", "imagetools", "inspect", "--format",
                               "{{json .Manifest.Digest}}", f"{repo}:{tag}").stdout.strip('"\n')


class Load:
    """wrk on loopback while a deploy runs: stopped a little after it, at most 3 minutes."""

    def __init__(self, project):
        self.process = subprocess.Popen(
            ["wrk", "-t2", "-c8", "-d180s", "--latency", "--timeout", "5s",
             f"http://127.0.0.1:{project.port}/"], stdout=subprocess.PIPE, text=True)
        time.sleep(1)

    def result(self):
        time.sleep(2)
        self.process.send_signal(signal.SIGINT)  # wrk prints its figures as it stops
        out, _ = self.process.communicate(timeout=30)
        requests = int(re.search(r"(\d+) requests in", out)[1])
        errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)",
                           out)
        failed = sum(map(int, errors.groups())) if errors else 0
        bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
        failed += int(bad[1]) if bad else 0
        worst = re.search(r"Latency\s+\S+\s+\S+\s+(\S+)", out)[1]
        return requests, failed, worst, out


def test_a_release_updates_with_no_failed_request_then_a_bad_one_rolls_back(shop, figure):
    first = deploy(shop)
    assert first.returncode == 0, first.stdout + first.stderr
    a = named(shop)
    assert first.stdout.strip().startswith(f"deployed {a} to staging")
    assert tasks(shop) == [a] * 3 and "Hello World!" in get(shop)

    release(shop, "B", version="1.0.0")
    b, b_commit = named(shop, "1.0.0"), shop.git("rev-parse", "HEAD")
    load = Load(shop)
    updated = deploy(shop, "production", VERSION="1.0.0")
    requests, failed, worst, out = load.result()
    assert updated.returncode == 0, updated.stdout + updated.stderr
    assert updated.stdout.strip().startswith(f"deployed {b} to production")
    assert updated.stdout.strip().endswith(f"before: {a}")
    took = re.search(r"in (\d+) s", updated.stdout)[1]
    figure(f"swarm update A -> B: {took} s, {requests} requests, {failed} failed, "
           f"worst latency {worst}")
    assert failed == 0 and requests >= 1000, out
    assert tasks(shop) == [b] * 3 and b_commit in get(shop, "/version")

    shop.edit("src/app/__init__.py", "from app import errors, greeting\n",
              "from app import errors, greeting\n" + GREEDY)
    release(shop, "C")
    load = Load(shop)
    refused = deploy(shop)
    requests, failed, worst, out = load.result()
    figure(f"swarm rollback of C: {requests} requests, {failed} failed, worst latency {worst}")
    assert refused.returncode != 0
    assert f"error: Swarm rolled {shop.env['STACK']} back to {b}: " in refused.stderr
    assert failed == 0 and requests >= 1000, out
    assert tasks(shop) == [b] * 3 and b_commit in get(shop, "/version")


def test_stacks_on_one_host_never_share_a_port(shop):
    """Staging and production of one app on one host: each on its own port, answering with its
    own settings only; a third stack on a port one of them holds, or on a port a process of no
    stack holds, is refused before anything changes."""
    stack, release_ref = shop.env["STACK"], named(shop, "1.0.0")
    production, port = f"{stack}-production", free_port()
    settings = shop.path / "env/production.env"
    kept = settings.read_text()
    settings.write_text("NAME=Production\n")
    try:
        done = deploy(shop, "production", VERSION="1.0.0", REF=release_ref, STACK=production,
                      DEPLOY_PORT=str(port))
        assert done.returncode == 0, done.stdout + done.stderr
        answers = {get(shop) for _ in range(30)}
        with_port = {urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10).read()
                     for _ in range(30)}
        assert len(answers) == 1 and "Hello World!" in answers.pop()
        assert len(with_port) == 1 and b"Hello Production!" in with_port.pop()

        clash = deploy(shop, "production", VERSION="1.0.0", REF=release_ref,
                       STACK=f"{stack}-clash", DEPLOY_PORT=shop.port)
        assert clash.returncode != 0 and clash.stderr.startswith(
            f"error: port {shop.port} is stack {stack}'s: give production another DEPLOY_PORT, "
            "or remove that stack")
        with socket.socket() as holder:
            held = free_port()
            holder.bind(("0.0.0.0", held))
            holder.listen()
            taken = deploy(shop, "production", VERSION="1.0.0", REF=release_ref,
                           STACK=f"{stack}-held", DEPLOY_PORT=str(held))
        assert taken.returncode != 0 and taken.stderr.startswith(
            f"error: port {held} is held on the node by another process: stop it, or give "
            "production another DEPLOY_PORT")
        stacks = docker("stack", "ls", "--format", "{{.Name}}").stdout.split()
        assert f"{stack}-clash" not in stacks and f"{stack}-held" not in stacks
    finally:
        settings.write_text(kept)
        docker("stack", "rm", production, check=False)


def test_only_the_environments_signed_digest_deploys(shop, capsys):
    running = tasks(shop)
    repo = f"{shop.env['REGISTRY']}/{shop.env['IMAGE']}"
    # The stage's decision, in process: what the last run published, once edge names it.
    assert cli(["deploy-target", "--env", "staging",
                "--artifacts", str(shop.path / "artifacts")]) == 0
    assert capsys.readouterr().out == named(shop) + "\n"
    # A host that would reset the requests queued on a stopping task.
    MIGRATE.write_text("0")
    try:
        resetting = deploy(shop)
    finally:
        MIGRATE.write_text("1")
    assert resetting.returncode != 0 and resetting.stderr.startswith(
        "error: the deploy host would reset queued requests during an update: run sysctl -w "
        "net.ipv4.tcp_migrate_req=1 on it")
    # A target the stage does not know.
    nomad = deploy(shop, TARGET="nomad")
    assert (nomad.returncode, nomad.stderr.splitlines()[0]) == (
        2, "error: TARGET=nomad: expected swarm or kubernetes")
    # A tag, and a digest that is not what edge names.
    by_tag = deploy(shop, REF=f"{repo}:edge")
    assert by_tag.returncode != 0 and by_tag.stderr.startswith(
        f"error: REF='{repo}:edge': deploy by digest (<registry>/<repo>@sha256:...), never by tag")
    other = "sha256:" + "0" * 64
    stale = deploy(shop, REF=f"{repo}@{other}")
    assert stale.returncode != 0 and stale.stderr.startswith(
        f"error: {repo}@{other} is not what {repo}:edge names (sha256:")
    production = shop.make("deploy", "ENV=production")
    assert production.returncode != 0 and "production runs a release: give VERSION=X.Y.Z" in \
        production.stderr
    # A release command that fails: its last lines, and nothing else changed.
    (shop.path / "Procfile").write_text(
        "release: python -c \"import sys; print('migration 42 failed'); sys.exit(3)\"\n")
    try:
        failing = deploy(shop)
    finally:
        (shop.path / "Procfile").unlink()
    assert failing.returncode != 0
    assert failing.stderr.startswith(
        "error: the release command (python -c \"import sys; print('migration 42 failed'); "
        "sys.exit(3)\") exited 3: nothing was deployed, the previous version still serves\n")
    assert "migration 42 failed" in failing.stderr
    assert tasks(shop) == running
    assert f"{shop.env['STACK']}_release" not in docker("service", "ls", "--format",
                                                        "{{.Name}}").stdout.split()
    # edge moved to an index nobody signed (the same image, another digest).
    docker("buildx", "imagetools", "create", "--tag", f"{repo}:edge", f"{repo}:edge",
           "--annotation", "index:org.opencontainers.image.description=unsigned")
    unsigned = deploy(shop, REF=named(shop))
    assert unsigned.returncode != 0 and unsigned.stderr.startswith(
        f"error: {named(shop)}: the signature check failed, nothing was deployed: ")
    assert tasks(shop) == running
