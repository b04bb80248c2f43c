"""Parsers for the vendor exports a brand drops into the landing folder, and detection of which is which.

The family is detected from the content (encoding sniffing, header signature), never from the file name.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

from ecom_pipeline.sources import (
    fx_rates,
    google_ads,
    lift_tests,
    meta_ads,
    shipments,
    shopify_inventory,
    shopify_orders,
    shopify_products,
    tiktok_ads,
    touchpoints,
    woocommerce_orders,
    workbook,
)
from ecom_pipeline.privacy import redact
from ecom_pipeline.sources.common import FileRejected, ParseResult, Problem, decode, normalise_header, sniff_delimiter

# Detection order matters only where signatures could overlap; each module's FAMILY names the tables it fills
# (WooCommerce orders are a layout of the store-orders family, beside Shopify's).
MODULES = (meta_ads, google_ads, tiktok_ads, shopify_orders, woocommerce_orders, shopify_products, shopify_inventory, shipments,
           touchpoints, fx_rates, lift_tests)
LOCAL_TIME_MODULES = (touchpoints, woocommerce_orders)  # dated in the shop's time zone: their files carry no offset
# Raised whenever parsing changes what an export's tables hold (2: real layouts, issue 12; 3: a snapshot without a
# date in its name is the day before its export). Exports registered by an older version are parsed again from their
# archived copy (`Registry.reparse_outdated`).
PARSER_VERSION = 3

# Which canonical tables each family fills.
FAMILY_TABLES = {
    "meta_ads": ("ad_performance",),
    "google_ads": ("ad_performance",),
    "tiktok_ads": ("ad_performance",),
    "shopify_orders": ("orders", "order_lines"),
    "shopify_products": ("products",),
    "shopify_inventory": ("inventory_levels",),
    "shipments": ("shipments",),
    "touchpoints": ("touchpoints",),
    "fx_rates": ("fx_rates",),
    "lift_tests": ("lift_tests",),
}

__all__ = ["MODULES", "PARSER_VERSION", "FAMILY_TABLES", "FileRejected", "ParseResult", "Problem", "detect", "parse_bytes", "parse_file"]


def detect(raw: bytes) -> tuple[str, str]:
    """(family, encoding) of an export from its first bytes; FileRejected with a reason when unknown."""
    module, encoding = _detect(raw)
    return module.FAMILY, encoding


def _detect(raw: bytes):
    """(parser module, encoding) of an export."""
    if not raw.strip(b"\x00\r\n\t \xef\xbb\xbf\xff\xfe"):
        raise FileRejected("the file is empty")
    if raw.startswith(b"PAR1"):
        return touchpoints, "parquet"
    if workbook.is_zip(raw):
        module, _ = _detect(workbook.workbook_csv(raw))
        return module, "xlsx"
    text, encoding = decode(raw[:65536] if not raw.startswith((b"\xff\xfe", b"\xfe\xff")) else raw[:65536 - (65536 % 2)])
    stripped = text.lstrip()
    if stripped.startswith("{"):
        first = stripped.splitlines()[0]
        try:
            record = json.loads(first)
        except json.JSONDecodeError:
            raise FileRejected("the file starts like JSON lines but its first line is not valid JSON") from None
        if touchpoints.looks_like_record(record):
            return touchpoints, encoding
        if meta_ads.looks_like_api_record(record):
            return meta_ads, encoding
        if shipments.looks_like_api_record(record):
            return shipments, encoding
        raise FileRejected(f"JSON lines with fields {sorted(record)[:8]} match no known export (web events need event_name and event_timestamp; Meta insights date_start, spend and an id)")
    lines = text.splitlines()
    for line in lines[:15]:
        headers = [normalise_header(c) for c in next(csv.reader([line], delimiter=sniff_delimiter(line)), [])]
        # Reports people drop by mistake first: their signatures are narrow (an Amazon report has TikTok's `Ad Group Name`).
        for known, matches, advice in KNOWN_UNSUPPORTED:
            if matches(set(headers), lines):
                raise FileRejected(f"this is {known}, which the pipeline does not read: {advice}")
        for module in MODULES:
            if module.looks_like(headers):
                return module, encoding
    first = redact(lines[0][:120]) if lines else ""
    raise FileRejected(f"no known export matches this file's header (first line: {first!r})")


# Reports people drop by mistake: named, with what to export instead (FORMATS.md, "Out of scope for now").
KNOWN_UNSUPPORTED = (
    ("a Google Ads Editor export (campaign settings, no daily metrics)",
     lambda h, _: "campaign" in h and bool(h & {"campaign type", "bid strategy type", "networks"}) and not h & {"impr.", "impressions", "cost", "clicks"},
     "download the Campaign report from Google Ads → Reports with the Day segment"),
    ("a Google Ads time-series card download (account totals, no campaign)",
     lambda h, _: bool(h & {"fecha", "day", "date", "tag", "jour"}) and bool(h & {"costo", "cost", "kosten", "coût"}) and bool(h & {"clics", "clicks", "klicks"})
     and not h & {"campaign", "campaña", "kampagne", "campagne", "campaign name"},
     "download the Campaign report with the Day segment instead, so spend has its campaign"),
    ("a Google Analytics 4 report download (aggregated tables)",
     lambda h, lines: bool(lines) and lines[0].startswith("# ") and any("property" in line.lower() or "start date" in line.lower() for line in lines[:8]),
     "web touchpoints come from GA4's BigQuery export (events) or your pixel's event file"),
    ("a Klaviyo campaign report", lambda h, _: bool(h & {"total recipients", "unique opens", "open rate"}) and "campaign name" in h,
     "email campaigns are not ad spend; the touches they drive arrive with their UTM tags in your web events"),
    ("an Amazon Ads report", lambda h, _: bool(h & {"portfolio name", "7 day total sales", "advertised sku", "advertised asin"}),
     "Amazon Ads is not supported yet"),
    ("a Shopify Analytics report (sessions or visitors over time)",
     lambda h, _: bool(h & {"online store visitors", "sessions that reached checkout", "sessions with cart additions", "session country",
                            "referrer source", "new or returning customer"}),
     "web touchpoints come from your pixel's event file or GA4's BigQuery export; orders from Orders → Export"),
    ("an Awin affiliate report", lambda h, _: bool(h & {"publisher_id", "publisherid"}) and bool(h & {"commission", "sale_amount", "publisher_name"}),
     "affiliate networks are not supported yet"),
    ("a Shopify customers export", lambda h, _: "email" in h and len(h & {"customer id", "accepts email marketing", "accepts sms marketing",
                                                                              "total spent", "total orders"}) >= 2,
     "the orders export already carries each customer (hashed); drop the orders export instead"),
)


def parse_bytes(raw: bytes, name: str = "", mtime: float | None = None, default_currency: str | None = None,
                shop_timezone: str | None = None) -> ParseResult:
    """Detect the family and parse; FileRejected when the file as a whole cannot be used. Web events are dated in
    `shop_timezone` (the other exports carry their own day)."""
    container = "xlsx" if workbook.is_zip(raw) else None
    if container:
        raw = workbook.workbook_csv(raw)
    module, _ = _detect(raw)
    dated = {"shop_timezone": shop_timezone or "UTC"} if module in LOCAL_TIME_MODULES else {}
    try:
        result = module.parse(raw, name=name, mtime=mtime, default_currency=default_currency, **dated)
        result.encoding = container or result.encoding
        if result.rows_read == 0:
            result.notes.append("the file has a header but no data rows")
        return result
    except FileRejected:
        raise
    except (UnicodeDecodeError, csv.Error, ValueError) as error:
        raise FileRejected(f"the {module.FAMILY} file could not be read: {error}") from error


def parse_file(path: str | Path, default_currency: str | None = None, shop_timezone: str | None = None) -> ParseResult:
    path = Path(path)
    return parse_bytes(path.read_bytes(), name=path.name, mtime=path.stat().st_mtime, default_currency=default_currency, shop_timezone=shop_timezone)
