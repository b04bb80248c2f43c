"""Next period's budget per campaign: fit each line's response curve, bound it (±30 % of its 28-day mean, inventory
guardrails, no extrapolation where the data cannot tell), allocate, measure the uncertainty (posterior draws, or a
bootstrap of the attribution curves), move only as far from holding as the gain is sure, and say in a sentence why
each line lands where it does."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ecom_pipeline.budget.allocate import Allocation, _feasible_start, allocate
from ecom_pipeline.budget.inventory import guardrail
from ecom_pipeline.budget.mmm import PosteriorCurve
from ecom_pipeline.budget.mmm_inputs import last_reported_day
from ecom_pipeline.budget.response import ResponseCurve, fit_response, refit

OBJECTIVES = ("revenue", "profit", "profit_ltv")
LINE = ["platform", "campaign_id"]
SAFE_STEPS = 20  # the step toward the plan is searched in 5 % increments


@dataclass(frozen=True)
class BudgetConfig:
    objective: str = "profit"
    budget: float | None = None          # for the whole horizon; default: the trailing horizon's spend
    horizon_days: int = 7
    bound_pct: float = 0.30
    mode: str = "fixed"                  # or "flexible"
    target_marginal_return: float = 1.0  # flexible mode: spend while an extra dollar returns at least this
    ltv_share: float = 0.5               # ρ: share of new customers' predicted LTV margin counted (profit_ltv)
    lead_time_days: float = 14.0
    low_stock_days: float = 7.0
    bootstrap: int = 200
    min_confidence: float = 0.8
    history_days: int = 182
    seed: int = 0

    def __post_init__(self):
        if self.objective not in OBJECTIVES:
            raise ValueError(f"objective must be one of {', '.join(OBJECTIVES)}, not {self.objective!r}")
        if self.mode not in ("fixed", "flexible"):
            raise ValueError(f"mode must be fixed or flexible, not {self.mode!r}")
        if not 0 <= self.bound_pct < 1:
            raise ValueError(f"bound_pct must be in [0, 1), not {self.bound_pct}")
        if self.horizon_days < 1 or self.history_days < 14:
            raise ValueError("horizon_days must be ≥ 1 and history_days ≥ 14")


def outcome_panel(performance: pd.DataFrame, model: str, objective: str, ltv_by_channel: dict[str, float], ltv_share: float) -> pd.DataFrame:
    """Daily spend and outcome per paid campaign under one attribution model: attributed revenue, margin, or margin
    plus ρ × new customers × the channel's predicted LTV margin per new customer."""
    paid = performance[(performance["model"] == model) & performance["platform"].notna() & performance["campaign_id"].notna()]
    if objective == "revenue":
        outcome = paid["attributed_revenue"]
    elif objective == "profit":
        outcome = paid["attributed_margin"]
    else:
        outcome = paid["attributed_margin"] + ltv_share * paid["new_customers"] * paid["channel"].map(ltv_by_channel).fillna(0.0)
    panel = paid.assign(outcome=outcome).groupby(["day", *LINE], as_index=False).agg(
        campaign_name=("campaign_name", "first"), channel=("channel", "first"), spend=("spend", "sum"), outcome=("outcome", "sum"))
    return panel


def _series(panel: pd.DataFrame, days: pd.DatetimeIndex) -> dict[tuple, pd.DataFrame]:
    out = {}
    for key, group in panel.groupby(LINE):
        out[key] = group.set_index("day")[["spend", "outcome"]].reindex(days, fill_value=0.0)
    return out


