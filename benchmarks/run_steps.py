"""Where the runs recorded in a data directory's Dagster instance spent their time: each run's wall time and days,
then each step's seconds summed over those runs (slowest first).

    python benchmarks/run_steps.py DATA_DIR [--last N]   # N: only the last N runs
"""

from __future__ import annotations

import argparse
import os
from collections import defaultdict
from pathlib import Path

from dagster import DagsterInstance
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG, PARTITION_NAME_TAG


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--last", type=int, default=0)
    args = parser.parse_args()
    os.environ["DAGSTER_HOME"] = str(args.data_dir.resolve() / "dagster_home")
    with DagsterInstance.get() as instance:
        records = sorted(instance.get_run_records(), key=lambda r: r.create_timestamp)[-args.last:]
        steps: dict[str, float] = defaultdict(float)
        total = 0.0
        print("| run | days | status | seconds |\n| --- | --- | --- | ---: |")
        for record in records:
            run, stats = record.dagster_run, instance.get_run_stats(record.dagster_run.run_id)
            tags = run.tags
            days = tags.get(PARTITION_NAME_TAG) or f"{tags.get(ASSET_PARTITION_RANGE_START_TAG, '')} .. {tags.get(ASSET_PARTITION_RANGE_END_TAG, '')}"
            seconds = (stats.end_time or 0) - (stats.start_time or 0) if stats.end_time else float("nan")
            total += seconds if stats.end_time else 0.0
            print(f"| {run.run_id[:8]} | {days} | {run.status.value} | {seconds:.1f} |")
            for step in instance.get_run_step_stats(run.run_id):
                if step.end_time and step.start_time:
                    steps[step.step_key] += step.end_time - step.start_time
        print(f"\nruns: {len(records)}, {total:.1f} s in all\n\n| step | seconds |\n| --- | ---: |")
        for key, seconds in sorted(steps.items(), key=lambda kv: -kv[1]):
            print(f"| {key} | {seconds:.1f} |")


if __name__ == "__main__":
    main()
