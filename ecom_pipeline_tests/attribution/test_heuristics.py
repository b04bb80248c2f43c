import numpy as np
import pandas as pd
import pytest

from ecom_pipeline.attribution.heuristics import heuristic_models, position_shares
from ecom_pipeline.attribution.paths import PathError, from_frame, read_paths

PATHS = pd.DataFrame({"path": ["a > b > c > b", "b", "c > a"], "total_conversions": [4, 2, 1],
                      "total_conversion_value": [40.0, 10.0, 8.0], "total_null": [3, 0, 5]})


def test_rule_based_channel_totals_by_hand():
    models = {name: frame.set_index("channel") for name, frame in heuristic_models(from_frame(PATHS)).items()}
    assert models["first"]["conversions"].to_dict() == {"a": 4, "b": 2, "c": 1}
    assert models["last"]["conversions"].to_dict() == {"a": 1, "b": 6, "c": 0}
    # linear: a channel touched twice gets 2/L
    assert models["linear"]["conversions"].to_dict() == pytest.approx({"a": 1 + 0.5, "b": 2 + 2, "c": 1 + 0.5})
    assert models["linear"]["value"].to_dict() == pytest.approx({"a": 10 + 4, "b": 20 + 10, "c": 10 + 4})
    # position: 40 % first, 40 % last, 20 % over the middle; two touches 50/50
    assert models["position"]["conversions"].to_dict() == pytest.approx({"a": 1.6 + 0.5, "b": 0.4 + 1.6 + 2, "c": 0.4 + 0.5})
    for frame in models.values():
        assert frame["conversions"].sum() == pytest.approx(7) and frame["value"].sum() == pytest.approx(58)


def test_position_shares_for_every_length():
    for length, expected in ((1, [1.0]), (2, [0.5, 0.5]), (3, [0.4, 0.2, 0.4]), (5, [0.4, 0.2 / 3, 0.2 / 3, 0.2 / 3, 0.4])):
        assert position_shares(np.arange(length), np.full(length, length)).tolist() == pytest.approx(expected)


def test_identical_paths_are_summed_and_separators_tolerate_spacing():
    frame = pd.DataFrame({"path": ["a>b", "a > b", " a >b "], "total_conversions": [1, 2, 3]})
    table = from_frame(frame)
    assert table.channels == ("a", "b") and table.lengths.tolist() == [2, 2, 2] and table.tokens.tolist() == [0, 1] * 3
    assert from_frame(frame.assign(path=["a>b"] * 3)).conversions.tolist() == [6.0]


def test_custom_separator():
    table = from_frame(pd.DataFrame({"path": ["Paid Social|Email"], "total_conversions": [1]}), separator="|")
    assert table.channels == ("Email", "Paid Social")


@pytest.mark.parametrize("frame, message", [
    (pd.DataFrame({"paths": ["a"], "total_conversions": [1]}), "missing column path"),
    (pd.DataFrame({"path": ["a", "b"], "total_conversions": [1, "x"]}), "row 3, column total_conversions: 'x'"),
    (pd.DataFrame({"path": ["a", "b"], "total_conversions": [1, 1], "total_null": [0, -2]}), "row 3, column total_null"),
    (pd.DataFrame({"path": ["a", " "], "total_conversions": [1, 1]}), "row 3, column path: the path is empty"),
    (pd.DataFrame({"path": ["a > > b"], "total_conversions": [1]}), "has an empty touch"),
])
def test_bad_paths_name_the_row_and_column(frame, message):
    with pytest.raises(PathError, match=message):
        from_frame(frame)


def test_reads_semicolon_files_with_a_bom(tmp_path):
    path = tmp_path / "paths.csv"
    path.write_text("\ufeffpath;total_conversions;total_conversion_value;total_null\na > b;2;30.5;1\nb;0;0;4\n", encoding="utf-8")
    table = read_paths(path)
    assert table.channels == ("a", "b") and table.nulls.tolist() == [1.0, 4.0]
