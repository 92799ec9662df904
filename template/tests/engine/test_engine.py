"""The engine script, for real: on this machine a second run installs nothing and is quick; in a
Debian 12 and a Debian 13 container, with apt sources written the way this machine's are, its
`--simulate` shows what `.ci/run`'s call would install, and nothing but the engine comes from the
testing suite; in a privileged Debian 13 container it installs and starts the engine for real."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest

from template import debian
from template.tests.docker import DOCKER, engine_or_fail
from template.tests.engine import probe

ROOT = Path(__file__).parents[3]
ENGINE_SH = ROOT / "template/scripts/engine.sh"
TRIXIE = os.environ.get("STAND_IN_IMAGE", "python-stand-in:3.13-slim")  # a debootstrapped trixie
# The engine Debian's packages give, at least: what the pipeline relies on (issue 9).
ENGINE_MIN, COMPOSE_MIN = (28, 5), 2
# docker.io from the suite brings its tini-static along (issue 9: "tini became tini-static").
TINI = {"tini", "tini-static"}

pytestmark = [pytest.mark.container, pytest.mark.engine]


def debian_root_or_fail(*tools: str) -> None:
    """CI is a Debian machine run as root: anything less fails there. Elsewhere (a laptop with
    Docker Desktop) these tests skip."""
    lacking = [tool for tool in ("dpkg-query", "apt-get", *tools) if not shutil.which(tool)]
    problem = (f"no {', '.join(lacking)} here: not Debian" if lacking
               else "" if os.geteuid() == 0 else "not root")
    if problem:
        if os.environ.get("CI"):
            pytest.fail(problem, pytrace=False)
        pytest.skip(problem)


def ci_run_packages() -> list[str]:
    """The packages `.ci/run` asks template/scripts/engine.sh for: one source of truth for both."""
    for line in (ROOT / ".ci/run").read_text().splitlines():
        if line.strip().startswith("template/scripts/engine.sh"):
            words = shlex.split(line, comments=True)
            if words[0] == "template/scripts/engine.sh":
                return words[1:]
    raise AssertionError(".ci/run never calls `template/scripts/engine.sh PACKAGE...`")


def engine_packages() -> list[str]:
    """The engine's packages as template/scripts/engine.sh names them (`engine=(...)`)."""
    found = re.search(r"^engine=\(([^)]*)\)$", ENGINE_SH.read_text(), re.M)
    assert found, "template/scripts/engine.sh has no `engine=(...)` line"
    return found[1].split()


def version(text: str) -> tuple[int, ...]:
    """28.5.2+dfsg4-5 -> (28, 5, 2); an epoch (1:7.2) is dropped."""
    return tuple(int(part) for part in re.findall(r"\d+", text.split(":")[-1].split("+")[0])[:3])


@dataclass
class Simulation:
    release: str
    output: str  # template/scripts/engine.sh --simulate: apt-get -s
    installs: dict[str, str]  # package -> version, from the `Inst` lines
    suites: dict[str, set[str]]  # package -> the suites that carry the version to be installed
    installed: set[str]  # packages the container already had
    files: dict[str, str]  # what was written to /etc/apt, and a package's file list

    def from_testing(self) -> set[str]:
        return {pkg for pkg, suites in self.suites.items() if suites == {debian.SUITE}}


# Runs in the container: the machine-like sources, then the project's script, then what apt says
# about the result. /etc/apt/sources.list is debootstrap's: the machine-like file replaces it.
SCRIPT = """
set -euo pipefail
. /etc/os-release
[ "$VERSION_CODENAME" = "$RELEASE" ] || {{ echo "the image is $VERSION_CODENAME" >&2; exit 1; }}
rm -f /etc/apt/sources.list
cp /out/sources "$SOURCES"
/src/template/scripts/engine.sh --simulate "$@" >/out/simulate
cp /etc/apt/sources.list.d/{suite}.sources /out/source
cp /etc/apt/preferences.d/{suite} /out/pin
packages=$(awk '/^Inst /{{print $2}}' /out/simulate)
apt-cache madison $packages >/out/madison
dpkg-query -W -f '${{db:Status-Abbrev}} ${{Package}}\\n' \\
  | awk '$1 == "ii" {{print $2}}' >/out/installed
# Debian 13's qemu-user-static is transitional: see which files register arm64 there.
if grep -qx qemu-user-binfmt <<<"$packages"; then
  cd /tmp && apt-get download -q qemu-user-binfmt >/dev/null
  dpkg-deb -c qemu-user-binfmt_*.deb >/out/binfmt
fi
"""


