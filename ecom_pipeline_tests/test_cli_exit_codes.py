"""A finished command exits 0, every time: cron, a scheduler or CI reads anything else as a failure. Reading Parquet
through pandas used to leave Arrow I/O tasks running into the interpreter's exit, which then aborted with exit 134
("terminate called without an active exception") in about one process in three."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd

from ecom_pipeline.lake import atomic_write_parquet

BRAND_WEEK = Path(__file__).parent / "fixtures" / "real_layouts" / "brand_week"
REPEATS = 20  # at one abort in two, the old reader passes 20 in a row with probability 1e-6


def _cli(*args: str) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("ECOM_PIPELINE_", "DAGSTER_"))}
    return subprocess.run([sys.executable, "-m", "ecom_pipeline.cli", *args], capture_output=True, text=True, env=env, timeout=600)


def test_run_and_summary_exit_zero(tmp_path):
    landing, data = tmp_path / "landing", tmp_path / "data"
    shutil.copytree(BRAND_WEEK, landing)

    run = _cli("run", "--data-dir", str(data), "--landing", str(landing))
    assert run.returncode == 0, run.stderr[-2000:]
    assert "materialized: 8 days (2026-01-01 .. 2026-01-08)" in run.stdout
    summary = _cli("summary", "--data-dir", str(data))
    assert summary.returncode == 0, summary.stderr[-2000:]
    for text in ("orders_enriched                      21 rows", "top budget moves as of 2026-01-08"):
        assert text in run.stdout and text in summary.stdout


def test_a_process_that_reads_the_lake_and_exits_exits_zero_every_time(tmp_path):
    """The lake's reader, which every command and asset uses, in a process that exits right after it: the moment the
    old reader aborted (20 of 40 processes reading this file with `pd.read_parquet`)."""
    path = tmp_path / "day.parquet"
    atomic_write_parquet(path, pd.DataFrame({"orders": range(1000)}))
    script = f"from pathlib import Path; from ecom_pipeline.lake import read_parquet; print(len(read_parquet(Path({str(path)!r}))))"
    # One at a time: the abort is a race with the exit, rarer when processes compete for the cores.
    results = [subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120) for _ in range(REPEATS)]
    assert [result.returncode for result in results] == [0] * REPEATS, [r.stderr[-300:] for r in results if r.returncode]
    assert all(result.stdout == "1000\n" for result in results)


def test_summary_of_a_data_directory_never_run_says_so(tmp_path):
    result = _cli("summary", "--data-dir", str(tmp_path / "empty"))
    assert result.returncode == 1
    assert "nothing materialized in" in result.stderr and "run `ecom-pipeline run` first" in result.stderr
