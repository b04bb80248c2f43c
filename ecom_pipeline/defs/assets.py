"""Raw assets (one per export family and table), partitioned by day, and their warehouse copies.

A raw asset's day holds the canonical rows of that day from the newest export covering it; a run over many days
reads each export once. Long ranges are cut into runs of at most a month, by the sensor, `ecom-pipeline run` and
Dagster's own backfills alike. The warehouse tables are published once per run for exactly the run's days.
"""

import warnings

import pandas as pd
from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    AssetOut,
    AssetsDefinition,
    AssetSpec,
    BetaWarning,
    Failure,
    MaterializeResult,
    MetadataValue,
    Output,
    PartitionsDefinition,
    multi_asset,
)

from ecom_pipeline import lake, warehouse
from ecom_pipeline.attribution.credits import MODELS
from ecom_pipeline.backfill import backfill_policy
from ecom_pipeline.defs.metadata import column_schema, markdown, preview, table_metadata
from ecom_pipeline.defs.resources import PipelineSettings, Warehouse
from ecom_pipeline.defs.attribution_assets import ATTRIBUTION_TABLES
from ecom_pipeline.defs.marts import MARTS, days_before
from ecom_pipeline.defs.run_days import run_days
from ecom_pipeline.defs.value_assets import VALUE_TABLES
from ecom_pipeline.schemas import QUARANTINE, TABLES
from ecom_pipeline.validation.checks import CheckOutcome, check_names, quarantine_check, spend_anomalies, table_checks
from ecom_pipeline.validation.quarantine import context_for, hold_back, hold_back_orders

warnings.filterwarnings("ignore", category=BetaWarning)  # backfill_policy is beta in Dagster 1.13

# Raw asset name -> (export family, canonical table, what it is).
RAW_ASSETS = {
    "raw_meta_ads": ("meta_ads", "ad_performance", "Meta Ads Manager exports"),
    "raw_google_ads": ("google_ads", "ad_performance", "Google Ads report downloads (UI and API shapes)"),
    "raw_tiktok_ads": ("tiktok_ads", "ad_performance", "TikTok Ads Manager exports"),
    "raw_shopify_orders": ("shopify_orders", "orders", "Store orders exports (Shopify, or WooCommerce), one row per order"),
    "raw_shopify_order_lines": ("shopify_orders", "order_lines", "Store orders exports (Shopify, or WooCommerce), one row per line item"),
    "raw_shopify_products": ("shopify_products", "products", "Shopify products exports"),
    "raw_shopify_inventory": ("shopify_inventory", "inventory_levels", "Shopify inventory snapshots"),
    "raw_shipments": ("shipments", "shipments", "3PL shipment exports (ShipStation's Shipments export or Orders grid)"),
    "raw_touchpoints": ("touchpoints", "touchpoints", "pixel / GA4 web events"),
    "raw_fx_rates": ("fx_rates", "fx_rates", "dated exchange-rate tables"),
    "raw_lift_tests": ("lift_tests", "lift_tests", "lift-test readouts (conversion lift, geo holdout, on/off)"),
}
# Event-grain tables stay in the lake (Parquet): raw touchpoints and their sessions. The warehouse gets the rest,
# the credits of every order × touch × model too (~23 rows per order, 12M a year; ECOM_PIPELINE_PUBLISHED_MODELS).
LAKE_ONLY = {"raw_touchpoints", "sessions"}
PUBLISHED = {name: spec for name, spec in {**{name: table for name, (_, table, _) in RAW_ASSETS.items()},
                                          **{name: spec.name for name, spec in {**MARTS, **ATTRIBUTION_TABLES, **VALUE_TABLES}.items()}}.items()
             if name not in LAKE_ONLY}
DERIVED = [*MARTS, *ATTRIBUTION_TABLES, *VALUE_TABLES, "budget_report"]
# Computed from all history at once rather than per day: a backfill cut into several runs needs them only in its last.
SNAPSHOTS = ["quarantine", "ingest_log", *VALUE_TABLES, "budget_report"]


def downstream_of_every_run() -> list[AssetKey]:
    """What any new export refreshes besides its own raw assets: the marts, attribution, LTV and budget, and their
    warehouse copies."""
    return [AssetKey(name) for name in DERIVED] + [AssetKey(["warehouse", name]) for name in DERIVED if name in PUBLISHED]


def raw_keys() -> set[AssetKey]:
    """The raw assets of every export family and their warehouse copies."""
    return {key for family in FAMILIES for key in assets_for_family(family)}


def snapshot_keys() -> set[AssetKey]:
    """The unpartitioned assets and their warehouse copies."""
    return {AssetKey(name) for name in SNAPSHOTS} | {AssetKey(["warehouse", name]) for name in SNAPSHOTS if name in PUBLISHED}


def assets_for_family(family: str) -> list[AssetKey]:
    """The raw assets an export family fills, and their warehouse copies: what a new file must refresh."""
    raw = [name for name, (fam, _, _) in RAW_ASSETS.items() if fam == family]
    return [AssetKey(name) for name in raw] + [AssetKey(["warehouse", name]) for name in raw if name in PUBLISHED]


