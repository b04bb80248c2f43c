"""The same brand materialized twice through the real command line: its lake, landing and archive on the local disk,
then in a bucket of a local S3-compatible server (moto's, on loopback — what the tests use; a real S3 adds the
network's latency to every request).

Usage: python benchmarks/object_storage_bench.py [--days N]
Prints one markdown table; paste it into benchmarks/RESULTS.md with the machine and date.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

import boto3
from moto.server import ThreadedMotoServer

from ecom_pipeline.sample import generate

sys.path.insert(0, str(Path(__file__).parent))
from pipeline_bench import BIN, measure  # noqa: E402

BUCKET = "bench-lake"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--days", type=int, default=30)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="ecom-bench-s3-"))
    source = work / "exports"
    generate(source, days=args.days, seed=7, scale="demo", start=date(2025, 6, 1), progress=False)
    exports = [p for p in sorted(source.iterdir()) if not p.name.startswith("ground_truth")]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    base = {k: v for k, v in os.environ.items() if not k.startswith(("ECOM_PIPELINE_", "DAGSTER_HOME"))}
    s3 = {"AWS_ENDPOINT_URL": f"http://{host}:{port}", "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_DEFAULT_REGION": "us-east-1"}
    client = boto3.client("s3", endpoint_url=s3["AWS_ENDPOINT_URL"], aws_access_key_id="bench", aws_secret_access_key="bench", region_name="us-east-1")
    client.create_bucket(Bucket=BUCKET)
    rows = []
    try:
        local = work / "local"
        (local / "landing").mkdir(parents=True)
        for path in exports:
            subprocess.run(["cp", "-p", str(path), str(local / "landing")], check=True)
        seconds, memory, _ = measure([str(BIN / "ecom-pipeline"), "run", "--data-dir", str(local / "data"), "--landing", str(local / "landing")], base)
        rows.append(("local disk", seconds, memory))
        for path in exports:
            client.put_object(Bucket=BUCKET, Key=f"brand/landing/{path.name}", Body=path.read_bytes(), Metadata={"mtime": f"{path.stat().st_mtime:.3f}"})
        env = {**base, **s3, "ECOM_PIPELINE_LAKE_URL": f"s3://{BUCKET}/brand"}
        seconds, memory, _ = measure([str(BIN / "ecom-pipeline"), "run", "--data-dir", str(work / "s3-data")], env)
        objects = sum(page.get("KeyCount", 0) for page in client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET))
        rows.append((f"S3 (moto on loopback, {objects:,} objects)", seconds, memory))
    finally:
        server.stop()
    print(f"{args.days} days, {len(exports)} exports; `ecom-pipeline run` (register + every asset)\n")
    print("| lake, landing and archive on | seconds | peak GiB |\n| --- | ---: | ---: |")
    for name, seconds, memory in rows:
        print(f"| {name} | {seconds:.1f} | {memory:.2f} |")


if __name__ == "__main__":
    main()
