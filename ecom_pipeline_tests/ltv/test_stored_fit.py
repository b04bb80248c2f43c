"""The morning run scores with the LTV fit of up to `refit_days` ago; older, missing or unreadable, it fits again."""

import json
from pathlib import Path

import pandas as pd
import pytest

from ecom_pipeline.defs.resources import PipelineSettings
from ecom_pipeline.defs.value_assets import _ltv_fit
from ecom_pipeline.ltv.models import fit_bgnbd

CDNOW = Path(__file__).parents[1] / "fixtures" / "cdnow" / "cdnow_summary.csv"


def test_a_fit_is_reused_for_a_week_then_made_again(settings):
    pipeline = PipelineSettings.from_settings(settings)
    summary = pd.read_csv(CDNOW)
    first = _ltv_fit(pipeline, summary, "1998-06-30", 7)
    assert first.fitted_as_of == "1998-06-30" and first.bgnbd.r == pytest.approx(0.243, abs=5e-4)  # CDNOW's published fit
    changed = summary.assign(frequency=0)  # whatever the data now says, a fresh stored fit is what the run scores with
    assert _ltv_fit(pipeline, changed, "1998-07-06", 7) == first
    stale = _ltv_fit(pipeline, summary.assign(frequency=summary["frequency"] // 2), "1998-07-07", 7)
    assert stale.fitted_as_of == "1998-07-07" and stale.bgnbd == fit_bgnbd(summary["frequency"] // 2, summary["recency"], summary["T"])
    assert _ltv_fit(pipeline, summary, "1998-07-08", 1).fitted_as_of == "1998-07-08"  # refit_days=1: every run fits
    assert _ltv_fit(pipeline, summary, "1998-07-01", 7).fitted_as_of == "1998-07-01"  # a backfill before the fit: not reused
    path = settings.lake_dir / "customer_ltv" / "snapshot" / "fit.json"
    assert json.loads(path.read_text())["fitted_as_of"] == "1998-07-01"
    path.write_text("{not json")
    assert _ltv_fit(pipeline, summary, "1998-07-02", 7).fitted_as_of == "1998-07-02"
