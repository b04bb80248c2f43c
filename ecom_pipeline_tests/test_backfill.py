import pytest

from ecom_pipeline.backfill import day_ranges, days_per_run_for


def test_day_ranges_cover_every_day_once_in_order():
    ranges = day_ranges("2025-12-20", "2026-03-02", 31)
    assert ranges == [("2025-12-20", "2026-01-19"), ("2026-01-20", "2026-02-19"), ("2026-02-20", "2026-03-02")]
    assert day_ranges("2025-06-01", "2025-06-01", 31) == [("2025-06-01", "2025-06-01")]
    assert day_ranges("2025-06-01", "2025-06-03", 1) == [("2025-06-01", "2025-06-01"), ("2025-06-02", "2025-06-02"), ("2025-06-03", "2025-06-03")]
    assert day_ranges("2025-06-02", "2025-06-01", 31) == []


def test_day_ranges_refuse_an_empty_run():
    with pytest.raises(ValueError, match="at least 1"):
        day_ranges("2025-06-01", "2025-06-03", 0)


def test_each_range_reaches_back_to_restate_the_days_before_it():
    assert day_ranges("2025-06-01", "2025-06-20", 10, restate_days=7) == [("2025-06-01", "2025-06-10"), ("2025-06-04", "2025-06-20")]
    # A file's own first days too, down to the first partition: the orders before a shipments file get their labels.
    assert day_ranges("2025-06-10", "2025-06-12", 31, restate_days=7, floor="2025-06-05") == [("2025-06-05", "2025-06-12")]


@pytest.mark.parametrize("rows, days, expected", [
    (6_675_025, 366, 31),  # the year brand (5.2M web events): a month a run, as before
    (1_353_688, 92, 37),  # its first quarter, the low season: a little longer
    (163_972, 91, 305),  # the sample brand (1.8k rows a day): its 91 days in one run
    (0, 0, 366),  # nothing landed: no division by zero
    (50_000_000, 365, 31),  # a brand ten times the year brand: never under a month (the UI's backfills' size)
])
def test_the_command_line_cuts_runs_by_volume_between_a_month_and_a_year(rows, days, expected):
    assert days_per_run_for(rows, days) == expected
