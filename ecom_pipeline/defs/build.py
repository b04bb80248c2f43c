"""Assemble the Definitions for one deployment's settings."""

from __future__ import annotations

from dagster import (
    AssetSelection,
    DailyPartitionsDefinition,
    Definitions,
    define_asset_job,
    in_process_executor,
    map_asset_specs,
)
import sqlalchemy as sa

from ecom_pipeline.defs.assets import build_assets
from ecom_pipeline.defs.resources import LakeIOManager, PipelineSettings, Warehouse
from ecom_pipeline.defs.attribution_assets import build_attribution
from ecom_pipeline.defs.marts import build_marts
from ecom_pipeline.defs.pull_assets import PULL_GROUP, build_pull_assets, build_pull_schedule_and_checks, pull_resources
from ecom_pipeline.defs.value_assets import build_value_assets
from ecom_pipeline.defs.schedules import build_morning_schedule
from ecom_pipeline.defs.hooks import say_disk_full
from ecom_pipeline.defs.sensors import INGEST_JOB, build_landing_sensor
from ecom_pipeline.defs.validation_assets import build_validation_asset, rejected_file_job
from ecom_pipeline.settings import Settings


def build_definitions(settings: Settings) -> Definitions:
    partitions = DailyPartitionsDefinition(start_date=settings.start_date, timezone=settings.shop_timezone)
    dialect = sa.make_url(settings.warehouse_url).get_backend_name()
    credentials = pull_resources()
    pull_assets = build_pull_assets(partitions, credentials)
    assets = [*pull_assets, *build_assets(partitions, dialect), build_validation_asset(dialect), *build_marts(partitions),
              *build_attribution(partitions), *build_value_assets()]
    assets = map_asset_specs(lambda spec: spec.replace_attributes(owners=settings.owners()), assets)
    pulls = build_pull_schedule_and_checks(pull_assets, credentials, settings.shop_timezone)
    job = define_asset_job(
        INGEST_JOB,
        selection=AssetSelection.all() - AssetSelection.groups(PULL_GROUP),
        executor_def=in_process_executor,
        hooks={say_disk_full},
        description="Parse the landed exports of the selected days and publish them to the warehouse.",
    )
    schedule = build_morning_schedule(job, partitions, settings.shop_timezone)
    return Definitions(
        assets=assets,
        asset_checks=pulls["asset_checks"],
        jobs=[job, rejected_file_job, *pulls["jobs"]],
        schedules=[schedule, *pulls["schedules"]],
        sensors=[build_landing_sensor(job, rejected_file_job, partitions), *pulls["sensors"]],
        resources={
            "pipeline": PipelineSettings.from_settings(settings),
            "lake_io_manager": LakeIOManager(base_dir=str(settings.lake_dir)),
            "warehouse_db": Warehouse(url=settings.warehouse_url),
            **credentials,
        },
    )
