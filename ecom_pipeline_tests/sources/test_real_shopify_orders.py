"""Shopify orders exports in the layouts the admin really writes (fixtures/real_layouts, invented values).

FORMATS.md, "What real exports look like": continuation rows repeat Name, Email, Created at and Vendor; Tip line
items; multi-line quoted cells and a CRLF in an LF file; '-prefixed zips and phones; POS and draft orders; a
100 %-discount order; two currencies; the 73-, 75-, 78- and 79-column layouts; four years in one file.
"""

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from ecom_pipeline.sources import parse_bytes, parse_file

FIXTURES = Path(__file__).parent.parent / "fixtures" / "real_layouts"


@pytest.mark.parametrize(("name", "columns", "rows", "orders", "lines"), [
    ("shopify_orders_73_columns_2019_2023.csv", 73, 9, 7, 8),
    ("shopify_orders_75_columns_2020.csv", 75, 3, 2, 3),
    ("shopify_orders_78_columns_2024.csv", 78, 3, 2, 3),
    ("shopify_orders_79_columns_2025_2026.csv", 79, 9, 5, 8),
])
def test_every_row_of_every_layout_loads(name, columns, rows, orders, lines):
    raw = (FIXTURES / name).read_bytes()
    assert raw.split(b"\n", 1)[0].count(b",") + 1 == columns
    result = parse_bytes(raw, name=name)
    assert (result.rows_read, result.rows_loaded, result.problems) == (rows, rows, [])
    assert len(result.tables["orders"]) == orders and len(result.tables["order_lines"]) == lines


def test_continuation_rows_that_repeat_created_at_are_lines_not_duplicate_orders():
    result = parse_file(FIXTURES / "shopify_orders_79_columns_2025_2026.csv")
    orders = result.tables["orders"].set_index("name")
    assert list(orders.index) == ["#1046", "#1045", "#1044", "#1043", "#1042"]  # newest first, as exported
    assert orders.loc["#1046", "line_count"] == 3 and orders.loc["#1046", "gross_sales"] == 94.0
    assert orders.loc["#1046", "order_id"] == "6900000000046"
    lines = result.tables["order_lines"]
    assert list(lines[lines["order_id"] == "6900000000046"]["title"]) == ["Trail Socks", "Wool Beanie - Charcoal", "Wool Beanie - Rust"]
    assert lines["sku"].isna().all()  # no SKUs at all in this store, as in most real ones


def test_a_second_header_row_with_the_same_name_is_the_duplicate():
    text = (FIXTURES / "shopify_orders_78_columns_2024.csv").read_text()
    header, *rows = text.splitlines()
    doubled = "\n".join([header, *rows, rows[-1]]) + "\n"  # #3001's header row exported twice
    result = parse_bytes(doubled.encode())
    assert {(p.row, p.rule) for p in result.problems} == {(4, "duplicate_order"), (3, "order_quarantined")}
    assert result.rows_read == 4 and result.rows_quarantined == 2  # both header rows of #3001 are held back together
    assert list(result.tables["orders"]["name"]) == ["#3002"]


def test_a_tip_is_in_total_but_neither_in_subtotal_nor_a_line():
    result = parse_file(FIXTURES / "shopify_orders_73_columns_2019_2023.csv")
    order = result.tables["orders"].set_index("name").loc["#2009"]
    assert (order["subtotal"], order["gross_sales"], order["tips"], order["total_price"]) == (50.0, 50.0, 2.5, 52.5)
    assert order["line_count"] == 1
    lines = result.tables["order_lines"]
    assert "Tip" not in set(lines["title"])


def test_draft_pos_free_and_foreign_currency_orders_keep_their_facts():
    result = parse_file(FIXTURES / "shopify_orders_73_columns_2019_2023.csv")
    orders = result.tables["orders"].set_index("name")
    assert orders.loc["#2007", "source_name"] == "pos" and pd.isna(orders.loc["#2007", "customer_key"])
    assert orders.loc["#2006", "source_name"] == "shopify_draft_order" and orders.loc["#2006", "financial_status"] == "pending"
    assert (orders.loc["#2008", "gross_sales"], orders.loc["#2008", "discounts"], orders.loc["#2008", "total_price"]) == (30.0, 30.0, 0.0)
    assert orders.loc["#2008", "net_sales"] == 0.0
    assert sorted(orders["currency"].unique()) == ["EUR", "USD"]
    assert orders.loc["#2005", "refunded_amount"] == 32.0
    assert pd.notna(orders.loc["#2004", "cancelled_timestamp"])
    # Four years in one file: 2019-05-03 to 2023-04-02, each on the shop's day.
    assert orders["order_date"].min() == pd.Timestamp("2019-05-03") and orders["order_date"].max() == pd.Timestamp("2023-04-02")


