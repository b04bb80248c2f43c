import json
import os
import time

from dagster import AssetKey, DagsterInstance, build_sensor_context
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

from ecom_pipeline.defs.build import build_definitions
from ecom_pipeline.defs.resources import PipelineSettings

META = (
    "\ufeffReporting starts,Reporting ends,Day,Campaign name,Campaign ID,Amount spent (USD),Impressions\n"
    "2025-06-01,2025-06-03,2025-06-01,A,1,10.00,100\n"
    "2025-06-01,2025-06-03,2025-06-02,A,1,20.00,200\n"
    "2025-06-01,2025-06-03,2025-06-03,A,1,30.00,300\n"
)


def _tick(settings, cursor=None):
    defs = build_definitions(settings)
    sensor = defs.resolve_sensor_def("landing_sensor")
    with DagsterInstance.ephemeral() as instance:
        context = build_sensor_context(instance=instance, cursor=cursor, definitions=defs,
                                       resources={"pipeline": PipelineSettings.from_settings(settings)})
        return sensor.evaluate_tick(context)


def _drop(settings, name, text, age_seconds=3600):
    path = settings.landing_dir / name
    path.write_text(text, encoding="utf-8")
    moment = time.time() - age_seconds
    os.utime(path, (moment, moment))
    return path


def test_new_file_requests_a_run_for_exactly_its_days(settings):
    _drop(settings, "meta.csv", META)
    result = _tick(settings)
    assert len(result.run_requests) == 1
    request = result.run_requests[0]
    # Its days, and the week before them again: a file's facts (labels, refunds) are about the orders of earlier days.
    assert request.tags[ASSET_PARTITION_RANGE_START_TAG] == "2025-05-25"
    assert request.tags[ASSET_PARTITION_RANGE_END_TAG] == "2025-06-03"
    assert request.asset_selection[:4] == [AssetKey("raw_meta_ads"), AssetKey(["warehouse", "raw_meta_ads"]), AssetKey("quarantine"), AssetKey("ingest_log")]
    assert {AssetKey("customer_journeys"), AssetKey("orders_enriched"), AssetKey("daily_summary")} <= set(request.asset_selection)
    assert request.job_name == "ingest_job"
    (manifest,) = sorted((settings.staged_dir / "_manifests").glob("*.json"))
    assert request.run_key.startswith(json.loads(manifest.read_text())["file_hash"])
    assert (settings.staged_dir / "_manifests" / "first_day").read_text() == "2025-06-01"  # the partitions' start follows it
    assert not (settings.landing_dir / "meta.csv").exists() and list((settings.archive_dir / "meta_ads").iterdir())

    # The same content again: archived, nothing to run.
    _drop(settings, "meta (1).csv", META)
    again = _tick(settings, result.cursor)
    assert again.run_requests == [] and "no new exports" in again.skip_message


def test_half_written_file_waits_until_it_is_stable(settings):
    path = _drop(settings, "meta.csv", META[:90], age_seconds=0)
    first = _tick(settings)
    assert first.run_requests == [] and "waiting for 1 file" in first.skip_message
    path.write_text(META, encoding="utf-8")
    second = _tick(settings, first.cursor)
    assert second.run_requests == []  # it grew since the last look
    third = _tick(settings, second.cursor)
    assert len(third.run_requests) == 1


def test_re_export_requests_the_restated_days_again(settings):
    _drop(settings, "meta.csv", META)
    first = _tick(settings)
    restated = META.replace("20.00", "25.00").splitlines()
    _drop(settings, "meta-restated.csv", "\n".join(restated[:1] + restated[2:3]) + "\n", age_seconds=60)
    second = _tick(settings, first.cursor)
    assert [(r.tags[ASSET_PARTITION_RANGE_START_TAG], r.tags[ASSET_PARTITION_RANGE_END_TAG]) for r in second.run_requests] == [("2025-05-26", "2025-06-02")]
    assert second.run_requests[0].run_key != first.run_requests[0].run_key


def test_unreadable_file_is_rejected_as_a_failing_run_with_its_reason(settings):
    _drop(settings, "notes.csv", "hello,world\n1,2\n")
    result = _tick(settings)
    (request,) = result.run_requests
    assert request.job_name == "rejected_file_job" and request.run_key.startswith("rejected:")
    config = request.run_config["ops"]["report_rejected_file"]["config"]
    assert config["file"] == "notes.csv" and config["reason"].startswith("no known export matches")
    reasons = list(settings.rejected_dir.glob("*.reason.txt"))
    assert len(reasons) == 1 and reasons[0].read_text().startswith("notes.csv was rejected: no known export matches")


def test_a_registration_whose_request_was_lost_is_requested_on_the_next_tick(settings):
    from ecom_pipeline.ingest import Registry

    Registry(settings).register(_drop(settings, "meta.csv", META))  # registered, but no tick emitted its run
    result = _tick(settings, json.dumps({"seen": {}, "requested_through": ""}))
    assert len(result.run_requests) == 1


def test_files_the_command_line_already_ran_are_not_run_again_by_the_sensor(settings):
    from ecom_pipeline.ingest import Registry

    registry = Registry(settings)
    registry.register(_drop(settings, "meta.csv", META))
    registry.mark_materialized_through(registry.manifest_names()[-1])
    assert _tick(settings).run_requests == []
    _drop(settings, "tiktok.csv", "By Day,Campaign name,Cost,Currency\n2025-06-05,Spark,1.00,USD\n")
    assert [(r.tags[ASSET_PARTITION_RANGE_START_TAG], r.tags[ASSET_PARTITION_RANGE_END_TAG]) for r in _tick(settings).run_requests] == [
        ("2025-05-29", "2025-06-05")]


def test_a_corrected_file_dropped_after_a_rejection_just_works(settings):
    _drop(settings, "meta.csv", META.rstrip("\n")[:-10])  # the download was cut short: rejected
    first = _tick(settings)
    assert [r.job_name for r in first.run_requests] == ["rejected_file_job"]
    _drop(settings, "meta.csv", META)  # the corrected export, same name
    second = _tick(settings, first.cursor)
    assert [r.job_name for r in second.run_requests] == ["ingest_job"]


def test_an_export_longer_than_a_month_becomes_runs_of_at_most_a_month_oldest_first(settings):
    header, row = META.splitlines()[0], "2025-06-01,2025-08-09,{day},A,1,10.00,100"
    days = [f"2025-{month:02d}-{d:02d}" for month, last in ((6, 30), (7, 31), (8, 9)) for d in range(1, last + 1)]
    _drop(settings, "meta-70-days.csv", "\n".join([header, *(row.format(day=day) for day in days)]) + "\n")
    requests = _tick(settings).run_requests
    spans = [(r.tags[ASSET_PARTITION_RANGE_START_TAG], r.tags[ASSET_PARTITION_RANGE_END_TAG]) for r in requests]
    # Each reaches back a week (RESTATE_DAYS) so the days before it are priced with the labels it brings.
    assert spans == [("2025-05-25", "2025-07-01"), ("2025-06-25", "2025-08-01"), ("2025-07-26", "2025-08-09")]
    assert len({r.run_key for r in requests}) == 3
    # LTV and budget are computed from all history: only the last run refreshes them.
    snapshots = {AssetKey("customer_ltv"), AssetKey("budget_recommendations"), AssetKey(["warehouse", "budget_recommendations"])}
    assert [bool(snapshots & set(r.asset_selection)) for r in requests] == [False, False, True]
    assert {AssetKey("raw_meta_ads"), AssetKey("attribution_credits")} <= set(requests[0].asset_selection)
