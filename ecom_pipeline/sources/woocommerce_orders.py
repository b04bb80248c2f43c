"""WooCommerce orders, in the two downloads a store has: the order-export plugin layout (`order_id, order_number,
order_date, …, order_total, order_currency, customer_email, billing_*`, line items as `line_item_N` cells of
pipe-delimited `key:value` pairs) and Analytics → Orders (`Date, Order #, N. Revenue (formatted), Status, Customer,
Customer type, Product(s), Items sold, Coupon(s), Net Sales, Attribution`).

Both land in the same canonical `orders` and `order_lines` tables as Shopify's (the store-orders family), so
everything downstream works for a WooCommerce brand. WooCommerce writes local times without an offset: they are
read in the shop's time zone. The email becomes `customer_key`; no name, address, phone or IP is read. The
store's own order attribution (`Organic: Google`, `Source: Instagram`, or the `_wc_order_attribution_*` meta
columns) is kept as the order's attribution: a touch of its own for an order no web event explains.
"""

from __future__ import annotations

import re

import pandas as pd

from ecom_pipeline.privacy import hash_emails
from ecom_pipeline.schemas import ORDER_LINES, ORDERS, conform
from ecom_pipeline.sources.common import Columns, ParseResult, Problem, blank_mask, decode, flag_rows, parse_numbers, read_delimited
from ecom_pipeline.sources.shopify_orders import net_sales

FAMILY = "shopify_orders"  # the store-orders family: same tables, same assets, whichever platform wrote them
LAYOUT = "woocommerce"

PLUGIN = {"order_id", "order_number", "order_date", "order_total"}
ANALYTICS = {"date", "order #", "status", "product(s)", "net sales"}
# WooCommerce status -> (Shopify-style financial status, fulfillment status).
STATUS = {
    "completed": ("paid", "fulfilled"), "processing": ("paid", "unfulfilled"), "on-hold": ("pending", "unfulfilled"),
    "pending": ("pending", "unfulfilled"), "refunded": ("refunded", "fulfilled"), "cancelled": ("voided", "unfulfilled"),
    "failed": ("voided", "unfulfilled"), "checkout-draft": ("pending", "unfulfilled"),
}
_ITEMS = re.compile(r"^(?:items:)?(?:id:\d+\|)?name:", re.IGNORECASE)
_PRODUCT = re.compile(r"^\s*(\d+)\s*[×x]\s*(.+?)\s*$")


def looks_like(headers: list[str]) -> bool:
    keys = set(headers)
    return PLUGIN <= keys or ANALYTICS <= keys


def parse(raw: bytes, name: str = "", mtime: float | None = None, default_currency: str | None = None,
          shop_timezone: str = "UTC") -> ParseResult:
    text, encoding = decode(raw)
    frame, _, _ = read_delimited(text, looks_like)
    headers = {str(c).strip().lower() for c in frame.columns}
    if PLUGIN <= headers:
        return _plugin(frame, encoding, default_currency, shop_timezone)
    return _analytics(frame, encoding, default_currency, shop_timezone)


