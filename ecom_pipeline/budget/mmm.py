"""A Bayesian media-mix model: the day's outcome explained by every paid campaign at once.

    y_t = b0 + b1·trend_t + weekday_t + Σ_c β_c · A_c,t^κ_c / (A_c,t^κ_c + K_c^κ_c) + ε_t,   ε ~ Normal(0, σ)

with A the normalised geometric adstock of the campaign's spend (decay θ_c). Spend and outcome are scaled by their
means, so the priors below read in plain terms. The posterior is the Laplace (Gauss–Newton) approximation at the
maximum a posteriori, drawn with Student-t tails; lift tests add one likelihood term each, so a measured effect
pins a curve where observation alone cannot. Fitting 8 campaigns × 180 days takes about a second.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.optimize import least_squares
from scipy.signal import lfilter
from scipy.special import expit, logit

from ecom_pipeline.budget.response import EXTRAPOLATION_LIMIT, FLAT_SPEND_CV, hill, hill_slope

PER_LINE = ("log_response_at_mean", "log_half_saturation", "log_shape", "logit_decay")
# Prior (mean, sd) of each campaign's parameters, on the scale the model works in (spend ÷ its mean; outcome ÷ its mean):
# - response at mean spend: centred on breaking even (the campaign returns its own spend in outcome), a factor e either way;
# - half-saturation: 1.2× the campaign's mean spend, a factor 1.65 either way;
# - Hill shape: 1.2, a factor 1.35 either way (0.7–2 covers the shapes campaigns show);
# - adstock decay: 0.25, logit sd 1 (about 0.05–0.7).
PRIORS = {"log_response_at_mean": (0.0, 0.7), "log_half_saturation": (np.log(1.2), 0.5), "log_shape": (np.log(1.2), 0.3),
          "logit_decay": (float(logit(0.25)), 1.0)}
# Partial pooling: the campaigns' responses share a portfolio level (log outcome per dollar at mean spend, prior
# break-even, sd 1), each campaign a factor e^0.7 either way around it; a brand whose ads all pay little learns so
# from all of them at once, instead of each weak campaign being pulled toward break-even on its own.
PORTFOLIO_PRIOR = (0.0, 1.0)
BASELINE_PRIOR_SD = {"intercept": 2.0, "trend": 0.5, "weekday": 0.3, "control": 2.0, "yearly": 0.3}
YEAR_DAYS = 365  # a fitting window this long gets yearly seasonality
DRAWS = 400
HOLDOUT_DAYS = 14
MIN_DAYS = 28  # fewer days of paid spend than this and the model is not fitted: the budget holds


@dataclass(frozen=True)
class LiftTest:
    """A measured effect: the outcome a campaign's spend caused over [start, end] (a conversion-lift study, a geo
    holdout or an on/off test, read as the effect of the spend the campaign had on those days), with its standard
    error, both already in the model's outcome units."""

    line: tuple[str, str]
    start: pd.Timestamp
    end: pd.Timestamp
    incremental_outcome: float
    standard_error: float
    name: str = ""


@dataclass
class MediaMix:
    """A fitted model: the lines, their scales, the posterior draws and the fit's diagnostics."""

    lines: list[tuple[str, str]]
    days: pd.DatetimeIndex
    spend_scale: np.ndarray          # mean daily spend per line over the window
    outcome_scale: float             # mean daily outcome
    estimate: np.ndarray             # MAP, unconstrained
    draws: np.ndarray                # DRAWS × parameters, unconstrained
    fitted: np.ndarray
    outcome: np.ndarray
    spend: np.ndarray
    sigma: float
    calibrated: list[tuple[str, str]] = field(default_factory=list)   # lines a lift test measured
    tests: list[str] = field(default_factory=list)
    holdout: dict = field(default_factory=dict)

    @property
    def r2(self) -> float:
        total = float(np.sum((self.outcome - self.outcome.mean()) ** 2))
        return 1 - float(np.sum((self.outcome - self.fitted) ** 2)) / total if total > 0 else 0.0

    def curve_parameters(self, draws: bool = True) -> dict[str, np.ndarray]:
        """β (outcome per day at saturation), K (spend per day), κ, θ per draw (rows) and line (columns)."""
        z = self.draws if draws else self.estimate[None, :]
        return _natural(z, len(self.lines), self.spend_scale, self.outcome_scale)

    def response(self, line: int, daily_spend, draws: bool = True) -> np.ndarray:
        """Steady-state daily outcome at a constant daily spend, per draw (a constant spend's adstock is the spend)."""
        p = self.curve_parameters(draws)
        return hill(np.asarray(daily_spend, dtype=float)[..., None], p["beta"][:, line], p["K"][:, line], p["kappa"][:, line])

    def marginal(self, line: int, daily_spend, draws: bool = True) -> np.ndarray:
        p = self.curve_parameters(draws)
        return hill_slope(np.asarray(daily_spend, dtype=float)[..., None], p["beta"][:, line], p["K"][:, line], p["kappa"][:, line])

    def contributions(self) -> np.ndarray:
        """Each line's daily contribution at the MAP (lines × days), for the fit chart and the decomposition."""
        return _contributions(self.estimate, self.spend / self.spend_scale[:, None]) * self.outcome_scale

    def spend_cv(self) -> np.ndarray:
        return self.spend.std(axis=1) / np.where(self.spend_scale > 0, self.spend_scale, 1.0)


