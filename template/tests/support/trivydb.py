"""Build a tiny Trivy vulnerability DB and serve it from a local OCI registry.

Offline tests of the scanning pipeline cannot download the real Trivy DB, so
they write one with just the advisories a test needs, push it to a
registry on loopback (scripts/registry.sh starts one) and point Trivy at it::

    write_db(tmp / "db", pip=[PipAdvisory("flask", "GHSA-...", ["<3.0.1"], ["3.0.1"])])
    push("http://127.0.0.1:5055", "trivy-db", pack(tmp / "db"))
    # TRIVY_DB_REPOSITORY=127.0.0.1:5055/trivy-db:2 trivy image ...

The bucket layout follows aquasecurity/trivy-db (pkg/db, pkg/vulnsrc/ghsa,
pkg/vulnsrc/debian) at schema version 2.
"""

import hashlib
import io
import json
import tarfile
import urllib.parse
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from . import bbolt

SEVERITIES = ("UNKNOWN", "LOW", "MEDIUM", "HIGH", "CRITICAL")
DB_LAYER_MEDIA_TYPE = "application/vnd.aquasec.trivy.db.layer.v1.tar+gzip"
DB_CONFIG_MEDIA_TYPE = "application/vnd.aquasec.trivy.config.v1+json"
OCI_MANIFEST_MEDIA_TYPE = "application/vnd.oci.image.manifest.v1+json"

# The registry is on loopback: never route it through an HTTP(S)_PROXY.
_urlopen = urllib.request.build_opener(urllib.request.ProxyHandler({})).open

# Trivy looks pip advisories up in every bucket named "pip::*".  The matching
# "data-source" entry is optional, but it gives findings a DataSource and tells
# Trivy which VendorSeverity to use; without it only GHSA-* ids find theirs
# ("ghsa") and other ids fall back to the deprecated "Severity" with a warning.
PIP_BUCKET = "pip::GitHub Security Advisory pip"
PIP_SOURCE = {
    "ID": "ghsa",
    "Name": "GitHub Security Advisory pip",
    "URL": "https://github.com/advisories?query=type%3Areviewed+ecosystem%3Apip",
}
DEBIAN_SOURCE = {
    "ID": "debian",
    "Name": "Debian Security Tracker",
    "URL": "https://salsa.debian.org/security-tracker-team/security-tracker",
}


@dataclass
class PipAdvisory:
    """A GitHub advisory for a PyPI package.

    When ``patched_versions`` is empty Trivy derives the fixed version from
    "<X" ranges, so write an unfixed advisory as e.g. [">=0"] or ["<=2.1"].
    """

    package: str
    id: str
    vulnerable_versions: Sequence[str]
    patched_versions: Sequence[str] = ()
    severity: str = "HIGH"
    title: str = ""


@dataclass
class DebianAdvisory:
    """A Debian Security Tracker entry; ``package`` is the *source* package."""

    package: str
    id: str
    fixed_version: str = ""  # empty: not fixed yet, Trivy reports "affected"
    severity: str = "HIGH"
    title: str = ""
    release: str = "13"  # Debian major version, as in /etc/debian_version


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _json(value) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def _add_vulnerability(vulns: dict, advisory, source_id: str) -> None:
    # Trivy picks the severity from VendorSeverity by the advisory's data
    # source; the top-level "Severity" is the deprecated fallback.
    entry = vulns.setdefault(advisory.id, {"VendorSeverity": {}})
    entry["VendorSeverity"][source_id] = SEVERITIES.index(advisory.severity)
    entry["Severity"] = advisory.severity
    if advisory.title:
        entry["Title"] = advisory.title


