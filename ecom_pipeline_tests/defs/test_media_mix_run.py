"""The media-mix model in a real run: a 56-day brand with a random cast and one lift test, through `ecom-pipeline run`
— the test lands as a file, calibrates its campaign, gets a readout, and the budget and the plan say so."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from ecom_pipeline import lake
from ecom_pipeline.sample import generate
from ecom_pipeline.schemas import BUDGET_RECOMMENDATIONS, EXPERIMENT_PLAN, EXPERIMENT_READOUTS, MEDIA_MIX_FIT, MEDIA_MIX_MODEL

DAYS = 56


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    root = tmp_path_factory.mktemp("media_mix_run")
    truth = generate(root / "landing", days=DAYS, seed=31, start=date(2025, 6, 1), progress=False, cast="random", lift_tests=1)
    env = {key: value for key, value in os.environ.items() if not key.startswith(("ECOM_PIPELINE_", "DAGSTER_"))}
    done = subprocess.run([sys.executable, "-m", "ecom_pipeline.cli", "run", "--data-dir", str(root / "data"), "--landing", str(root / "landing"),
                           "--days-per-run", str(DAYS + 5)], capture_output=True, text=True, env=env, timeout=900)
    return root, truth, done


def test_a_landed_lift_test_calibrates_its_campaign_and_is_read_out(run):
    root, truth, done = run
    assert done.returncode == 0, done.stderr[-3000:]
    lake_dir = root / "data" / "lake"
    tested = truth["lift_tests"][0]
    line = (tested["platform"], tested["campaign_id"])
    draws = lake.read_snapshot(lake_dir, ["media_mix_model"], MEDIA_MIX_MODEL)
    flags = draws.drop_duplicates(["platform", "campaign_id"]).set_index(["platform", "campaign_id"])["calibrated"]
    assert flags[line] and flags.sum() == 1 and len(flags) == len(truth["campaigns"])
    assert draws.groupby(["platform", "campaign_id"]).size().eq(400).all()
    fit = lake.read_snapshot(lake_dir, ["media_mix_fit"], MEDIA_MIX_FIT)
    assert fit["holdout_forecast"].notna().sum() == 14 * len(truth["campaigns"])

    readout = lake.read_snapshot(lake_dir, ["experiment_readouts"], EXPERIMENT_READOUTS).iloc[0]
    assert (readout["platform"], readout["campaign_id"], bool(readout["matched"])) == (*line, True)
    assert readout["start_date"].date().isoformat() == tested["start"] and readout["end_date"].date().isoformat() == tested["end"]
    assert readout["standard_error"] == pytest.approx(tested["standard_error"], rel=1e-3)
    # the platform claims more than the test measured: its over-claim is its conversions over the incremental ones
    assert readout["platform_over_claim"] == pytest.approx(readout["platform_conversions"] / readout["incremental_conversions"])

    budget = lake.read_snapshot(lake_dir, ["budget_recommendations"], BUDGET_RECOMMENDATIONS).set_index(["platform", "campaign_id"])
    assert budget.loc[line, "calibrated"] and "calibrated by a lift test" in budget.loc[line, "reason"]
    assert (budget["curve_source"] == "media_mix").all()
    assert budget["recommended_daily_spend"].sum() == pytest.approx(budget["hold_daily_spend"].sum())
    plan = lake.read_snapshot(lake_dir, ["experiment_plan"], EXPERIMENT_PLAN)
    assert len(plan) == 2 * len(truth["campaigns"]) and (plan["width_after"] <= plan["width_now"] + 1e-9).all()
    assert plan["run_first"].sum() <= 1
    report = (root / "data" / "reports" / "budget_report.html").read_text()
    lift_section = report[report.index("<h3>Lift tests</h3>"):]
    assert "What the curves rest on" in report and readout["campaign_name"] in lift_section[:4000]
    assert "top budget moves" in done.stdout and "media-mix model" in done.stdout
