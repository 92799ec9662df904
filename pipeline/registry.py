"""The registry side of the pipeline: is it answering, and may a release tag be pushed.

Local registries speak plain HTTP on loopback; anything else is HTTPS. Tags are looked up
through the Docker CLI (pipeline/publish.py), which holds the credentials (`docker login`).
"""

from __future__ import annotations

import urllib.error
import urllib.request

from pipeline import PipelineError


def local(registry: str) -> bool:
    """A registry on loopback, which speaks plain HTTP."""
    host = registry.split(":")[0]
    return host in ("localhost", "::1") or host.startswith("127.")


def base_url(registry: str) -> str:
    return f"{'http' if local(registry) else 'https'}://{registry}"


def ping(registry: str, timeout: float = 5) -> None:
    """The registry answers its API (401 counts: it wants a login, which push will have)."""
    try:
        with urllib.request.urlopen(f"{base_url(registry)}/v2/", timeout=timeout) as response:
            status = response.status
    except urllib.error.HTTPError as error:
        with error:
            status = error.code
    except OSError as error:
        reason = getattr(error, "reason", error)
        raise PipelineError(
            f"registry {registry} is not reachable ({reason}): start it with `make registry` "
            "or set REGISTRY"
        ) from None
    if status not in (200, 401):
        raise PipelineError(f"registry {registry} answered /v2/ with HTTP {status}")
