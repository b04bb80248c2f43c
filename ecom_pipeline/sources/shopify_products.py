"""Shopify products export: one row per variant (plus image-only rows); `Cost per item` is the unit cost.

The export has no date of its own: the snapshot date comes from the file name, else its modification time.
"""

from __future__ import annotations

import pandas as pd

from ecom_pipeline.schemas import PRODUCTS, conform
from ecom_pipeline.sources.common import Columns, ParseResult, Problem, blank_mask, decode, file_date, flag_rows, parse_numbers, read_delimited

FAMILY = "shopify_products"


def looks_like(headers: list[str]) -> bool:
    keys = set(headers)
    return "handle" in keys and "variant sku" in keys and bool(keys & {"variant price", "cost per item"})


def parse(raw: bytes, name: str = "", mtime: float | None = None, default_currency: str | None = None) -> ParseResult:
    text, encoding = decode(raw)
    frame, _, _ = read_delimited(text, looks_like)
    cols = Columns(frame)
    cols.require({"Handle": ("handle",), "Variant SKU": ("variant sku",), "Variant Price": ("variant price",)}, "Shopify products")
    snapshot, date_source = file_date(name, mtime)
    # Image-only rows carry neither SKU nor price: they describe no variant and are not data rows.
    variant = ~(blank_mask(cols.get("variant sku")) & blank_mask(cols.get("variant price")))
    notes = [f"skipped {int((~variant).sum())} image-only row(s)"] if (~variant).any() else []
    notes.append(f"snapshot date {snapshot} taken from the file's {'name' if date_source == 'filename' else 'modification time'}")
    titles = cols.get("title").where(~blank_mask(cols.get("title"))).groupby(cols.get("handle")).transform("first")
    frame, titles = frame[variant], titles[variant]
    cols = Columns(frame)
    problems: list[Problem] = []
    price, bad_price = parse_numbers(cols.get("variant price"), decimal=".")
    cost, bad_cost = parse_numbers(cols.get("cost per item"), decimal=".")
    sku = cols.get("variant sku")
    flag_rows(problems, blank_mask(sku), "Variant SKU", "missing_sku", "the variant has no SKU")
    flag_rows(problems, bad_price | price.isna(), "Variant Price", "bad_price", "Variant Price is not a number: {value!r}", cols.get("variant price"))
    flag_rows(problems, bad_cost, "Cost per item", "not_a_number", "Cost per item is not a number: {value!r}", cols.get("cost per item"))
    flag_rows(problems, sku.duplicated(keep="first") & ~blank_mask(sku), "Variant SKU", "duplicate_sku", "SKU {value} appears on more than one variant", sku)
    bad = frame.index.isin([p.row - 1 for p in problems])
    out = pd.DataFrame({
        "snapshot_date": pd.Timestamp(snapshot),
        "snapshot_date_source": date_source,
        "sku": sku,
        "handle": cols.get("handle"),
        "title": titles,
        "price": price,
        "unit_cost": cost,  # missing stays missing: never silently zero
        "currency": default_currency,
        "status": cols.get("status").str.lower().replace("", pd.NA),
        "source_row": frame.index + 1,
    })[~bad]
    return ParseResult(FAMILY, encoding, {"products": conform(out, PRODUCTS)}, rows_read=len(frame), problems=problems, notes=notes)
