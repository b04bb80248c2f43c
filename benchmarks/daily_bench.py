"""The morning run: what the 06:00 schedule launches on a data directory that already holds the history — yesterday
and the week before it restated, every asset, in one run — timed end to end including Dagster's own overhead.

    python benchmarks/daily_bench.py DATA_DIR [--day YYYY-MM-DD]   # default: the last day materialized is "yesterday"
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from dagster import DagsterEventType, DagsterInstance, build_schedule_context

from ecom_pipeline.cli import prepare_environment
from ecom_pipeline.settings import load_settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--day", default=None)
    args = parser.parse_args()
    settings = load_settings(args.data_dir)
    prepare_environment(settings)
    from ecom_pipeline.defs.build import INGEST_JOB, build_definitions

    day = args.day or sorted(p.stem for p in (settings.lake_dir / "orders_enriched").glob("*.parquet"))[-1]
    defs = build_definitions(settings)
    tick = datetime.combine(date.fromisoformat(day) + timedelta(days=1), datetime.min.time().replace(hour=6), tzinfo=ZoneInfo(settings.shop_timezone))
    with DagsterInstance.get() as instance:
        request = defs.resolve_schedule_def("daily_ingest_schedule").evaluate_tick(
            build_schedule_context(instance=instance, scheduled_execution_time=tick)).run_requests[0]
        started = time.perf_counter()
        result = defs.resolve_job_def(INGEST_JOB).execute_in_process(instance=instance, tags=request.tags, raise_on_error=False)
        seconds = time.perf_counter() - started
        steps = {s.step_key: round(s.end_time - s.start_time, 1) for s in instance.get_run_step_stats(result.run_id)}
        failures = [e.step_key for e in result.all_events if e.event_type == DagsterEventType.STEP_FAILURE]
    print(json.dumps({"days": f"{request.tags['dagster/asset_partition_range_start']} .. {request.tags['dagster/asset_partition_range_end']}",
                      "success": result.success, "seconds": round(seconds, 1), "failed_steps": failures,
                      "peak_rss_gib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024, 2),
                      "slowest_steps": dict(sorted(steps.items(), key=lambda kv: -kv[1])[:8]), "steps_total": round(sum(steps.values()), 1), "steps": len(steps)}, indent=1))


if __name__ == "__main__":
    main()
