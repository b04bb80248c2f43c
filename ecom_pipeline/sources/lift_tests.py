"""Lift-test readouts: one row per experiment on one campaign, the shape Meta's and Google's conversion-lift results
and a brand's own geo or on/off holdouts give.

    platform, campaign (id or name), start, end, test type, incremental conversions (or lift % with the test
    cell's conversions), a standard error, a confidence interval (90 % unless the header says 95) or Meta's
    "confidence" (the probability the ads caused any lift), spend in the test

The measured effect is read as the conversions the campaign's spend caused over [start, end]; the media-mix model
turns it into its own outcome units and adds it to its likelihood.
"""

from __future__ import annotations

import re

import pandas as pd
from scipy.stats import norm

from ecom_pipeline.schemas import LIFT_TESTS, conform
from ecom_pipeline.sources.common import Columns, ParseResult, Problem, as_text, decode, flag_rows, parse_dates, parse_numbers, read_delimited

FAMILY = "lift_tests"
TEST_TYPES = {"conversion lift": "conversion_lift", "conversion_lift": "conversion_lift", "brand lift": "conversion_lift",
              "geo holdout": "geo_holdout", "geo_holdout": "geo_holdout", "geo": "geo_holdout", "geo experiment": "geo_holdout",
              "on/off": "on_off", "on_off": "on_off", "on off": "on_off", "holdout": "on_off", "pause test": "on_off"}
CAMPAIGN = ("campaign id", "campaign_id", "campaign", "campaign name", "campaign_name")
START = ("start", "start date", "start_date", "test start")
END = ("end", "end date", "end_date", "test end")
TYPE = ("test type", "test_type", "type", "study type")
INCREMENTAL = ("incremental conversions", "incremental_conversions", "incremental purchases", "additional conversions", "conversion lift (incremental)")
CONFIDENCE = ("confidence", "confidence %", "probability of lift")  # Meta's "confidence": P(the ads caused any lift)
LIFT = ("lift %", "lift_pct", "lift", "conversion lift %", "relative lift")
CONVERSIONS = ("test conversions", "test_conversions", "conversions (test)", "conversions")
SE = ("standard error", "standard_error", "se", "std error")
LOW = ("lower", "ci low", "ci_low", "lower bound", "lower bound (90%)", "lower bound (95%)", "ci lower")
HIGH = ("upper", "ci high", "ci_high", "upper bound", "upper bound (90%)", "upper bound (95%)", "ci upper")
SPEND = ("spend", "spend in test", "spend_in_test", "amount spent", "cost")
Z = {90: 1.6449, 95: 1.9600}


def looks_like(headers: list[str]) -> bool:
    keys = set(headers)
    return bool(keys & set(CAMPAIGN)) and bool(keys & set(START)) and bool(keys & set(END)) and bool(keys & (set(INCREMENTAL) | set(LIFT))) \
        and bool(keys & set(TYPE))


def parse(raw: bytes, name: str = "", mtime: float | None = None, default_currency: str | None = None) -> ParseResult:
    text, encoding = decode(raw)
    frame, _, delimiter = read_delimited(text, looks_like)
    cols = Columns(frame)
    cols.require({"campaign": CAMPAIGN, "start": START, "end": END, "test type": TYPE}, "The lift-test")
    decimal = "," if delimiter == ";" else "."
    problems: list[Problem] = []
    start, bad_start = parse_dates(cols.get(*START))
    end, bad_end = parse_dates(cols.get(*END))
    flag_rows(problems, bad_start | start.isna(), cols.find(*START), "bad_date", "the start is not a date: {value!r}", cols.get(*START))
    flag_rows(problems, bad_end | end.isna(), cols.find(*END), "bad_date", "the end is not a date: {value!r}", cols.get(*END))
    flag_rows(problems, (end < start).fillna(False), cols.find(*END), "end_before_start", "the test ends before it starts: {value!r}", cols.get(*END))
    kind = as_text(cols.get(*TYPE)).str.lower().map(TEST_TYPES)
    flag_rows(problems, kind.isna(), cols.find(*TYPE), "unknown_test_type",
              "the test type is not conversion lift, geo holdout or on/off: {value!r}", cols.get(*TYPE))
    numbers = {}
    for label, aliases in (("incremental", INCREMENTAL), ("lift", LIFT), ("conversions", CONVERSIONS), ("se", SE), ("low", LOW), ("high", HIGH),
                           ("confidence", CONFIDENCE), ("spend", SPEND)):
        values, bad = parse_numbers(cols.get(*aliases), default_decimal=decimal)
        flag_rows(problems, bad, cols.find(*aliases), "not_a_number", f"the {label} is not a number: {{value!r}}", cols.get(*aliases))
        numbers[label] = values
    percent = 100.0 if _is_percent(cols, LIFT) else 1.0
    lift = numbers["lift"] / percent
    measured = numbers["incremental"].notna()
    # From a lift: test-cell conversions × lift / (1 + lift) are those the ads caused (its interval by the delta method).
    incremental = numbers["incremental"].where(measured, numbers["conversions"] * lift / (1 + lift))
    flag_rows(problems, incremental.isna(), cols.find(*INCREMENTAL) or cols.find(*LIFT), "no_effect",
              "neither incremental conversions nor a lift % with the test cell's conversions: {value!r}", cols.get(*INCREMENTAL))
    z = Z[95] if any("95" in str(c) for c in (cols.find(*LOW), cols.find(*HIGH)) if c) else Z[90]
    interval_se = (numbers["high"] - numbers["low"]) / (2 * z)
    interval_se = interval_se.where(measured, interval_se / percent * numbers["conversions"] / (1 + lift) ** 2)
    confidence = numbers["confidence"] / (100.0 if _is_percent(cols, CONFIDENCE) or (numbers["confidence"] > 1).any() else 1.0)
    from_confidence = incremental.abs() / pd.Series(norm.ppf(confidence.clip(0.5 + 1e-6, 1 - 1e-9)), index=frame.index)
    se = numbers["se"].fillna(interval_se).fillna(from_confidence.where(confidence > 0.5))
    flag_rows(problems, (se.isna() | (se <= 0)) & incremental.notna(), cols.find(*SE) or cols.find(*LOW) or cols.find(*INCREMENTAL), "no_uncertainty",
              "no standard error or confidence interval, so the test cannot be weighed: {value!r}", cols.get(*SE))
    campaign = as_text(cols.get(*CAMPAIGN))
    flag_rows(problems, campaign == "", cols.find(*CAMPAIGN), "missing_campaign", "the campaign is empty", campaign)
    bad = frame.index.isin([p.row - 1 for p in problems])
    out = pd.DataFrame({
        "end_date": end, "start_date": start, "platform": as_text(cols.get("platform", "channel", "publisher")).str.lower().replace("", pd.NA),
        "campaign": campaign, "test_type": kind, "incremental_conversions": incremental, "standard_error": se, "spend": numbers["spend"],
        "test_name": as_text(cols.get("test name", "study name", "name", "study")).replace("", pd.NA), "source_row": frame.index + 1,
    })[~bad]
    return ParseResult(FAMILY, encoding, {"lift_tests": conform(out, LIFT_TESTS)}, rows_read=len(frame), problems=problems)


def _is_percent(cols: Columns, aliases: tuple[str, ...]) -> bool:
    """Lift written in percent ('12.5', '12.5 %') rather than as a fraction (0.125): the header or a % sign says so."""
    column = cols.find(*aliases)
    if column is None:
        return False
    return bool(re.search(r"%|pct|percent", str(column), re.IGNORECASE)) or bool(as_text(cols.frame[column]).str.contains("%", regex=False).any())

