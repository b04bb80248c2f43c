"""ShipStation exports: the Shipments layout (`Category - Field` headers, one row per item, several per order) and
the Orders grid's "export current view" (`Order #, Store, Age, Order Date, …, Ship Date, …, Rate, Service, Tags`).

Shipments rows are deduplicated to one per order and tracking number (item rows, multi-package orders,
re-imports); voided labels are kept and flagged so that downstream costs can exclude them. In the Orders grid
`Rate` is the label cost and an order is one label (the grid has no tracking number); an order not shipped yet has
no label: skipped and counted. Orders of other stores (TikTok Shop, Walmart…) are kept with their `store`; they
match no shop order downstream, and are counted there.

The ShipStation API's shipments, one JSON object a line as the ShipStation pull lands them, load through the
Shipments path: each field is a column of that export under another name, one row per shipment item.
"""

from __future__ import annotations

import pandas as pd

from ecom_pipeline.schemas import SHIPMENTS, conform
from ecom_pipeline.sources.common import (
    Columns, ParseResult, Problem, blank_mask, decode, flag_rows, json_records, normalise_header, parse_dates, parse_numbers, read_delimited,
)

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
    "store": ("store - name", "store"),
    "item_name": ("item - name", "item - description"),
}
GRID = {
    "order_name": ("order #",), "store": ("store",), "order_date": ("order date",), "shipped_date": ("ship date",),
    "label_cost": ("rate",), "order_shipping_paid": ("shipping paid",), "service": ("service",), "sku": ("item sku",),
    "quantity": ("quantity",), "carrier": ("carrier",), "tracking_number": ("tracking #", "tracking number"), "item_name": ("item name",),
}
NO_TRACKING = "(not in export)"
# ShipStation API shipment field -> the Shipments export's header for the same column.
API_FIELDS = {
    "orderNumber": "Order - Number", "createDate": "Date - Label Create Date", "shipDate": "Date - Ship Date", "carrierCode": "Carrier - Name",
    "serviceCode": "Carrier - Service Selected", "trackingNumber": "Shipment - Tracking Number", "voided": "Shipment - Void Flag",
    "shipmentCost": "Amount - Shipping Cost", "isReturnLabel": "Return - Return Label Flag", "warehouseId": "Operations - Warehouse",
}


def looks_like_api_record(record: dict) -> bool:
    """A shipment of the API (`GET /shipments`): its id, ship date and tracking number."""
    return {"shipmentId", "shipDate", "trackingNumber"} <= set(record)


def api_frame(text: str) -> pd.DataFrame:
    """API shipments (a JSON object a line) as the Shipments export of the same labels: a row per shipment item."""
    rows = []
    for record in json_records(text, "ShipStation shipments"):
        label = {header: "" if record.get(field) is None else str(record[field]).lower() if isinstance(record[field], bool) else str(record[field])
                 for field, header in API_FIELDS.items()}
        items = record.get("shipmentItems") or [{}]
        rows += [{**label, "Item - SKU": str(item.get("sku") or ""), "Item - Name": str(item.get("name") or ""),
                  "Item - Qty": str(item.get("quantity") if item.get("quantity") is not None else "")} for item in items]
    columns = [*API_FIELDS.values(), "Item - SKU", "Item - Name", "Item - Qty"]
    return pd.DataFrame(rows, columns=columns, dtype="string").fillna("")

DATE_FORMATS = ("%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %I:%M %p", "%m/%d/%Y %H:%M", "%m/%d/%Y", "ISO8601")
TRUE = {"true", "yes", "y", "1", "t", "x"}


def looks_like(headers: list[str]) -> bool:
    return ("order - number" in headers and any(h.startswith("shipment - ") for h in headers)) or _is_grid(headers)


def _is_grid(headers: list[str]) -> bool:
    return {"order #", "ship date", "rate"} <= set(headers) and bool(set(headers) & {"store", "service", "item name"})


