"""How long the media-mix model takes to fit, on 2 cores: campaigns × days as a brand's history grows.

Each fit is what the `media_mix_model` asset does: the model on every day, then again without the last 14 days to
score its forecast of them. Wall and CPU seconds (CPU time is what the fit itself costs when other work shares the
cores). Worlds drawn like the simulator's (fortnightly spend regimes, Hill curves, adstock).

    .venv/bin/python benchmarks/mmm_fit_bench.py
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pandas as pd

from ecom_pipeline.budget import mmm

SIZES = ((8, 90), (8, 182), (8, 365), (20, 182), (20, 365), (40, 365))


def world(n_lines: int, days: int, seed: int = 0) -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(seed)
    index = pd.date_range("2025-01-06", periods=days)
    base = rng.uniform(100, 600, n_lines)
    spend = base[:, None] * rng.uniform(0.5, 1.6, (n_lines, days // 14 + 1)).repeat(14, axis=1)[:, :days] * rng.lognormal(0, 0.18, (n_lines, days))
    k, kappa, theta = base * rng.uniform(0.4, 2.5, n_lines), rng.uniform(0.7, 2.0, n_lines), rng.uniform(0, 0.6, n_lines)
    beta = base * np.exp(rng.uniform(np.log(0.3), np.log(3), n_lines)) * (base**kappa + k**kappa) / base**kappa
    mean = 3000 + mmm.hill(mmm.adstock(spend, theta), beta[:, None], k[:, None], kappa[:, None]).sum(axis=0)
    outcome = mean + rng.normal(0, 0.1 * mean.mean(), days)
    return pd.DataFrame(spend.T, index=index, columns=[("meta", f"c{c}") for c in range(n_lines)]), pd.Series(outcome, index=index)


def main() -> int:
    rows = []
    for n_lines, days in SIZES:
        spend, outcome = world(n_lines, days)
        started, cpu = time.perf_counter(), time.process_time()
        model = mmm.fit(spend, outcome)
        seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
        rows.append({"campaigns": n_lines, "days": days, "wall_seconds": round(seconds, 2), "cpu_seconds": round(cpu_seconds, 2),
                     "r2": round(model.r2, 3), "holdout_r2": round(model.holdout["r2"], 3)})
        print(json.dumps(rows[-1]), flush=True)
    out = Path(__file__).resolve().parent / "results" / "mmm_fit.json"
    out.write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
