"""A thin handle on the real Docker engine for tests: no mocks, fail (not skip) in CI."""

import json
import os
import shutil
import subprocess
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

from pipeline import base

ROOT = Path(__file__).parents[2]
DOCKER = os.environ.get("DOCKER", "docker")
CONTEXT = ["src", "server", "tests", "requirements.txt", "requirements-dev.txt",
           "requirements-build.txt", "pyproject.toml", ".flake8", "Dockerfile", ".dockerignore"]


def engine_or_fail():
    """In CI a missing engine is a failure; on a laptop without Docker the tests skip."""
    try:
        subprocess.run([DOCKER, "info"], check=True, capture_output=True, timeout=30)
    except (OSError, subprocess.SubprocessError) as error:
        message = f"no Docker engine via {DOCKER!r}: {error}"
        if os.environ.get("CI"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)


def docker(*args, check=True, **kwargs):
    env = {**os.environ, "DOCKER_BUILDKIT": "1"}
    result = subprocess.run(
        [DOCKER, *args], capture_output=True, text=True, env=env, timeout=600, **kwargs
    )
    if check and result.returncode != 0:
        raise AssertionError(f"docker {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


def base_image():
    """The image the build starts from: PYTHON_IMAGE (the stand-in here), else the FROM line's."""
    return base.image()


def base_args():
    """What replaces the Dockerfile's base with PYTHON_IMAGE: the flags `make build` passes."""
    return base.args()


def copy_context(dest):
    """The files a build needs, copied so a test can change them without touching the repo."""
    for name in CONTEXT:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, dest / name)
    return dest


# The tags build() made, removed at the end of the session (the engine outlives it).
BUILT = []


def build(context, *args, tag=None):
    tag = tag or f"python-app-test:{uuid.uuid4().hex[:8]}"
    docker("buildx", "build", "--load", *base_args(), "-t", tag, *args, str(context))
    BUILT.append(tag)
    return tag


def images():
    """Every image reference the engine holds: repo:tag, or repo@digest where untagged."""
    lines = docker("image", "ls", "--digests", "--format",
                   "{{.Repository}}\t{{.Tag}}\t{{.Digest}}").stdout
    rows = [line.split("\t") for line in lines.splitlines()]
    return [f"{repo}:{tag}" if tag != "<none>" else f"{repo}@{digest}"
            for repo, tag, digest in rows if repo != "<none>"]


def remove(refs):
    """Untag what a session made; a reference already gone is no error."""
    if refs:
        docker("rmi", "-f", *refs, check=False)


def inspect(ref, template="{{json .}}"):
    return json.loads(docker("inspect", "-f", template, ref).stdout)


def layers(image):
    return inspect(image, "{{json .RootFS.Layers}}")


class Container:
    """A running container, removed at the end; `url(path)` reaches its port 80 on loopback."""

    def __init__(self, name):
        self.name = name
        port = docker("port", name, "80/tcp").stdout.splitlines()[0].rsplit(":", 1)[1]
        self.base = f"http://127.0.0.1:{port}"

    @classmethod
    def start(cls, image, *args, command=(), publish="127.0.0.1::80"):
        name = f"python-app-test-{uuid.uuid4().hex[:8]}"
        docker("run", "-d", "--name", name, "-p", publish, *args, image, *command)
        return cls(name)

    def url(self, path):
        return self.base + path

    def get(self, path, headers=None, timeout=10):
        request = urllib.request.Request(self.url(path), headers=headers or {})
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read().decode()

    def wait_until_answering(self, path="/healthz", seconds=30):
        deadline = time.monotonic() + seconds
        while True:
            try:
                return self.get(path, timeout=2)
            except OSError:
                if time.monotonic() > deadline or not self.state()["Running"]:
                    raise AssertionError(f"{self.name} never answered:\n{self.logs()}")
                time.sleep(0.2)

    def state(self):
        return inspect(self.name, "{{json .State}}")

    def logs(self):
        result = docker("logs", self.name, check=False)
        return result.stdout + result.stderr

    def exec(self, *command, check=True):
        return docker("exec", self.name, *command, check=check)

    def remove(self):
        docker("rm", "-f", "-v", self.name, check=False)  # -v: its instance volume