def parse(raw: bytes, name: str = "", mtime: float | None = None, default_currency: str | None = None) -> ParseResult:
    text, encoding = decode(raw)
    frame = api_frame(text) if text.lstrip().startswith("{") else read_delimited(text, looks_like)[0]
    if _is_grid([normalise_header(c) for c in frame.columns]):
        return _parse_grid(frame, encoding)
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
        "warehouse": col["warehouse"], "item_quantity": amounts["quantity"], "sku": col["sku"], "store": col["store"],
        "item": col["sku"].where(~blank_mask(col["sku"]), col["item_name"]), "source_row": frame.index + 1,
    })[~bad_rows]
    return _labels(rows, len(frame), problems, encoding, [])


def _parse_grid(frame: pd.DataFrame, encoding: str) -> ParseResult:
    """The Orders grid: one row per order item, `Rate` the order's label cost; unshipped orders have no label yet."""
    cols = Columns(frame)
    col = {key: cols.get(*aliases) for key, aliases in GRID.items()}
    label = {key: cols.find(*aliases) or aliases[0] for key, aliases in GRID.items()}
    problems: list[Problem] = []
    flag_rows(problems, blank_mask(col["order_name"]), label["order_name"], "missing_order", "the row names no order")
    dates = {}
    for key in ("order_date", "shipped_date"):
        dates[key], bad = parse_dates(col[key].str.slice(0, 22), DATE_FORMATS)
        flag_rows(problems, bad, label[key], "bad_date", f"{label[key]} is not a date: {{value!r}}", col[key])
    amounts = {}
    for key in ("label_cost", "order_shipping_paid", "quantity"):
        amounts[key], bad = parse_numbers(col[key], decimal=".")
        flag_rows(problems, bad, label[key], "not_a_number", f"{label[key]} is not a number: {{value!r}}", col[key])
    awaiting = blank_mask(col["shipped_date"]) & ~frame.index.isin([p.row - 1 for p in problems])
    bad_rows = frame.index.isin([p.row - 1 for p in problems])
    tracking = col["tracking_number"].where(~blank_mask(col["tracking_number"]), NO_TRACKING)
    rows = pd.DataFrame({
        "order_name": col["order_name"], "tracking_number": tracking, "carrier": col["carrier"], "service": col["service"],
        "order_date": dates["order_date"], "shipped_date": dates["shipped_date"], "delivered_date": pd.NaT,
        "label_cost": amounts["label_cost"], "order_shipping_paid": amounts["order_shipping_paid"], "is_return": False, "voided": False,
        "warehouse": "", "item_quantity": amounts["quantity"], "sku": col["sku"], "store": col["store"],
        "item": col["sku"].where(~blank_mask(col["sku"]), col["item_name"]), "source_row": frame.index + 1,
    })[~bad_rows & ~awaiting]
    notes = [f"{int(awaiting.sum())} item row(s) of orders not shipped yet (no Ship Date): no label to load"] if awaiting.any() else []
    return _labels(rows, len(frame), problems, encoding, notes, skipped=int(awaiting.sum()))


def _labels(rows: pd.DataFrame, rows_read: int, problems: list[Problem], encoding: str, notes: list[str], skipped: int = 0) -> ParseResult:
    # Item rows repeat the label's cost: take it once per label, never sum it. Exact re-imports collapse too.
    items = rows.drop_duplicates(["order_name", "tracking_number", "item", "item_quantity", "voided"])
    labels = items.groupby(["order_name", "tracking_number"], sort=False).agg(
        carrier=("carrier", "first"), service=("service", "first"), order_date=("order_date", "first"),
        shipped_date=("shipped_date", "min"), delivered_date=("delivered_date", "max"), label_cost=("label_cost", "max"),
        order_shipping_paid=("order_shipping_paid", "max"), is_return=("is_return", "any"), voided=("voided", "any"),
        warehouse=("warehouse", "first"), item_quantity=("item_quantity", "sum"), store=("store", "first"),
        skus=("sku", lambda s: ",".join(sorted({v for v in s if v}))), source_row=("source_row", "min"),
    ).reset_index()
    for key in ("carrier", "service", "warehouse", "skus", "store"):
        labels[key] = labels[key].replace("", pd.NA)
    duplicates = len(rows) - len(labels)
    notes = notes + ([f"collapsed {duplicates} item/duplicate row(s) into {len(labels)} label(s)"] if duplicates else [])
    return ParseResult(FAMILY, encoding, {"shipments": conform(labels, SHIPMENTS)}, rows_read=rows_read, problems=problems, notes=notes,
                       rows_skipped=skipped)
