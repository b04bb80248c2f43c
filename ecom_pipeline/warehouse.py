"""Publish canonical tables to the warehouse through SQLAlchemy (a SQLite file by default, any URL in production).

Publishing a set of days is one transaction: delete those days, insert their rows. Re-publishing the same days
gives the same table, and a failure leaves the previous state intact.
"""

from __future__ import annotations

import io
from datetime import date, datetime

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
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
COPY_CHUNK = 100_000  # rows per COPY buffer: bounds the text held in memory at once
# A reflected column's type → the logical type it holds (Boolean before Integer: some dialects reflect it as one).
REFLECTED = ((sa.Boolean, "bool"), (sa.Integer, "int"), (sa.Float, "float"), (sa.Numeric, "float"), (sa.DateTime, "timestamp"), (sa.Date, "date"),
             (sa.String, "string"))


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
    migrate(engine, table, spec)
    if engine.dialect.name == "sqlite" and engine.url.database not in (None, "", ":memory:"):
        _publish_sqlite(engine.url.database, table, spec, frame, days)
        return len(frame)
    columns = _columns(frame, spec, table, engine.dialect)
    names = list(spec.columns)
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
        if engine.dialect.name == "postgresql":
            _copy(connection, name, names, columns)
        else:
            _insert(connection, table, names, columns)
    return len(frame)


def _publish_sqlite(path: str, table: sa.Table, spec: TableSpec, frame: pd.DataFrame, days: list[str] | None) -> None:
    """Delete the days and bulk-insert the rows through ADBC's SQLite driver (Arrow in, no Python object per value),
    in one transaction: a million narrow rows in ~2 s, wide tables about twice as fast as the driver's executemany.
    Dates and times are written as the text the driver's own adapters write, so old and new rows compare alike."""
    import adbc_driver_sqlite.dbapi as adbc

    quoted = f'"{table.name}"'
    with adbc.connect(path) as connection:
        with connection.cursor() as cursor:
            if days is None:
                cursor.execute(f"DELETE FROM {quoted}")
            for start in range(0, len(days or []), 500):
                chunk = days[start : start + 500]
                cursor.execute(f'DELETE FROM {quoted} WHERE "{spec.partition_column}" IN ({", ".join("?" * len(chunk))})', chunk)
            if len(frame):
                cursor.adbc_ingest(table.name, _sqlite_arrow(frame, spec), mode="append")
        connection.commit()


def _sqlite_arrow(frame: pd.DataFrame, spec: TableSpec) -> pa.Table:
    """The frame as Arrow columns SQLite stores as Python's sqlite3 does: dates `2026-01-02`, times
    `2026-01-02 03:04:05[.ffffff]+00:00` (UTC), booleans 0/1."""
    columns = {}
    for column, logical in spec.columns.items():
        values = pa.array(frame[column], from_pandas=True)
        if logical == "date":
            values = pc.strftime(values, format="%Y-%m-%d")
        elif logical == "timestamp":
            micros = pc.cast(values.cast(pa.timestamp("ns", "UTC")), pa.timestamp("us", "UTC"), safe=False)
            seconds = pc.cast(micros, pa.timestamp("s", "UTC"), safe=False)
            fraction = pc.subtract(pc.cast(micros, pa.int64()), pc.multiply(pc.cast(seconds, pa.int64()), 1_000_000))
            dotted = pc.binary_join_element_wise(".", pc.utf8_lpad(pc.cast(fraction, pa.string()), width=6, padding="0"), "")
            values = pc.binary_join_element_wise(pc.strftime(seconds, format="%Y-%m-%d %H:%M:%S"),
                                                 pc.if_else(pc.equal(fraction, 0), "", dotted), "+00:00", "")
        columns[column] = values
    return pa.table(columns)


def _insert(connection: sa.Connection, table: sa.Table, names: list[str], columns: list[list]) -> None:
    """The driver's own executemany with one compiled statement (values already through each column type's bind
    processor): SQLAlchemy's per-row parameter handling costs more than the insert itself."""
    insert = str(table.insert().compile(dialect=connection.dialect))
    positional = connection.dialect.paramstyle in ("qmark", "format", "numeric")
    rows = list(zip(*columns)) if positional else [dict(zip(names, values)) for values in zip(*columns)]
    for start in range(0, len(rows), CHUNK):
        connection.exec_driver_sql(insert, rows[start : start + CHUNK])


def _copy(connection: sa.Connection, name: str, names: list[str], columns: list[list]) -> None:
    """PostgreSQL's COPY FROM STDIN (CSV), in the publish's transaction: about four times faster than the driver's
    executemany (benchmarks/publish_bench.py)."""
    cursor = connection.connection.cursor()
    listed = ", ".join(f'"{n}"' for n in names)
    statement = f'COPY "{name}" ({listed}) FROM STDIN WITH (FORMAT csv)'
    rows = list(zip(*columns))
    for start in range(0, len(rows), COPY_CHUNK):
        buffer = io.StringIO("".join(",".join(map(_csv_field, row)) + "\n" for row in rows[start : start + COPY_CHUNK]))
        try:
            cursor.copy_expert(statement, buffer)
        except connection.dialect.dbapi.Error as error:  # raised as SQLAlchemy raises a driver's error (full disk, …)
            raise sa.exc.DBAPIError.instance(statement, None, error, connection.dialect.dbapi.Error) from error


