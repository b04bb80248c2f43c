"""The unified ad table in the reporting currency and the daily summary a growth team reads first."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ecom_pipeline.schemas import AD_PERFORMANCE_UNIFIED, DAILY_SUMMARY, conform

PLATFORMS = ("meta", "google", "tiktok")


def unify_ads(frames: list[pd.DataFrame], rates: dict[str, float], reporting_currency: str, dated: pd.DataFrame | None = None) -> pd.DataFrame:
    """All platforms in one table; spend converted with the landed FX table's rate of the day (the nearest dated
    rate), else the configured fixed rate. Rows with neither never got here: validation quarantines them."""
    frame = pd.concat([f for f in frames if len(f)], ignore_index=True) if any(len(f) for f in frames) else AD_PERFORMANCE_UNIFIED.empty()
    rate = frame["currency"].map(rates).astype(float)
    if dated is not None and len(dated) and len(frame):
        table = dated.dropna(subset=["rate"]).sort_values("date")[["date", "currency", "rate"]]
        keyed = frame[["date_day", "currency"]].reset_index().sort_values("date_day")
        nearest = pd.merge_asof(keyed, table, left_on="date_day", right_on="date", by="currency", direction="nearest").set_index("index")["rate"]
        rate = nearest.reindex(frame.index).fillna(rate).where(frame["currency"] != reporting_currency, 1.0)
    frame = frame.assign(fx_rate=rate, spend_reporting=(frame["spend"] * rate).round(2), reporting_currency=reporting_currency)
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
