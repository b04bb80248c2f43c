"""Attribution in Dagster: `attribution_credits` (order × touch × model) and `channel_performance` (day × channel ×
platform × campaign × model), computed by the pure functions in `attribution/`."""

import numpy as np
import pandas as pd
from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetDep,
    AssetExecutionContext,
    AssetsDefinition,
    Config,
    Failure,
    MetadataValue,
    Output,
    PartitionsDefinition,
    TimeWindowPartitionMapping,
    asset,
)
from pydantic import Field

from ecom_pipeline.attribution.credits import DEFAULT_MODEL, MODELS, AttributionConfig, attribute_days
from ecom_pipeline.attribution.performance import channel_performance, model_comparison, platform_channel_names, platform_claims
from ecom_pipeline.defs.marts import asset_options, days_before, read_table, run_counts
from ecom_pipeline.defs.metadata import png_markdown, preview, pyplot
from ecom_pipeline.defs.resources import PipelineSettings
from ecom_pipeline.journey.channels import load_grouping
from ecom_pipeline.schemas import (
    AD_PERFORMANCE_UNIFIED, ATTRIBUTION_CREDITS, CHANNEL_PERFORMANCE, CONVERSION_PATHS, CUSTOMER_JOURNEYS, ORDERS_ENRICHED, conform,
)

TRAINING_DAYS = 90
ATTRIBUTION_TABLES = {"attribution_credits": ATTRIBUTION_CREDITS, "channel_performance": CHANNEL_PERFORMANCE}


class AttributionModelsConfig(Config):
    """Knobs of the models, settable in the Launchpad."""

    time_decay_half_life_days: float = Field(default=7.0, description="time decay: a touch this many days older counts half")
    position_first: float = Field(default=0.4, description="position-based: share of the first touch")
    position_middle: float = Field(default=0.2, description="position-based: share split over the middle touches")
    position_last: float = Field(default=0.4, description="position-based: share of the last touch")
    training_days: int = Field(default=TRAINING_DAYS, description="Markov and Shapley are fitted on the conversion paths of this many days ending on each day")


class ChannelPerformanceConfig(Config):
    """Which model downstream steps (budget, reports) read: `default_model` marks its rows."""

    default_model: str = Field(default=DEFAULT_MODEL, description=f"one of {', '.join(MODELS)}")


