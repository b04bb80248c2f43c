"""Allocate a daily budget across lines (campaigns) to maximise expected profit under bounds.

Fixed mode: maximise Σ R_c(x_c) subject to Σ x_c = B and ℓ_c ≤ x_c ≤ u_c (SLSQP from several starts: Hill curves
with κ > 1 are S-shaped). Flexible mode: maximise Σ R_c(x_c) − target · Σ x_c subject to Σ x_c ≤ B_max — spending
stops where the marginal return falls to the target (1.0 = breakeven on contribution margin).
At the optimum, lines strictly inside their bounds share one marginal return λ; that is the "why" of each line.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize

TOLERANCE = 1e-6


@dataclass(frozen=True)
class Allocation:
    spend: np.ndarray
    objective: float
    marginal: np.ndarray
    lam: float
    binding: list[str]   # "upper", "lower" or "interior" per line
    budget: float
    feasible: bool


def _objective(curves, x, target: float) -> float:
    return float(sum(curve.response(v) for curve, v in zip(curves, x)) - target * np.sum(x))


def allocate(curves: list, lower: np.ndarray, upper: np.ndarray, budget: float, mode: str = "fixed",
             target: float = 1.0, starts: list[np.ndarray] | None = None, only_given_starts: bool = False) -> Allocation:
    """The best spend per line; `budget` is the total (fixed) or the ceiling (flexible). Several starts guard against
    the local optima of S-shaped curves; `only_given_starts` (the bootstrap, warm-started at the optimum) skips them."""
    lower, upper = np.asarray(lower, dtype=float), np.asarray(upper, dtype=float)
    feasible = lower.sum() <= budget + TOLERANCE and (mode == "flexible" or upper.sum() >= budget - TOLERANCE)
    total = float(np.clip(budget, lower.sum(), upper.sum())) if mode == "fixed" else float(max(budget, lower.sum()))
    penalty = 0.0 if mode == "fixed" else target
    scale = max(total, 1.0)

    def negative(z):
        return -_objective(curves, z * scale, penalty) / scale

    if mode == "fixed":
        constraints = [{"type": "eq", "fun": lambda z: z.sum() * scale - total}]
    else:
        constraints = [{"type": "ineq", "fun": lambda z: total - z.sum() * scale}]
    bounds = list(zip(lower / scale, upper / scale))
    candidates = [_feasible_start(s, lower, upper, total, mode) for s in (starts or [])]
    width = upper - lower
    if not (only_given_starts and candidates):
        candidates += [_feasible_start(lower + width * f, lower, upper, total, mode) for f in (0.5, 0.1, 0.9)]
        candidates.append(_feasible_start(np.where(width > 0, upper, lower), lower, upper, total, mode))
    best = None
    for start in candidates:
        result = minimize(negative, start / scale, method="SLSQP", bounds=bounds, constraints=constraints,
                          options={"ftol": 1e-10, "maxiter": 500})
        x = np.clip(result.x * scale, lower, upper)
        value = _objective(curves, x, penalty)
        if best is None or value > best[1] + 1e-9:
            best = (x, value)
    x = best[0]
    marginal = np.array([float(c.marginal(v)) for c, v in zip(curves, x)])
    binding = ["upper" if v >= u - 1e-6 * max(1.0, u) and u > l else "lower" if v <= l + 1e-6 * max(1.0, l) else "interior"
               for v, l, u in zip(x, lower, upper)]
    interior = [m for m, b in zip(marginal, binding) if b == "interior"]
    lam = float(np.median(interior)) if interior else (target if mode == "flexible" else float(np.median(marginal)) if len(marginal) else 0.0)
    return Allocation(x, _objective(curves, x, 0.0), marginal, lam, binding, total, feasible)


def _feasible_start(x: np.ndarray, lower: np.ndarray, upper: np.ndarray, total: float, mode: str) -> np.ndarray:
    """A starting point inside the bounds that meets the budget (scaled toward it within the bounds)."""
    x = np.clip(np.asarray(x, dtype=float), lower, upper)
    if mode == "flexible":
        return x if x.sum() <= total else lower + (x - lower) * max(0.0, (total - lower.sum())) / max((x - lower).sum(), 1e-12)
    gap = total - x.sum()
    room = (upper - x) if gap > 0 else (x - lower)
    if room.sum() > 0:
        x = x + np.sign(gap) * room * min(1.0, abs(gap) / room.sum())
    return x
