"""LTV and budget in Dagster: `customer_ltv`, `channel_ltv`, `response_curves` + `budget_recommendations`, and the
HTML `budget_report`. Snapshots as of the run's last day (or the latest day in the lake), computed by `ltv/` and
`budget/`."""

import json
import time
from typing import Optional

import numpy as np
import pandas as pd
from dagster import (
    AssetExecutionContext,
    AssetOut,
    AssetsDefinition,
    Config,
    Failure,
    MaterializeResult,
    MetadataValue,
    Output,
    asset,
    multi_asset,
)
from pydantic import Field

from ecom_pipeline import lake, storage
from ecom_pipeline.attribution.credits import DEFAULT_MODEL, MODELS
from ecom_pipeline.attribution.performance import platform_channel_names
from ecom_pipeline.budget import experiments, mmm, mmm_inputs, report
from ecom_pipeline.budget.inventory import campaign_cover, campaign_products, product_cover, product_of, with_variants
from ecom_pipeline.budget.recommend import BudgetConfig, outcome_panel, recommend
from ecom_pipeline.budget.response import fit_response
from ecom_pipeline.defs.run_days import run_days
from ecom_pipeline.defs.marts import read_table
from ecom_pipeline.defs.metadata import column_schema, markdown, preview
from ecom_pipeline.defs.resources import PipelineSettings
from ecom_pipeline.journey.channels import load_grouping
from ecom_pipeline.ltv.cohorts import cohort_curves, cohort_table, spend_by_channel_month, with_predictions
from ecom_pipeline.ltv.customers import margin_ratio, predict, rfm_summary
from ecom_pipeline.ltv.models import StoredFit, fit_bgnbd, fit_gamma_gamma
from ecom_pipeline.schemas import (
    AD_PERFORMANCE_UNIFIED, ATTRIBUTION_CREDITS, BUDGET_RECOMMENDATIONS, CHANNEL_LTV, CHANNEL_PERFORMANCE, CUSTOMER_LTV,
    EXPERIMENT_PLAN, EXPERIMENT_READOUTS, INVENTORY_LEVELS, LIFT_TESTS, MEDIA_MIX_FIT, MEDIA_MIX_MODEL, ORDER_LINES, ORDERS_ENRICHED, PRODUCTS, RESPONSE_CURVES, TableSpec, conform,
)

# What LTV and cohorts read of every order ever enriched (a year's history reads in a fraction of the time).
VALUE_COLUMNS = ["order_id", "customer_key", "created_timestamp", "order_date", "cancelled", "net_sales", "contribution_margin", "acquisition_channel"]
VALUE_TABLES = {"customer_ltv": CUSTOMER_LTV, "channel_ltv": CHANNEL_LTV, "media_mix_model": MEDIA_MIX_MODEL, "media_mix_fit": MEDIA_MIX_FIT,
                "response_curves": RESPONSE_CURVES, "budget_recommendations": BUDGET_RECOMMENDATIONS,
                "experiment_readouts": EXPERIMENT_READOUTS, "experiment_plan": EXPERIMENT_PLAN}
CURVE_SOURCES = ("media_mix", "attribution")
TOP_LINES = 5


