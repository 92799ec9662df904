#!/usr/bin/env bash
# Stage 5: push the image that passed smoke and scan (the same image ID, no rebuild) under the
# computed tags. A release tag that already exists at another digest is refused before anything
# is pushed; at the same digest it is a no-op. Moving tags (latest, X.Y, X, edge) move.
set -euo pipefail
: "${DOCKER:=docker}" "${ARTIFACTS:=artifacts}" "${PYTHON:=python3}" "${REGISTRY:?}" "${IMAGE:?}"
id=$(cat "$ARTIFACTS/image-id")
for gate in smoke-passed scan-passed; do
  [ "$(cat "$ARTIFACTS/$gate" 2>/dev/null)" = "$id" ] \
    || { echo "push: $id has not passed ${gate%-passed}: run make pipeline" >&2; exit 1; }
done
[ "$("$DOCKER" image inspect -f '{{.Id}}' "$id")" = "$id" ]
# shellcheck source=/dev/null
. "$ARTIFACTS/build.env"
repo=$REGISTRY/$IMAGE

"$PYTHON" -m pipeline ping --registry "$REGISTRY"
known=$("$DOCKER" image inspect -f '{{range .RepoDigests}}{{println .}}{{end}}' "$id" \
  | sed -n "s|^$repo@||p")
for tag in $IMMUTABLE; do
  # shellcheck disable=SC2086 # one argument per known digest
  scripts/guard-release.sh "$repo" "$tag" $known >/dev/null
done

digest=
for tag in $TAGS; do  # the immutable tag comes first
  "$DOCKER" tag "$id" "$repo:$tag"
  digest=$("$DOCKER" push "$repo:$tag" | sed -n 's/.*digest: \(sha256:[0-9a-f]*\).*/\1/p')
  echo "pushed $repo:$tag"
done
echo "$digest" >"$ARTIFACTS/digest"
echo "$TAGS" >"$ARTIFACTS/pushed-tags"
echo "digest: $repo@$digest"
