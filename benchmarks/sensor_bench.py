"""The landing sensor's tick with many files: its cost must not grow with what already landed (no rehashing).

Registers N real exports (one-row exchange-rate files, each with its own content, through the same Registry the
sensor uses), then times sensor ticks evaluated as the daemon evaluates them (`build_sensor_context` on the real
definitions): one with nothing new, and one while N more files are still being written into the landing folder.

    python benchmarks/sensor_bench.py [--files 10000]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from dagster import DagsterInstance, build_sensor_context

from ecom_pipeline.defs.build import build_definitions
from ecom_pipeline.defs.resources import PipelineSettings
from ecom_pipeline.ingest import Registry
from ecom_pipeline.settings import Settings


def write_files(folder: Path, count: int, offset: int = 0) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    start = date(2025, 1, 1)
    for i in range(offset, offset + count):
        day = start + timedelta(days=i % 300)
        (folder / f"fx_rates_{i:05d}.csv").write_text(f"date,currency,rate\n{day},EUR,{1 + i / 1e6:.6f}\n")


def tick(definitions, instance, settings: Settings, cursor: str | None) -> tuple[float, object]:
    sensor = definitions.resolve_sensor_def("landing_sensor")
    started = time.perf_counter()
    with build_sensor_context(instance=instance, cursor=cursor, definitions=definitions,
                              resources={"pipeline": PipelineSettings.from_settings(settings)}) as context:
        result = sensor(context)
    return time.perf_counter() - started, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder) / "data"
        settings = Settings(data_dir=data, landing_dir=data / "landing", warehouse_url=f"sqlite:///{data / 'w.sqlite'}", start_date="2025-01-01")
        settings.ensure_dirs()
        write_files(settings.landing_dir, args.files)
        registry = Registry(settings)
        started = time.perf_counter()
        for path in sorted(settings.landing_dir.glob("*.csv")):
            registry.register(path)
        register_s = time.perf_counter() - started
        registry.mark_materialized_through(registry.manifest_names()[-1])  # as after `ecom-pipeline run`
        os.environ["DAGSTER_HOME"] = str(data / "dagster_home")
        definitions = build_definitions(settings)
        with DagsterInstance.ephemeral() as instance:
            idle = [tick(definitions, instance, settings, None)[0] for _ in range(3)]
            write_files(settings.landing_dir, args.files, offset=args.files)  # still arriving: written just now
            arriving, result = tick(definitions, instance, settings, None)
        record = {"files_registered": len(registry.manifest_names()), "register_seconds": round(register_s, 1),
                  "tick_nothing_new_seconds": [round(s, 3) for s in idle], "tick_with_files_arriving_seconds": round(arriving, 3),
                  "arriving_files": args.files, "skip_reason": str(getattr(result, "skip_reason", ""))[:120]}
    print(json.dumps(record, indent=1))


if __name__ == "__main__":
    main()
