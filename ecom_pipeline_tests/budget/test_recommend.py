import numpy as np
import pandas as pd
import pytest

from ecom_pipeline.budget.inventory import campaign_cover, campaign_products, guardrail, product_cover
from ecom_pipeline.budget.recommend import BudgetConfig, recommend
from ecom_pipeline.budget.response import adstock, hill

AS_OF = pd.Timestamp("2025-06-30")
DAYS = pd.date_range(AS_OF - pd.Timedelta(days=89), AS_OF)


def panel(lines: dict, noise: float = 0.5, seed: int = 4) -> pd.DataFrame:
    """Daily spend (varying around 100) and outcome from known Hill curves, one campaign per entry."""
    rng = np.random.default_rng(seed)
    rows = []
    for campaign, (beta, k, kappa) in lines.items():
        spend = 100 * np.exp(rng.normal(0, 0.35, len(DAYS)))
        spend[-28:] = 100 * np.exp(rng.normal(0, 0.1, 28))
        outcome = hill(adstock(spend, 0.3), beta, k, kappa) + rng.normal(0, noise, len(DAYS))
        rows.append(pd.DataFrame({"day": DAYS, "platform": "meta", "campaign_id": campaign, "campaign_name": f"Campaign {campaign}",
                                  "channel": "Paid Social – Meta", "spend": spend, "outcome": outcome}))
    return pd.concat(rows, ignore_index=True)


def cover_frame(values: dict) -> pd.DataFrame:
    return pd.DataFrame([{"platform": "meta", "campaign_id": c, "days_of_cover": d, "limiting_product": f"product-{c}",
                          "out_of_stock": f"product-{c}" if d <= 0 else ""} for c, d in values.items()])


def test_money_moves_toward_the_higher_marginal_return():
    lines = {"strong": (1000.0, 300.0, 1.0), "weak": (200.0, 100.0, 1.0)}  # R'(100) ≈ 1.9 vs 0.5
    table, curves, summary = recommend(panel(lines), cover_frame({}), BudgetConfig(bootstrap=40), AS_OF)
    rows = table.set_index("campaign_id")
    assert rows.loc["strong", "recommended_daily_spend"] > rows.loc["strong", "current_daily_spend"]
    assert rows.loc["weak", "recommended_daily_spend"] < rows.loc["weak", "current_daily_spend"]
    assert table["recommended_daily_spend"].sum() == pytest.approx(table["current_daily_spend"].sum())
    assert rows.loc["strong", "marginal_return"] > rows.loc["weak", "marginal_return"]
    assert rows.loc["weak", "binding"] == "lower" and "At its lower bound" in rows.loc["weak", "reason"]
    assert summary["p_improve"] > 0.9 and summary["change_p5"] > 0 and summary["change_p5"] <= summary["change_p50"] <= summary["change_p95"]
    assert (rows["recommended_p5"] <= rows["recommended_daily_spend"] + 1e-6).all()


def test_inventory_guardrails_pause_cap_and_hold_and_say_why():
    lines = {"strong": (1000.0, 300.0, 1.0), "sold_out": (1000.0, 300.0, 1.0), "low": (1000.0, 300.0, 1.0),
             "short": (1000.0, 300.0, 1.0), "weak": (200.0, 100.0, 1.0)}
    cover = cover_frame({"sold_out": 0.0, "low": 3.5, "short": 10.0, "strong": 60.0, "weak": 60.0})
    table, _, summary = recommend(panel(lines), cover, BudgetConfig(bootstrap=20, lead_time_days=14, low_stock_days=7), AS_OF)
    rows = table.set_index("campaign_id")
    assert rows.loc["sold_out", "recommended_daily_spend"] == 0 and rows.loc["sold_out", "reason"].startswith("Paused: product-sold_out is out of stock")
    assert rows.loc["low", "recommended_daily_spend"] <= rows.loc["low", "current_daily_spend"] * 3.5 / 7 + 1e-6
    assert "days of stock left" in rows.loc["low", "reason"]
    assert rows.loc["short", "recommended_daily_spend"] <= rows.loc["short", "current_daily_spend"] + 1e-6
    assert "less than the 14-day lead time" in rows.loc["short", "reason"]
    with_restock = cover.assign(restock_incoming=cover["campaign_id"] == "short")
    table, _, _ = recommend(panel(lines), with_restock, BudgetConfig(bootstrap=5), AS_OF)
    assert table.set_index("campaign_id").loc["short", "guardrail"] == ""  # a restock is on its way: the lead time does not bind
    assert rows.loc["strong", "recommended_daily_spend"] > rows.loc["strong", "current_daily_spend"]
    # what the guardrails take away cannot all be placed within ±30 %: said, and the nearest feasible budget used
    assert any("cannot sum to the budget" in w for w in summary["warnings"])


