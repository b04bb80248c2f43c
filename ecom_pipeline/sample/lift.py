"""Lift tests the simulated brand runs on the campaigns whose spend moved least (observation alone cannot measure
them), over the 28 days before the export's last two, with the readout the platform would give: a geo holdout
(half the regions dark) for a Google campaign, a conversion-lift study (10 % of people held out) for the others."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ecom_pipeline.budget.experiments import HOLDOUT_SHARE, TEST_DAYS, Z90, holdout_standard_error


def run_lift_tests(brand, count: int, rng: np.random.Generator) -> list[dict]:
    """One readout per tested campaign: the incremental orders its spend truly caused over the test days, measured
    with the noise its holdout has (the test cell's conversions and the scaled-up control's), and that noise's 90 %
    interval."""
    if count <= 0 or brand.days < TEST_DAYS + 14:
        return []
    spend = brand.ad_daily.groupby(["campaign", "day"])["spend"].sum().unstack().to_numpy()
    last = brand.days - 3
    first = last - TEST_DAYS + 1
    variation = spend.std(axis=1) / np.maximum(spend.mean(axis=1), 1e-9)
    paid = brand.orders[(brand.orders["kind"] == "paid") & brand.orders["day"].between(first, last)]
    readouts = []
    for c in np.argsort(variation)[:count]:
        campaign = brand.campaigns.iloc[int(c)]
        caused = int((paid["driver"] == c).sum())
        google = campaign["platform"] == "google"
        share = HOLDOUT_SHARE["geo" if google else "people"]
        se = holdout_standard_error(caused, share)
        measured = caused + float(rng.normal(0, se))
        readouts.append({
            "Test name": f"{campaign['name']} holdout", "Platform": campaign["platform"],
            "Campaign": campaign["name"] if google else campaign["campaign_id"],
            "Start date": (pd.Timestamp(brand.start) + pd.Timedelta(days=first)).date().isoformat(),
            "End date": (pd.Timestamp(brand.start) + pd.Timedelta(days=last)).date().isoformat(),
            "Test type": "Geo holdout" if google else "Conversion lift",
            "Incremental conversions": round(measured, 1), "Lower bound (90%)": round(measured - Z90 * se, 1),
            "Upper bound (90%)": round(measured + Z90 * se, 1), "Spend": round(float(spend[c, first : last + 1].sum()), 2),
            "_truth": {"platform": campaign["platform"], "campaign_id": campaign["campaign_id"], "caused_orders": caused,
                       "standard_error": round(se, 2)},
        })
    return readouts
