"""Just enough of the OCI distribution API to guard release tags: does a tag exist, at which digest.

Local registries speak plain HTTP on loopback; anything else is HTTPS. Authenticated registries
(GHCR, Docker Hub) answer 401 here and are guarded in CI by the same rule through `docker buildx
imagetools inspect`; see .github/workflows/release.yml.
"""

import json
import urllib.error
import urllib.request

from pipeline import PipelineError

MANIFEST_TYPES = ", ".join(
    [
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.docker.distribution.manifest.v2+json",
    ]
)


def base_url(registry):
    host = registry.split(":")[0]
    local = host in ("localhost", "::1") or host.startswith("127.")
    return f"{'http' if local else 'https'}://{registry}"


def _request(registry, path, method="GET", timeout=5):
    """(status, headers, body) of one request; the connection is closed before returning."""
    request = urllib.request.Request(
        base_url(registry) + path, method=method, headers={"Accept": MANIFEST_TYPES}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.headers, b""
    except OSError as error:
        reason = getattr(error, "reason", error)
        raise PipelineError(
            f"registry {registry} is not reachable ({reason}): start it with `make registry` "
            "or set REGISTRY"
        ) from None


def ping(registry):
    status, _, _ = _request(registry, "/v2/")
    if status not in (200, 401):
        raise PipelineError(f"registry {registry} answered /v2/ with HTTP {status}")


def digest(registry, repository, tag):
    """The digest `tag` points at, or None when the registry has no such tag."""
    status, headers, _ = _request(registry, f"/v2/{repository}/manifests/{tag}", method="HEAD")
    if status == 404:
        return None
    if status != 200:
        raise PipelineError(f"registry {registry} answered HTTP {status} for {tag}")
    return headers["Docker-Content-Digest"]


def tags(registry, repository):
    status, _, body = _request(registry, f"/v2/{repository}/tags/list")
    if status == 404:
        return []
    return sorted(json.loads(body).get("tags") or [])


def guard(existing, candidates, tag):
    """Refuse to move an immutable tag; None means "push", a digest means "already there"."""
    if existing is None:
        return None
    if existing in candidates:
        return existing
    raise PipelineError(
        f"release {tag} already exists at {existing} with other content: release tags are "
        "immutable; cut a new version instead"
    )
