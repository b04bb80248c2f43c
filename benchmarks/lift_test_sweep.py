"""How many of the experiment plan's tests the budget advice needs: the benchmark brands of `budget_truth.py`
(prepared there), with 0, 3, 5 and 8 holdouts landed.

In process and without Dagster, for speed: the inputs are read from each prepared lake as the `media_mix` and
`budget` assets read them, the model is fitted, `experiments.plan` ranks the holdouts, the first N are run (readouts
as in `budget_truth.readouts_csv`: the true curve's incremental orders on the campaign's real spend over the 28 days
before the last two, a Poisson draw, plus the holdout's noise), the model is refitted with them and the budget scored
with the true curves, as `budget_truth.py` scores it.

    .venv/bin/python benchmarks/lift_test_sweep.py --counts 0 3 5 8
    .venv/bin/python benchmarks/lift_test_sweep.py --ceiling

`--ceiling` asks what observation alone can tell: each brand's real spend, an outcome made of a weekday baseline, the
true curves (× the true margin) and Gaussian noise at the residual sd the model finds on the brand, so the model's
form is exactly right; Spearman between the fitted and true marginal returns there bounds what any fit of this data
reaches without a test.
"""

from __future__ import annotations

import argparse
import json
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

sys.path.insert(0, str(Path(__file__).resolve().parent))
import budget_truth as bt  # noqa: E402

from ecom_pipeline import lake  # noqa: E402
from ecom_pipeline.budget import experiments, mmm, mmm_inputs  # noqa: E402
from ecom_pipeline.budget.inventory import campaign_cover, campaign_products, product_cover, product_of, with_variants  # noqa: E402
from ecom_pipeline.budget.recommend import outcome_panel, recommend  # noqa: E402
from ecom_pipeline.defs.value_assets import BudgetSettings, _curve_rows  # noqa: E402
from ecom_pipeline.sample.brand import geometric_adstock  # noqa: E402
from ecom_pipeline.schemas import (  # noqa: E402
    ATTRIBUTION_CREDITS, CHANNEL_PERFORMANCE, CUSTOMER_LTV, INVENTORY_LEVELS, ORDER_LINES, ORDERS_ENRICHED, PRODUCTS,
)


def inputs(folder: Path) -> dict:
    """What the media_mix and budget assets read for the lake's latest day."""
    where = folder / "lake"
    read = lambda name, spec, days=None: lake.read_partitions(where, [name], spec, days)[0]  # noqa: E731
    config = BudgetSettings()
    settings = config.core()
    as_of = pd.Timestamp(sorted(p.stem for p in (where / "orders_enriched").glob("*.parquet"))[-1])
    days = pd.date_range(as_of - pd.Timedelta(days=settings.history_days - 1), as_of)
    names = [d.date().isoformat() for d in days]
    performance, catalog, orders = read("channel_performance", CHANNEL_PERFORMANCE, names), read("raw_shopify_products", PRODUCTS), read("orders_enriched", ORDERS_ENRICHED, names)
    customers = lake.read_snapshot(where, ["customer_ltv"], CUSTOMER_LTV)
    ltv = customers[customers["first_order_day"] > as_of - pd.Timedelta(days=90)].groupby("acquisition_channel")["predicted_clv_margin"].mean().dropna().to_dict()
    spend, outcome, controls = mmm_inputs.model_inputs(performance, orders, with_variants(read("raw_shopify_order_lines", ORDER_LINES, names), catalog),
                                                       read("raw_shopify_inventory", INVENTORY_LEVELS, names), days, settings.objective, ltv, settings.ltv_share)
    paid = performance.dropna(subset=["campaign_id"]).drop_duplicates(["platform", "campaign_id"], keep="last")
    lines28 = with_variants(read("raw_shopify_order_lines", ORDER_LINES, names[-28:]), catalog)
    cover = campaign_cover(campaign_products(read("attribution_credits", ATTRIBUTION_CREDITS, names[-28:]), lines28, product_of(catalog), config.attribution_model),
                           product_cover(read("raw_shopify_inventory", INVENTORY_LEVELS), lines28, product_of(catalog), as_of))
    return {"spend": spend, "outcome": outcome, "controls": controls, "settings": settings, "as_of": as_of, "cover": cover,
            "names": paid.set_index(["platform", "campaign_id"])["campaign_name"].to_dict(),
            "per_order": mmm_inputs.value_per_order(orders, spend.index, settings.objective, ltv, settings.ltv_share),
            "panel": outcome_panel(performance, config.attribution_model, settings.objective, ltv, settings.ltv_share)}


def holdouts(folder: Path, data: dict, lines: list, seed: int) -> list[mmm.LiftTest]:
    """The readouts of holdouts on `lines` (budget_truth.holdout_readout), in the model's outcome units."""
    _, by_line, _ = bt.brand_truth(folder)
    spend, rng = data["spend"], np.random.default_rng([seed, 14])
    days = spend.index[-experiments.TEST_DAYS - 2 : -2]
    value = float(data["per_order"].reindex(days).mean())
    tests = []
    for line in lines:
        measured, se = bt.holdout_readout(by_line[line], spend[line], rng)
        tests.append(mmm.LiftTest(line, days[0], days[-1], measured * value, se * value, f"{by_line[line]['campaign_name']} holdout"))
    return tests


def advise(data: dict, tests: list[mmm.LiftTest]):
    model = mmm.fit(data["spend"], data["outcome"], lift_tests=tests, controls=data["controls"], seed=data["settings"].seed, holdout=False)
    draws = mmm.draws_table(model, data["names"])
    table, curves, summary = recommend(data["panel"], data["cover"], data["settings"], data["as_of"], mmm.curves_from_draws(draws))
    return model, draws, table, curves, summary


