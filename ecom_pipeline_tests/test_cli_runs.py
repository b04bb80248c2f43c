"""`ecom-pipeline` as cron or a scheduler runs it, in its own process: a finished command exits 0 every time (reading
Parquet through pandas used to leave Arrow I/O tasks running into the interpreter's exit, which then aborted with
exit 134, "terminate called without an active exception"), and a disk that fills mid-run is said in a sentence, after
which a rerun recovers the same tables."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from ecom_pipeline.cli import register_landed
from ecom_pipeline.ingest import Registry
from ecom_pipeline.lake import atomic_write_parquet
from ecom_pipeline.settings import load_settings
from ecom_pipeline_tests.conftest import land_brand_week, small_file_system

REPEATS = 16  # at one abort in two, the old reader passes 16 in a row with probability 2e-5


def _cli(*args: str) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("ECOM_PIPELINE_", "DAGSTER_"))}
    return subprocess.run([sys.executable, "-m", "ecom_pipeline.cli", *args], capture_output=True, text=True, env=env, timeout=600)


@pytest.fixture(scope="module")
def clean_run(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    """The real-layout brand week run once by the command line, in a fresh data directory."""
    root = tmp_path_factory.mktemp("clean_run")
    land_brand_week(root / "landing")
    return root / "data", _cli("run", "--data-dir", str(root / "data"), "--landing", str(root / "landing"))


def test_run_and_summary_exit_zero(clean_run):
    data, run = clean_run
    assert run.returncode == 0, run.stderr[-2000:]
    assert "materialized: 8 days (2026-01-01 .. 2026-01-08)" in run.stdout
    summary = _cli("summary", "--data-dir", str(data))
    assert summary.returncode == 0, summary.stderr[-2000:]
    for text in ("orders_enriched                      21 rows", "raw_shopify_products                  5 rows",
                 "raw_shopify_inventory                 5 rows", "top budget moves as of 2026-01-08"):
        assert text in run.stdout and text in summary.stdout


@pytest.fixture
def small_disk(tmp_path):
    with small_file_system(tmp_path / "small_disk", "48m") as mount:
        yield mount


def test_a_disk_that_fills_mid_run_is_named_and_a_rerun_recovers(small_disk, clean_run):
    landing, data = small_disk / "landing", small_disk / "data"
    land_brand_week(landing)
    settings = load_settings(data, landing)
    settings.ensure_dirs()
    registrations, _ = register_landed(Registry(settings))
    assert len(registrations) == 7
    ballast = small_disk / "ballast"
    with ballast.open("wb") as handle:  # registered, then the disk fills: the run stops while it materializes
        os.posix_fallocate(handle.fileno(), 0, shutil.disk_usage(small_disk).free - 200_000)

    full = _cli("run", "--data-dir", str(data), "--landing", str(landing))
    assert full.returncode == 1
    assert full.stderr.startswith(f"STOPPED: the file system mounted at {small_disk} is full (")
    assert f"it holds {data}," in full.stderr and "run `ecom-pipeline run` again: the rerun recovers" in full.stderr
    assert "Traceback" not in full.stderr

    ballast.unlink()
    again = _cli("run", "--data-dir", str(data), "--landing", str(landing))
    assert again.returncode == 0, again.stderr[-2000:]
    clean = sqlite3.connect(clean_run[0] / "warehouse.sqlite")
    recovered = sqlite3.connect(data / "warehouse.sqlite")
    tables = [name for (name,) in clean.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
    assert len(tables) == 25
    for table in tables:
        if table == "ingest_log":  # when each file was registered differs, by nature
            continue
        expected, actual = (pd.read_sql(f'SELECT * FROM "{table}"', db) for db in (clean, recovered))
        pd.testing.assert_frame_equal(_sorted(actual), _sorted(expected), obj=table)


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(list(frame.columns)).reset_index(drop=True)


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
