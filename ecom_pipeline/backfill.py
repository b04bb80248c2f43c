"""How a long range of days is cut into runs of bounded size (Dagster imported only where a policy is built: the command
line reads the rest before Dagster loads)."""

from datetime import date, timedelta

# A run holds each step's frames for all its days at once: a month per run keeps a year-long backfill's memory
# to that of a month, while each run still reads an export once per month rather than once per day.
DAYS_PER_RUN = 31
# The command line cuts by volume instead: a run holds about this many landed rows (a month of a brand with 5M web
# events a year, 2.0 GiB at peak), never fewer days than DAYS_PER_RUN nor more than a year. A smaller brand gets fewer,
# longer runs: each run pays Dagster's start-up and each step's whole-history reads once (the sample brand: 73 s in two
# runs instead of 88 s in six).
ROWS_PER_RUN = 550_000
MAX_DAYS_PER_RUN = 366
# Facts about a day's orders arrive on the days after it: its labels are printed (and filed by shipped date) 1–3 days
# later, refunds later still. Every run also restates this many days before its own, so a day's margin is computed
# again once its labels exist; the morning run does the same for the week behind it.
RESTATE_DAYS = 7


def backfill_policy():
    """How Dagster's backfills (the UI's, the daemon's) cut a long range: runs of at most DAYS_PER_RUN days, as the
    command line and the sensor cut theirs, so a year backfilled from the UI holds a month's memory too."""
    from dagster import BackfillPolicy

    return BackfillPolicy.multi_run(max_partitions_per_run=DAYS_PER_RUN)


def days_per_run_for(rows: int, days: int) -> int:
    """How many days a run of the command line takes when `rows` landed rows cover `days` days (ROWS_PER_RUN a run)."""
    per_day = max(rows / max(days, 1), 1.0)
    return int(min(MAX_DAYS_PER_RUN, max(DAYS_PER_RUN, ROWS_PER_RUN // per_day)))


def day_ranges(first: str, last: str, days_per_run: int = DAYS_PER_RUN, restate_days: int = 0, floor: str | None = None) -> list[tuple[str, str]]:
    """[first, last] cut into consecutive ranges of at most `days_per_run` days, oldest first (later days' trailing
    windows read the earlier ones); each range then reaches back `restate_days` more days, but not before `floor`
    (default `first`), so the days before a range see the facts its days bring."""
    if days_per_run < 1:
        raise ValueError(f"days_per_run must be at least 1, not {days_per_run}")
    start, end = date.fromisoformat(first), date.fromisoformat(last)
    bottom = date.fromisoformat(floor or first)
    ranges = []
    while start <= end:
        stop = min(start + timedelta(days=days_per_run - 1), end)
        ranges.append((max(start - timedelta(days=restate_days), bottom).isoformat(), stop.isoformat()))
        start = stop + timedelta(days=1)
    return ranges
