#!/usr/bin/env bash
# Stage 4: scan each built platform image with Trivy; the gate is trivy.yaml, read by Trivy itself.
# Per platform, $ARTIFACTS gets trivy-ARCH.json, trivy-ARCH.sarif (code scanning) and
# sbom-ARCH.cdx.json; `python -m pipeline verdict` tells "vulnerabilities found" from "the
# scanner broke". TRIVY names the binary (default: trivy on PATH).
set -euo pipefail
: "${ARTIFACTS:=artifacts}" "${PYTHON:=python3}" "${TRIVY:=trivy}" "${TRIVY_CACHE_DIR:=.cache/trivy}"
# No calls home from CI or laptops: no version check, no telemetry.
export TRIVY_CACHE_DIR TRIVY_SKIP_VERSION_CHECK=true TRIVY_DISABLE_TELEMETRY=true
command -v "$TRIVY" >/dev/null || { echo "scan: no Trivy at '$TRIVY': make venv, or set TRIVY to its path" >&2; exit 2; }
# Accepted risks past their date (make lint fails on malformed ones); CI's bare Python skips this.
if "$PYTHON" -c 'import yaml' 2>/dev/null; then "$PYTHON" -m pipeline ignores .trivyignore.yaml; fi

refs=$("$PYTHON" -m pipeline record refs --artifacts "$ARTIFACTS")
while read -r platform ref; do
  arch=${platform#*/}
  report=$ARTIFACTS/trivy-$arch.json
  rm -f "$report"
  code=0
  "$TRIVY" image --config trivy.yaml --quiet --platform "$platform" --list-all-pkgs \
    --format json --output "$report" "$ref" 2>"$ARTIFACTS/trivy-$arch.stderr" || code=$?
  verdict=0
  "$PYTHON" -m pipeline verdict --exit-code "$code" --report "$report" \
    --stderr "$ARTIFACTS/trivy-$arch.stderr" || verdict=$?
  [ "$verdict" = 0 ] || exit "$verdict"
  # The same findings for code scanning and the SBOM, converted from the report: no second scan.
  "$TRIVY" convert --quiet --exit-code 0 --format sarif --output "$ARTIFACTS/trivy-$arch.sarif" "$report"
  "$TRIVY" convert --quiet --exit-code 0 --format cyclonedx --output "$ARTIFACTS/sbom-$arch.cdx.json" "$report"
  "$PYTHON" -m pipeline record passed scan "$platform" --artifacts "$ARTIFACTS"
done <<<"$refs"
