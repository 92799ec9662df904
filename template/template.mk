# The template's own targets, beside the project's Makefile (which includes this file).

# The template's tests measure the pipeline's tools as well.
COVERAGE = --cov --cov-report=term --cov-config=template/coverage.toml
# The mutations run apart (make mutations): each is a whole broken workflow run. The slowest tests
# close the output, where CI's time budget is watched.
SELECT = -m "not mutation" --durations=15

engine: ## Install and start Docker Engine 28+ with buildx and compose, cosign and oras, where missing
	template/scripts/engine.sh oras/forky cosign/forky

stand-in-base: ## Build a local stand-in for the official slim base (air-gapped machines)
	template/scripts/stand-in-base.sh

mutations: $(VENV)/.installed ## Each broken workflow of template/tests/workflows/mutations.py fails its executed scenario
	$(BIN)/pytest -m mutation --no-cov -v

bench-lock: $(VENV)/.installed ## Regenerate the bench's locks (template/bench/locks/*.txt, template/bench/requirements.txt)
	CUSTOM_COMPILE_COMMAND="make bench-lock" scripts/lock.sh template/bench/locks/*.in template/bench/requirements.in

$(VENV)/.bench-installed: template/bench/requirements.txt $(VENV)/.installed
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r template/bench/requirements.txt
	touch $@

bench: $(VENV)/.bench-installed ## Build speed, size, start-up, throughput: this Dockerfile vs the article's and docker init's
	$(PYTHON) -m template.bench.bench


.PHONY: engine stand-in-base mutations bench bench-lock