class BudgetSettings(Config):
    """The budget's options, settable in the Launchpad."""

    objective: str = Field(default="profit", description="revenue, profit (contribution margin) or profit_ltv (margin + ltv_share × new customers' predicted LTV margin)")
    curve_source: str = Field(default="media_mix", description="media_mix (the media-mix model's posterior: what spend causes) or attribution (each campaign's attributed outcome on its spend, to compare)")
    attribution_model: str = Field(default=DEFAULT_MODEL, description=f"the model whose credits the curves are fitted on: {', '.join(MODELS)}")
    budget: Optional[float] = Field(default=None, description="total budget for the horizon; default: what was spent over the trailing horizon")
    horizon_days: int = Field(default=7, description="the period the budget covers")
    bound_pct: float = Field(default=0.30, description="each campaign may move this far from its 28-day mean daily spend")
    mode: str = Field(default="fixed", description="fixed (spend exactly the budget) or flexible (spend up to it while an extra dollar returns target_marginal_return)")
    target_marginal_return: float = Field(default=1.0, description="flexible mode: the marginal return where spending stops (1.0 = breakeven on margin)")
    ltv_share: float = Field(default=0.5, description="profit_ltv: the share of new customers' predicted LTV margin counted (a haircut for prediction risk)")
    lead_time_days: float = Field(default=14.0, description="no scale-up for a campaign whose products have fewer days of stock than this")
    low_stock_days: float = Field(default=7.0, description="below this many days of stock a campaign is capped in proportion")
    bootstrap: int = Field(default=200, description="moving-block bootstrap draws")
    min_confidence: float = Field(default=0.8, description="the plan must beat holding with this probability: a media-mix plan moves only as far from holding as keeps it (attribution curves: shrunk in proportion)")
    history_days: int = Field(default=182, description="days of history the media-mix model (or the attribution curves) is fitted on")
    inventory_locations: str = Field(default="", description="comma-separated inventory locations that fulfil online orders; default: the one holding most stock")

    def core(self) -> BudgetConfig:
        values = self.model_dump()
        for name in ("attribution_model", "inventory_locations", "curve_source"):
            values.pop(name)
        return BudgetConfig(**values)


class LtvSettings(Config):
    """How often the LTV models are refitted, settable in the Launchpad."""

    refit_days: int = Field(default=7, description="score with the stored BG/NBD and Gamma–Gamma fit until it is this many days old (1 = refit every run)")


def _ltv_fit(pipeline: PipelineSettings, summary: pd.DataFrame, as_of: str, refit_days: int) -> StoredFit:
    """The stored fit while it is fresh for `as_of`, else a new one (stored beside the customer_ltv snapshot)."""
    path = lake.snapshot_path(pipeline.settings().lake_dir, ["customer_ltv"]).with_name("fit.json")
    try:
        stored = StoredFit.from_dict(json.loads(storage.read_text(path)))
        if stored.fresh_for(as_of, refit_days):
            return stored
    except (OSError, ValueError, KeyError, TypeError):  # none yet, or unreadable: fitted again
        pass
    fit = StoredFit(as_of, fit_bgnbd(summary["frequency"], summary["recency"], summary["T"]),
                    fit_gamma_gamma(summary["frequency"], summary["monetary_value"]))
    storage.write_bytes(path, json.dumps(fit.as_dict(), indent=1).encode())  # a run killed mid-write leaves the previous fit whole
    return fit


def _budget_out(spec: TableSpec, kinds: set[str]) -> AssetOut:
    """One output of a budget-group multi-asset: its table's description, schema and the lake's IO manager."""
    return AssetOut(kinds=kinds, description=spec.description, **_options(spec, "budget"))


def _options(spec: TableSpec, group: str) -> dict:
    return dict(group_name=group, io_manager_key="lake_io_manager",
                metadata={"table": spec.name, "dagster/column_schema": column_schema(spec)})


def as_of_day(context: AssetExecutionContext, pipeline: PipelineSettings) -> pd.Timestamp:
    """The run's last day, else the latest day with enriched orders."""
    days = run_days(context.run.tags)
    if days:
        return pd.Timestamp(days[-1])
    found = lake.partition_days(pipeline.settings().lake_dir, ["orders_enriched"])
    if not found:
        raise Failure(description="no enriched orders yet: materialize orders_enriched first")
    return pd.Timestamp(found[-1])


def _snapshot(pipeline: PipelineSettings, name: str, spec: TableSpec) -> pd.DataFrame:
    return lake.read_snapshot(pipeline.settings().lake_dir, [name], spec)


