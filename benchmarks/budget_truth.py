"""Budget advice scored against the simulator's truth, on brands the project never saw.

Each brand is a seed with a random cast (which campaign truly pays best differs), 180 days, run through the whole
pipeline (`ecom-pipeline generate` + `ecom-pipeline run`, cached under benchmarks/.brands/), then the budget assets
are materialized again for each curve source. Every plan is scored with the true steady-state curves × the true mean
contribution margin of an ad-driven order:

  captured = (profit(recommendation) − profit(hold)) / (profit(oracle) − profit(hold))

hold = each line's 28-day mean scaled to the same budget inside the recommendation's bounds; oracle = the best
allocation of that budget under ±30 % of each 28-day mean and the inventory guardrails (captured is n/a when the
oracle gains less than 0.1 % of the budget: there is nothing to capture). Also: Spearman between the estimated and true
marginal return at current spend, and whether the reported 90 % interval of the period's change covers the true one.

    .venv/bin/python benchmarks/budget_truth.py --brands 20            # prepare (slow, cached) and score
    .venv/bin/python benchmarks/budget_truth.py --brands 20 --sources media_mix attribution
    .venv/bin/python benchmarks/budget_truth.py --brands 20 --sources media_mix+tests --lift-tests 3

`media_mix+tests` is the loop the product asks a brand to run: a copy of the prepared brand (`seed_N_tested`) runs
the holdouts its own `experiment_plan` ranks first, their readouts (the true curves' incremental orders on the
campaign's real spend over the 28 days before the last two, a Poisson draw, plus the holdout's measurement noise)
land as a lift-test export, `ecom-pipeline run` loads them, and the budget is materialized again.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from ecom_pipeline import lake
from ecom_pipeline.budget import experiments, mmm_inputs
from ecom_pipeline.budget.allocate import _feasible_start, allocate
from ecom_pipeline.budget.mmm import hill, hill_slope
from ecom_pipeline.sample.brand import geometric_adstock
from ecom_pipeline.schemas import BUDGET_RECOMMENDATIONS, CHANNEL_PERFORMANCE, EXPERIMENT_PLAN, RESPONSE_CURVES

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
BUDGET_ASSETS = "media_mix_model,media_mix_fit,response_curves,budget_recommendations,budget_report"
GUARDRAILS = ("paused", "capped", "no scale-up")
SOURCES = ("media_mix", "attribution", "media_mix+tests")
BOUND = 0.30
HORIZON = 7


class TrueCurve:
    """A campaign's true steady-state contribution margin per day at a constant daily spend."""

    def __init__(self, truth: dict, margin: float):
        curve = truth["response_curve"]
        self.beta, self.K, self.kappa, self.margin = curve["beta"], curve["K"], curve["kappa"], margin

    def response(self, x):
        return self.margin * hill(np.asarray(x, dtype=float), self.beta, self.K, self.kappa)

    def marginal(self, x):
        return self.margin * hill_slope(np.asarray(x, dtype=float), self.beta, self.K, self.kappa)


def prepare(folder: Path, seed: int, days: int) -> float:
    """Generate the brand and run the whole pipeline on it, once (the folder keeps it)."""
    marker = folder / "prepared"
    if marker.exists():
        return float(marker.read_text())
    started = time.perf_counter()
    folder.mkdir(parents=True, exist_ok=True)
    log = open(folder / "prepare.log", "w")
    subprocess.run([str(BIN / "ecom-pipeline"), "generate", "--out", str(folder / "landing"), "--days", str(days), "--seed", str(seed),
                    "--cast", "random"], check=True, stdout=log, stderr=subprocess.STDOUT)
    subprocess.run([str(BIN / "ecom-pipeline"), "run", "--data-dir", str(folder), "--landing", str(folder / "landing"), "--days-per-run", str(days + 10)],
                   check=True, stdout=log, stderr=subprocess.STDOUT)
    seconds = time.perf_counter() - started
    marker.write_text(f"{seconds:.1f}")
    return seconds


def rebudget(folder: Path, source: str, extra: str = "") -> float:
    """Materialize the budget assets again on the prepared lake with one curve source (a real Dagster run)."""
    env = {**os.environ, "ECOM_PIPELINE_DATA_DIR": str(folder), "ECOM_PIPELINE_LANDING_DIR": str(folder / "landing"),
           "DAGSTER_HOME": str(folder / "dagster_home")}
    config = {"ops": {"budget": {"config": {"curve_source": source}}}}
    started = time.perf_counter()
    with open(folder / f"budget_{source}.log", "w") as log:
        subprocess.run([str(BIN / "dagster"), "asset", "materialize", "-m", "ecom_pipeline.definitions", "--select", BUDGET_ASSETS + extra,
                        "--config-json", json.dumps(config)], check=True, env=env, cwd=HERE.parent, stdout=log, stderr=subprocess.STDOUT)
    return time.perf_counter() - started


