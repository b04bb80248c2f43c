"""PostgreSQL for real: the warehouse, Dagster's instance storage, and two runs writing at once.

These run against the server `.ci/postgres.sh` starts (CI always does); see the `postgres_url` fixture."""

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from dagster import AssetKey, DagsterInstance, instance_for_test

from ecom_pipeline import warehouse
from ecom_pipeline.cli import materialize_days, register_all
from ecom_pipeline.disk_space import disk_full_sentence, is_disk_full, is_server_disk_full
from ecom_pipeline.ingest import Registry
from ecom_pipeline.instance import write_dagster_yaml
from ecom_pipeline.schemas import CUSTOMER_LTV, DAILY_SUMMARY, conform
from ecom_pipeline.settings import POSTGRES_URL_ENV, Settings, warehouse_url_for
from ecom_pipeline_tests.conftest import copy_exports, small_file_system

pytestmark = pytest.mark.postgres


def settings_for(tmp_path, postgres_url) -> Settings:
    data = tmp_path / "data"
    value = Settings(data_dir=data, landing_dir=data / "landing", warehouse_url=warehouse_url_for(postgres_url), start_date="2024-01-01")
    value.ensure_dirs()
    return value


def summary_rows(days, orders):
    frame = pd.DataFrame({"day": pd.to_datetime(days), "spend": 100.0, "orders": orders, "new_customers": 1, "net_sales": 50.5,
                          "contribution_margin": -3.25, "mer": np.nan, "blended_cac": 7.0})
    return conform(frame, DAILY_SUMMARY)


def test_warehouse_publish_replaces_days_and_snapshots_idempotently(postgres_url):
    engine = warehouse.make_engine(warehouse_url_for(postgres_url))
    days = ["2025-06-01", "2025-06-02", "2025-06-03"]
    assert warehouse.publish(engine, "daily_summary", DAILY_SUMMARY, summary_rows(days, [1, 2, 3]), days) == 3
    assert warehouse.publish(engine, "daily_summary", DAILY_SUMMARY, summary_rows(days, [1, 2, 3]), days) == 3  # again: nothing doubled
    warehouse.publish(engine, "daily_summary", DAILY_SUMMARY, summary_rows(["2025-06-02"], [9]), ["2025-06-02"])  # a restated day
    with engine.connect() as connection:
        rows = connection.execute(sa.text("select day, orders, mer, contribution_margin from daily_summary order by day")).all()
    assert [(str(r.day)[:10], r.orders) for r in rows] == [("2025-06-01", 1), ("2025-06-02", 9), ("2025-06-03", 3)]
    assert rows[0].mer is None and rows[0].contribution_margin == -3.25  # NaN becomes NULL, money exact
    customers = conform(pd.DataFrame({"as_of": pd.to_datetime(["2025-06-03"] * 2), "customer_key": ["a" * 64, "b" * 64], "frequency": [0, 2]}), CUSTOMER_LTV)
    for _ in range(2):
        warehouse.publish(engine, "customer_ltv", CUSTOMER_LTV, customers, None)
    assert warehouse.row_counts(engine)["customer_ltv"] == 2
    engine.dispose()


def test_a_full_materialization_with_postgres_instance_storage_and_warehouse(small_brand, tmp_path, postgres_url):
    source, truth = small_brand
    settings = settings_for(tmp_path, postgres_url)
    copy_exports(source, settings.landing_dir)
    registry = Registry(settings)
    register_all(registry)
    days = registry.covered_days()
    with instance_for_test(overrides={"storage": {"postgres": {"postgres_url": postgres_url}}}) as instance:
        result = materialize_days(settings, days[0], days[-1], instance=instance)
        assert result.success
        assert set(instance.get_materialized_partitions(AssetKey("attribution_credits"))) == set(days)
    engine = warehouse.make_engine(settings.warehouse_url)
    counts = warehouse.row_counts(engine)
    assert counts["raw_shopify_orders"] == truth["exported_rows"]["orders"] == counts["orders_enriched"]
    assert counts["budget_recommendations"] == len(truth["campaigns"]) and counts["channel_performance"] > 0
    with engine.connect() as connection:  # Dagster's own runs and events are in the same server
        # one run over the exports, one deriving from them
        assert connection.execute(sa.text("select count(*) from runs where status = 'SUCCESS'")).scalar_one() == 2
        assert connection.execute(sa.text("select count(*) from event_logs")).scalar_one() > 100
    engine.dispose()