def build_value_assets() -> list[AssetsDefinition]:
    @asset(kinds={"pandas", "parquet", "scipy"}, deps=["orders_enriched"], description=CUSTOMER_LTV.description, **_options(CUSTOMER_LTV, "ltv"))
    def customer_ltv(context: AssetExecutionContext, config: LtvSettings, pipeline: PipelineSettings) -> pd.DataFrame:
        as_of = as_of_day(context, pipeline)
        orders = read_table(pipeline, "orders_enriched", ORDERS_ENRICHED, columns=VALUE_COLUMNS)
        summary = rfm_summary(orders, as_of)
        metadata = {"as_of": str(as_of.date()), "customers": len(summary), "repeat_customers": int((summary["frequency"] > 0).sum())}
        try:
            fit = _ltv_fit(pipeline, summary, str(as_of.date()), config.refit_days)
            out = predict(summary, fit.bgnbd, fit.gamma_gamma, margin_ratio(orders[orders["order_date"] <= as_of]))
            metadata.update({"fitted_as_of": fit.fitted_as_of, "refit": "fitted in this run" if fit.fitted_as_of == str(as_of.date()) else
                             f"scored with the fit of {fit.fitted_as_of} (refit every {config.refit_days} days)",
                             "bg_nbd": MetadataValue.json({k: round(v, 4) for k, v in fit.bgnbd.as_dict().items()}),
                             "gamma_gamma": MetadataValue.json({k: round(v, 4) for k, v in fit.gamma_gamma.as_dict().items()})})
        except ValueError as error:
            context.log.warning(f"no LTV prediction as of {as_of.date()}: {error}")
            out = summary.assign(p_alive=np.nan, expected_purchases_12m=np.nan, predicted_clv_revenue=np.nan, predicted_clv_margin=np.nan)
            metadata["prediction"] = f"not fitted: {error}"
        out = conform(out.assign(as_of=as_of), CUSTOMER_LTV)
        by_channel = out.groupby("acquisition_channel").agg(customers=("customer_key", "size"), p_alive=("p_alive", "mean"),
                                                            expected_purchases_12m=("expected_purchases_12m", "mean"),
                                                            predicted_clv_margin=("predicted_clv_margin", "mean")).round(3)
        context.add_output_metadata({**metadata, "dagster/row_count": len(out), "by_acquisition_channel": MetadataValue.md(by_channel.to_markdown()),
                                     "preview": preview(out, CUSTOMER_LTV)})
        return out

    @asset(kinds={"pandas", "parquet"}, deps=["customer_ltv", "orders_enriched", "ad_performance"], description=CHANNEL_LTV.description,
           **_options(CHANNEL_LTV, "ltv"))
    def channel_ltv(context: AssetExecutionContext, pipeline: PipelineSettings) -> pd.DataFrame:
        as_of = as_of_day(context, pipeline)
        orders = read_table(pipeline, "orders_enriched", ORDERS_ENRICHED, columns=VALUE_COLUMNS)
        ads = read_table(pipeline, "ad_performance", AD_PERFORMANCE_UNIFIED)
        spend = spend_by_channel_month(ads, platform_channel_names(load_grouping(pipeline.channel_grouping or None)))
        curves = cohort_curves(orders, as_of)
        table = with_predictions(cohort_table(curves, orders, spend, as_of), _snapshot(pipeline, "customer_ltv", CUSTOMER_LTV))
        out = conform(table.assign(as_of=as_of), CHANNEL_LTV)
        context.add_output_metadata({"as_of": str(as_of.date()), "dagster/row_count": len(out),
                                     "cohort_curves": MetadataValue.md(f"![LTV curves](data:image/png;base64,{report.ltv_chart(curves)})" if len(curves) else "_no cohorts_"),
                                     "preview": preview(out, CHANNEL_LTV)})
        return out

    @multi_asset(
        outs={"media_mix_model": _budget_out(MEDIA_MIX_MODEL, {"pandas", "parquet", "scipy"}),
              "media_mix_fit": _budget_out(MEDIA_MIX_FIT, {"pandas", "parquet"})},
        deps=["channel_performance", "orders_enriched", "customer_ltv", "raw_shopify_inventory", "raw_shopify_order_lines", "raw_shopify_products",
              "raw_lift_tests"],
        name="media_mix",
    )
    def media_mix(context: AssetExecutionContext, config: BudgetSettings, pipeline: PipelineSettings):
        """All paid campaigns fitted jointly on the day's new-customer outcome: the posterior the budget decides on."""
        settings = _settings(config)
        as_of = as_of_day(context, pipeline)
        days = pd.date_range(as_of - pd.Timedelta(days=settings.history_days - 1), as_of)
        day_names = [d.date().isoformat() for d in days]
        performance = read_table(pipeline, "channel_performance", CHANNEL_PERFORMANCE, day_names)
        catalog = read_table(pipeline, "raw_shopify_products", PRODUCTS)
        orders = read_table(pipeline, "orders_enriched", ORDERS_ENRICHED, day_names)
        ltv_by_channel = _ltv_by_channel(pipeline, as_of)
        spend, outcome, controls = mmm_inputs.model_inputs(
            performance, orders, with_variants(read_table(pipeline, "raw_shopify_order_lines", ORDER_LINES, day_names), catalog),
            read_table(pipeline, "raw_shopify_inventory", INVENTORY_LEVELS, day_names), days, settings.objective, ltv_by_channel, settings.ltv_share)
        if spend.shape[1] == 0 or len(spend) < mmm.MIN_DAYS:
            why = (f"not fitted: the media-mix model needs {mmm.MIN_DAYS} days of paid spend before {as_of.date()} and has {len(spend)} "
                   f"days of {spend.shape[1]} campaigns; until then the budget holds every campaign at its 28-day mean")
            context.log.warning(why)
            yield Output(MEDIA_MIX_MODEL.empty(), output_name="media_mix_model", metadata={"as_of": str(as_of.date()), "dagster/row_count": 0, "fit": why})
            yield Output(MEDIA_MIX_FIT.empty(), output_name="media_mix_fit", metadata={"as_of": str(as_of.date()), "dagster/row_count": 0})
            return
        names = _campaign_names(performance)
        per_order = mmm_inputs.value_per_order(orders, spend.index, settings.objective, ltv_by_channel, settings.ltv_share)
        tests, skipped = mmm_inputs.lift_measurements(read_table(pipeline, "raw_lift_tests", LIFT_TESTS), names, per_order, spend.index)
        for sentence in skipped:
            context.log.warning(sentence)
        started = time.perf_counter()
        model = mmm.fit(spend, outcome, lift_tests=tests, controls=controls, seed=settings.seed)
        seconds = time.perf_counter() - started
        draws = conform(mmm.draws_table(model, names).assign(as_of=as_of, objective=settings.objective), MEDIA_MIX_MODEL)
        fit_rows = conform(mmm.fit_table(model, names).assign(as_of=as_of), MEDIA_MIX_FIT)
        by_line = draws.groupby("campaign_name").agg(spend_cv=("spend_cv", "first"), beta_p50=("beta", "median"), K_p50=("half_saturation", "median"),
                                                     shape_p50=("shape", "median"), decay_p50=("adstock_decay", "median")).round(3)
        yield Output(draws, output_name="media_mix_model", metadata={
            "as_of": str(as_of.date()), "dagster/row_count": len(draws), "objective": settings.objective, "days": len(spend),
            "campaigns": spend.shape[1], "posterior_draws": int(draws["draw"].nunique()), "r2": round(model.r2, 3),
            "holdout_r2": round(model.holdout.get("r2", float("nan")), 3), "holdout_mape": round(model.holdout.get("mape", float("nan")), 3),
            "residual_sd": round(model.sigma, 2), "fit_seconds": round(seconds, 2), "calibrated_by": ", ".join(model.tests) or "no lift test",
            "unidentifiable": ", ".join(n for n, cv in by_line["spend_cv"].items() if cv < mmm.FLAT_SPEND_CV) or "none",
            "posterior_medians": markdown(by_line.reset_index()),
            "fit": MetadataValue.md(f"![fit](data:image/png;base64,{report.fit_chart(fit_rows)})"),
        })
        yield Output(fit_rows, output_name="media_mix_fit", metadata={"as_of": str(as_of.date()), "dagster/row_count": len(fit_rows),
                                                                      "preview": preview(fit_rows, MEDIA_MIX_FIT)})

    @multi_asset(
        outs={"response_curves": _budget_out(RESPONSE_CURVES, {"pandas", "parquet", "scipy"}),
              "budget_recommendations": _budget_out(BUDGET_RECOMMENDATIONS, {"pandas", "parquet", "scipy"})},
        deps=["media_mix_model", "channel_performance", "attribution_credits", "customer_ltv", "raw_shopify_inventory", "raw_shopify_order_lines",
              "raw_shopify_products"],
        name="budget",
    )
    def budget(context: AssetExecutionContext, config: BudgetSettings, pipeline: PipelineSettings):
        settings = _settings(config)
        as_of = as_of_day(context, pipeline)
        posterior = _posterior(pipeline, config, as_of) if config.curve_source == "media_mix" else None
        since = (as_of - pd.Timedelta(days=settings.history_days - 1)).date()
        days = [d.date().isoformat() for d in pd.date_range(since, as_of)]
        performance = read_table(pipeline, "channel_performance", CHANNEL_PERFORMANCE, days)
        panel = outcome_panel(performance, config.attribution_model, settings.objective, _ltv_by_channel(pipeline, as_of), settings.ltv_share)
        catalog = read_table(pipeline, "raw_shopify_products", PRODUCTS)
        products = product_of(catalog)
        lines = with_variants(read_table(pipeline, "raw_shopify_order_lines", ORDER_LINES, days[-28:]), catalog)
        credits = read_table(pipeline, "attribution_credits", ATTRIBUTION_CREDITS, days[-28:])
        cover = campaign_cover(campaign_products(credits, lines, products, config.attribution_model),
                               product_cover(read_table(pipeline, "raw_shopify_inventory", INVENTORY_LEVELS), lines, products, as_of,
                                             locations=[x.strip() for x in config.inventory_locations.split(",") if x.strip()] or None))
        table, curves, summary = recommend(panel, cover, settings, as_of, posterior)
        for warning in summary["warnings"]:
            context.log.warning(warning)
        _write_summary(pipeline, {**summary, "as_of": str(as_of.date()), "model": config.attribution_model, "history_days": settings.history_days,
                                  "curve_source": config.curve_source})
        curve_rows = _curve_rows(table, curves, panel, settings, as_of)
        curve_rows = conform(curve_rows.assign(as_of=as_of, objective=settings.objective, model=config.attribution_model), RESPONSE_CURVES)
        yield Output(curve_rows, output_name="response_curves", metadata={
            "as_of": str(as_of.date()), "dagster/row_count": len(curve_rows),
            "unidentifiable": int((~curve_rows["identifiable"].fillna(False).astype(bool)).sum()), "preview": preview(curve_rows, RESPONSE_CURVES)})
        out = table.assign(as_of=as_of, objective=settings.objective, model=config.attribution_model, curve_source=config.curve_source,
                           period_change_p5=summary["change_p5"], period_change_p50=summary["change_p50"],
                           period_change_p95=summary["change_p95"], p_improve=summary["p_improve"]) if len(table) else table
        out = conform(out, BUDGET_RECOMMENDATIONS)
        top = out.reindex((out["recommended_daily_spend"] - out["current_daily_spend"]).abs().sort_values(ascending=False).index).head(TOP_LINES)
        yield Output(out, output_name="budget_recommendations", metadata={
            "as_of": str(as_of.date()), "dagster/row_count": len(out), "objective": settings.objective, "model": config.attribution_model,
            "budget_per_day": round(float(summary.get("budget_per_day", 0.0)), 2),
            "expected_change_per_period": round(float(summary.get("expected_change_per_period", 0.0)), 2),
            "change_p5_p50_p95": f"{summary.get('change_p5', 0):,.0f} / {summary.get('change_p50', 0):,.0f} / {summary.get('change_p95', 0):,.0f}",
            "p_improve": float(summary["p_improve"]) if summary.get("p_improve") is not None and not pd.isna(summary.get("p_improve")) else "n/a",
            "warnings": MetadataValue.md("\n".join(f"- {w}" for w in summary["warnings"]) or "_none_"),
            "top_moves": markdown(top[["campaign_name", "current_daily_spend", "recommended_daily_spend", "reason"]].round(2)),
        })

    @asset(kinds={"pandas", "parquet", "scipy"}, deps=["raw_lift_tests", "channel_performance", "orders_enriched"], description=EXPERIMENT_READOUTS.description,
           **_options(EXPERIMENT_READOUTS, "experiments"))
    def experiment_readouts(context: AssetExecutionContext, pipeline: PipelineSettings) -> pd.DataFrame:
        as_of = as_of_day(context, pipeline)
        tests = read_table(pipeline, "raw_lift_tests", LIFT_TESTS)
        tests = tests[tests["end_date"] <= as_of]
        days = [d.date().isoformat() for d in pd.date_range(tests["start_date"].min(), as_of)] if len(tests) else []
        performance = read_table(pipeline, "channel_performance", CHANNEL_PERFORMANCE, days)
        orders = read_table(pipeline, "orders_enriched", ORDERS_ENRICHED, days)
        index = pd.DatetimeIndex(pd.to_datetime(days))
        lines = {line: {"campaign_name": name} for line, name in _campaign_names(performance).items()}
        table = experiments.readouts(tests, lines, performance, mmm_inputs.value_per_order(orders, index, "profit", {}, 0.0),
                                     mmm_inputs.value_per_order(orders, index, "revenue", {}, 0.0)) if len(tests) else pd.DataFrame()
        out = conform(table.assign(as_of=as_of) if len(table) else table, EXPERIMENT_READOUTS)
        for row in out[~out["matched"].fillna(True).astype(bool)].to_dict("records"):
            context.log.warning(f"lift test {row['test_name']!r}: no paid campaign matches {row['campaign_name']!r}")
        context.add_output_metadata({"as_of": str(as_of.date()), "dagster/row_count": len(out), "preview": preview(out, EXPERIMENT_READOUTS)})
        return out

    @asset(kinds={"pandas", "parquet", "scipy"}, deps=["media_mix_model", "budget_recommendations"], description=EXPERIMENT_PLAN.description,
           **_options(EXPERIMENT_PLAN, "experiments"))
    def experiment_plan(context: AssetExecutionContext, pipeline: PipelineSettings) -> pd.DataFrame:
        draws = _snapshot(pipeline, "media_mix_model", MEDIA_MIX_MODEL)
        recommendations = _snapshot(pipeline, "budget_recommendations", BUDGET_RECOMMENDATIONS)
        as_of = as_of_day(context, pipeline)
        if draws.empty or recommendations.empty:
            context.add_output_metadata({"as_of": str(as_of.date()), "dagster/row_count": 0, "plan": "no media-mix model or budget yet"})
            return EXPERIMENT_PLAN.empty()
        current = dict(zip(zip(recommendations["platform"], recommendations["campaign_id"]), recommendations["current_daily_spend"]))
        days = [d.date().isoformat() for d in pd.date_range(as_of - pd.Timedelta(days=27), as_of)]
        orders = read_table(pipeline, "orders_enriched", ORDERS_ENRICHED, days)
        per_order = float(mmm_inputs.value_per_order(orders, pd.DatetimeIndex(pd.to_datetime(days)), str(draws["objective"].iloc[0]), {}, 0.0).mean())
        table = experiments.plan(draws, current, float(_read_summary(pipeline).get("lambda") or 1.0), float(draws["residual_sd"].iloc[0]), per_order)
        out = conform(table.assign(as_of=as_of), EXPERIMENT_PLAN)
        first = out[out["run_first"].fillna(False).astype(bool)]
        context.add_output_metadata({"as_of": str(as_of.date()), "dagster/row_count": len(out),
                                     "run_first": (f"{first['design'].iloc[0]} on {first['campaign_name'].iloc[0]}" if len(first) else "no test is worth its cost now"),
                                     "plan": markdown(out[["campaign_name", "design", "width_now", "width_after", "cost", "value", "net_value"]].head(8).round(3))})
        return out

    @asset(kinds={"html", "matplotlib"}, deps=["budget_recommendations", "response_curves", "media_mix_fit", "experiment_readouts", "experiment_plan",
                                                "channel_ltv", "channel_performance"], group_name="budget",
           description="A self-contained HTML report (charts inline) of the budget recommendation: current vs recommended spend per "
           "campaign and channel, response curves with the current and recommended points, the attribution models compared, LTV "
           "curves per channel and the guardrails that fired. Written to `<data>/reports/budget_report.html` (and a dated copy).")
    def budget_report(context: AssetExecutionContext, pipeline: PipelineSettings) -> MaterializeResult:
        recommendations = _snapshot(pipeline, "budget_recommendations", BUDGET_RECOMMENDATIONS)
        folder = pipeline.settings().reports_dir
        latest = folder / "budget_report.html"
        if recommendations.empty:  # e.g. only Shopify exports landed so far: say so instead of failing the run
            storage.write_bytes(latest, report.empty(_read_summary(pipeline).get("warnings", []) if _summary_path(pipeline).exists() else []).encode())
            return MaterializeResult(metadata={"path": MetadataValue.path(str(latest)), "campaigns": 0})
        curves = _snapshot(pipeline, "response_curves", RESPONSE_CURVES)
        ltv = _snapshot(pipeline, "channel_ltv", CHANNEL_LTV)
        as_of = recommendations["as_of"].max()
        days = [d.date().isoformat() for d in pd.date_range(as_of - pd.Timedelta(days=27), as_of)]
        performance = read_table(pipeline, "channel_performance", CHANNEL_PERFORMANCE, days)
        cohorts = cohort_curves(read_table(pipeline, "orders_enriched", ORDERS_ENRICHED, columns=VALUE_COLUMNS), as_of)
        summary = _read_summary(pipeline)
        draws, fit = _posterior_pictures(pipeline, summary)
        charts = {"campaigns": report.spend_chart(recommendations, "campaign_name"), "channels": report.spend_chart(recommendations, "channel"),
                  "curves": report.curves_chart(curves, recommendations, draws, fit), "models": report.models_chart(performance), "ltv": report.ltv_chart(cohorts)}
        evidence = report.evidence(draws, _snapshot(pipeline, "experiment_readouts", EXPERIMENT_READOUTS), _snapshot(pipeline, "experiment_plan", EXPERIMENT_PLAN),
                                   report.fit_chart(fit) if fit is not None and len(fit) else None)
        text = report.render(recommendations, curves, performance, cohorts, ltv, summary, charts, evidence)
        dated = folder / f"budget_report_{as_of.date()}.html"
        for path in (dated, latest):
            storage.write_bytes(path, text.encode())
        return MaterializeResult(metadata={
            "path": MetadataValue.path(str(latest)), "dated_copy": MetadataValue.path(str(dated)), "as_of": str(as_of.date()), "bytes": len(text),
            "spend_per_campaign": MetadataValue.md(f"![spend](data:image/png;base64,{charts['campaigns']})"),
            "response_curves": MetadataValue.md(f"![curves](data:image/png;base64,{charts['curves']})"),
        })

    return [customer_ltv, channel_ltv, media_mix, budget, experiment_readouts, experiment_plan, budget_report]