def build_family_asset(family: str, partitions: PartitionsDefinition) -> AssetsDefinition:
    """The raw assets of one export family, read, validated and checked together (orders and their lines
    stand or fall together)."""
    names = [name for name, (fam, _, _) in RAW_ASSETS.items() if fam == family]
    tables = {name: RAW_ASSETS[name][1] for name in names}
    outs = {
        name: AssetOut(
            key=AssetKey(name), group_name="ingest", kinds={"pandas", "parquet"}, io_manager_key="lake_io_manager",
            metadata={"table": tables[name], "family": family, "partition_column": TABLES[tables[name]].partition_column,
                      "dagster/column_schema": column_schema(TABLES[tables[name]])},
            description=f"{RAW_ASSETS[name][2]}, parsed into the canonical `{tables[name]}` table. {TABLES[tables[name]].description} "
            "Each day comes from the newest export covering it; rows failing a row rule are held back in `quarantine`.",
        )
        for name in names
    }
    check_specs = [
        AssetCheckSpec(check, asset=AssetKey(name), description=description, blocking=blocking)
        for name in names for check, description, blocking in check_names(tables[name])
    ]

    @multi_asset(name=f"ingest_{family}", outs=outs, check_specs=check_specs, partitions_def=partitions,
                 backfill_policy=backfill_policy())
    def ingest_family(context: AssetExecutionContext, pipeline: PipelineSettings):
        settings, registry = pipeline.settings(), pipeline.registry()
        validation = context_for(settings, dated_rates=registry.dated_rate_currencies())
        days = list(context.partition_keys)
        read = {name: registry.read_days(family, tables[name], days) for name in names}
        frames = {name: frame for name, (frame, _) in read.items()}
        if family == "shopify_orders":
            orders, lines, held = hold_back_orders(frames["raw_shopify_orders"], frames["raw_shopify_order_lines"], family, validation)
            frames.update(raw_shopify_orders=orders, raw_shopify_order_lines=lines)
        else:
            (name,) = names
            frames[name], held = hold_back(tables[name], family, frames[name], validation)
        lake.write_partitions(settings.lake_dir, ["quarantine", family], held, QUARANTINE, days, empty_files=False)
        winners = {r.file_hash: r for name in names for r in registry.winners(family, tables[name], days).values()}
        unreadable = registry.parse_problems([winners[h] for h in sorted(winners)])
        for name in names:
            metadata = table_metadata(frames[name], TABLES[tables[name]], days, read[name][1])
            metadata["rows_held_back"] = int((held["table"] == tables[name]).sum())
            yield Output(frames[name], output_name=name, metadata=metadata)
        for name in names:
            table = tables[name]
            outcomes = table_checks(table, frames[name], validation)
            mine = held[held["table"] == table]
            if name == names[0]:
                mine = pd.concat([unreadable, mine], ignore_index=True)
            outcomes.append(quarantine_check(mine))
            if table == "ad_performance":
                history, _ = lake.read_partitions(settings.lake_dir, [name], TABLES[table], days_before(days[0], 7))
                outcomes.append(spend_anomalies(pd.concat([history, frames[name]], ignore_index=True), days))
            for outcome in outcomes:
                yield check_result(name, outcome, days)

    return ingest_family


def check_result(name: str, outcome: CheckOutcome, days: list[str]) -> AssetCheckResult:
    metadata = {"days": f"{days[0]} .. {days[-1]}" if len(days) > 1 else days[0], "count": outcome.count}
    if len(outcome.sample):
        metadata["sample"] = markdown(outcome.sample)
    if outcome.files:
        metadata["files"] = MetadataValue.md("\n".join(f"- `{f}`" for f in outcome.files[:20]))
    return AssetCheckResult(
        asset_key=AssetKey(name), check_name=outcome.name, passed=outcome.passed,
        severity=AssetCheckSeverity.ERROR if outcome.severity == "ERROR" else AssetCheckSeverity.WARN,
        description=outcome.description, metadata=metadata,
    )


def build_warehouse_asset(dialect: str) -> AssetsDefinition:
    specs = [
        AssetSpec(
            key=AssetKey(["warehouse", name]),
            deps=[AssetKey(name)],
            group_name="warehouse",
            kinds={"sqlalchemy", dialect},
            metadata={"table": table, "dagster/column_schema": column_schema(TABLES[table])},
            description=f"`{name}` in the warehouse table of the same name. A partitioned run replaces exactly its "
            "days in one transaction; an unpartitioned run republishes every day in the lake.",
            skippable=True,
        )
        for name, table in PUBLISHED.items()
    ]

    @multi_asset(specs=specs, can_subset=True, name="warehouse_publish")
    def warehouse_publish(context: AssetExecutionContext, pipeline: PipelineSettings, warehouse_db: Warehouse):
        days = run_days(context.run.tags)
        lake_dir = pipeline.settings().lake_dir
        try:
            credit_models = pipeline.settings().credit_models(MODELS)
        except ValueError as error:
            raise Failure(description=str(error)) from error
        engine = warehouse_db.engine()
        for key in sorted(context.selected_asset_keys, key=lambda k: k.to_user_string()):
            name = key.path[-1]
            spec = TABLES[PUBLISHED[name]]
            if not spec.partition_column:
                frame, found, mode = lake.read_snapshot(lake_dir, [name], spec), [], "replace the snapshot"
                written = warehouse.publish(engine, name, spec, frame, None)
            else:
                frame, found = lake.read_partitions(lake_dir, [name], spec, days)
                if name == "attribution_credits":
                    frame = frame[frame["model"].isin(credit_models)]
                written = warehouse.publish(engine, name, spec, frame, days)
                mode = "replace days" if days is not None else "full refresh"
            yield MaterializeResult(asset_key=key, metadata={
                "rows_published": written, "days_published": len(days) if days is not None and spec.partition_column else len(found),
                "mode": mode, "table": name,
                "warehouse": warehouse_db.dialect, "preview": preview(frame, spec),
            })

    return warehouse_publish


FAMILIES = list(dict.fromkeys(family for family, _, _ in RAW_ASSETS.values()))


def build_assets(partitions: PartitionsDefinition, dialect: str) -> list[AssetsDefinition]:
    return [build_family_asset(family, partitions) for family in FAMILIES] + [build_warehouse_asset(dialect)]