def recommend(panel: pd.DataFrame, cover: pd.DataFrame, config: BudgetConfig, as_of: pd.Timestamp,
              posterior: dict[tuple, PosteriorCurve] | None = None) -> tuple[pd.DataFrame, dict, dict]:
    """(one row per campaign, {line: curve}, portfolio summary with the uncertainty and warnings). With `posterior`
    (the media-mix model's curves) the plan maximises expected profit over its draws and P(improve) is the share of
    draws in which it beats holding; without it, each line's curve is fitted on its attributed outcome and bootstrapped."""
    if (panel["spend"] > 0).any():  # ads not reported yet are not zero spend
        as_of = min(as_of, last_reported_day(pd.DatetimeIndex(panel.loc[panel["spend"] > 0, "day"]), as_of))
    first = max(as_of - pd.Timedelta(days=config.history_days - 1), panel["day"].min()) if len(panel) else as_of
    days = pd.date_range(first, as_of, freq="D")
    series = _series(panel[(panel["day"] >= days[0]) & (panel["day"] <= as_of)], days)
    names = panel.drop_duplicates(LINE).set_index(LINE)[["campaign_name", "channel"]]
    cover = cover.set_index(LINE) if len(cover) else pd.DataFrame(columns=["days_of_cover", "limiting_product", "out_of_stock"])
    lines, curves, warnings = [], {}, []
    if posterior is not None and not posterior:
        warnings.append("the media-mix model is not fitted yet (fewer than 28 days of paid spend): every campaign is held at its 28-day mean")
    for key, frame in series.items():
        recent = frame["spend"].iloc[-28:]
        if recent.sum() <= 0:
            continue
        curve, error = _curve(key, frame, posterior)
        if curve is None and posterior is None:
            warnings.append(f"{key[0]} {key[1]}: no response curve ({error}); kept at current spend")
        current = float(frame["spend"].iloc[-config.horizon_days:].mean())
        mean28 = float(recent.mean())
        lower, upper = (1 - config.bound_pct) * mean28, (1 + config.bound_pct) * mean28
        bound_note = ""
        if posterior is not None and (curve is None or not curve.identifiable):
            # no model yet, or its spend barely varied and no test measured it: held (pinned below)
            bound_note = "unidentifiable" if curve is not None else "no model"
        elif curve is not None:
            limit = curve.spend_limit if curve.identifiable else curve.max_spend
            if limit < upper:
                upper, bound_note = max(limit, lower), "extrapolation"
        else:
            lower = upper = current
        facts = cover.loc[key] if key in cover.index else None
        days_of_cover = float(facts["days_of_cover"]) if facts is not None else np.inf
        incoming = bool(facts["restock_incoming"]) if facts is not None and "restock_incoming" in facts.index else False
        kind, factor = guardrail(days_of_cover, config.lead_time_days, config.low_stock_days, incoming)
        if kind:
            cap = current * factor
            if cap < upper:
                upper, bound_note = cap, kind
            lower = min(lower, upper)
        lines.append({"platform": key[0], "campaign_id": key[1], "campaign_name": names.loc[key, "campaign_name"], "channel": names.loc[key, "channel"],
                      "current_daily_spend": current, "mean_daily_spend_28d": mean28, "lower": lower, "upper": upper, "guardrail": kind,
                      "upper_set_by": bound_note, "days_of_cover": days_of_cover,
                      "limiting_product": facts["limiting_product"] if facts is not None else None,
                      "out_of_stock": facts["out_of_stock"] if facts is not None else "", "max_daily_spend_observed": float(frame["spend"].max())})
        curves[key] = curve
    if not lines:
        return pd.DataFrame(), curves, {"warnings": ["no campaign spent in the last 28 days"]}
    table = pd.DataFrame(lines)
    fitted = [curves[(p, c)] or _flat(row, posterior) for (p, c), row in zip(zip(table["platform"], table["campaign_id"]), table.to_dict("records"))]
    lower, upper, current = table["lower"].to_numpy(), table["upper"].to_numpy(), table["current_daily_spend"].to_numpy()
    budget = (config.budget / config.horizon_days) if config.budget is not None else float(current.sum())
    mean28 = table["mean_daily_spend_28d"].to_numpy()
    hold = mean28 * budget / mean28.sum() if mean28.sum() > 0 else current
    pinned = table["upper_set_by"].isin(["unidentifiable", "no model"]).to_numpy()
    lower, upper = lower.copy(), upper.copy()
    lower[pinned] = upper[pinned] = np.clip(hold, (1 - config.bound_pct) * mean28, (1 + config.bound_pct) * mean28)[pinned]
    table["lower"], table["upper"] = lower, upper
    if config.mode == "fixed" and not (lower.sum() <= budget <= upper.sum()):
        warnings.append(f"the bounds cannot sum to the budget: {budget:,.2f}/day is outside [{lower.sum():,.2f}, {upper.sum():,.2f}]; "
                        f"the nearest feasible budget is used")
    target = config.target_marginal_return if config.mode == "flexible" else 0.0
    best = allocate(fitted, lower, upper, budget, config.mode, config.target_marginal_return, starts=[hold, current])
    # Holding: each line's 28-day mean scaled to the budget, inside its bounds: what the plan is judged against.
    base = _feasible_start(hold, lower, upper, best.budget, config.mode) if config.mode == "fixed" else np.clip(current, lower, upper)
    spend_counts = config.objective != "revenue"
    stats = (_posterior_stats(fitted, best, base, lower, upper, config, spend_counts) if posterior is not None
             else _bootstrap(table, series, fitted, best, base, config, spend_counts))
    shrink = 1.0
    if np.abs(best.spend - base).max() <= 1e-6 * max(1.0, best.budget):
        stats["p_improve"] = float("nan")  # nothing moves: there is no gain to be sure of
    elif posterior is not None and stats["p_improve"] < config.min_confidence:
        shrink = _safe_step(fitted, best.spend, base, config, spend_counts)
    elif stats["p_improve"] < config.min_confidence:
        shrink = float(np.clip((stats["p_improve"] - 0.5) / (config.min_confidence - 0.5), 0.0, 1.0))
    final = base + shrink * (best.spend - base)
    plan_p_improve = stats["p_improve"]  # of the expected-profit plan, which the reasons cite when it was not followed all the way
    if posterior is not None and shrink == 0.0:  # held: the change is exactly nothing
        stats.update({"change_p5": 0.0, "change_p50": 0.0, "change_p95": 0.0, "p_improve": float("nan")})
    elif posterior is not None and shrink < 1.0:  # the interval and P(improve) of the plan actually recommended
        stats.update(_change_stats(fitted, final, base, config, spend_counts))
    table["recommended_daily_spend"] = final
    table["change_pct"] = np.where(current > 0, final / np.where(current > 0, current, 1) - 1, np.nan)
    table["recommended_period_spend"] = final * config.horizon_days
    table["hold_daily_spend"] = base
    table["expected_outcome_current"] = [float(c.response(x)) for c, x in zip(fitted, current)]
    table["expected_outcome_recommended"] = [float(c.response(x)) for c, x in zip(fitted, final)]
    table["marginal_return"] = [float(c.marginal(x)) for c, x in zip(fitted, final)]
    table["binding"] = best.binding
    table["beyond_observed"] = final > table["max_daily_spend_observed"] + 1e-6
    table["recommended_p5"], table["recommended_p95"] = stats.pop("spend_p5"), stats.pop("spend_p95")
    for column, curve_value in (("curve_form", "form"), ("curve_r2", "r2"), ("identifiable", "identifiable"), ("adstock_theta", "theta"), ("spend_cv", "spend_cv"),
                                 ("calibrated", "calibrated")):
        table[column] = [getattr(curves[(p, c)], curve_value, None) if curves[(p, c)] else None for p, c in zip(table["platform"], table["campaign_id"])]
    table["reason"] = [_reason(row, best.lam, config, shrink, plan_p_improve, target, posterior is not None) for row in table.to_dict("records")]
    gain = float(sum(float(c.response(x) - c.response(b)) for c, x, b in zip(fitted, final, base)) - (np.sum(final - base) if spend_counts else 0.0))
    if config.mode == "fixed" and spend_counts and best.lam < 1.0 and any(b == "interior" for b in best.binding):
        warnings.append(f"at the margin every unconstrained campaign returns {best.lam:.2f} per extra dollar, less than the dollar it costs: "
                        f"a smaller budget (mode=flexible) or counting repeat purchases (objective=profit_ltv) may pay more")
    for row in table[table["beyond_observed"]].to_dict("records"):
        warnings.append(f"{row['campaign_name']}: {row['recommended_daily_spend']:,.2f}/day is beyond the highest daily spend observed ({row['max_daily_spend_observed']:,.2f})")
    summary = {"budget_per_day": best.budget, "horizon_days": config.horizon_days, "lambda": best.lam, "feasible": bool(best.feasible),
               "expected_change_per_period": gain * config.horizon_days, "shrink": shrink, "objective": config.objective, "mode": config.mode,
               "warnings": warnings, **stats}
    return table, curves, summary