def _settings(config: BudgetSettings) -> BudgetConfig:
    """The core's settings, or a Failure that names the bad option."""
    if config.attribution_model not in MODELS:
        raise Failure(description=f"attribution_model {config.attribution_model!r} is not a model; choose one of {', '.join(MODELS)}")
    if config.curve_source not in CURVE_SOURCES:
        raise Failure(description=f"curve_source {config.curve_source!r}: choose one of {', '.join(CURVE_SOURCES)}")
    try:
        return config.core()
    except ValueError as error:
        raise Failure(description=f"budget config: {error}") from error


def _campaign_names(performance: pd.DataFrame) -> dict[tuple[str, str], str]:
    paid = performance.dropna(subset=["campaign_id"]).drop_duplicates(["platform", "campaign_id"], keep="last")
    return paid.set_index(["platform", "campaign_id"])["campaign_name"].to_dict()


def _ltv_by_channel(pipeline: PipelineSettings, as_of: pd.Timestamp) -> dict[str, float]:
    """Predicted LTV margin per new customer by acquisition channel, over the last 90 days' new customers."""
    customers = _snapshot(pipeline, "customer_ltv", CUSTOMER_LTV)
    recent = customers[customers["first_order_day"] > as_of - pd.Timedelta(days=90)]
    return recent.groupby("acquisition_channel")["predicted_clv_margin"].mean().dropna().to_dict()


