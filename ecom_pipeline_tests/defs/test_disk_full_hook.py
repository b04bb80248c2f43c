"""A run launched by the sensor or the schedule that fills the disk says so in its log, as the command line does."""

import os
import shutil

from dagster import instance_for_test

from ecom_pipeline.cli import materialize_days, register_landed
from ecom_pipeline.ingest import Registry
from ecom_pipeline.settings import load_settings
from ecom_pipeline_tests.conftest import land_brand_week, small_file_system


def test_a_step_that_fills_the_disk_names_the_file_system_in_the_runs_log(tmp_path):
    with small_file_system(tmp_path / "small_disk", "16m") as mount:
        settings = load_settings(mount / "data", mount / "landing")
        settings.ensure_dirs()
        land_brand_week(settings.landing_dir)
        register_landed(Registry(settings))
        with (mount / "ballast").open("wb") as handle:  # the lake and warehouse fill; Dagster's storage is elsewhere
            os.posix_fallocate(handle.fileno(), 0, shutil.disk_usage(mount).free - 20_000)
        with instance_for_test() as instance:
            result = materialize_days(settings, "2026-01-01", "2026-01-08", instance=instance)
            assert not result.success
            messages = [record.user_message for record in instance.all_logs(result.run_id)]
    said = [m for m in messages if m.startswith("STOPPED: the file system mounted at")]
    assert said, [m for m in messages if "space" in m.lower() or "full" in m.lower()][:3]
    assert said[0].startswith(f"STOPPED: the file system mounted at {mount} is full (")
    assert "run `ecom-pipeline run` again: the rerun recovers" in said[0]
