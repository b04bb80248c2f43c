"""BG/NBD (repeat purchases) and Gamma-Gamma (spend per purchase), fitted by maximum likelihood with scipy.

Conventions are the `lifetimes` package's: `frequency` x = repeat purchases, `recency` t_x = age at the last
purchase, `T` = age now, `monetary_value` m_x = mean value of the repeat purchases. The log-likelihoods are the
analytic ones of Fader, Hardie & Lee (2005) and Fader & Hardie (2013); parameters are optimised on the log scale.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
from scipy.optimize import minimize
from scipy.special import gammaln, hyp2f1

STARTS = ((1.0, 1.0, 1.0, 1.0), (0.5, 5.0, 0.5, 2.0), (2.0, 20.0, 1.5, 5.0))


@dataclass(frozen=True)
class BGNBD:
    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float

    def p_alive(self, x, t_x, T) -> np.ndarray:
        """P(the customer is still active) given their history."""
        x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
        ratio = np.where(x > 0, self.a / (self.b + x - 1 + (x == 0)) * ((self.alpha + T) / (self.alpha + t_x)) ** (self.r + x), 0.0)
        return 1.0 / (1.0 + ratio)

    def expected_purchases(self, t, x, t_x, T) -> np.ndarray:
        """E[Y(t) | x, t_x, T]: expected purchases in the next `t` time units."""
        x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
        r, alpha, a, b = self.r, self.alpha, self.a, self.b
        z = t / (alpha + T + t)
        head = (a + b + x - 1) / (a - 1) * (1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * hyp2f1(r + x, b + x, a + b + x - 1, z))
        ratio = np.where(x > 0, a / (b + x - 1 + (x == 0)) * ((alpha + T) / (alpha + t_x)) ** (r + x), 0.0)
        return head / (1 + ratio)

    def expected_purchases_new(self, t) -> float:
        """E[X(t)]: expected purchases of a new customer in `t` time units."""
        r, alpha, a, b = self.r, self.alpha, self.a, self.b
        return float((a + b - 1) / (a - 1) * (1 - (alpha / (alpha + t)) ** r * hyp2f1(r, b, a + b - 1, t / (alpha + t))))

    def as_dict(self) -> dict:
        return {"r": self.r, "alpha": self.alpha, "a": self.a, "b": self.b, "log_likelihood": self.log_likelihood}


@dataclass(frozen=True)
class GammaGamma:
    p: float
    q: float
    v: float
    log_likelihood: float

    def expected_spend(self, x, m_x) -> np.ndarray:
        """E[Z | x, m_x]: a customer's expected mean spend per purchase (the population mean when x = 0)."""
        x, m_x = np.asarray(x, dtype=float), np.asarray(m_x, dtype=float)
        population = self.p * self.v / (self.q - 1)
        personal = self.p * (self.v + x * m_x) / (self.p * x + self.q - 1)
        return np.where(x > 0, personal, population)

    def as_dict(self) -> dict:
        return {"p": self.p, "q": self.q, "v": self.v, "log_likelihood": self.log_likelihood}


def bgnbd_log_likelihood(params, x, t_x, T) -> np.ndarray:
    """Per-customer BG/NBD log-likelihood for (r, alpha, a, b)."""
    r, alpha, a, b = params
    x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
    head = gammaln(r + x) - gammaln(r) + r * np.log(alpha) + gammaln(a + b) + gammaln(b + x) - gammaln(b) - gammaln(a + b + x)
    alive = -(r + x) * np.log(alpha + T)
    with np.errstate(divide="ignore", invalid="ignore"):
        dropped = np.where(x > 0, np.log(a) - np.log(np.where(x > 0, b + x - 1, 1.0)) - (r + x) * np.log(alpha + t_x), -np.inf)
    return head + np.logaddexp(alive, dropped)


def gamma_gamma_log_likelihood(params, x, m_x) -> np.ndarray:
    """Per-customer Gamma-Gamma log-likelihood for (p, q, v); repeat customers only (x > 0, m_x > 0)."""
    p, q, v = params
    x, m_x = np.asarray(x, dtype=float), np.asarray(m_x, dtype=float)
    return (gammaln(p * x + q) - gammaln(p * x) - gammaln(q) + q * np.log(v) + (p * x - 1) * np.log(m_x) + p * x * np.log(x)
            - (p * x + q) * np.log(v + x * m_x))


