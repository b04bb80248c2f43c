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
    index = [sa.Index(f"ix_{name}_{spec.partition_column}", spec.partition_column)] if spec.partition_column else []
    return sa.Table(name, metadata, *columns, *index)


def publish(engine: sa.Engine, name: str, spec: TableSpec, frame: pd.DataFrame, days: list[str] | None) -> int:
    """Replace `days` of table `name` with `frame`'s rows (which must all fall on those days), or the whole
    table when `days` is None; returns rows written."""
    table = table_for(name, spec, sa.MetaData())
    try:
        table.create(engine, checkfirst=True)
    except sa.exc.DBAPIError:
        if not sa.inspect(engine).has_table(name):  # else another run created it a moment before us
            raise
    _add_new_columns(engine, table)
    columns = _columns(frame, spec, table, engine.dialect)
    insert = table.insert().compile(dialect=engine.dialect)
    positional = engine.dialect.paramstyle in ("qmark", "format", "numeric")
    names = list(spec.columns)
    rows = list(zip(*columns)) if positional else [dict(zip(names, values)) for values in zip(*columns)]
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            # Two runs replacing the same rows at once: the second waits, then deletes what the first committed
            # (without the lock its DELETE would not see the first's new rows, and both sets would stay).
            connection.execute(sa.text(f'LOCK TABLE "{name}" IN SHARE ROW EXCLUSIVE MODE'))
        if days is None:
            connection.execute(sa.delete(table))
        day_values = [date.fromisoformat(d) for d in days or []]
        for start in range(0, len(day_values), 500):
            connection.execute(sa.delete(table).where(table.c[spec.partition_column].in_(day_values[start : start + 500])))
        # The driver's own executemany with one compiled statement (values already through each column type's
        # bind processor): SQLAlchemy's per-row parameter handling costs more than the insert itself.
        for start in range(0, len(rows), CHUNK):
            connection.exec_driver_sql(str(insert), rows[start : start + CHUNK])
    return len(frame)


def _add_new_columns(engine: sa.Engine, table: sa.Table) -> None:
    """A warehouse written by an earlier release lacks the columns a later one adds (`tips`, `variant_key`…): added
    empty, so publishing goes on; the days a run replaces get their values."""
    existing = {column["name"] for column in sa.inspect(engine).get_columns(table.name)}
    missing = [column for column in table.columns if column.name not in existing]
    if not missing:
        return
    with engine.begin() as connection:
        for column in missing:
            kind = column.type.compile(dialect=engine.dialect)
            connection.execute(sa.text(f'ALTER TABLE "{table.name}" ADD COLUMN "{column.name}" {kind}'))


def row_counts(engine: sa.Engine) -> dict[str, int]:
    inspector = sa.inspect(engine)
    counts = {}
    with engine.connect() as connection:
        for name in sorted(inspector.get_table_names()):
            counts[name] = connection.execute(sa.select(sa.func.count()).select_from(sa.table(name))).scalar_one()
    return counts


def _columns(frame: pd.DataFrame, spec: TableSpec, table: sa.Table, dialect) -> list[list]:
    """Each column as Python values (None for missing), passed through the column type's bind processor."""
    out = []
    for column, logical in spec.columns.items():
        values = frame[column]
        present = values.notna().to_numpy()
        if logical == "date":
            python = values.dt.date.tolist()
        elif logical == "timestamp":
            python = [v.to_pydatetime() if v is not pd.NaT else None for v in values.dt.floor("us")]  # SQL keeps microseconds
        else:
            python = values.astype(object).tolist()
        processor = table.c[column].type.bind_processor(dialect)
        out.append([(processor(v) if processor else v) if ok else None for v, ok in zip(python, present)])
    return out
