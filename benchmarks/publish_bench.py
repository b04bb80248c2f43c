"""How fast a table is published to the warehouse: rows of `orders_enriched` (wide: 40-odd columns of every type)
into SQLite and, with --postgres URL, PostgreSQL — the cost of one run's `warehouse_publish` per table.

    .venv/bin/python benchmarks/publish_bench.py --rows 100000 500000 --postgres postgresql://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa

from ecom_pipeline import warehouse
from ecom_pipeline.schemas import ORDERS_ENRICHED, conform
from ecom_pipeline.settings import warehouse_url_for


def frame(rows: int, seed: int = 0) -> pd.DataFrame:
    """`rows` orders over 30 days with a value in every column of its type."""
    rng = np.random.default_rng(seed)
    values = {}
    for column, logical in ORDERS_ENRICHED.columns.items():
        if logical == "string":
            values[column] = [f"{column}-{i % 997}" for i in range(rows)]
        elif logical == "float":
            values[column] = rng.normal(50, 20, rows).round(2)
        elif logical == "int":
            values[column] = rng.integers(0, 10, rows)
        elif logical == "bool":
            values[column] = rng.random(rows) < 0.5
        elif logical == "timestamp":
            values[column] = pd.Timestamp("2026-01-01", tz="UTC") + pd.to_timedelta(rng.integers(0, 30 * 86400, rows), unit="s")
        else:
            values[column] = pd.Timestamp("2026-01-01") + pd.to_timedelta(rng.integers(0, 30, rows), unit="D")
    return conform(pd.DataFrame(values), ORDERS_ENRICHED)


def seconds_to_publish(engine: sa.Engine, table: pd.DataFrame) -> float:
    days = sorted(table[ORDERS_ENRICHED.partition_column].dt.date.astype(str).unique())
    warehouse.publish(engine, "orders_enriched", ORDERS_ENRICHED, table.head(10), days)  # the table exists, as in a daily run
    started = time.perf_counter()
    warehouse.publish(engine, "orders_enriched", ORDERS_ENRICHED, table, days)
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000, 500_000])
    parser.add_argument("--postgres", default="", help="a PostgreSQL server URL (e.g. the one .ci/postgres.sh starts)")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "results" / "publish.json")
    args = parser.parse_args(argv)
    results = []
    with tempfile.TemporaryDirectory() as folder:
        engines = {"sqlite": warehouse.make_engine(f"sqlite:///{folder}/w.sqlite")}
        if args.postgres:
            engines["postgresql"] = warehouse.make_engine(warehouse_url_for(args.postgres))
        for rows in args.rows:
            table = frame(rows)
            for dialect, engine in engines.items():
                seconds = seconds_to_publish(engine, table)
                results.append({"dialect": dialect, "rows": rows, "columns": len(ORDERS_ENRICHED.columns), "seconds": round(seconds, 2),
                                "rows_per_second": round(rows / seconds)})
                print(json.dumps(results[-1]), flush=True)
        for engine in engines.values():
            engine.dispose()
    args.out.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
