#!/usr/bin/env bash
# Stage 4: scan the built image with Trivy. The gate: fixable HIGH/CRITICAL vulnerabilities and
# secrets. Writes the JSON report and a CycloneDX SBOM to $ARTIFACTS; `python -m pipeline verdict`
# tells "vulnerabilities found" from "the scanner broke". Usage: scan.sh [IMAGE]
set -euo pipefail
: "${DOCKER:=docker}" "${ARTIFACTS:=artifacts}" "${PYTHON:=python3}" "${TRIVY:=trivy}"
: "${TRIVY_CACHE_DIR:=.cache/trivy}"
# No calls home from CI or laptops: no version check, no telemetry.
export TRIVY_CACHE_DIR TRIVY_SKIP_VERSION_CHECK=true TRIVY_DISABLE_TELEMETRY=true
image=${1:-$(cat "$ARTIFACTS/image-id")}
id=$("$DOCKER" image inspect -f '{{.Id}}' "$image")
mkdir -p "$ARTIFACTS"
rm -f "$ARTIFACTS/scan-passed" "$ARTIFACTS/trivy.json"

"$PYTHON" -m pipeline ignores .trivyignore.yaml
found=$("$PYTHON" -c 'from pipeline.scan import FOUND_EXIT_CODE as c; print(c)')
# Trivy reads the image from the engine by ID: exactly what was built and smoke-tested.
code=0
"$TRIVY" image --quiet --scanners vuln,secret --pkg-types os,library \
  --severity HIGH,CRITICAL --ignore-unfixed --ignorefile .trivyignore.yaml \
  --list-all-pkgs --format json --output "$ARTIFACTS/trivy.json" \
  --exit-code "$found" "$id" 2>"$ARTIFACTS/trivy.stderr" || code=$?
verdict=0
"$PYTHON" -m pipeline verdict --exit-code "$code" --report "$ARTIFACTS/trivy.json" \
  --stderr "$ARTIFACTS/trivy.stderr" || verdict=$?
[ "$verdict" = 0 ] || exit "$verdict"
"$TRIVY" convert --quiet --format cyclonedx --output "$ARTIFACTS/sbom.cdx.json" "$ARTIFACTS/trivy.json"
echo "$id" >"$ARTIFACTS/scan-passed"