# The install for real, then a second run, timed, and what the machine has afterwards.
FULL_INSTALL = """
set -euo pipefail
rm -f /etc/apt/sources.list
cp /out/sources "$SOURCES"
/src/template/scripts/engine.sh >/out/first
cp /var/log/apt/history.log /out/history
start=$(date +%s%N)
/src/template/scripts/engine.sh >/out/second
echo $(( ($(date +%s%N) - start) / 1000000 )) >/out/milliseconds
cmp -s /var/log/apt/history.log /out/history && echo unchanged >/out/history
command -v docker >/out/client
docker info -f '{{.DriverStatus}}' >/out/store
"""


def machine_like_sources(release: str) -> tuple[str, str]:
    """This machine's own Debian sources file, for `release`: same URIs and keys, its suites."""
    apt = Path("/etc/apt")
    path = apt / "sources.list.d/debian.sources"
    if not path.exists():
        path = apt / "sources.list"  # a one-line machine: the container gets the same
    own = debian.codename()
    return str(path), re.sub(rf"\b{own}\b", release, path.read_text())


RELEASES = ("bookworm", "trixie")


def read_results(release: str, out: Path) -> Simulation:
    output = (out / "simulate").read_text()
    installs = dict(re.findall(r"^Inst (\S+) (?:\[\S+\] )?\((\S+) ", output, re.M))
    suites: dict[str, set[str]] = {}
    for line in (out / "madison").read_text().splitlines():
        # " docker.io | 28.5.2+dfsg4-5 | http://... forky/main amd64 Packages"
        pkg, ver, where = (field.strip() for field in line.split("|"))
        if installs.get(pkg) == ver:
            suites.setdefault(pkg, set()).add(where.split()[1].split("/")[0])
    files = {name: (out / name).read_text() for name in ("source", "pin", "binfmt")
             if (out / name).exists()}
    return Simulation(release, output, installs, suites,
                      set((out / "installed").read_text().split()), files)


@dataclass
class Job:
    out: Path
    process: subprocess.Popen[str]

    def wait(self) -> Path:
        stdout, stderr = self.process.communicate(timeout=600)
        assert self.process.returncode == 0, f"{stdout}\n{stderr}"
        return self.out


@pytest.fixture(scope="module")
def jobs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Job]]:
    """The containers of this module, all started at once: each mostly waits on the mirror.
    One per release simulates .ci/run's call (one `apt-get update` each, every assertion reads
    the result); a privileged Debian 13 one installs the engine for real."""
    engine_or_fail()
    debian_root_or_fail("debootstrap")
    images = {"bookworm": probe.bookworm(), "trixie": TRIXIE, "install": TRIXIE}
    assert probe.present(TRIXIE), f"{TRIXIE} is missing: run `make stand-in-base`"
    scripts = {"bookworm": SCRIPT.format(suite=debian.SUITE),
               "trixie": SCRIPT.format(suite=debian.SUITE), "install": FULL_INSTALL}
    packages = ci_run_packages()
    started, names = {}, []
    try:
        for job, image in images.items():
            release = "trixie" if job == "install" else job
            out = tmp_path_factory.mktemp(f"engine-{job}")
            path, sources = machine_like_sources(release)
            (out / "sources").write_text(sources)
            names.append(f"engine-test-{job}-{uuid.uuid4().hex[:8]}")
            command = [
                DOCKER, "run", "--rm", "--name", names[-1],
                # This machine's apt settings: Check-Valid-Until off, which forky needs here.
                "-v", "/etc/apt/apt.conf.d:/etc/apt/apt.conf.d:ro",
                "-e", f"SOURCES={path}", "-e", f"RELEASE={release}",
                "-v", f"{ROOT}:/src:ro", "-v", f"{out}:/out",
                "-e", "PYTHONDONTWRITEBYTECODE=1",
                # dockerd runs inside the install's container; nothing outside it changes.
                *(["--privileged"] if job == "install" else []),
                image, "bash", "-c", scripts[job], "bash", *packages]
            started[job] = Job(out, subprocess.Popen(command, stdout=subprocess.PIPE,
                                                     stderr=subprocess.PIPE, text=True))
        yield started
    finally:  # after a failure, a timeout or a deselected test, a container may still run
        subprocess.run([DOCKER, "rm", "-f", *names], capture_output=True)
        for job in started.values():
            if job.process.poll() is None:
                job.process.kill()
            job.process.communicate()


@pytest.fixture(scope="module")
def simulations(jobs: dict[str, Job]) -> dict[str, Simulation]:
    return {release: read_results(release, jobs[release].wait()) for release in RELEASES}


@pytest.fixture(params=RELEASES)
def simulation(request: pytest.FixtureRequest, simulations: dict[str, Simulation]) -> Simulation:
    return simulations[request.param]


def test_ci_packages_resolve_with_the_engine(simulation):
    """Everything .ci/run asks for is installed or would be, on this release."""
    sim = simulation
    assert sim.installs, sim.output
    names = {package.split("/")[0] for package in ci_run_packages() + engine_packages()}
    assert names - set(sim.installs) - sim.installed == set(), sim.output
    assert set(sim.suites) == set(sim.installs), "madison knows every package to install"


