#!/usr/bin/env bash
# Prints deploy/kubernetes/ENV with the app's image set to REF, a digest, as the deploy applies it
# (kubectl's kustomize, no cluster asked): pipe it to `kubectl apply --server-side -f -`.
#   scripts/kubernetes.sh staging|production <registry>/<repo>@sha256:...
set -euo pipefail
env=${1:?usage: kubernetes.sh staging|production REGISTRY/REPO@sha256:...}
ref=${2:?usage: kubernetes.sh staging|production REGISTRY/REPO@sha256:...}
overlay=$(dirname "$0")/../deploy/kubernetes/$env
[ -f "$overlay/kustomization.yaml" ] || { echo "error: ENV=$env: expected staging or production" >&2; exit 1; }
[[ $ref =~ ^[^@[:space:]]+@sha256:[0-9a-f]{64}$ ]] || { echo "error: REF=$ref: deploy by digest (<registry>/<repo>@sha256:...), never by tag" >&2; exit 1; }
render=$(mktemp -d)
trap 'rm -rf "$render"' EXIT
# A kustomization of its own, beside none of the repository's files: the overlay stays untouched.
cat >"$render/kustomization.yaml" <<YAML
resources: [$(realpath --relative-to="$render" "$overlay")]
images:
  - name: app
    newName: ${ref%@*}
    digest: ${ref#*@}
YAML
kubectl kustomize "$render"
