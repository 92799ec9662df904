#!/usr/bin/env bash
# Stage 7: run a published digest on Docker Swarm (DOCKER_HOST=ssh://deploy@host for a remote
# one). Only what the environment's tag names (edge for staging, the release for production),
# and only signed: anything else is refused before anything changes. Swarm rolls the update
# out one task at a time, new before old, and rolls it back by itself when a new task does not
# turn healthy; this script then says so and exits non-zero. TARGET=kubernetes applies
# deploy/kubernetes/ENV to kubectl's current cluster instead (validated in the tests, not run).
#   ENV=staging|production [REF=<registry>/<repo>@sha256:...] [VERSION=X.Y.Z] scripts/deploy.sh
set -euo pipefail
: "${ENV:?staging or production}" "${ARTIFACTS:=artifacts}" "${PYTHON:=python3}" "${IMAGE:?}"
case ${TARGET:=swarm} in swarm | kubernetes) ;; *)
  echo "error: TARGET=$TARGET: expected swarm or kubernetes" >&2; exit 1 ;;
esac
ref=$("$PYTHON" -m pipeline deploy-target --env "$ENV" --ref "${REF:-}" \
  --version "${VERSION:-}" --artifacts "$ARTIFACTS") || exit 1
verified=$(scripts/verify.sh "$ref" 2>&1) \
  || { echo "error: $ref: the signature check failed, nothing was deployed: ${verified##*$'\n'}" >&2; exit 1; }

if [ "$TARGET" = kubernetes ]; then
  # The settings and secrets, the Procfile's release Job, then the rollout (undone if it stalls).
  exec "$PYTHON" -m pipeline kubernetes --env "$ENV" --ref "$ref"
fi
# The settings, the secrets as Swarm secrets, the Procfile's release, then the stack.
exec "$PYTHON" -m pipeline swarm --env "$ENV" --ref "$ref" --stack "${STACK:-${IMAGE##*/}-$ENV}"
