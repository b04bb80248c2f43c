"""What a killed run leaves behind: its temporary files are swept, its run marked failed, by the next run."""

import os
import subprocess
import sys
import time

from dagster import DagsterRun, DagsterRunStatus, instance_for_test

from ecom_pipeline.recovery import HOST_TAG, PID_TAG, fail_dead_runs, run_tags, sweep_temp_files


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_temporary_files_of_dead_writers_are_swept_and_nothing_else(settings):
    dead, old = _dead_pid(), time.time() - 7200
    stale = settings.lake_dir / "_staged" / "meta_ads" / "ad_performance" / f".abc.parquet.{dead}.tmp"
    live = settings.lake_dir / "orders_enriched" / f".2025-06-01.parquet.{os.getpid()}.tmp"
    recent = settings.lake_dir / "orders_enriched" / f".2025-06-02.parquet.{dead}.tmp"
    users = settings.landing_dir / f".report.csv.{dead}.tmp"
    for path in (stale, live, recent, users):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"half a file")
    for path in (stale, live, users):
        os.utime(path, (old, old))
    assert sweep_temp_files(settings.data_dir, settings.landing_dir) == [stale]
    assert not stale.exists() and live.exists() and recent.exists() and users.exists()


def test_a_run_whose_process_died_is_marked_failed_and_a_live_one_is_not():
    with instance_for_test() as instance:
        dead = DagsterRun(job_name="ingest_job", run_id="dead-run", status=DagsterRunStatus.STARTED,
                          tags={PID_TAG: str(_dead_pid()), HOST_TAG: run_tags()[HOST_TAG]})
        live = DagsterRun(job_name="ingest_job", run_id="live-run", status=DagsterRunStatus.STARTED, tags=run_tags())
        for run in (dead, live):
            instance.add_run(run)
        assert fail_dead_runs(instance) == ["dead-run"]
        assert instance.get_run_by_id("dead-run").status == DagsterRunStatus.FAILURE
        assert instance.get_run_by_id("live-run").status == DagsterRunStatus.STARTED
