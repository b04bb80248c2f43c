"""Response curves: daily spend → daily outcome (attributed margin, optionally plus new customers' predicted LTV).

Geometric adstock (normalised: constant spend x gives adstock x) with its decay chosen on a grid, then a Hill curve
R(A) = β A^κ / (A^κ + K^κ) fitted by bounded least squares in log-parameters (K within 0.05–3× the largest adstock,
κ in [0.3, 3]); β log(1 + A/K) and β A^γ are the fallbacks, and the form with the lowest AIC wins.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import least_squares

THETAS = tuple(np.round(np.arange(0.0, 0.91, 0.1), 2))
FLAT_SPEND_CV = 0.15
EXTRAPOLATION_LIMIT = 1.3


def adstock(spend: np.ndarray, theta: float) -> np.ndarray:
    """A_t = θ A_{t−1} + (1 − θ) s_t, starting from the first day's spend."""
    out = np.empty(len(spend))
    level = float(spend[0]) if len(spend) else 0.0
    for t, s in enumerate(spend):
        level = theta * level + (1 - theta) * s
        out[t] = level
    return out


def hill(a, beta, k, kappa):
    a = np.maximum(np.asarray(a, dtype=float), 0.0)
    return beta * a**kappa / (a**kappa + k**kappa)


def hill_slope(a, beta, k, kappa):
    a = np.maximum(np.asarray(a, dtype=float), 1e-12)
    return beta * kappa * k**kappa * a ** (kappa - 1) / (a**kappa + k**kappa) ** 2


FORMS = {
    "hill": (hill, hill_slope),
    "log": (lambda a, beta, k: beta * np.log1p(np.maximum(a, 0) / k), lambda a, beta, k: beta / (k + np.maximum(a, 0))),
    "power": (lambda a, beta, gamma: beta * np.maximum(a, 0) ** gamma,
              lambda a, beta, gamma: beta * gamma * np.maximum(a, 1e-12) ** (gamma - 1)),
}


@dataclass
class ResponseCurve:
    """A fitted curve for one line (campaign or channel), with the facts its recommendations are bounded by."""

    form: str
    params: tuple[float, ...]
    theta: float
    r2: float
    days: int
    spend_cv: float
    max_spend: float
    identifiable: bool
    fitted: np.ndarray = field(repr=False, default_factory=lambda: np.zeros(0))
    residuals: np.ndarray = field(repr=False, default_factory=lambda: np.zeros(0))

    def response(self, daily_spend):
        """Steady-state daily outcome at a constant daily spend (adstock equals the spend)."""
        return FORMS[self.form][0](np.asarray(daily_spend, dtype=float), *self.params)

    def marginal(self, daily_spend):
        """d outcome / d spend at a constant daily spend."""
        return FORMS[self.form][1](np.asarray(daily_spend, dtype=float), *self.params)

    @property
    def spend_limit(self) -> float:
        """Beyond this daily spend the curve is extrapolation: 1.3× the highest spend observed."""
        return EXTRAPOLATION_LIMIT * self.max_spend


def _fit_form(form: str, a: np.ndarray, y: np.ndarray, start=None) -> tuple[tuple[float, ...], float]:
    """Least squares for one form on log-parameters; returns (params, SSE)."""
    top = max(float(a.max()), 1e-9)
    ymax = max(float(np.abs(y).max()), 1e-9)
    if form == "hill":
        lower, upper = np.log([1e-6 * ymax, 0.05 * top, 0.3]), np.log([1e3 * ymax, 3 * top, 3.0])
        guess = np.log(start) if start is not None else np.log([2 * ymax, top, 1.0])
    elif form == "log":
        lower, upper = np.log([1e-6 * ymax, 0.01 * top]), np.log([1e4 * ymax, 100 * top])
        guess = np.log(start) if start is not None else np.log([ymax, top])
    else:
        lower, upper = np.log([1e-9, 0.05]), np.log([1e6 * ymax, 1.0])
        guess = np.log(start) if start is not None else np.log([ymax / top**0.5, 0.5])
    function = FORMS[form][0]
    result = least_squares(lambda p: function(a, *np.exp(p)) - y, np.clip(guess, lower + 1e-9, upper - 1e-9), bounds=(lower, upper),
                           method="trf", jac=lambda p: _jacobian(form, a, np.exp(p)))
    return tuple(float(v) for v in np.exp(result.x)), float(np.sum(result.fun**2))


def _jacobian(form: str, a: np.ndarray, params: np.ndarray) -> np.ndarray:
    """d response / d log-parameter, analytically (numeric differences cost most of a fit)."""
    a = np.maximum(a, 0.0)
    log_a = np.log(np.where(a > 0, a, 1.0))
    if form == "hill":
        beta, k, kappa = params
        u, v = a**kappa, k**kappa
        core = beta * u * v / (u + v) ** 2
        return np.column_stack([beta * u / (u + v), -kappa * core, kappa * core * np.where(a > 0, log_a - np.log(k), 0.0)])
    if form == "log":
        beta, k = params
        return np.column_stack([beta * np.log1p(a / k), -beta * a / (k + a)])
    beta, gamma = params
    response = beta * a**gamma
    return np.column_stack([response, gamma * response * np.where(a > 0, log_a, 0.0)])


def fit_response(spend: np.ndarray, outcome: np.ndarray, thetas=THETAS, forms=("hill", "log", "power")) -> ResponseCurve:
    """The adstock decay and curve form (lowest AIC) that explain `outcome` from `spend` best."""
    spend, outcome = np.asarray(spend, dtype=float), np.asarray(outcome, dtype=float)
    if len(spend) < 7 or spend.max() <= 0:
        raise ValueError("a response curve needs at least 7 days with some spend")
    n = len(spend)
    best = None
    for theta in thetas:
        a = adstock(spend, theta)
        for form in forms:
            params, sse = _fit_form(form, a, outcome)
            aic = n * np.log(max(sse, 1e-12) / n) + 2 * (len(params) + 1)
            if best is None or aic < best[0]:
                best = (aic, theta, form, params, sse)
    _, theta, form, params, sse = best
    return _curve(spend, outcome, theta, form, params)


def _curve(spend, outcome, theta, form, params) -> ResponseCurve:
    fitted = FORMS[form][0](adstock(spend, theta), *params)
    total = float(np.sum((outcome - outcome.mean()) ** 2))
    residuals = outcome - fitted
    cv = float(spend.std() / spend.mean()) if spend.mean() > 0 else 0.0
    return ResponseCurve(form, params, float(theta), 1 - float(np.sum(residuals**2)) / total if total > 0 else 0.0, len(spend), cv,
                         float(spend.max()), cv >= FLAT_SPEND_CV, fitted, residuals)


def refit(curve: ResponseCurve, spend: np.ndarray, outcome: np.ndarray) -> ResponseCurve:
    """The same adstock and form refitted to new outcomes (the bootstrap), warm-started at the current parameters."""
    params, _ = _fit_form(curve.form, adstock(np.asarray(spend, dtype=float), curve.theta), np.asarray(outcome, dtype=float), start=curve.params)
    return _curve(np.asarray(spend, dtype=float), np.asarray(outcome, dtype=float), curve.theta, curve.form, params)
