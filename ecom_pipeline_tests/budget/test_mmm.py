"""The media-mix model against worlds whose truth is known: data drawn from its own equations with varied casts, the
simulator's brands with random casts, and lift tests that pin what observation cannot."""

from datetime import date

import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr

from ecom_pipeline.budget import mmm, mmm_inputs
from ecom_pipeline.budget.allocate import _feasible_start
from ecom_pipeline.budget.recommend import BudgetConfig, recommend
from ecom_pipeline.sample.brand import simulate

DAYS = 180


def world(seed: int, n_lines: int = 6, flat: tuple[int, ...] = (), days: int = DAYS, yearly: float = 0.0):
    """Spend in fortnightly regimes with daily noise (flat lines barely move), and an outcome from the model's own
    equations with a cast drawn per seed and a yearly swing of ± `yearly` of the baseline: (spend, outcome, true β,
    K, κ, θ)."""
    rng = np.random.default_rng(seed)
    index = pd.date_range("2025-01-06", periods=days)
    base = rng.uniform(100, 600, n_lines)
    spend = np.empty((n_lines, days))
    for c in range(n_lines):
        low, high, noise = (0.95, 1.05, 0.03) if c in flat else (0.5, 1.6, 0.18)
        spend[c] = base[c] * rng.uniform(low, high, days // 14 + 1).repeat(14)[:days] * rng.lognormal(0, noise, days)
    k = base * rng.uniform(0.4, 2.5, n_lines)
    kappa = rng.uniform(0.7, 2.0, n_lines)
    theta = rng.uniform(0.0, 0.6, n_lines)
    at_base = base * np.exp(rng.uniform(np.log(0.3), np.log(3.0), n_lines))  # margin bought at base spend: ROAS 0.3–3
    beta = at_base * (base**kappa + k**kappa) / base**kappa
    a = mmm.adstock(spend, theta)
    weekday = np.array([1.0, 0.97, 0.96, 0.98, 1.04, 1.08, 1.05])[index.dayofweek]
    season = 1 + yearly * np.sin(2 * np.pi * index.dayofyear.to_numpy() / 365.25)
    mean = 3000 * weekday * season + mmm.hill(a, beta[:, None], k[:, None], kappa[:, None]).sum(axis=0)
    outcome = mean + rng.normal(0, 0.1 * mean.mean(), days)
    lines = [("meta", f"c{c}") for c in range(n_lines)]
    return pd.DataFrame(spend.T, index=index, columns=lines), pd.Series(outcome, index=index), beta, k, kappa, theta


def test_the_posterior_ranks_and_covers_the_marginal_returns_of_casts_it_never_saw():
    covered, total, rhos = 0, 0, []
    for seed in range(4):
        spend, outcome, beta, k, kappa, _ = world(seed)
        model = mmm.fit(spend, outcome, holdout=False)
        x = spend.to_numpy().mean(axis=0)
        truth = mmm.hill_slope(x, beta, k, kappa)
        draws = np.array([model.marginal(c, x[c]) for c in range(len(x))])
        low, high = np.percentile(draws, 5, axis=1), np.percentile(draws, 95, axis=1)
        covered += int(((low <= truth) & (truth <= high)).sum())
        total += len(x)
        rhos.append(spearmanr(draws.mean(axis=1), truth)[0])
    assert covered / total >= 0.75, (covered, total)
    assert np.median(rhos) >= 0.6, rhos


def test_a_year_of_history_gets_yearly_seasonality_and_still_ranks_the_campaigns(monkeypatch):
    spend, outcome, beta, k, kappa, _ = world(5, days=730, yearly=0.25)
    seasonal = mmm.fit(spend, outcome, holdout=False)
    monkeypatch.setattr(mmm, "YEAR_DAYS", 10**6)  # the same two years without the yearly terms: the swing is left as noise
    blind = mmm.fit(spend, outcome, holdout=False)
    x = spend.to_numpy().mean(axis=0)
    truth = mmm.hill_slope(x, beta, k, kappa)
    estimate = np.array([seasonal.marginal(c, x[c]).mean() for c in range(len(x))])
    assert len(seasonal.estimate) == len(blind.estimate) + 4
    assert seasonal.r2 > blind.r2 + 0.1 and seasonal.sigma < 0.85 * blind.sigma
    assert spearmanr(estimate, truth)[0] >= 0.7


def test_a_lift_test_pins_a_campaign_whose_spend_never_moved():
    spend, outcome, beta, k, kappa, _ = world(11, flat=(0,))
    line = spend.columns[0]
    test_days = spend.index[-28:]
    effect = float(mmm.hill(spend[line].loc[test_days].to_numpy(), beta[0], k[0], kappa[0]).sum())
    blind = mmm.fit(spend, outcome, holdout=False)
    test = mmm.LiftTest(line, test_days[0], test_days[-1], effect, 0.08 * effect, name="holdout on c0")
    calibrated = mmm.fit(spend, outcome, lift_tests=[test], holdout=False)
    x = float(spend[line].mean())
    true_response = float(mmm.hill(x, beta[0], k[0], kappa[0]))
    before, after = blind.response(0, x), calibrated.response(0, x)
    assert blind.spend_cv()[0] < mmm.FLAT_SPEND_CV
    width = lambda d: np.subtract(*np.percentile(d, [95, 5]))
    assert width(after) < width(before) / 3
    assert abs(np.median(after) / true_response - 1) < 0.15
    assert calibrated.calibrated == [line] and calibrated.tests == ["holdout on c0"]
    assert mmm.curves_from_draws(mmm.draws_table(calibrated, {}))[line].identifiable
    assert not mmm.curves_from_draws(mmm.draws_table(blind, {}))[line].identifiable


def simulated_inputs(days: int, seed: int):
    """A simulated brand's exported spend and its new customers' first-order margin (subtotal − cost of goods), with
    the truth scored in the same margin."""
    brand = simulate(days, seed, date(2025, 6, 1), progress=False, cast="random")
    index = pd.date_range("2025-06-01", periods=days)
    spend = brand.ad_daily.groupby(["day", "campaign"])["spend"].sum().unstack().set_axis(index)
    lines = list(zip(brand.campaigns["platform"], brand.campaigns["campaign_id"]))
    spend.columns = lines
    orders = brand.orders[(brand.orders["customer_order_seq"] == 1) & ~brand.orders["cancelled"]]
    value = orders["subtotal"] - orders["cogs"]
    outcome = value.groupby(orders["day"]).sum().reindex(range(days), fill_value=0.0).set_axis(index)
    margin = float(value[orders["kind"] == "paid"].mean())
    weight = brand.inventory["sku"].map(dict(zip(brand.products["sku"], brand.products["popularity"] / brand.products["popularity"].sum())))
    in_stock = (weight * (brand.inventory["on_hand"] > 0)).groupby(brand.inventory["day"]).sum().set_axis(index)
    return spend, outcome, in_stock.to_frame("in_stock"), brand.truth, lines, margin


def panel_of(spend: pd.DataFrame) -> pd.DataFrame:
    """The budget's input panel (day, line, spend) for a day × (platform, campaign_id) spend frame, outcome unused."""
    panel = spend.stack().rename("spend").reset_index().set_axis(["day", "line", "spend"], axis=1)
    return panel.assign(platform=panel["line"].str[0], campaign_id=panel["line"].str[1], campaign_name=panel["line"].str[1],
                        channel=panel["line"].str[0], outcome=0.0).drop(columns="line")


@pytest.mark.parametrize("seed", [21, 22, 23])
def test_the_budget_never_loses_to_holding_on_brands_with_random_casts(seed):
    spend, outcome, in_stock, truth, lines, margin = simulated_inputs(150, seed)
    model = mmm.fit(spend, outcome, controls=in_stock, seed=seed, holdout=False)
    curves = mmm.curves_from_draws(mmm.draws_table(model, {}))
    panel = panel_of(spend)
    table, _, summary = recommend(panel, pd.DataFrame(), BudgetConfig(history_days=150), spend.index[-1], curves)
    true = {(c["platform"], c["campaign_id"]): c["response_curve"] for c in truth["campaigns"]}
    keys = list(zip(table["platform"], table["campaign_id"]))

    def profit(plan):
        return sum(margin * mmm.hill(x, true[k]["beta"], true[k]["K"], true[k]["kappa"]) - x for k, x in zip(keys, plan))

    recommended, mean28 = table["recommended_daily_spend"].to_numpy(), table["mean_daily_spend_28d"].to_numpy()
    hold = _feasible_start(mean28 * recommended.sum() / mean28.sum(), 0.7 * mean28, 1.3 * mean28, recommended.sum(), "fixed")
    assert np.allclose(table["hold_daily_spend"], hold, rtol=0.01)  # a flat-spend line is pinned at its mean, not scaled
    assert recommended.sum() == pytest.approx(hold.sum())
    assert profit(recommended) >= profit(hold) - 1e-6, (profit(recommended) - profit(hold), summary["p_improve"])
    assert summary["posterior_draws"] == mmm.DRAWS and summary["change_p5"] <= summary["change_p50"] <= summary["change_p95"]


def test_without_a_fitted_model_every_campaign_is_held_at_its_28_day_mean():
    spend, *_ = world(3, n_lines=3)
    spend = spend.iloc[:20]
    panel = panel_of(spend)
    table, _, summary = recommend(panel, pd.DataFrame(), BudgetConfig(), spend.index[-1], posterior={})
    hold = spend.iloc[-20:].mean().to_numpy() * spend.iloc[-7:].mean().sum() / spend.iloc[-20:].mean().sum()
    assert np.allclose(table["recommended_daily_spend"], hold) and np.allclose(table["hold_daily_spend"], hold)
    assert table["reason"].str.startswith("Held at its 28-day mean: the media-mix model is not fitted yet").all()
    assert pd.isna(summary["p_improve"]) and "not fitted yet" in summary["warnings"][0]


def test_a_plan_short_of_confidence_moves_only_as_far_as_the_posterior_is_sure():
    spend, outcome, in_stock, *_ = simulated_inputs(150, 22)
    curves = mmm.curves_from_draws(mmm.draws_table(mmm.fit(spend, outcome, controls=in_stock, seed=22, holdout=False), {}))
    advice = {bar: recommend(panel_of(spend), pd.DataFrame(), BudgetConfig(history_days=150, min_confidence=bar), spend.index[-1], curves)
              for bar in (0.5, 0.9, 0.97)}
    hold = advice[0.5][0]["hold_daily_spend"].to_numpy()
    moved = {bar: float(np.abs(table["recommended_daily_spend"].to_numpy() - hold).sum()) for bar, (table, _, _) in advice.items()}
    bold, partway, held = advice[0.5][2], advice[0.9][2], advice[0.97][2]
    assert 0.8 < bold["p_improve"] < 0.9 and bold["shrink"] == 1.0  # the expected-profit plan, followed all the way
    # a 90 % bar: the longest 5 %-step toward it that beats holding in ≥ 90 % of the draws, and its own interval
    assert 0.0 < partway["shrink"] < 1.0 and moved[0.9] == pytest.approx(partway["shrink"] * moved[0.5])
    assert partway["p_improve"] >= 0.9 and partway["change_p5"] < partway["change_p50"] < bold["change_p50"]
    assert advice[0.9][0]["reason"].str.contains("Moved only 80% of the way toward the plan that maximises expected profit").all()
    # a 97 % bar that no step clears: held, a change of exactly nothing
    assert moved[0.97] == 0.0 and pd.isna(held["p_improve"]) and held["change_p5"] == held["change_p95"] == 0.0
    assert advice[0.97][0]["reason"].str.contains("no smaller step toward it reaches 97%").all()


def test_a_day_the_ad_platforms_have_not_reported_yet_is_not_a_day_without_spend():
    spend, *_ = simulated_inputs(60, 21)
    late = spend.index[-1] + pd.Timedelta(days=1)
    rows = spend.stack().rename("spend").reset_index().set_axis(["day", "line", "spend"], axis=1)
    performance = rows.assign(platform=rows["line"].str[0], campaign_id=rows["line"].str[1], campaign_name=rows["line"].str[1], model="m",
                              default_model=True).drop(columns="line")
    days = pd.date_range(spend.index[0], late)
    assert mmm_inputs.spend_matrix(performance, days).index[-1] == late  # the pivot alone would read the day as all zeros
    empty = (pd.DataFrame(columns=["is_first_order", "cancelled", "order_date", "packages", "label_cost", "contribution_margin", "acquisition_channel",
                                   "net_sales"]),
             pd.DataFrame(columns=["variant_key", "order_date", "quantity"]), pd.DataFrame(columns=["location", "variant_key", "snapshot_date", "available"]))
    trimmed, *_ = mmm_inputs.model_inputs(performance, *empty, days, "profit", {}, 0.0)
    assert trimmed.index[-1] == spend.index[-1] and len(trimmed) == 60
    panel = performance.assign(channel=performance["platform"], outcome=0.0)
    table, _, _ = recommend(panel, pd.DataFrame(), BudgetConfig(history_days=60), late, {})
    expected = spend.iloc[-7:].mean()
    assert table["current_daily_spend"].to_numpy() == pytest.approx([expected[line] for line in zip(table["platform"], table["campaign_id"])])
    # a week without any spend is every campaign switched off, not a lag: today's spend is what it is
    silent = pd.date_range(spend.index[0], spend.index[-1] + pd.Timedelta(days=7))
    assert mmm_inputs.model_inputs(performance, *empty, silent, "profit", {}, 0.0)[0].index[-1] == silent[-1]
    table, _, _ = recommend(panel, pd.DataFrame(), BudgetConfig(history_days=60), silent[-1], {})
    assert len(table) == spend.shape[1] and (table["current_daily_spend"] == 0).all()
