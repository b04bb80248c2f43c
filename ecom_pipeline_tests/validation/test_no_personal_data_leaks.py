"""An e-mail or phone number typed into the wrong column never reaches the warehouse, the lake or Dagster's event log."""

from pathlib import Path

import pandas as pd
import sqlalchemy as sa
from dagster import instance_for_test

from ecom_pipeline.cli import materialize_days, register_all
from ecom_pipeline.ingest import Registry

PLANTED = ("planted.person@example.test", "+1 617 555 0199")
META = ("Reporting starts,Reporting ends,Campaign name,Amount spent (USD),Impressions\n"
        "2025-06-01,2025-06-01,Spring,12.50,1000\n"
        f"2025-06-01,2025-06-01,Summer,{PLANTED[0]},800\n")
ORDERS = ("Name,Email,Financial Status,Currency,Subtotal,Shipping,Taxes,Total,Discount Amount,Created at,Lineitem quantity,Lineitem name,Lineitem price,Id\n"
          "#1,a@example.test,paid,USD,30.00,0.00,0.00,30.00,0.00,2025-06-01 10:00:00 -0400,1,Tee,30.00,1\n"
          f"#2,b@example.test,paid,USD,30.00,0.00,0.00,\"{PLANTED[1]}\",0.00,2025-06-01 11:00:00 -0400,1,Tee,{PLANTED[0]},2\n")


def _everything_written(settings, instance) -> str:
    engine = sa.create_engine(settings.warehouse_url)
    texts = []
    with engine.connect() as connection:
        for table in sa.inspect(engine).get_table_names():
            texts.append(pd.read_sql(sa.text(f'select * from "{table}"'), connection).to_csv())
    engine.dispose()
    texts += [pd.read_parquet(p).to_csv() for p in settings.lake_dir.rglob("*.parquet")]
    for run in instance.get_runs():  # every event of every run: materialization metadata, check samples, log lines
        texts += [str(entry) for entry in instance.all_logs(run.run_id)]
    texts += [p.read_text(errors="ignore") for p in (settings.data_dir / "dagster_home").rglob("*") if p.is_file() and p.suffix in (".log", ".out", ".err", ".txt")]
    return "\n".join(texts)


def test_planted_addresses_reach_no_table_lake_file_or_event(settings):
    for name, text in (("meta.csv", META), ("orders_export_1.csv", ORDERS)):
        (settings.landing_dir / name).write_text(text)
    outcomes = register_all(Registry(settings))
    assert sum(o.rows_quarantined for o in outcomes) == 2  # the Meta row and order #2: counted, not lost
    with instance_for_test() as instance:
        assert materialize_days(settings, "2025-06-01", "2025-06-01", instance=instance).success
        written = _everything_written(settings, instance)
    assert "not a number: '<e-mail>'" in written  # the quarantine still says what was wrong
    for secret in (*PLANTED, "a@example.test", "b@example.test", "617 555"):
        assert secret not in written, secret
