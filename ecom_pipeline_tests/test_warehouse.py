"""Publishing into a warehouse an earlier release wrote: the columns a newer release adds are added, nothing fails."""

import pandas as pd
import pytest
import sqlalchemy as sa

from ecom_pipeline import warehouse
from ecom_pipeline.schemas import ORDERS, TableSpec, conform
from ecom_pipeline.settings import warehouse_url_for


def _publish_over_an_older_table(engine):
    older = TableSpec(name="orders", columns={k: v for k, v in ORDERS.columns.items() if k not in ("tips", "duties")},
                      partition_column="order_date", key=ORDERS.key, description="orders as an earlier release declared them")
    first = conform(pd.DataFrame({"order_id": ["1"], "order_date": pd.to_datetime(["2026-01-01"]), "total_price": [10.0]}), older)
    warehouse.publish(engine, "raw_shopify_orders", older, first, ["2026-01-01"])
    now = conform(pd.DataFrame({"order_id": ["2"], "order_date": pd.to_datetime(["2026-01-02"]), "total_price": [12.0], "tips": [2.0]}), ORDERS)
    warehouse.publish(engine, "raw_shopify_orders", ORDERS, now, ["2026-01-02"])
    with engine.connect() as connection:
        rows = connection.execute(sa.text("select order_id, total_price, tips from raw_shopify_orders order by order_id")).all()
    assert [(r.order_id, r.total_price, r.tips) for r in rows] == [("1", 10.0, None), ("2", 12.0, 2.0)]
    engine.dispose()


def test_a_sqlite_warehouse_of_an_earlier_release_gains_the_new_columns(tmp_path):
    _publish_over_an_older_table(warehouse.make_engine(f"sqlite:///{tmp_path / 'w.sqlite'}"))


@pytest.mark.postgres
def test_a_postgres_warehouse_of_an_earlier_release_gains_the_new_columns(postgres_url):
    _publish_over_an_older_table(warehouse.make_engine(warehouse_url_for(postgres_url)))
