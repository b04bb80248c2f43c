"""Raw assets (one per export family and table) and their warehouse copies, partitioned by day.

A raw asset's day holds the canonical rows of that day from the newest export covering it; runs over many days
are single runs (one read of each export), which is how the sensor, the schedule and `ecom-pipeline run` launch
them.
"""


import pandas as pd
from dagster import AssetExecutionContext, AssetIn, AssetKey, AssetsDefinition, BackfillPolicy, MaterializeResult, PartitionsDefinition, asset

from ecom_pipeline import warehouse
from ecom_pipeline.defs.metadata import column_schema, preview, table_metadata
from ecom_pipeline.defs.resources import PipelineSettings, Warehouse
from ecom_pipeline.schemas import TABLES

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


def build_publish_asset(name: str, partitions: PartitionsDefinition, dialect: str) -> AssetsDefinition:
    _, table, _ = RAW_ASSETS[name]
    spec = TABLES[table]

    @asset(
        key=AssetKey(["warehouse", name]),
        ins={"frame": AssetIn(key=AssetKey(name))},
        group_name="warehouse",
        kinds={"sqlalchemy", dialect},
        partitions_def=partitions,
        backfill_policy=BackfillPolicy.single_run(),
        metadata={"table": table, "dagster/column_schema": column_schema(spec)},
        description=f"`{name}` published to the warehouse table of the same name; each run replaces its days in one transaction.",
    )
    def publish(context: AssetExecutionContext, frame: pd.DataFrame, warehouse_db: Warehouse) -> MaterializeResult:
        days = list(context.partition_keys)
        written = warehouse.publish(warehouse_db.engine(), name, spec, frame, days)
        return MaterializeResult(metadata={
            "dagster/row_count": written, "days": len(days), "table": name,
            "warehouse": warehouse_db.dialect, "preview": preview(frame, spec),
        })

    return publish


def build_assets(partitions: PartitionsDefinition, dialect: str) -> list[AssetsDefinition]:
    return [build_raw_asset(name, partitions) for name in RAW_ASSETS] + [build_publish_asset(name, partitions, dialect) for name in PUBLISHED]