RUN_DAYS = """
import sys
from dagster import AssetKey, DagsterInstance
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG
from ecom_pipeline.defs.build import INGEST_JOB, build_definitions
from ecom_pipeline.settings import load_settings

job = build_definitions(load_settings()).resolve_job_def(INGEST_JOB)
keys = [AssetKey("raw_shopify_orders"), AssetKey("raw_shopify_order_lines"), AssetKey(["warehouse", "raw_shopify_orders"]),
        AssetKey(["warehouse", "raw_shopify_order_lines"]), AssetKey("quarantine"), AssetKey("ingest_log")]
result = job.execute_in_process(instance=DagsterInstance.get(), asset_selection=keys, raise_on_error=False,
                                tags={ASSET_PARTITION_RANGE_START_TAG: sys.argv[1], ASSET_PARTITION_RANGE_END_TAG: sys.argv[2]})
sys.exit(0 if result.success else 1)
"""


def test_two_runs_writing_at_once(small_brand, tmp_path, postgres_url, monkeypatch):
    source, truth = small_brand
    settings = settings_for(tmp_path, postgres_url)
    copy_exports(source, settings.landing_dir, "*orders*")
    registry = Registry(settings)
    register_all(registry)
    days = registry.covered_days()
    monkeypatch.setenv(POSTGRES_URL_ENV, postgres_url)
    write_dagster_yaml(settings.dagster_home)
    with DagsterInstance.from_config(str(settings.dagster_home)) as instance:  # a deployed instance: its schema exists
        assert instance.get_runs() == []
    env = {**os.environ, "ECOM_PIPELINE_DATA_DIR": str(settings.data_dir), "ECOM_PIPELINE_LANDING_DIR": str(settings.landing_dir),
           "DAGSTER_HOME": str(settings.dagster_home), POSTGRES_URL_ENV: postgres_url}
    half = len(days) // 2
    runs = [subprocess.Popen([sys.executable, "-c", RUN_DAYS, first, last], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            for first, last in ((days[0], days[half - 1]), (days[half], days[-1]))]
    outputs = [run.communicate(timeout=600)[0] for run in runs]
    assert [run.returncode for run in runs] == [0, 0], "\n".join(o[-2000:] for o in outputs)
    engine = warehouse.make_engine(settings.warehouse_url)
    with engine.connect() as connection:
        orders = connection.execute(sa.text("select count(*), count(distinct order_date) from raw_shopify_orders")).one()
        logged = connection.execute(sa.text("select count(*), count(distinct file_hash) from ingest_log")).one()
        succeeded = connection.execute(sa.text("select count(*) from runs where status = 'SUCCESS'")).scalar_one()
    assert orders[0] == truth["exported_rows"]["orders"] and orders[1] == len(days)
    assert logged[0] == logged[1] == len(registry.all())  # both runs replaced the ingest log: one copy, not two
    assert succeeded == 2
    engine.dispose()


def test_a_full_disk_on_the_warehouse_server_is_said_to_be_the_servers(postgres_url, tmp_path_factory):
    """The server's data directory fills (a 1 MB tablespace on a real tmpfs): the sentence names the server, not
    this machine's file systems, whose space is fine."""
    mount = Path(tempfile.mkdtemp(prefix="ecom-tiny-tablespace-"))
    os.chmod(mount, 0o755)  # the server runs as its own user
    with small_file_system(mount, "1m"):
        if os.getuid() == 0:
            shutil.chown(mount, "postgres")
        engine = warehouse.make_engine(warehouse_url_for(postgres_url))
        name = postgres_url.rsplit("/", 1)[1]
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(sa.text(f"CREATE TABLESPACE tiny LOCATION '{mount}'"))
            connection.execute(sa.text(f'ALTER DATABASE "{name}" SET default_tablespace = tiny'))
        engine.dispose()
        engine = warehouse.make_engine(warehouse_url_for(postgres_url))
        days = [f"2025-06-{d:02d}" for d in range(1, 31)] * 2000
        try:
            with pytest.raises(sa.exc.OperationalError) as raised:
                warehouse.publish(engine, "daily_summary", DAILY_SUMMARY, summary_rows(days, 3), None)
            assert is_disk_full(raised.value) and is_server_disk_full(raised.value)
            sentence = disk_full_sentence([tmp_path_factory.getbasetemp()], raised.value, "127.0.0.1:5432/warehouse")
            assert sentence.startswith("the PostgreSQL server of the warehouse (127.0.0.1:5432/warehouse) has no space left")
            assert "run `ecom-pipeline run` again" in sentence
        finally:
            engine.dispose()
            admin = sa.create_engine(warehouse_url_for(postgres_url.rsplit("/", 1)[0] + "/postgres"), isolation_level="AUTOCOMMIT")
            with admin.connect() as connection:
                connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                connection.execute(sa.text("DROP TABLESPACE IF EXISTS tiny"))
            admin.dispose()
