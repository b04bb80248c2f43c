"""Cohorts by acquisition channel and month: realised LTV at fixed ages in contribution margin, beside what it cost
to acquire them (new-customer CAC), LTV:CAC and the day the cohort paid its acquisition back."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ecom_pipeline.ltv.customers import live_orders

HORIZONS = (30, 60, 90, 180, 365)


def cohort_curves(orders: pd.DataFrame, as_of: pd.Timestamp, max_age: int = 365) -> pd.DataFrame:
    """Cumulative contribution margin per acquired customer by days since their first order (0 = the first order's
    day), per acquisition channel and cohort month — only up to the age its youngest member has reached."""
    live = live_orders(orders, as_of)
    first = live.groupby("customer_key")["order_date"].transform("min")
    first_order = live.sort_values("created_timestamp").drop_duplicates("customer_key").set_index("customer_key")
    live = live.assign(age=(live["order_date"] - first).dt.days, cohort=first.dt.to_period("M").astype(str),
                       channel=live["customer_key"].map(first_order["acquisition_channel"]).fillna("(unknown)"))
    members = live.assign(first=first).drop_duplicates("customer_key").groupby(["channel", "cohort"])
    customers, youngest = members.size().rename("customers"), members["first"].max()
    margin = live[live["age"] <= max_age].groupby(["channel", "cohort", "age"])["contribution_margin"].sum()
    rows = []
    for (channel, cohort), size in customers.items():
        observable = min(max_age, int((as_of - youngest[(channel, cohort)]).days))
        if observable < 0:
            continue
        ages = np.arange(observable + 1)
        daily = margin.get((channel, cohort), pd.Series(dtype=float)).reindex(ages, fill_value=0.0)
        rows.append(pd.DataFrame({"channel": channel, "cohort": cohort, "customers": size, "age": ages,
                                  "ltv": daily.cumsum().to_numpy() / size}))
    columns = ["channel", "cohort", "customers", "age", "ltv"]
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=columns)


def cohort_table(curves: pd.DataFrame, orders: pd.DataFrame, spend: pd.DataFrame, as_of: pd.Timestamp,
                 horizons: tuple[int, ...] = HORIZONS) -> pd.DataFrame:
    """Per channel × cohort month: customers, LTV at each horizon (NaN until every member is that old), spend,
    new-customer CAC, LTV:CAC at the oldest horizon reached, CAC payback day and first-order payback.

    `spend` has channel, cohort (YYYY-MM) and spend."""
    live = live_orders(orders, as_of)
    first_orders = live.sort_values("created_timestamp").drop_duplicates("customer_key")
    first_margin = first_orders.assign(cohort=first_orders["order_date"].dt.to_period("M").astype(str),
                                       channel=first_orders["acquisition_channel"].fillna("(unknown)")).groupby(["channel", "cohort"])["contribution_margin"].mean()
    rows = []
    for (channel, cohort), curve in curves.groupby(["channel", "cohort"], sort=True):
        ltv = curve.set_index("age")["ltv"]
        row = {"channel": channel, "cohort": cohort, "customers": int(curve["customers"].iloc[0]), "observed_days": int(ltv.index.max())}
        for h in horizons:
            row[f"ltv_{h}"] = float(ltv.loc[h]) if h in ltv.index else np.nan
        row["first_order_margin"] = float(first_margin.get((channel, cohort), np.nan))
        cost = spend[(spend["channel"] == channel) & (spend["cohort"] == cohort)]["spend"].sum()
        row["spend"] = float(cost)
        row["cac"] = cost / row["customers"] if cost > 0 else np.nan
        reached = [h for h in horizons if not np.isnan(row[f"ltv_{h}"])]
        row["ltv_cac"] = row[f"ltv_{reached[-1]}"] / row["cac"] if reached and row["cac"] > 0 else np.nan
        paid = ltv[ltv >= row["cac"]].index if row["cac"] > 0 else []
        row["cac_payback_day"] = float(paid[0]) if len(paid) else np.nan
        row["first_order_payback"] = row["first_order_margin"] / row["cac"] if row["cac"] > 0 else np.nan
        rows.append(row)
    return pd.DataFrame(rows)


def spend_by_channel_month(ads: pd.DataFrame, platform_channels: dict[str, str]) -> pd.DataFrame:
    """Ad spend (reporting currency) per acquisition channel and month."""
    frame = ads.assign(channel=ads["platform"].map(platform_channels).fillna("Paid Other"), cohort=ads["date_day"].dt.to_period("M").astype(str))
    return frame.groupby(["channel", "cohort"], as_index=False)["spend_reporting"].sum().rename(columns={"spend_reporting": "spend"})


def with_predictions(table: pd.DataFrame, customers: pd.DataFrame) -> pd.DataFrame:
    """Add the mean predicted 12-month margin per customer still to come, per channel and cohort."""
    if table.empty:
        return table.assign(predicted_clv_margin=pd.Series(dtype=float))
    keyed = customers.assign(channel=customers["acquisition_channel"].fillna("(unknown)"),
                             cohort=customers["first_order_day"].dt.to_period("M").astype(str))
    mean = keyed.groupby(["channel", "cohort"])["predicted_clv_margin"].mean().rename("predicted_clv_margin")
    return table.merge(mean.reset_index(), on=["channel", "cohort"], how="left")
