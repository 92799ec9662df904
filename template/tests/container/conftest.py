import pytest

from template.tests.docker import ROOT, Container, build, engine_or_fail

BUILD_ARGS = {
    "VERSION": "1.2.3",
    "REVISION": "0123456789abcdef0123456789abcdef01234567",
    "CREATED": "2026-11-25T01:02:03Z",
    "SOURCE": "https://github.com/example/python-app",
    "TITLE": "python-app",
}


@pytest.fixture(scope="session")
def engine():
    engine_or_fail()


@pytest.fixture(scope="session")
def image(engine):
    """The image, built once per session from the repository through the real engine."""
    args = [arg for key, value in BUILD_ARGS.items() for arg in ("--build-arg", f"{key}={value}")]
    return build(ROOT, *args, tag="python-app-test:session")


@pytest.fixture
def run(image):
    """Start containers of the session image (read-only, tmpfs /tmp, as in production)."""
    started = []

    def start(*args, command=(), image=image, read_only=True):
        flags = ["--read-only", "--tmpfs", "/tmp"] if read_only else []
        container = Container.start(image, *flags, *args, command=command)
        started.append(container)
        return container

    yield start
    for container in started:
        container.remove()
