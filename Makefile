# ecom_pipeline — the two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DATA_DIR ?= $(CURDIR)/data
export ECOM_PIPELINE_DATA_DIR := $(DATA_DIR)
export DAGSTER_HOME := $(DATA_DIR)/dagster_home
# One planned event per asset of a ranged run, not per asset and day (ecom_pipeline/instance.py: RUN_ENVIRONMENT).
export DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS := true

.PHONY: install run test dev clean bench-attribution

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

## make test: set up and run the test suite, one worker per core (a test module stays on one worker: its fixtures run once)
test: install
	$(BIN)/python -m pytest -n auto --dist loadscope

## make dev: the Dagster UI (and daemon: sensor + schedule) on the same data, at http://127.0.0.1:3000
dev: install
	mkdir -p $(DAGSTER_HOME) $(DATA_DIR)/landing
	$(BIN)/ecom-pipeline home >/dev/null
	$(BIN)/dagster dev -w workspace.yaml -h 127.0.0.1 -p 3000

## make bench-attribution: 1M path rows through every model; times the GPL-3 ChannelAttribution package too, in its own
## virtualenv (benchmark-only, never a dependency of ecom_pipeline)
bench-attribution: install
	test -x benchmarks/.venv-channelattribution/bin/python || ($(PYTHON) -m venv benchmarks/.venv-channelattribution && \
	  benchmarks/.venv-channelattribution/bin/pip install --quiet channelattribution matplotlib) || true
	$(BIN)/python benchmarks/attribution_bench.py $$(test -x benchmarks/.venv-channelattribution/bin/python && \
	  echo --channelattribution-python benchmarks/.venv-channelattribution/bin/python)

clean:
	rm -rf $(DATA_DIR)
