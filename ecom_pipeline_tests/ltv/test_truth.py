"""BG/NBD fitted on the sample brand's own Shopify exports against the repeat-purchase process it simulated."""

from datetime import date

import pytest

from ecom_pipeline.cli import register_all
from ecom_pipeline.ingest import Registry
from ecom_pipeline.ltv.customers import rfm_summary
from ecom_pipeline.ltv.models import fit_bgnbd
from ecom_pipeline.sample import generate
from ecom_pipeline.settings import Settings
from ecom_pipeline_tests.conftest import copy_exports


def test_bgnbd_recovers_the_simulated_purchase_process(tmp_path):
    """Stated tolerance, 180 days, ~18k customers: r and α within 25 %, the mean dropout probability a/(a+b) within
    15 % (a and b separately are weakly identified over half a year: their ratio is not)."""
    exports = tmp_path / "exports"
    truth = generate(exports, days=180, seed=7, scale="demo", start=date(2025, 1, 1), progress=False)
    settings = Settings(data_dir=tmp_path / "data", landing_dir=tmp_path / "data" / "landing", warehouse_url="sqlite://", start_date="2024-01-01")
    settings.ensure_dirs()
    copy_exports(exports, settings.landing_dir, "*orders*")
    registry = Registry(settings)
    register_all(registry)
    orders, _ = registry.read_days("shopify_orders", "orders", registry.covered_days())
    orders = orders.assign(cancelled=orders["cancelled_timestamp"].notna(), contribution_margin=orders["net_sales"], acquisition_channel=None)
    summary = rfm_summary(orders, orders["order_date"].max())
    model = fit_bgnbd(summary["frequency"], summary["recency"], summary["T"])
    true = truth["repeat_purchase"]
    assert model.r == pytest.approx(true["r"], rel=0.25) and model.alpha == pytest.approx(true["alpha"], rel=0.25)
    assert model.a / (model.a + model.b) == pytest.approx(true["a"] / (true["a"] + true["b"]), rel=0.15)
