"""The `pull` group: one asset per platform API, daily partitioned, each landing what it fetched in the landing folder,
where the landing sensor registers it like an export (one path for data, two ways in). Credentials come from the
environment through `EnvVar`, so the UI shows the variable's name, never its value; a source without them is off,
and its description says which variables turn it on."""

import os
import warnings
from datetime import timedelta

from dagster import (
    AssetExecutionContext,
    AssetSelection,
    ConfigurableResource,
    DefaultScheduleStatus,
    DefaultSensorStatus,
    EnvVar,
    Failure,
    MaterializeResult,
    PartitionsDefinition,
    asset,
    build_schedule_from_partitioned_job,
    build_sensor_for_freshness_checks,
    build_time_partition_freshness_checks,
    define_asset_job,
)

from ecom_pipeline.backfill import backfill_policy
from ecom_pipeline.defs.resources import PipelineSettings
from ecom_pipeline.pull import meta
from ecom_pipeline.pull.http import PullFailed

PULL_GROUP = "pull"
PULL_JOB = "pull_job"
PULL_HOUR = 5  # shop time: the pulls land, and the sensor runs their days, before the 06:00 morning run
FRESH_BY = "0 8 * * *"  # a source that has not delivered yesterday by 08:00 shop time warns
META_VARIABLES = ("META_ACCESS_TOKEN", "META_AD_ACCOUNT_ID")


class MetaApi(ConfigurableResource):
    """The Meta Marketing API: a system user's access token (`ads_read`) and the ad account to pull."""

    access_token: str = ""
    ad_account_id: str = ""
    base_url: str = meta.GRAPH_URL

    @classmethod
    def from_environment(cls) -> "MetaApi":
        """Connected when both variables are set (`META_API_URL` points elsewhere than graph.facebook.com, e.g. a proxy)."""
        if not all(os.environ.get(name) for name in META_VARIABLES):
            return cls()
        return cls(access_token=EnvVar("META_ACCESS_TOKEN"), ad_account_id=EnvVar("META_AD_ACCOUNT_ID"),
                   base_url=os.environ.get("META_API_URL", meta.GRAPH_URL))

    @property
    def connected(self) -> bool:
        return bool(self.access_token and self.ad_account_id)

    def account(self) -> meta.MetaAccount:
        return meta.MetaAccount(self.access_token, self.ad_account_id, self.base_url)


def build_pull_assets(partitions: PartitionsDefinition, connected: bool) -> list:
    off = "" if connected else f" **Off**: set {' and '.join(META_VARIABLES)} to turn it on (README, Pulling from the platforms)."

    @asset(name="pull_meta_ads", group_name=PULL_GROUP, partitions_def=partitions, kinds={"meta", "api"}, backfill_policy=backfill_policy(),
           description=f"Ad-level daily insights from the Meta Marketing API for the partition's days and the {meta.RESTATED_DAYS - 1} "
                       f"before them (Meta restates conversions for {meta.RESTATED_DAYS} days), landed as one JSON line a record for the "
                       f"landing sensor to register.{off}")
    def pull_meta_ads(context: AssetExecutionContext, pipeline: PipelineSettings, meta_api: MetaApi) -> MaterializeResult:
        if not meta_api.connected:
            raise Failure(description=f"the Meta pull is off: set {' and '.join(META_VARIABLES)}")
        window = context.partition_time_window
        since, until = meta.window(window.end.date() - timedelta(days=1), meta.RESTATED_DAYS + (window.end - window.start).days - 1)
        try:
            records = meta.insights(meta_api.account(), since, until)
        except PullFailed as failure:
            raise Failure(description=str(failure)) from None
        path = meta.land(records, pipeline.settings().landing_dir, meta_api.account(), since, until)
        days = sorted({record["date_start"] for record in records})
        return MaterializeResult(metadata={
            "window": f"{since} .. {until}", "records": len(records), "days_with_delivery": len(days),
            "spend": round(sum(float(record.get("spend") or 0) for record in records), 2),
            "landed_as": path.name if path else "nothing: no delivery in the window",
        })

    return [pull_meta_ads]


def build_pull_schedule_and_checks(pull_assets: list, timezone: str, connected: bool) -> dict:
    """The pull job, its 05:00 schedule and the freshness checks (with the sensor that evaluates them), for the
    connected sources; nothing when none is."""
    if not connected:
        return {"jobs": [], "schedules": [], "asset_checks": [], "sensors": []}
    job = define_asset_job(PULL_JOB, selection=AssetSelection.groups(PULL_GROUP),
                           description="Pull yesterday, and the days each platform restates, from every connected API into the landing folder.")
    schedule = build_schedule_from_partitioned_job(job, hour_of_day=PULL_HOUR, default_status=DefaultScheduleStatus.RUNNING)
    with warnings.catch_warnings():
        # Superseded by FreshnessPolicy, which judges an asset's last update, not whether yesterday's partition came:
        # the partition is what a pull owes (github.com/dagster-io/dagster/discussions/34023).
        warnings.simplefilter("ignore")
        checks = build_time_partition_freshness_checks(assets=pull_assets, deadline_cron=FRESH_BY, timezone=timezone)
        sensor = build_sensor_for_freshness_checks(freshness_checks=checks, name="pull_freshness_sensor", default_status=DefaultSensorStatus.RUNNING)
    return {"jobs": [job], "schedules": [schedule], "asset_checks": checks, "sensors": [sensor]}
