"""What the smoke stage asks of a running image: the template's health and build-information
paths, then the adopter's own requests from smoke.txt (a path, then the status it answers or
text its body holds)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from pipeline import PipelineError
from server.settings import HEALTH_PATH, VERSION_PATH

REQUESTS = Path("smoke.txt")


@dataclass(frozen=True)
class Request:
    path: str
    status: int = 200
    text: str = ""

    def describe(self) -> str:
        return f"{self.path} {self.text!r}" if self.text else f"{self.path} {self.status}"


def parse(text: str, name: str = str(REQUESTS)) -> list[Request]:
    requests = []
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        path, _, expected = line.partition(" ")
        expected = expected.strip()
        if not path.startswith("/") or not expected:
            raise PipelineError(f"{name}:{number}: expected `/path STATUS` or `/path TEXT`, "
                                f"got {line!r}")
        if expected.isdigit() and len(expected) == 3:
            requests.append(Request(path, int(expected)))
        else:
            requests.append(Request(path, text=expected))
    return requests


def fetch(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode(errors="replace")
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.read().decode(errors="replace")
    except OSError as error:
        raise PipelineError(f"{url}: {error}") from None


def check(base: str, version: str, requests: list[Request]) -> list[str]:
    """Each check passed, in order; the first failure raises, naming what was asked and got."""
    status, body = fetch(base + HEALTH_PATH)
    if status != 200:
        raise PipelineError(f"{HEALTH_PATH} answered {status}")
    passed = [HEALTH_PATH]
    status, body = fetch(base + VERSION_PATH)
    reported = json.loads(body).get("version") if status == 200 else None
    if reported != version:
        raise PipelineError(f"{VERSION_PATH} reports {reported!r}, the image's label {version!r}")
    passed.append(f"{VERSION_PATH} ({version})")
    for request in requests:
        status, body = fetch(base + request.path)
        if status != request.status or request.text not in body:
            raise PipelineError(f"{request.path} answered {status} {body[:80]!r}; {REQUESTS} "
                                f"expects {request.describe()}")
        passed.append(request.path)
    return passed


def main(base: str, version: str, requests: Path = REQUESTS) -> list[str]:
    listed = parse(requests.read_text(), str(requests)) if requests.exists() else []
    return check(base.rstrip("/"), version, listed)
