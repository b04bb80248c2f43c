"""Google Ads report downloads: UI reports (title row, date-range row, quoted thousands, `--`, `Total:` rows,
UTF-8 CSV or UTF-16 LE TSV) and API-shaped files (`segments.date`, `metrics.cost_micros`)."""

from __future__ import annotations

import re

import pandas as pd

from ecom_pipeline.sources.ad_report import build_ad_performance
from ecom_pipeline.sources.common import Columns, FileRejected, ParseResult, decode, parse_dates, read_delimited

FAMILY = "google_ads"

ALIASES: dict[str, tuple[str, ...]] = {
    "date_day": ("day", "date", "segments.date", "tag", "jour", "día"),
    "account_name": ("account", "account name", "customer.descriptive_name", "konto"),
    "account_id": ("customer id", "account id", "customer.id", "kunden-id"),
    "campaign_name": ("campaign", "campaign name", "campaign.name", "kampagne", "campagne", "campaña"),
    "campaign_id": ("campaign id", "campaign.id", "kampagnen-id"),
    "ad_group_name": ("ad group", "ad group name", "ad_group.name", "anzeigengruppe"),
    "ad_group_id": ("ad group id", "ad_group.id", "anzeigengruppen-id"),
    "ad_name": ("ad", "ad name", "ad_group_ad.ad.name"),
    "ad_id": ("ad id", "ad_group_ad.ad.id"),
    "impressions": ("impr.", "impressions", "metrics.impressions", "impressionen"),
    "clicks": ("clicks", "metrics.clicks", "klicks", "clics"),
    "spend": ("cost", "metrics.cost_micros", "kosten", "coût", "costo"),
    "conversions": ("conversions", "metrics.conversions", "conv."),
    "conversions_value": ("conv. value", "conversion value", "metrics.conversions_value", "conv.-wert", "valeur de conv."),
    "currency": ("currency code", "currency", "customer.currency_code", "währungscode", "code de la devise"),
}

_TOTAL_ROW = re.compile(r"^\s*(total|gesamt|totale|totaal|totales|summe)\b.*:", re.IGNORECASE)
_RANGE_ROW = re.compile(r"^\s*\"?([A-Za-z]{3,9} \d{1,2}, \d{4})\s*[-–]\s*([A-Za-z]{3,9} \d{1,2}, \d{4})")


def looks_like(headers: list[str]) -> bool:
    keys = set(headers)
    if "metrics.cost_micros" in keys or ("segments.date" in keys and "campaign.id" in keys):
        return True
    has_campaign = bool(keys & {"campaign", "campaign.name", "kampagne"})
    return has_campaign and bool(keys & {"impr.", "currency code", "conv. value", "kosten"}) and "reporting starts" not in keys


def parse(raw: bytes, name: str = "", mtime: float | None = None, default_currency: str | None = None) -> ParseResult:
    text, encoding = decode(raw)
    frame, header_index, delimiter = read_delimited(text, looks_like)
    notes = []
    report_range = _report_range(text.splitlines()[:header_index])
    first_cells = frame.iloc[:, :3].astype(str).agg(" ".join, axis=1) if len(frame) else pd.Series(dtype=str)
    totals = first_cells.str.match(_TOTAL_ROW) if len(frame) else pd.Series(False, index=frame.index)
    if totals.any():
        notes.append(f"dropped {int(totals.sum())} totals row(s)")
    frame = frame.loc[~totals]
    cols = Columns(frame)
    cols.require({"Campaign": ALIASES["campaign_name"] + ALIASES["campaign_id"], "Cost": ALIASES["spend"]}, "Google Ads")

    day_col = cols.find(*ALIASES["date_day"])
    if day_col is not None:
        days, bad_days = parse_dates(frame[day_col])
    elif report_range and report_range[0] == report_range[1]:
        days, bad_days = pd.Series(pd.Timestamp(report_range[0]), index=frame.index), pd.Series(False, index=frame.index)
        day_col = "date range row"
    elif report_range:
        raise FileRejected(
            f"Google Ads report has no 'Day' column and covers {report_range[0]}..{report_range[1]}: that is not "
            "daily data. Add the Day segment (Segment → Time → Day) and download again."
        )
    else:
        raise FileRejected("Google Ads report has no 'Day' column and no date-range row: the days cannot be known")

    spend_col = cols.find(*ALIASES["spend"])
    micros = spend_col == cols.find("metrics.cost_micros")
    currency = cols.get(*ALIASES["currency"]).replace("", pd.NA)
    if default_currency:
        currency = currency.fillna(default_currency)
    labels = {key: cols.find(*aliases) or key for key, aliases in ALIASES.items()}
    labels["date_day"] = day_col
    texts = {key: cols.get(*aliases) for key, aliases in ALIASES.items() if key not in ("date_day", "currency") and cols.find(*aliases)}
    texts["date_day"] = frame[day_col] if day_col in frame.columns else days.astype(str)
    window = None
    if report_range:
        window = (pd.Series(pd.Timestamp(report_range[0]), index=frame.index), pd.Series(pd.Timestamp(report_range[1]), index=frame.index))
    table, problems = build_ad_performance(
        "google", days, bad_days, texts, currency,
        default_decimal="," if delimiter == ";" else ".",
        spend_scale=1e-6 if micros else 1.0,
        labels=labels,
        window=window,
    )
    return ParseResult(FAMILY, encoding, {"ad_performance": table}, rows_read=len(frame), problems=problems, notes=notes)


def _report_range(preamble: list[str]) -> tuple[str, str] | None:
    for line in preamble:
        match = _RANGE_ROW.match(line)
        if match:
            start, end = (pd.to_datetime(m, format="%B %d, %Y", errors="coerce") for m in match.groups())
            if pd.isna(start):
                start, end = (pd.to_datetime(m, format="%b %d, %Y") for m in match.groups())
            return start.date().isoformat(), end.date().isoformat()
    return None
