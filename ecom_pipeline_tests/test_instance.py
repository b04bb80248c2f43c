import yaml
from dagster import DagsterInstance

from ecom_pipeline.instance import dagster_yaml, write_dagster_yaml
from ecom_pipeline.settings import POSTGRES_URL_ENV


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