def _curve(key: tuple, frame: pd.DataFrame, posterior: dict | None):
    """(curve, why there is none): the media-mix model's posterior curve, else one fitted on the attributed outcome."""
    if posterior is not None:
        return (posterior[key], "") if key in posterior else (None, "the media-mix model has no curve for it")
    try:
        return fit_response(frame["spend"].to_numpy(), frame["outcome"].to_numpy()), ""
    except ValueError as error:
        return None, str(error)


def _posterior_stats(fitted, best: Allocation, base, lower, upper, config: BudgetConfig, spend_counts: bool) -> dict:
    """The plan's change in outcome against holding, per posterior draw: its percentiles and the share of draws that
    improve; and where each line's spend would land if each of 100 draws were the truth."""
    n_draws = len(fitted[0].beta)
    picks = np.random.default_rng(config.seed).choice(n_draws, size=min(100, n_draws), replace=False)
    allocations = np.array([allocate([_one_draw(c, d) for c in fitted], lower, upper, best.budget, config.mode, config.target_marginal_return,
                                     starts=[best.spend], only_given_starts=True).spend for d in picks])
    return {**_change_stats(fitted, best.spend, base, config, spend_counts), "bootstrap_draws": 0, "posterior_draws": int(n_draws),
            "spend_p5": np.percentile(allocations, 5, axis=0), "spend_p95": np.percentile(allocations, 95, axis=0)}


