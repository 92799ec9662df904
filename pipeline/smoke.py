"""What the smoke stage asks of a running image: the template's health and build-information
paths, then the adopter's own requests from smoke.txt, in order and as one browser session
(cookies kept): `[METHOD] /path [FORM] EXPECTED`, EXPECTED being the status the path answers
(a redirect not followed, so a 3xx may name its Location), or text the page it leads to holds."""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path
from typing import IO, NoReturn

from pipeline import PipelineError, docker, env, procfile
from pipeline.run import load
from server.settings import HEALTH_PATH, VERSION_PATH

REQUESTS = Path("smoke.txt")
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
SENDS = ("POST", "PUT", "PATCH")  # the methods that send a form, so must be given one
FORM_TYPE = "application/x-www-form-urlencoded"
# Already URL-encoded, as a browser sends it; `-` sends an empty form. Every pair needs its `=`
# so that a forgotten form (`POST /x 302`) is refused rather than sent as the form `302`.
FORM = re.compile(r"-|[^&=\s]+=[^&\s]*(?:&[^&=\s]+=[^&\s]*)*")
STATUS = re.compile(r"\d{3}")
REDIRECT = re.compile(r"(3\d\d)\s+(/\S*)")
SHAPES = ("`[METHOD] /path STATUS`, `[METHOD] /path 3xx /location` or `[METHOD] /path TEXT`, "
          f"METHOD one of {', '.join(METHODS)} (GET if none)")


@dataclass(frozen=True)
class Request:
    path: str
    status: int = 200
    text: str = ""
    method: str = "GET"
    form: str = ""  # sent, with the Content-Type of a form, when the method is one of SENDS
    location: str = ""  # where a 3xx must point: the Location's path and query

    def name(self) -> str:
        return self.path if self.method == "GET" else f"{self.method} {self.path}"

    def describe(self) -> str:
        asked = self.name() + (f" {self.form or '-'}" if self.method in SENDS else "")
        if self.text:
            return f"{asked} {self.text!r}"
        return f"{asked} {self.status}" + (f" {self.location}" if self.location else "")


def parse(text: str, name: str = str(REQUESTS)) -> list[Request]:
    requests = []
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue

        def refuse(expected: str) -> PipelineError:
            return PipelineError(f"{name}:{number}: expected {expected}, got {line!r}")

        method, rest = split(line)
        if method not in METHODS:
            method, rest = "GET", line
        path, rest = split(rest)
        form = ""
        if method in SENDS:
            form, rest = split(rest)
            if not FORM.fullmatch(form):
                raise refuse(f"`{method} /path FORM EXPECTED`, FORM `name=value&...` "
                             "(URL-encoded) or `-` for none")
        if not path.startswith("/") or not rest:
            raise refuse(SHAPES)
        form = "" if form == "-" else form
        redirect = REDIRECT.fullmatch(rest)
        if redirect:
            requests.append(Request(path, int(redirect[1]), method=method, form=form,
                                    location=redirect[2]))
        elif STATUS.fullmatch(rest):
            requests.append(Request(path, int(rest), method=method, form=form))
        elif method == "HEAD":
            raise refuse("`HEAD /path STATUS`: a HEAD answer has no body to hold text")
        else:
            requests.append(Request(path, text=rest, method=method, form=form))
    return requests


def split(text: str) -> tuple[str, str]:
    """The first word and the rest, as it is written but for the spaces around it."""
    words = text.split(None, 1)
    return (words[0], words[1].strip()) if len(words) == 2 else (text, "")


@dataclass(frozen=True)
class Answer:
    status: int
    body: str
    url: str  # what answered: where the redirects led, when followed
    location: str  # a redirect's target, as its path and query ("" if none)

    def describe(self) -> str:
        if self.location and 300 <= self.status < 400:
            return f"{self.status} to {self.location}"  # a redirect's body is boilerplate
        return f"{self.status} {self.body[:80]!r}"


class Stay(urllib.request.HTTPRedirectHandler):
    """Leaves a redirect unfollowed: urllib then answers it as an HTTPError, which fetch reads."""

    def redirect_request(self, req: urllib.request.Request, fp: IO[bytes], code: int, msg: str,
                         headers: Message, newurl: str) -> urllib.request.Request | None:
        return None