def test_multi_line_cells_and_crlf_lines_do_not_split_rows():
    raw = (FIXTURES / "shopify_orders_73_columns_2019_2023.csv").read_bytes()
    assert b"\r\n" in raw and b'"Channel: Instagram\nref: story"' in raw
    result = parse_bytes(raw)
    assert result.rows_read == 9 and not result.problems
    assert result.tables["orders"].set_index("name").loc["#2010", "customer_key"] is not pd.NA


def test_history_is_not_outside_the_default_data_window(tmp_path):
    from ecom_pipeline.file_check import check_file
    from ecom_pipeline.settings import Settings

    data = tmp_path / "data"
    settings = Settings(data_dir=data, landing_dir=data / "landing", warehouse_url="sqlite://", shop_currency="EUR", fx_rates="USD=0.92")
    report = check_file(FIXTURES / "shopify_orders_73_columns_2019_2023.csv", settings)
    assert (report.rows_read, report.rows_loaded, report.rows_quarantined) == (9, 9, 0), report.problems
    bounded = Settings(data_dir=data, landing_dir=data / "landing", warehouse_url="sqlite://", shop_currency="EUR", fx_rates="USD=0.92",
                       start_date="2022-01-01")
    report = check_file(FIXTURES / "shopify_orders_73_columns_2019_2023.csv", bounded)
    assert report.rows_quarantined == 3  # #2006 (2021), #2005 (2020), #2004 (2019): the user asked for 2022 on
    assert {p["rule"] for p in report.problems} == {"order_date_inside_data_window"}


# ---------------------------------------------------------------- products and inventory of a store without SKUs


def test_products_without_skus_are_keyed_by_handle_and_options_and_image_rows_are_skipped():
    result = parse_file(FIXTURES / "shopify_products_no_skus_markets_2025.csv", default_currency="EUR")
    products = result.tables["products"].set_index("variant_key")
    assert (result.rows_read, result.rows_loaded, result.rows_skipped, result.problems) == (6, 5, 1, [])
    assert list(products.index) == ["linen-shirt/Blue/M", "linen-shirt/Blue/L", "linen-shirt/White/S", "canvas-tote", "ceramic-mug/Sand"]
    assert products.loc["linen-shirt/White/S", "line_name"] == "Linen Shirt - White / S"  # the title from the product's first row
    assert products.loc["canvas-tote", "line_name"] == "Canvas Tote"  # Default Title: the product's own name
    assert (products.loc["linen-shirt/Blue/L", "unit_cost"], products.loc["linen-shirt/Blue/L", "status"]) == (22.5, "active")
    assert products.loc["ceramic-mug/Sand", "status"] == "draft" and pd.isna(products.loc["ceramic-mug/Sand", "unit_cost"])
    assert products.loc["ceramic-mug/Sand", "sku"] == "MUG-SAND"


@pytest.mark.parametrize(("name", "layout", "expected", "skipped"), [
    ("shopify_inventory_2025_not_stocked_negative.csv", "current",
     {("linen-shirt/Blue/M", "Main Warehouse"): 14, ("linen-shirt/Blue/L", "Main Warehouse"): -2, ("linen-shirt/White/S", "Main Warehouse"): 6,
      ("canvas-tote", "Main Warehouse"): 30, ("canvas-tote", "Pop-up Store"): 4}, 1),
    ("shopify_inventory_2023.csv", "2023", {("ceramic-mug/Sand", "Main Warehouse"): 3}, 1),
    ("shopify_inventory_legacy_location_columns.csv", "legacy",
     {("linen-shirt/Blue/M", "MAIN WAREHOUSE"): 14, ("canvas-tote", "MAIN WAREHOUSE"): 30, ("canvas-tote", "POP-UP STORE"): 4}, 0),
])
def test_inventory_layouts_with_not_stocked_and_oversold_variants(name, layout, expected, skipped):
    result = parse_file(FIXTURES / name)
    frame = result.tables["inventory_levels"]
    assert result.family == "shopify_inventory" and set(frame["layout"]) == {layout} and not result.problems
    assert result.rows_read == result.rows_loaded + result.rows_skipped and result.rows_skipped == skipped
    assert {(r.variant_key, r.location): r.available for r in frame.itertuples()} == expected