def test_the_engine_is_28_5_or_newer_with_buildx_compose_and_the_client(simulation):
    installs = simulation.installs
    assert version(installs["docker.io"])[:2] >= ENGINE_MIN
    # Debian 13's docker.io only recommends docker-cli: without it there is no /usr/bin/docker.
    assert version(installs["docker-cli"])[:2] >= ENGINE_MIN
    assert "docker-buildx" in installs
    assert version(installs["docker-compose"])[0] >= COMPOSE_MIN  # the v2 plugin


def test_only_the_engine_and_what_is_asked_for_comes_from_testing(simulation):
    asked = {package.split("/")[0] for package in ci_run_packages()
             if package.endswith(f"/{debian.SUITE}")}
    engine = set(engine_packages())
    from_testing = simulation.from_testing()
    assert from_testing - engine - asked - TINI == set(), simulation.output
    # The classification sees the testing suite at all: what was asked from it comes from it.
    assert engine | asked <= from_testing


def test_the_source_is_the_machines_mirror_for_the_testing_suite_pinned_low(simulation):
    source = debian.parse(simulation.files["source"], deb822=True)
    own = debian.own(debian.read(), debian.codename())
    assert source == [debian.Entry(own.uris, (debian.SUITE,), own.components, own.signed_by)]
    assert simulation.files["pin"] == debian.pin()


def test_qemu_for_arm64_is_installed_and_registrable(simulation):
    """Debian 12: qemu-user-static (binfmt-support's format). Debian 13: a transitional package
    whose qemu-user-binfmt registers through systemd's binfmt.d, which the engine script reads where
    no systemd runs."""
    installs = simulation.installs
    print(f"{simulation.release}: " + ", ".join(
        f"{pkg} {ver}" for pkg, ver in installs.items() if pkg.startswith(("qemu", "binfmt"))))
    assert "qemu-user-static" in installs or "qemu-user-static" in simulation.installed
    if simulation.release == "trixie":
        assert "qemu-user-binfmt" in installs
        assert "./usr/lib/binfmt.d/qemu-aarch64.conf" in simulation.files["binfmt"]
        assert "/usr/lib/binfmt.d/qemu-aarch64.conf" in ENGINE_SH.read_text()


@pytest.mark.parametrize("packages", [[], "ci"], ids=["engine-only", "ci-run-packages"])
def test_a_second_run_on_this_machine_installs_nothing_and_is_quick(packages, tmp_path):
    """After .ci/run (or a first `make engine`), template/scripts/engine.sh only checks."""
    engine_or_fail()
    if packages == "ci":
        debian_root_or_fail()
        packages = ci_run_packages()
    # A tripwire, not a stand-in: any apt-get call fails the run and leaves a mark.
    (tmp_path / "apt-get").write_text(f"#!/bin/sh\ntouch {tmp_path}/called\nexit 97\n")
    (tmp_path / "apt-get").chmod(0o755)
    history = Path("/var/log/apt/history.log")
    before = history.read_bytes() if history.exists() else b""
    env = {**os.environ, "PATH": f"{tmp_path}:{os.environ['PATH']}"}
    start = time.monotonic()
    result = subprocess.run(["template/scripts/engine.sh", *packages], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    seconds = time.monotonic() - start
    assert result.returncode == 0, result.stderr
    found = re.fullmatch(r"engine: Docker (\d+)\.\S+, buildx v?\S+, compose v?(\d+)\.\S+\n",
                         result.stdout)
    assert found, result.stdout
    assert int(found[1]) >= ENGINE_MIN[0] and int(found[2]) >= COMPOSE_MIN
    assert not (tmp_path / "called").exists(), "apt-get ran"
    assert (history.read_bytes() if history.exists() else b"") == before
    assert seconds < 10, f"{seconds:.1f} s"


def test_debian_13_gets_a_running_engine_and_a_second_run_only_checks(jobs):
    """The install for real on the release this machine is not: Debian 13, where docker.io
    alone would leave no client."""
    out = jobs["install"].wait()
    first, second = ((out / part).read_text() for part in ("first", "second"))
    wanted = " ".join(f"{package}/{debian.SUITE}" for package in engine_packages())
    assert first.startswith(f"engine: installing {wanted}\n"), first
    line = re.fullmatch(r"engine: Docker (\d+)\.(\d+)\.\S+, buildx \S+, compose v?(\d+)\.\S+\n",
                        second)
    assert line, second
    assert (int(line[1]), int(line[2])) >= ENGINE_MIN and int(line[3]) >= COMPOSE_MIN
    assert first.endswith(second)
    assert (out / "client").read_text() == "/usr/bin/docker\n"
    assert (out / "store").read_text() == "[[driver-type io.containerd.snapshotter.v1]]\n"
    assert (out / "history").read_text() == "unchanged\n"
    assert int((out / "milliseconds").read_text()) < 10_000
