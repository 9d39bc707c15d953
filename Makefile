# ska-sim: the two commands of the README's Quick start, and a few helpers.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin

.PHONY: setup browser run serve test bench figures clean

$(BIN)/ska-sim: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(BIN)/ska-sim

setup: $(BIN)/ska-sim

# Only the report's browser test needs a browser: Debian's chromium, installed by `make test` if missing
# (not by `make run`, which only simulates).
browser:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
	  (echo "installing chromium (Debian package) for the report's browser test" && \
	   apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null)

run: setup            ## set up and simulate the SKA baseline week (no browser needed)
	$(BIN)/ska-sim run scenarios/baseline.toml --out runs/baseline

serve: setup          ## the planning page on the SKA baseline: open the address it prints (with its token)
	$(BIN)/ska-sim serve scenarios/baseline.toml --workdir scenarios

test: setup browser   ## set up and run the whole test suite (installs chromium for the report's browser test)
	$(BIN)/python -m pytest -q -n auto --dist loadfile

clean:
	rm -rf $(VENV) runs .pytest_cache .hypothesis

$(VENV)/.bench: $(BIN)/ska-sim
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	touch $(VENV)/.bench

bench: $(VENV)/.bench   ## speed and memory benchmarks (not part of make test): writes benchmarks/results.md
	$(BIN)/python benchmarks/run.py

figures: $(BIN)/ska-sim   ## regenerate the baseline figures the README quotes (benchmarks/readme_figures.py)
	$(BIN)/python benchmarks/readme_figures.py --write
	SKA_SIM_SCREENSHOT=docs/planning-page.png $(BIN)/python -m pytest -q -p no:cacheprovider tests/web/test_web_browser.py
