"""ShipStation-style shipment exports (`Category - Field` headers): one row per item, several per order.

Rows are deduplicated to one per order and tracking number (item rows, multi-package orders, re-imports);
voided labels are kept and flagged so that downstream costs can exclude them.
"""

from __future__ import annotations

import pandas as pd

from ecom_pipeline.schemas import SHIPMENTS, conform
from ecom_pipeline.sources.common import Columns, ParseResult, Problem, blank_mask, decode, flag_rows, parse_dates, parse_numbers, read_delimited

FAMILY = "shipments"

ALIASES: dict[str, tuple[str, ...]] = {
    "order_name": ("order - number", "order number"),
    "order_date": ("date - order date",),
    "shipped_date": ("date - shipped date", "date - ship date"),
    "label_date": ("date - label create date",),
    "delivered_date": ("delivery - date", "date - delivery date"),
    "carrier": ("carrier - name", "carrier - carrier"),
    "service": ("carrier - service selected", "carrier - service"),
    "tracking_number": ("shipment - tracking number", "tracking number"),
    "void": ("shipment - void flag", "shipment - voided"),
    "label_cost": ("amount - shipping cost",),
    "order_shipping_paid": ("amount - order shipping",),
    "is_return": ("return - return label flag",),
    "warehouse": ("operations - warehouse", "ship from - warehouse"),
    "sku": ("item - sku",),
    "quantity": ("item - qty", "item - quantity"),
}

DATE_FORMATS = ("%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %I:%M %p", "%m/%d/%Y %H:%M", "%m/%d/%Y", "ISO8601")
TRUE = {"true", "yes", "y", "1", "t", "x"}


def looks_like(headers: list[str]) -> bool:
    return "order - number" in headers and any(h.startswith("shipment - ") for h in headers)


def parse(raw: bytes, name: str = "", mtime: float | None = None, default_currency: str | None = None) -> ParseResult:
    text, encoding = decode(raw)
    frame, _, _ = read_delimited(text, looks_like)
    cols = Columns(frame)
    cols.require({"Order - Number": ALIASES["order_name"], "Shipment - Tracking Number": ALIASES["tracking_number"]}, "Shipments")
    col = {key: cols.get(*aliases) for key, aliases in ALIASES.items()}
    label = {key: cols.find(*aliases) or aliases[0] for key, aliases in ALIASES.items()}
    problems: list[Problem] = []
    dates = {}
    for key in ("order_date", "shipped_date", "label_date", "delivered_date"):
        dates[key], bad = parse_dates(col[key].str.slice(0, 22), DATE_FORMATS)
        flag_rows(problems, bad, label[key], "bad_date", f"{label[key]} is not a date: {{value!r}}", col[key])
    shipped = dates["shipped_date"].fillna(dates["label_date"])
    flag_rows(problems, shipped.isna() & ~blank_mask(col["order_name"]), label["shipped_date"], "missing_date", "the label has neither a shipped date nor a label date")
    flag_rows(problems, blank_mask(col["order_name"]), label["order_name"], "missing_order", "the row names no order")
    flag_rows(problems, blank_mask(col["tracking_number"]), label["tracking_number"], "missing_tracking", "the row has no tracking number")
    amounts = {}
    for key in ("label_cost", "order_shipping_paid", "quantity"):
        amounts[key], bad = parse_numbers(col[key], decimal=".")
        flag_rows(problems, bad, label[key], "not_a_number", f"{label[key]} is not a number: {{value!r}}", col[key])
    bad_rows = frame.index.isin([p.row - 1 for p in problems])
    rows = pd.DataFrame({
        "order_name": col["order_name"], "tracking_number": col["tracking_number"], "carrier": col["carrier"],
        "service": col["service"], "order_date": dates["order_date"], "shipped_date": shipped,
        "delivered_date": dates["delivered_date"], "label_cost": amounts["label_cost"],
        "order_shipping_paid": amounts["order_shipping_paid"],
        "is_return": col["is_return"].str.lower().isin(TRUE), "voided": col["void"].str.lower().isin(TRUE),
        "warehouse": col["warehouse"], "item_quantity": amounts["quantity"], "sku": col["sku"],
        "source_row": frame.index + 1,
    })[~bad_rows]
    # Item rows repeat the label's cost: take it once per label, never sum it. Exact re-imports collapse too.
    items = rows.drop_duplicates(["order_name", "tracking_number", "sku", "item_quantity", "voided"])
    labels = items.groupby(["order_name", "tracking_number"], sort=False).agg(
        carrier=("carrier", "first"), service=("service", "first"), order_date=("order_date", "first"),
        shipped_date=("shipped_date", "min"), delivered_date=("delivered_date", "max"), label_cost=("label_cost", "max"),
        order_shipping_paid=("order_shipping_paid", "max"), is_return=("is_return", "any"), voided=("voided", "any"),
        warehouse=("warehouse", "first"), item_quantity=("item_quantity", "sum"),
        skus=("sku", lambda s: ",".join(sorted({v for v in s if v}))), source_row=("source_row", "min"),
    ).reset_index()
    for key in ("carrier", "service", "warehouse", "skus"):
        labels[key] = labels[key].replace("", pd.NA)
    duplicates = len(rows) - len(labels)
    notes = [f"collapsed {duplicates} item/duplicate row(s) into {len(labels)} label(s)"] if duplicates else []
    return ParseResult(FAMILY, encoding, {"shipments": conform(labels, SHIPMENTS)}, rows_read=len(frame), problems=problems, notes=notes)
