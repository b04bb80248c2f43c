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


def _convert_a_changed_type(engine):
    """An earlier release stored total_price as text and wrote a column this one dropped: the rebuild converts the
    one, keeps the other, keeps the rows and the day index, and the days publish as before."""
    older = TableSpec(name="orders", columns={**ORDERS.columns, "total_price": "string", "legacy_note": "string"},
                      partition_column="order_date", key=ORDERS.key, description="orders as an earlier release declared them")
    first = conform(pd.DataFrame({"order_id": ["1", "2"], "order_date": pd.to_datetime(["2026-01-01", "2026-01-02"]), "total_price": ["10.5", "7"],
                                  "legacy_note": ["kept", None]}), older)
    warehouse.publish(engine, "raw_shopify_orders", older, first, ["2026-01-01", "2026-01-02"])
    now = conform(pd.DataFrame({"order_id": ["3"], "order_date": pd.to_datetime(["2026-01-02"]), "total_price": [12.25]}), ORDERS)
    warehouse.publish(engine, "raw_shopify_orders", ORDERS, now, ["2026-01-02"])
    inspector = sa.inspect(engine)
    kinds = {c["name"]: c["type"] for c in inspector.get_columns("raw_shopify_orders")}
    assert isinstance(kinds["total_price"], sa.Float) and "legacy_note" in kinds
    assert [ix["column_names"] for ix in inspector.get_indexes("raw_shopify_orders")] == [["order_date"]]
    with engine.connect() as connection:
        rows = connection.execute(sa.text("select order_id, order_date, total_price, legacy_note from raw_shopify_orders order by order_id")).all()
    assert [(r.order_id, str(r.order_date)[:10], r.total_price, r.legacy_note) for r in rows] == [("1", "2026-01-01", 10.5, "kept"), ("3", "2026-01-02", 12.25, None)]
    engine.dispose()


def _refuse_a_value_that_does_not_convert(engine):
    older = TableSpec(name="orders", columns={**ORDERS.columns, "total_price": "string"}, partition_column="order_date", key=ORDERS.key,
                      description="orders as an earlier release declared them")
    warehouse.publish(engine, "raw_shopify_orders", older,
                      conform(pd.DataFrame({"order_id": ["1"], "order_date": pd.to_datetime(["2026-01-01"]), "total_price": ["n/a"]}), older), ["2026-01-01"])
    with pytest.raises(RuntimeError, match=r"raw_shopify_orders: converting total_price string → float failed, the table is left as it was"):
        warehouse.publish(engine, "raw_shopify_orders", ORDERS, ORDERS.empty(), ["2026-01-02"])
    with engine.connect() as connection:
        assert connection.execute(sa.text("select total_price from raw_shopify_orders")).scalar_one() == "n/a"
    engine.dispose()


def test_a_sqlite_warehouse_of_an_earlier_release_converts_a_column_whose_type_changed(tmp_path):
    _convert_a_changed_type(warehouse.make_engine(f"sqlite:///{tmp_path / 'w.sqlite'}"))
    _refuse_a_value_that_does_not_convert(warehouse.make_engine(f"sqlite:///{tmp_path / 'v.sqlite'}"))


@pytest.mark.postgres
def test_a_postgres_warehouse_of_an_earlier_release_converts_a_column_whose_type_changed(postgres_url):
    _convert_a_changed_type(warehouse.make_engine(warehouse_url_for(postgres_url)))
    engine = warehouse.make_engine(warehouse_url_for(postgres_url))
    with engine.begin() as connection:
        connection.execute(sa.text("drop table raw_shopify_orders"))
    _refuse_a_value_that_does_not_convert(engine)
