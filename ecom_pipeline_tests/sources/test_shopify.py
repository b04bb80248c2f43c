import hashlib
from datetime import datetime, timezone

import pandas as pd
import pytest

from ecom_pipeline.sources import FileRejected, parse_bytes

HEADER = (
    "Name,Email,Financial Status,Paid at,Fulfillment Status,Fulfilled at,Accepts Marketing,Currency,Subtotal,Shipping,"
    "Taxes,Total,Discount Code,Discount Amount,Shipping Method,Created at,Lineitem quantity,Lineitem name,Lineitem price,"
    "Lineitem compare at price,Lineitem sku,Lineitem requires shipping,Lineitem taxable,Lineitem fulfillment status,"
    "Billing Name,Billing Street,Shipping Phone,Cancelled at,Refunded Amount,Id,Source,Lineitem discount\n"
)
ORDERS = HEADER + (
    "#1001, Ana@Example.com ,paid,2025-10-07 09:50:26 +0200,fulfilled,,yes,EUR,90.00,5.00,18.05,113.05,WELCOME10,10.00,"
    "Standard,2025-10-07 09:50:26 +0200,2,Tee - M,30.00,,TEE-M,true,true,fulfilled,Ana Smith,1 Main St,+3312345,,0.00,5001,web,0\n"
    "#1001,ana@example.com,,,,,,,,,,,,,,,1,Mug,40.00,,MUG,true,true,fulfilled,,,,,,,,0\n"
    "#1002,bob@example.com,partially_refunded,,unfulfilled,,no,EUR,25.00,0.00,5.00,30.00,,0.00,,"
    "2025-10-08 00:30:00 +0200,1,Cap,25.00,,CAP,true,true,,Bob,2 Side St,,,12.50,5002,web,0\n"
)


def test_orders_group_continuation_rows_and_convert_times_to_utc():
    result = parse_bytes(ORDERS.encode())
    orders, lines = result.tables["orders"], result.tables["order_lines"]
    assert result.rows_read == 3 and result.rows_loaded == 3 and not result.problems
    assert list(orders["name"]) == ["#1001", "#1002"]
    first = orders.iloc[0]
    assert first["order_id"] == "5001"
    assert first["created_timestamp"] == pd.Timestamp("2025-10-07 07:50:26", tz="UTC")
    assert first["order_date"] == pd.Timestamp("2025-10-07")
    assert first["gross_sales"] == pytest.approx(100.0)  # 2 x 30 + 1 x 40, from the line items
    assert (first["discounts"], first["subtotal"], first["total_price"]) == (10.0, 90.0, 113.05)
    assert first["net_sales"] == pytest.approx(90.0)
    assert first["customer_key"] == hashlib.sha256(b"ana@example.com").hexdigest()
    assert bool(first["accepts_marketing"]) is True and first["line_count"] == 2
    # 00:30 at +0200 is the previous day in UTC, but the shop's day stays the 8th.
    second = orders.iloc[1]
    assert second["created_timestamp"] == pd.Timestamp("2025-10-07 22:30:00", tz="UTC")
    assert second["order_date"] == pd.Timestamp("2025-10-08")
    assert second["refunded_amount"] == 12.5 and second["net_sales"] == pytest.approx(12.5)
    assert list(lines["sku"]) == ["TEE-M", "MUG", "CAP"]
    assert list(lines["line_number"]) == [1, 2, 1]
    assert list(lines["order_id"]) == ["5001", "5001", "5002"]


def test_no_personal_data_survives_the_parser():
    result = parse_bytes(ORDERS.encode())
    text = pd.concat([t.astype(str) for t in result.tables.values()], axis=1).to_csv()
    for secret in ("example.com", "Ana", "Main St", "+3312345", "Bob"):
        assert secret not in text


def test_a_bad_line_holds_back_its_whole_order_and_every_row_is_reported():
    bad = ORDERS.replace("1,Mug,40.00", "one,Mug,40.00")
    result = parse_bytes(bad.encode())
    assert result.rows_read == 3 and result.rows_loaded == 1 and result.rows_quarantined == 2
    rules = {(p.row, p.rule) for p in result.problems}
    assert (2, "not_a_number") in rules and (1, "order_quarantined") in rules
    assert list(result.tables["orders"]["name"]) == ["#1002"]


