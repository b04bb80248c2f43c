# ecom_pipeline — the two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DATA_DIR ?= $(CURDIR)/data
export ECOM_PIPELINE_DATA_DIR := $(DATA_DIR)
export DAGSTER_HOME := $(DATA_DIR)/dagster_home

.PHONY: install run test dev clean

# The virtualenv is (re)built whenever pyproject.toml changes. uv installs the same packages as pip, ~4x faster.
$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip install --quiet --python $(BIN)/python -e ".[test]"
	touch $@

install: $(VENV)/.installed

## make run: set up, generate the sample brand if nothing was ever landed, ingest and materialize everything
run: install
	$(BIN)/ecom-pipeline run --sample-if-empty

## make test: set up and run the test suite
test: install
	$(BIN)/python -m pytest

## make dev: the Dagster UI (and daemon: sensor + schedule) on the same data, at http://127.0.0.1:3000
dev: install
	mkdir -p $(DAGSTER_HOME) $(DATA_DIR)/landing
	cp dagster.yaml $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/dagster dev -w workspace.yaml -h 127.0.0.1 -p 3000

clean:
	rm -rf $(DATA_DIR)