def build_attribution(partitions: PartitionsDefinition) -> list[AssetsDefinition]:
    window = TimeWindowPartitionMapping(start_offset=-(TRAINING_DAYS - 1), allow_nonexistent_upstream_partitions=True)

    @asset(partitions_def=partitions, kinds={"pandas", "parquet", "scipy"},
           deps=[AssetDep("customer_journeys"), AssetDep("orders_enriched"), AssetDep("conversion_paths", partition_mapping=window)],
           check_specs=[AssetCheckSpec("credits_sum_to_one", asset="attribution_credits", blocking=True,
                                       description="under every model each order's credits are non-negative and sum to 1")],
           description=ATTRIBUTION_CREDITS.description, **asset_options(ATTRIBUTION_CREDITS, group="attribution"))
    def attribution_credits(context: AssetExecutionContext, config: AttributionModelsConfig, pipeline: PipelineSettings):
        days = list(context.partition_keys)
        try:
            settings = AttributionConfig(config.time_decay_half_life_days, (config.position_first, config.position_middle, config.position_last))
        except ValueError as error:
            raise Failure(description=f"attribution config: {error}") from error
        rows = read_table(pipeline, "customer_journeys", CUSTOMER_JOURNEYS, days)
        orders = read_table(pipeline, "orders_enriched", ORDERS_ENRICHED, days)
        paths = read_table(pipeline, "conversion_paths", CONVERSION_PATHS, days_before(days[0], config.training_days - 1) + days)
        credits, fitted = attribute_days(rows, orders, paths, days, settings, config.training_days)
        out = conform(credits, ATTRIBUTION_CREDITS)
        metadata = {**run_counts(out, days), "orders": int(out["order_id"].nunique()), "models": ", ".join(MODELS),
                    "attributed_orders_by_channel": MetadataValue.md(_markdown(model_comparison(out).round(1))), "preview": preview(out, ATTRIBUTION_CREDITS)}
        if fitted:
            last_day = max(fitted)
            metadata[f"removal_effects_{last_day}"] = MetadataValue.md(_markdown(_removal_effects(fitted[last_day]).round(4)))
            metadata["shapley_sets_with_negative_values_clipped"] = int(fitted[last_day]["shapley"].clipped_sets)
        yield Output(out, metadata=metadata)
        sums = out.groupby(["model", "order_id"])["credit"].sum()
        worst = float((sums - 1).abs().max()) if len(sums) else 0.0
        negative = int((out["credit"] < 0).sum())
        yield AssetCheckResult(check_name="credits_sum_to_one", passed=worst < 1e-9 and negative == 0, severity=AssetCheckSeverity.ERROR,
                               description=f"{sums.index.get_level_values('order_id').nunique()} orders × {len(MODELS)} models; largest |Σ credit − 1| = {worst:.2e}",
                               metadata={"largest_deviation": worst, "negative_credits": negative})

    @asset(partitions_def=partitions, kinds={"pandas", "parquet"},
           deps=[AssetDep("attribution_credits"), AssetDep("ad_performance")], name="channel_performance",
           description=CHANNEL_PERFORMANCE.description, **asset_options(CHANNEL_PERFORMANCE, group="attribution"))
    def channel_performance_asset(context: AssetExecutionContext, config: ChannelPerformanceConfig, pipeline: PipelineSettings) -> pd.DataFrame:
        if config.default_model not in MODELS:
            raise Failure(description=f"default_model {config.default_model!r} is not a model; choose one of {', '.join(MODELS)}")
        days = list(context.partition_keys)
        credits = read_table(pipeline, "attribution_credits", ATTRIBUTION_CREDITS, days)
        ads = read_table(pipeline, "ad_performance", AD_PERFORMANCE_UNIFIED, days)
        channels = platform_channel_names(load_grouping(pipeline.channel_grouping or None))
        out = conform(channel_performance(credits, ads, MODELS, channels, config.default_model), CHANNEL_PERFORMANCE)
        claims = platform_claims(out, config.default_model)
        context.add_output_metadata({
            **run_counts(out, days), "default_model": config.default_model,
            "platform_claims": MetadataValue.md(_markdown(claims.set_index("platform").round(2)) if len(claims) else "_no ad spend_"),
            "channels_under_default_model": MetadataValue.md(_markdown(_channel_summary(out, config.default_model))),
            "model_comparison_chart": MetadataValue.md(_comparison_chart(credits) if len(credits) else "_no orders_"),
            "preview": preview(out[out["default_model"]], CHANNEL_PERFORMANCE),
        })
        return out

    return [attribution_credits, channel_performance_asset]


def _markdown(frame: pd.DataFrame) -> str:
    return frame.to_markdown() if len(frame) else "_none_"


def _removal_effects(fitted: dict) -> pd.DataFrame:
    """Channel × Markov order: removal effects of the models fitted for a day."""
    return pd.DataFrame({f"order {k}": pd.Series(fitted[f"markov_{k}"].weights()) for k in (1, 2, 3)})


def _channel_summary(performance: pd.DataFrame, model: str) -> pd.DataFrame:
    mine = performance[performance["model"] == model]
    table = mine.groupby("channel").agg(spend=("spend", "sum"), orders=("attributed_orders", "sum"), revenue=("attributed_revenue", "sum"),
                                        margin=("attributed_margin", "sum"), new_customers=("new_customers", "sum"))
    table["poas"] = (table["margin"] / table["spend"].where(table["spend"] > 0)).round(2)
    return table.round(1).sort_values("margin", ascending=False)


def _comparison_chart(credits: pd.DataFrame) -> str:
    """Attributed orders per channel under every model, as grouped bars."""
    table = model_comparison(credits)
    table = table.loc[table.sum(axis=1).sort_values().index, [m for m in MODELS if m in table.columns]]
    plt = pyplot()
    figure, axis = plt.subplots(figsize=(9, 0.55 * len(table) + 1.5), dpi=90)
    height = 0.8 / len(table.columns)
    colors = plt.get_cmap("tab10")
    for i, model in enumerate(table.columns):
        axis.barh(np.arange(len(table)) + i * height, table[model], height=height, label=model, color=colors(i))
    axis.set_yticks(np.arange(len(table)) + 0.4 - height / 2, table.index, fontsize=8)
    axis.set_xlabel("attributed orders", fontsize=8)
    axis.tick_params(labelsize=7)
    axis.legend(fontsize=7, frameon=False, loc="lower right")
    axis.set_title("Attributed orders per channel, by model", fontsize=9)
    return png_markdown(figure, "model comparison")
