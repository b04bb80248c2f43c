"""WooCommerce orders in the plugin's export layout and the Analytics → Orders download (fixtures, invented values)."""

import hashlib
from pathlib import Path

import pandas as pd
import pytest

from ecom_pipeline.journey.channels import load_grouping, store_touches
from ecom_pipeline.journey.journeys import journeys
from ecom_pipeline.sources import detect, parse_file

FIXTURES = Path(__file__).parent.parent / "fixtures" / "real_layouts"


def test_plugin_export_lands_in_the_store_order_tables_with_local_times_and_hashed_emails():
    path = FIXTURES / "woocommerce_order_export_plugin.csv"
    assert path.read_bytes().startswith(b"\xef\xbb\xbf") and detect(path.read_bytes())[0] == "shopify_orders"
    result = parse_file(path, default_currency="USD", shop_timezone="America/New_York")
    assert (result.rows_read, result.rows_loaded, result.problems) == (4, 4, [])
    orders = result.tables["orders"].set_index("order_id")
    first = orders.loc["5012"]
    assert first["created_timestamp"] == pd.Timestamp("2026-02-04 02:40:12", tz="UTC")  # 21:40 in New York
    assert first["order_date"] == pd.Timestamp("2026-02-03")
    assert (first["gross_sales"], first["shipping_charged"], first["total_tax"], first["total_price"]) == (55.0, 5.0, 4.4, 64.4)
    assert (first["attribution_source"], first["attribution_medium"], first["financial_status"]) == ("facebook", "paid_social", "paid")
    # customer_email blank: billing_email is the customer; a key, never the address.
    assert orders.loc["5011", "customer_key"] == hashlib.sha256(b"yara@example.test").hexdigest()
    assert (orders.loc["5011", "discounts"], orders.loc["5011", "subtotal"], orders.loc["5011", "discount_codes"]) == (5.0, 45.0, "WELCOME5")
    assert orders.loc["5010", "financial_status"] == "voided" and pd.notna(orders.loc["5010", "cancelled_timestamp"])
    assert orders.loc["5009", "refunded_amount"] == 60.0  # from refund_items
    lines = result.tables["order_lines"]
    assert list(lines[lines["order_id"] == "5012"]["sku"].fillna("")) == ["", "MUG-SAND"]
    assert lines.set_index(["order_id", "line_number"]).loc[("5011", 1), "discount"] == 5.0
    text = pd.concat([t.astype(str) for t in result.tables.values()], axis=1).to_csv()
    for secret in ("example.test", "Person", "Invented Way", "203.0.113.9", "+15550100"):
        assert secret not in text


def test_analytics_download_lands_with_its_attribution_and_no_customer():
    result = parse_file(FIXTURES / "woocommerce_analytics_orders.csv", default_currency="INR", shop_timezone="Asia/Kolkata")
    orders = result.tables["orders"].set_index("order_id")
    assert (result.rows_read, result.rows_loaded) == (4, 4) and orders["customer_key"].isna().all()
    assert set(orders["currency"]) == {"INR"}  # from the ₹ of the revenue
    assert orders.loc["8840", "total_price"] == 1340.0 and orders.loc["8840", "net_sales"] == 1240.0
    assert (orders.loc["8841", "attribution_source"], orders.loc["8841", "attribution_medium"]) == ("google", "organic")
    assert orders.loc["8840", "attribution_source"] == "instagram" and orders[["attribution_source"]].loc[["8839", "8838"]].isna().all().all()
    lines = result.tables["order_lines"]
    mine = lines[lines["order_id"] == "8840"]
    assert list(mine["title"]) == ["Masala Chai Tin", "Steel Strainer"] and list(mine["quantity"]) == [2, 1]
    assert (mine["price"] * mine["quantity"]).sum() == pytest.approx(1240.0)


def test_the_stores_attribution_is_the_touch_of_an_order_no_web_event_explains():
    result = parse_file(FIXTURES / "woocommerce_analytics_orders.csv", default_currency="INR", shop_timezone="Asia/Kolkata")
    orders = result.tables["orders"]
    rules = load_grouping()
    told = store_touches(orders, rules).set_index("order_id")
    assert told.loc["8841", "channel"] == "Organic Search"
    sessions = pd.DataFrame(columns=["session", "customer_key", "anonymous_id", "touch_timestamp", "day", "channel", "platform",
                                     "campaign_id", "campaign_name"])
    rows = journeys(orders, orders, sessions, store_touches=told.reset_index()).set_index("order_id")
    assert rows.loc["8841", "channel"] == "Organic Search" and not rows.loc["8841", "inferred"]
    assert rows.loc["8839", "channel"] == "Direct" and rows.loc["8839", "inferred"]  # `Direct`: no touch to tell


@pytest.mark.parametrize(("name", "currency"), [("woocommerce_order_export_plugin.csv", "USD"), ("woocommerce_analytics_orders.csv", "INR")])
def test_woocommerce_orders_pass_the_order_rules(name, currency, tmp_path):
    from ecom_pipeline.file_check import check_file
    from ecom_pipeline.settings import Settings

    data = tmp_path / "data"
    report = check_file(FIXTURES / name, Settings(data_dir=data, landing_dir=data / "landing", warehouse_url="sqlite://", shop_currency=currency))
    assert (report.source, report.rows_read, report.rows_quarantined) == ("shopify_orders", 4, 0), report.problems


def test_without_a_configured_currency_the_exports_own_is_kept():
    raw = (FIXTURES / "woocommerce_order_export_plugin.csv").read_bytes()
    from ecom_pipeline.sources import parse_bytes

    assert set(parse_bytes(raw).tables["orders"]["currency"]) == {"USD"}
