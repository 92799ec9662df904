"""Someone else's app through the template, with the README's steps and no other edit: a journal
shaped like the best-known Flask tutorial's (a package named app, as the sample's is; a root module
that configures `app = create_app()`; a root config.py reading DATABASE_URL, SECRET_KEY and
LOG_TO_STDOUT from the environment; Flask-Migrate migrations; an RQ-style worker; unittest tests in
tests.py). Its settings go in env/app.env, its secret's name in env/secrets, its processes in a
Procfile. Then its own tests pass, `make pipeline` publishes it, and `make deploy` runs the
release, the web and the worker on a swarm, where a user registers and signs in."""

import hashlib
import hmac
import json
import os
import secrets
import shutil
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from http.cookiejar import CookieJar
from pathlib import Path

import pytest

from pipeline import adopt
from template.tests.docker import docker
from template.tests.pipeline.conftest import tmp_path_factory_key
from template.tests.support.registry import free_port

pytestmark = [pytest.mark.container, pytest.mark.registry]

JOURNAL = Path(__file__).parent / "journal"
# What the README tells an adopter to put where.
INTO_SRC = ["app", "journal.py", "config.py", "worker.py", "migrations"]
SMOKE = """/auth/login Sign In
/ 302 /auth/login
POST /auth/register username=smoke&password=smoke-pass 302 /auth/login
POST /auth/login username=smoke&password=smoke-pass 302 /
/ Hi, smoke!
"""


def drop_in_the_journal(project):
    src = project.path / "src"
    for name in INTO_SRC:
        source = JOURNAL / name
        if source.is_dir():
            shutil.copytree(source, src / name, dirs_exist_ok=True)  # cp -r app src/
        else:
            shutil.copy2(source, src / name)
    shutil.copy2(JOURNAL / "tests.py", project.path / "tests/tests.py")
    for name in ("Procfile", "requirements.in"):
        shutil.copy2(JOURNAL / name, project.path / name)
    (project.path / "env/app.env").write_text(
        "LOG_TO_STDOUT=1\nDATABASE_URL=sqlite:////app/src/instance/app.db\n")
    (project.path / "env/secrets").write_text("SECRET_KEY\n")
    with (project.path / "smoke.txt").open("a") as smoke:
        smoke.write(SMOKE)
    project.commit("The journal")