class Session:
    """A browser's view: one cookie jar for every request; a status expectation sees the path's
    own answer, a text expectation the page its redirects lead to."""

    def __init__(self, base: str) -> None:
        self.base = base
        jar = http.cookiejar.CookieJar()
        self.follow = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        self.stay = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), Stay())

    def fetch(self, path: str, method: str = "GET", form: str | None = None,
              follow: bool = False) -> Answer:
        url = self.base + path
        data, headers = (None, {}) if form is None else (form.encode(), {"Content-Type": FORM_TYPE})
        asked = urllib.request.Request(url, data, headers, method=method)
        try:
            with (self.follow if follow else self.stay).open(asked, timeout=10) as response:
                return answer(response.status, response.read(), response.url, response.headers)
        except urllib.error.HTTPError as error:
            with error:
                return answer(error.code, error.read(), error.url, error.headers)
        except OSError as error:
            raise PipelineError(f"{url}: {error}") from None

    def ask(self, request: Request) -> Answer:
        form = request.form if request.method in SENDS else None
        return self.fetch(request.path, request.method, form, follow=bool(request.text))


def answer(status: int, body: bytes, url: str, headers: Message) -> Answer:
    location = ""
    if headers.get("Location"):
        # Relative or absolute, it is compared as the path and query it resolves to.
        target = urllib.parse.urlsplit(urllib.parse.urljoin(url, headers["Location"]))
        location = target.path + (f"?{target.query}" if target.query else "")
    return Answer(status, body.decode(errors="replace"), url, location)


def met(request: Request, got: Answer) -> bool:
    if request.text:
        return got.status == 200 and request.text in got.body
    return got.status == request.status and request.location in ("", got.location)


def check(base: str, version: str, requests: list[Request]) -> list[str]:
    """Each check passed, in order; the first failure raises, naming what was asked and got."""
    session = Session(base)
    got = session.fetch(HEALTH_PATH)
    if got.status != 200:
        raise PipelineError(f"{HEALTH_PATH} answered {got.status}")
    passed = [HEALTH_PATH]
    got = session.fetch(VERSION_PATH)
    reported = json.loads(got.body).get("version") if got.status == 200 else None
    if reported != version:
        raise PipelineError(f"{VERSION_PATH} reports {reported!r}, the image's label {version!r}")
    passed.append(f"{VERSION_PATH} ({version})")
    for request in requests:
        got = session.ask(request)
        if not met(request, got):
            led = got.url.removeprefix(base)
            via = f", redirected to {led}," if led != request.path else ""
            raise PipelineError(f"{request.name()}{via} answered {got.describe()}; {REQUESTS} "
                                f"expects {request.describe()}")
        passed.append(request.name())
    return passed


def main(base: str, version: str, requests: Path = REQUESTS) -> list[str]:
    listed = parse(requests.read_text(), str(requests)) if requests.exists() else []
    return check(base.rstrip("/"), version, listed)


# The stage: each platform image of the run record, run as in production (read-only, a tmpfs
# /tmp, a fresh volume on each volume the image declares, the app's settings, a random value for
# each secret), its Procfile's release first, then the server. env/smoke.env, if any, goes over
# env/app.env: where production's database is a server smoke does not have, an app points it at a
# file in the instance volume there. Workers are not started: they wait on services (a queue)
# only a deploy has, and the deploy's update watches them.
SMOKE = "smoke"
VERSION_LABEL = '{{index .Config.Labels "org.opencontainers.image.version"}}'


