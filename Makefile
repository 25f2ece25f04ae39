# All set-up lives here: `make demo` and `make test` work on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck unit install clean test-data system-packages

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/monitml demo --out demo-output

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

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

# The tests start their own PostgreSQL cluster unless MONITML_TEST_POSTGRES_URL names a server.
unit: $(STAMP) system-packages $(FLIGHTS_3M)
	MONITML_TEST_DATASETS=$(abspath $(DATASETS)) $(BIN)/pytest -q

test: system-packages lint typecheck unit

clean:
	rm -rf $(VENV) demo-output .mypy_cache .pytest_cache .ruff_cache
