"""The morning schedule: yesterday, and the week behind it restated with the facts that arrived since."""

from datetime import timedelta

from dagster import DefaultScheduleStatus, JobDefinition, PartitionsDefinition, RunRequest, ScheduleEvaluationContext, schedule
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

from ecom_pipeline.backfill import RESTATE_DAYS


def build_morning_schedule(job: JobDefinition, partitions: PartitionsDefinition, timezone: str):
    @schedule(job=job, cron_schedule="0 6 * * *", execution_timezone=timezone, name="daily_ingest_schedule",
              default_status=DefaultScheduleStatus.RUNNING,
              description=f"Every morning at 06:00 shop time: yesterday's partitions of every asset, and the {RESTATE_DAYS} days "
                          "before it again, so orders priced before their labels existed get their label cost.")
    def daily_ingest_schedule(context: ScheduleEvaluationContext) -> RunRequest:
        yesterday = (context.scheduled_execution_time - timedelta(days=1)).date()
        start = max(yesterday - timedelta(days=RESTATE_DAYS), partitions.get_first_partition_window().start.date())
        return RunRequest(tags={ASSET_PARTITION_RANGE_START_TAG: start.isoformat(), ASSET_PARTITION_RANGE_END_TAG: yesterday.isoformat(),
                                "ecom_pipeline/launched_by": "schedule"})

    return daily_ingest_schedule
