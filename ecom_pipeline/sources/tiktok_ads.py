"""TikTok Ads Manager exports (CSV or XLSX; UI labels, including the older and alternative ones) and API-shaped files.

TikTok reports days in UTC. A report by hour (`Time` = `2026-08-04 13:00`) is summed to the day; its totals row
(id and time `-`) holds no data. Without a campaign column the ad group or ad is the grain. The purchase value is
whichever of its several labels is present; in API files `total_complete_payment_rate` is the value, despite its
name.
"""

from __future__ import annotations

import pandas as pd

from ecom_pipeline.sources.ad_report import build_ad_performance, no_data_rows, segment_labels
from ecom_pipeline.sources.common import Columns, FileRejected, ParseResult, blank_mask, decode, parse_dates, read_delimited

FAMILY = "tiktok_ads"

ALIASES: dict[str, tuple[str, ...]] = {
    "date_day": ("by day", "stat_time_day", "stat_time_hour", "date", "day", "time", "by hour"),
    "account_name": ("advertiser name", "account name", "advertiser_name"),
    "account_id": ("advertiser id", "account id", "advertiser_id"),
    "campaign_name": ("campaign name", "campaign_name"),
    "campaign_id": ("campaign id", "campaign_id"),
    "ad_group_name": ("ad group name", "adgroup name", "adgroup_name", "ad_group_name"),
    "ad_group_id": ("ad group id", "adgroup id", "adgroup_id", "ad_group_id"),
    "ad_name": ("ad name", "ad_name"),
    "ad_id": ("ad id", "ad_id"),
    "spend": ("cost", "spend", "total cost"),
    "impressions": ("impressions", "impression"),
    "clicks": ("clicks (destination)", "clicks", "clicks (all)"),
    "conversions": ("complete payment", "complete_payment", "purchases", "conversions", "conversion"),
    "conversions_value": ("total complete payment value", "total complete payment", "purchase value", "total_complete_payment_rate", "complete payment value"),
    "currency": ("currency", "currency code"),
}

_TOTAL_WORDS = {"total", "totals", "summary", "grand total"}


def looks_like(headers: list[str]) -> bool:
    keys = {h.rsplit(" (", 1)[0] if h.endswith(")") and len(h.rsplit(" (", 1)[-1]) == 4 else h for h in headers}
    if "stat_time_day" in keys or "total_complete_payment_rate" in keys:
        return True
    has_cost = bool(keys & {"cost", "total cost", "spend"})
    tiktok_words = {"by day", "by hour", "clicks (destination)", "complete payment", "ad group name", "ad group id"}
    hourly = "time" in keys and bool(keys & {"ad id", "campaign id", "ad group id"})
    return (bool(keys & tiktok_words) or hourly) and has_cost


def parse(raw: bytes, name: str = "", mtime: float | None = None, default_currency: str | None = None) -> ParseResult:
    text, encoding = decode(raw)
    frame, _, delimiter = read_delimited(text, looks_like)
    rows_read = len(frame)
    cols = Columns(frame)
    cols.require({"By Day": ALIASES["date_day"], "Cost": ALIASES["spend"],
                  "Campaign, Ad group or Ad": ALIASES["campaign_name"] + ALIASES["campaign_id"] + ALIASES["ad_group_name"]
                  + ALIASES["ad_group_id"] + ALIASES["ad_name"] + ALIASES["ad_id"]}, "TikTok Ads")
    day_col = cols.find(*ALIASES["date_day"])
    entities = [c for key in ("campaign_name", "campaign_id", "ad_group_name", "ad_group_id", "ad_name", "ad_id") if (c := cols.find(*ALIASES[key]))]
    unnamed = pd.concat([blank_mask(frame[c]) for c in entities], axis=1).all(axis=1)
    totals = (frame[day_col].str.lower().isin(_TOTAL_WORDS) | frame.iloc[:, 0].str.lower().str.startswith("total")
              | (blank_mask(frame[day_col]) & unnamed) | no_data_rows(frame))
    notes = [f"skipped {int(totals.sum())} totals row(s)"] if totals.any() else []
    frame = frame.loc[~totals]
    cols = Columns(frame)
    days, bad_days = parse_dates(frame[day_col])
    days = days.dt.normalize()  # an hourly report's hours become their day

    spend_col = cols.find(*ALIASES["spend"])
    currency = cols.get(*ALIASES["currency"]).replace("", pd.NA)
    fallback = cols.currencies.get(spend_col) or default_currency
    if fallback:
        currency = currency.fillna(fallback)
    if currency.isna().all() and len(frame):
        raise FileRejected("TikTok Ads file names no currency (no 'Currency' column, no 'Cost (XXX)' header) and no shop currency is configured")
    labels = {key: cols.find(*aliases) or key for key, aliases in ALIASES.items()}
    texts = {key: cols.get(*aliases) for key, aliases in ALIASES.items() if key != "currency" and cols.find(*aliases)}
    used = {labels[key] for key in ALIASES if cols.find(*ALIASES[key])}
    table, problems, summed = build_ad_performance(
        "tiktok", days, bad_days, texts, currency, default_decimal="," if delimiter == ";" else ".", labels=labels,
        segments=segment_labels(frame, used, frame[day_col]),
    )
    return ParseResult(FAMILY, encoding, {"ad_performance": table}, rows_read=rows_read, problems=problems, notes=notes + summed,
                       rows_skipped=int(totals.sum()))