def _change_stats(fitted, plan, base, config: BudgetConfig, spend_counts: bool) -> dict:
    """The period's change in outcome (less the extra spend) of `plan` against `base`, over the posterior draws."""
    change = sum(c.response_draws(x) - c.response_draws(b) for c, x, b in zip(fitted, plan, base))
    change = (change - (float(np.sum(plan - base)) if spend_counts else 0.0)) * config.horizon_days
    return {"change_p5": float(np.percentile(change, 5)), "change_p50": float(np.percentile(change, 50)),
            "change_p95": float(np.percentile(change, 95)), "p_improve": float(np.mean(change > 0))}


def _safe_step(fitted, plan, base, config: BudgetConfig, spend_counts: bool) -> float:
    """The longest step from holding toward the expected-profit plan that still beats holding in `min_confidence` of
    the posterior's draws (0 when even a small step in that direction is a coin flip): the plan is only as bold as
    the posterior is sure."""
    steps = np.linspace(0.0, 1.0, SAFE_STEPS + 1)[1:]
    safe = [s for s in steps if _change_stats(fitted, base + s * (plan - base), base, config, spend_counts)["p_improve"] >= config.min_confidence]
    return float(max(safe, default=0.0))


def _one_draw(curve: PosteriorCurve, d: int) -> PosteriorCurve:
    return PosteriorCurve(curve.beta[d : d + 1], curve.K[d : d + 1], curve.kappa[d : d + 1], curve.theta, curve.max_spend, curve.spend_cv,
                          curve.identifiable, curve.r2, curve.days)


def _flat(row: dict, posterior: dict | None):
    """A line without a curve: no response, pinned at current spend by its bounds."""
    if posterior is not None:
        n = len(next(iter(posterior.values())).beta) if posterior else 1
        return PosteriorCurve(np.zeros(n), np.ones(n), np.ones(n), 0.0, row["current_daily_spend"], 0.0, False, 0.0, 0)
    return ResponseCurve("power", (0.0, 1.0), 0.0, 0.0, 0, 0.0, row["current_daily_spend"], False)


def _bootstrap(table, series, fitted, best: Allocation, base, config: BudgetConfig, spend_counts: bool) -> dict:
    """Moving-block bootstrap of the residuals (7-day blocks, the same blocks for every line): refit, re-evaluate the
    recommendation against current spend, and re-allocate."""
    keys = list(zip(table["platform"], table["campaign_id"]))
    spend = np.array([series[k]["spend"].to_numpy() for k in keys])
    residuals = np.array([c.residuals if len(c.residuals) else np.zeros(spend.shape[1]) for c in fitted])
    fitted_values = np.array([c.fitted if len(c.fitted) else np.zeros(spend.shape[1]) for c in fitted])
    n, block = spend.shape[1], 7
    rng = np.random.default_rng(config.seed)
    changes, allocations = [], []
    lower, upper = table["lower"].to_numpy(), table["upper"].to_numpy()
    for _ in range(config.bootstrap):
        starts = rng.integers(0, max(n - block, 0) + 1, size=int(np.ceil(n / block)))
        index = np.concatenate([np.arange(s, s + block) for s in starts])[:n]
        redrawn = [refit(c, spend[i], fitted_values[i] + residuals[i, index]) if len(c.residuals) else c for i, c in enumerate(fitted)]
        change = sum(float(c.response(x) - c.response(b)) for c, x, b in zip(redrawn, best.spend, base))
        changes.append(change - (float(np.sum(best.spend - base)) if spend_counts else 0.0))
        allocations.append(allocate(redrawn, lower, upper, best.budget, config.mode, config.target_marginal_return, starts=[best.spend],
                                    only_given_starts=True).spend)
    changes = np.array(changes) * config.horizon_days
    allocations = np.array(allocations) if allocations else np.tile(best.spend, (1, 1))
    return {"change_p5": float(np.percentile(changes, 5)) if len(changes) else 0.0, "change_p50": float(np.percentile(changes, 50)) if len(changes) else 0.0,
            "change_p95": float(np.percentile(changes, 95)) if len(changes) else 0.0, "p_improve": float(np.mean(changes > 0)) if len(changes) else 0.0,
            "bootstrap_draws": len(changes), "spend_p5": np.percentile(allocations, 5, axis=0), "spend_p95": np.percentile(allocations, 95, axis=0)}


