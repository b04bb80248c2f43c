import os
import subprocess
import sys
from pathlib import Path

import yaml
from dagster import DagsterInstance

from ecom_pipeline.instance import dagster_yaml, write_dagster_yaml
from ecom_pipeline.settings import DATA_DIR_ENV, POSTGRES_URL_ENV

BIN = Path(sys.executable).parent


def test_the_written_instance_runs_one_run_at_a_time_on_sqlite(tmp_path, monkeypatch):
    monkeypatch.delenv(POSTGRES_URL_ENV, raising=False)
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    write_dagster_yaml(tmp_path)
    with DagsterInstance.from_config(str(tmp_path)) as instance:
        assert type(instance.run_coordinator).__name__ == "QueuedRunCoordinator"
        assert instance.get_concurrency_config().run_queue_config.max_concurrent_runs == 1
        assert "Sqlite" in type(instance.event_log_storage).__name__


def test_the_postgres_switch_swaps_only_the_storage_block():
    sqlite, postgres = yaml.safe_load(dagster_yaml(False)), yaml.safe_load(dagster_yaml(True))
    assert postgres["storage"] == {"postgres": {"postgres_url": {"env": POSTGRES_URL_ENV}}}
    assert {k: v for k, v in postgres.items() if k != "storage"} == {k: v for k, v in sqlite.items() if k != "storage"}
    assert postgres["run_queue"] == {"max_concurrent_runs": 1}


OPEN_THE_INSTANCE = """from dagster import DagsterInstance
with DagsterInstance.get() as instance:
    instance.all_instigator_state()
    instance.get_runs_count()
"""


def test_a_webserver_and_a_daemon_starting_together_on_a_fresh_home_both_open_it(tmp_path):
    """`ecom-pipeline home` creates the instance's databases, so processes opening it at once (make dev, the UI test)
    never race on the first migration: on a bare dagster.yaml, 4 openers failed in 7 of 10 trials."""
    for trial in range(3):
        data = tmp_path / f"trial{trial}"
        env = {**os.environ, DATA_DIR_ENV: str(data)}
        env.pop(POSTGRES_URL_ENV, None)
        home = subprocess.run([str(BIN / "ecom-pipeline"), "home"], env=env, check=True, capture_output=True, text=True).stdout.strip()
        openers = [subprocess.Popen([sys.executable, "-c", OPEN_THE_INSTANCE], env={**env, "DAGSTER_HOME": home},
                                    stderr=subprocess.PIPE, text=True) for _ in range(4)]
        failures = [p.communicate()[1][-400:] for p in openers if p.wait() != 0]
        assert not failures, failures
