import numpy as np
import pytest

from ecom_pipeline.budget.allocate import allocate
from ecom_pipeline.budget.response import ResponseCurve, adstock, fit_response, hill, hill_slope


def curve(beta, k, kappa, max_spend=500.0):
    return ResponseCurve("hill", (beta, k, kappa), 0.0, 1.0, 90, 0.3, max_spend, True)


def test_adstock_is_normalised_geometric_decay():
    assert adstock(np.full(5, 40.0), 0.7).tolist() == pytest.approx([40.0] * 5)
    assert adstock(np.array([10.0, 0.0, 0.0]), 0.5).tolist() == pytest.approx([10.0, 5.0, 2.5])


def test_hill_slope_is_the_derivative():
    a, h = np.array([20.0, 80.0, 300.0]), 1e-5
    numeric = (hill(a + h, 50, 120, 1.6) - hill(a - h, 50, 120, 1.6)) / (2 * h)
    assert hill_slope(a, 50, 120, 1.6) == pytest.approx(numeric, rel=1e-6)


def test_fit_recovers_known_hill_parameters_where_spend_varies():
    """Stated tolerance: 180 days, spend varying with CV ≈ 0.5, noise ≈ 5 % of the mean response: θ on the grid,
    β and K within 20 %, κ within 15 % (β and K trade off along a ridge; the curve itself is tighter)."""
    rng = np.random.default_rng(1)
    spend = 100 * np.exp(rng.normal(0, 0.5, 180))
    truth = dict(beta=50.0, k=120.0, kappa=1.6)
    outcome = hill(adstock(spend, 0.5), **truth) + rng.normal(0, 1.0, 180)
    fitted = fit_response(spend, outcome, forms=("hill",))
    assert fitted.theta == pytest.approx(0.5, abs=1e-9) and fitted.identifiable
    assert fitted.params[:2] == pytest.approx((50.0, 120.0), rel=0.2)
    assert fitted.params[2] == pytest.approx(1.6, rel=0.15)
    best = fit_response(spend, outcome)  # any form: the curve itself is recovered over the spend seen
    grid = np.linspace(spend.min(), spend.max(), 7)
    expected = hill(grid, **truth)
    assert best.response(grid) == pytest.approx(expected, abs=0.03 * expected.max())


def test_flat_spend_is_flagged_unidentifiable():
    rng = np.random.default_rng(2)
    spend = 100 + rng.normal(0, 3, 60)
    fitted = fit_response(spend, hill(spend, 40, 90, 1.0) + rng.normal(0, 0.5, 60))
    assert not fitted.identifiable and fitted.spend_cv < 0.15


def test_fixed_budget_optimum_satisfies_the_kkt_conditions():
    curves = [curve(300, 100, 1.0), curve(150, 100, 1.0), curve(100, 50, 2.0), curve(80, 60, 1.2)]
    current = np.full(4, 100.0)
    result = allocate(curves, 0.7 * current, 1.3 * current, 400.0, starts=[current])
    assert result.spend.sum() == pytest.approx(400.0)
    interior = [m for m, b in zip(result.marginal, result.binding) if b == "interior"]
    assert interior and max(interior) - min(interior) < 1e-3 * max(interior)
    for m, b in zip(result.marginal, result.binding):
        if b == "upper":
            assert m >= result.lam - 1e-6
        if b == "lower":
            assert m <= result.lam + 1e-6


def test_flexible_budget_stops_where_an_extra_dollar_returns_the_target():
    # R'(x) = βK/(K+x)² = 1 at x = √(βK) − K: 73.2 and 22.5; the S-shaped third line never pays for itself
    curves = [curve(300, 100, 1.0), curve(150, 100, 1.0), curve(100, 50, 2.0)]
    result = allocate(curves, np.zeros(3), np.full(3, 300.0), 600.0, mode="flexible", target=1.0, starts=[np.full(3, 100.0)])
    assert result.spend == pytest.approx([np.sqrt(30000) - 100, np.sqrt(15000) - 100, 0.0], abs=0.05)


@pytest.mark.parametrize("form, params", [("hill", (50.0, 120.0, 1.6)), ("log", (30.0, 80.0)), ("power", (3.0, 0.6))])
def test_analytic_jacobians_match_finite_differences(form, params):
    from ecom_pipeline.budget.response import FORMS, _jacobian

    a, step, log_params = np.array([0.0, 5.0, 50.0, 300.0]), 1e-6, np.log(params)
    response = lambda p: FORMS[form][0](a, *np.exp(p))
    numeric = np.column_stack([(response(log_params + step * e) - response(log_params - step * e)) / (2 * step) for e in np.eye(len(params))])
    assert _jacobian(form, a, np.array(params)) == pytest.approx(numeric, abs=1e-6)
