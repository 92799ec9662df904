#!/usr/bin/env bash
# Every linter the project uses, from the dev lock (.venv): Python, types, Dockerfile, shell,
# workflows (zizmor, actionlint, schemas) and the accepted scan risks.
set -euo pipefail
: "${PYTHON:=.venv/bin/python}"  # the dev tools: make venv
bin=$(dirname "$PYTHON")
"$bin/flake8" .
typed=(pipeline server)
[ ! -d template ] || typed+=(template/debian.py)  # the template's own, gone once adopted
"$bin/mypy" --strict --exclude "/tests/" "${typed[@]}"
"$bin/hadolint" Dockerfile
mapfile -t shells < <(git ls-files --cached --others --exclude-standard -- '*.sh' .ci/run)
"$bin/shellcheck" -x "${shells[@]}"
"$bin/zizmor" --offline --persona auditor --quiet .github/
"$bin/actionlint" -shellcheck "$bin/shellcheck" .github/workflows/*.yml
"$bin/check-jsonschema" --builtin-schema vendor.github-workflows .github/workflows/*.yml
"$bin/check-jsonschema" --builtin-schema vendor.dependabot .github/dependabot.yml
"$PYTHON" -m pipeline ignores .trivyignore.yaml
"$PYTHON" -m pipeline env --check
