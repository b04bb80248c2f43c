import json
from pathlib import Path

import pytest

from ecom_pipeline.cli import main

CDNOW = Path(__file__).parents[1] / "fixtures" / "cdnow" / "cdnow_summary.csv"


def test_ltv_fit_json_on_cdnow(capsys):
    assert main(["ltv-fit", str(CDNOW), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out["bg_nbd"]) == {"r", "alpha", "a", "b", "log_likelihood"}
    assert set(out["gamma_gamma"]) == {"p", "q", "v", "log_likelihood"}
    assert out["bg_nbd"]["r"] == pytest.approx(0.243, abs=5e-4) and out["bg_nbd"]["log_likelihood"] == pytest.approx(-9582.4, abs=0.05)
    assert out["gamma_gamma"]["q"] == pytest.approx(3.74, abs=5e-3)


def test_without_monetary_value_only_bgnbd_is_fitted(capsys, tmp_path):
    path = tmp_path / "summary.csv"
    path.write_text("\n".join(",".join(line.split(",")[1:4]) for line in CDNOW.read_text().splitlines()))
    assert main(["ltv-fit", str(path), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["gamma_gamma"] is None and out["bg_nbd"]["b"] == pytest.approx(2.426, abs=5e-4)


@pytest.mark.parametrize("text, message", [
    ("frequency,recency\n1,2\n", "missing column T"),
    ("frequency,recency,T\n1,2,5\n2,x,5\n", "row 3, column recency: 'x'"),
    ("frequency,recency,T\n1,6,5\n", "row 2, column recency: 6.0 is later than T = 5.0"),
])
def test_bad_summaries_exit_2_with_the_row_and_column(capsys, tmp_path, text, message):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    assert main(["ltv-fit", str(path)]) == 2
    assert message in capsys.readouterr().err
