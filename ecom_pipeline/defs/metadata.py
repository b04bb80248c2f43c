"""Metadata a person wants to see on a materialization: rows, days, files, a preview and the columns."""

from __future__ import annotations

import pandas as pd
from dagster import MetadataValue, TableColumn, TableSchema

from ecom_pipeline.budget.report import _pyplot as pyplot, png
from ecom_pipeline.privacy import neutralise
from ecom_pipeline.schemas import TableSpec

PREVIEW_ROWS = 10


def column_schema(spec: TableSpec) -> TableSchema:
    return TableSchema(columns=[TableColumn(name, logical) for name, logical in spec.columns.items()])


def markdown(frame: pd.DataFrame, empty: str = "_none_") -> MetadataValue:
    """A small table for the UI with untrusted text (campaign and file names, sampled values) shown, never run: a
    leading `=`, `+`, `-` or `@` is quoted, as in a spreadsheet."""
    if frame.empty:
        return MetadataValue.md(empty)
    text = frame.select_dtypes(exclude="number").columns
    return MetadataValue.md(frame.assign(**{c: frame[c].map(neutralise) for c in text}).to_markdown(index=False))


def preview(frame: pd.DataFrame, spec: TableSpec) -> MetadataValue:
    """The first rows as markdown; keys are shortened and lineage columns left out, so it stays readable."""
    shown = frame.head(PREVIEW_ROWS).drop(columns=["source_hash", "source_row"], errors="ignore").copy()
    for column in ("customer_key", "anonymous_id", "session_id", "event_id"):
        if column in shown.columns:
            shown[column] = shown[column].astype("string").str.slice(0, 10)
    for column, logical in spec.columns.items():
        if logical == "date" and column in shown.columns:
            shown[column] = shown[column].dt.strftime("%Y-%m-%d")
        elif logical == "string" and column in shown.columns:
            shown[column] = shown[column].map(neutralise)
    return MetadataValue.md(shown.to_markdown(index=False) if len(shown) else "_no rows_")


def table_metadata(frame: pd.DataFrame, spec: TableSpec, days: list[str], sources: dict[str, str]) -> dict:
    """Metadata of a run. A run over one day reports that day's row count; a run over several days (every
    daily partition gets the same metadata) reports the run's rows, never a per-partition count it does not have."""
    files = sorted(set(sources.values()))
    counts = {"dagster/row_count": len(frame)} if len(days) == 1 else {"rows_in_run": len(frame), "days_in_run": len(days)}
    return {
        **counts,
        "first_day": days[0] if days else "",
        "last_day": days[-1] if days else "",
        "source_files": MetadataValue.md("\n".join(f"- `{name}`" for name in files[:50]) + (f"\n- … and {len(files) - 50} more" if len(files) > 50 else "") or "_none_"),
        "preview": preview(frame, spec),
    }


def png_markdown(figure, alt: str) -> str:
    """A matplotlib figure as an inline PNG in markdown (the UI renders it in the metadata panel); closes it."""
    return f"![{alt}](data:image/png;base64,{png(figure)})"
