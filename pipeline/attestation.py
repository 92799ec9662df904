"""What `make verify` prints of an image's attestations: cosign's verified in-toto envelopes
(one JSON document per line) summed up in one line each, SBOM and provenance alike."""

from __future__ import annotations

import base64
import json
from typing import Any

from pipeline import PipelineError


def statements(output: str) -> list[dict[str, Any]]:
    found = []
    for line in output.splitlines():
        if not line.strip():
            continue
        try:
            envelope = json.loads(line)
            found.append(json.loads(base64.b64decode(envelope["payload"])))
        except (ValueError, KeyError, TypeError) as error:
            raise PipelineError(f"cosign printed something that is not an attestation: {error}")
    return found


def describe(statement: dict[str, Any]) -> str:
    kind = str(statement.get("predicateType", "?"))
    predicate = statement.get("predicate") or {}
    if "cyclonedx" in kind:
        components = predicate.get("components") or []
        python = sum(1 for c in components if "pkg:pypi/" in str(c.get("purl", "")))
        return f"SBOM (CycloneDX): {len(components)} components, {python} Python packages"
    if "slsa.dev/provenance" in kind:
        builder = (predicate.get("builder") or {}).get("id") or predicate.get("buildType") or "?"
        materials = predicate.get("materials") or []
        base = str(materials[0].get("uri")) if materials else "none"
        return f"provenance ({kind.rsplit('/', 1)[-1]}): builder {builder}, base {base}"
    return f"attestation {kind}"


def summary(output: str) -> list[str]:
    return [describe(statement) for statement in statements(output)]
