"""Journeys and profit in Dagster: ad_performance, sessions, customer_journeys, orders_enriched, conversion_paths and
daily_summary, partitioned by day and computed by the pure functions in `journey/` and `profit/`."""

from datetime import date, timedelta

import pandas as pd
from dagster import (
    AllPartitionMapping,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetDep,
    AssetExecutionContext,
    AssetsDefinition,
    MetadataValue,
    Output,
    PartitionsDefinition,
    TimeWindowPartitionMapping,
    asset,
)

from ecom_pipeline import lake
from ecom_pipeline.backfill import backfill_policy
from ecom_pipeline.defs.metadata import column_schema, png_markdown, preview, pyplot
from ecom_pipeline.defs.resources import PipelineSettings
from ecom_pipeline.journey.acquisition import acquisition_channels
from ecom_pipeline.journey.channels import STORE_ATTRIBUTION, daily_sessions, load_grouping, match_campaigns, match_rates, store_touches
from ecom_pipeline.journey.journeys import conversion_paths, journeys, lost_journeys, stitch
from ecom_pipeline.profit.marketing import daily_summary, unify_ads
from ecom_pipeline.profit.fx import missing_rate_message, orders_to_reporting
from ecom_pipeline.profit.orders import LABEL_COLUMNS, ProfitConfig, enrich_orders
from ecom_pipeline.schemas import (
    AD_PERFORMANCE, AD_PERFORMANCE_UNIFIED, FX_RATES, CONVERSION_PATHS, CUSTOMER_JOURNEYS, DAILY_SUMMARY, ORDER_LINES, ORDERS,
    ORDERS_ENRICHED, PRODUCTS, SESSIONS, SHIPMENTS, TOUCHPOINTS, conform,
)

LOOKBACK_DAYS = 30
HISTORY_COLUMNS = ["order_id", "customer_key", "created_timestamp", "order_date"]
MATCH_RATE_FLOOR = 0.9
AD_ASSETS = ("raw_meta_ads", "raw_google_ads", "raw_tiktok_ads")
MARTS = {"ad_performance": AD_PERFORMANCE_UNIFIED, "sessions": SESSIONS, "customer_journeys": CUSTOMER_JOURNEYS, "orders_enriched": ORDERS_ENRICHED,
         "conversion_paths": CONVERSION_PATHS, "daily_summary": DAILY_SUMMARY}


def days_before(first: str, count: int) -> list[str]:
    start = date.fromisoformat(first)
    return [(start - timedelta(days=i)).isoformat() for i in range(count, 0, -1)]


def days_after(last: str, count: int) -> list[str]:
    end = date.fromisoformat(last)
    return [(end + timedelta(days=i)).isoformat() for i in range(1, count + 1)]


def read_table(pipeline: PipelineSettings, name: str, spec, days=None, columns=None) -> pd.DataFrame:
    return lake.read_partitions(pipeline.settings().lake_dir, [name], spec, days, columns)[0]


def order_history(pipeline: PipelineSettings) -> pd.DataFrame:
    """Every order ever landed, with only what sequences and journeys need: who, when, which day."""
    return read_table(pipeline, "raw_shopify_orders", ORDERS, columns=HISTORY_COLUMNS)


def days_from(pipeline: PipelineSettings, name: str, first: str) -> list[str]:
    """The materialized days of `name` from the day before `first` on: an order's labels are never printed before it
    (a day of slack for the 3PL's clock)."""
    start = days_before(first, 1)[0]
    return [day for day in lake.partition_days(pipeline.settings().lake_dir, [name]) if day >= start]


def on_days(frame: pd.DataFrame, column: str, days: list[str]) -> pd.DataFrame:
    return frame[frame[column].isin(pd.DatetimeIndex(days))]


def asset_options(spec, group: str = "marts") -> dict:
    return dict(group_name=group, io_manager_key="lake_io_manager", backfill_policy=backfill_policy(),
                metadata={"table": spec.name, "partition_column": spec.partition_column, "dagster/column_schema": column_schema(spec)})


