"""The Parquet lake: one file per asset and day, `<lake>/<asset>/<YYYY-MM-DD>.parquet`, written atomically; an
unpartitioned asset (a snapshot as of the latest day, e.g. LTV) is one file, `<lake>/<asset>/snapshot/latest.parquet`.
The lake is a local folder or a prefix in object storage (`storage`)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from upath import UPath

from ecom_pipeline.schemas import TableSpec
from ecom_pipeline.storage import parquet_source, stems, write_parquet


def atomic_write_parquet(path: Path | UPath, frame: pd.DataFrame) -> None:
    """A frame as one Parquet file, whole or not at all (a killed run never leaves half a file)."""
    write_parquet(path, pa.Table.from_pandas(frame, preserve_index=False))


def read_table(source, columns: list[str] | None = None) -> pa.Table:
    """One Parquet file (a path or an Arrow buffer) as an Arrow table, by Arrow's plain file reader. Not
    `pd.read_parquet`/`pq.read_table`: their dataset scanner can leave I/O tasks running after the read returns, and
    when the interpreter then exits it aborts a finished process with exit 134 ("terminate called without an active
    exception"), about one run in three with `pd.read_parquet` just before the exit."""
    with pq.ParquetFile(parquet_source(source)) as file:
        return file.read(columns=columns)


def read_parquet(path: Path | UPath, columns: list[str] | None = None) -> pd.DataFrame:
    """One Parquet file as a frame (through `read_table`, so a process that reads and exits exits 0)."""
    return read_table(path, columns).to_pandas()


def partition_path(lake_dir: Path | UPath, asset_path: list[str], day: str) -> Path | UPath:
    return lake_dir.joinpath(*asset_path, f"{day}.parquet")


def partition_days(lake_dir: Path | UPath, asset_path: list[str]) -> list[str]:
    """The days an asset has files for, sorted (one listing, local or remote)."""
    return stems(lake_dir.joinpath(*asset_path))


def write_partitions(lake_dir: Path | UPath, asset_path: list[str], frame: pd.DataFrame, spec: TableSpec, days: list[str],
                     empty_files: bool = True) -> None:
    """Each day's rows to its own file. A day without rows gets an empty file (a restated day may shrink to
    nothing), or with `empty_files=False` no file at all (an old one is removed)."""
    keys = frame[spec.partition_column].dt.strftime("%Y-%m-%d")
    groups = dict(tuple(frame.groupby(keys, sort=False))) if len(frame) else {}
    empty = frame.iloc[0:0]
    for day in days:
        path = partition_path(lake_dir, asset_path, day)
        if day in groups or empty_files:
            atomic_write_parquet(path, groups.get(day, empty))
        else:
            path.unlink(missing_ok=True)


def read_partitions(lake_dir: Path | UPath, asset_path: list[str], spec: TableSpec, days: list[str] | None = None,
                    columns: list[str] | None = None) -> tuple[pd.DataFrame, list[str]]:
    """The rows of the given days (all materialized days when None) and the days actually found; only `columns`
    when given (a year of history reads fast when it is four columns)."""
    stored = partition_days(lake_dir, asset_path)
    found = stored if days is None else sorted(set(stored).intersection(days))
    tables = [table for table in (read_table(partition_path(lake_dir, asset_path, day), columns) for day in found) if table.num_rows]
    if not tables:
        return (spec.empty() if columns is None else spec.empty()[columns]), found
    # One conversion to pandas for all the days (a year is 365 files: per-file frames and a concat cost twice as much).
    return pa.concat_tables(tables, promote_options="default").to_pandas(), found


def snapshot_path(lake_dir: Path | UPath, asset_path: list[str]) -> Path | UPath:
    return lake_dir.joinpath(*asset_path, "snapshot", "latest.parquet")


def write_snapshot(lake_dir: Path | UPath, asset_path: list[str], frame: pd.DataFrame) -> None:
    atomic_write_parquet(snapshot_path(lake_dir, asset_path), frame)


def read_snapshot(lake_dir: Path | UPath, asset_path: list[str], spec: TableSpec) -> pd.DataFrame:
    """The latest snapshot, or no rows when it was never materialized."""
    path = snapshot_path(lake_dir, asset_path)
    return read_parquet(path) if path.exists() else spec.empty()