def brand(job: tuple[Path, list[int]]) -> list[dict]:
    folder, counts = job
    data = inputs(folder)
    _, draws, table, curves, summary = advise(data, [])
    current = dict(zip(zip(table["platform"], table["campaign_id"]), table["current_daily_spend"]))
    plan = experiments.plan(draws, current, float(summary.get("lambda") or 1.0), float(draws["residual_sd"].iloc[0]), float(data["per_order"].iloc[-28:].mean()))
    ranked = list(dict.fromkeys(zip(*(plan.loc[~plan["design"].str.startswith("alternating"), c] for c in ("platform", "campaign_id")))))
    seed = bt.brand_truth(folder)[0]["seed"]
    out = []
    for count in counts:
        table, curves, summary = (table, curves, summary) if count == 0 else advise(data, holdouts(folder, data, ranked[:count], seed))[2:]
        scored = bt.score_plan(folder, table.assign(period_change_p5=summary["change_p5"], period_change_p95=summary["change_p95"], p_improve=summary["p_improve"]),
                               _curve_rows(table, curves, data["panel"], data["settings"], data["as_of"]))
        out.append({"tests": count, **{k: scored[k] for k in ("seed", "captured", "spearman", "gain_per_day", "oracle_gain_per_day", "covered")}})
    return out


def ceiling(folder: Path) -> dict:
    """Spearman of the model fitted to an outcome of exactly its own form: the true curves on the brand's real spend."""
    data = inputs(folder)
    truth, by_line, margin = bt.brand_truth(folder)
    spend = data["spend"]
    sigma = mmm.fit(spend, data["outcome"], controls=data["controls"], holdout=False).sigma
    lines = list(spend.columns)
    adstocked = geometric_adstock(spend.to_numpy(float).T, np.array([by_line[line]["drawn"]["theta"] for line in lines]))
    ads = sum(margin * bt.hill(adstocked[c], *(by_line[line]["response_curve"][k] for k in ("beta", "K", "kappa"))) for c, line in enumerate(lines))
    weekday = np.array([1.0, 0.98, 0.97, 0.98, 1.03, 1.08, 1.06])[spend.index.dayofweek]
    baseline = float(data["outcome"].mean() - ads.mean())
    outcome = pd.Series(baseline * weekday + ads + np.random.default_rng(truth["seed"]).normal(0, sigma, len(spend)), index=spend.index)
    model = mmm.fit(spend, outcome, seed=0, holdout=False)
    current = spend.iloc[-28:].mean().to_numpy()
    draws = [model.marginal(c, np.array(current[c])) for c in range(len(lines))]
    estimated = [float(np.median(d)) for d in draws]
    actual = [float(bt.TrueCurve(by_line[line], margin).marginal(current[c])) for c, line in enumerate(lines)]
    inside = [bool(np.percentile(d, 5) <= a <= np.percentile(d, 95)) for d, a in zip(draws, actual)]
    return {"seed": truth["seed"], "spearman": round(float(spearmanr(estimated, actual)[0]), 3), "residual_sd": round(sigma, 1),
            "marginals_inside_90": round(float(np.mean(inside)), 3)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counts", type=int, nargs="+", default=[0, 3, 5, 8])
    parser.add_argument("--seeds", type=int, nargs="+", default=list(range(1001, 1021)))
    parser.add_argument("--root", type=Path, default=bt.HERE / ".brands")
    parser.add_argument("--out", type=Path, default=None, help="default results/lift_test_sweep.json (results/mmm_ceiling.json with --ceiling)")
    parser.add_argument("--ceiling", action="store_true", help="fit the model to outcomes of its own form instead (see above)")
    args = parser.parse_args(argv)
    folders = [(args.root / f"seed_{seed}").resolve() for seed in args.seeds]
    missing = [str(f) for f in folders if not (f / "prepared").exists()]
    if missing:
        raise SystemExit(f"prepare these brands first (benchmarks/budget_truth.py --seeds …): {', '.join(missing)}")
    if args.ceiling:
        with ProcessPoolExecutor(2) as pool:
            rows = list(pool.map(ceiling, folders))
        result = {"seeds": args.seeds, "median_spearman": float(np.median([r["spearman"] for r in rows])),
                  "marginals_inside_90": float(np.mean([r["marginals_inside_90"] for r in rows])), "brands": rows}
        print(json.dumps({k: v for k, v in result.items() if k != "brands"}))
        (args.out or bt.HERE / "results" / "mmm_ceiling.json").write_text(json.dumps(result, indent=1))
        return 0
    with ProcessPoolExecutor(2) as pool:
        rows = [row for rows in pool.map(brand, [(f, args.counts) for f in folders]) for row in rows]
    summary = []
    for count in args.counts:
        mine = [r for r in rows if r["tests"] == count]
        captured = [r["captured"] for r in mine if r["captured"] is not None]
        summary.append({"tests": count, "brands": len(mine), "median_captured": float(np.median(captured)), "worst_captured": float(np.min(captured)),
                        "median_spearman": float(np.median([r["spearman"] for r in mine])), "coverage": float(np.mean([r["covered"] for r in mine])),
                        "gain_per_day": round(sum(r["gain_per_day"] for r in mine), 1), "oracle_gain_per_day": round(sum(r["oracle_gain_per_day"] for r in mine), 1)})
        print(json.dumps(summary[-1]), flush=True)
    (args.out or bt.HERE / "results" / "lift_test_sweep.json").write_text(json.dumps({"seeds": args.seeds, "summary": summary, "brands": rows}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
