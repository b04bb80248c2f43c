from math import log
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ecom_pipeline.ltv.models import BGNBD, GammaGamma, bgnbd_log_likelihood, discounted_value, fit_bgnbd, fit_gamma_gamma, gamma_gamma_log_likelihood

CDNOW = Path(__file__).parents[1] / "fixtures" / "cdnow" / "cdnow_summary.csv"


@pytest.fixture(scope="module")
def cdnow():
    return pd.read_csv(CDNOW)


def test_bgnbd_reproduces_the_published_cdnow_estimates(cdnow):
    """Fader, Hardie & Lee (2005): r 0.243, α 4.414, a 0.793, b 2.426, LL −9582.4 on the 2,357-customer sample."""
    model = fit_bgnbd(cdnow["frequency"], cdnow["recency"], cdnow["T"])
    assert (round(model.r, 3), round(model.alpha, 3), round(model.a, 3), round(model.b, 3)) == (0.243, 4.414, 0.793, 2.426)
    assert model.log_likelihood == pytest.approx(-9582.4, abs=0.05)
    # The paper's worked example: x = 2, t_x = 30.43, T = 38.86 expects 1.226 purchases in the next 39 weeks.
    assert float(model.expected_purchases(39, 2, 30.43, 38.86)) == pytest.approx(1.226, abs=5e-4)


def test_gamma_gamma_reproduces_the_published_cdnow_estimates(cdnow):
    """Fader & Hardie (2013): p 6.25, q 3.74, v 15.44 on the 946 repeat customers."""
    model = fit_gamma_gamma(cdnow["frequency"], cdnow["monetary_value"])
    assert (model.p, model.q, model.v) == pytest.approx((6.25, 3.74, 15.44), abs=0.01)
    assert float(model.expected_spend(0, 0)) == pytest.approx(model.p * model.v / (model.q - 1))


def test_log_likelihoods_by_hand():
    # r = α = a = b = 1. x = 0, T = 1: LL = ln (α+T)^-(r) = −ln 2.
    assert bgnbd_log_likelihood((1, 1, 1, 1), [0], [0], [1])[0] == pytest.approx(-log(2))
    # x = 1, t_x = 1, T = 2: head = lnΓ2 − lnΓ1 + lnΓ2 + lnΓ2 − lnΓ1 − lnΓ3 = −ln 2; bracket 3^−2 + 1/1 · 2^−2 = 13/36.
    assert bgnbd_log_likelihood((1, 1, 1, 1), [1], [1], [2])[0] == pytest.approx(-log(2) + log(13 / 36))
    # p = 1, q = 2, v = 1, x = 1, m = 1: lnΓ3 − lnΓ1 − lnΓ2 + 0 + 0 + 0 − 3 ln 2 = −2 ln 2.
    assert gamma_gamma_log_likelihood((1, 2, 1), [1], [1])[0] == pytest.approx(-2 * log(2))


def simulate_bgnbd(r, alpha, a, b, customers, T, seed):
    rng = np.random.default_rng(seed)
    rates, drop = rng.gamma(r, 1 / alpha, customers), rng.beta(a, b, customers)
    x, t_x = np.zeros(customers), np.zeros(customers)
    for i in range(customers):
        t = 0.0
        while True:
            t += rng.exponential(1 / rates[i])
            if t > T:
                break
            x[i], t_x[i] = x[i] + 1, t
            if rng.random() < drop[i]:
                break
    return x, t_x, np.full(customers, float(T))


def test_bgnbd_recovers_known_parameters_from_simulated_customers():
    truth = dict(r=0.243, alpha=4.414, a=0.793, b=2.426)
    x, t_x, T = simulate_bgnbd(**truth, customers=20_000, T=52, seed=3)
    model = fit_bgnbd(x, t_x, T)
    fitted = dict(r=model.r, alpha=model.alpha, a=model.a, b=model.b)
    for name, value in truth.items():
        assert fitted[name] == pytest.approx(value, rel=0.15), name


def test_gamma_gamma_recovers_known_parameters_from_simulated_spend():
    rng = np.random.default_rng(5)
    p, q, v = 6.25, 3.74, 15.44
    x = rng.integers(1, 8, size=20_000)
    nu = rng.gamma(q, 1 / v, size=len(x))
    m_x = np.array([rng.gamma(p, 1 / n, size=k).mean() for n, k in zip(nu, x)])
    model = fit_gamma_gamma(x, m_x)
    assert (model.p, model.q, model.v) == pytest.approx((p, q, v), rel=0.1)


def test_p_alive_and_predictions_behave():
    model = BGNBD(0.243, 4.414, 0.793, 2.426, 0.0)
    assert float(model.p_alive(0, 0, 30)) == 1.0  # no repeat purchase: never seen dropping out
    # a customer who bought often but not for a long time is less likely alive than one who just bought
    assert float(model.p_alive(5, 10, 40)) < float(model.p_alive(5, 39, 40))
    assert model.expected_purchases_new(52) > model.expected_purchases_new(26) > 0
    spend = GammaGamma(6.25, 3.74, 15.44, 0.0).expected_spend(2, 30.0)
    value = discounted_value(model, spend, 2, 30.43, 38.86, months=12, days_per_unit=7.0, monthly_discount=0.0)
    assert float(value) == pytest.approx(float(spend * model.expected_purchases(12 * 30.4375 / 7, 2, 30.43, 38.86)))


def test_bad_summaries_are_refused():
    with pytest.raises(ValueError, match="recency cannot exceed T"):
        fit_bgnbd([1, 2], [5, 3], [4, 4])
    with pytest.raises(ValueError, match="frequency must be non-negative"):
        fit_bgnbd([-1, 2], [0, 3], [4, 4])
