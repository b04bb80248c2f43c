"""Lift-test readouts in the shapes a brand keeps them: intervals, Meta's lift % with confidence, bad rows held back."""

from pathlib import Path

import pytest
from scipy.stats import norm

from ecom_pipeline.sources import detect, parse_bytes

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "lift_tests"


def parsed(name: str):
    raw = (FIXTURES / name).read_bytes()
    return parse_bytes(raw, name=name), detect(raw)[0]


def test_a_sheet_with_90_percent_intervals_gives_each_test_its_standard_error():
    result, family = parsed("brand_sheet_intervals.csv")
    table = result.tables["lift_tests"]
    assert family == "lift_tests" and result.rows_read == 2
    # the first row: (116.9 − 51.1) / (2 × 1.6449) = 20.0; the second gives no uncertainty and is held back, by row
    assert len(table) == 1 and table["standard_error"].iloc[0] == pytest.approx(20.0, abs=0.01)
    assert table.iloc[0][["platform", "campaign", "test_type", "incremental_conversions", "spend"]].tolist() == \
        ["google", "Search - Brand", "geo_holdout", 84.0, 2210.5]
    assert [(p.row, p.rule) for p in result.problems] == [(2, "no_uncertainty")]


def test_metas_lift_percent_and_confidence_become_incremental_conversions_and_their_error():
    result, _ = parsed("meta_lift_confidence_semicolon.csv")
    table = result.tables["lift_tests"]
    # 900 test-cell conversions at +12.5 % lift: 900 × 0.125 / 1.125 = 100 caused; confidence 97.5 % → se = 100 / z(0.975)
    assert len(table) == 1
    row = table.iloc[0]
    assert row["incremental_conversions"] == pytest.approx(100.0)
    assert row["standard_error"] == pytest.approx(100.0 / norm.ppf(0.975), rel=1e-6)
    assert (row["start_date"].date().isoformat(), row["end_date"].date().isoformat(), row["spend"]) == ("2025-10-01", "2025-10-14", 1500.0)
    rules = sorted({p.rule for p in result.problems if p.row == 2})
    assert rules == ["end_before_start", "no_effect", "not_a_number", "unknown_test_type"]
    assert result.rows_read == len(table) + result.rows_quarantined
