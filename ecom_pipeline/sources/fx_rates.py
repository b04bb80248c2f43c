"""A dated exchange-rate table dropped into the landing folder: `date, currency, rate` (CSV), where `rate` is
how many units of the shop's reporting currency one unit of `currency` buys on that day."""

from __future__ import annotations

import pandas as pd

from ecom_pipeline.schemas import FX_RATES, conform
from ecom_pipeline.sources.common import Columns, ParseResult, Problem, decode, flag_rows, parse_dates, parse_numbers, read_delimited

FAMILY = "fx_rates"
RATE = ("rate", "fx_rate", "exchange_rate", "rate_to_reporting")


def looks_like(headers: list[str]) -> bool:
    keys = set(headers)
    return "currency" in keys and bool(keys & {"date", "day"}) and bool(keys & set(RATE))


def parse(raw: bytes, name: str = "", mtime: float | None = None, default_currency: str | None = None) -> ParseResult:
    text, encoding = decode(raw)
    frame, _, delimiter = read_delimited(text, looks_like)
    cols = Columns(frame)
    problems: list[Problem] = []
    days, bad_days = parse_dates(cols.get("date", "day"))
    flag_rows(problems, bad_days | days.isna(), cols.find("date", "day"), "bad_date", "the date is not a date: {value!r}", cols.get("date", "day"))
    rates, bad_rates = parse_numbers(cols.get(*RATE), default_decimal="," if delimiter == ";" else ".")
    flag_rows(problems, bad_rates | rates.isna(), cols.find(*RATE), "not_a_number", "the rate is not a number: {value!r}", cols.get(*RATE))
    currency = cols.get("currency").str.upper()
    flag_rows(problems, ~currency.str.fullmatch(r"[A-Z]{3}").fillna(False).astype(bool), "currency", "bad_currency", "not a three-letter currency code: {value!r}", currency)
    bad = frame.index.isin([p.row - 1 for p in problems])
    out = pd.DataFrame({"date": days, "currency": currency, "rate": rates, "source_row": frame.index + 1})[~bad]
    return ParseResult(FAMILY, encoding, {"fx_rates": conform(out, FX_RATES)}, rows_read=len(frame), problems=problems)
