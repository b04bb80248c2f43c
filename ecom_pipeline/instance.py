"""The Dagster instance's `dagster.yaml` for a data directory: SQLite in the Dagster home by default, PostgreSQL
(runs, events, schedules) when `ECOM_PIPELINE_POSTGRES_URL` is set — the same switch moves the warehouse."""

from __future__ import annotations

import os
import re
from pathlib import Path

from ecom_pipeline.settings import POSTGRES_URL_ENV

TEMPLATE = Path(__file__).resolve().parent.parent / "dagster.yaml"
# Processes that create runs (the command line, the daemon, the webserver) record one "planned" event per asset of a
# ranged run instead of one per asset and day: ~500 fewer events before a month's run starts. Dagster's trade: the
# days of a run that fails show as missing, not failed (the run itself shows failed). `make dev` exports the same.
RUN_ENVIRONMENT = {"DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS": "true"}
POSTGRES_STORAGE = f"""storage:
  postgres:
    postgres_url:
      env: {POSTGRES_URL_ENV}
"""


def dagster_yaml(postgres: bool) -> str:
    """The project's dagster.yaml, its storage block swapped for PostgreSQL when asked (the URL stays in the
    environment, never in the file)."""
    text = TEMPLATE.read_text() if TEMPLATE.exists() else "telemetry:\n  enabled: false\n\nstorage:\n  sqlite:\n    base_dir:\n      env: DAGSTER_HOME\n"
    if postgres:
        text = re.sub(r"^storage:\n(?:  .*\n)+", POSTGRES_STORAGE, text, count=1, flags=re.MULTILINE)
    return text


def write_dagster_yaml(dagster_home: Path) -> Path:
    dagster_home.mkdir(parents=True, exist_ok=True)
    path = dagster_home / "dagster.yaml"
    path.write_text(dagster_yaml(bool(os.environ.get(POSTGRES_URL_ENV))))
    return path


def create_instance_storage(dagster_home: Path) -> None:
    """Open the instance once so its databases exist and are migrated: a webserver and a daemon started together on
    a fresh home otherwise both create the SQLite schedule store and one fails on alembic's half-written table."""
    from dagster import DagsterInstance

    with DagsterInstance.from_config(str(dagster_home)) as instance:
        instance.get_runs_count()
        instance.all_instigator_state()
