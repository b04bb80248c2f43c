"""Channel and campaign performance per model: spend beside attributed orders, revenue and contribution margin,
the efficiency ratios, and what each ad platform claims for itself."""

from __future__ import annotations

import pandas as pd

LINE = ["day", "channel", "platform", "campaign_id"]


def _ratio(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    return (numerator / denominator.where(denominator > 0)).astype(float)


def channel_performance(credits: pd.DataFrame, ads: pd.DataFrame, models: tuple[str, ...], platform_channels: dict[str, str],
                        default_model: str) -> pd.DataFrame:
    """Day × channel × platform × campaign × model.

    `credits` come from `attribute_days`; `ads` is the unified ad_performance (spend in reporting currency,
    the platform's own conversions and value in the account currency with its `fx_rate`). Every spend line
    appears for every model, attributed or not; non-paid channels have no platform, campaign or spend."""
    attributed = credits.rename(columns={"conversion_day": "day"}).assign(
        new_customers=lambda f: f["credit"] * f["new_customer"].astype(float))
    attributed = attributed.groupby(["model", *LINE], dropna=False, as_index=False).agg(
        campaign_name=("campaign_name", "first"), attributed_orders=("credit", "sum"), attributed_revenue=("attributed_revenue", "sum"),
        attributed_margin=("attributed_margin", "sum"), new_customers=("new_customers", "sum"))
    spend = ads.rename(columns={"date_day": "day"}).assign(
        platform_conversion_value=lambda f: f["conversions_value"].fillna(0.0) * f["fx_rate"].fillna(1.0),
        platform_conversions=lambda f: f["conversions"].fillna(0.0))
    spend = spend.groupby(["day", "platform", "campaign_id"], as_index=False).agg(
        campaign_name=("campaign_name", "first"), spend=("spend_reporting", "sum"),
        platform_conversions=("platform_conversions", "sum"), platform_conversion_value=("platform_conversion_value", "sum"))
    spend["channel"] = spend["platform"].map(platform_channels).fillna("Paid Other")
    spend = pd.concat([spend.assign(model=model) for model in models], ignore_index=True)
    table = attributed.merge(spend, on=["model", "day", "platform", "campaign_id"], how="outer", suffixes=("", "_ads"))
    table["channel"] = table["channel"].fillna(table.pop("channel_ads"))
    table["campaign_name"] = table["campaign_name"].fillna(table.pop("campaign_name_ads"))
    zero = ["attributed_orders", "attributed_revenue", "attributed_margin", "new_customers", "spend", "platform_conversions", "platform_conversion_value"]
    table[zero] = table[zero].fillna(0.0)
    paid = table["platform"].notna()
    table["roas"] = _ratio(table["attributed_revenue"], table["spend"])
    table["poas"] = _ratio(table["attributed_margin"], table["spend"])
    table["cpa"] = _ratio(table["spend"], table["attributed_orders"])
    table["ncac"] = _ratio(table["spend"], table["new_customers"])
    table["over_claim_ratio"] = _ratio(table["platform_conversions"], table["attributed_orders"]).where(paid)
    table["default_model"] = table["model"] == default_model
    return table.sort_values(["day", "model", "channel", "platform", "campaign_id"], kind="stable", na_position="last").reset_index(drop=True)


def platform_claims(performance: pd.DataFrame, model: str) -> pd.DataFrame:
    """Per ad platform under one model: what it reported, what the model credits it with, and the over-claim ratio."""
    mine = performance[(performance["model"] == model) & performance["platform"].notna()]
    table = mine.groupby("platform").agg(spend=("spend", "sum"), platform_conversions=("platform_conversions", "sum"),
                                         modelled_orders=("attributed_orders", "sum"), platform_value=("platform_conversion_value", "sum"),
                                         modelled_revenue=("attributed_revenue", "sum"), modelled_margin=("attributed_margin", "sum"))
    table["over_claim_ratio"] = _ratio(table["platform_conversions"], table["modelled_orders"])
    table["poas"] = _ratio(table["modelled_margin"], table["spend"])
    return table.reset_index()


def model_comparison(credits: pd.DataFrame) -> pd.DataFrame:
    """Channel × model: attributed orders (the chart's data)."""
    return credits.pivot_table(index="channel", columns="model", values="credit", aggfunc="sum", fill_value=0.0)


def platform_channel_names(grouping) -> dict[str, str]:
    """The channel the grouping gives each ad platform (the first rule naming it)."""
    names: dict[str, str] = {}
    for rule in grouping:
        if rule.platform and rule.platform not in names:
            names[rule.platform] = rule.channel
    return names