def _fit(negative_ll, starts) -> tuple[np.ndarray, float]:
    """Minimise over log-parameters from several starts; the best optimum wins."""
    best = None
    for start in starts:
        result = minimize(lambda log_params: negative_ll(np.exp(log_params)), np.log(start), method="L-BFGS-B",
                          bounds=[(-12, 12)] * len(start), options={"ftol": 1e-14, "gtol": 1e-9, "maxiter": 5000})
        result = minimize(lambda log_params: negative_ll(np.exp(log_params)), result.x, method="Nelder-Mead",
                          options={"xatol": 1e-7, "fatol": 1e-9 * max(1.0, abs(result.fun)), "maxfev": 4000})
        if np.isfinite(result.fun) and (best is None or result.fun < best.fun):
            best = result
    if best is None:
        raise ValueError("the likelihood could not be evaluated at any starting point")
    return np.exp(best.x), -float(best.fun)


def _check(name, values) -> np.ndarray:
    values = np.asarray(values, dtype=float)
    if np.isnan(values).any() or (values < 0).any():
        raise ValueError(f"{name} must be non-negative numbers")
    return values


def fit_bgnbd(frequency, recency, T) -> BGNBD:
    """Maximum-likelihood BG/NBD."""
    x, t_x, age = _check("frequency", frequency), _check("recency", recency), _check("T", T)
    if (t_x > age + 1e-9).any():
        raise ValueError("recency cannot exceed T")
    if len(x) < 2 or not (x > 0).any():
        raise ValueError("BG/NBD needs customers, some with repeat purchases")
    # Customers with the same (x, t_x, T) share a likelihood term: fit on the distinct triplets, weighted by their
    # counts (a year of daily data has a quarter as many triplets as customers).
    triplets, counts = np.unique(np.column_stack([x, t_x, age]), axis=0, return_counts=True)
    x, t_x, age = triplets.T
    params, ll = _fit(lambda p: -np.sum(counts * bgnbd_log_likelihood(p, x, t_x, age)), STARTS)
    return BGNBD(*map(float, params), log_likelihood=ll)


def fit_gamma_gamma(frequency, monetary_value) -> GammaGamma:
    """Maximum-likelihood Gamma-Gamma on the repeat customers (frequency > 0 and a positive mean spend)."""
    x, m_x = _check("frequency", frequency), np.asarray(monetary_value, dtype=float)
    repeaters = (x > 0) & (m_x > 0)
    if repeaters.sum() < 2:
        raise ValueError("Gamma-Gamma needs at least two repeat customers with a positive mean spend")
    x, m_x = x[repeaters], m_x[repeaters]
    params, ll = _fit(lambda p: -np.sum(gamma_gamma_log_likelihood(p, x, m_x)), ((1.0, 1.0, 1.0), (5.0, 3.0, 15.0)))
    return GammaGamma(*map(float, params), log_likelihood=ll)


def discounted_value(bgnbd: BGNBD, spend, x, t_x, T, months: int = 12, days_per_unit: float = 1.0, monthly_discount: float = 0.01) -> np.ndarray:
    """CLV over `months`: Σ_k E[Z] · (E[Y(k)] − E[Y(k−1)]) / (1 + d)^k, with time measured in units of `days_per_unit` days."""
    unit_per_month = 30.4375 / days_per_unit
    total, previous = np.zeros(np.broadcast(x, t_x, T).shape), 0.0
    for k in range(1, months + 1):
        expected = bgnbd.expected_purchases(k * unit_per_month, x, t_x, T)
        total = total + spend * (expected - previous) / (1 + monthly_discount) ** k
        previous = expected
    return total


@dataclass(frozen=True)
class StoredFit:
    """A BG/NBD and Gamma–Gamma fit and the day it was made, kept between runs so a morning run can score with it."""

    fitted_as_of: str
    bgnbd: BGNBD
    gamma_gamma: GammaGamma

    def as_dict(self) -> dict:
        return {"fitted_as_of": self.fitted_as_of, "bg_nbd": self.bgnbd.as_dict(), "gamma_gamma": self.gamma_gamma.as_dict()}

    @classmethod
    def from_dict(cls, values: dict) -> "StoredFit":
        return cls(values["fitted_as_of"], BGNBD(**values["bg_nbd"]), GammaGamma(**values["gamma_gamma"]))

    def fresh_for(self, as_of: str, refit_days: int) -> bool:
        """Whether a run as of `as_of` may score with this fit: made on or before that day, fewer than `refit_days` ago."""
        age = (date.fromisoformat(as_of) - date.fromisoformat(self.fitted_as_of)).days
        return 0 <= age < refit_days
