"""The `pull` group: one asset per platform API, daily partitioned, each landing what it fetched in the landing folder,
where the landing sensor registers it like an export (one path for data, two ways in). Credentials come from the
environment through `EnvVar`, so the UI shows the variable's name, never its value; a source without them is off,
and its description says which variables turn it on."""

import os
import warnings
from dataclasses import dataclass
from datetime import timedelta
from types import ModuleType
from typing import ClassVar

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
from ecom_pipeline.pull import google_ads, meta, shipstation, tiktok
from ecom_pipeline.pull.http import PullFailed

PULL_GROUP = "pull"
PULL_JOB = "pull_job"
PULL_HOUR = 5  # shop time: the pulls land, and the sensor runs their days, before the 06:00 morning run
FRESH_BY = "0 8 * * *"  # a source that has not delivered yesterday by 08:00 shop time warns


class ApiCredentials(ConfigurableResource):
    """A source's credentials: every field from the environment variable of `VARIABLES` beside it."""

    VARIABLES: ClassVar[dict[str, str]] = {}  # field -> environment variable; those not in OPTIONAL are required to connect
    OPTIONAL: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def from_environment(cls):
        """Connected when every required variable is set; off (all fields empty) otherwise."""
        if not all(os.environ.get(variable) for field, variable in cls.VARIABLES.items() if field not in cls.OPTIONAL):
            return cls()
        return cls(**{field: EnvVar(variable) for field, variable in cls.VARIABLES.items() if os.environ.get(variable)})

    @classmethod
    def required(cls) -> list[str]:
        return [variable for field, variable in cls.VARIABLES.items() if field not in cls.OPTIONAL]

    @property
    def connected(self) -> bool:
        return all(getattr(self, field) for field in self.VARIABLES if field not in self.OPTIONAL)


class MetaApi(ApiCredentials):
    """The Meta Marketing API: a system user's access token (`ads_read`) and the ad account to pull."""

    VARIABLES: ClassVar[dict[str, str]] = {"access_token": "META_ACCESS_TOKEN", "ad_account_id": "META_AD_ACCOUNT_ID", "base_url": "META_API_URL"}
    OPTIONAL: ClassVar[tuple[str, ...]] = ("base_url",)
    access_token: str = ""
    ad_account_id: str = ""
    base_url: str = meta.GRAPH_URL

    def account(self) -> meta.MetaAccount:
        return meta.MetaAccount(self.access_token, self.ad_account_id, self.base_url)


class GoogleAdsApi(ApiCredentials):
    """The Google Ads API: developer token, OAuth client and refresh token, the customer (and its manager) to pull."""

    VARIABLES: ClassVar[dict[str, str]] = {"developer_token": "GOOGLE_ADS_DEVELOPER_TOKEN", "client_id": "GOOGLE_ADS_CLIENT_ID", "client_secret": "GOOGLE_ADS_CLIENT_SECRET",
                 "refresh_token": "GOOGLE_ADS_REFRESH_TOKEN", "customer_id": "GOOGLE_ADS_CUSTOMER_ID",
                 "login_customer_id": "GOOGLE_ADS_LOGIN_CUSTOMER_ID", "api_url": "GOOGLE_ADS_API_URL", "oauth_url": "GOOGLE_OAUTH_URL"}
    OPTIONAL: ClassVar[tuple[str, ...]] = ("login_customer_id", "api_url", "oauth_url")
    developer_token: str = ""
    client_id: str = ""
    client_secret: str = ""
    refresh_token: str = ""
    customer_id: str = ""
    login_customer_id: str = ""
    api_url: str = google_ads.ADS_URL
    oauth_url: str = google_ads.OAUTH_URL

    def account(self) -> google_ads.GoogleAdsAccount:
        return google_ads.GoogleAdsAccount(self.developer_token, self.client_id, self.client_secret, self.refresh_token, self.customer_id,
                                           self.login_customer_id, self.api_url, self.oauth_url)


class TikTokApi(ApiCredentials):
    """The TikTok Business API: a long-lived access token with the Reporting permission, and the advertiser to pull."""

    VARIABLES: ClassVar[dict[str, str]] = {"access_token": "TIKTOK_ACCESS_TOKEN", "advertiser_id": "TIKTOK_ADVERTISER_ID", "api_url": "TIKTOK_API_URL"}
    OPTIONAL: ClassVar[tuple[str, ...]] = ("api_url",)
    access_token: str = ""
    advertiser_id: str = ""
    api_url: str = tiktok.API_URL

    def account(self) -> tiktok.TikTokAdvertiser:
        return tiktok.TikTokAdvertiser(self.access_token, self.advertiser_id, self.api_url)


class ShipStationApi(ApiCredentials):
    """The ShipStation API: an API key and its secret."""

    VARIABLES: ClassVar[dict[str, str]] = {"api_key": "SHIPSTATION_API_KEY", "api_secret": "SHIPSTATION_API_SECRET", "api_url": "SHIPSTATION_API_URL"}
    OPTIONAL: ClassVar[tuple[str, ...]] = ("api_url",)
    api_key: str = ""
    api_secret: str = ""
    api_url: str = shipstation.API_URL

    def account(self) -> shipstation.ShipStationAccount:
        return shipstation.ShipStationAccount(self.api_key, self.api_secret, self.api_url)


