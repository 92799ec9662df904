#!/usr/bin/env bash
# The main job, the same stages CI runs, in order. Each stage logs to $ARTIFACTS/logs and prints
# one line; the first failure stops the run with its reason, and nothing is pushed.
set -euo pipefail
: "${MAKE:=make}" "${ARTIFACTS:=artifacts}" "${DOCKER:=docker}" "${PYTHON:=python3}"
: "${REGISTRY:?}" "${IMAGE:?}"
stages=(preflight check build smoke scan push)
total=$((${#stages[@]} - 1))
mkdir -p "$ARTIFACTS/logs"
rm -f "$ARTIFACTS"/{image-id,smoke-passed,scan-passed,digest,pushed-tags}

# Fails fast on what would otherwise fail late: the engine, the registry, the tags.
# (`&&` chains: errexit does not apply inside a function called from an `||` list.)
preflight() {
  { "$DOCKER" version --format 'engine {{.Server.Version}}' \
    || { echo "error: the Docker engine is not reachable: start it (or set DOCKER_HOST)"; return 1; }; } \
    && "$PYTHON" -m pipeline ping --registry "$REGISTRY" \
    && "$PYTHON" -m pipeline tags
}

run() {
  local n=$1 name=$2 start=$SECONDS log=$ARTIFACTS/logs/$2.log code=0
  if [ "$name" = preflight ]; then preflight >"$log" 2>&1 || code=$?
  else "$MAKE" --no-print-directory "$name" >"$log" 2>&1 || code=$?; fi
  if [ "$code" = 0 ]; then
    printf '[%d/%d] %-9s ok     %4ds\n' "$n" "$total" "$name" $((SECONDS - start))
    return
  fi
  printf '[%d/%d] %-9s FAILED %4ds  (log: %s)\n' "$n" "$total" "$name" $((SECONDS - start)) "$log"
  tail -n 15 "$log" | sed 's/^/    /'
  reason=$(grep -E '^(error|scan (failed|broken)|smoke|push):' "$log" | tail -n 1 || true)
  [ "$name" = push ] && pushed="" || pushed="; nothing was pushed"
  echo "pipeline stopped at $name${reason:+: $reason}$pushed" >&2
  exit 1
}

for i in "${!stages[@]}"; do run "$i" "${stages[$i]}"; done
"$PYTHON" -m pipeline summary --image "$REGISTRY/$IMAGE" --digest "$(cat "$ARTIFACTS/digest")" \
  --size "$("$DOCKER" image inspect -f '{{.Size}}' "$(cat "$ARTIFACTS/image-id")")" \
  --report "$ARTIFACTS/trivy.json" --tags "$(cat "$ARTIFACTS/pushed-tags")"
