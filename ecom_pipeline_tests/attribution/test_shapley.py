import random

import numpy as np
import pandas as pd
import pytest

from ecom_pipeline.attribution.paths import encode, from_frame
from ecom_pipeline.attribution.shapley import ordered_shapley, shapley, shapley_values, simplified_shapley
from ecom_pipeline_tests.attribution import reference


def test_exact_values_match_brute_force_permutations():
    rng = random.Random(3)
    players = [0, 2, 3, 5, 6]
    game = {mask: rng.random() for mask in range(128)}
    game[0] = 0.0
    values = shapley_values(players, lambda masks: np.array([game[int(m)] for m in masks]))
    brute = reference.shapley_by_permutations(players, lambda coalition: game[sum(1 << p for p in coalition)])
    assert values.tolist() == pytest.approx([brute[p] for p in players], abs=1e-12)
    assert values.sum() == pytest.approx(game[sum(1 << p for p in players)])  # efficiency


def test_conversion_rate_game_worked_by_hand():
    """v(a)=0, v(b)=0, v(c)=½, v(ab)=½, v(abc)=1: within {a,b,c} each channel gets ⅓; within {a,b} ½ each."""
    frame = pd.DataFrame({"path": ["a > b", "b", "a > c > b", "c"], "total_conversions": [1, 0, 2, 1],
                          "total_conversion_value": [10.0, 0.0, 40.0, 5.0], "total_null": [1, 2, 0, 1]})
    result = shapley(from_frame(frame))
    assert dict(zip(result.channels, result.conversions)) == pytest.approx({"a": 0.5 + 2 / 3, "b": 0.5 + 2 / 3, "c": 2 / 3 + 1})
    assert dict(zip(result.channels, result.value)) == pytest.approx({"a": 5 + 40 / 3, "b": 5 + 40 / 3, "c": 40 / 3 + 5})
    assert result.shares_for(["c", "a", "b"]) == pytest.approx({"a": 1 / 3, "b": 1 / 3, "c": 1 / 3})


def test_negative_values_are_clipped_and_shares_still_sum_to_one():
    """v(a)=½, v(ab)=0.1, v(b)=0 gives b a negative value: clipped to 0, a keeps the set's conversions."""
    frame = pd.DataFrame({"path": ["a", "a > b"], "total_conversions": [1, 1], "total_null": [1, 9]})
    result = shapley(from_frame(frame))
    assert result.clipped_sets == 1
    assert result.shares_for(["a", "b"]) == pytest.approx({"a": 1.0, "b": 0.0})
    assert result.conversions.sum() == pytest.approx(2)


def test_totals_are_distributed_exactly_on_random_paths():
    rng = random.Random(8)
    paths = [[rng.choice("abcdef") for _ in range(rng.randint(1, 6))] for _ in range(300)]
    conv = [rng.randint(0, 3) for _ in paths]
    table = encode([" > ".join(p) for p in paths], conv, [c * 12.5 for c in conv], [rng.randint(0, 5) for _ in paths])
    for frame in (shapley(table).table(), simplified_shapley(table)):
        assert frame["conversions"].sum() == pytest.approx(sum(conv))
        assert frame["value"].sum() == pytest.approx(12.5 * sum(conv))
        assert (frame["conversions"] >= 0).all()
    assert ordered_shapley(table)["conversions"].sum() == pytest.approx(sum(conv))


def test_simplified_and_ordered_variants_by_hand():
    frame = pd.DataFrame({"path": ["a > b > a"], "total_conversions": [6], "total_conversion_value": [60.0]})
    simple = simplified_shapley(from_frame(frame)).set_index("channel")
    assert simple["conversions"].to_dict() == pytest.approx({"a": 3, "b": 3})
    ordered = ordered_shapley(from_frame(frame)).set_index(["channel", "position"])["conversions"]
    assert ordered.to_dict() == pytest.approx({("a", 1): 1.5, ("a", 3): 1.5, ("b", 2): 3.0})


def test_journeys_with_too_many_channels_are_refused_clearly():
    with pytest.raises(ValueError, match="limit is 15 channels per journey"):
        shapley_values(list(range(16)), lambda masks: np.zeros(len(masks)))
