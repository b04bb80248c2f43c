"""Lift-test readouts and the experiment plan, on hand-made posteriors and tests whose answers are computed here."""

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from ecom_pipeline.budget import experiments
from ecom_pipeline.budget.mmm import hill

DAYS = pd.date_range("2025-10-01", "2025-10-28")


def test_a_readout_reads_the_test_as_a_posterior_beside_the_platforms_claim():
    tests = pd.DataFrame([{"test_name": "brand holdout", "platform": "google", "campaign": "search - brand", "test_type": "geo_holdout",
                           "start_date": DAYS[0], "end_date": DAYS[-1], "incremental_conversions": 84.0, "standard_error": 20.0,
                           "spend": 2100.0}])
    performance = pd.DataFrame({"day": DAYS, "platform": "google", "campaign_id": "201", "spend": 75.0, "platform_conversions": 9.0,
                                "default_model": True})
    lines = {("google", "201"): {"campaign_name": "Search - Brand"}}
    margin, revenue = pd.Series(30.0, index=DAYS), pd.Series(80.0, index=DAYS)
    row = experiments.readouts(tests, lines, performance, margin, revenue).iloc[0]
    assert (row["campaign_id"], row["matched"], row["days"]) == ("201", True, 28)
    assert row["p_positive"] == pytest.approx(norm.cdf(84 / 20))
    assert (row["p5"], row["p95"]) == pytest.approx((84 - 1.6449 * 20, 84 + 1.6449 * 20), abs=1e-3)
    assert row["incremental_poas"] == pytest.approx(84 * 30 / 2100) and row["incremental_roas"] == pytest.approx(84 * 80 / 2100)
    assert row["platform_conversions"] == 252 and row["platform_over_claim"] == pytest.approx(252 / 84)


def draws_for(platform: str, campaign: str, beta: np.ndarray, k: float, mean_spend: float) -> pd.DataFrame:
    return pd.DataFrame({"platform": platform, "campaign_id": campaign, "campaign_name": campaign, "beta": beta, "half_saturation": k,
                         "shape": 1.0, "adstock_decay": 0.2, "mean_daily_spend": mean_spend})


def test_the_plan_tests_first_the_campaign_whose_uncertainty_could_change_the_decision():
    rng = np.random.default_rng(0)
    uncertain = draws_for("meta", "wide", rng.lognormal(np.log(800), 0.6, 400), 400.0, 300.0)   # marginal return anywhere 0.3–2
    known = draws_for("google", "narrow", rng.lognormal(np.log(800), 0.02, 400), 400.0, 300.0)
    table = experiments.plan(pd.concat([uncertain, known]), {("meta", "wide"): 300.0, ("google", "narrow"): 300.0}, lam=1.0,
                             residual_sd=400.0, value_per_order=35.0)
    first = table[table["run_first"]]
    assert len(first) == 1 and first["campaign_id"].iloc[0] == "wide"
    assert (table["width_after"] <= table["width_now"] + 1e-9).all()
    wide = table[table["campaign_id"] == "wide"]
    assert (wide["width_after"] < 0.8 * wide["width_now"]).any()
    assert table.loc[table["campaign_id"] == "narrow", "value"].max() < 0.05 * wide["value"].max()
    # costs, by hand: half the regions dark for 28 days forgo half the campaign's margin and save half its spend;
    # alternating ±50 % weeks lose what the curve's bend costs at the same mean spend
    curve = lambda s: float(np.mean(hill(s, known["beta"].to_numpy(), 400.0, 1.0)))
    geo = table[(table["campaign_id"] == "narrow") & table["design"].str.startswith("geo")]
    swing = table[(table["campaign_id"] == "narrow") & table["design"].str.startswith("alternating")]
    assert geo["cost"].iloc[0] == pytest.approx(0.5 * 28 * (curve(300.0) - 300.0))
    assert swing["cost"].iloc[0] == pytest.approx(28 * (curve(300.0) - (curve(450.0) + curve(150.0)) / 2)) and swing["cost"].iloc[0] > 0