def test_an_uncertain_gain_is_shrunk_toward_current_spend():
    lines = {"a": (400.0, 200.0, 1.0), "b": (400.0, 200.0, 1.0)}  # the same curve: no true gain, only noise
    table, _, summary = recommend(panel(lines, noise=25.0, seed=9), cover_frame({}), BudgetConfig(bootstrap=60, min_confidence=0.95), AS_OF)
    assert summary["p_improve"] < 0.95 and summary["shrink"] < 1.0
    assert all("Moved only" in reason for reason in table["reason"])


def test_bad_configuration_is_refused():
    with pytest.raises(ValueError, match="objective must be one of revenue, profit, profit_ltv"):
        BudgetConfig(objective="roas")
    with pytest.raises(ValueError, match="mode must be fixed or flexible"):
        BudgetConfig(mode="greedy")


def test_product_cover_and_campaign_cover_by_hand():
    inventory = pd.DataFrame({"snapshot_date": pd.to_datetime(["2025-06-29", "2025-06-30", "2025-06-30", "2025-06-30", "2025-06-30"]),
                              "variant_key": ["TEE-S", "TEE-S", "TEE-M", "CAP-1", "CAP-1"], "location": ["Main", "Main", "Main", "Main", "Pop-up"],
                              "available": [99, 10, 18, 0, 3], "incoming": [0, 0, 0, 0, 0]})
    lines = pd.DataFrame({"order_id": ["1", "2", "3"], "order_date": pd.to_datetime(["2025-06-20", "2025-06-25", "2025-06-30"]),
                          "variant_key": ["TEE-S", "TEE-M", "CAP-1"], "quantity": [28, 28, 14]})
    products = {"TEE-S": "tee", "TEE-M": "tee", "CAP-1": "cap"}
    cover = product_cover(inventory, lines, products, AS_OF).set_index("product")
    assert cover.loc["tee", "available"] == 28 and cover.loc["tee", "units_per_day"] == 2 and cover.loc["tee", "days_of_cover"] == 14
    assert cover.loc["tee", "incoming"] == 0
    assert cover.loc["cap", "days_of_cover"] == 0  # the pop-up's 3 caps are not the web shop's to sell
    credits = pd.DataFrame({"model": "linear", "order_id": ["1", "2", "3"], "platform": "meta", "campaign_id": ["c", "c", "c"], "credit": [1.0, 0.5, 0.1]})
    mine = campaign_products(credits, lines, products, "linear")
    assert mine.set_index("product")["units"].to_dict() == pytest.approx({"tee": 42.0, "cap": 1.4})
    limited = campaign_cover(mine, cover.reset_index()).iloc[0]
    assert limited["limiting_product"] == "tee" and limited["days_of_cover"] == 14  # the cap is under 20 % of its units
    assert guardrail(0, 14, 7) == ("paused", 0.0) and guardrail(3.5, 14, 7) == ("capped", 0.5)
    assert guardrail(10, 14, 7) == ("no scale-up", 1.0) and guardrail(30, 14, 7)[0] == "" and guardrail(10, 14, 7, restock_incoming=True)[0] == ""


def test_a_bound_that_moves_spend_the_other_way_says_so():
    from ecom_pipeline.budget.recommend import _bound_lead

    # Today's 1,471 is below the band around the 28-day mean: its lower bound (1,655) raises it.
    raised = {"current_daily_spend": 1471.10, "recommended_daily_spend": 1655.61}
    assert _bound_lead(raised, "lower", "Raised", "above") == "Raised to its lower bound, above today's 1,471.10/day"
    assert _bound_lead({"current_daily_spend": 900.0, "recommended_daily_spend": 700.0}, "lower", "Raised", "above") == "At its lower bound"
    assert _bound_lead({"current_daily_spend": 900.0, "recommended_daily_spend": 800.0}, "upper", "Lowered", "below") == "Lowered to its upper bound, below today's 900.00/day"