def run_planned_tests(folder: Path, count: int) -> Path:
    """A copy of the prepared brand that has run the `count` holdouts its experiment_plan ranks first, their readouts
    landed as a lift-test export and loaded by `ecom-pipeline run` (once: the copy keeps them)."""
    tested = folder.with_name(folder.name + "_tested")
    marker = tested / "tests_landed"
    if marker.exists():
        return tested
    shutil.rmtree(tested, ignore_errors=True)
    shutil.copytree(folder, tested, ignore=shutil.ignore_patterns("*.log"))
    rebudget(tested, "media_mix", ",experiment_plan")
    plan = lake.read_snapshot(tested / "lake", ["experiment_plan"], EXPERIMENT_PLAN)
    holdouts = plan[~plan["design"].str.startswith("alternating")]
    chosen = list(dict.fromkeys(zip(holdouts["platform"], holdouts["campaign_id"])))[:count]
    csv, first, last = readouts_csv(tested, chosen)
    (tested / "landing" / "lift_test_results_planned.csv").write_text(csv)
    env = {**os.environ, "DAGSTER_HOME": str(tested / "dagster_home")}
    with open(tested / "tests.log", "w") as log:  # what the landing sensor does with a new file: its family, its days
        subprocess.run([sys.executable, __file__, "--land", str(tested), first, last], check=True, env=env, cwd=HERE.parent, stdout=log,
                       stderr=subprocess.STDOUT)
    marker.write_text(json.dumps([list(line) for line in chosen]))
    return tested


def land(folder: Path, first: str, last: str) -> None:
    """Register the landed lift-test export and run its family's assets (and everything downstream) over its days."""
    from ecom_pipeline.cli import materialize_days, prepare_environment, register_landed
    from ecom_pipeline.ingest import Registry
    from ecom_pipeline.settings import load_settings

    settings = load_settings(folder, folder / "landing")
    prepare_environment(settings)
    outcomes, _ = register_landed(Registry(settings))
    print(f"registered {len(outcomes)} file(s)", flush=True)
    if not materialize_days(settings, first, last, families={"lift_tests"}).success:
        raise SystemExit(f"the lift-test run over {first} .. {last} failed")


def readouts_csv(folder: Path, lines: list[tuple[str, str]]) -> tuple[str, str, str]:
    """The holdouts' readouts in the lift-test export's layout: over the 28 days before the last two with spend, the
    true incremental orders (a Poisson draw of the true curve on the campaign's adstocked spend) plus the holdout's noise."""
    truth, by_line, _ = brand_truth(folder)
    performance = lake.read_partitions(folder / "lake", ["channel_performance"], CHANNEL_PERFORMANCE)[0]
    spend = mmm_inputs.spend_matrix(performance, pd.DatetimeIndex(sorted(pd.to_datetime(performance["day"].unique()))))
    spend = spend.loc[: spend.index[spend.sum(axis=1) > 0].max()]
    days = spend.index[-experiments.TEST_DAYS - 2 : -2]
    rng = np.random.default_rng([truth["seed"], 14])
    rows = ["Test name,Platform,Campaign,Start date,End date,Test type,Incremental conversions,Lower bound (90%),Upper bound (90%),Spend"]
    for line in lines:
        campaign = by_line[line]
        google = line[0] == "google"
        measured, se = holdout_readout(campaign, spend[line], rng)
        rows.append(f"{campaign['campaign_name']} holdout,{line[0]},{campaign['campaign_name'] if google else line[1]},{days[0].date()},{days[-1].date()},"
                    f"{'Geo holdout' if google else 'Conversion lift'},{measured:.1f},{measured - experiments.Z90 * se:.1f},"
                    f"{measured + experiments.Z90 * se:.1f},{spend.loc[days, line].sum():.2f}")
    return "\n".join(rows) + "\n", str(days[0].date()), str(spend.index[-1].date())