def _posterior(pipeline: PipelineSettings, config: BudgetSettings, as_of: pd.Timestamp) -> dict:
    """The media-mix model's curves, refusing a model fitted for another objective or another day."""
    draws = _snapshot(pipeline, "media_mix_model", MEDIA_MIX_MODEL)
    if draws.empty:  # not fitted yet (too few days): every campaign is held
        return {}
    fitted_for = (str(draws["objective"].iloc[0]), pd.Timestamp(draws["as_of"].iloc[0]))
    if fitted_for != (config.objective, as_of):
        raise Failure(description=f"the media-mix model was fitted for objective {fitted_for[0]} as of {fitted_for[1].date()}, the budget asks for "
                                  f"{config.objective} as of {as_of.date()}: materialize media_mix_model with the same objective and day")
    return mmm.curves_from_draws(draws)


def _posterior_pictures(pipeline: PipelineSettings, summary: dict) -> tuple:
    """(posterior draws, daily fit) for the report's bands and points, when the budget used the media-mix model."""
    if summary.get("curve_source") != "media_mix":
        return None, None
    return _snapshot(pipeline, "media_mix_model", MEDIA_MIX_MODEL), _snapshot(pipeline, "media_mix_fit", MEDIA_MIX_FIT)


def _summary_path(pipeline: PipelineSettings):
    return lake.snapshot_path(pipeline.settings().lake_dir, ["budget_recommendations"]).with_name("summary.json")


