"""Shared last step of the three ad-platform parsers: text columns in, canonical `ad_performance` out."""

from __future__ import annotations

import pandas as pd

from ecom_pipeline.schemas import AD_PERFORMANCE, conform
from ecom_pipeline.sources.common import Problem, blank_mask, flag_rows, parse_numbers

METRICS = ("impressions", "clicks", "spend", "conversions", "conversions_value")
ENTITIES = ("account_id", "account_name", "campaign_id", "campaign_name", "ad_group_id", "ad_group_name", "ad_id", "ad_name")
# An ad-set- or ad-level export without a campaign column: the ad set or ad is the grain, its campaign unknown.
UNKNOWN_CAMPAIGN = "(campaign not in export)"
_SCIENTIFIC = r"\d(?:[.,]\d+)?[eE]\+\d+"
NO_DATA = "no data available."


def no_data_rows(frame: pd.DataFrame) -> pd.Series:
    """Meta's empty export has one body line, `"No data available."`: a row that holds no data, not a bad row."""
    if frame.empty:
        return pd.Series(False, index=frame.index)
    return frame.iloc[:, 0].str.strip().str.lower().eq(NO_DATA) & (frame.iloc[:, 1:] == "").all(axis=1)


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
    segments: pd.Series | None = None,
) -> tuple[pd.DataFrame, list[Problem], list[str]]:
    """Parse metrics, flag bad rows, and return the canonical frame of the good rows, the problems and notes.

    `text` maps canonical names (entities and metrics) to the file's string columns; `labels` maps canonical
    names back to the file's headers for messages. Blank metrics (`--`) count as zero. Rows that share a day and
    an entity (breakdowns by age, gender, placement; hourly rows; keywords of one ad group: rows whose `segments`
    differ) are summed to the day × entity grain; a row that repeats another's segment is a duplicate, left as it
    is for the table's unique-key check to block.
    """
    labels = labels or {}
    problems: list[Problem] = []
    out = pd.DataFrame(index=days.index)
    out["date_day"] = days
    out["platform"] = platform
    mangled = []
    for name in ENTITIES:
        values = text.get(name, pd.Series("", index=days.index)).fillna("").astype(str).str.strip()
        if name.endswith("_id") and values.str.fullmatch(_SCIENTIFIC).any():
            mangled.append(labels.get(name, name))
            values = values.where(~values.str.fullmatch(_SCIENTIFIC), "")  # 1.20253E+17 names many campaigns: use the name
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
    below_campaign = out[["ad_group_id", "ad_group_name", "ad_id", "ad_name"]].notna().any(axis=1)
    out.loc[no_campaign & below_campaign, ["campaign_id", "campaign_name"]] = UNKNOWN_CAMPAIGN
    flag_rows(problems, no_campaign & ~below_campaign, "campaign", "missing_campaign", "the row names no campaign, ad set or ad")
    no_currency = out["currency"].isna() | (out["currency"] == "")
    flag_rows(problems, no_currency, "currency", "missing_currency", "no currency for the row's money columns")
    # Ids are strings; a missing id falls back to the name so the grain stays unique and joinable.
    for level in ("campaign", "ad_group", "ad"):
        out[f"{level}_id"] = out[f"{level}_id"].fillna(out[f"{level}_name"])
    bad_rows = {p.row - 1 for p in problems}
    good = out.loc[~out.index.isin(bad_rows)].copy()
    good["source_row"] = good.index + 1
    good[["impressions", "clicks"]] = good[["impressions", "clicks"]].round()
    grain = ["date_day", "platform", "account_id", "campaign_id", "ad_group_id", "ad_id", "currency"]
    segment = (segments if segments is not None else pd.Series("", index=out.index)).reindex(good.index).fillna("")
    repeated = good.assign(_segment=segment).duplicated([*grain, "_segment"], keep=False)
    summed = good[~repeated].groupby(grain, dropna=False, sort=False).agg(
        {**{name: "first" for name in ("account_name", "campaign_name", "ad_group_name", "ad_name")},
         **{name: "sum" for name in METRICS}, "source_row": "min"}).reset_index()
    combined = pd.concat([summed, good[repeated]], ignore_index=True)
    notes = [f"summed {len(good):,} rows to {len(combined):,} day × entity rows (breakdowns or hours of one day)"] if len(combined) < len(good) else []
    if mangled:
        notes.append(f"{', '.join(mangled)} written in scientific notation (the file was saved again by a spreadsheet, which rounds "
                     "18-digit ids): those ids are ignored and the names used instead; export the file again to keep the ids")
    return conform(combined, AD_PERFORMANCE), problems, notes


def segment_labels(frame: pd.DataFrame, used: set[str], day_text: pd.Series) -> pd.Series:
    """Per row, what splits an entity's day into segments: the day as written (an hour) and the text of every other
    column that is not a number (age `25-34`, gender, placement, keyword, search term)."""
    columns = []
    for column in frame.columns:
        if column in used:
            continue
        values = frame[column]
        present = values[~blank_mask(values)]
        if len(present) and parse_numbers(present)[1].any():
            columns.append(column)
    label = day_text.astype("string").fillna("")
    for column in columns:  # vectorised: a year of hourly rows is millions of them
        label = label.str.cat(frame[column].astype("string").fillna(""), sep="\x1f")
    return label