@dataclass
class Smoke:
    platform: str
    ref: str
    root: Path
    name: str = field(default_factory=lambda: f"smoke-{os.getpid()}")
    volumes: list[str] = field(default_factory=list)
    started: list[str] = field(default_factory=list)

    @property
    def native(self) -> bool:
        arch = docker("version", "-f", "{{.Server.Arch}}").stdout.strip()
        return self.platform == f"linux/{arch}"

    def fail(self, what: str, container: str = "") -> NoReturn:
        logs = docker("logs", "--tail", "20", container, check=False) if container else None
        tail = (logs.stdout + logs.stderr).strip() if logs else ""
        raise PipelineError(f"smoke: {self.platform}: {what}" + (f"\n{tail}" if tail else ""))

    def run_args(self, secrets: dict[str, str]) -> list[str]:
        """docker run's arguments for any process of the image; the secrets' values go through
        the client's environment, never its command line."""
        config = json.loads(docker("image", "inspect", "-f", "{{json .Config}}", self.ref).stdout)
        settings = self.root / ".cache" / f"{self.name}.env"
        settings.parent.mkdir(parents=True, exist_ok=True)
        settings.write_text(env.render(env.settings(self.root, SMOKE)))
        args = ["--platform", self.platform, "--read-only", "--tmpfs", "/tmp",
                "--env-file", str(settings)]
        for number, path in enumerate(sorted(config.get("Volumes") or {})):
            volume = f"{self.name}-{number}"
            if volume not in self.volumes:
                docker("volume", "create", volume)
                self.volumes.append(volume)
            args += ["--mount", f"type=volume,source={volume},target={path}"]
        for key in secrets:
            args += ["--env", key]
        return args

    def run(self, requests: list[Request]) -> list[str]:
        if docker("image", "inspect", self.ref, check=False).returncode != 0:
            docker("pull", "-q", "--platform", self.platform, self.ref)
        version = docker("image", "inspect", "-f", VERSION_LABEL, self.ref).stdout.strip()
        secrets = env.stand_ins(self.root)
        processes = procfile.read(self.root)
        args = self.run_args(secrets)
        environ = {**os.environ, **secrets}
        done: list[str] = []
        if processes.release:
            release = f"{self.name}-release"
            self.started.append(release)
            code = docker("run", "--name", release, *args, self.ref, *processes.release.argv,
                          env=environ, check=False).returncode
            if code != 0:
                self.fail(f"the release command exited {code}: {processes.release.command}",
                          release)
            done.append("release")
        # Probe often while it starts; under QEMU one probe takes seconds.
        probe = ["--health-start-interval", "200ms"] if self.native else [
            "--health-start-interval", "2s", "--health-timeout", "30s"]
        self.started.append(self.name)
        docker("run", "-d", "--name", self.name, *args, "-p", "127.0.0.1::80",
               "--health-interval", "1s", "--health-start-period", "60s", *probe, self.ref,
               env=environ)
        self.healthy()
        port = docker("port", self.name, "80/tcp").stdout.splitlines()[0].rsplit(":", 1)[1]
        try:
            done += check(f"http://127.0.0.1:{port}", version, requests)
        except PipelineError as error:
            self.fail(str(error), self.name)
        grace = "10" if self.native else "60"
        docker("stop", "--time", grace, self.name)
        code = int(docker("inspect", "-f", "{{.State.ExitCode}}", self.name).stdout)
        if code != 0:
            self.fail(f"exited {code} on docker stop, not 0", self.name)
        return done + ["clean stop"]

    def healthy(self) -> None:
        deadline = time.monotonic() + 60  # a foreign platform runs under QEMU
        status = ""
        while time.monotonic() < deadline:
            state = json.loads(docker("inspect", "-f", "{{json .State}}", self.name).stdout)
            status = (state.get("Health") or {}).get("Status", "")
            if status == "healthy":
                return
            if not state["Running"]:
                self.fail("the container exited", self.name)
            time.sleep(0.2)
        self.fail(f"not healthy after 60 s (status: {status})", self.name)

    def remove(self) -> None:
        if self.started:
            docker("rm", "-f", *self.started, check=False)
        if self.volumes:
            docker("volume", "rm", "-f", *self.volumes, check=False)
        (self.root / ".cache" / f"{self.name}.env").unlink(missing_ok=True)


def stage(artifacts: Path, root: Path = Path(".")) -> list[str]:
    """Smoke-test every platform of the run record; each passed is recorded, one line each."""
    path = artifacts / "run.json"
    record = load(path)
    listed = parse((root / REQUESTS).read_text(), str(REQUESTS)) \
        if (root / REQUESTS).exists() else []
    said = []
    for built in record.platforms:
        smoke = Smoke(built.platform, built.ref, root)
        try:
            passed = smoke.run(listed)
        finally:
            smoke.remove()
        record.passed("smoke", built.platform)
        record.save(path)
        said.append(f"smoke passed: {built.platform}: healthy, {', '.join(passed)}")
    return said