PRODUCTS = (
    "Handle,Title,Body (HTML),Vendor,Option1 Name,Option1 Value,Variant SKU,Variant Price,Image Src,Cost per item,Status\n"
    "tee,Classic Tee,<p>Soft</p>,Brand,Size,M,TEE-M,30.00,https://cdn/img1.jpg,9.50,active\n"
    "tee,,,,,L,TEE-L,32.00,,,active\n"
    "tee,,,,,,,,https://cdn/img2.jpg,,\n"
)


def test_products_take_cost_per_item_and_date_from_file_name():
    result = parse_bytes(PRODUCTS.encode(), name="products_export_2025-10-01.csv")
    frame = result.tables["products"]
    assert (result.rows_read, result.rows_loaded, result.rows_skipped) == (3, 2, 1) and "image-only" in result.notes[0]
    assert list(frame["sku"]) == ["TEE-M", "TEE-L"]
    assert list(frame["title"]) == ["Classic Tee", "Classic Tee"]
    assert frame.loc[0, "unit_cost"] == 9.5
    assert pd.isna(frame.loc[1, "unit_cost"])  # a missing cost stays missing, never zero
    assert set(frame["snapshot_date"]) == {pd.Timestamp("2025-10-01")}
    assert set(frame["snapshot_date_source"]) == {"filename"}


CURRENT = (
    "Handle,Title,Option1 Name,Option1 Value,Option2 Name,Option2 Value,Option3 Name,Option3 Value,SKU,HS Code,COO,"
    "Location,Bin name,Incoming (not editable),Unavailable (not editable),Committed (not editable),Available (not editable),"
    "On hand (current),On hand (new)\n"
    "tee,Classic Tee,Size,M,,,,,TEE-M,,,Main Warehouse,,10,0,2,5,7,\n"
    "tee,Classic Tee,Size,M,,,,,TEE-M,,,Store,,0,0,0,1,1,\n"
)
LAYOUT_2023 = (
    "Handle,Title,Option1 Name,Option1 Value,SKU,HS Code,COO,Location,Incoming,Unavailable,Committed,Available,On hand\n"
    "tee,Classic Tee,Size,M,TEE-M,,,Main Warehouse,10,0,2,5,7\n"
)
LEGACY = "Handle,Title,Option1 Name,Option1 Value,SKU,Main Warehouse,Store\ntee,Classic Tee,Size,M,TEE-M,5,not stocked\n"


@pytest.mark.parametrize(("text", "layout", "expected"), [
    (CURRENT, "current", [("Main Warehouse", 5, 7, 2, 10), ("Store", 1, 1, 0, 0)]),
    (LAYOUT_2023, "2023", [("Main Warehouse", 5, 7, 2, 10)]),
    (LEGACY, "legacy", [("Main Warehouse", 5, None, None, None)]),
])
def test_inventory_all_three_layouts(text, layout, expected):
    result = parse_bytes(text.encode(), name="inventory_export_20251002.csv")
    frame = result.tables["inventory_levels"]
    assert result.family == "shopify_inventory" and set(frame["layout"]) == {layout}
    got = [(r.location, r.available, None if pd.isna(r.on_hand) else r.on_hand, None if pd.isna(r.committed) else r.committed,
            None if pd.isna(r.incoming) else r.incoming) for r in frame.itertuples()]
    assert got == expected
    assert set(frame["snapshot_date"]) == {pd.Timestamp("2025-10-02")}


def test_inventory_without_date_in_name_is_the_day_before_its_export_and_says_so():
    """Exported on the morning of 3 October: the closing stock of the 2nd, the last day the morning run covers."""
    for hour in (0, 7, 23):
        mtime = datetime(2025, 10, 3, hour, tzinfo=timezone.utc).timestamp()
        frame = parse_bytes(LEGACY.encode(), name="inventory.csv", mtime=mtime).tables["inventory_levels"]
        assert set(frame["snapshot_date"]) == {pd.Timestamp("2025-10-02")} and set(frame["snapshot_date_source"]) == {"mtime"}


def test_products_without_variant_price_column_is_refused():
    with pytest.raises(FileRejected, match="Variant Price"):
        parse_bytes(b"Handle,Title,Variant SKU,Cost per item\ntee,Tee,TEE-M,9\n")