def _csv_field(value) -> str:
    """A value as COPY's CSV reads it: NULL unquoted and empty, text always quoted (so '' stays an empty string)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return '"' + value.replace('"', '""') + '"'
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return repr(value) if isinstance(value, float) else str(value)


def migrate(engine: sa.Engine, table: sa.Table, spec: TableSpec) -> None:
    """Bring a table an earlier release wrote to this release's schema: columns it lacks (`tips`, `variant_key`…) are
    added empty, so the days a run replaces get their values; a column whose type changed is converted by rebuilding
    the table in one transaction (its rows kept, a column this release no longer writes kept too)."""
    existing = {column["name"]: column["type"] for column in sa.inspect(engine).get_columns(table.name)}
    missing = [column for column in table.columns if column.name not in existing]
    changed = [name for name, logical in spec.columns.items() if name in existing and _logical(existing[name]) not in (logical, None)]
    if changed:
        _rebuild(engine, table, existing, changed, spec)
    elif missing:
        with engine.begin() as connection:
            for column in missing:
                kind = column.type.compile(dialect=engine.dialect)
                connection.execute(sa.text(f'ALTER TABLE "{table.name}" ADD COLUMN "{column.name}" {kind}'))


def _logical(sql_type) -> str | None:
    """The logical type a reflected column holds (None for one this module never writes)."""
    for kind, logical in REFLECTED:
        if isinstance(sql_type, kind):
            return logical
    return None


def _rebuild(engine: sa.Engine, table: sa.Table, existing: dict, changed: list[str], spec: TableSpec) -> None:
    """Copy the table into one of the new schema, converting the changed columns, and swap it in."""
    temporary = f"{table.name}__migrating"
    kept = [sa.Column(name, kind) for name, kind in existing.items() if name not in spec.columns]
    target = sa.Table(temporary, sa.MetaData(), *[sa.Column(c.name, c.type) for c in table.columns], *kept)
    copied = [name for name in [*spec.columns, *(c.name for c in kept)] if name in existing]
    values = ", ".join(_converted(name, target.c[name].type, engine.dialect) if name in changed else f'"{name}"' for name in copied)
    names = ", ".join(f'"{name}"' for name in copied)
    try:
        with engine.begin() as connection:
            if engine.dialect.name == "postgresql":
                connection.execute(sa.text(f'LOCK TABLE "{table.name}" IN ACCESS EXCLUSIVE MODE'))
            if engine.dialect.name == "sqlite":  # its CAST never fails ('abc' becomes 0): the values are checked first
                for name in changed:
                    _check_convertible(connection, table.name, name, spec.columns[name])
            connection.execute(sa.text(f'DROP TABLE IF EXISTS "{temporary}"'))
            target.create(connection)
            connection.execute(sa.text(f'INSERT INTO "{temporary}" ({names}) SELECT {values} FROM "{table.name}"'))
            connection.execute(sa.text(f'DROP TABLE "{table.name}"'))
            connection.execute(sa.text(f'ALTER TABLE "{temporary}" RENAME TO "{table.name}"'))
            for index in table.indexes:
                index.create(connection)
    except (sa.exc.DBAPIError, ValueError) as error:
        kinds = ", ".join(f"{name} {_logical(existing[name])} → {spec.columns[name]}" for name in changed)
        raise RuntimeError(f"warehouse table {table.name}: converting {kinds} failed, the table is left as it was: "
                           f"{getattr(error, 'orig', error)}") from error


def _check_convertible(connection, table: str, name: str, logical: str) -> None:
    """Raise ValueError naming the first stored value of `name` that is not a `logical`."""
    parse = {"int": int, "float": float, "bool": lambda v: {"0": False, "1": True, "true": True, "false": False}[str(v).lower()],
             "date": lambda v: pd.Timestamp(v), "timestamp": lambda v: pd.Timestamp(v), "string": str}[logical]
    for (value,) in connection.execute(sa.text(f'SELECT DISTINCT "{name}" FROM "{table}" WHERE "{name}" IS NOT NULL')):
        try:
            parse(value)
        except (ValueError, KeyError, TypeError) as error:
            raise ValueError(f"column {name} holds {value!r}, which is not a {logical}") from error


def _converted(name: str, kind, dialect) -> str:
    """A column's values in its new type. SQLite stores dates and times as text, which a CAST would turn into numbers."""
    if dialect.name == "sqlite" and isinstance(kind, (sa.Date, sa.DateTime)):
        return f'"{name}"'
    return f'CAST("{name}" AS {kind.compile(dialect=dialect)})'


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
