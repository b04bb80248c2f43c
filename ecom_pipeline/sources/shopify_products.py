"""Shopify products export: one row per variant (plus image-only rows); `Cost per item` is the unit cost.

A variant is keyed by handle + option values (most stores have no SKUs, others reuse one SKU across sizes), and
keeps its SKU and the name an order line gives it (`Title - Blue / M`) so that order lines find their cost either way.
`Title` and `Option1 Name` stand only on a product's first row. Image-only rows (a handle and an image, no option
values, no price) describe no variant: counted as skipped, never quarantined. The export has no date of its own:
the snapshot date comes from the file name, else the day before its modification time (`common.file_date`).
"""

from __future__ import annotations

import pandas as pd

from ecom_pipeline.schemas import PRODUCTS, conform
from ecom_pipeline.sources.common import (
    Columns, ParseResult, Problem, blank_mask, decode, file_date, flag_rows, line_names, parse_numbers, read_delimited, variant_keys,
)

FAMILY = "shopify_products"
OPTIONS = ("option1 value", "option2 value", "option3 value")


def looks_like(headers: list[str]) -> bool:
    keys = set(headers)
    return "handle" in keys and bool(keys & {"variant sku", "option1 value"}) and bool(keys & {"variant price", "cost per item"})


def parse(raw: bytes, name: str = "", mtime: float | None = None, default_currency: str | None = None) -> ParseResult:
    text, encoding = decode(raw)
    frame, _, _ = read_delimited(text, looks_like)
    rows_read = len(frame)
    cols = Columns(frame)
    cols.require({"Handle": ("handle",), "Variant Price": ("variant price",)}, "Shopify products")
    snapshot, date_source = file_date(name, mtime)
    options = [cols.get(option) for option in OPTIONS]
    has_options = ~pd.concat([blank_mask(o) for o in options], axis=1).all(axis=1)
    variant = ~(blank_mask(cols.get("variant sku")) & blank_mask(cols.get("variant price")) & ~has_options)
    notes = [f"skipped {int((~variant).sum())} image-only row(s)"] if (~variant).any() else []
    notes.append(f"snapshot date {snapshot} taken from the file's {'name' if date_source == 'filename' else 'modification time'}")
    first_row = {key: cols.get(key).where(~blank_mask(cols.get(key))).groupby(cols.get("handle")).transform("first") for key in ("title", "status")}
    frame, titles, status = frame[variant], first_row["title"][variant], first_row["status"][variant]
    cols = Columns(frame)
    options = [cols.get(option) for option in OPTIONS]
    problems: list[Problem] = []
    price, bad_price = parse_numbers(cols.get("variant price"), decimal=".")
    cost, bad_cost = parse_numbers(cols.get("cost per item"), decimal=".")
    sku = cols.get("variant sku")
    key = variant_keys(cols.get("handle"), options)
    flag_rows(problems, blank_mask(cols.get("handle")), "Handle", "missing_handle", "the variant has no Handle")
    flag_rows(problems, bad_price | price.isna(), "Variant Price", "bad_price", "Variant Price is not a number: {value!r}", cols.get("variant price"))
    flag_rows(problems, bad_cost, "Cost per item", "not_a_number", "Cost per item is not a number: {value!r}", cols.get("cost per item"))
    flag_rows(problems, key.duplicated(keep="first") & (key != ""), "Variant SKU", "duplicate_variant",
              "variant {value} (handle/options) appears on more than one row", key)
    bad = frame.index.isin([p.row - 1 for p in problems])
    out = pd.DataFrame({
        "snapshot_date": pd.Timestamp(snapshot),
        "snapshot_date_source": date_source,
        "variant_key": key,
        "sku": sku.replace("", pd.NA),
        "handle": cols.get("handle"),
        "title": titles,
        "line_name": line_names(titles.fillna(""), options),
        "price": price,
        "unit_cost": cost,  # missing stays missing: never silently zero
        "currency": default_currency,
        "status": status.str.lower(),
        "source_row": frame.index + 1,
    })[~bad]
    return ParseResult(FAMILY, encoding, {"products": conform(out, PRODUCTS)}, rows_read=rows_read, problems=problems, notes=notes,
                       rows_skipped=rows_read - len(frame))
