"""Time and peak memory of the sample brand through the real command line: generate, then `ecom-pipeline run`.

Usage: python benchmarks/pipeline_bench.py [--scale demo|year] [--days N] [--keep DIR]
(a quarter, a half and a full year at year scale: --days 91, 182, 365 — the scaling curve in RESULTS.md)
Prints one markdown table; paste it into benchmarks/RESULTS.md with the machine and date.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent


def measure(command: list[str], env: dict) -> tuple[float, float, str]:
    """Wall seconds, peak resident memory (GiB) of the command and its children, and its output."""
    started = time.monotonic()
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{output[-3000:]}")
    return time.monotonic() - started, usage.ru_maxrss / 1024 / 1024, output


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", choices=["demo", "year"], default="demo")
    parser.add_argument("--days", type=int, default=None, help="days to simulate (default: the scale's own)")
    parser.add_argument("--keep", type=Path, default=None, help="keep the data directory here instead of a temporary one")
    args = parser.parse_args()
    data = args.keep or Path(tempfile.mkdtemp(prefix=f"ecom-bench-{args.scale}-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ECOM_PIPELINE_", "DAGSTER_HOME"))}
    rows = []
    days = ["--days", str(args.days)] if args.days else []
    seconds, peak, out = measure([str(BIN / "ecom-pipeline"), "generate", "--out", str(data / "landing"), "--scale", args.scale, *days], env)
    rows.append(("generate", seconds, peak, out.strip().splitlines()[-1]))
    seconds, peak, out = measure([str(BIN / "ecom-pipeline"), "run", "--data-dir", str(data)], env)
    detail = "; ".join(line for line in out.splitlines() if line.startswith(("registered", "ingest_job", "materialized")))
    rows.append(("run (register + ingest_job + publish)", seconds, peak, detail))
    print(f"\n{args.scale} scale on {platform.machine()} with {os.cpu_count()} cores, Python {platform.python_version()}, data in {data}\n")
    print("| stage | wall (s) | peak RSS (GiB) | detail |")
    print("| --- | ---: | ---: | --- |")
    for stage, seconds, peak, detail in rows:
        print(f"| {stage} | {seconds:.1f} | {peak:.2f} | {detail} |")


if __name__ == "__main__":
    main()
