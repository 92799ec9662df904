#!/usr/bin/env bash
# Prints deploy/kubernetes/ENV with the app's image set to REF, a digest, as the deploy applies it
# (kubectl's kustomize, no cluster asked): pipe it to `kubectl apply --server-side -f -`.
#   scripts/kubernetes.sh staging|production <registry>/<repo>@sha256:...
set -euo pipefail
env=${1:?usage: kubernetes.sh staging|production REGISTRY/REPO@sha256:...}
ref=${2:?usage: kubernetes.sh staging|production REGISTRY/REPO@sha256:...}
root=$(dirname "$0")/..
overlay=$root/deploy/kubernetes/$env
[ -f "$overlay/kustomization.yaml" ] || { echo "error: ENV=$env: expected staging or production" >&2; exit 1; }
# The deploy stage's own reading of a digest reference (pipeline/deploy.py).
split=$(cd "$root" && "${PYTHON:-python3}" -m pipeline digest-ref "$ref") || exit 1
render=$(mktemp -d)
trap 'rm -rf "$render"' EXIT
# A kustomization of its own, beside none of the repository's files: the overlay stays untouched.
cat >"$render/kustomization.yaml" <<YAML
resources: [$(realpath --relative-to="$render" "$overlay")]
images:
  - name: app
    newName: ${split% *}
    digest: ${split#* }
YAML
kubectl kustomize "$render"
