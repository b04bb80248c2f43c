"""Shopify Admin orders export: one row per line item, order fields only on each order's header row.

A continuation row repeats `Name`, `Email`, `Created at` and `Vendor` and leaves the order-level fields
(`Financial Status`, `Currency`, `Subtotal`, `Total`, `Id`) blank: the header row is the one carrying them, and
a duplicate order is two header rows with one `Name`. A `Tip` line item is in `Total` but not in `Subtotal`: it
becomes the order's `tips`, not a line. Timestamps carry the shop's offset (`2025-10-07 09:50:26 +0200`): stored
in UTC, with the shop's calendar day kept as `order_date`. The email becomes `customer_key` here; no name,
address or phone is read at all.
"""

from __future__ import annotations

import pandas as pd

from ecom_pipeline.privacy import hash_emails
from ecom_pipeline.schemas import ORDER_LINES, ORDERS, conform
from ecom_pipeline.sources.common import Columns, FileRejected, ParseResult, Problem, blank_mask, decode, flag_rows, parse_numbers, read_delimited

FAMILY = "shopify_orders"

ALIASES: dict[str, tuple[str, ...]] = {
    "name": ("name",),
    "email": ("email",),
    "financial_status": ("financial status",),
    "fulfillment_status": ("fulfillment status",),
    "accepts_marketing": ("accepts marketing",),
    "currency": ("currency",),
    "subtotal": ("subtotal",),
    "shipping": ("shipping",),
    "taxes": ("taxes",),
    "total": ("total",),
    "discount_code": ("discount code",),
    "discount_amount": ("discount amount",),
    "created_at": ("created at",),
    "quantity": ("lineitem quantity",),
    "line_name": ("lineitem name",),
    "price": ("lineitem price",),
    "sku": ("lineitem sku",),
    "requires_shipping": ("lineitem requires shipping",),
    "line_discount": ("lineitem discount",),
    "cancelled_at": ("cancelled at",),
    "refunded_amount": ("refunded amount",),
    "duties": ("duties",),
    "id": ("id",),
    "source": ("source",),
}

TIMESTAMP_FORMATS = ("%Y-%m-%d %H:%M:%S %z", "ISO8601")
# Filled on an order's header row only; a continuation row leaves every one of them blank.
ORDER_LEVEL = ("financial_status", "currency", "subtotal", "total", "id")


def looks_like(headers: list[str]) -> bool:
    keys = set(headers)
    return {"name", "created at"} <= keys and bool(keys & {"lineitem quantity", "lineitem name"})


