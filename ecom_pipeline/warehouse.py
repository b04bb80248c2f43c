"""Publish canonical tables to the warehouse through SQLAlchemy (a SQLite file by default, any URL in production).

Publishing a set of days is one transaction: delete those days, insert their rows. Re-publishing the same days
gives the same table, and a failure leaves the previous state intact.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import sqlalchemy as sa

from ecom_pipeline.schemas import TableSpec

SQL_TYPES = {
    "string": sa.Text,
    "date": sa.Date,
    "timestamp": lambda: sa.DateTime(timezone=True),
    "int": sa.BigInteger,
    "float": sa.Float,
    "bool": sa.Boolean,
}
CHUNK = 5000


def make_engine(url: str) -> sa.Engine:
    if url.startswith("sqlite:///"):
        from pathlib import Path

        Path(url[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
    return sa.create_engine(url, future=True)


def table_for(name: str, spec: TableSpec, metadata: sa.MetaData) -> sa.Table:
    columns = [sa.Column(column, SQL_TYPES[logical]()) for column, logical in spec.columns.items()]
    return sa.Table(name, metadata, *columns, sa.Index(f"ix_{name}_{spec.partition_column}", spec.partition_column))


def publish(engine: sa.Engine, name: str, spec: TableSpec, frame: pd.DataFrame, days: list[str] | None) -> int:
    """Replace `days` of table `name` with `frame`'s rows (which must all fall on those days), or the whole
    table when `days` is None; returns rows written."""
    table = table_for(name, spec, sa.MetaData())
    table.create(engine, checkfirst=True)
    records = _records(frame, spec)
    with engine.begin() as connection:
        if days is None:
            connection.execute(sa.delete(table))
        day_values = [date.fromisoformat(d) for d in days or []]
        for start in range(0, len(day_values), 500):
            connection.execute(sa.delete(table).where(table.c[spec.partition_column].in_(day_values[start : start + 500])))
        for start in range(0, len(records), CHUNK):
            connection.execute(sa.insert(table), records[start : start + CHUNK])
    return len(records)


def row_counts(engine: sa.Engine) -> dict[str, int]:
    inspector = sa.inspect(engine)
    counts = {}
    with engine.connect() as connection:
        for name in sorted(inspector.get_table_names()):
            counts[name] = connection.execute(sa.select(sa.func.count()).select_from(sa.table(name))).scalar_one()
    return counts


def _records(frame: pd.DataFrame, spec: TableSpec) -> list[dict]:
    out = pd.DataFrame(index=frame.index)
    for column, logical in spec.columns.items():
        values = frame[column]
        if logical == "date":
            out[column] = values.dt.date
        else:
            out[column] = values.astype(object)
        out[column] = out[column].astype(object).where(values.notna(), None)
    return out.to_dict("records")
