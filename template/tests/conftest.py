from pathlib import Path

import pytest

# The registry, Trivy DB, swarm and SSH server fixtures, shared by the pipeline's, the
# workflows' and the deploy's runs.
from template.tests.support.registry import registry, trivy_cache, trivy_db  # noqa: F401
from template.tests.support.sshd import sshd  # noqa: F401
from template.tests.support.swarm import swarm  # noqa: F401
from template.tests.docker import BUILT, remove


# The template's own kinds of test (template.mk's -m expressions name them).
MARKERS = [
    "engine: installs or simulates Docker Engine 28 (scripts/engine.sh; root, Debian containers)",
    "mutation: runs a workflow scenario on a broken copy (make mutations; minutes each)",
]


def pytest_configure(config):
    for marker in MARKERS:
        config.addinivalue_line("markers", marker)


@pytest.fixture(scope="session", autouse=True)
def built_images():
    """The engine outlives the session: the images its tests built go with it."""
    yield
    remove(BUILT)


# Figures a test measures (a deploy's requests and latency), printed at the end of every run.
FIGURES = pytest.StashKey[list]()


@pytest.fixture
def figure(request):
    """figure("...") keeps a line for the run's "figures" section, whatever the capture."""
    return request.config.stash.setdefault(FIGURES, []).append


def pytest_terminal_summary(terminalreporter, config):
    lines = config.stash.get(FIGURES, [])
    if lines:
        terminalreporter.section("figures")
        for line in lines:
            terminalreporter.write_line(line)


def pytest_collection_modifyitems(items):
    """The template's own tests: a warning is an error (an app's tests keep them warnings)."""
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.filterwarnings("error"))
