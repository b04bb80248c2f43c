"""Validation throughput: the touchpoints rules (row rules with quarantine, then the table checks) on one
1M-row partition, in-process with Great Expectations 1.x.

Usage: python benchmarks/validation_bench.py [--rows 1000000]
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from datetime import date

import numpy as np
import pandas as pd


def touchpoints(rows: int, seed: int = 1) -> pd.DataFrame:
    """A realistic day of canonical touchpoints, with a few rows that break rules."""
    from ecom_pipeline.schemas import TOUCHPOINTS, conform

    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2025-06-01", tz="UTC")
    keys = np.array([f"{i:064x}" for i in rng.integers(0, 2**62, size=5000)])
    frame = pd.DataFrame({
        "event_id": [f"ev{i:010d}" for i in range(rows)],
        "event_timestamp": start + pd.to_timedelta(rng.integers(0, 86_400_000, size=rows), unit="ms"),
        "event_name": rng.choice(["page_view", "add_to_cart", "begin_checkout", "purchase"], size=rows, p=[0.85, 0.06, 0.05, 0.04]),
        "customer_key": np.where(rng.random(rows) < 0.1, keys[rng.integers(0, len(keys), size=rows)], None),
        "anonymous_id": [f"{i:012x}" for i in rng.integers(0, 2**40, size=rows)],
        "utm_source": rng.choice(["facebook", "google", "tiktok", None], size=rows),
        "revenue": np.where(rng.random(rows) < 0.04, rng.uniform(10, 200, size=rows).round(2), np.nan),
        "source_file": "events_2025-06-01.jsonl", "source_hash": "0" * 64, "source_row": np.arange(1, rows + 1),
    })
    frame.loc[frame.index[:10], "revenue"] = -1.0  # rows the rules must hold back
    frame.loc[frame.index[10:20], "customer_key"] = "someone@example.com"
    frame["event_date"] = frame["event_timestamp"].dt.tz_convert(None).dt.normalize()
    return conform(frame, TOUCHPOINTS)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    from ecom_pipeline.validation.checks import table_checks
    from ecom_pipeline.validation.engine import _gx
    from ecom_pipeline.validation.quarantine import hold_back
    from ecom_pipeline.validation.rules import ValidationContext

    frame = touchpoints(args.rows)
    context = ValidationContext(today=date(2026, 1, 1), earliest=date(2024, 1, 1), currencies_with_rate=frozenset({"USD"}))
    started = time.perf_counter()
    _gx()
    imported = time.perf_counter() - started
    started = time.perf_counter()
    kept, held = hold_back("touchpoints", "touchpoints", frame, context)
    rows_done = time.perf_counter() - started
    started = time.perf_counter()
    checks = table_checks("touchpoints", kept, context)
    checks_done = time.perf_counter() - started
    assert len(held) == 20 and len(kept) == args.rows - 20 and all(c.passed for c in checks)
    total = rows_done + checks_done
    print(f"\n{args.rows:,} touchpoints on {platform.machine()} with {os.cpu_count()} cores, Python {platform.python_version()}\n")
    print("| step | seconds | rows/s |")
    print("| --- | ---: | ---: |")
    print(f"| import Great Expectations (once per process) | {imported:.1f} | |")
    print(f"| row rules + quarantine ({len(held)} rows held back) | {rows_done:.1f} | {args.rows / rows_done:,.0f} |")
    print(f"| table checks (structure + anomalies) | {checks_done:.1f} | {args.rows / checks_done:,.0f} |")
    print(f"| **validation total** | **{total:.1f}** | {args.rows / total:,.0f} |")


if __name__ == "__main__":
    main()