def _write_summary(pipeline: PipelineSettings, summary: dict) -> None:
    """The portfolio-level facts of the recommendation (budget, λ, bootstrap, warnings) beside its snapshot."""
    plain = {k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in summary.items() if not isinstance(v, np.ndarray)}
    storage.write_bytes(_summary_path(pipeline), json.dumps(plain, indent=1, default=float).encode())


def _read_summary(pipeline: PipelineSettings) -> dict:
    path = _summary_path(pipeline)
    text = storage.read_text(path, default="")
    if not text:
        raise Failure(description="no budget summary: materialize budget_recommendations first")
    return json.loads(text)


def _curve_rows(table: pd.DataFrame, curves: dict, panel: pd.DataFrame, settings: BudgetConfig, as_of: pd.Timestamp) -> pd.DataFrame:
    """The fitted campaign curves, and one curve per channel fitted on the channel's summed spend and outcome."""
    rows = []
    for record in table.to_dict("records") if len(table) else []:
        curve = curves.get((record["platform"], record["campaign_id"]))
        if curve is not None:
            rows.append(_curve_row(curve, "campaign", record["channel"], record["platform"], record["campaign_id"], record["campaign_name"], record["current_daily_spend"]))
    if rows and isinstance(next(iter(curves.values()), None), mmm.PosteriorCurve):
        return pd.DataFrame(rows)  # the joint model has no per-channel refit: a channel's curve is the sum of its campaigns'
    days = pd.date_range(max(as_of - pd.Timedelta(days=settings.history_days - 1), panel["day"].min()), as_of) if len(panel) else []
    for channel, group in panel.groupby("channel"):
        daily = group.groupby("day")[["spend", "outcome"]].sum().reindex(days, fill_value=0.0)
        try:
            curve = fit_response(daily["spend"].to_numpy(), daily["outcome"].to_numpy())
        except ValueError:
            continue
        rows.append(_curve_row(curve, "channel", channel, group["platform"].iloc[0], None, None, float(daily["spend"].iloc[-settings.horizon_days:].mean())))
    return pd.DataFrame(rows)


