import random

import numpy as np
import pandas as pd
import pytest

from ecom_pipeline.attribution.markov import markov
from ecom_pipeline.attribution.paths import encode, from_frame
from ecom_pipeline_tests.attribution import reference

HAND = pd.DataFrame({
    "path": ["a > b", "b", "a > c > b", "c"],
    "total_conversions": [1, 0, 2, 1],
    "total_conversion_value": [10.0, 0.0, 40.0, 5.0],
    "total_null": [1, 2, 0, 1],
})


def random_paths(seed, channels="abcd", rows=40, longest=5):
    rng = random.Random(seed)
    out = []
    for _ in range(rows):
        path = [rng.choice(channels) for _ in range(rng.randint(1, longest))]
        conv = rng.randint(0, 3)
        null = rng.randint(0 if conv else 1, 4)
        out.append((path, conv, null))
    return out


def table_of(paths, values=None):
    values = values or [10.0 * c for _, c, _ in paths]
    return encode([" > ".join(p) for p, _, _ in paths], [c for _, c, _ in paths], values, [n for _, _, n in paths])


def test_hand_worked_order_one():
    """Worked by hand: start→a ½, →b ¼, →c ¼; a→b ½, a→c ½; c→b ½, c→conv ¼; b→conv ½. P(conv) = ½.
    Without b: P = ⅛ → RE 0.75; without a: P = ¼ → RE 0.5; without c: P = ¼ → RE 0.5."""
    result = markov(from_frame(HAND), 1)
    assert result.p_conversion == pytest.approx(0.5, abs=1e-12)
    assert dict(zip(result.channels, result.removal_effects)) == pytest.approx({"a": 0.5, "b": 0.75, "c": 0.5}, abs=1e-12)
    assert dict(zip(result.channels, result.conversions)) == pytest.approx({"a": 4 * 0.5 / 1.75, "b": 4 * 0.75 / 1.75, "c": 4 * 0.5 / 1.75})
    # Value version: v̄ of the states a path ends in: b ends paths worth 50 over 3 conversions, c 5 over 1.
    # EV = ½·¼·… computed by hand: from b ½·50/3, from c ¼·5 + ½·EV(b).
    ev_b, ev_c = 0.5 * 50 / 3, 0.25 * 5 + 0.5 * 0.5 * 50 / 3
    ev_a = 0.5 * ev_b + 0.5 * ev_c
    ev = 0.5 * ev_a + 0.25 * ev_b + 0.25 * ev_c
    without_b = 0.5 * (0.5 * 0.25 * 5) + 0.25 * 0.25 * 5
    assert result.removal_effects_value[1] == pytest.approx(1 - without_b / ev, abs=1e-12)


@pytest.mark.parametrize("order", [1, 2, 3])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_removal_effects_match_an_independent_value_iteration(order, seed):
    paths = random_paths(seed)
    result = markov(table_of(paths), order)
    probs = reference.chain(paths, order)
    full = reference.p_conversion(probs)
    assert result.p_conversion == pytest.approx(full, abs=1e-10)
    for c, effect in zip(result.channels, result.removal_effects):
        assert effect == pytest.approx(1 - reference.p_conversion(probs, removed=c) / full, abs=1e-9)


@pytest.mark.parametrize("order", [1, 2])
def test_removal_effect_is_the_share_of_converting_walks_that_visit_the_channel(order):
    paths = random_paths(5, rows=25, longest=4)
    result = markov(table_of(paths), order)
    visits = reference.walk_visits(reference.chain(paths, order), result.channels, walks=60_000)
    for c, effect in zip(result.channels, result.removal_effects):
        assert effect == pytest.approx(visits[c], abs=0.015)


@pytest.mark.parametrize("order", [1, 2, 3])
def test_credits_distribute_exactly_the_totals_and_are_deterministic(order):
    table = table_of(random_paths(9, channels="abcdef", rows=200, longest=7))
    first, second = markov(table, order), markov(table, order)
    assert np.array_equal(first.removal_effects, second.removal_effects)
    assert first.conversions.sum() == pytest.approx(table.conversions.sum())
    assert first.value.sum() == pytest.approx(table.value.sum())
    assert (first.conversions >= 0).all() and (first.removal_effects <= 1).all()


def test_without_nulls_every_journey_converts_and_a_channel_on_every_path_is_essential():
    frame = pd.DataFrame({"path": ["b > a", "b", "b > c > a"], "total_conversions": [3, 1, 2], "total_conversion_value": [1, 1, 1]})
    result = markov(from_frame(frame), 1)
    assert result.p_conversion == pytest.approx(1.0)
    # every walk starts with b; a is reached from b with ½ and from c always, c from b with ⅓ of b's exits
    assert dict(zip(result.channels, result.removal_effects)) == pytest.approx({"a": 5 / 6, "b": 1.0, "c": 2 / 6})


def test_consecutive_repeats_are_collapsed_before_fitting():
    repeated = HAND.assign(path=["a > a > b", "b > b", "a > c > c > b", "c"])
    assert np.allclose(markov(from_frame(repeated), 1).removal_effects, markov(from_frame(HAND), 1).removal_effects)


def test_large_state_spaces_use_the_sparse_solver_and_agree_with_dense(monkeypatch):
    table = table_of(random_paths(4, channels="abcdefghij", rows=400, longest=6))
    dense = markov(table, 3)
    import ecom_pipeline.attribution.markov as module

    monkeypatch.setattr(module, "DENSE_LIMIT", 0)
    sparse = markov(table, 3)
    assert dense.states > 100
    assert np.allclose(dense.removal_effects, sparse.removal_effects, atol=1e-12)


def test_order_outside_one_to_three_is_refused():
    with pytest.raises(ValueError, match="order must be 1, 2 or 3"):
        markov(from_frame(HAND), 4)
