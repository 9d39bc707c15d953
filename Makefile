# ska-sim: the two commands of the README's Quick start, and a few helpers.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin

.PHONY: setup run test bench clean

$(BIN)/ska-sim: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(BIN)/ska-sim

setup: $(BIN)/ska-sim

run: setup            ## set up and simulate the SKA baseline week
	$(BIN)/ska-sim run scenarios/baseline.toml --out runs/baseline

test: setup           ## set up and run the whole test suite
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) runs .pytest_cache .hypothesis

$(VENV)/.bench: $(BIN)/ska-sim
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	touch $(VENV)/.bench

bench: $(VENV)/.bench   ## speed and memory benchmarks (not part of make test): writes benchmarks/results.md
	$(BIN)/python benchmarks/run.py
