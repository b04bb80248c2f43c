"""The canonical tables every parser produces (names follow the dbt packages analysts know).

One declaration per table drives the pandas dtypes, the Parquet schema, the warehouse DDL and the column
schema shown in the Dagster UI, so the layers cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

# Logical type -> pandas dtype used in memory.
PANDAS_DTYPES = {
    "string": "string",
    "date": "datetime64[ns]",
    "timestamp": "datetime64[ns, UTC]",
    "int": "Int64",
    "float": "float64",
    "bool": "boolean",
}


@dataclass(frozen=True)
class TableSpec:
    name: str
    columns: dict[str, str]  # column -> logical type
    partition_column: str  # the day a row belongs to (the Dagster daily partition)
    key: tuple[str, ...]  # the table's grain
    description: str

    def empty(self) -> pd.DataFrame:
        return conform(pd.DataFrame(columns=list(self.columns)), self)


LINEAGE = {"source_file": "string", "source_hash": "string", "source_row": "int"}

AD_PERFORMANCE = TableSpec(
    name="ad_performance",
    columns={
        "date_day": "date",
        "platform": "string",
        "account_id": "string",
        "account_name": "string",
        "campaign_id": "string",
        "campaign_name": "string",
        "ad_group_id": "string",
        "ad_group_name": "string",
        "ad_id": "string",
        "ad_name": "string",
        "impressions": "int",
        "clicks": "int",
        "spend": "float",
        "currency": "string",
        "conversions": "float",
        "conversions_value": "float",
        **LINEAGE,
    },
    partition_column="date_day",
    key=("date_day", "platform", "account_id", "campaign_id", "ad_group_id", "ad_id"),
    description="Daily ad delivery and spend per platform, campaign, ad group and ad, with the platform's own "
    "claimed conversions (Fivetran ad_reporting__ad_report columns).",
)

ORDERS = TableSpec(
    name="orders",
    columns={
        "order_id": "string",
        "name": "string",
        "customer_key": "string",
        "created_timestamp": "timestamp",
        "order_date": "date",
        "currency": "string",
        "subtotal": "float",
        "gross_sales": "float",
        "discounts": "float",
        "shipping_charged": "float",
        "total_tax": "float",
        "total_price": "float",
        "tips": "float",
        "duties": "float",
        "refunded_amount": "float",
        "net_sales": "float",
        "financial_status": "string",
        "fulfillment_status": "string",
        "cancelled_timestamp": "timestamp",
        "source_name": "string",
        "discount_codes": "string",
        "accepts_marketing": "bool",
        "line_count": "int",
        "attribution_source": "string",
        "attribution_medium": "string",
        "attribution_referrer": "string",
        **LINEAGE,
    },
    partition_column="order_date",
    key=("order_id",),
    description="One row per store order (Shopify or WooCommerce): money in the order's currency, created time in UTC, "
    "order_date the shop's calendar day; customer_key is the SHA-256 of the email; attribution_* the store's own "
    "attribution of the order where its export has one (WooCommerce's `Organic: Google`).",
)

ORDER_LINES = TableSpec(
    name="order_lines",
    columns={
        "order_id": "string",
        "order_date": "date",
        "line_number": "int",
        "sku": "string",
        "title": "string",
        "quantity": "int",
        "price": "float",
        "discount": "float",
        "requires_shipping": "bool",
        **LINEAGE,
    },
    partition_column="order_date",
    key=("order_id", "line_number"),
    description="One row per order line item (Shopify's export rows, continuation rows grouped by order).",
)

PRODUCTS = TableSpec(
    name="products",
    columns={
        "snapshot_date": "date",
        "snapshot_date_source": "string",
        "variant_key": "string",
        "sku": "string",
        "handle": "string",
        "title": "string",
        "line_name": "string",
        "price": "float",
        "unit_cost": "float",
        "currency": "string",
        "status": "string",
        **LINEAGE,
    },
    partition_column="snapshot_date",
    key=("snapshot_date", "variant_key"),
    description="Product variants with price and unit cost (`Cost per item`) as of the export's date. variant_key is "
    "handle/option values (not the SKU: most stores have none, others reuse one for several sizes); line_name is how an "
    "order line names the variant (`Title` or `Title - Option / Option`).",
)

INVENTORY_LEVELS = TableSpec(
    name="inventory_levels",
    columns={
        "snapshot_date": "date",
        "snapshot_date_source": "string",
        "variant_key": "string",
        "sku": "string",
        "location": "string",
        "available": "int",
        "on_hand": "int",
        "committed": "int",
        "incoming": "int",
        "layout": "string",
        **LINEAGE,
    },
    partition_column="snapshot_date",
    key=("snapshot_date", "variant_key", "location"),
    description="Stock per variant (handle/option values) and location from Shopify inventory exports (current, 2023 and legacy layouts); "
    "the snapshot date comes from the file name, else it is the day before its modification time (snapshot_date_source says which).",
)

SHIPMENTS = TableSpec(
    name="shipments",
    columns={
        "order_name": "string",
        "tracking_number": "string",
        "carrier": "string",
        "service": "string",
        "order_date": "date",
        "shipped_date": "date",
        "delivered_date": "date",
        "label_cost": "float",
        "order_shipping_paid": "float",
        "is_return": "bool",
        "voided": "bool",
        "warehouse": "string",
        "item_quantity": "int",
        "skus": "string",
        "store": "string",
        **LINEAGE,
    },
    partition_column="shipped_date",
    key=("order_name", "tracking_number"),
    description="One row per shipping label (ShipStation rows deduplicated by order and tracking number); "
    "voided labels are kept and flagged, they cost nothing downstream.",
)

TOUCHPOINTS = TableSpec(
    name="touchpoints",
    columns={
        "event_id": "string",
        "event_timestamp": "timestamp",
        "event_date": "date",
        "event_name": "string",
        "customer_key": "string",
        "anonymous_id": "string",
        "session_id": "string",
        "utm_source": "string",
        "utm_medium": "string",
        "utm_campaign": "string",
        "utm_content": "string",
        "utm_term": "string",
        "click_id": "string",
        "click_id_type": "string",
        "landing_page": "string",
        "referrer": "string",
        "order_id": "string",
        "revenue": "float",
        "currency": "string",
        **LINEAGE,
    },
    partition_column="event_date",
    key=("event_id",),
    description="Web events from the pixel or GA4 (UTC): UTM tags, the click id that outranks them, and the "
    "hashed customer key; raw emails never pass the parser.",
)

FX_RATES = TableSpec(
    name="fx_rates",
    columns={"date": "date", "currency": "string", "rate": "float", **LINEAGE},
    partition_column="date",
    key=("date", "currency"),
    description="Dated exchange rates: units of the reporting (shop) currency per unit of `currency` on `date`.",
)

LIFT_TESTS = TableSpec(
    name="lift_tests",
    columns={"end_date": "date", "start_date": "date", "platform": "string", "campaign": "string", "test_type": "string",
             "incremental_conversions": "float", "standard_error": "float", "spend": "float", "test_name": "string", **LINEAGE},
    partition_column="end_date",
    key=("end_date", "platform", "campaign", "start_date", "test_type"),
    description="Lift-test readouts (conversion lift, geo holdout, on/off): the conversions a campaign's spend caused over "
    "[start_date, end_date] with its standard error, and the spend in the test; dated by the day the test ended.",
)

EXPERIMENT_READOUTS = TableSpec(
    name="experiment_readouts",
    columns={"as_of": "date", "test_name": "string", "platform": "string", "campaign_id": "string", "campaign_name": "string",
             "matched": "bool", "test_type": "string", "start_date": "date", "end_date": "date", "days": "int", "spend": "float",
             "incremental_conversions": "float", "standard_error": "float", "p5": "float", "p95": "float", "p_positive": "float",
             "incremental_roas": "float", "incremental_poas": "float", "platform_conversions": "float", "platform_over_claim": "float"},
    partition_column="",
    key=("test_name", "platform", "campaign_id", "start_date"),
    description="Each landed lift test read as a posterior (flat prior): incremental conversions with their 90 % interval "
    "and P(positive), the incremental ROAS (net sales) and POAS (contribution margin) per dollar of the test's spend, and "
    "what the platform claimed for the same campaign and days (over-claim = claimed / incremental).",
)

EXPERIMENT_PLAN = TableSpec(
    name="experiment_plan",
    columns={"as_of": "date", "platform": "string", "campaign_id": "string", "campaign_name": "string", "design": "string", "days": "int",
             "daily_spend": "float", "marginal_return_mean": "float", "width_now": "float", "width_after": "float", "cost": "float",
             "value": "float", "net_value": "float", "run_first": "bool"},
    partition_column="",
    key=("platform", "campaign_id", "design"),
    description="The tests that would narrow the media-mix model most where it matters: per campaign and design (a "
    "holdout, or alternating ±50 % spend weeks), the width of the 90 % interval of its marginal return now and expected "
    "after, the test's cost in expected profit, its value of information over the next 91 days of budget decisions, "
    "and the one to run first.",
)

QUARANTINE = TableSpec(
    name="quarantine",
    columns={
        "source_file": "string",
        "source_hash": "string",
        "source_row": "int",
        "family": "string",
        "table": "string",
        "day": "date",
        "stage": "string",
        "column": "string",
        "rule": "string",
        "message": "string",
        "value": "string",
    },
    partition_column="day",
    key=("source_hash", "source_row", "table", "rule"),
    description="Every row held back, with its file, row, column, rule and reason (`stage` parse: unreadable; "
    "validate: failed a row rule). Values of personal columns are masked.",
)

INGEST_LOG = TableSpec(
    name="ingest_log",
    columns={
        "file_hash": "string",
        "family": "string",
        "original_name": "string",
        "encoding": "string",
        "exported_at": "timestamp",
        "registered_at": "timestamp",
        "first_day": "date",
        "last_day": "date",
        "days_covered": "int",
        "rows_read": "int",
        "rows_loaded": "int",
        "rows_quarantined": "int",
        "rows_skipped": "int",
        "rejected": "bool",
        "reason": "string",
        "stored_as": "string",
    },
    partition_column="first_day",
    key=("file_hash",),
    description="One row per landed file: what it was, what it covered, and where every row went "
    "(rows_read = rows_loaded + rows_quarantined + rows_skipped, the last being rows that hold no data by the vendor's design: "
    "totals rows, image-only product rows, `No data available.`); rejected files with their reason.",
)

AD_PERFORMANCE_UNIFIED = TableSpec(
    name="ad_performance_unified",
    columns={**{k: v for k, v in AD_PERFORMANCE.columns.items() if k not in LINEAGE}, "spend_reporting": "float",
             "reporting_currency": "string", "fx_rate": "float", "fx_missing": "bool", "source_file": "string"},
    partition_column="date_day",
    key=AD_PERFORMANCE.key,
    description="Meta, Google and TikTok in one table (Fivetran ad_reporting__ad_report columns), with spend converted "
    "to the reporting currency (`spend_reporting`, `fx_rate`; `fx_missing` where no rate is known: spend_reporting stays empty).",
)

ORDERS_ENRICHED = TableSpec(
    name="orders_enriched",
    columns={
        **{k: v for k, v in ORDERS.columns.items() if k not in LINEAGE},
        "units": "int", "cogs": "float", "cogs_estimated": "bool", "lines_without_cost": "int", "label_cost": "float",
        "packages": "int", "returns": "float", "shipping_revenue": "float", "payment_fees": "float",
        "contribution_margin": "float", "cancelled": "bool", "shipped_date": "date", "delivered_date": "date",
        "delivery_days": "int", "customer_order_seq_number": "int", "new_vs_repeat": "string", "is_first_order": "bool",
        "acquisition_channel": "string", "fx_rate": "float", "fx_missing": "bool",
    },
    partition_column="order_date",
    key=("order_id",),
    description="One row per order with its profit: COGS (unit cost as of the order day), label cost (voids excluded), "
    "payment fees, refunds (merchandise first, then tax, then shipping) and contribution margin = net sales + shipping "
    "revenue − COGS − label cost − payment fees; first-order flag, sequence number and acquisition channel.",
)

SESSIONS = TableSpec(
    name="sessions",
    columns={
        "session": "string", "day": "date", "touch_timestamp": "timestamp", "anonymous_id": "string", "customer_key": "string",
        "utm_source": "string", "utm_medium": "string", "utm_campaign": "string", "click_id": "string", "click_id_type": "string",
        "referrer_host": "string", "landing_page": "string", "channel": "string", "platform": "string",
    },
    partition_column="day",
    key=("session",),
    description="One row per web session, on the day it starts: its landing event's time, tags and referrer (none when "
    "it is the shop's own host), the customer key any of its events carried, and its channel and platform by the "
    "channel-grouping rules. Each day's events become sessions once; journeys and paths read these.",
)

CUSTOMER_JOURNEYS = TableSpec(
    name="customer_journeys",
    columns={
        "order_id": "string", "customer_key": "string", "order_timestamp": "timestamp", "conversion_day": "date",
        "touch_timestamp": "timestamp", "session": "string", "channel": "string", "platform": "string",
        "campaign_id": "string", "campaign_name": "string", "position": "int", "touches_in_path": "int",
        "days_before_conversion": "float", "inferred": "bool",
    },
    partition_column="conversion_day",
    key=("order_id", "position"),
    description="One row per order × touch: the customer's stitched sessions after their previous order and within the "
    "lookback (30 days by default) before the order, with channel, platform and matched campaign. An order without a "
    "touch gets one inferred Direct touch.",
)

CONVERSION_PATHS = TableSpec(
    name="conversion_paths",
    columns={"day": "date", "path": "string", "total_conversions": "int", "total_conversion_value": "float",
             "total_null": "int", "contribution_margin": "float"},
    partition_column="day",
    key=("day", "path"),
    description="Paths in ChannelAttribution's shape (`a > b > c`, consecutive repeats collapsed): conversions and their "
    "value (net sales) on that day, plus the journeys that became definitively non-converting that day (`total_null`), "
    "and the contribution margin of the converting ones.",
)

DAILY_SUMMARY = TableSpec(
    name="daily_summary",
    columns={"day": "date", "spend_meta": "float", "spend_google": "float", "spend_tiktok": "float", "spend": "float",
             "orders": "int", "new_customers": "int", "net_sales": "float", "contribution_margin": "float",
             "mer": "float", "blended_cac": "float"},
    partition_column="day",
    key=("day",),
    description="Per shop day: spend per platform (reporting currency), orders, new customers, net sales, contribution "
    "margin, MER (net sales / spend) and blended CAC (spend / new customers).",
)

ATTRIBUTION_CREDITS = TableSpec(
    name="attribution_credits",
    columns={
        "conversion_day": "date", "order_id": "string", "position": "int", "touches_in_path": "int", "channel": "string",
        "platform": "string", "campaign_id": "string", "campaign_name": "string", "days_before_conversion": "float",
        "model": "string", "credit": "float", "attributed_revenue": "float", "attributed_margin": "float", "new_customer": "bool",
    },
    partition_column="conversion_day",
    key=("order_id", "position", "model"),
    description="Order × touch × model: each model's share of the order (credits of an order sum to 1 under every model), "
    "and the net sales and contribution margin it attributes. Rule-based models (first/last touch, last non-direct, "
    "linear, time decay, position-based) read the touches; Markov order 1–3 and Shapley are fitted on the conversion "
    "paths of the trailing 90 days and share each order among its channels by their removal effects / Shapley values. "
    "Published for every model (ECOM_PIPELINE_PUBLISHED_MODELS to choose); their sums are `channel_performance`.",
)

CHANNEL_PERFORMANCE = TableSpec(
    name="channel_performance",
    columns={
        "day": "date", "model": "string", "channel": "string", "platform": "string", "campaign_id": "string",
        "campaign_name": "string", "spend": "float", "attributed_orders": "float", "attributed_revenue": "float",
        "attributed_margin": "float", "new_customers": "float", "roas": "float", "poas": "float", "cpa": "float",
        "ncac": "float", "platform_conversions": "float", "platform_conversion_value": "float", "over_claim_ratio": "float",
        "default_model": "bool",
    },
    partition_column="day",
    key=("day", "model", "channel", "platform", "campaign_id"),
    description="Day × channel × platform × campaign × model: spend (reporting currency), attributed orders, revenue, "
    "contribution margin and new customers; ROAS, POAS (margin / spend), CPA, nCAC; the platform's own reported "
    "conversions and value beside ours and the over-claim ratio (reported / modelled). `default_model` marks the "
    "model chosen for downstream use (Markov order 1 unless configured).",
)

CUSTOMER_LTV = TableSpec(
    name="customer_ltv",
    columns={
        "as_of": "date", "customer_key": "string", "acquisition_channel": "string", "first_order_day": "date", "frequency": "int",
        "recency": "float", "T": "float", "monetary_value": "float", "first_order_margin": "float", "margin_to_date": "float",
        "p_alive": "float", "expected_purchases_12m": "float", "predicted_clv_revenue": "float", "predicted_clv_margin": "float",
    },
    partition_column="",
    key=("customer_key",),
    description="One row per customer as of the latest day: acquisition channel, the lifetimes-style summary in days "
    "(frequency = repeat purchase days, recency, T, mean repeat net sales), margin to date, and the BG/NBD + Gamma-Gamma "
    "prediction: P(alive), expected purchases in the next 12 months, discounted 12-month value in net sales and in "
    "contribution margin.",
)

CHANNEL_LTV = TableSpec(
    name="channel_ltv",
    columns={
        "as_of": "date", "channel": "string", "cohort": "string", "customers": "int", "observed_days": "int", "ltv_30": "float",
        "ltv_60": "float", "ltv_90": "float", "ltv_180": "float", "ltv_365": "float", "first_order_margin": "float",
        "spend": "float", "cac": "float", "ltv_cac": "float", "cac_payback_day": "float", "first_order_payback": "float",
        "predicted_clv_margin": "float",
    },
    partition_column="",
    key=("channel", "cohort"),
    description="Per acquisition channel and cohort month: customers, realised LTV (cumulative contribution margin per "
    "customer) at 30/60/90/180/365 days — only once every member is that old — first-order margin, the channel's spend "
    "that month, new-customer CAC, LTV:CAC at the oldest horizon reached, the day the cohort paid back its CAC, "
    "first-order payback (first-order margin / CAC) and the predicted 12-month margin per customer still to come.",
)

RESPONSE_CURVES = TableSpec(
    name="response_curves",
    columns={
        "as_of": "date", "level": "string", "channel": "string", "platform": "string", "campaign_id": "string",
        "campaign_name": "string", "objective": "string", "model": "string", "form": "string", "param_1": "float",
        "param_2": "float", "param_3": "float", "adstock_theta": "float", "r2": "float", "days": "int", "spend_cv": "float",
        "identifiable": "bool", "max_daily_spend": "float", "current_daily_spend": "float", "response_at_current": "float",
        "marginal_at_current": "float", "marginal_p5": "float", "marginal_p95": "float", "source": "string",
    },
    partition_column="",
    key=("level", "channel", "platform", "campaign_id"),
    description="Per campaign (and, for attribution curves, per channel): daily spend → daily outcome through geometric "
    "adstock and a Hill curve β·A^κ/(A^κ+K^κ) (param_1..3 = β, K, κ). `source` media_mix (the default): the media-mix "
    "model's posterior medians (β, K, κ, and the response and marginal return at current spend), with the 90 % "
    "credible interval of the marginal return; attribution: "
    "fitted on the attributed outcome (or the log β·log(1+A/K) and power β·A^γ fallbacks). An identifiability flag "
    "where spend barely varied.",
)

MEDIA_MIX_MODEL = TableSpec(
    name="media_mix_model",
    columns={
        "as_of": "date", "objective": "string", "draw": "int", "platform": "string", "campaign_id": "string", "campaign_name": "string",
        "beta": "float", "half_saturation": "float", "shape": "float", "adstock_decay": "float", "spend_cv": "float",
        "max_daily_spend": "float", "mean_daily_spend": "float", "calibrated": "bool", "r2": "float", "days": "int",
        "residual_sd": "float",
    },
    partition_column="",
    key=("draw", "platform", "campaign_id"),
    description="The media-mix model's posterior: per draw and campaign, the steady-state response β·A^κ/(A^κ+K^κ) of "
    "the day's new-customer outcome to adstocked spend (β = beta, K = half_saturation, κ = shape, adstock decay θ), "
    "fitted on all paid campaigns at once with a baseline (trend, weekday, share of demand in stock) and calibrated by "
    "any landed lift tests.",
)

MEDIA_MIX_FIT = TableSpec(
    name="media_mix_fit",
    columns={
        "as_of": "date", "day": "date", "platform": "string", "campaign_id": "string", "campaign_name": "string", "spend": "float",
        "contribution": "float", "partial_outcome": "float", "outcome": "float", "fitted": "float", "holdout_forecast": "float",
    },
    partition_column="",
    key=("day", "platform", "campaign_id"),
    description="The media-mix model's fit, per day and campaign: spend, the campaign's fitted contribution, and the "
    "observed point behind its curve (the day's outcome less the baseline and the other campaigns' contributions), beside "
    "the day's outcome, the model's fit, and (for the last 14 days) the forecast of a fit that never saw them.",
)

BUDGET_RECOMMENDATIONS = TableSpec(
    name="budget_recommendations",
    columns={
        "as_of": "date", "platform": "string", "campaign_id": "string", "campaign_name": "string", "channel": "string",
        "current_daily_spend": "float", "mean_daily_spend_28d": "float", "lower": "float", "upper": "float",
        "recommended_daily_spend": "float", "recommended_period_spend": "float", "change_pct": "float",
        "recommended_p5": "float", "recommended_p95": "float", "expected_outcome_current": "float",
        "expected_outcome_recommended": "float", "marginal_return": "float", "binding": "string", "guardrail": "string",
        "days_of_cover": "float", "limiting_product": "string", "beyond_observed": "bool", "curve_form": "string",
        "curve_r2": "float", "identifiable": "bool", "reason": "string", "objective": "string", "model": "string",
        "period_change_p5": "float", "period_change_p50": "float", "period_change_p95": "float", "p_improve": "float",
        "hold_daily_spend": "float", "upper_set_by": "string", "spend_cv": "float", "curve_source": "string", "calibrated": "bool",
    },
    partition_column="",
    key=("platform", "campaign_id"),
    description="Next period's daily spend per campaign that maximises expected profit: within ±30 % of the 28-day mean, "
    "inventory guardrails (paused when its products are out of stock, capped when stock is low, not scaled up below "
    "the lead time), never far beyond the spend observed. Curves from the media-mix model's posterior (curve_source "
    "media_mix): p5/p95 of where spend would land under each draw, p5/p50/p95 of the period's profit change against "
    "holding (hold_daily_spend: each 28-day mean scaled to the budget) and P(profit improves) over the draws; and the "
    "reason, in a sentence.",
)

TABLES = {spec.name: spec for spec in (AD_PERFORMANCE, ORDERS, ORDER_LINES, PRODUCTS, INVENTORY_LEVELS, SHIPMENTS, TOUCHPOINTS, FX_RATES, LIFT_TESTS, QUARANTINE,
                                       INGEST_LOG, AD_PERFORMANCE_UNIFIED, SESSIONS, ORDERS_ENRICHED, CUSTOMER_JOURNEYS, CONVERSION_PATHS, DAILY_SUMMARY,
                                       ATTRIBUTION_CREDITS, CHANNEL_PERFORMANCE, CUSTOMER_LTV, CHANNEL_LTV, MEDIA_MIX_MODEL,
                                       MEDIA_MIX_FIT, RESPONSE_CURVES, BUDGET_RECOMMENDATIONS, EXPERIMENT_READOUTS, EXPERIMENT_PLAN)}


def conform(frame: pd.DataFrame, spec: TableSpec) -> pd.DataFrame:
    """Exactly the spec's columns, in order, with its dtypes (missing columns become all-missing)."""
    out = pd.DataFrame(index=frame.index)
    for column, logical in spec.columns.items():
        values = frame[column] if column in frame.columns else pd.Series(pd.NA, index=frame.index, dtype="object")
        out[column] = _cast(values, logical)
    return out.reset_index(drop=True)


def _cast(values: pd.Series, logical: str) -> pd.Series:
    if logical == "date":
        return pd.to_datetime(values).dt.normalize().astype("datetime64[ns]")
    if logical == "timestamp":
        return pd.to_datetime(values, utc=True).astype("datetime64[ns, UTC]")
    if logical == "int":
        return pd.to_numeric(values).round().astype("Int64")
    if logical == "float":
        return pd.to_numeric(values).astype("float64")
    if logical == "bool":
        return values.astype("boolean")
    return values.astype("string")