def build_tree(pip: Sequence[PipAdvisory] = (),
               debian: Sequence[DebianAdvisory] = ()) -> dict:
    """Return the DB's bucket tree as nested dicts of JSON-encoded values."""
    # The "vulnerability" bucket must exist even when empty: Trivy reads it
    # without a nil check.
    tree = {"vulnerability": {}, "data-source": {}}
    vulns = {}
    for adv in pip:
        # Trivy normalises pip names this way before the lookup.
        name = adv.package.lower().replace("_", "-")
        value = {"VulnerableVersions": list(adv.vulnerable_versions)}
        if adv.patched_versions:
            value["PatchedVersions"] = list(adv.patched_versions)
        tree.setdefault(PIP_BUCKET, {}).setdefault(name, {})[adv.id] = _json(value)
        tree["data-source"][PIP_BUCKET] = _json(PIP_SOURCE)
        _add_vulnerability(vulns, adv, "ghsa")
    for adv in debian:
        bucket = f"debian {adv.release}"
        value = {"FixedVersion": adv.fixed_version} if adv.fixed_version else {}
        tree.setdefault(bucket, {}).setdefault(adv.package, {})[adv.id] = _json(value)
        tree["data-source"][bucket] = _json(DEBIAN_SOURCE)
        _add_vulnerability(vulns, adv, "debian")
    tree["vulnerability"] = {vid: _json(v) for vid, v in vulns.items()}
    return tree


def write_db(dest_dir, pip: Sequence[PipAdvisory] = (),
             debian: Sequence[DebianAdvisory] = (),
             now: datetime | None = None) -> Path:
    """Write trivy.db and metadata.json into ``dest_dir`` and return it.

    The metadata also makes ``dest_dir`` usable directly as ``<cache>/db``:
    without ``--skip-db-update`` Trivy re-downloads a DB whose DownloadedAt
    is zero or whose NextUpdate has passed.
    """
    dest = Path(dest_dir)
    dest.mkdir(parents=True, exist_ok=True)
    now = now or datetime.now(UTC)
    bbolt.write(dest / "trivy.db", build_tree(pip, debian))
    metadata = {
        "Version": 2,
        "NextUpdate": _rfc3339(now + timedelta(days=1)),
        "UpdatedAt": _rfc3339(now),
        "DownloadedAt": _rfc3339(now),
    }
    (dest / "metadata.json").write_text(json.dumps(metadata))
    return dest


def pack(db_dir) -> bytes:
    """Return db.tar.gz: trivy.db and metadata.json at the archive root."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name in ("trivy.db", "metadata.json"):
            tar.add(Path(db_dir) / name, arcname=name)
    return buf.getvalue()


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _push_blob(base: str, repository: str, data: bytes) -> dict:
    """Monolithic upload (POST then PUT ?digest=); returns an OCI descriptor."""
    start = urllib.request.Request(
        f"{base}/v2/{repository}/blobs/uploads/", method="POST")
    with _urlopen(start) as resp:
        # Location may be relative and usually already has a query string.
        location = urllib.parse.urljoin(base, resp.headers["Location"])
    separator = "&" if "?" in location else "?"
    digest = _digest(data)
    upload = urllib.request.Request(
        f"{location}{separator}digest={urllib.parse.quote(digest)}",
        data=data, method="PUT",
        headers={"Content-Type": "application/octet-stream"})
    _urlopen(upload).close()
    return {"digest": digest, "size": len(data)}


def push(registry_url: str, repository: str, data: bytes, tag: str = "2") -> str:
    """Push ``data`` (from pack()) as a Trivy DB artifact; return its digest.

    ``registry_url`` is e.g. "http://127.0.0.1:5055"; Trivy then uses
    ``--db-repository 127.0.0.1:5055/<repository>:<tag>``.
    """
    base = registry_url.rstrip("/")
    config = _push_blob(base, repository, b"{}")
    layer = _push_blob(base, repository, data)
    manifest = _json({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST_MEDIA_TYPE,
        "config": {"mediaType": DB_CONFIG_MEDIA_TYPE, **config},
        "layers": [{
            "mediaType": DB_LAYER_MEDIA_TYPE, **layer,
            # Trivy names the downloaded file after this annotation and
            # refuses the artifact without it.
            "annotations": {"org.opencontainers.image.title": "db.tar.gz"},
        }],
    })
    request = urllib.request.Request(
        f"{base}/v2/{repository}/manifests/{tag}", data=manifest, method="PUT",
        headers={"Content-Type": OCI_MANIFEST_MEDIA_TYPE})
    _urlopen(request).close()
    return _digest(manifest)