def _plugin(frame: pd.DataFrame, encoding: str, default_currency: str | None, timezone: str) -> ParseResult:
    cols = Columns(frame)
    problems: list[Problem] = []
    created = _local_times(cols.get("order_date"), timezone)
    flag_rows(problems, created.isna(), cols.find("order_date"), "bad_timestamp", "order_date is not a timestamp: {value!r}", cols.get("order_date"))
    money = {}
    for key in ("shipping_total", "shipping_tax_total", "fee_total", "fee_tax_total", "tax_total", "cart_discount", "discount_total", "order_total", "order_refund", "refund_total"):
        money[key], bad = parse_numbers(cols.get(key), decimal=".")
        flag_rows(problems, bad, cols.find(key) or key, "not_a_number", f"{key} is not a number: {{value!r}}", cols.get(key))
    items = [c for c in frame.columns if str(c).lower().startswith("line_item_") or frame[c].str.match(_ITEMS).any()]
    lines = []
    for position, column in enumerate(items):
        for index, cell in frame[column].items():
            if cell:
                fields = _pairs(cell)
                lines.append({"row": index, "slot": position, "title": fields.get("name"), "sku": fields.get("sku") or None,
                              "quantity": fields.get("quantity", ""), "subtotal": fields.get("subtotal", fields.get("sub_total", fields.get("total", ""))),
                              "total": fields.get("total", "")})
    line_frame = pd.DataFrame(lines, columns=["row", "slot", "title", "sku", "quantity", "subtotal", "total"])
    for key in ("quantity", "subtotal", "total"):
        values, bad = parse_numbers(line_frame[key].astype("string").fillna(""), decimal=".")
        line_frame[key] = values
        bad_rows = line_frame.loc[bad.to_numpy(), "row"]
        problems += [Problem(row=int(r) + 1, column="line items", rule="not_a_number", message=f"a line item's {key} is not a number") for r in bad_rows]
    no_lines = pd.Series(~frame.index.isin(line_frame["row"]), index=frame.index)
    flag_rows(problems, no_lines, "line items", "missing_lines", "the order has no line items")
    fees = money["fee_total"].fillna(0.0)
    gross = line_frame.groupby("row")["subtotal"].sum().reindex(frame.index).fillna(0.0) + fees
    discounts = money["discount_total"].fillna(money["cart_discount"]).fillna(0.0)
    status = cols.get("status").str.lower().str.removeprefix("wc-")
    refund_items = cols.get("refund_items")
    listed = pd.Series(float("nan"), index=frame.index)
    present = ~blank_mask(refund_items)
    listed[present] = refund_items[present].map(_refund_amount).astype(float)
    refunded = money["order_refund"].fillna(money["refund_total"]).fillna(listed).fillna(money["order_total"].where(status == "refunded", 0.0)).fillna(0.0)
    email = cols.get("customer_email").where(~blank_mask(cols.get("customer_email")), cols.get("billing_email"))
    orders = pd.DataFrame({
        "order_id": cols.get("order_id"), "name": "#" + cols.get("order_number").where(~blank_mask(cols.get("order_number")), cols.get("order_id")),
        "customer_key": hash_emails(email.where(~blank_mask(email))),
        "created_timestamp": created, "order_date": _shop_day(created, timezone),
        "currency": _or_default(cols.get("order_currency").str.upper().replace("", pd.NA), default_currency),
        "subtotal": gross - discounts, "gross_sales": gross, "discounts": discounts,
        "shipping_charged": money["shipping_total"].fillna(0.0),
        "total_tax": money["tax_total"].fillna(0.0) + money["shipping_tax_total"].fillna(0.0) + money["fee_tax_total"].fillna(0.0),
        "total_price": money["order_total"], "tips": 0.0, "duties": 0.0, "refunded_amount": refunded,
        "financial_status": status.map(lambda s: STATUS.get(s, (s, None))[0]),
        "fulfillment_status": status.map(lambda s: STATUS.get(s, (None, "unfulfilled"))[1]),
        "cancelled_timestamp": created.where(status.isin(["cancelled", "failed"])),
        "source_name": cols.get("created_via").replace("", pd.NA).fillna(LAYOUT),
        "discount_codes": cols.get("coupon_items").map(_coupon_codes),
        "accepts_marketing": pd.NA,
        "line_count": line_frame.groupby("row").size().reindex(frame.index).fillna(0).astype(int),
        "attribution_source": cols.get("meta:_wc_order_attribution_utm_source", "meta:_wc_order_attribution_source_type").replace("", pd.NA),
        "attribution_medium": cols.get("meta:_wc_order_attribution_utm_medium").replace("", pd.NA),
        "attribution_referrer": cols.get("meta:_wc_order_attribution_referrer").replace("", pd.NA),
        "source_row": frame.index + 1,
    })
    return _result(orders, line_frame, problems, len(frame), encoding, "order-export plugin layout")


def _analytics(frame: pd.DataFrame, encoding: str, default_currency: str | None, timezone: str) -> ParseResult:
    cols = Columns(frame)
    problems: list[Problem] = []
    created = _local_times(cols.get("date"), timezone)
    flag_rows(problems, created.isna(), cols.find("date"), "bad_timestamp", "Date is not a timestamp: {value!r}", cols.get("date"))
    revenue_text = cols.get("n. revenue (formatted)", "n. revenue", "net revenue")
    revenue, bad = parse_numbers(revenue_text, decimal=".")
    flag_rows(problems, bad, cols.find("n. revenue (formatted)", "n. revenue") or "N. Revenue", "not_a_number", "N. Revenue is not a number: {value!r}", revenue_text)
    net, bad = parse_numbers(cols.get("net sales"), decimal=".")
    flag_rows(problems, bad, "Net Sales", "not_a_number", "Net Sales is not a number: {value!r}", cols.get("net sales"))
    lines = []
    for index, cell in cols.get("product(s)").items():
        for position, product in enumerate(p for p in re.split(r",\s*(?=\d+\s*[×x]\s)", cell) if p.strip()):
            match = _PRODUCT.match(product)
            lines.append({"row": index, "slot": position, "title": match.group(2) if match else product.strip(), "sku": None,
                          "quantity": float(match.group(1)) if match else 1.0, "subtotal": None, "total": None})
    line_frame = pd.DataFrame(lines, columns=["row", "slot", "title", "sku", "quantity", "subtotal", "total"])
    # The download gives one net-sales amount per order, no line prices: lines share it by quantity.
    units = line_frame.groupby("row")["quantity"].transform("sum")
    line_frame["subtotal"] = line_frame["row"].map(net) * line_frame["quantity"] / units
    line_frame["total"] = line_frame["subtotal"]
    status = cols.get("status").str.lower().str.replace(" ", "-")
    source, medium, referrer = _origin(cols.get("attribution"))
    symbol_currency = revenue_text.str.extract(r"([$€£₹¥])", expand=False).map({"$": None, "€": "EUR", "£": "GBP", "₹": "INR", "¥": "JPY"})
    orders = pd.DataFrame({
        "order_id": cols.get("order #"), "name": "#" + cols.get("order #"), "customer_key": pd.NA,  # the download has no email
        "created_timestamp": created, "order_date": _shop_day(created, timezone),
        "currency": _or_default(symbol_currency, default_currency),
        # The download does not split what revenue holds beyond net sales (tax, shipping): it is kept as tax, never margin.
        "subtotal": net, "gross_sales": net, "discounts": 0.0, "shipping_charged": 0.0,
        "total_tax": (revenue - net).clip(lower=0).round(2), "total_price": revenue, "tips": 0.0, "duties": 0.0,
        "refunded_amount": revenue.where(status == "refunded", 0.0),
        "financial_status": status.map(lambda s: STATUS.get(s, (s, None))[0]),
        "fulfillment_status": status.map(lambda s: STATUS.get(s, (None, "unfulfilled"))[1]),
        "cancelled_timestamp": created.where(status.isin(["cancelled", "failed"])),
        "source_name": LAYOUT, "discount_codes": cols.get("coupon(s)").replace("", pd.NA), "accepts_marketing": pd.NA,
        "line_count": line_frame.groupby("row").size().reindex(frame.index).fillna(0).astype(int),
        "attribution_source": source, "attribution_medium": medium, "attribution_referrer": referrer,
        "source_row": frame.index + 1,
    })
    return _result(orders, line_frame, problems, len(frame), encoding, "Analytics → Orders download (no email: orders have no customer key)")


