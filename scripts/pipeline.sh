#!/usr/bin/env bash
# The main job, the stages CI runs, with the same scripts, in order: build, push by digest, smoke
# and scan that digest, then publish (tag) and sign it. check (lint and unit tests) runs beside
# the build; publish waits for it. Each stage logs to $ARTIFACTS/logs and prints one line; the
# first failure stops the run with its reason, and nothing untested is ever tagged.
set -euo pipefail
: "${ARTIFACTS:=artifacts}" "${PYTHON:=python3}" "${REGISTRY:?}" "${IMAGE:?}"
export PUSH=1 ARTIFACTS
# shellcheck source=scripts/lib/engine.sh
. "$(dirname "$0")/lib/engine.sh"
stages=(preflight build smoke scan check publish sign)  # as they finish
total=$((${#stages[@]} - 1))
logs=$ARTIFACTS/logs
mkdir -p "$logs"
rm -f "$ARTIFACTS"/{run,published}.json

# Fails fast on what would otherwise fail late: the engine, buildx, the registry, the tags.
preflight() {
  docker version --format 'engine {{.Server.Version}}' \
    || { echo "error: the Docker engine is not reachable: start it or set DOCKER_HOST$engine_hint"; return 1; }
  docker buildx version || { echo "error: docker buildx is missing: https://docs.docker.com/engine/install/$engine_hint"; return 1; }
  docker compose version || { echo "error: docker compose (v2) is missing: https://docs.docker.com/compose/install/$engine_hint"; return 1; }
  local can platform
  can=$(docker buildx inspect | sed -n 's/^Platforms: *//p')
  IFS=, read -ra wanted <<<"${PLATFORMS:-}"
  for platform in "${wanted[@]}"; do
    case ", $can," in *", ${platform// /},"*) ;; *)
      echo "error: this builder cannot build $platform (it has: $can): install QEMU (apt-get install qemu-user-static binfmt-support) or drop it from PLATFORMS"
      return 1 ;;
    esac
  done
  command -v cosign >/dev/null \
    || { echo "error: cosign is missing: https://docs.sigstore.dev/cosign/system_config/installation/$engine_hint"; return 1; }
  # Docker's own build driver cannot push by digest: the build goes through oras instead.
  [ "$(docker buildx inspect | sed -n 's/^Driver: *//p')" != docker ] || command -v oras >/dev/null \
    || { echo "error: oras is missing (the docker build driver pushes by digest through it): https://oras.land/docs/installation$engine_hint"; return 1; }
  "$PYTHON" -m pipeline ping --registry "$REGISTRY" && "$PYTHON" -m pipeline tags
}

line() {  # line N NAME CODE STARTED
  local n=$1 name=$2 code=$3 took=$((SECONDS - $4)) log=$logs/$2.log reason
  if [ "$code" = 0 ]; then
    printf '[%d/%d] %-9s ok     %4ds\n' "$n" "$total" "$name" "$took"
    # What publishing did (tagged, left alone, or nothing to do) is worth a line of its own.
    [ "$name" != publish ] || sed 's/^/    /' "$log"
    return
  fi
  printf '[%d/%d] %-9s FAILED %4ds  (log: %s)\n' "$n" "$total" "$name" "$took" "$log"
  tail -n 15 "$log" | sed 's/^/    /'
  reason=
  [ "$name" = check ] || reason=$(grep -E '^(error|scan (failed|broken)|smoke|sign):' "$log" | tail -n 1 || true)
  case $name in publish | sign) tagged="" ;; *) tagged="; nothing was published" ;; esac
  echo "pipeline stopped at $name${reason:+: $reason}$tagged" >&2
  [ -z "${checking:-}" ] || kill "$checking" 2>/dev/null || true
  exit 1
}

# check needs neither the engine nor the registry: it starts first and runs beside the rest.
check_started=$SECONDS
scripts/check.sh >"$logs/check.log" 2>&1 &
checking=$!

started=$SECONDS
code=0; preflight >"$logs/preflight.log" 2>&1 || code=$?
line 0 preflight "$code" "$started"

for n in 1 2 3; do
  name=${stages[$n]}
  started=$SECONDS code=0
  "scripts/$name.sh" >"$logs/$name.log" 2>&1 || code=$?
  line "$n" "$name" "$code" "$started"
done

code=0; wait "$checking" || code=$?
checking=
line 4 check "$code" "$check_started"

for n in 5 6; do
  name=${stages[$n]}
  started=$SECONDS code=0
  "scripts/$name.sh" >"$logs/$name.log" 2>&1 || code=$?
  line "$n" "$name" "$code" "$started"
done
reports=()
for report in "$ARTIFACTS"/trivy-*.json; do reports+=(--report "$report"); done
"$PYTHON" -m pipeline summary --image "$REGISTRY/$IMAGE" --record "$ARTIFACTS/run.json" \
  --published "$ARTIFACTS/published.json" "${reports[@]}"
