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
started=$SECONDS

if [ "$TARGET" = kubernetes ]; then
  # The overlay's namespace is the environment's; a rollout that does not finish is undone.
  deployment=(--namespace "$ENV" deployment/app)
  previous=$(kubectl get "${deployment[@]}" -o 'jsonpath={.spec.template.spec.containers[0].image}' \
    2>/dev/null || true)
  scripts/kubernetes.sh "$ENV" "$ref" | kubectl apply --server-side --field-manager=deploy -f -
  if ! kubectl rollout status "${deployment[@]}" --timeout=10m; then
    [ -z "$previous" ] || kubectl rollout undo "${deployment[@]}"
    echo "error: the rollout of $ref to $ENV did not finish: rolled back to ${previous:-nothing}" >&2
    exit 1
  fi
  echo "deployed $ref to $ENV (kubernetes) in $((SECONDS - started)) s; before: ${previous:-nothing}"
  exit 0
fi
# A stopping task's listener resets the connections still queued on it, unless the kernel hands
# them to a task that stays (Linux 5.14+): read on the node, through the engine.
migrate=$(docker run --rm --quiet --network host --entrypoint python "$ref" -c \
  'print(open("/proc/sys/net/ipv4/tcp_migrate_req").read().strip())' 2>&1) || migrate="? ${migrate##*$'\n'}"
if [ "$migrate" != 1 ]; then
  echo "error: the deploy host would reset queued requests during an update: run sysctl -w net.ipv4.tcp_migrate_req=1 on it (and keep it in /etc/sysctl.d/); it reads $migrate" >&2
  exit 1
fi
stack=${STACK:-${IMAGE##*/}-$ENV}
service=${stack}_app
previous=$(docker service inspect -f '{{.Spec.TaskTemplate.ContainerSpec.Image}}' "$service" \
  2>/dev/null || true)
code=0
said=$(IMAGE_REF=$ref docker stack deploy --detach=false --quiet --with-registry-auth \
  --resolve-image never -c deploy/stack.yaml "$stack" 2>&1) || code=$?
update=$(docker service inspect -f '{{with .UpdateStatus}}{{.State}}|{{.Message}}{{end}}' \
  "$service" 2>/dev/null || true)
running=$(docker service inspect -f '{{.Spec.TaskTemplate.ContainerSpec.Image}}' "$service" \
  2>/dev/null || true)
if [[ $update == rollback* ]]; then
  echo "error: Swarm rolled $stack back to ${previous:-nothing}: ${update#*|}" >&2
  exit 1
fi
if [ "$code" != 0 ] || [ "$running" != "$ref" ]; then
  echo "error: docker stack deploy $stack failed: ${said##*$'\n'}" >&2
  exit 1
fi
echo "deployed $ref to $ENV ($stack) in $((SECONDS - started)) s; before: ${previous:-nothing}"
