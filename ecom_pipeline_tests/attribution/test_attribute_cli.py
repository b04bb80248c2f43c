import json

import pytest

from ecom_pipeline.cli import main

PATHS = "path,total_conversions,total_conversion_value,total_null\na > b,1,10,1\nb,0,0,2\na > c > b,2,40,0\nc,1,5,1\n"


@pytest.fixture
def paths_file(tmp_path):
    path = tmp_path / "paths.csv"
    path.write_text(PATHS)
    return path


def run_json(capsys, *args):
    assert main(["attribute", *map(str, args), "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_markov_json_has_the_documented_shape_and_the_hand_worked_values(capsys, paths_file):
    out = run_json(capsys, paths_file, "--model", "markov", "--order", "1")
    assert out["model"] == "markov" and out["order"] == 1
    channels = {c["channel"]: c for c in out["channels"]}
    assert set(channels["a"]) == {"channel", "conversions", "value", "removal_effect"}
    assert {k: v["removal_effect"] for k, v in channels.items()} == pytest.approx({"a": 0.5, "b": 0.75, "c": 0.5})
    assert sum(c["conversions"] for c in out["channels"]) == pytest.approx(4)
    assert sum(c["value"] for c in out["channels"]) == pytest.approx(55)


def test_heuristics_print_channelattribution_columns(capsys, paths_file):
    out = run_json(capsys, paths_file, "--model", "heuristics")
    a = next(c for c in out["channels"] if c["channel"] == "a")
    assert a["first_touch_conversions"] == 3 and a["last_touch_conversions"] == 0
    assert a["linear_touch_conversions"] == pytest.approx(0.5 + 2 / 3)


def test_shapley_and_its_ordered_variant(capsys, paths_file):
    exact = {c["channel"]: c["conversions"] for c in run_json(capsys, paths_file, "--model", "shapley")["channels"]}
    assert exact == pytest.approx({"a": 0.5 + 2 / 3, "b": 0.5 + 2 / 3, "c": 2 / 3 + 1})
    ordered = run_json(capsys, paths_file, "--model", "shapley-ordered")["channels"]
    assert {(c["channel"], c["position"]) for c in ordered} == {("a", 1), ("b", 1), ("b", 2), ("b", 3), ("c", 1), ("c", 2)}


def test_the_table_output_names_the_model(capsys, paths_file):
    assert main(["attribute", str(paths_file), "--model", "markov", "--order", "2"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("markov (order 2) on 4 distinct paths, 4 conversions") and "removal_effect" in out


def test_bad_input_exits_2_naming_the_row_and_column(capsys, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("path,total_conversions\na > b,1\nb,two\n")
    assert main(["attribute", str(path), "--model", "linear"]) == 2
    assert "row 3, column total_conversions: 'two'" in capsys.readouterr().err
    assert main(["attribute", str(path), "--model", "u-shaped"]) == 2
    assert "unknown model 'u-shaped'" in capsys.readouterr().err
