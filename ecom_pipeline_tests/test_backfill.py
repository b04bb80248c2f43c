import pytest

from ecom_pipeline.backfill import day_ranges


def test_day_ranges_cover_every_day_once_in_order():
    ranges = day_ranges("2025-12-20", "2026-03-02", 31)
    assert ranges == [("2025-12-20", "2026-01-19"), ("2026-01-20", "2026-02-19"), ("2026-02-20", "2026-03-02")]
    assert day_ranges("2025-06-01", "2025-06-01", 31) == [("2025-06-01", "2025-06-01")]
    assert day_ranges("2025-06-01", "2025-06-03", 1) == [("2025-06-01", "2025-06-01"), ("2025-06-02", "2025-06-02"), ("2025-06-03", "2025-06-03")]
    assert day_ranges("2025-06-02", "2025-06-01", 31) == []


def test_day_ranges_refuse_an_empty_run():
    with pytest.raises(ValueError, match="at least 1"):
        day_ranges("2025-06-01", "2025-06-03", 0)