def parse(raw: bytes, name: str = "", mtime: float | None = None, default_currency: str | None = None) -> ParseResult:
    text, encoding = decode(raw)
    frame, _, _ = read_delimited(text, looks_like)
    cols = Columns(frame)
    cols.require({"Name": ALIASES["name"], "Created at": ALIASES["created_at"], "Lineitem quantity": ALIASES["quantity"],
                  "Lineitem price": ALIASES["price"]}, "Shopify orders")
    col = {key: cols.get(*aliases) for key, aliases in ALIASES.items()}
    label = {key: cols.find(*aliases) or aliases[0] for key, aliases in ALIASES.items()}
    problems: list[Problem] = []

    order_name = col["name"]
    flag_rows(problems, blank_mask(order_name), label["name"], "missing_order_name", "the row has no order Name")
    order_level = [blank_mask(col[key]) for key in ORDER_LEVEL if cols.find(*ALIASES[key])]
    if not order_level:
        raise FileRejected("Shopify orders file has none of the order-level columns (Financial Status, Currency, Subtotal, Total, Id): "
                           "export the orders again with all columns")
    is_head = ~pd.concat(order_level, axis=1).all(axis=1)
    _refuse_abandoned_checkouts(order_name[is_head], col["id"][is_head], col["financial_status"][is_head])
    duplicate_head = is_head & is_head.groupby(order_name).cumsum().gt(1)
    flag_rows(problems, duplicate_head, label["name"], "duplicate_order", "order {value} appears twice in the file", order_name)
    has_head = is_head.groupby(order_name).transform("any")
    flag_rows(problems, ~has_head & ~blank_mask(order_name), label["name"], "orphan_line",
              "line item of order {value} has no first row with the order's fields", order_name)

    created = _timestamps(col["created_at"])
    flag_rows(problems, is_head & created.isna(), label["created_at"], "bad_timestamp", "'Created at' is not a timestamp: {value!r}", col["created_at"])
    cancelled = _timestamps(col["cancelled_at"])
    flag_rows(problems, cancelled.isna() & ~blank_mask(col["cancelled_at"]), label["cancelled_at"], "bad_timestamp", "'Cancelled at' is not a timestamp: {value!r}", col["cancelled_at"])
    money = {}
    for key in ("subtotal", "shipping", "taxes", "total", "discount_amount", "refunded_amount", "duties", "price", "line_discount", "quantity"):
        money[key], bad = parse_numbers(col[key], decimal=".")
        flag_rows(problems, bad, label[key], "not_a_number", f"{label[key]} is not a number: {{value!r}}", col[key])
    flag_rows(problems, money["quantity"].isna() & ~blank_mask(order_name), label["quantity"], "missing_quantity", "the line item has no quantity")
    flag_rows(problems, money["price"].isna() & ~blank_mask(order_name), label["price"], "missing_price", "the line item has no price")

    problems = _quarantine_whole_orders(problems, order_name)
    bad_rows = {p.row - 1 for p in problems}
    keep = ~frame.index.isin(bad_rows)

    rows_tip = _is_tip(col)
    rows = pd.DataFrame({
        "name": order_name, "is_head": is_head, "created": created, "cancelled": cancelled,
        "order_day": col["created_at"].str.slice(0, 10), "email_key": hash_emails(col["email"].where(~blank_mask(col["email"]))),
        "id": col["id"].where(~blank_mask(col["id"])), "is_tip": rows_tip, **money,
    })[keep]
    heads = rows[rows["is_head"]].set_index("name")
    lines = rows.assign(line_value=rows["price"] * rows["quantity"], merchandise=~rows["is_tip"].astype(bool))
    per_order = lines.groupby("name", sort=False).agg(
        line_value=("line_value", "sum"), line_count=("merchandise", "sum"),
        customer_key=("email_key", "first"), order_id=("id", "first"),
    )
    per_order["tips"] = lines[lines["is_tip"]].groupby("name", sort=False)["line_value"].sum().reindex(per_order.index).fillna(0.0)
    per_order["gross_sales"] = per_order["line_value"] - per_order["tips"]
    head_text = frame.loc[keep & is_head].set_index(order_name[keep & is_head])
    discounts, shipping = _split_discount(per_order["gross_sales"], heads["subtotal"], heads["discount_amount"].fillna(0.0), heads["shipping"].fillna(0.0))
    orders = pd.DataFrame({
        "order_id": per_order["order_id"].fillna(pd.Series(per_order.index.str.lstrip("#"), index=per_order.index)),
        "name": per_order.index,
        "customer_key": per_order["customer_key"],
        "created_timestamp": heads["created"],
        "order_date": pd.to_datetime(heads["order_day"], errors="coerce"),
        "currency": _text(head_text, label["currency"]).fillna(default_currency) if default_currency else _text(head_text, label["currency"]),
        "subtotal": heads["subtotal"],
        "gross_sales": per_order["gross_sales"],
        "discounts": discounts,
        "shipping_charged": shipping,
        "total_tax": heads["taxes"].fillna(0.0),
        "total_price": heads["total"],
        "tips": per_order["tips"],
        "duties": heads["duties"].fillna(0.0),
        "refunded_amount": heads["refunded_amount"].fillna(0.0),
        "financial_status": _text(head_text, label["financial_status"]).str.lower(),
        "fulfillment_status": _text(head_text, label["fulfillment_status"]).str.lower(),
        "cancelled_timestamp": heads["cancelled"],
        "source_name": _text(head_text, label["source"]),
        "discount_codes": _text(head_text, label["discount_code"]),
        "accepts_marketing": _text(head_text, label["accepts_marketing"]).str.lower().map({"yes": True, "no": False, "true": True, "false": False}),
        "line_count": per_order["line_count"],
        "source_row": pd.Series(frame.index[keep & is_head] + 1, index=head_text.index),
    })
    orders["net_sales"] = net_sales(orders)

    line_rows = rows.assign(order_row=frame.index[keep] + 1)
    merchandise = keep & ~rows_tip
    line_rows = line_rows[~line_rows["is_tip"]]
    order_lines = pd.DataFrame({
        "order_id": line_rows["name"].map(orders["order_id"]),
        "order_date": line_rows["name"].map(orders["order_date"]),
        "line_number": line_rows.groupby("name", sort=False).cumcount() + 1,
        "sku": col["sku"][merchandise].replace("", pd.NA),
        "title": col["line_name"][merchandise].replace("", pd.NA),
        "quantity": line_rows["quantity"],
        "price": line_rows["price"],
        "discount": line_rows["line_discount"].fillna(0.0),
        "requires_shipping": _bool_col(frame.loc[merchandise], label["requires_shipping"]),
        "source_row": line_rows["order_row"],
    })
    tables = {"orders": conform(orders.reset_index(drop=True), ORDERS), "order_lines": conform(order_lines, ORDER_LINES)}
    return ParseResult(FAMILY, encoding, tables, rows_read=len(frame), problems=problems)


