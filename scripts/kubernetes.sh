#!/usr/bin/env bash
# Prints what the deploy applies to Kubernetes for ENV (pipeline/kubernetes.py): the overlay with
# the app's image set to REF, a digest, its settings and secrets (from the caller's environment,
# as for the deploy), the Procfile's release Job and worker Deployments. No cluster is asked.
#   scripts/kubernetes.sh staging|production <registry>/<repo>@sha256:...
set -euo pipefail
env=${1:?usage: kubernetes.sh staging|production REGISTRY/REPO@sha256:...}
ref=${2:?usage: kubernetes.sh staging|production REGISTRY/REPO@sha256:...}
cd "$(dirname "$0")/.."
exec "${PYTHON:-python3}" -m pipeline kubernetes --env "$env" --ref "$ref" --render
