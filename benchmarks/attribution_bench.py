"""Attribution benchmark: 1M path rows in ChannelAttribution's shape (≈250k distinct paths, 6 channels).

Times every heuristic model and exact Markov order 1/2/3, from the DataFrame (encoding included). With
`--channelattribution-python` pointing at an interpreter where the GPL-3 `ChannelAttribution` package is installed
(`make bench-channelattribution` makes one; it is never a dependency of ecom_pipeline), times the package on the
same file in a separate process and records how far its simulated answers are from our exact ones.

    python benchmarks/attribution_bench.py [--rows 1000000] [--distinct 250000] [--channelattribution-python PY]
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

from ecom_pipeline.attribution.heuristics import heuristic_models
from ecom_pipeline.attribution.markov import markov
from ecom_pipeline.attribution.paths import from_frame, read_paths

CHANNELS = ("paid_social", "paid_search", "display", "email", "organic", "direct")
POPULARITY = np.array([0.25, 0.2, 0.1, 0.15, 0.15, 0.15])
PROPENSITY = np.array([0.02, 0.05, 0.005, 0.04, 0.03, 0.06])


def paths_frame(rows: int, distinct: int, seed: int) -> pd.DataFrame:
    """`distinct` different paths (lengths 1–15, geometric), then more rows drawing popular paths again."""
    rng = np.random.default_rng(seed)
    names = np.asarray(CHANNELS, dtype=object)
    pool = pd.Index([])
    while len(pool) < distinct:
        lengths = np.minimum(rng.geometric(0.2, size=2 * distinct), 15)
        touches = rng.choice(len(CHANNELS), size=int(lengths.sum()), p=POPULARITY)
        batch = [" > ".join(parts) for parts in np.split(names[touches], np.cumsum(lengths)[:-1])]
        pool = pool.append(pd.Index(batch)).unique()
    pool = pool[:distinct]
    codes = {name: i for i, name in enumerate(CHANNELS)}
    rate = np.array([PROPENSITY[[codes[t] for t in path.split(" > ")]].mean() for path in pool])
    popularity = 1.0 / np.arange(1, distinct + 1)
    index = np.concatenate([np.arange(distinct), rng.choice(distinct, size=rows - distinct, p=popularity / popularity.sum())])
    trials = rng.integers(1, 40, size=rows)
    conversions = rng.binomial(trials, np.minimum(rate[index] * 4, 0.9))
    return pd.DataFrame({"path": pool.to_numpy(dtype=object)[index], "total_conversions": conversions,
                         "total_conversion_value": np.round(conversions * rng.gamma(4.0, 20.0, size=rows), 2),
                         "total_null": trials - conversions})


def timed(function):
    started = time.perf_counter()
    result = function()
    return result, time.perf_counter() - started


def ours(frame: pd.DataFrame, csv: Path) -> dict:
    """Seconds to read the CSV and encode it (dedupe, split, code) as the CLI does, to encode an in-memory frame of
    Python strings, then per model on the encoded paths, and read + model together."""
    table, encode_s = timed(lambda: read_paths(csv))
    _, object_s = timed(lambda: from_frame(frame))
    _, heuristics_s = timed(lambda: heuristic_models(table))
    results = {"distinct_paths": int(len(table.lengths)), "touches": int(len(table.tokens)), "read_csv_and_encode_seconds": round(encode_s, 3),
               "encode_object_frame_seconds": round(object_s, 3),
               "heuristics": {"models": ["first", "last", "linear", "position"], "seconds": round(heuristics_s, 3),
                              "seconds_incl_encoding": round(encode_s + heuristics_s, 3)}}
    for order in (1, 2, 3):
        result, seconds = timed(lambda: markov(table, order))
        results[f"markov_{order}"] = {"seconds": round(seconds, 3), "seconds_incl_encoding": round(encode_s + seconds, 3), "states": result.states,
                                      "conversions": dict(zip(result.channels, np.round(result.conversions, 2).tolist())),
                                      "removal_effects": dict(zip(result.channels, np.round(result.removal_effects, 5).tolist()))}
    return results


CHANNELATTRIBUTION_SCRIPT = """
import json, sys, time
import pandas as pd
from ChannelAttribution import heuristic_models, markov_model
frame = pd.read_csv(sys.argv[1])
out = {}
started = time.perf_counter()
heuristic_models(frame, "path", "total_conversions", var_value="total_conversion_value", flg_pro=False)
out["heuristics_seconds"] = round(time.perf_counter() - started, 3)
for order in (1, 2, 3):
    started = time.perf_counter()
    result = markov_model(frame, "path", "total_conversions", var_value="total_conversion_value", var_null="total_null",
                          order=order, out_more=True, verbose=False, flg_pro=False, ncore=2)
    seconds = time.perf_counter() - started
    credits = result["result"]
    effects = result["removal_effects"]
    out[f"markov_{order}"] = {"seconds": round(seconds, 3),
                              "conversions": dict(zip(credits["channel_name"], credits["total_conversions"].round(2))),
                              "removal_effects": dict(zip(effects["channel_name"], effects["removal_effects_conversion"].round(5)))}
print(json.dumps(out))
"""


def channelattribution(python: str, csv: Path) -> dict:
    done = subprocess.run([python, "-c", CHANNELATTRIBUTION_SCRIPT, str(csv)], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def differences(mine: dict, theirs: dict) -> dict:
    """Per order, the largest relative difference between the package's simulated removal effects / credits and ours."""
    out = {}
    for order in (1, 2, 3):
        key = f"markov_{order}"
        a, b = mine[key], theirs[key]
        out[key] = {
            "max_relative_difference_removal_effect": round(max(abs(b["removal_effects"][c] - a["removal_effects"][c]) / a["removal_effects"][c] for c in a["removal_effects"]), 4),
            "max_relative_difference_conversions": round(max(abs(b["conversions"][c] - a["conversions"][c]) / a["conversions"][c] for c in a["conversions"]), 4),
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--distinct", type=int, default=250_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--channelattribution-python", default=None, help="interpreter with ChannelAttribution installed")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "attribution.json")
    args = parser.parse_args()
    frame, generate_s = timed(lambda: paths_frame(args.rows, args.distinct, args.seed))
    record = {"date": datetime.now(timezone.utc).isoformat(timespec="seconds"), "machine": f"{platform.machine()}, {platform.processor() or 'cpu'}",
              "python": platform.python_version(), "rows": args.rows, "distinct_path_strings": int(frame["path"].nunique()),
              "conversions": int(frame["total_conversions"].sum()), "nulls": int(frame["total_null"].sum()),
              "generate_seconds": round(generate_s, 2)}
    with tempfile.TemporaryDirectory() as folder:
        csv = Path(folder) / "paths.csv"
        frame.to_csv(csv, index=False)
        record["ours"] = ours(frame, csv)
        record["ours"]["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        if args.channelattribution_python:
            record["channelattribution"] = channelattribution(args.channelattribution_python, csv)
            record["difference"] = differences(record["ours"], record["channelattribution"])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(record, indent=1))
    print(json.dumps(record, indent=1))


if __name__ == "__main__":
    sys.exit(main())