def test_order_lines_without_skus_find_their_unit_cost_by_name():
    from ecom_pipeline.profit.orders import unit_costs

    products = parse_file(FIXTURES / "shopify_products_no_skus_markets_2025.csv", default_currency="EUR").tables["products"]
    lines = parse_file(FIXTURES / "shopify_orders_73_columns_2019_2023.csv").tables["order_lines"]
    costed = unit_costs(lines, products).set_index("title")
    assert costed.loc["Linen Shirt - Blue / M", "unit_cost"] == 22.5
    assert costed.loc["Linen Shirt - White / S", "unit_cost"] == 18.0
    assert list(costed.loc["Canvas Tote", "unit_cost"]) == [9.0, 9.0]
    assert costed.loc["Linen Shirt - Blue / L", "unit_cost"] == 22.5  # this line has a SKU the catalog lacks: matched by name
    assert costed.loc["Ceramic Mug - Sand", "unit_cost"].isna().all()  # the catalog has no cost for it: estimated downstream


def test_the_shop_currency_defaults_to_the_currency_of_the_landed_orders(tmp_path, monkeypatch):
    from ecom_pipeline.ingest import Registry
    from ecom_pipeline.settings import SHOP_CURRENCY_ENV, load_settings

    monkeypatch.delenv(SHOP_CURRENCY_ENV, raising=False)
    data = tmp_path / "data"
    assert load_settings(data).shop_currency == "USD"  # nothing landed yet
    settings = load_settings(data)
    settings.ensure_dirs()
    landed = settings.landing_dir / "orders_export_1.csv"
    landed.write_bytes((FIXTURES / "shopify_orders_73_columns_2019_2023.csv").read_bytes())
    Registry(settings).register(landed)
    assert load_settings(data).shop_currency == "EUR"  # six EUR orders, one USD
    monkeypatch.setenv(SHOP_CURRENCY_ENV, "gbp")
    assert load_settings(data).shop_currency == "GBP"  # configured wins


def test_stock_cover_and_campaign_products_work_for_a_store_without_skus():
    from ecom_pipeline.budget.inventory import campaign_products, product_cover, product_of, with_variants

    week = FIXTURES / "brand_week"
    catalog = parse_file(week / "products_export_1.csv").tables["products"]
    inventory = parse_bytes((week / "inventory_export_1.csv").read_bytes(), name="inventory_export_2026-01-07.csv").tables["inventory_levels"]
    lines = with_variants(parse_file(week / "orders_export_1.csv").tables["order_lines"], catalog)
    assert not lines["variant_key"].str.startswith("name:").any()  # every line found its variant
    products = product_of(catalog)
    cover = product_cover(inventory, lines, products, pd.Timestamp("2026-01-07")).set_index("product")
    shirts = lines.loc[lines["title"].str.startswith("Linen Shirt"), "quantity"].sum()
    assert cover.loc["linen-shirt", "available"] == 14 + 0 + 6  # Blue/L is oversold (-2): no stock, not negative stock
    assert cover.loc["linen-shirt", "units_per_day"] == pytest.approx(shirts / 28)
    assert cover.loc["linen-shirt", "days_of_cover"] == pytest.approx(20 / (shirts / 28))
    assert cover.loc["canvas-tote", "available"] == 30  # the pop-up's 4 are not the web shop's
    credits = pd.DataFrame({"model": "linear", "platform": "meta", "campaign_id": "c", "credit": 1.0,
                            "order_id": lines["order_id"].drop_duplicates()})
    units = campaign_products(credits, lines, products, "linear").set_index("product")["units"]
    assert units["linen-shirt"] == shirts and set(units.index) == {"linen-shirt", "canvas-tote", "ceramic-mug"}


