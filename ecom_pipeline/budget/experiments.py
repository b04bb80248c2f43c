"""Experiments: what each landed lift test says, and which test to run next.

Readout: a test's measured incremental conversions ± standard error, read with a flat prior (posterior Normal), its
P(positive), the incremental ROAS and POAS it implies, beside what the platform claimed for the same campaign and days.

Plan: for each campaign, two designs — a holdout (Google: half the regions dark for 28 days; others: a 10 % people
holdout for 28 days) and alternating ±50 % spend weeks for 4 weeks — each with the 90 % interval of the campaign's
marginal return expected afterwards (a Gaussian update of the posterior draws by the measurement the design gives),
its cost in expected profit, and the expected value of deciding with it: the two-action normal-loss value of sample
information, Δ·σ·L(|μ − λ|/σ) per day over the next 91 days of budget decisions (Δ: the spend a decision moves,
λ: the portfolio's marginal return, σ: how far the test is expected to move the posterior mean).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import norm

from ecom_pipeline.budget.mmm import hill, hill_slope

TEST_DAYS = 28
HOLDOUT_SHARE = {"geo": 0.5, "people": 0.1}
ALTERNATING_SWING = 0.5
BENEFIT_DAYS = 91
Z90 = float(norm.ppf(0.95))


def readouts(tests: pd.DataFrame, lines: dict[tuple[str, str], dict], performance: pd.DataFrame, value_per_order: pd.Series,
             revenue_per_order: pd.Series) -> pd.DataFrame:
    """One row per landed test: its measurement read as a posterior, what it implies per dollar, and the platform's
    claim for the same campaign and days. `lines` maps (platform, campaign_id) to its name; `value_per_order` and
    `revenue_per_order` are the daily margin and net sales per new customer's first order."""
    rows = []
    for test in tests.to_dict("records"):
        line = match_line(test, lines)
        days = pd.date_range(test["start_date"], test["end_date"])
        x, se = float(test["incremental_conversions"]), float(test["standard_error"])
        margin = float(value_per_order.reindex(days).mean()) if line else np.nan
        revenue = float(revenue_per_order.reindex(days).mean()) if line else np.nan
        mine = performance[(performance["platform"] == line[0]) & (performance["campaign_id"] == line[1])] if line else performance.iloc[0:0]
        mine = mine[mine["day"].between(days[0], days[-1])]
        mine = mine[mine["default_model"].fillna(False).astype(bool)] if "default_model" in mine else mine
        spend = float(test["spend"]) if not pd.isna(test["spend"]) else float(mine["spend"].sum())
        claimed = float(mine["platform_conversions"].sum()) if len(mine) else np.nan
        rows.append({
            "test_name": test["test_name"] or f"{test['campaign']} {test['test_type']}", "platform": line[0] if line else test["platform"],
            "campaign_id": line[1] if line else None, "campaign_name": lines[line]["campaign_name"] if line else test["campaign"],
            "matched": line is not None, "test_type": test["test_type"], "start_date": days[0], "end_date": days[-1], "days": len(days),
            "spend": spend, "incremental_conversions": x, "standard_error": se, "p5": x - Z90 * se, "p95": x + Z90 * se,
            "p_positive": float(norm.cdf(x / se)), "incremental_roas": x * revenue / spend if spend > 0 else np.nan,
            "incremental_poas": x * margin / spend if spend > 0 else np.nan, "platform_conversions": claimed,
            "platform_over_claim": claimed / x if x > 0 and not np.isnan(claimed) else np.nan,
        })
    return pd.DataFrame(rows)


def match_line(test: dict, lines: dict[tuple[str, str], dict]) -> tuple[str, str] | None:
    """The campaign a test names, by id or by name (case-insensitive), within its platform when it gives one."""
    wanted = str(test["campaign"]).strip().lower()
    platform = str(test["platform"]).strip().lower() if not pd.isna(test["platform"]) else ""
    for line, facts in lines.items():
        if platform and line[0] != platform:
            continue
        if wanted in (line[1].lower(), str(facts["campaign_name"]).strip().lower()):
            return line
    return None


