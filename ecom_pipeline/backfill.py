"""How a long range of days is cut into runs of bounded size (no Dagster import: the command line uses it)."""

from datetime import date, timedelta

# A run holds each step's frames for all its days at once: a month per run keeps a year-long backfill's memory
# to that of a month, while each run still reads an export once per month rather than once per day.
DAYS_PER_RUN = 31


def day_ranges(first: str, last: str, days_per_run: int = DAYS_PER_RUN) -> list[tuple[str, str]]:
    """[first, last] cut into consecutive ranges of at most `days_per_run` days, oldest first (later days' trailing
    windows read the earlier ones)."""
    if days_per_run < 1:
        raise ValueError(f"days_per_run must be at least 1, not {days_per_run}")
    start, end = date.fromisoformat(first), date.fromisoformat(last)
    ranges = []
    while start <= end:
        stop = min(start + timedelta(days=days_per_run - 1), end)
        ranges.append((start.isoformat(), stop.isoformat()))
        start = stop + timedelta(days=1)
    return ranges
