"""ShipStation's Orders grid ("export current view") as a shipments source (fixtures/real_layouts, invented values)."""

from pathlib import Path

import pandas as pd
import pytest

from ecom_pipeline.profit.orders import enrich_orders
from ecom_pipeline.sources import parse_file

FIXTURES = Path(__file__).parent.parent / "fixtures" / "real_layouts"


def test_orders_grid_rate_is_the_label_cost_and_unshipped_orders_are_skipped():
    raw = (FIXTURES / "shipstation_orders_grid_export_current_view.csv").read_bytes()
    assert raw.count(b"\r\n") == 8 and raw.startswith(b'"Order #","Store","Age"')  # CRLF, every field quoted
    result = parse_file(FIXTURES / "shipstation_orders_grid_export_current_view.csv")
    labels = result.tables["shipments"].set_index("order_name")
    assert (result.family, result.rows_read, result.rows_loaded, result.rows_skipped, result.problems) == ("shipments", 7, 6, 1, [])
    assert labels.loc["1046", "label_cost"] == 5.12 and labels.loc["1046", "item_quantity"] == 4  # three item rows, one label
    assert labels.loc["1046", "shipped_date"] == pd.Timestamp("2026-01-06")  # MM/DD/YYYY
    assert labels.loc["576500000000000101", "store"] == "TikTok Shop"  # another store's order: kept, with its store
    assert "200012345678" not in labels.index  # Walmart's order is not shipped yet: no label


def test_grid_labels_price_the_shop_orders_and_other_stores_match_none():
    orders = parse_file(FIXTURES / "shopify_orders_79_columns_2025_2026.csv")
    labels = parse_file(FIXTURES / "shipstation_orders_grid_export_current_view.csv").tables["shipments"]
    shop = orders.tables["orders"]
    products = parse_file(FIXTURES / "shopify_products_no_skus_markets_2025.csv").tables["products"]
    out = enrich_orders(shop, orders.tables["order_lines"], products, labels, history=shop).set_index("name")
    assert out.loc["#1046", "label_cost"] == 5.12  # the grid writes 1046 for Shopify's #1046
    assert out.loc["#1045", "label_cost"] == 4.38 and out.loc["#1044", "label_cost"] == 0.0
    matched = labels["order_name"].str.lstrip("#").isin(shop["name"].str.lstrip("#"))
    assert sorted(labels.loc[~matched, "store"]) == ["Manual", "TikTok Shop"]
    assert out.loc["#1045", "contribution_margin"] == pytest.approx(
        out.loc["#1045", "net_sales"] + out.loc["#1045", "shipping_revenue"] - out.loc["#1045", "cogs"] - 4.38 - out.loc["#1045", "payment_fees"])
