"""One line per verified attestation, as `make verify` prints them."""

import base64
import json

import pytest

from pipeline import PipelineError, attestation


def envelope(predicate_type, predicate):
    statement = {"_type": "https://in-toto.io/Statement/v0.1", "predicateType": predicate_type,
                 "predicate": predicate}
    return json.dumps({"payload": base64.b64encode(json.dumps(statement).encode()).decode()})


def test_sbom_and_provenance_are_summed_up():
    sbom = envelope("https://cyclonedx.org/bom", {"components": [
        {"name": "flask", "purl": "pkg:pypi/flask@3.1.1"}, {"name": "libc6", "purl": "pkg:deb/x"}]})
    provenance = envelope("https://slsa.dev/provenance/v0.2", {
        "buildType": "https://mobyproject.org/buildkit@v1",
        "materials": [{"uri": "pkg:docker/python@3.13-slim"}]})
    assert attestation.summary(f"{sbom}\n\n{provenance}\n") == [
        "SBOM (CycloneDX): 2 components, 1 Python packages",
        "provenance (v0.2): builder https://mobyproject.org/buildkit@v1, "
        "base pkg:docker/python@3.13-slim",
    ]
    assert attestation.summary(envelope("https://example.com/x", {})) == [
        "attestation https://example.com/x"]


def test_anything_else_is_an_error():
    with pytest.raises(PipelineError, match="not an attestation"):
        attestation.summary("Verification for x --\n")
