# All set-up lives here: `make demo` and `make test` work on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_STAMP := $(VENV)/.installed-demo

.PHONY: demo test lint typecheck unit install clean test-data system-packages

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# The demo needs MonitML and scikit-learn only; the tests need the whole dev extra.
$(DEMO_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[demo]'
	touch $(DEMO_STAMP)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP) $(DEMO_STAMP)

install: $(STAMP)

demo: $(DEMO_STAMP)
	$(BIN)/monitml demo --out demo-output

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks examples scripts
	$(BIN)/ruff format --check src tests benchmarks examples scripts

typecheck: $(STAMP)
	$(BIN)/mypy
	$(BIN)/lint-imports

# prometheus, promtool, amtool, Alertmanager, Chromium, PostgreSQL's initdb/pg_ctl, npm: installed
# from Debian when missing (as root or with `sudo -n`), or one line saying what to run.
system-packages:
	@bash scripts/system-packages.sh

# Large real data for the statistical tests, unpacked from the npm registry package once.
DATASETS := .cache/datasets
FLIGHTS_3M := $(DATASETS)/flights-3m.parquet

$(FLIGHTS_3M): | system-packages
	mkdir -p $(DATASETS)
	cd $(DATASETS) && npm pack --silent vega-datasets@3.2.1 >/dev/null \
	  && tar xzf vega-datasets-3.2.1.tgz package/data/flights-3m.parquet \
	  && mv package/data/flights-3m.parquet . && rm -rf package vega-datasets-3.2.1.tgz

test-data: $(FLIGHTS_3M)

# The tests start their own PostgreSQL cluster unless MONITML_TEST_POSTGRES_URL names a server
# (one per test process). Two processes, a module's tests on one of them (its module-scoped
# servers and data start once): much of the suite waits on real servers, not on the CPU.
TEST_PROCESSES ?= 2
unit: $(STAMP) system-packages $(FLIGHTS_3M)
	MONITML_TEST_DATASETS=$(abspath $(DATASETS)) $(BIN)/pytest -q -n $(TEST_PROCESSES) --dist loadscope

test: system-packages lint typecheck unit

clean:
	rm -rf $(VENV) demo-output .mypy_cache .pytest_cache .ruff_cache