@dataclass(frozen=True)
class Source:
    """One API: its asset `pull_<name>`, its client module (fetch, land, day_of, spend, RESTATED_DAYS) and credentials."""

    name: str
    title: str
    module: ModuleType
    credentials: type[ApiCredentials]
    kinds: frozenset[str]
    what: str
    amount: str = "spend"  # what the metadata sums: `spend` of the ads, `label_cost` of the shipments

    @property
    def resource_key(self) -> str:
        return f"{self.name}_api"


SOURCES = (
    Source("meta_ads", "Meta Marketing API", meta, MetaApi, frozenset({"meta", "api"}),
           "Ad-level daily insights (spend, impressions, link clicks, purchases and their value), landed as one JSON line a record"),
    Source("google_ads", "Google Ads API", google_ads, GoogleAdsApi, frozenset({"googleads", "api"}),
           "Ad-group-level daily metrics through searchStream (GAQL), landed as a CSV with the query's field names"),
    Source("tiktok_ads", "TikTok Business API", tiktok, TikTokApi, frozenset({"tiktok", "api"}),
           "Ad-level daily report (integrated report, `stat_time_day`), landed as a CSV with the API's names"),
    Source("shipstation", "ShipStation API", shipstation, ShipStationApi, frozenset({"shipstation", "api"}),
           "Shipments (labels) by ship date with their items, carrier, service, postage and void flag, landed as one JSON line a shipment",
           amount="label_cost"),
)


def pull_resources() -> dict[str, ApiCredentials]:
    return {source.resource_key: source.credentials.from_environment() for source in SOURCES}


def build_pull_assets(partitions: PartitionsDefinition, resources: dict[str, ApiCredentials]) -> list:
    return [_pull_asset(source, partitions, resources[source.resource_key].connected) for source in SOURCES]


def _pull_asset(source: Source, partitions: PartitionsDefinition, connected: bool):
    required = " and ".join(source.credentials.required())
    off = "" if connected else f" **Off**: set {required} to turn it on (README, Pulling from the platforms)."
    restated = source.module.RESTATED_DAYS

    @asset(name=f"pull_{source.name}", group_name=PULL_GROUP, partitions_def=partitions, kinds=set(source.kinds), backfill_policy=backfill_policy(),
           required_resource_keys={"pipeline", source.resource_key},
           description=f"{source.what}, from the {source.title}, for the partition's days and the {restated - 1} before them (the "
                       f"platform restates them), for the landing sensor to register.{off}")
    def pull(context: AssetExecutionContext) -> MaterializeResult:
        api = getattr(context.resources, source.resource_key)
        if not api.connected:
            raise Failure(description=f"the {source.title} pull is off: set {required}")
        window = context.partition_time_window
        until = window.end.date() - timedelta(days=1)
        since = window.start.date() - timedelta(days=restated - 1)
        try:
            records = source.module.fetch(api.account(), since, until)
        except PullFailed as failure:
            raise Failure(description=str(failure)) from None
        path = source.module.land(records, context.resources.pipeline.settings().landing_dir, api.account(), since, until)
        return MaterializeResult(metadata={
            "window": f"{since} .. {until}", "records": len(records), "days_with_delivery": len({source.module.day_of(r) for r in records}),
            source.amount: round(sum(source.module.spend(r) for r in records), 2),
            "landed_as": path.name if path else "nothing: no delivery in the window",
        })

    return pull


def build_pull_schedule_and_checks(pull_assets: list, resources: dict[str, ApiCredentials], timezone: str) -> dict:
    """The pull job, its 05:00 schedule and the freshness checks (with the sensor that evaluates them), for the
    connected sources; nothing when none is."""
    connected = [a.key for a, source in zip(pull_assets, SOURCES) if resources[source.resource_key].connected]
    if not connected:
        return {"jobs": [], "schedules": [], "asset_checks": [], "sensors": []}
    job = define_asset_job(PULL_JOB, selection=AssetSelection.assets(*connected),
                           description="Pull yesterday, and the days each platform restates, from every connected API into the landing folder.")
    schedule = build_schedule_from_partitioned_job(job, hour_of_day=PULL_HOUR, default_status=DefaultScheduleStatus.RUNNING)
    with warnings.catch_warnings():
        # Superseded by FreshnessPolicy, which judges an asset's last update, not whether yesterday's partition came:
        # the partition is what a pull owes (github.com/dagster-io/dagster/discussions/34023).
        warnings.simplefilter("ignore")
        checks = build_time_partition_freshness_checks(assets=connected, deadline_cron=FRESH_BY, timezone=timezone)
        sensor = build_sensor_for_freshness_checks(freshness_checks=checks, name="pull_freshness_sensor", default_status=DefaultSensorStatus.RUNNING)
    return {"jobs": [job], "schedules": [schedule], "asset_checks": checks, "sensors": [sensor]}
