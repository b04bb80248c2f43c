"""The daily run: the job for one day's partition on a data directory that already holds the history (what the
06:00 schedule launches after a new day of exports lands), timed end to end including Dagster's own overhead.

    python benchmarks/daily_bench.py DATA_DIR [--day YYYY-MM-DD]   # default: the last day materialized
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path

from dagster import DagsterEventType, DagsterInstance

from ecom_pipeline.cli import materialize_days, prepare_environment
from ecom_pipeline.settings import load_settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--day", default=None)
    args = parser.parse_args()
    settings = load_settings(args.data_dir)
    prepare_environment(settings)
    day = args.day or sorted(p.stem for p in (settings.lake_dir / "orders_enriched").glob("*.parquet"))[-1]
    with DagsterInstance.get() as instance:
        started = time.perf_counter()
        result = materialize_days(settings, day, day, instance=instance)
        seconds = time.perf_counter() - started
        steps = {s.step_key: round(s.end_time - s.start_time, 1) for s in instance.get_run_step_stats(result.run_id)}
        failures = [e.step_key for e in result.all_events if e.event_type == DagsterEventType.STEP_FAILURE]
    print(json.dumps({"day": day, "success": result.success, "seconds": round(seconds, 1), "failed_steps": failures,
                      "peak_rss_gib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024, 2),
                      "slowest_steps": dict(sorted(steps.items(), key=lambda kv: -kv[1])[:6])}, indent=1))


if __name__ == "__main__":
    main()