def adstock(x: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """A_t = θ A_{t−1} + (1 − θ) x_t per line (rows), started at the first day's spend."""
    out = np.empty_like(x, dtype=float)
    for c in range(x.shape[0]):
        out[c] = lfilter([1 - theta[c]], [1, -theta[c]], x[c], zi=[theta[c] * x[c, 0]])[0]
    return out


def _unpack(z: np.ndarray, n_lines: int):
    per_line = z[: 4 * n_lines].reshape(n_lines, 4)
    r, k, kappa, theta = np.exp(per_line[:, 0]), np.exp(per_line[:, 1]), np.exp(per_line[:, 2]), expit(per_line[:, 3])
    return r, k, kappa, theta, z[4 * n_lines :]


def _contributions(z: np.ndarray, x: np.ndarray) -> np.ndarray:
    r, k, kappa, theta, _ = _unpack(z, x.shape[0])
    beta = r * (1 + k**kappa)  # so that the response at mean spend (x = 1) is r
    return hill(adstock(x, theta), beta[:, None], k[:, None], kappa[:, None])


def _natural(z: np.ndarray, n_lines: int, spend_scale: np.ndarray, outcome_scale: float) -> dict[str, np.ndarray]:
    per_line = z[:, : 4 * n_lines].reshape(len(z), n_lines, 4)
    r, k, kappa = np.exp(per_line[..., 0]), np.exp(per_line[..., 1]), np.exp(per_line[..., 2])
    return {"beta": r * (1 + k**kappa) * outcome_scale, "K": k * spend_scale, "kappa": kappa, "theta": expit(per_line[..., 3])}


def _design(days: pd.DatetimeIndex, controls: pd.DataFrame | None, window: pd.DatetimeIndex | None = None) -> np.ndarray:
    """Baseline columns: intercept, trend (−0.5 … 0.5 over the fitting window), six weekday indicators (Monday is the
    reference), each control centred on its mean (e.g. the share of demand in stock), and, once the fitting window
    holds a year, two yearly Fourier harmonics."""
    n = len(days)
    window = days if window is None else window
    trend = np.asarray((days - window[0]).days, dtype=float) / max(len(window) - 1, 1) - 0.5
    weekday = np.stack([(days.dayofweek == d).astype(float) for d in range(1, 7)], axis=1)
    columns = [np.ones(n), trend, weekday]
    if controls is not None and len(controls.columns):
        values = controls.reindex(days).ffill().bfill().fillna(0.0).to_numpy(dtype=float)
        columns.append(values - values.mean(axis=0))
    if _yearly(window):
        angle = 2 * np.pi * days.dayofyear.to_numpy(dtype=float) / 365.25
        columns.append(np.column_stack([f(k * angle) for k in (1, 2) for f in (np.sin, np.cos)]))
    return np.column_stack(columns)


def _yearly(window: pd.DatetimeIndex) -> bool:
    return len(window) >= YEAR_DAYS


def _prior(n_lines: int, spend_share: np.ndarray, n_controls: int, yearly: bool) -> tuple[np.ndarray, np.ndarray]:
    """Prior means and sds of the unconstrained parameters. The response prior's centre is each campaign's mean spend
    in outcome units (break-even); the intercept's is what is left of the mean outcome after those."""
    means, sds = [], []
    for c in range(n_lines):
        for name in PER_LINE:
            mean, sd = PRIORS[name]
            means.append(mean + (np.log(max(spend_share[c], 1e-6)) if name == "log_response_at_mean" else 0.0))
            sds.append(sd)
    seasonal = 4 if yearly else 0
    means += [max(1.0 - float(spend_share.sum()), 0.1), 0.0, *([0.0] * 6), *([0.0] * n_controls), *([0.0] * seasonal), PORTFOLIO_PRIOR[0]]
    sds += [BASELINE_PRIOR_SD["intercept"], BASELINE_PRIOR_SD["trend"], *([BASELINE_PRIOR_SD["weekday"]] * 6),
            *([BASELINE_PRIOR_SD["control"]] * n_controls), *([BASELINE_PRIOR_SD["yearly"]] * seasonal), PORTFOLIO_PRIOR[1]]
    return np.array(means), np.array(sds)


def fit(spend: pd.DataFrame, outcome: pd.Series, lift_tests: list[LiftTest] = (), controls: pd.DataFrame | None = None,
        seed: int = 0, holdout: bool = True) -> MediaMix:
    """Fit on a day × line spend frame (columns are (platform, campaign_id)), the day's outcome and optional daily
    controls; `holdout` also refits without the last 14 days and scores the forecast of them."""
    model = _fit(spend, outcome, lift_tests, controls, seed)
    if holdout and len(spend) >= 4 * HOLDOUT_DAYS:
        model.holdout = _holdout_score(spend, outcome, lift_tests, controls, seed)
    return model


def _fit(spend: pd.DataFrame, outcome: pd.Series, lift_tests, controls, seed: int) -> MediaMix:
    lines = list(spend.columns)
    days = pd.DatetimeIndex(spend.index)
    raw = spend.to_numpy(dtype=float).T
    y_raw = outcome.reindex(days).fillna(0.0).to_numpy(dtype=float)
    spend_scale = np.maximum(raw.mean(axis=1), 1e-9)
    outcome_scale = float(max(np.mean(y_raw), 1e-9))
    x, y = raw / spend_scale[:, None], y_raw / outcome_scale
    design = _design(days, controls)
    n_controls = 0 if controls is None else len(controls.columns)
    prior_mean, prior_sd = _prior(len(lines), spend_scale / outcome_scale, n_controls, _yearly(days))
    tests = _test_terms(lift_tests, lines, days, outcome_scale)

    pooled = np.zeros(len(prior_mean))
    pooled[0 : 4 * len(lines) : 4] = 1.0  # each campaign's response prior is centred on the portfolio's level (the last parameter)

    def predict(z):
        return _contributions(z, x).sum(axis=0) + design @ z[4 * len(lines) : -1]

    def residuals(z, sigma):
        parts = [(y - predict(z)) / sigma, (z - prior_mean - pooled * z[-1]) / prior_sd]
        for c, mask, value, se in tests:
            parts.append(np.array([(_contributions(z, x)[c, mask].sum() - value) / se]))
        return np.concatenate(parts)

    z = prior_mean.copy()
    sigma = max(float(np.std(y)), 1e-3)
    for _ in range(3):  # σ and the fit in turn: σ is the residual sd of the current fit
        result = least_squares(residuals, z, args=(sigma,), method="trf", x_scale="jac", max_nfev=400)
        z = result.x
        dof = max(len(y) - _effective_parameters(result.jac, len(y)), 5.0)
        sigma = max(float(np.sqrt(np.sum((y - predict(z)) ** 2) / dof)), 1e-4)
    result = least_squares(residuals, z, args=(sigma,), method="trf", x_scale="jac", max_nfev=400)
    z, jac = result.x, result.jac
    draws = _draws(z, jac, len(y), _autocorrelation_inflation(y - predict(z)), seed)
    return MediaMix(lines, days, spend_scale, outcome_scale, z, draws, predict(z) * outcome_scale, y_raw, raw, sigma * outcome_scale,
                    calibrated=sorted({t.line for t in lift_tests if t.line in lines}),
                    tests=[t.name or f"{t.line[0]} {t.line[1]}" for t in lift_tests if t.line in lines])


def _effective_parameters(jac: np.ndarray, n_data: int) -> float:
    """tr(hat matrix) of the data rows: how many parameters the data, not the priors, determine."""
    hessian = jac.T @ jac
    data = jac[:n_data]
    return float(np.trace(np.linalg.solve(hessian + 1e-9 * np.eye(len(hessian)), data.T @ data)))


def _autocorrelation_inflation(residuals: np.ndarray) -> float:
    """(1 + ρ) / (1 − ρ) for the residuals' lag-1 autocorrelation ρ ≥ 0: days that err together carry less news
    than independent ones, and a posterior that ignored it would be too sure."""
    rho = float(np.corrcoef(residuals[:-1], residuals[1:])[0, 1]) if len(residuals) > 3 and residuals.std() > 0 else 0.0
    rho = float(np.clip(rho, 0.0, 0.9))
    return (1 + rho) / (1 - rho)


def _draws(z: np.ndarray, jac: np.ndarray, n_data: int, inflation: float, seed: int) -> np.ndarray:
    """Laplace draws: N(ẑ, H⁻¹) with the data's share of the Gauss–Newton Hessian H = JᵀJ divided by the
    autocorrelation inflation, and Student-t tails (σ itself is estimated)."""
    data, prior = jac[:n_data], jac[n_data:]
    hessian = data.T @ data / inflation + prior.T @ prior + 1e-9 * np.eye(len(z))
    covariance = np.linalg.inv(hessian)
    covariance = (covariance + covariance.T) / 2
    rng = np.random.default_rng(seed)
    normal = rng.multivariate_normal(np.zeros(len(z)), covariance, size=DRAWS, method="eigh")
    df = max(n_data - len(z), 5)
    scale = np.sqrt(df / rng.chisquare(df, size=DRAWS))[:, None]
    return z + normal * scale


def _test_terms(lift_tests, lines, days, outcome_scale):
    terms = []
    for test in lift_tests:
        if test.line not in lines:
            continue
        mask = (days >= test.start) & (days <= test.end)
        if mask.any() and test.standard_error > 0:
            terms.append((lines.index(test.line), mask, test.incremental_outcome / outcome_scale, test.standard_error / outcome_scale))
    return terms


def _holdout_score(spend: pd.DataFrame, outcome: pd.Series, lift_tests, controls, seed: int) -> dict:
    """Refit without the last 14 days, forecast them from their spend, and score the forecast (R², MAPE)."""
    train = _fit(spend.iloc[:-HOLDOUT_DAYS], outcome, lift_tests, None if controls is None else controls.iloc[:-HOLDOUT_DAYS], seed)
    x = spend.to_numpy(dtype=float).T / train.spend_scale[:, None]
    days = pd.DatetimeIndex(spend.index)
    design = _design(days, controls, window=days[:-HOLDOUT_DAYS])
    if controls is not None and len(controls.columns):  # centre the controls as the training fit did
        train_values = controls.reindex(days[:-HOLDOUT_DAYS]).ffill().bfill().fillna(0.0).to_numpy(dtype=float)
        all_values = controls.reindex(days).ffill().bfill().fillna(0.0).to_numpy(dtype=float)
        design[:, 8 : 8 + len(controls.columns)] = all_values - train_values.mean(axis=0)
    forecast = (_contributions(train.estimate, x).sum(axis=0) + design @ train.estimate[4 * len(train.lines) : -1]) * train.outcome_scale
    actual = outcome.reindex(spend.index).fillna(0.0).to_numpy(dtype=float)
    tail_forecast, tail_actual = forecast[-HOLDOUT_DAYS:], actual[-HOLDOUT_DAYS:]
    total = float(np.sum((tail_actual - tail_actual.mean()) ** 2))
    return {"days": HOLDOUT_DAYS, "r2": 1 - float(np.sum((tail_actual - tail_forecast) ** 2)) / total if total > 0 else 0.0,
            "mape": float(np.mean(np.abs(tail_actual - tail_forecast) / np.maximum(np.abs(tail_actual), 1e-9))),
            "forecast": tail_forecast.tolist(), "actual": tail_actual.tolist(),
            "days_list": [d.date().isoformat() for d in pd.DatetimeIndex(spend.index)[-HOLDOUT_DAYS:]]}


@dataclass
class PosteriorCurve:
    """One campaign's steady-state response under the posterior: the expected curve the allocation maximises, and
    every draw, for P(improve) and the credible bands."""

    beta: np.ndarray
    K: np.ndarray
    kappa: np.ndarray
    theta: float
    max_spend: float
    spend_cv: float
    identifiable: bool
    r2: float
    days: int
    form: str = "hill"
    calibrated: bool = False   # a lift test measured it

    def response_draws(self, daily_spend) -> np.ndarray:
        return hill(np.asarray(daily_spend, dtype=float)[..., None], self.beta, self.K, self.kappa)

    def marginal_draws(self, daily_spend) -> np.ndarray:
        return hill_slope(np.asarray(daily_spend, dtype=float)[..., None], self.beta, self.K, self.kappa)

    def response(self, daily_spend):
        return self.response_draws(daily_spend).mean(axis=-1)

    def marginal(self, daily_spend):
        return self.marginal_draws(daily_spend).mean(axis=-1)

    @property
    def params(self) -> tuple[float, float, float]:
        """Posterior medians of β, K and κ."""
        return float(np.median(self.beta)), float(np.median(self.K)), float(np.median(self.kappa))

    @property
    def spend_limit(self) -> float:
        return EXTRAPOLATION_LIMIT * self.max_spend


def draws_table(model: MediaMix, names: dict[tuple[str, str], str]) -> pd.DataFrame:
    """The posterior as rows: one per draw and campaign, with the fit's facts each curve needs downstream."""
    p = model.curve_parameters()
    cv = model.spend_cv()
    rows = []
    for c, line in enumerate(model.lines):
        rows.append(pd.DataFrame({
            "draw": np.arange(len(model.draws)), "platform": line[0], "campaign_id": line[1], "campaign_name": names.get(line, line[1]),
            "beta": p["beta"][:, c], "half_saturation": p["K"][:, c], "shape": p["kappa"][:, c], "adstock_decay": p["theta"][:, c],
            "spend_cv": cv[c], "max_daily_spend": float(model.spend[c].max()), "mean_daily_spend": float(model.spend_scale[c]),
            "calibrated": line in model.calibrated,
            "r2": model.r2, "days": len(model.days), "residual_sd": model.sigma,
        }))
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()


def curves_from_draws(draws: pd.DataFrame) -> dict[tuple[str, str], PosteriorCurve]:
    """Each campaign's PosteriorCurve from the media_mix_model table. A campaign whose spend barely varied and that no
    lift test calibrates is not identifiable: its curve is its prior."""
    curves = {}
    for (platform, campaign), group in draws.groupby(["platform", "campaign_id"], sort=False):
        first = group.iloc[0]
        identifiable = bool(first["spend_cv"] >= FLAT_SPEND_CV or first["calibrated"])
        curves[(platform, campaign)] = PosteriorCurve(
            group["beta"].to_numpy(float), group["half_saturation"].to_numpy(float), group["shape"].to_numpy(float),
            float(group["adstock_decay"].median()), float(first["max_daily_spend"]), float(first["spend_cv"]), identifiable,
            float(first["r2"]), int(first["days"]), calibrated=bool(first["calibrated"]))
    return curves


def fit_table(model: MediaMix, names: dict[tuple[str, str], str]) -> pd.DataFrame:
    """Per day and campaign: spend, the campaign's fitted contribution, and the observed points behind its curve (the
    outcome less the baseline and every other campaign's contribution), beside the day's outcome, its fit and the
    held-out forecast of the last days."""
    contributions = model.contributions()
    forecast = pd.Series(model.holdout.get("forecast", []), index=pd.DatetimeIndex(model.holdout.get("days_list", [])), dtype=float)
    forecast = forecast.reindex(model.days).to_numpy()
    rows = []
    for c, line in enumerate(model.lines):
        rows.append(pd.DataFrame({
            "day": model.days, "platform": line[0], "campaign_id": line[1], "campaign_name": names.get(line, line[1]),
            "spend": model.spend[c], "contribution": contributions[c], "partial_outcome": model.outcome - (model.fitted - contributions[c]),
            "outcome": model.outcome, "fitted": model.fitted, "holdout_forecast": forecast,
        }))
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()