def holdout_readout(campaign: dict, spend: pd.Series, rng: np.random.Generator) -> tuple[float, float]:
    """(measured incremental orders, standard error) of a holdout on one campaign over the 28 days before the last
    two of `spend`: a Poisson draw of its true curve on its adstocked spend, plus the holdout's measurement noise."""
    curve = campaign["response_curve"]
    adstocked = geometric_adstock(spend.to_numpy(float)[None, :], np.array([campaign["drawn"]["theta"]]))[0]
    caused = float(rng.poisson(hill(adstocked, curve["beta"], curve["K"], curve["kappa"])[-experiments.TEST_DAYS - 2 : -2]).sum())
    se = experiments.holdout_standard_error(caused, experiments.HOLDOUT_SHARE["geo" if campaign["platform"] == "google" else "people"])
    return caused + float(rng.normal(0, se)), se


def brand_truth(folder: Path) -> tuple[dict, dict, float]:
    """(ground truth, its campaigns by (platform, campaign_id), the true mean contribution margin of an ad-driven order)."""
    truth = json.loads((folder / "landing" / "ground_truth.json").read_text())
    orders = pd.read_csv(folder / "landing" / "ground_truth_orders.csv.gz", usecols=["driver", "contribution_margin"])
    margin = float(orders.loc[orders["driver"] == "paid", "contribution_margin"].mean())
    return truth, {(c["platform"], c["campaign_id"]): c for c in truth["campaigns"]}, margin


def score(folder: Path) -> dict:
    """The recommendation now in the lake, scored with the brand's true curves."""
    return score_plan(folder, lake.read_snapshot(folder / "lake", ["budget_recommendations"], BUDGET_RECOMMENDATIONS),
                      lake.read_snapshot(folder / "lake", ["response_curves"], RESPONSE_CURVES))


def score_plan(folder: Path, table: pd.DataFrame, curves_table: pd.DataFrame) -> dict:
    """A budget_recommendations table and its response_curves, scored with the brand's true curves."""
    truth, by_line, margin = brand_truth(folder)
    lines = list(zip(table["platform"], table["campaign_id"]))
    true = [TrueCurve(by_line[line], margin) for line in lines]
    mean28 = table["mean_daily_spend_28d"].to_numpy(float)
    recommended = table["recommended_daily_spend"].to_numpy(float)
    budget = float(recommended.sum())
    upper = (1 + BOUND) * mean28
    guarded = table["guardrail"].fillna("").isin(GUARDRAILS).to_numpy()
    upper = np.where(guarded, np.minimum(upper, table["upper"].to_numpy(float)), upper)
    lower = np.minimum((1 - BOUND) * mean28, upper)
    # holding: the 28-day means scaled to the budget inside the recommendation's own bounds (guardrails, limits)
    hold = _feasible_start(mean28 * budget / mean28.sum(), table["lower"].to_numpy(float), table["upper"].to_numpy(float), budget, "fixed")
    oracle = allocate(true, lower, upper, budget, "fixed", starts=[hold, recommended]).spend

    def profit(plan):
        return float(sum(c.response(x) for c, x in zip(true, plan)) - np.sum(plan))

    gain, best = profit(recommended) - profit(hold), profit(oracle) - profit(hold)
    campaign_curves = curves_table[curves_table["level"] == "campaign"].set_index(["platform", "campaign_id"])
    estimated = [float(campaign_curves.loc[line, "marginal_at_current"]) for line in lines]
    actual = [float(c.marginal(campaign_curves.loc[line, "current_daily_spend"])) for c, line in zip(true, lines)]
    true_change = gain * HORIZON
    low, high = float(table["period_change_p5"].iloc[0]), float(table["period_change_p95"].iloc[0])
    moved = bool(np.abs(recommended - hold).max() > 0.005 * max(budget / len(lines), 1.0))
    best_line = truth["campaigns"][[by_line[line] for line in lines].index(by_line[lines[int(np.argmax([c.marginal(x) for c, x in zip(true, mean28)]))]])]
    return {
        "seed": truth["seed"], "campaigns": len(lines), "guardrails": int(guarded.sum()), "budget_per_day": round(budget, 2),
        "gain_per_day": round(gain, 2), "oracle_gain_per_day": round(best, 2),
        "captured": round(gain / best, 3) if best > max(1.0, 0.001 * budget) else None, "spearman": round(float(spearmanr(estimated, actual)[0]), 3),
        "moved": moved, "p_improve": None if pd.isna(table["p_improve"].iloc[0]) else round(float(table["p_improve"].iloc[0]), 3),
        "interval": [round(low, 1), round(high, 1)], "true_change": round(true_change, 1),
        "covered": bool(low - 1e-6 <= true_change <= high + 1e-6), "best_campaign": best_line["campaign_name"],
        "calibrated": sorted(table.loc[table["calibrated"].fillna(False).astype(bool), "campaign_name"]),
    }


