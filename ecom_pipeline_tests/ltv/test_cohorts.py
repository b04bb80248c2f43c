import numpy as np
import pandas as pd
import pytest

from ecom_pipeline.ltv.cohorts import cohort_curves, cohort_table, spend_by_channel_month
from ecom_pipeline.ltv.customers import margin_ratio, predict, rfm_summary
from ecom_pipeline.ltv.models import BGNBD, GammaGamma

AS_OF = pd.Timestamp("2025-04-15")
ORDERS = pd.DataFrame({
    "order_id": ["1", "2", "3", "4", "5"], "customer_key": ["c1", "c1", "c2", "c3", "c2"],
    "order_date": pd.to_datetime(["2025-01-10", "2025-02-01", "2025-01-31", "2025-02-03", "2025-04-20"]),
    "net_sales": [50.0, 80.0, 90.0, 40.0, 70.0], "contribution_margin": [10.0, 20.0, 30.0, 5.0, 25.0],
    "cancelled": [False, False, False, False, False],
    "acquisition_channel": ["Paid Social – Meta", "Paid Social – Meta", "Paid Social – Meta", "Email", "Paid Social – Meta"],
})
ORDERS["created_timestamp"] = ORDERS["order_date"]


def test_cohort_ltv_cac_and_payback_by_hand():
    curves = cohort_curves(ORDERS, AS_OF)
    spend = pd.DataFrame({"channel": ["Paid Social – Meta"], "cohort": ["2025-01"], "spend": [40.0]})
    table = cohort_table(curves, ORDERS, spend, AS_OF).set_index(["channel", "cohort"])
    meta = table.loc[("Paid Social – Meta", "2025-01")]
    # c1: 10 on day 0, 20 on day 22; c2: 30 on day 0 (the order after AS_OF does not count); 74 days observable
    assert meta["customers"] == 2 and meta["observed_days"] == 74
    assert meta["ltv_30"] == pytest.approx(30.0) and meta["ltv_60"] == pytest.approx(30.0)
    assert np.isnan(meta["ltv_90"]) and np.isnan(meta["ltv_365"])  # the cohort is not 90 days old yet
    assert meta["cac"] == pytest.approx(20.0) and meta["ltv_cac"] == pytest.approx(1.5)
    assert meta["cac_payback_day"] == 0 and meta["first_order_payback"] == pytest.approx(1.0)
    email = table.loc[("Email", "2025-02")]
    assert email["ltv_30"] == pytest.approx(5.0) and np.isnan(email["cac"])  # no spend on email: no CAC


def test_rfm_summary_follows_the_lifetimes_conventions():
    summary = rfm_summary(ORDERS, AS_OF).set_index("customer_key")
    assert summary.loc["c1", ["frequency", "recency", "T", "monetary_value"]].tolist() == [1, 22, 95, 80.0]
    assert summary.loc["c2", ["frequency", "recency", "T", "monetary_value"]].tolist() == [0, 0, 74, 0.0]
    assert summary.loc["c1", "first_order_margin"] == 10 and summary.loc["c1", "margin_to_date"] == 30
    assert summary.loc["c3", "acquisition_channel"] == "Email"


def test_predictions_are_margin_scaled_and_sane():
    summary = rfm_summary(ORDERS, AS_OF)
    ratio = margin_ratio(ORDERS)
    assert ratio == pytest.approx(90 / 330)
    out = predict(summary, BGNBD(0.5, 20.0, 0.8, 2.5, 0.0), GammaGamma(6.0, 4.0, 20.0, 0.0), ratio)
    assert ((out["p_alive"] > 0) & (out["p_alive"] <= 1)).all()
    assert (out["expected_purchases_12m"] > 0).all()
    assert np.allclose(out["predicted_clv_margin"], (out["predicted_clv_revenue"] * ratio).round(2), atol=0.011)


def test_spend_is_assigned_to_the_channel_the_grouping_gives_each_platform():
    ads = pd.DataFrame({"date_day": pd.to_datetime(["2025-01-03", "2025-01-20", "2025-02-01"]), "platform": ["meta", "meta", "google"],
                        "spend_reporting": [10.0, 15.0, 7.0]})
    out = spend_by_channel_month(ads, {"meta": "Paid Social – Meta", "google": "Paid Search – Google"})
    assert out.to_dict("records") == [{"channel": "Paid Search – Google", "cohort": "2025-02", "spend": 7.0},
                                      {"channel": "Paid Social – Meta", "cohort": "2025-01", "spend": 25.0}]
