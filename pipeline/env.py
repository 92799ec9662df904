"""The app's run-time environment, written once and committed: `env/app.env` for every run of the
image (smoke, `make dev`, every deploy), `env/<environment>.env` over it, and `env/secrets`, the
names of the secrets, whose values are never committed: they come from the deploy's caller (or a
random value for smoke and `make dev`) and reach the app as files the image's entry point exports
under their names.

Files are `NAME=value`, one a line, `#` comments; a value is literal (no quotes, no `$`
expansion), so Docker, Compose, Swarm and Kubernetes all read the same value. Standard library
only."""

from __future__ import annotations

import json
import re
import secrets as tokens
from collections.abc import Mapping
from pathlib import Path

from pipeline import PipelineError

FOLDER = "env"
SHARED = "app.env"
SECRETS = "secrets"
PASSED = "APP_SECRETS"
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# What the image and the deploy set themselves: a value here would be silently overridden.
OWNED = {"APP", "PORT", "APP_VERSION", "APP_REVISION", "APP_CREATED", "PYTHONPATH", "PATH"}
# A name that says credential, with a value that is more than a switch or a number.
SECRET_NAME = re.compile(r"SECRET|PASSWORD|PASSWD|TOKEN|PRIVATE|CREDENTIAL|API_?KEY|ACCESS_KEY"
                         r"|AUTH_KEY|_KEY$", re.I)
SWITCH = re.compile(r"(?i:true|false|yes|no|on|off|none|null|\d{1,6})?")
# Values that are credentials whatever their name.
SECRET_VALUE = [
    (re.compile(r"://[^/\s:@]+:[^/\s@]+@"), "a URL with a password"),
    (re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY"), "a private key"),
    (re.compile(r"\bAKIA[0-9A-Z]{16}\b"), "an AWS access key"),
    (re.compile(r"\bgh[pousr]_[A-Za-z0-9]{30,}"), "a GitHub token"),
    (re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}"), "a Slack token"),
    (re.compile(r"\b(?:sk|rk)_live_[A-Za-z0-9]{10,}"), "a Stripe key"),
    (re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\."), "a JSON web token"),
]


def parse(text: str, name: str) -> dict[str, str]:
    """`NAME=value` lines; the first bad one raises, naming the file, the line and the fix."""
    found: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        where = f"{name}:{number}"
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        key, equals, value = line.partition("=")
        if not equals or not NAME.fullmatch(key):
            raise PipelineError(f"{where}: expected NAME=value, got {line!r}")
        if key in found:
            raise PipelineError(f"{where}: {key} is set twice: keep one")
        if key in OWNED:
            raise PipelineError(f"{where}: {key} is set by the image or the deploy: remove it")
        if len(value) > 1 and value[0] == value[-1] and value[0] in "'\"":
            raise PipelineError(f"{where}: {key}'s value is quoted: write it unquoted (every "
                                "tool reads the value literally)")
        if "$" in value or " #" in value or value != value.strip():
            raise PipelineError(f"{where}: {key}'s value has a $, a ' #' or spaces around it, "
                                "which Compose reads otherwise than Docker: write the value alone")
        found[key] = value
    return found


def names(text: str, name: str) -> list[str]:
    """`env/secrets`: one name a line, `#` comments."""
    found: list[str] = []
    for number, line in enumerate(text.splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        if not NAME.fullmatch(line):
            raise PipelineError(f"{name}:{number}: expected one secret's NAME a line, got "
                                f"{line!r}")
        if line in found:
            raise PipelineError(f"{name}:{number}: {line} is listed twice: keep one")
        if line in OWNED:
            raise PipelineError(f"{name}:{number}: {line} is set by the image or the deploy")
        found.append(line)
    return found


def read(path: Path) -> str:
    return path.read_text() if path.is_file() else ""


def settings(root: Path, environment: str = "") -> dict[str, str]:
    """env/app.env, with env/<environment>.env over it."""
    folder = root / FOLDER
    found = parse(read(folder / SHARED), f"{FOLDER}/{SHARED}")
    if environment:
        own = f"{environment}.env"
        found.update(parse(read(folder / own), f"{FOLDER}/{own}"))
    return found


def secret_names(root: Path) -> list[str]:
    return names(read(root / FOLDER / SECRETS), f"{FOLDER}/{SECRETS}")


def credential(key: str, value: str) -> str | None:
    """Why `key=value` looks like a credential, or None."""
    for pattern, what in SECRET_VALUE:
        if pattern.search(value):
            return f"its value is {what}"
    if SECRET_NAME.search(key) and not SWITCH.fullmatch(value.strip()):
        return "its name says it is a secret"
    return None


def check(root: Path) -> list[str]:
    """Every env file parses and holds no credential, and no name is both a setting and a
    secret: `make check`. Returns the files checked."""
    folder = root / FOLDER
    listed = set(secret_names(root))
    checked = [f"{FOLDER}/{SECRETS}"] if (folder / SECRETS).is_file() else []
    for path in sorted(folder.glob("*.env")):
        name = f"{FOLDER}/{path.name}"
        for key, value in parse(path.read_text(), name).items():
            if key in listed:
                raise PipelineError(f"{name}: {key} is a secret ({FOLDER}/{SECRETS}): remove "
                                    "it here")
            why = credential(key, value)
            if why:
                raise PipelineError(f"{name}: {key} looks like a credential ({why}): list "
                                    f"{key} in {FOLDER}/{SECRETS} and give its value at deploy "
                                    "time, never in a committed file")
        checked.append(name)
    return checked


def values(root: Path, environ: Mapping[str, str]) -> dict[str, str]:
    """Each listed secret's value from the caller's environment, or from APP_SECRETS (a JSON
    object: deploy.yml's GitHub secrets); the first missing one raises, naming it, before
    anything changes."""
    found: dict[str, str] = {}
    passed = json.loads(environ.get(PASSED) or "{}")
    for key in secret_names(root):
        value = environ.get(key) or str(passed.get(key) or "")
        if not value:
            raise PipelineError(f"secret {key} is not set: give it as {key}=... in the deploy's "
                                f"environment ({FOLDER}/{SECRETS} lists it); nothing was "
                                "deployed")
        found[key] = value
    return found


def stand_ins(root: Path) -> dict[str, str]:
    """A random value for each secret, for runs that must start but hold nothing of value."""
    return {key: tokens.token_urlsafe(32) for key in secret_names(root)}


def render(found: Mapping[str, str]) -> str:
    return "".join(f"{key}={value}\n" for key, value in found.items())
