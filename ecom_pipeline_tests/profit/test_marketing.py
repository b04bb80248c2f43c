import os

import pandas as pd
import pytest

from ecom_pipeline.ingest import Registry
from ecom_pipeline.profit.marketing import daily_summary, unify_ads
from ecom_pipeline.schemas import AD_PERFORMANCE, ORDERS_ENRICHED, conform
from ecom_pipeline.sources import parse_bytes
from ecom_pipeline.validation.quarantine import context_for, hold_back
from ecom_pipeline.validation.engine import validate

FX = "date,currency,rate\n2025-06-01,EUR,1.10\n2025-06-02,EUR,1.20\n2025-06-02,GBP,1.30\n"


def _ads():
    return conform(pd.DataFrame({
        "date_day": pd.to_datetime(["2025-06-01", "2025-06-02", "2025-06-03", "2025-06-02"]),
        "platform": ["meta", "meta", "meta", "google"], "campaign_id": ["a", "a", "a", "g"],
        "spend": [100.0, 100.0, 100.0, 50.0], "currency": ["EUR", "EUR", "EUR", "USD"],
    }), AD_PERFORMANCE)


def test_fx_table_parses():
    frame = parse_bytes(FX.encode()).tables["fx_rates"]
    assert frame[["currency", "rate"]].values.tolist() == [["EUR", 1.10], ["EUR", 1.20], ["GBP", 1.30]]


def test_spend_converted_with_the_rate_of_the_day_nearest_when_missing():
    dated = parse_bytes(FX.encode()).tables["fx_rates"]
    out = unify_ads([_ads()], {"USD": 1.0}, "USD", dated=dated)
    assert out["fx_rate"].tolist() == [1.10, 1.20, 1.20, 1.0]  # June 3 has no rate: the nearest day's
    assert out["spend_reporting"].tolist() == [110.0, 120.0, 120.0, 50.0]
    fixed = unify_ads([_ads()], {"USD": 1.0, "EUR": 1.05}, "USD")
    assert fixed["spend_reporting"].tolist() == [105.0, 105.0, 105.0, 50.0]


def test_a_landed_fx_table_gives_its_currencies_a_rate(settings):
    path = settings.landing_dir / "fx.csv"
    path.write_text(FX)
    os.utime(path, (1_750_000_000, 1_750_000_000))
    registry = Registry(settings)
    registry.register(path)
    assert registry.dated_rate_currencies() == {"EUR", "GBP"}
    frame = _ads().assign(source_file="f", source_hash="h", source_row=[1, 2, 3, 4])
    frame.loc[3, "currency"] = "CHF"
    context = context_for(settings, dated_rates=registry.dated_rate_currencies())
    kept, held = hold_back("ad_performance", "meta_ads", frame, context)
    assert len(kept) == 4 and held.empty  # CHF has no rate: it lands, in its own currency ...
    warned = {o.rule.name: o for o in validate("ad_performance", kept, context, ("anomaly",))}["currency_has_exchange_rate"]
    assert not warned.success and kept.loc[warned.failed_positions, "currency"].tolist() == ["CHF"]  # ... with a WARN


def test_daily_summary_by_hand():
    ads = unify_ads([_ads()], {"USD": 1.0, "EUR": 1.0}, "USD")
    orders = conform(pd.DataFrame({
        "order_id": ["1", "2", "3"], "order_date": pd.to_datetime(["2025-06-01", "2025-06-01", "2025-06-02"]),
        "net_sales": [200.0, 100.0, 80.0], "contribution_margin": [60.0, 30.0, 20.0], "is_first_order": [True, False, True],
        "cancelled": [False, False, False],
    }), ORDERS_ENRICHED)
    out = daily_summary(ads, orders, ["2025-06-01", "2025-06-02"]).set_index("day")
    first = out.loc[pd.Timestamp("2025-06-01")]
    assert (first["spend_meta"], first["spend_google"], first["spend"], first["orders"], first["new_customers"]) == (100.0, 0.0, 100.0, 2, 1)
    assert first["mer"] == pytest.approx(3.0) and first["blended_cac"] == pytest.approx(100.0)
    second = out.loc[pd.Timestamp("2025-06-02")]
    assert second["spend"] == 150.0 and second["mer"] == pytest.approx(80 / 150) and second["blended_cac"] == pytest.approx(150.0)