class Browser:
    """A user's browser against the deployed journal: cookies kept, redirects not followed."""

    def __init__(self, base):
        self.base, self.jar = base, CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar),
                                                  NoRedirect())

    def ask(self, path, form=None):
        data = None if form is None else "&".join(f"{k}={v}" for k, v in form.items()).encode()
        try:
            with self.opener.open(self.base + path, data=data, timeout=10) as response:
                return response.status, response.read().decode(), response.headers
        except urllib.error.HTTPError as error:
            with error:
                return error.code, error.read().decode(), error.headers


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def test_a_real_shaped_flask_app_adopts_publishes_and_deploys(
        template, registry, trivy_db, trivy_cache, swarm, request, tmp_path):
    name = f"journal-{uuid.uuid4().hex[:6]}"
    venv = template.path / ".venv"
    template.env = {**os.environ, "REGISTRY": registry.address, "VENV": str(venv),
                    "COSIGN_KEY": str(tmp_path_factory_key(request)),
                    "TRIVY_DB_REPOSITORY": trivy_db, "TRIVY_CACHE_DIR": str(trivy_cache)}
    for key in ("IMAGE", "REF", "APP", "SECRET_KEY"):
        template.env.pop(key, None)

    def make(*targets, **env):
        return subprocess.run(["make", "--no-print-directory", *targets], cwd=template.path,
                              env={**template.env, **env}, capture_output=True, text=True,
                              timeout=900)

    drop_in_the_journal(template)
    ours = {p.relative_to(template.path).as_posix(): p.read_bytes()
            for p in (template.path / "src").rglob("*") if p.is_file()}

    # make adopt: the sample's own files go, every file of the journal's package app stays.
    adopted = make("adopt", f"NAME={name}", "APP=journal:app")
    assert adopted.returncode == 0, adopted.stderr
    removed = {line.split()[1] for line in adopted.stdout.splitlines()
               if line.startswith("removed ")} - set(adopt.TEMPLATE)
    assert removed == {"src/app/greeting.py", "src/app/errors.py", "tests/conftest.py",
                       "tests/test_errors.py", "tests/test_factory.py",
                       "tests/test_greeting.py"}
    for path, data in ours.items():
        if path not in removed:
            assert (template.path / path).read_bytes() == data, path
    locked = make("lock")
    assert locked.returncode == 0, locked.stderr
    assert "flask-sqlalchemy==" in (template.path / "requirements.txt").read_text()
    template.commit("Adopt the template")

    # Its own tests, unittest's, in tests/tests.py: collected, passing, under the coverage floor.
    tested = make("test")
    assert tested.returncode == 0, tested.stdout[-3000:] + tested.stderr[-2000:]
    assert "tests/tests.py ....." in tested.stdout and "server/tests/" in tested.stdout

    piped = make("pipeline")
    assert piped.returncode == 0, piped.stdout[-3000:] + piped.stderr[-2000:]
    smoked = (template.path / "artifacts/logs/smoke.log").read_text()
    assert ("healthy, release, /healthz, /version (edge), /auth/login, /, "
            "POST /auth/register, POST /auth/login, /, clean stop") in smoked

    # No secret, no deploy, and nothing changed.
    port = str(free_port())
    refused = make("deploy", "ENV=staging", STACK=name, DEPLOY_PORT=port)
    assert refused.returncode != 0
    assert refused.stderr.strip().splitlines()[0] == (
        "error: secret SECRET_KEY is not set: give it as SECRET_KEY=... in the deploy's "
        "environment (env/secrets lists it); nothing was deployed")
    assert name not in docker("stack", "ls", "--format", "{{.Name}}").stdout.split()

    key = secrets.token_urlsafe(24)
    try:
        deployed = make("deploy", "ENV=staging", STACK=name, DEPLOY_PORT=port, SECRET_KEY=key)
        assert deployed.returncode == 0, deployed.stdout + deployed.stderr
        assert "; release: flask db upgrade; before: nothing" in deployed.stdout

        # A user registers (a database write the release's migration made possible), signs in
        # (a session signed with the secret), and the worker welcomes them (it has the secret
        # and the database too).
        browser = Browser(f"http://127.0.0.1:{port}")
        status, _, headers = browser.ask("/auth/register", {"username": "ann", "password": "pw"})
        assert (status, headers["Location"]) == (302, "/auth/login")
        status, _, headers = browser.ask("/auth/login", {"username": "ann", "password": "pw"})
        assert (status, headers["Location"]) == (302, "/")
        cookie = next(c.value for c in browser.jar if c.name == "session")
        assert session(cookie, key) == {"user": "ann"}
        status, page, _ = browser.ask("/")
        assert status == 200 and "<h1>The Journal</h1><p>Hi, ann!</p>" in page
        signed = hmac.new(key.encode(), b"ann", hashlib.sha256).hexdigest()[:12]
        for _ in range(60):
            welcome = json.loads(browser.ask("/auth/welcome/ann")[1])
            if welcome["done"]:
                break
            time.sleep(0.5)
        assert welcome == {"done": True, "result": f"welcome ann {signed}"}

        # The secret is a file in the tasks, never in what the engine shows.
        for service in ("app", "worker"):
            spec = docker("service", "inspect", f"{name}_{service}").stdout
            assert key not in spec and '"SecretName"' in spec, service
        running = docker("ps", "-q", "--filter", f"label=com.docker.swarm.service.name="
                         f"{name}_app").stdout.split()
        assert key not in docker("inspect", running[0]).stdout
    finally:
        docker("stack", "rm", name, check=False)
        for _ in range(30):
            if docker("volume", "rm", f"{name}_instance", check=False).returncode == 0 or \
                    "no such volume" in docker("volume", "inspect", f"{name}_instance",
                                               check=False).stderr.lower():
                break
            time.sleep(1)
    assert template.git("status", "--porcelain") == ""


def session(cookie, key):
    """Flask's session cookie, read with the key it must have been signed with."""
    from flask import Flask
    from flask.sessions import SecureCookieSessionInterface

    app = Flask("reader")
    app.secret_key = key
    return dict(SecureCookieSessionInterface().get_signing_serializer(app).loads(cookie))
