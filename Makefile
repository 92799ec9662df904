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
DOCKER ?= docker
ARTIFACTS ?= artifacts
export REGISTRY IMAGE DOCKER ARTIFACTS
export PYTHON := $(BIN)/python
export TRIVY := $(BIN)/trivy
export DOCKER_BUILDKIT := 1

LOCKS := requirements.in:requirements.txt requirements-dev.in:requirements-dev.txt \
	requirements-build.in:requirements-build.txt

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

$(VENV)/.installed: requirements-dev.txt
	$(HOST_PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r requirements-dev.txt
	touch $@

venv: $(VENV)/.installed ## Create .venv with the locked dev tools

lock: $(VENV)/.installed ## Regenerate requirements*.txt from requirements*.in, with the image's Python
	scripts/lock.sh

lock-check: $(VENV)/.installed ## Fail, naming `make lock`, when a lock is stale
	$(PYTHON) -m pipeline lock-check $(LOCKS)

lint: $(VENV)/.installed ## flake8, hadolint, shellcheck, zizmor, workflow schemas, accepted risks
	$(BIN)/flake8 app tests pipeline bench
	$(BIN)/hadolint Dockerfile
	$(BIN)/shellcheck scripts/*.sh .ci/run
	$(BIN)/zizmor --offline --persona auditor --quiet .github/
	$(BIN)/check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml
	$(BIN)/check-jsonschema --builtin-schema vendor.dependabot .github/dependabot.yml
	$(PYTHON) -m pipeline ignores .trivyignore.yaml

unit: $(VENV)/.installed ## Unit tests with coverage (no Docker needed)
	$(BIN)/pytest -m "not container and not registry" --cov=app --cov-report=term

test: $(VENV)/.installed ## Every test: unit, container, registry and workflow tests
	$(BIN)/pytest --cov --cov-report=term

check: lock-check lint unit ## Stage 1 of the pipeline

build: $(VENV)/.installed ## Build the image with BuildKit (stage 2)
	scripts/build.sh

smoke: ## Run the built image and check it answers (stage 3)
	scripts/smoke.sh

scan: $(VENV)/.installed ## Scan the built image with Trivy (stage 4)
	scripts/scan.sh

push: $(VENV)/.installed ## Push the scanned image under its tags (stage 5)
	scripts/push.sh

pipeline: $(VENV)/.installed ## The main job: check, build, smoke, scan, push to REGISTRY
	@$(MAKE) --no-print-directory registry-default
	@scripts/pipeline.sh

registry: $(VENV)/.installed ## Start a local registry on REGISTRY unless one answers
	scripts/registry.sh start

registry-stop: ## Stop the local registry started by `make registry`
	scripts/registry.sh stop

registry-default: # the default registry is started for you; any other is yours to run
	@[ "$(REGISTRY)" != $(DEFAULT_REGISTRY) ] || scripts/registry.sh start >/dev/null

stand-in-base: ## Build a local stand-in for the official slim base (air-gapped machines)
	scripts/stand-in-base.sh

dev: ## Run the app from source on :8000 with reload, under CPU and memory limits
	scripts/dev.sh

bench-lock: $(VENV)/.installed ## Regenerate the bench's locks (bench/locks/*.txt, bench/requirements.txt)
	CUSTOM_COMPILE_COMMAND="make bench-lock" scripts/lock.sh bench/locks/*.in bench/requirements.in

$(VENV)/.bench-installed: bench/requirements.txt $(VENV)/.installed
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r bench/requirements.txt
	touch $@

bench: $(VENV)/.bench-installed ## Build speed, size, start-up, throughput: this Dockerfile vs the article's and docker init's
	$(PYTHON) -m bench.bench

clean: ## Remove the venv, caches and artifacts
	rm -rf $(VENV) $(ARTIFACTS) .cache .coverage .pytest_cache

.PHONY: help venv lock lock-check lint unit test check build smoke scan push pipeline registry \
	registry-stop registry-default stand-in-base dev bench bench-lock clean