def _split_discount(gross: pd.Series, subtotal: pd.Series, discount: pd.Series, shipping: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(merchandise discounts, shipping the customer paid). `Discount Amount` holds the order's discounts on its lines
    and on its shipping (a free-shipping code), while `Shipping` is the charge before its discount: what Subtotal
    leaves out of the lines is the merchandise part, the rest came off shipping. Where the parts do not fit, the whole
    amount stays a merchandise discount and the order rules say what does not add up."""
    gross, subtotal, discount, shipping = (x.reindex(gross.index) for x in (gross, subtotal, discount, shipping))
    merchandise = (gross - subtotal).round(2)
    off_shipping = (discount - merchandise).round(2)
    fits = merchandise.ge(-0.005) & off_shipping.ge(-0.005) & off_shipping.le(shipping + 0.005)
    return merchandise.where(fits, discount).clip(lower=0.0), (shipping - off_shipping.where(fits, 0.0).clip(lower=0.0)).round(2)


def _refuse_abandoned_checkouts(names: pd.Series, ids: pd.Series, financial: pd.Series) -> None:
    """Shopify's abandoned-checkouts export has the orders' columns, but no order has a Financial Status and each
    Name is `#` + the checkout's id: loaded as orders, it would count sales that never happened."""
    if len(names) and blank_mask(financial).all() and (names.str.lstrip("#") == ids).mean() > 0.9:
        raise FileRejected("this is Shopify's abandoned checkouts export (no order has a Financial Status; each Name is the checkout's "
                           "id): checkouts are not orders. Export Orders → Export instead")


def net_sales(orders: pd.DataFrame) -> pd.Series:
    """Gross sales − discounts − refunds, refunds applied to merchandise first (then taxes, then shipping), so a full
    refund never takes net sales below zero."""
    return orders["gross_sales"] - orders["discounts"] - orders["refunded_amount"].clip(upper=orders["subtotal"].fillna(0.0))


def _is_tip(col: dict[str, pd.Series]) -> pd.Series:
    """Shopify writes a tip as a line item named `Tip`, without SKU, that requires no shipping."""
    return (col["line_name"].str.lower() == "tip") & blank_mask(col["sku"]) & (col["requires_shipping"].str.lower() != "true")


def _timestamps(values: pd.Series) -> pd.Series:
    blank = blank_mask(values)
    parsed = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns, UTC]")
    for fmt in TIMESTAMP_FORMATS:
        todo = parsed.isna() & ~blank
        if not todo.any():
            break
        parsed[todo] = pd.to_datetime(values[todo], format=fmt, utc=True, errors="coerce")
    return parsed


def _quarantine_whole_orders(problems: list[Problem], order_name: pd.Series) -> list[Problem]:
    """An order with one bad row is held back whole; its other rows are reported too, so no row vanishes."""
    bad_rows = {p.row for p in problems}
    bad_names = {order_name.iloc[row - 1] for row in bad_rows} - {""}
    siblings = order_name[order_name.isin(bad_names)]
    extra = [
        Problem(row=int(index) + 1, column="Name", rule="order_quarantined", message=f"held back with the rest of order {name}, which has a bad row")
        for index, name in siblings.items()
        if int(index) + 1 not in bad_rows
    ]
    return problems + extra


def _text(frame: pd.DataFrame, column: str) -> pd.Series:
    if column not in frame.columns:
        return pd.Series(pd.NA, index=frame.index, dtype="string")
    values = frame[column].astype("string")
    return values.where(values.str.strip() != "")


def _bool_col(frame: pd.DataFrame, column: str) -> pd.Series:
    if column not in frame.columns:
        return pd.Series(pd.NA, index=frame.index, dtype="boolean")
    return frame[column].str.lower().map({"true": True, "false": False, "yes": True, "no": False}).astype("boolean")