def _result(orders: pd.DataFrame, line_frame: pd.DataFrame, problems: list[Problem], rows_read: int, encoding: str, layout: str) -> ParseResult:
    bad_rows = {p.row - 1 for p in problems}
    orders = orders[~orders.index.isin(bad_rows)].assign(net_sales=lambda f: net_sales(f))
    line_frame = line_frame[~line_frame["row"].isin(bad_rows)].sort_values(["row", "slot"], kind="stable")
    order_lines = pd.DataFrame({
        "order_id": line_frame["row"].map(orders["order_id"]), "order_date": line_frame["row"].map(orders["order_date"]),
        "line_number": line_frame.groupby("row").cumcount() + 1, "sku": line_frame["sku"], "title": line_frame["title"],
        "quantity": line_frame["quantity"], "price": (line_frame["subtotal"] / line_frame["quantity"]).round(4),
        "discount": (line_frame["subtotal"] - line_frame["total"]).clip(lower=0).fillna(0.0), "requires_shipping": pd.NA,
        "source_row": line_frame["row"] + 1,
    })
    tables = {"orders": conform(orders.reset_index(drop=True), ORDERS), "order_lines": conform(order_lines.reset_index(drop=True), ORDER_LINES)}
    return ParseResult(FAMILY, encoding, tables, rows_read=rows_read, problems=problems, notes=[f"WooCommerce {layout}"])


def _or_default(currency: pd.Series, default: str | None) -> pd.Series:
    return currency.fillna(default) if default else currency


def _pairs(cell: str) -> dict[str, str]:
    """`items:name:Tee|product_id:12|sku:T1|quantity:2|total:40.00` -> {name, product_id, sku, quantity, total}."""
    cell = re.sub(r"^items:", "", cell.strip(), flags=re.IGNORECASE)
    out = {}
    for part in cell.split("|"):
        key, _, value = part.partition(":")
        out.setdefault(key.strip().lower(), value.strip())
    return out


def _refund_amount(cell: str) -> float:
    """The refunds listed in `refund_items` (`amount:60.00|reason:…;amount:…`), summed; NaN when none reads as one."""
    total, found = 0.0, False
    for item in cell.split(";"):
        try:
            total, found = total + float(_pairs(item).get("amount", "")), True
        except ValueError:
            continue
    return total if found else float("nan")


def _coupon_codes(cell: str) -> object:
    codes = [_pairs(item).get("code", "") for item in cell.split(";") if item.strip()]
    return ", ".join(c for c in codes if c) or pd.NA


def _origin(values: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """WooCommerce's order attribution label -> (utm_source, utm_medium, referrer host)."""
    kind = values.str.extract(r"^\s*([^:]+?)\s*:\s*(.+?)\s*$")
    label, where = kind[0].str.lower(), kind[1].str.lower()
    source = where.where(label.isin(["source", "organic", "referral"])).astype("string")
    medium = label.map({"organic": "organic", "referral": "referral"}).astype("string")
    referrer = where.where(label == "referral").astype("string")
    return source, medium, referrer


def _local_times(values: pd.Series, timezone: str) -> pd.Series:
    """Wall-clock times of the shop (no offset written) as UTC; a value with an offset keeps its own."""
    parsed = pd.to_datetime(values.where(~blank_mask(values)), format="mixed", errors="coerce")
    if getattr(parsed.dt, "tz", None) is not None:
        return parsed.dt.tz_convert("UTC")
    return parsed.dt.tz_localize(timezone, ambiguous="NaT", nonexistent="shift_forward").dt.tz_convert("UTC")


def _shop_day(created: pd.Series, timezone: str) -> pd.Series:
    return created.dt.tz_convert(timezone).dt.tz_localize(None).dt.normalize()
