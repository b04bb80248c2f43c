"""The ingest log and the quarantine table: where every landed file and every one of its rows went."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from upath import UPath

from ecom_pipeline.ingest import Registry
from ecom_pipeline.lake import read_partitions
from ecom_pipeline.schemas import INGEST_LOG, QUARANTINE, conform
from ecom_pipeline.storage import subfolders


def quarantine_table(registry: Registry, lake_dir: Path | UPath) -> pd.DataFrame:
    """Rows the parsers could not read plus rows that failed a row rule on the days they were last run for."""
    unreadable = registry.parse_problems(registry.all())
    families = subfolders(lake_dir / "quarantine")
    held = [read_partitions(lake_dir, ["quarantine", family], QUARANTINE)[0] for family in families]
    frame = pd.concat([unreadable, *held], ignore_index=True)
    return conform(frame, QUARANTINE).sort_values(["source_file", "source_row", "table"], kind="stable").reset_index(drop=True)


def ingest_log_table(registry: Registry, quarantine: pd.DataFrame) -> pd.DataFrame:
    """One row per landed file. rows_quarantined counts distinct file rows held back at parse or validation."""
    held_rows = quarantine.drop_duplicates(["source_hash", "source_row"]).groupby("source_hash").size()
    unreadable = quarantine[quarantine["stage"] == "parse"].drop_duplicates(["source_hash", "source_row"]).groupby("source_hash").size()
    rows = []
    for r in registry.all():
        days = sorted({d for values in r.days.values() for d in values})
        quarantined = int(held_rows.get(r.file_hash, 0))
        # The parser's own count of loaded rows, less the rows validation held back afterwards.
        validated_away = quarantined - int(unreadable.get(r.file_hash, 0))
        rows.append({
            "file_hash": r.file_hash, "family": r.family, "original_name": r.original_name, "encoding": r.encoding,
            "exported_at": pd.Timestamp(r.exported_at, unit="s", tz="UTC"), "registered_at": pd.Timestamp(r.registered_at, unit="s", tz="UTC"),
            "first_day": days[0] if days else None, "last_day": days[-1] if days else None, "days_covered": len(days),
            "rows_read": r.rows_read, "rows_loaded": r.rows_loaded - validated_away, "rows_quarantined": quarantined,
            "rows_skipped": r.rows_skipped, "rejected": False, "reason": "; ".join(r.notes) or None, "stored_as": r.archived_as,
        })
    for rejection in registry.rejections():
        rows.append({
            "file_hash": rejection.file_hash, "family": None, "original_name": rejection.original_name, "encoding": None,
            "exported_at": None, "registered_at": pd.Timestamp(rejection.rejected_at, unit="s", tz="UTC"),
            "first_day": None, "last_day": None, "days_covered": 0, "rows_read": 0, "rows_loaded": 0, "rows_quarantined": 0,
            "rows_skipped": 0, "rejected": True, "reason": rejection.reason, "stored_as": rejection.moved_to,
        })
    frame = conform(pd.DataFrame(rows), INGEST_LOG) if rows else INGEST_LOG.empty()
    return frame.sort_values("registered_at", kind="stable").reset_index(drop=True)
