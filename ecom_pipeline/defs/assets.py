"""Raw assets (one per export family and table), partitioned by day, and their warehouse copies.

A raw asset's day holds the canonical rows of that day from the newest export covering it; runs over many days
are single runs (one read of each export), which is how the sensor, the schedule and `ecom-pipeline run` launch
them. The warehouse tables are published once per run for exactly the run's days.
"""

import warnings
from datetime import date, timedelta

import pandas as pd
from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    AssetSpec,
    BackfillPolicy,
    BetaWarning,
    MaterializeResult,
    PartitionsDefinition,
    asset,
    multi_asset,
)
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG, PARTITION_NAME_TAG

from ecom_pipeline import lake, warehouse
from ecom_pipeline.defs.metadata import column_schema, preview, table_metadata
from ecom_pipeline.defs.resources import PipelineSettings, Warehouse
from ecom_pipeline.schemas import TABLES

warnings.filterwarnings("ignore", category=BetaWarning)  # backfill_policy is beta in Dagster 1.13

# Raw asset name -> (export family, canonical table, what it is).
RAW_ASSETS = {
    "raw_meta_ads": ("meta_ads", "ad_performance", "Meta Ads Manager exports"),
    "raw_google_ads": ("google_ads", "ad_performance", "Google Ads report downloads (UI and API shapes)"),
    "raw_tiktok_ads": ("tiktok_ads", "ad_performance", "TikTok Ads Manager exports"),
    "raw_shopify_orders": ("shopify_orders", "orders", "Shopify orders exports, one row per order"),
    "raw_shopify_order_lines": ("shopify_orders", "order_lines", "Shopify orders exports, one row per line item"),
    "raw_shopify_products": ("shopify_products", "products", "Shopify products exports"),
    "raw_shopify_inventory": ("shopify_inventory", "inventory_levels", "Shopify inventory snapshots"),
    "raw_shipments": ("shipments", "shipments", "3PL (ShipStation-style) shipment exports"),
    "raw_touchpoints": ("touchpoints", "touchpoints", "pixel / GA4 web events"),
}
# Raw event tables stay in the lake; the warehouse gets the rest.
PUBLISHED = [name for name in RAW_ASSETS if name != "raw_touchpoints"]


def assets_for_family(family: str) -> list[AssetKey]:
    """The raw assets an export family fills, and their warehouse copies: what a new file must refresh."""
    raw = [name for name, (fam, _, _) in RAW_ASSETS.items() if fam == family]
    return [AssetKey(name) for name in raw] + [AssetKey(["warehouse", name]) for name in raw if name in PUBLISHED]


def run_days(tags: dict[str, str]) -> list[str] | None:
    """The days a run covers, from its partition tags; None for a run without partitions (all days)."""
    if PARTITION_NAME_TAG in tags:
        return [tags[PARTITION_NAME_TAG]]
    if ASSET_PARTITION_RANGE_START_TAG in tags:
        first, last = date.fromisoformat(tags[ASSET_PARTITION_RANGE_START_TAG]), date.fromisoformat(tags[ASSET_PARTITION_RANGE_END_TAG])
        return [(first + timedelta(days=i)).isoformat() for i in range((last - first).days + 1)]
    return None


def build_raw_asset(name: str, partitions: PartitionsDefinition) -> AssetsDefinition:
    family, table, what = RAW_ASSETS[name]
    spec = TABLES[table]

    @asset(
        name=name,
        group_name="ingest",
        kinds={"pandas", "parquet"},
        partitions_def=partitions,
        backfill_policy=BackfillPolicy.single_run(),
        io_manager_key="lake_io_manager",
        metadata={"table": table, "family": family, "partition_column": spec.partition_column, "dagster/column_schema": column_schema(spec)},
        description=f"{what}, parsed into the canonical `{table}` table. {spec.description} "
        f"Each day comes from the newest export covering it.",
    )
    def raw(context: AssetExecutionContext, pipeline: PipelineSettings) -> pd.DataFrame:
        days = list(context.partition_keys)
        frame, sources = pipeline.registry().read_days(family, table, days)
        context.add_output_metadata(table_metadata(frame, spec, days, sources))
        return frame

    return raw


def build_warehouse_asset(dialect: str) -> AssetsDefinition:
    specs = [
        AssetSpec(
            key=AssetKey(["warehouse", name]),
            deps=[AssetKey(name)],
            group_name="warehouse",
            kinds={"sqlalchemy", dialect},
            metadata={"table": RAW_ASSETS[name][1], "dagster/column_schema": column_schema(TABLES[RAW_ASSETS[name][1]])},
            description=f"`{name}` in the warehouse table of the same name. A partitioned run replaces exactly its "
            "days in one transaction; an unpartitioned run republishes every day in the lake.",
            skippable=True,
        )
        for name in PUBLISHED
    ]

    @multi_asset(specs=specs, can_subset=True, name="warehouse_publish")
    def warehouse_publish(context: AssetExecutionContext, pipeline: PipelineSettings, warehouse_db: Warehouse):
        days = run_days(context.run.tags)
        lake_dir = pipeline.settings().lake_dir
        engine = warehouse_db.engine()
        for key in sorted(context.selected_asset_keys, key=lambda k: k.to_user_string()):
            name = key.path[-1]
            spec = TABLES[RAW_ASSETS[name][1]]
            frame, found = lake.read_partitions(lake_dir, [name], spec, days)
            written = warehouse.publish(engine, name, spec, frame, days)
            yield MaterializeResult(asset_key=key, metadata={
                "rows_published": written, "days_published": len(days) if days is not None else len(found),
                "mode": "replace days" if days is not None else "full refresh", "table": name,
                "warehouse": warehouse_db.dialect, "preview": preview(frame, spec),
            })

    return warehouse_publish


def build_assets(partitions: PartitionsDefinition, dialect: str) -> list[AssetsDefinition]:
    return [build_raw_asset(name, partitions) for name in RAW_ASSETS] + [build_warehouse_asset(dialect)]
