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
    meta_ads,
    shipments,
    shopify_inventory,
    shopify_orders,
    shopify_products,
    tiktok_ads,
    touchpoints,
)
from ecom_pipeline.sources.common import FileRejected, ParseResult, Problem, decode, normalise_header, sniff_delimiter

PARSERS = {
    module.FAMILY: module
    for module in (meta_ads, google_ads, tiktok_ads, shopify_orders, shopify_products, shopify_inventory, shipments, touchpoints, fx_rates)
}

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
}

__all__ = ["PARSERS", "FAMILY_TABLES", "FileRejected", "ParseResult", "Problem", "detect", "parse_bytes", "parse_file"]


def detect(raw: bytes) -> tuple[str, str]:
    """(family, encoding) of an export from its first bytes; FileRejected with a reason when unknown."""
    if not raw.strip(b"\x00\r\n\t \xef\xbb\xbf\xff\xfe"):
        raise FileRejected("the file is empty")
    if raw.startswith(b"PAR1"):
        return touchpoints.FAMILY, "parquet"
    if raw.startswith(b"PK\x03\x04"):
        raise FileRejected("this is a zip archive or an Excel workbook (XLSX), whatever its name says: export or save it as CSV")
    text, encoding = decode(raw[:65536] if not raw.startswith((b"\xff\xfe", b"\xfe\xff")) else raw[:65536 - (65536 % 2)])
    stripped = text.lstrip()
    if stripped.startswith("{"):
        first = stripped.splitlines()[0]
        try:
            record = json.loads(first)
        except json.JSONDecodeError:
            raise FileRejected("the file starts like JSON lines but its first line is not valid JSON") from None
        if touchpoints.looks_like_record(record):
            return touchpoints.FAMILY, encoding
        raise FileRejected(f"JSON lines with fields {sorted(record)[:8]} match no known export (touchpoints need event_name and event_timestamp)")
    for line in text.splitlines()[:15]:
        headers = [normalise_header(c) for c in next(csv.reader([line], delimiter=sniff_delimiter(line)), [])]
        for family, module in PARSERS.items():
            if module.looks_like(headers):
                return family, encoding
    first = text.splitlines()[0][:120] if text.splitlines() else ""
    raise FileRejected(f"no known export matches this file's header (first line: {first!r})")


def parse_bytes(raw: bytes, name: str = "", mtime: float | None = None, default_currency: str | None = None,
                shop_timezone: str | None = None) -> ParseResult:
    """Detect the family and parse; FileRejected when the file as a whole cannot be used. Web events are dated in
    `shop_timezone` (the other exports carry their own day)."""
    family, _ = detect(raw)
    dated = {"shop_timezone": shop_timezone} if family == touchpoints.FAMILY else {}
    try:
        return PARSERS[family].parse(raw, name=name, mtime=mtime, default_currency=default_currency, **dated)
    except FileRejected:
        raise
    except (UnicodeDecodeError, csv.Error, ValueError) as error:
        raise FileRejected(f"the {family} file could not be read: {error}") from error


def parse_file(path: str | Path, default_currency: str | None = None, shop_timezone: str | None = None) -> ParseResult:
    path = Path(path)
    return parse_bytes(path.read_bytes(), name=path.name, mtime=path.stat().st_mtime, default_currency=default_currency, shop_timezone=shop_timezone)
