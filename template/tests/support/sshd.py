"""An SSH server on loopback that lets one fresh key in as this machine's user: a swarm manager
reached the way the deploy job reaches one (docker over ssh, `docker system dial-stdio`)."""

import getpass
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from template.tests.support.registry import free_port

SSHD = "/usr/sbin/sshd"  # openssh-server


@dataclass(frozen=True)
class Server:
    host: str  # host:port, as the secret DEPLOY_HOST holds it
    user: str
    key: str  # the client's private key
    known_hosts: str  # as ssh-keyscan prints the server's key


@pytest.fixture
def sshd(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sshd")
    for name in ("host", "client"):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f",
                        str(folder / name)], check=True)
    (folder / "authorized_keys").write_text((folder / "client.pub").read_text())
    Path("/run/sshd").mkdir(exist_ok=True)  # its privilege separation directory
    port = free_port()
    # No configuration file of the machine's: only what is given here.
    process = subprocess.Popen(
        [SSHD, "-D", "-e", "-f", "/dev/null", "-p", str(port), "-h", str(folder / "host"),
         "-o", "ListenAddress=127.0.0.1", "-o", f"AuthorizedKeysFile={folder}/authorized_keys",
         "-o", "StrictModes=no", "-o", "PasswordAuthentication=no", "-o", "PidFile=none",
         "-o", "PermitRootLogin=prohibit-password"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            assert process.poll() is None and time.monotonic() < deadline, "sshd did not start"
            time.sleep(0.1)
    kind, key, _ = (folder / "host.pub").read_text().split()
    yield Server(host=f"127.0.0.1:{port}", user=getpass.getuser(),
                 key=(folder / "client").read_text(),
                 known_hosts=f"[127.0.0.1]:{port} {kind} {key}")
    process.terminate()
    process.wait(timeout=10)
