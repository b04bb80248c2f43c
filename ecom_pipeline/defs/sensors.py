"""The landing-folder sensor: new or changed exports become runs for exactly the days they cover."""


import json
import time

from dagster import (
    AssetKey,
    DefaultSensorStatus,
    JobDefinition,
    PartitionsDefinition,
    RunRequest,
    SensorDefinition,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    sensor,
)
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG
from filelock import Timeout

from ecom_pipeline.backfill import RESTATE_DAYS, day_ranges
from ecom_pipeline.defs.assets import assets_for_family, downstream_of_every_run, snapshot_keys
from ecom_pipeline.defs.resources import PipelineSettings
from ecom_pipeline.defs.validation_assets import REJECTED_FILE_JOB, rejected_run_config
from ecom_pipeline.ingest import Registration, Rejection, scan_landing

INGEST_JOB = "ingest_job"


def run_requests_for(registration: Registration, partitions: PartitionsDefinition, first: str, last: str) -> list[RunRequest]:
    """One run per contiguous range of covered days (clipped to the partitions that exist, cut into runs of at most
    DAYS_PER_RUN days), keyed by content hash."""
    clipped = [(max(start, first), min(end, last)) for start, end in registration.ranges()]
    parts = [part for start, end in clipped if start <= end for part in day_ranges(start, end, restate_days=RESTATE_DAYS, floor=first)]
    tags = {"ecom_pipeline/source_file": registration.original_name[:200], "ecom_pipeline/family": registration.family}
    selection = [*assets_for_family(registration.family), AssetKey("quarantine"), AssetKey("ingest_log"), *downstream_of_every_run()]
    snapshots = snapshot_keys()
    daily = [key for key in selection if key not in snapshots]
    requests = []
    for start, end in parts:
        keys = selection if (start, end) == parts[-1] else daily  # LTV and budget once, after the file's last days
        if start == end:
            request = RunRequest(run_key=f"{registration.file_hash}:{start}", partition_key=start, job_name=INGEST_JOB,
                                 asset_selection=keys, tags=tags)
        else:
            request = RunRequest(run_key=f"{registration.file_hash}:{start}:{end}", asset_selection=keys, job_name=INGEST_JOB,
                                 tags={**tags, ASSET_PARTITION_RANGE_START_TAG: start, ASSET_PARTITION_RANGE_END_TAG: end})
        requests.append(request)
    return requests


def rejection_request(rejection: Rejection) -> RunRequest:
    """A run that fails with the rejection's sentence, so the UI shows it where runs are watched."""
    return RunRequest(
        run_key=f"rejected:{rejection.file_hash}", job_name=REJECTED_FILE_JOB,
        run_config=rejected_run_config(rejection.original_name, rejection.reason, rejection.moved_to),
        tags={"ecom_pipeline/source_file": rejection.original_name[:200], "ecom_pipeline/rejected": "true"},
    )


def build_landing_sensor(job, rejected_job: JobDefinition, partitions: PartitionsDefinition) -> SensorDefinition:
    @sensor(
        jobs=[job, rejected_job],
        minimum_interval_seconds=30,
        default_status=DefaultSensorStatus.RUNNING,
        description="Watches the landing folder: registers each complete export (by content hash), archives it, moves "
        "unreadable files to rejected/ with a reason, and requests a run for exactly the days each export covers.",
    )
    def landing_sensor(context: SensorEvaluationContext, pipeline: PipelineSettings):
        registry = pipeline.registry()
        state = json.loads(context.cursor) if context.cursor else {}
        try:
            with registry.lock(timeout=0):
                scan = scan_landing(registry, state, time.time())
                if scan.registered:
                    registry.record_first_day()
        except Timeout:
            return SensorResult(skip_reason=SkipReason("a run is registering files in this data directory; looking again next tick"),
                                cursor=context.cursor)
        requests = []
        for rejection in scan.rejected:
            context.log.warning(rejection.sentence)
            requests.append(rejection_request(rejection))
        for duplicate in scan.duplicates:
            context.log.info(f"{duplicate.original_name} is already registered (same content); archived, nothing to run")
        first = partitions.get_first_partition_key()
        last = partitions.get_last_partition_key()
        # Registrations the command line already ran need no run from the sensor.
        requested_through = max(state.get("requested_through", ""), registry.materialized_through())
        pending = [name for name in registry.manifest_names() if name > requested_through]
        for name in pending:
            registration = registry.load(name)
            requests += run_requests_for(registration, partitions, first, last)
            before = [day for days in registration.days.values() for day in days if day < first]
            if before:
                context.log.warning(f"{registration.original_name} covers {len(set(before))} day(s) before the first partition, {first} "
                                    f"(from {min(before)}), and are left out: unless ECOM_PIPELINE_START_DATE fixes the start, reload the code "
                                    "location (it then starts earlier) and backfill those days")
        state = {**scan.state, "requested_through": pending[-1] if pending else requested_through}
        if not requests:
            waiting = f"; waiting for {len(scan.waiting)} file(s) to finish arriving" if scan.waiting else ""
            return SensorResult(skip_reason=SkipReason(f"no new exports{waiting}"), cursor=json.dumps(state))
        return SensorResult(run_requests=requests, cursor=json.dumps(state))

    return landing_sensor
