"""The unified ad table in the reporting currency and the daily summary a growth team reads first."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ecom_pipeline.profit.fx import day_rates
from ecom_pipeline.schemas import AD_PERFORMANCE_UNIFIED, DAILY_SUMMARY, conform

PLATFORMS = ("meta", "google", "tiktok")


def unify_ads(frames: list[pd.DataFrame], rates: dict[str, float], reporting_currency: str, dated: pd.DataFrame | None = None) -> pd.DataFrame:
    """All platforms in one table; spend converted with the landed FX table's rate of the day (the nearest dated
    rate), else the configured fixed rate; without either, spend_reporting stays empty and the row is fx_missing."""
    frame = pd.concat([f for f in frames if len(f)], ignore_index=True) if any(len(f) for f in frames) else AD_PERFORMANCE_UNIFIED.empty()
    rate = day_rates(frame["currency"], frame["date_day"], rates, reporting_currency, dated)
    frame = frame.assign(fx_rate=rate, fx_missing=rate.isna(), spend_reporting=(frame["spend"] * rate).round(2), reporting_currency=reporting_currency)
    return conform(frame, AD_PERFORMANCE_UNIFIED)


def daily_summary(ads: pd.DataFrame, orders: pd.DataFrame, days: list[str]) -> pd.DataFrame:
    index = pd.DatetimeIndex(pd.to_datetime(days), name="day")
    spend = ads.pivot_table(index="date_day", columns="platform", values="spend_reporting", aggfunc="sum").reindex(index).fillna(0.0)
    live = orders[~orders["cancelled"].astype(bool)]
    by_day = live.groupby("order_date").agg(orders=("order_id", "size"), new_customers=("is_first_order", "sum"),
                                            net_sales=("net_sales", "sum"), contribution_margin=("contribution_margin", "sum")).reindex(index)
    out = pd.DataFrame(index=index)
    for platform in PLATFORMS:
        out[f"spend_{platform}"] = spend[platform] if platform in spend.columns else 0.0
    out["spend"] = out[[f"spend_{p}" for p in PLATFORMS]].sum(axis=1).round(2)
    out = out.join(by_day.fillna({"orders": 0, "new_customers": 0, "net_sales": 0.0, "contribution_margin": 0.0}))
    out["mer"] = np.where(out["spend"] > 0, out["net_sales"] / out["spend"].where(out["spend"] > 0), np.nan)
    out["blended_cac"] = np.where(out["new_customers"] > 0, out["spend"] / out["new_customers"].where(out["new_customers"] > 0), np.nan)
    return conform(out.reset_index(), DAILY_SUMMARY)
