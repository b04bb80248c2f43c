"""Shared last step of the three ad-platform parsers: text columns in, canonical `ad_performance` out."""

from __future__ import annotations

import pandas as pd

from ecom_pipeline.schemas import AD_PERFORMANCE, conform
from ecom_pipeline.sources.common import Problem, flag_rows, parse_numbers

METRICS = ("impressions", "clicks", "spend", "conversions", "conversions_value")
ENTITIES = ("account_id", "account_name", "campaign_id", "campaign_name", "ad_group_id", "ad_group_name", "ad_id", "ad_name")


def build_ad_performance(
    platform: str,
    days: pd.Series,
    bad_days: pd.Series,
    text: dict[str, pd.Series],
    currency: pd.Series,
    default_decimal: str,
    spend_scale: float = 1.0,
    labels: dict[str, str] | None = None,
    window: tuple[pd.Series, pd.Series] | None = None,
) -> tuple[pd.DataFrame, list[Problem]]:
    """Parse metrics, flag bad rows, and return the canonical frame of the good rows plus the problems.

    `text` maps canonical names (entities and metrics) to the file's string columns; `labels` maps canonical
    names back to the file's headers for messages. Blank metrics (`--`) count as zero.
    """
    labels = labels or {}
    problems: list[Problem] = []
    out = pd.DataFrame(index=days.index)
    out["date_day"] = days
    out["platform"] = platform
    for name in ENTITIES:
        values = text.get(name, pd.Series("", index=days.index)).fillna("").astype(str).str.strip()
        out[name] = values.where(values != "").astype("string")
    for name in METRICS:
        raw = text.get(name)
        if raw is None:
            out[name] = 0.0
            continue
        numbers, bad = parse_numbers(raw, default_decimal=default_decimal)
        flag_rows(problems, bad, labels.get(name, name), "not_a_number", f"{labels.get(name, name)} is not a number: {{value!r}}", raw)
        out[name] = numbers.fillna(0.0)
    out["spend"] = out["spend"] * spend_scale
    out["currency"] = currency.astype("string").str.upper()
    flag_rows(problems, bad_days, labels.get("date_day", "date"), "bad_date", "the day is not a date: {value!r}", text.get("date_day", days.astype(str)))
    missing_day = days.isna() & ~bad_days
    flag_rows(problems, missing_day, labels.get("date_day", "date"), "missing_date", "the row has no day")
    if window is not None:
        first, last = window
        outside = ((days < first) | (days > last)).fillna(False) & ~bad_days
        flag_rows(problems, outside, labels.get("date_day", "date"), "outside_reporting_window",
                  "the day {value} lies outside the file's stated reporting window", days.dt.strftime("%Y-%m-%d"))
    no_campaign = out["campaign_id"].isna() & out["campaign_name"].isna()
    flag_rows(problems, no_campaign, "campaign", "missing_campaign", "the row names no campaign (neither id nor name)")
    no_currency = out["currency"].isna() | (out["currency"] == "")
    flag_rows(problems, no_currency, "currency", "missing_currency", "no currency for the row's money columns")
    # Ids are strings; a missing id falls back to the name so the grain stays unique and joinable.
    for level in ("campaign", "ad_group", "ad"):
        out[f"{level}_id"] = out[f"{level}_id"].fillna(out[f"{level}_name"])
    bad_rows = {p.row - 1 for p in problems}
    good = out.loc[~out.index.isin(bad_rows)].copy()
    good["source_row"] = good.index + 1
    good[["impressions", "clicks"]] = good[["impressions", "clicks"]].round()
    return conform(good, AD_PERFORMANCE), problems