def _curve_row(curve, level, channel, platform, campaign_id, campaign_name, current) -> dict:
    params = list(curve.params) + [np.nan] * (3 - len(curve.params))
    return {"level": level, "channel": channel, "platform": platform, "campaign_id": campaign_id, "campaign_name": campaign_name,
            "form": curve.form, "param_1": params[0], "param_2": params[1], "param_3": params[2], "adstock_theta": curve.theta,
            "r2": curve.r2, "days": curve.days, "spend_cv": curve.spend_cv, "identifiable": curve.identifiable, "max_daily_spend": curve.max_spend,
            "current_daily_spend": current, **_at_current(curve, current)}


def _at_current(curve, current: float) -> dict:
    """Response and marginal return at current spend, and the curve's source; for a posterior curve these are the
    posterior medians (a draw's marginal is skewed: its mean is pulled up by the unlikely steep draws), with the
    marginal's 90 % credible interval."""
    if not isinstance(curve, mmm.PosteriorCurve):
        return {"response_at_current": float(curve.response(current)), "marginal_at_current": float(curve.marginal(current)), "source": "attribution"}
    p5, p50, p95 = np.percentile(curve.marginal_draws(current), [5, 50, 95])
    return {"response_at_current": float(np.median(curve.response_draws(current))), "marginal_at_current": float(p50),
            "marginal_p5": float(p5), "marginal_p95": float(p95), "source": "media_mix"}