def summarise(rows: list[dict]) -> dict:
    captured = [r["captured"] for r in rows if r["captured"] is not None]
    return {"brands": len(rows), "scored": len(captured), "median_captured": float(np.median(captured)) if captured else None,
            "worst_captured": float(np.min(captured)) if captured else None,
            "median_spearman": float(np.nanmedian([r["spearman"] for r in rows])),
            "coverage": float(np.mean([r["covered"] for r in rows])), "moved": int(sum(r["moved"] for r in rows)),
            "total_gain_per_day": round(float(sum(r["gain_per_day"] for r in rows)), 2),
            "total_oracle_gain_per_day": round(float(sum(r["oracle_gain_per_day"] for r in rows)), 2)}


def markdown(results: dict) -> str:
    """The results as the tables RESULTS.md records: one row per brand, then each source's summary."""
    sources = list(results)
    lines = ["| seed | truly best campaign | guardrails | " + " | ".join(f"{s}: captured, Spearman, P(improve), 90 % interval covers" for s in sources) + " |",
             "| ---: | --- | ---: | " + " | ".join("---" for _ in sources) + " |"]
    by_seed = {s: {r["seed"]: r for r in results[s]["brands"]} for s in sources}
    for seed in sorted(by_seed[sources[0]]):
        first = by_seed[sources[0]][seed]
        cells = []
        for s in sources:
            r = by_seed[s].get(seed)
            cells.append("" if r is None else f"{r['captured']:+.0%}, {r['spearman']:+.2f}, {r['p_improve'] if r['p_improve'] is None else format(r['p_improve'], '.0%')}, "
                         f"{'yes' if r['covered'] else 'no'}" if r["captured"] is not None else f"n/a (oracle gains {r['oracle_gain_per_day']:.2f}/day)")
        lines.append(f"| {seed} | {first['best_campaign']} | {first['guardrails']} | " + " | ".join(cells) + " |")
    lines += ["", "| source | brands | median captured | worst captured | median Spearman | interval covers | true gain / oracle gain (all brands, per day) |",
              "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for s in sources:
        m = results[s]["summary"]
        lines.append(f"| {s} | {m['brands']} | {m['median_captured']:+.0%} | {m['worst_captured']:+.0%} | {m['median_spearman']:+.2f} | {m['coverage']:.0%} | "
                     f"{m['total_gain_per_day']:,.0f} / {m['total_oracle_gain_per_day']:,.0f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--brands", type=int, default=20)
    parser.add_argument("--first-seed", type=int, default=1001)
    parser.add_argument("--seeds", type=int, nargs="*", default=None, help="these seeds only (their rows replace earlier ones in --out)")
    parser.add_argument("--days", type=int, default=180)
    parser.add_argument("--sources", nargs="+", default=["media_mix"], choices=SOURCES)
    parser.add_argument("--lift-tests", type=int, default=3, help="media_mix+tests: how many of the plan's holdouts the brand runs")
    parser.add_argument("--root", type=Path, default=HERE / ".brands")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "budget_truth.json")
    parser.add_argument("--table", action="store_true", help="print the recorded results as Markdown tables and stop")
    parser.add_argument("--land", nargs=3, metavar=("FOLDER", "FIRST", "LAST"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.land:
        land(Path(args.land[0]), args.land[1], args.land[2])
        return 0
    if args.table:
        print(markdown(json.loads(args.out.read_text())))
        return 0
    seeds = args.seeds or list(range(args.first_seed, args.first_seed + args.brands))
    results = json.loads(args.out.read_text()) if args.out.exists() else {}
    for seed in seeds:
        folder = (args.root / f"seed_{seed}").resolve()
        prepared = prepare(folder, seed, args.days)
        for source in args.sources:
            where = run_planned_tests(folder, args.lift_tests) if source == "media_mix+tests" else folder
            seconds = rebudget(where, source.split("+")[0])
            row = {**score(where), "prepare_seconds": prepared, "budget_seconds": round(seconds, 1)}
            rows = [r for r in results.get(source, {}).get("brands", []) if r["seed"] != seed] + [row]
            results[source] = {"summary": summarise(rows), "brands": sorted(rows, key=lambda r: r["seed"])}
            print(source, json.dumps(row), flush=True)
            args.out.parent.mkdir(parents=True, exist_ok=True)
            args.out.write_text(json.dumps(results, indent=1))
    for source, result in results.items():
        print(source, json.dumps(result["summary"]), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
