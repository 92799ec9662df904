"""A single-node Docker Swarm on the test engine, for the deploy stage's tests."""

from pathlib import Path

import pytest

from template.tests.docker import docker

# scripts/deploy.sh refuses a host that would reset queued requests during an update.
MIGRATE = Path("/proc/sys/net/ipv4/tcp_migrate_req")


@pytest.fixture(scope="session")
def swarm():
    """The engine in swarm mode, its host set as deploy.sh asks; both undone afterwards."""
    active = docker("info", "-f", "{{.Swarm.LocalNodeState}}").stdout.strip() == "active"
    if not active:
        docker("swarm", "init", "--advertise-addr", "127.0.0.1")
    migrate = MIGRATE.read_text()
    MIGRATE.write_text("1")
    yield MIGRATE
    MIGRATE.write_text(migrate)
    if not active:
        docker("swarm", "leave", "--force", check=False)