def test_check_file_names_the_fix_for_a_currency_without_a_rate(tmp_path):
    from ecom_pipeline.file_check import check_file
    from ecom_pipeline.settings import Settings

    data = tmp_path / "data"
    report = check_file(FIXTURES / "shopify_orders_73_columns_2019_2023.csv",
                        Settings(data_dir=data, landing_dir=data / "landing", warehouse_url="sqlite://", shop_currency="EUR"))
    assert report.rows_quarantined == 0  # the USD order lands, in dollars, flagged downstream
    assert any("no exchange rate from USD into EUR" in note and "ECOM_PIPELINE_FX_RATES=USD=" in note for note in report.notes)


def test_a_sku_reused_for_every_size_keys_nothing_and_lines_go_by_name():
    """A real store gave one SKU to all six sizes of a shoe: the variants stay six, and a line finds its size by name."""
    from ecom_pipeline.profit.orders import unit_costs

    text = ("Handle,Title,Option1 Name,Option1 Value,Variant SKU,Variant Price,Cost per item,Status\n"
            "trail-shoe,Trail Shoe,Size,40,TS-BLK,90.00,31.00,active\n"
            "trail-shoe,,,41,TS-BLK,90.00,32.00,\n"
            "trail-shoe,,,42,TS-BLK,95.00,33.00,\n"
            "wool-socks,Wool Socks,Title,Default Title,WS-1,12.00,3.00,active\n")
    result = parse_bytes(text.encode(), name="products_export_2026-01-01.csv")
    products = result.tables["products"]
    assert (result.rows_loaded, result.problems) == (4, []) and list(products["variant_key"]) == [
        "trail-shoe/40", "trail-shoe/41", "trail-shoe/42", "wool-socks"]
    lines = pd.DataFrame({"order_id": ["1", "1"], "order_date": pd.to_datetime(["2026-01-02"] * 2), "sku": ["TS-BLK", "WS-1"],
                          "title": ["Trail Shoe - 41", "Socks (renamed since)"], "quantity": [1, 2], "price": [90.0, 12.0]})
    costed = unit_costs(lines, products)
    assert list(costed["variant_key"]) == ["trail-shoe/41", "wool-socks"]  # the shared SKU by name, the unique one by SKU
    assert list(costed["unit_cost"]) == [32.0, 3.0]


def test_a_free_shipping_code_and_import_duties_add_up():
    """Measured on real exports: `Discount Amount` holds a shipping discount (`Shipping` is the charge before it), and
    `Duties` are in `Total` beside `Taxes`."""
    header = "Name,Email,Financial Status,Currency,Subtotal,Shipping,Taxes,Total,Discount Code,Discount Amount,Created at,Lineitem quantity,Lineitem name,Lineitem price,Duties,Id\n"
    text = header + (
        "#11,a@example.test,paid,USD,93.00,15.00,0.00,93.00,FREESHIP,15.00,2026-01-02 10:00:00 -0500,1,Pants - S,93.00,,11\n"
        "#12,b@example.test,paid,USD,80.00,10.00,0.00,85.00,MIX,25.00,2026-01-02 11:00:00 -0500,1,Coat - M,100.00,,12\n"
        "#13,c@example.test,paid,USD,164.02,34.88,34.49,237.37,,0.00,2026-01-02 12:00:00 -0500,2,Jacket - S,82.01,3.98,13\n")
    result = parse_bytes(text.encode())
    orders = result.tables["orders"].set_index("name")
    assert (orders.loc["#11", "discounts"], orders.loc["#11", "shipping_charged"]) == (0.0, 0.0)  # all 15 came off shipping
    assert (orders.loc["#12", "discounts"], orders.loc["#12", "shipping_charged"]) == (20.0, 5.0)  # 20 off the coat, 5 off shipping
    assert orders.loc["#13", "duties"] == 3.98
    from ecom_pipeline.validation.rules import ValidationContext
    from ecom_pipeline.validation.quarantine import hold_back_orders

    tables = {k: v.assign(source_file="f", source_hash="h") for k, v in result.tables.items()}
    context = ValidationContext(today=date(2026, 2, 1), earliest=date(2000, 1, 1), currencies_with_rate=frozenset({"USD"}))
    kept, _, held = hold_back_orders(tables["orders"], tables["order_lines"], "shopify_orders", context)
    assert held.empty and len(kept) == 3
