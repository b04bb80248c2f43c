"""Per-customer purchase summaries (the `lifetimes` conventions, in days) and their predicted value."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ecom_pipeline.ltv.models import BGNBD, GammaGamma, discounted_value

DAYS_PER_YEAR = 365


def live_orders(orders: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Orders that count for value: not cancelled, with a customer, on or before `as_of`."""
    keep = ~orders["cancelled"].fillna(False).astype(bool) & orders["customer_key"].notna() & (orders["order_date"] <= as_of)
    return orders[keep]


def rfm_summary(orders: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """One row per customer: frequency (repeat purchase days), recency and T in days, monetary_value (mean net sales
    of the repeat purchase days), first order day, acquisition channel, first-order and total contribution margin."""
    live = live_orders(orders, as_of)
    daily = live.groupby(["customer_key", "order_date"], as_index=False).agg(
        net_sales=("net_sales", "sum"), margin=("contribution_margin", "sum"))
    first = daily.groupby("customer_key")["order_date"].transform("min")
    repeat = daily["order_date"] > first
    channel = live.sort_values("created_timestamp").drop_duplicates("customer_key").set_index("customer_key")["acquisition_channel"]
    summary = daily.assign(first=first, repeat_sales=daily["net_sales"].where(repeat), first_margin=daily["margin"].where(~repeat)).groupby("customer_key").agg(
        first_order_day=("first", "first"), last_day=("order_date", "max"), purchase_days=("order_date", "size"),
        monetary_value=("repeat_sales", "mean"), first_order_margin=("first_margin", "sum"), margin_to_date=("margin", "sum"))
    summary["frequency"] = summary.pop("purchase_days") - 1
    summary["recency"] = (summary.pop("last_day") - summary["first_order_day"]).dt.days.astype(float)
    summary["T"] = (as_of - summary["first_order_day"]).dt.days.astype(float)
    summary["monetary_value"] = summary["monetary_value"].fillna(0.0)
    summary["acquisition_channel"] = channel.reindex(summary.index).to_numpy()
    return summary.reset_index()


def margin_ratio(orders: pd.DataFrame) -> float:
    """Contribution margin per unit of net sales over the live orders: turns predicted spend into predicted margin."""
    sales = orders["net_sales"].sum()
    return float(orders["contribution_margin"].sum() / sales) if sales > 0 else 0.0


def predict(summary: pd.DataFrame, bgnbd: BGNBD, gamma_gamma: GammaGamma, ratio: float, months: int = 12,
            monthly_discount: float = 0.01) -> pd.DataFrame:
    """P(alive), expected purchases over the next 12 months, and the discounted predicted value in net sales and margin."""
    x, t_x, T = summary["frequency"].to_numpy(float), summary["recency"].to_numpy(float), summary["T"].to_numpy(float)
    spend = gamma_gamma.expected_spend(x, summary["monetary_value"].to_numpy(float))
    revenue = discounted_value(bgnbd, spend, x, t_x, T, months=months, monthly_discount=monthly_discount)
    return summary.assign(
        p_alive=bgnbd.p_alive(x, t_x, T),
        expected_purchases_12m=bgnbd.expected_purchases(DAYS_PER_YEAR, x, t_x, T),
        predicted_clv_revenue=np.round(revenue, 2),
        predicted_clv_margin=np.round(revenue * ratio, 2),
    )
