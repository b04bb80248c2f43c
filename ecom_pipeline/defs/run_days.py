"""The days a run covers, read from its partition tags (a single partition or a ranged backfill)."""

from datetime import date, timedelta

from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG, PARTITION_NAME_TAG

def run_days(tags: dict[str, str]) -> list[str] | None:
    """The days a run covers, from its partition tags; None for a run without partitions (all days)."""
    if PARTITION_NAME_TAG in tags:
        return [tags[PARTITION_NAME_TAG]]
    if ASSET_PARTITION_RANGE_START_TAG in tags:
        first, last = date.fromisoformat(tags[ASSET_PARTITION_RANGE_START_TAG]), date.fromisoformat(tags[ASSET_PARTITION_RANGE_END_TAG])
        return [(first + timedelta(days=i)).isoformat() for i in range((last - first).days + 1)]
    return None
