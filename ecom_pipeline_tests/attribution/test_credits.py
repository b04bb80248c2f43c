import random

import numpy as np
import pandas as pd
import pytest

from ecom_pipeline.attribution.credits import MODELS, AttributionConfig, Touches, attribute_days, credits, fit_data_models, rule_credits
from ecom_pipeline.attribution.paths import from_frame

ROWS = pd.DataFrame({
    "order_id": ["o1", "o1", "o1", "o2", "o3", "o3"], "position": [1, 2, 3, 1, 1, 2],
    "channel": ["Paid Social", "Email", "Paid Social", "Direct", "Paid Search", "Direct"],
    "days_before_conversion": [14.0, 7.0, 0.0, 0.0, 7.0, 0.0],
})
TRAINING = from_frame(pd.DataFrame({
    "path": ["Paid Social > Email > Paid Social", "Direct", "Paid Search > Direct", "Paid Social", "Email"],
    "total_conversions": [1, 1, 1, 0, 0], "total_conversion_value": [50.0, 20.0, 30.0, 0, 0], "total_null": [2, 3, 1, 4, 2],
}))


def by_touch(model, config=AttributionConfig()):
    return credits(ROWS, fit_data_models(TRAINING), config, models=(model,)).set_index(["order_id", "position"])["credit"].round(6).to_dict()


def test_rule_based_credits_by_hand():
    assert by_touch("first_touch") == {("o1", 1): 1, ("o1", 2): 0, ("o1", 3): 0, ("o2", 1): 1, ("o3", 1): 1, ("o3", 2): 0}
    assert by_touch("last_non_direct") == {("o1", 1): 0, ("o1", 2): 0, ("o1", 3): 1, ("o2", 1): 1, ("o3", 1): 1, ("o3", 2): 0}
    # half-life 7 days: weights 1/4, 1/2, 1 → 1/7, 2/7, 4/7
    decay = by_touch("time_decay")
    assert [decay[("o1", i)] for i in (1, 2, 3)] == pytest.approx([1 / 7, 2 / 7, 4 / 7], abs=1e-6)
    assert by_touch("time_decay", AttributionConfig(half_life_days=14))[("o3", 1)] == pytest.approx(2 ** -0.5 / (1 + 2 ** -0.5), abs=1e-6)
    assert by_touch("position_based")[("o1", 2)] == pytest.approx(0.2)


def test_markov_credit_is_shared_by_removal_effect_then_over_a_channels_touches():
    fitted = fit_data_models(TRAINING)
    effects = fitted["markov_1"].weights()
    social, email = effects["Paid Social"], effects["Email"]
    got = by_touch("markov_1")
    assert got[("o1", 1)] == pytest.approx(social / (social + email) / 2, abs=1e-6)
    assert got[("o1", 2)] == pytest.approx(email / (social + email), abs=1e-6)


def test_every_model_gives_each_order_non_negative_credits_summing_to_one():
    rng = random.Random(2)
    channels = ["Paid Social", "Paid Search", "Email", "Direct", "Organic Search"]
    rows, paths = [], []
    for order in range(300):
        touches = [rng.choice(channels) for _ in range(rng.randint(1, 6))]
        paths.append(" > ".join(t for i, t in enumerate(touches) if i == 0 or t != touches[i - 1]))
        rows += [{"order_id": f"o{order}", "position": i + 1, "channel": t, "days_before_conversion": rng.uniform(0, 30)} for i, t in enumerate(touches)]
    training = from_frame(pd.DataFrame({"path": paths + paths[:50], "total_conversions": [1] * 300 + [0] * 50, "total_null": [0] * 300 + [2] * 50}))
    out = credits(pd.DataFrame(rows).sample(frac=1, random_state=1), fit_data_models(training))
    assert set(out["model"]) == set(MODELS)
    assert (out["credit"] >= 0).all()
    sums = out.groupby(["model", "order_id"])["credit"].sum()
    assert np.allclose(sums, 1.0)
    assert len(sums) == 300 * len(MODELS)


def test_an_unknown_rule_is_refused():
    with pytest.raises(ValueError, match="unknown rule-based model"):
        rule_credits(Touches.of(ROWS), "u_shaped")


def test_invalid_configuration_is_refused():
    with pytest.raises(ValueError, match="sum to 1"):
        AttributionConfig(position_weights=(0.5, 0.2, 0.5))
    with pytest.raises(ValueError, match="half-life must be positive"):
        AttributionConfig(half_life_days=0)


def test_data_driven_models_are_fitted_on_the_trailing_window_of_each_day():
    d1, d2, old = pd.Timestamp("2025-06-10"), pd.Timestamp("2025-06-11"), pd.Timestamp("2025-05-01")
    rows = pd.DataFrame({"order_id": ["o1", "o2"], "position": [1, 1], "channel": ["Email", "Direct"],
                         "days_before_conversion": [0.0, 0.0], "conversion_day": [d1, d2]})
    orders = pd.DataFrame({"order_id": ["o1", "o2"], "net_sales": [80.0, 20.0], "contribution_margin": [30.0, 5.0], "is_first_order": [True, False]})
    paths = pd.DataFrame({"day": [old, d1, d2], "path": ["Affiliate", "Email", "Direct"], "total_conversions": [1, 1, 1],
                          "total_conversion_value": [10.0, 80.0, 20.0], "total_null": [0, 0, 0]})
    table, fitted = attribute_days(rows, orders, paths, ["2025-06-10", "2025-06-11"], training_days=30)
    assert fitted["2025-06-10"]["markov_1"].channels == ("Email",)  # the May path is outside the 30-day window
    assert fitted["2025-06-11"]["markov_1"].channels == ("Direct", "Email")
    o1 = table[(table["order_id"] == "o1") & (table["model"] == "markov_1")]
    assert o1[["credit", "attributed_revenue", "attributed_margin", "new_customer"]].iloc[0].tolist() == [1.0, 80.0, 30.0, True]
    assert len(table) == 2 * len(MODELS)