def _bound_lead(row: dict, bound: str, moved: str, side: str) -> str:
    """"At its lower bound", or "Raised to its lower bound, above today's …" when the bound itself moves spend the
    other way (today's spend lies outside the band around the 28-day mean)."""
    current, recommended = row["current_daily_spend"], row["recommended_daily_spend"]
    outside = recommended > current if bound == "lower" else recommended < current
    return f"{moved} to its {bound} bound, {side} today's {current:,.2f}/day" if outside else f"At its {bound} bound"


def _reason(row: dict, lam: float, config: BudgetConfig, shrink: float, p_improve: float, target: float, posterior: bool) -> str:
    """Which bound or guardrail binds, and why, in a sentence or two."""
    m, pct = row["marginal_return"], f"{config.bound_pct:.0%}"
    at_upper = row["recommended_daily_spend"] >= row["upper"] - 1e-6 * max(1.0, row["upper"])
    binding = "upper" if at_upper and row["upper_set_by"] else row["binding"]
    if row["upper_set_by"] == "no model" and not row["guardrail"]:
        text = "Held at its 28-day mean: the media-mix model is not fitted yet (it needs 28 days of paid spend), so nothing is known to move."
    elif row["upper_set_by"] == "unidentifiable" and not row["guardrail"]:
        text = (f"Held at its 28-day mean: its spend barely varied (CV {row['spend_cv']:.2f}) and no lift test measured it, so the "
                f"data cannot tell what more or less would return. A test on it would.")
    elif row["guardrail"] == "paused":
        text = f"Paused: {row['out_of_stock'] or row['limiting_product']} is out of stock."
    elif binding == "upper" and row["upper_set_by"] == "capped":
        text = (f"Capped at {row['upper']:,.2f}/day: {row['limiting_product']} has {row['days_of_cover']:.1f} days of stock left "
                f"(under {config.low_stock_days:g}), though an extra dollar would still return {m:.2f}.")
    elif binding == "upper" and row["upper_set_by"] == "no scale-up":
        text = (f"Not scaled up: {row['limiting_product']} has {row['days_of_cover']:.0f} days of stock and no restock incoming, "
                f"less than the {config.lead_time_days:g}-day lead time, though an extra dollar would return {m:.2f}.")
    elif binding == "upper" and row["upper_set_by"] == "extrapolation":
        text = (f"Held at {row['upper']:,.2f}/day, the most the data supports (highest spend seen {row['max_daily_spend_observed']:,.2f}/day); "
                f"an extra dollar returns {m:.2f}.")
    elif binding == "upper":
        text = (f"{_bound_lead(row, 'upper', 'Lowered', 'below')} (+{pct} of its 28-day mean): an extra dollar still returns {m:.2f}, "
                f"more than the portfolio's {lam:.2f}.")
    elif binding == "lower":
        text = (f"{_bound_lead(row, 'lower', 'Raised', 'above')} (−{pct} of its 28-day mean): a dollar here returns {m:.2f}, "
                f"less than the portfolio's {lam:.2f}.")
    elif config.mode == "flexible":
        text = f"Spending until an extra dollar returns the target {target:.2f} (here {m:.2f})."
    else:
        text = f"Inside its bounds, where an extra dollar returns {m:.2f}, the same as every unconstrained line (λ = {lam:.2f})."
    if row["guardrail"] and row["guardrail"] != "paused" and binding != "upper":
        text += f" Guardrail: {row['guardrail']} ({row['limiting_product']}: {row['days_of_cover']:.0f} days of stock)."
    if row["calibrated"]:
        text += " Its curve is calibrated by a lift test."
    if row["identifiable"] is False:
        text += " Its spend barely varied, so its curve's scale is uncertain: kept within the spend observed."
    if row["beyond_observed"]:
        text += f" Beyond the highest daily spend observed ({row['max_daily_spend_observed']:,.2f}): extrapolated."
    if posterior and shrink == 0.0:
        text += (f" Held at its 28-day mean: the plan that maximises expected profit beats holding in only {p_improve:.0%} of the "
                 f"posterior's draws, and no smaller step toward it reaches {config.min_confidence:.0%}.")
    elif posterior and shrink < 1.0:
        text += (f" Moved only {shrink:.0%} of the way toward the plan that maximises expected profit, which beats holding in only "
                 f"{p_improve:.0%} of the posterior's draws: this far, it beats holding in at least {config.min_confidence:.0%}.")
    elif shrink < 1.0:
        text += f" Moved only {shrink:.0%} of the way from holding its 28-day mean: P(profit improves) = {p_improve:.0%}."
    return text
