"""Google Ads report downloads: UI reports (title row, date-range row, quoted thousands, `--`, `Total:` rows,
UTF-8 CSV or UTF-16 LE TSV) and API-shaped files (`segments.date`, `metrics.cost_micros`)."""

from __future__ import annotations

import re

import pandas as pd

from ecom_pipeline.sources.ad_report import build_ad_performance, segment_labels
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

_TOTAL_LABEL = re.compile(r"^\s*(total|gesamt|totale|totaal|totales|summe)\b.*:", re.IGNORECASE)
# The date line's forms: "March 27, 2026 - April 23, 2026", "27 January 2026 - 23 February 2026", "Oct 25, 2016-Oct 31,
# 2016" (inside the title line: "Ad report (Oct 25, 2016-Oct 31, 2016)"), "All time".
_DAY = r"(?:[A-Za-z]{3,9}\.? \d{1,2}, \d{4}|\d{1,2} [A-Za-z]{3,9}\.? \d{4})"
_RANGE = re.compile(rf"({_DAY})\s*[-–]\s*({_DAY})")
_RANGE_FORMATS = ("%B %d, %Y", "%b %d, %Y", "%d %B %Y", "%d %b %Y")
ALL_TIME = "all time"
HOW_TO_ADD_DAY = ("add the Day segment (in the report: Segment → Time → Day; in the report editor: drag Day into the rows) "
                  "and download again")


def looks_like(headers: list[str]) -> bool:
    keys = set(headers)
    if "metrics.cost_micros" in keys or ("segments.date" in keys and "campaign.id" in keys):
        return True
    has_campaign = bool(keys & {"campaign", "campaign.name", "kampagne"})
    return has_campaign and bool(keys & {"impr.", "currency code", "conv. value", "kosten"}) and "reporting starts" not in keys


def parse(raw: bytes, name: str = "", mtime: float | None = None, default_currency: str | None = None) -> ParseResult:
    text, encoding = decode(raw)
    frame, header_index, delimiter = read_delimited(text, looks_like)
    rows_read = len(frame)
    preamble = text.splitlines()[:header_index]
    report_range = _report_range(preamble)
    # `Total: Account`, `Total: Campaigns`…, the label in any of the first columns.
    totals = frame.iloc[:, :4].apply(lambda column: column.str.match(_TOTAL_LABEL)).any(axis=1) if len(frame) else pd.Series(False, index=frame.index)
    notes = [f"skipped {int(totals.sum())} totals row(s)"] if totals.any() else []
    frame = frame.loc[~totals]
    cols = Columns(frame)
    cols.require({"Campaign": ALIASES["campaign_name"] + ALIASES["campaign_id"], "Cost": ALIASES["spend"]}, "Google Ads")

    day_col = cols.find(*ALIASES["date_day"])
    if day_col is not None:
        days, bad_days = parse_dates(frame[day_col])
    elif report_range and report_range != ALL_TIME and report_range[0] == report_range[1]:
        days, bad_days = pd.Series(pd.Timestamp(report_range[0]), index=frame.index), pd.Series(False, index=frame.index)
        day_col = "date range row"
    else:
        title = next((line.strip().strip('"') for line in preamble if line.strip()), "the report")
        covers = ("all time" if report_range == ALL_TIME else f"{report_range[0]}..{report_range[1]}") if report_range else "a range it does not state"
        raise FileRejected(f"Google Ads report {title!r} has no 'Day' column and covers {covers}: its rows are totals over "
                           f"that range, not daily data. To load it, {HOW_TO_ADD_DAY}.")
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
    if report_range and report_range != ALL_TIME:
        window = (pd.Series(pd.Timestamp(report_range[0]), index=frame.index), pd.Series(pd.Timestamp(report_range[1]), index=frame.index))
    used = {labels[key] for key in ALIASES if cols.find(*ALIASES[key])}
    day_text = frame[day_col] if day_col in frame.columns else pd.Series("", index=frame.index)
    table, problems, summed = build_ad_performance(
        "google", days, bad_days, texts, currency, segments=segment_labels(frame, used, day_text),
        default_decimal="," if delimiter == ";" else ".",
        spend_scale=1e-6 if micros else 1.0,
        labels=labels,
        window=window,
    )
    return ParseResult(FAMILY, encoding, {"ad_performance": table}, rows_read=rows_read, problems=problems, notes=notes + summed,
                       rows_skipped=int(totals.sum()))


def _report_range(preamble: list[str]) -> tuple[str, str] | str | None:
    """(first, last) ISO days of the report's date line (or a range in its title), ALL_TIME, or None."""
    for line in preamble:
        if line.strip().strip('"').strip().lower() == ALL_TIME:
            return ALL_TIME
        match = _RANGE.search(line)
        if match:
            return tuple(_day(text) for text in match.groups())
    return None


def _day(text: str) -> str:
    text = re.sub(r"\bSept\b", "Sep", text.replace(".", ""))
    for fmt in _RANGE_FORMATS:
        parsed = pd.to_datetime(text, format=fmt, errors="coerce")
        if pd.notna(parsed):
            return parsed.date().isoformat()
    raise FileRejected(f"the report's date line has a date that cannot be read: {text!r}")
