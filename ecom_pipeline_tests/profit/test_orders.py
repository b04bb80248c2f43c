import pandas as pd
import pytest

from ecom_pipeline.profit.orders import ProfitConfig, enrich_orders
from ecom_pipeline.schemas import ORDER_LINES, ORDERS, PRODUCTS, SHIPMENTS, conform

T = pd.Timestamp


def _orders():
    return conform(pd.DataFrame([
        # #1: two lines, 10% off, free shipping, $7.25 tax, partially refunded $30 (a merchandise refund)
        {"order_id": "1", "name": "#1", "customer_key": "k1", "created_timestamp": T("2025-06-02 15:00", tz="UTC"), "order_date": T("2025-06-02"),
         "subtotal": 90.0, "gross_sales": 100.0, "discounts": 10.0, "shipping_charged": 0.0, "total_tax": 6.53, "total_price": 96.53,
         "refunded_amount": 30.0, "financial_status": "partially_refunded"},
        # #2: the same customer again; a fully refunded order incl. tax and shipping; its SKU has no unit cost
        {"order_id": "2", "name": "#2", "customer_key": "k1", "created_timestamp": T("2025-06-09 15:00", tz="UTC"), "order_date": T("2025-06-09"),
         "subtotal": 20.0, "gross_sales": 20.0, "discounts": 0.0, "shipping_charged": 6.95, "total_tax": 1.45, "total_price": 28.40,
         "refunded_amount": 28.40, "financial_status": "refunded"},
        # #3: cancelled before shipping
        {"order_id": "3", "name": "#3", "customer_key": "k2", "created_timestamp": T("2025-06-03 15:00", tz="UTC"), "order_date": T("2025-06-03"),
         "subtotal": 50.0, "gross_sales": 50.0, "discounts": 0.0, "shipping_charged": 0.0, "total_tax": 3.63, "total_price": 53.63,
         "refunded_amount": 0.0, "financial_status": "voided", "cancelled_timestamp": T("2025-06-03 16:00", tz="UTC")},
    ]), ORDERS)


def _lines():
    return conform(pd.DataFrame([
        {"order_id": "1", "order_date": T("2025-06-02"), "line_number": 1, "sku": "TEE", "quantity": 2, "price": 30.0},
        {"order_id": "1", "order_date": T("2025-06-02"), "line_number": 2, "sku": "HOOD", "quantity": 1, "price": 40.0},
        {"order_id": "2", "order_date": T("2025-06-09"), "line_number": 1, "sku": "NEW", "quantity": 1, "price": 20.0},
        {"order_id": "3", "order_date": T("2025-06-03"), "line_number": 1, "sku": "TEE", "quantity": 1, "price": 50.0},
    ]), ORDER_LINES)


def _products():
    return conform(pd.DataFrame([
        {"snapshot_date": T("2025-06-01"), "variant_key": "TEE", "sku": "TEE", "price": 30.0, "unit_cost": 9.0},
        {"snapshot_date": T("2025-06-05"), "variant_key": "TEE", "sku": "TEE", "price": 30.0, "unit_cost": 11.0},  # a later cost: not for June 2
        {"snapshot_date": T("2025-06-01"), "variant_key": "HOOD", "sku": "HOOD", "price": 40.0, "unit_cost": 15.0},
        {"snapshot_date": T("2025-06-01"), "variant_key": "NEW", "sku": "NEW", "price": 20.0, "unit_cost": None},
    ]), PRODUCTS)


def _labels():
    return conform(pd.DataFrame([
        {"order_name": "#1", "tracking_number": "A", "shipped_date": T("2025-06-03"), "delivered_date": T("2025-06-06"), "label_cost": 7.10, "voided": False},
        {"order_name": "#1", "tracking_number": "B", "shipped_date": T("2025-06-03"), "delivered_date": T("2025-06-07"), "label_cost": 5.40, "voided": False},
        {"order_name": "#1", "tracking_number": "V", "shipped_date": T("2025-06-03"), "label_cost": 7.10, "voided": True},  # reprinted: costs nothing
        {"order_name": "#2", "tracking_number": "C", "shipped_date": T("2025-06-10"), "delivered_date": T("2025-06-12"), "label_cost": 4.00, "voided": False},
    ]), SHIPMENTS)


def test_contribution_margin_by_hand():
    orders = _orders()
    out = enrich_orders(orders, _lines(), _products(), _labels(), history=orders).set_index("order_id")
    first = out.loc["1"]
    assert first["cogs"] == pytest.approx(2 * 9.0 + 15.0)  # unit cost as of June 2
    assert (first["label_cost"], first["packages"]) == (pytest.approx(12.50), 2)  # the void excluded
    assert first["returns"] == 30.0 and first["net_sales"] == pytest.approx(100 - 10 - 30)
    assert first["payment_fees"] == pytest.approx(round(96.53 * 0.029 + 0.30, 2))  # 3.10
    assert first["contribution_margin"] == pytest.approx(60.0 + 0.0 - 33.0 - 12.50 - 3.10)
    assert first["delivery_days"] == 5 and first["customer_order_seq_number"] == 1 and first["new_vs_repeat"] == "new"

    second = out.loc["2"]
    assert bool(second["cogs_estimated"]) and second["lines_without_cost"] == 1
    assert second["cogs"] == pytest.approx(20.0 * 0.40)  # the default margin, flagged, never zero
    assert second["net_sales"] == 0.0 and second["shipping_revenue"] == 0.0  # refund: merchandise, tax, then shipping
    assert second["contribution_margin"] == pytest.approx(0 + 0 - 8.0 - 4.0 - round(28.40 * 0.029 + 0.30, 2))
    assert second["customer_order_seq_number"] == 2 and second["new_vs_repeat"] == "repeat"

    third = out.loc["3"]
    assert bool(third["cancelled"]) and (third["net_sales"], third["cogs"], third["payment_fees"], third["contribution_margin"]) == (0, 0, 0, 0)


def test_fee_configuration_is_used():
    orders = _orders()
    out = enrich_orders(orders, _lines(), _products(), _labels(), history=orders, config=ProfitConfig(0.0, 0.0, 0.5)).set_index("order_id")
    assert out.loc["1", "payment_fees"] == 0.0 and out.loc["2", "cogs"] == 10.0
