"""Publishing into a warehouse an earlier release wrote: the columns a newer release adds are added, nothing fails."""

import sqlite3

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


def _awkward_rows():
    spec = TableSpec(name="awkward", columns={"day": "date", "text": "string", "value": "float", "count": "int", "flag": "bool", "at": "timestamp"},
                     partition_column="day", key=("day", "text"), description="values that CSV and SQL both find awkward")
    frame = conform(pd.DataFrame({
        "day": pd.to_datetime(["2026-01-01"] * 6), "text": ["a,b", 'say "hi"', "line\nbreak", "", None, "\\N"],
        "value": [1e-05, 0.1, -2.5, None, 3.0, 1e300], "count": [1, None, 3, 4, 5, 2**40], "flag": [True, False, None, True, False, True],
        "at": pd.to_datetime(["2026-01-01 08:00:00.123456+00:00", None, "2026-01-01 23:59:59+00:00", None, None, None], utc=True, format="ISO8601"),
    }), spec)
    return spec, frame


def _read_back(engine):
    with engine.connect() as connection:
        rows = connection.execute(sa.text('select "text", "value", "count", "flag", "at" from awkward')).all()
    engine.dispose()
    return sorted(rows, key=lambda r: (r[0] is None, r[0] or ""))


@pytest.mark.postgres
def test_postgres_bulk_copy_keeps_every_value_as_sqlite_inserts_do(tmp_path, postgres_url):
    spec, frame = _awkward_rows()
    sqlite, postgres = warehouse.make_engine(f"sqlite:///{tmp_path / 'w.sqlite'}"), warehouse.make_engine(warehouse_url_for(postgres_url))
    for engine in (sqlite, postgres):
        assert warehouse.publish(engine, "awkward", spec, frame, ["2026-01-01"]) == 6
    copied, inserted = _read_back(postgres), _read_back(sqlite)
    assert [r[:4] for r in copied] == [r[:4] for r in inserted]  # text, float, int, bool: the same values, NULLs and ''
    assert [r[0] for r in copied] == ["", "\\N", "a,b", "line\nbreak", 'say "hi"', None]
    assert [r[1] for r in copied] == [None, 1e300, 1e-05, -2.5, 0.1, 3.0] and [r[3] for r in copied] == [True, True, True, None, False, False]
    stamps = {r[0]: r[4] for r in copied}
    assert stamps["a,b"] == pd.Timestamp("2026-01-01 08:00:00.123456+00:00") and stamps["line\nbreak"] == pd.Timestamp("2026-01-01 23:59:59+00:00")
    assert stamps[""] is None


def test_sqlite_bulk_publish_stores_what_the_drivers_inserts_store(tmp_path):
    """The ADBC bulk path writes the very text and numbers Python's sqlite3 writes through executemany (dates, UTC
    times with and without microseconds, booleans, NULLs), so the rows of earlier releases and new ones compare alike;
    re-publishing the day replaces it."""
    spec, frame = _awkward_rows()
    bulk = warehouse.make_engine(f"sqlite:///{tmp_path / 'bulk.sqlite'}")
    assert warehouse.publish(bulk, "awkward", spec, frame, ["2026-01-01"]) == 6
    assert warehouse.publish(bulk, "awkward", spec, frame, ["2026-01-01"]) == 6
    driver = sa.create_engine(f"sqlite:///{tmp_path / 'driver.sqlite'}")
    table = warehouse.table_for("awkward", spec, sa.MetaData())
    table.create(driver)
    with driver.begin() as connection:
        warehouse._insert(connection, table, list(spec.columns), warehouse._columns(frame, spec, table, driver.dialect))
    stored = {name: sqlite3.connect(tmp_path / name).execute("select * from awkward order by rowid").fetchall() for name in ("bulk.sqlite", "driver.sqlite")}
    assert stored["bulk.sqlite"] == stored["driver.sqlite"] and len(stored["bulk.sqlite"]) == 6
    assert stored["bulk.sqlite"][0][0] == "2026-01-01" and stored["bulk.sqlite"][0][5] == "2026-01-01 08:00:00.123456+00:00"
    assert stored["bulk.sqlite"][2][5] == "2026-01-01 23:59:59+00:00"