def holdout_standard_error(caused_orders: float, share: float) -> float:
    """A holdout's standard error in orders: the test cell's Poisson count plus the control's scaled by
    (1 − share)/share, the audience's other conversions taken as twice the caused ones."""
    return float(np.sqrt(caused_orders + 3 * caused_orders * (1 - share) / share + 25))


def plan(draws: pd.DataFrame, current: dict[tuple[str, str], float], lam: float, residual_sd: float, value_per_order: float) -> pd.DataFrame:
    """Per campaign and design: the marginal return's 90 % interval now and expected after the test, the test's cost,
    its value of information, and which single test to run first (the best positive net value)."""
    rows = []
    for (platform, campaign), group in draws.groupby(["platform", "campaign_id"], sort=False):
        x = current.get((platform, campaign), float(group["mean_daily_spend"].iloc[0]))
        if x <= 0:
            continue
        beta, k, kappa = (group[c].to_numpy(float) for c in ("beta", "half_saturation", "shape"))
        marginal = hill_slope(x, beta, k, kappa)
        response = hill(x, beta, k, kappa)
        google = platform == "google"
        share = HOLDOUT_SHARE["geo" if google else "people"]
        caused = float(np.mean(response)) * TEST_DAYS / max(value_per_order, 1e-9)
        holdout_se = holdout_standard_error(caused, share) * value_per_order
        effect = response * TEST_DAYS
        cov = np.cov(marginal, effect)
        prior_sd = float(np.sqrt(cov[0, 0]))
        holdout_var = cov[0, 0] - cov[0, 1] ** 2 / (cov[1, 1] + holdout_se**2)
        swing_se = residual_sd / (ALTERNATING_SWING * x * np.sqrt(TEST_DAYS))
        swing_var = 1 / (1 / max(cov[0, 0], 1e-18) + 1 / swing_se**2)
        mean_curve = lambda s: float(np.mean(hill(s, beta, k, kappa)))
        # Half the regions dark forgo half the response and save half the spend; a people holdout spends the same on
        # the other 90 %, who then respond as 90 % of the audience at x / 0.9.
        holdout_cost = share * (mean_curve(x) - x) if google else mean_curve(x) - (1 - share) * mean_curve(x / (1 - share))
        designs = {
            "geo holdout (half the regions dark)" if google else "conversion lift (10 % of people held out)": (holdout_var, TEST_DAYS * holdout_cost),
            "alternating ±50 % spend weeks": (swing_var, TEST_DAYS * (mean_curve(x) - (mean_curve((1 + ALTERNATING_SWING) * x) + mean_curve((1 - ALTERNATING_SWING) * x)) / 2)),
        }
        stake = 0.3 * x  # the spend one budget decision moves: ±30 % of the campaign's spend
        gap = abs(float(marginal.mean()) - lam)
        for design, (after_var, cost) in designs.items():
            moved_sd = float(np.sqrt(max(prior_sd**2 - after_var, 0.0)))
            value = stake * moved_sd * _normal_loss(gap / moved_sd) * BENEFIT_DAYS if moved_sd > 0 else 0.0
            rows.append({
                "platform": platform, "campaign_id": campaign, "campaign_name": group["campaign_name"].iloc[0], "design": design,
                "days": TEST_DAYS, "daily_spend": x, "marginal_return_mean": float(marginal.mean()),
                "width_now": 2 * Z90 * prior_sd, "width_after": 2 * Z90 * float(np.sqrt(max(after_var, 0.0))),
                "cost": float(cost), "value": float(value), "net_value": float(value - cost),
            })
    table = pd.DataFrame(rows)
    if table.empty:
        return table
    table = table.sort_values("net_value", ascending=False).reset_index(drop=True)
    table["run_first"] = (table.index == 0) & (table["net_value"] > 0)
    return table


def _normal_loss(z: float) -> float:
    """E[max(Z − z, 0)] for a standard normal Z: the expected loss of a two-action decision at distance z."""
    return float(norm.pdf(z) - z * norm.sf(z))