def run_counts(frame: pd.DataFrame, days: list[str]) -> dict:
    return {"dagster/row_count": len(frame)} if len(days) == 1 else {"rows_in_run": len(frame), "days_in_run": len(days)}


def build_marts(partitions: PartitionsDefinition) -> list[AssetsDefinition]:
    all_of = AllPartitionMapping()

    @asset(partitions_def=partitions, kinds={"pandas", "parquet"},
           deps=[*(AssetDep(name) for name in AD_ASSETS), AssetDep("raw_fx_rates", partition_mapping=all_of)],
           description=AD_PERFORMANCE_UNIFIED.description, **asset_options(AD_PERFORMANCE_UNIFIED))
    def ad_performance(context: AssetExecutionContext, pipeline: PipelineSettings) -> pd.DataFrame:
        days = list(context.partition_keys)
        settings = pipeline.settings()
        frame = unify_ads([read_table(pipeline, name, AD_PERFORMANCE, days) for name in AD_ASSETS], settings.rates(), settings.shop_currency,
                          dated=read_table(pipeline, "raw_fx_rates", FX_RATES))
        spend = frame.groupby("platform")["spend_reporting"].sum().round(2)
        unconverted = sorted(frame.loc[frame["fx_missing"], "currency"].dropna().unique())
        if unconverted:
            context.log.warning(missing_rate_message(unconverted, settings.shop_currency))
        context.add_output_metadata({**run_counts(frame, days), "spend_by_platform": MetadataValue.md(spend.to_frame().to_markdown()),
                                     "rows_without_exchange_rate": int(frame["fx_missing"].sum()),
                                     "preview": preview(frame, AD_PERFORMANCE_UNIFIED)})
        return frame

    @asset(partitions_def=partitions, kinds={"pandas", "parquet"},
           deps=[AssetDep("raw_touchpoints", partition_mapping=TimeWindowPartitionMapping(start_offset=-1, end_offset=1, allow_nonexistent_upstream_partitions=True))],
           description=SESSIONS.description, **asset_options(SESSIONS))
    def sessions(context: AssetExecutionContext, pipeline: PipelineSettings) -> pd.DataFrame:
        days = list(context.partition_keys)
        events = read_table(pipeline, "raw_touchpoints", TOUCHPOINTS, days_before(days[0], 1) + days + days_after(days[-1], 1))
        out = conform(daily_sessions(events, days, load_grouping(pipeline.channel_grouping or None)), SESSIONS)
        by_channel = out["channel"].value_counts().rename("sessions").to_frame()
        context.add_output_metadata({**run_counts(out, days), "identified_share": round(float(out["customer_key"].notna().mean()), 4) if len(out) else 0.0,
                                     "sessions_by_channel": MetadataValue.md(by_channel.to_markdown() if len(by_channel) else "_no sessions_"),
                                     "preview": preview(out, SESSIONS)})
        return out

    @asset(partitions_def=partitions, kinds={"pandas", "parquet"},
           deps=[AssetDep("sessions", partition_mapping=TimeWindowPartitionMapping(start_offset=-LOOKBACK_DAYS, allow_nonexistent_upstream_partitions=True)),
                 AssetDep("raw_shopify_orders", partition_mapping=all_of), AssetDep("ad_performance", partition_mapping=all_of)],
           check_specs=[AssetCheckSpec("campaign_match_rate", asset="customer_journeys",
                                       description=f"share of paid sessions tagged with a utm_campaign that match an ad campaign, per platform (warn below {MATCH_RATE_FLOOR:.0%})")],
           description=CUSTOMER_JOURNEYS.description, **asset_options(CUSTOMER_JOURNEYS))
    def customer_journeys(context: AssetExecutionContext, pipeline: PipelineSettings):
        days = list(context.partition_keys)
        campaigns = read_table(pipeline, "ad_performance", AD_PERFORMANCE_UNIFIED)
        sessions = match_campaigns(read_table(pipeline, "sessions", SESSIONS, days_before(days[0], LOOKBACK_DAYS) + days), campaigns)
        stitched_share = stitch(sessions)[1]
        history = order_history(pipeline)
        told = store_touches(read_table(pipeline, "raw_shopify_orders", ORDERS, days, columns=["order_id", *STORE_ATTRIBUTION]),
                             load_grouping(pipeline.channel_grouping or None))
        rows = conform(journeys(on_days(history, "order_date", days), history, sessions, LOOKBACK_DAYS, told), CUSTOMER_JOURNEYS)
        rates = match_rates(sessions)
        yield Output(rows, metadata={
            **run_counts(rows, days), "orders": int(rows["order_id"].nunique()), "stitched_share": round(stitched_share, 4),
            "orders_without_touches": int(rows.loc[rows["inferred"], "order_id"].nunique()),
            "mean_touches_per_order": round(float(rows.groupby("order_id").size().mean()), 2) if len(rows) else 0.0,
            "campaign_match_rates": MetadataValue.md(rates.to_markdown(index=False) if len(rates) else "_no paid sessions_"),
            "preview": preview(rows, CUSTOMER_JOURNEYS),
        })
        low = rates[rates["match_rate"] < MATCH_RATE_FLOOR]
        yield AssetCheckResult(check_name="campaign_match_rate", passed=low.empty, severity=AssetCheckSeverity.WARN,
                               description="every platform matches" if low.empty else f"below {MATCH_RATE_FLOOR:.0%}: {', '.join(low['platform'])}",
                               metadata={"rates": MetadataValue.md(rates.to_markdown(index=False) if len(rates) else "_none_")})

    @asset(partitions_def=partitions, kinds={"pandas", "parquet"},
           deps=[AssetDep("raw_shopify_orders"), AssetDep("raw_shopify_order_lines"), AssetDep("raw_shopify_products", partition_mapping=all_of),
                 AssetDep("raw_fx_rates", partition_mapping=all_of),
                 AssetDep("raw_shipments", partition_mapping=all_of), AssetDep("customer_journeys", partition_mapping=all_of)],
           description=ORDERS_ENRICHED.description, **asset_options(ORDERS_ENRICHED))
    def orders_enriched(context: AssetExecutionContext, pipeline: PipelineSettings) -> pd.DataFrame:
        days = list(context.partition_keys)
        history = order_history(pipeline)
        settings = pipeline.settings()
        orders, lines = orders_to_reporting(read_table(pipeline, "raw_shopify_orders", ORDERS, days),
                                            read_table(pipeline, "raw_shopify_order_lines", ORDER_LINES, days), settings.rates(),
                                            settings.shop_currency, dated=read_table(pipeline, "raw_fx_rates", FX_RATES))
        unconverted = sorted(orders.loc[orders["fx_missing"], "currency"].dropna().unique())
        if unconverted:
            context.log.warning(missing_rate_message(unconverted, settings.shop_currency))
        out = enrich_orders(orders, lines, read_table(pipeline, "raw_shopify_products", PRODUCTS),
                            read_table(pipeline, "raw_shipments", SHIPMENTS, days_from(pipeline, "raw_shipments", days[0]), columns=LABEL_COLUMNS), history,
                            ProfitConfig(**pipeline.profit_config()))
        first_orders = history.dropna(subset=["customer_key"]).sort_values("created_timestamp").drop_duplicates("customer_key")
        mine = first_orders[first_orders["customer_key"].isin(out["customer_key"])]
        first_days = sorted(mine["order_date"].dt.strftime("%Y-%m-%d").unique())
        first_journeys = read_table(pipeline, "customer_journeys", CUSTOMER_JOURNEYS, first_days, columns=["order_id", "position", "channel"])
        acquired = acquisition_channels(first_journeys[first_journeys["order_id"].isin(mine["order_id"])])
        out["acquisition_channel"] = out["customer_key"].map(mine.set_index("customer_key")["order_id"].map(acquired))
        out = conform(out, ORDERS_ENRICHED)
        context.add_output_metadata({
            **run_counts(out, days), "net_sales": round(float(out["net_sales"].sum()), 2),
            "contribution_margin": round(float(out["contribution_margin"].sum()), 2),
            "orders_with_estimated_cogs": int(out["cogs_estimated"].sum()), "lines_without_unit_cost": int(out["lines_without_cost"].sum()),
            "orders_without_exchange_rate": int(out["fx_missing"].sum()),
            "preview": preview(out, ORDERS_ENRICHED),
        })
        return out

    @asset(partitions_def=partitions, kinds={"pandas", "parquet"},
           deps=[AssetDep("customer_journeys"), AssetDep("orders_enriched"),
                 AssetDep("sessions", partition_mapping=TimeWindowPartitionMapping(start_offset=-2 * LOOKBACK_DAYS, allow_nonexistent_upstream_partitions=True))],
           name="conversion_paths", description=CONVERSION_PATHS.description, **asset_options(CONVERSION_PATHS))
    def conversion_paths_asset(context: AssetExecutionContext, pipeline: PipelineSettings) -> pd.DataFrame:
        days = list(context.partition_keys)
        rows = read_table(pipeline, "customer_journeys", CUSTOMER_JOURNEYS, days)
        values = read_table(pipeline, "orders_enriched", ORDERS_ENRICHED, days).rename(columns={"net_sales": "value"})[["order_id", "value", "contribution_margin"]]
        sessions = read_table(pipeline, "sessions", SESSIONS, days_before(days[0], 2 * LOOKBACK_DAYS) + days)
        orders = order_history(pipeline)
        lost = lost_journeys(sessions, orders, [pd.Timestamp(d) for d in days], LOOKBACK_DAYS)
        out = conform(conversion_paths(rows, values, lost), CONVERSION_PATHS)
        context.add_output_metadata({**run_counts(out, days), "conversions": int(out["total_conversions"].sum()), "nulls": int(out["total_null"].sum()),
                                     "distinct_paths": int(out["path"].nunique()), "preview": preview(out, CONVERSION_PATHS)})
        return out

    @asset(partitions_def=partitions, kinds={"pandas", "parquet"}, deps=[AssetDep("ad_performance"), AssetDep("orders_enriched")],
           name="daily_summary", description=DAILY_SUMMARY.description, **asset_options(DAILY_SUMMARY))
    def daily_summary_asset(context: AssetExecutionContext, pipeline: PipelineSettings) -> pd.DataFrame:
        days = list(context.partition_keys)
        out = daily_summary(read_table(pipeline, "ad_performance", AD_PERFORMANCE_UNIFIED, days), read_table(pipeline, "orders_enriched", ORDERS_ENRICHED, days), days)
        earlier = read_table(pipeline, "daily_summary", DAILY_SUMMARY, days_before(days[0], 89))
        recent = pd.concat([f for f in (earlier, out) if len(f)], ignore_index=True).tail(90)
        context.add_output_metadata({**run_counts(out, days), "spend": round(float(out["spend"].sum()), 2), "net_sales": round(float(out["net_sales"].sum()), 2),
                                     "contribution_margin": round(float(out["contribution_margin"].sum()), 2),
                                     "chart": MetadataValue.md(_chart(recent)), "preview": preview(out, DAILY_SUMMARY)})
        return out

    return [ad_performance, sessions, customer_journeys, orders_enriched, conversion_paths_asset, daily_summary_asset]


def _chart(summary: pd.DataFrame) -> str:
    """Spend, net sales and contribution margin per day, as an inline PNG in markdown."""
    figure, axis = pyplot().subplots(figsize=(8, 3), dpi=90)
    for column, label in (("net_sales", "net sales"), ("contribution_margin", "contribution margin"), ("spend", "ad spend")):
        axis.plot(summary["day"], summary[column], label=label, linewidth=1.5)
    axis.legend(loc="upper left", fontsize=8, frameon=False)
    axis.set_title("Last 90 days", fontsize=9)
    axis.tick_params(labelsize=7)
    figure.autofmt_xdate()
    return png_markdown(figure, "daily summary")
