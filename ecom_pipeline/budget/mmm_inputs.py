"""What the media-mix model reads, from the pipeline's tables: spend per day and campaign, the day's outcome (new
customers' value), and the share of demand the shop could serve that day (stock-outs lose orders whatever is spent)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ecom_pipeline.budget.experiments import match_line
from ecom_pipeline.budget.inventory import primary_locations
from ecom_pipeline.budget.mmm import LiftTest

LINE = ["platform", "campaign_id"]
REPORTING_LAG_DAYS = 3      # the ad exports may end up to this many days before the orders: those days are not zeros
STOCK_OUT_RUN_DAYS = 5       # a variant that sells nothing for 5 days running, where it would expect ≥ 3 units, is out
STOCK_OUT_EXPECTED_UNITS = 3.0


def model_inputs(performance: pd.DataFrame, orders: pd.DataFrame, order_lines: pd.DataFrame, inventory: pd.DataFrame, days: pd.DatetimeIndex,
                 objective: str, ltv_by_channel: dict[str, float], ltv_share: float) -> tuple[pd.DataFrame, pd.Series, pd.DataFrame]:
    """(spend, outcome, controls) over the days within `days` from the first with paid spend to the last reported:
    the ad exports often lag the orders by a day or two, and a day no platform has reported yet is not a day nothing
    was spent (read as one, it would teach the model that the day's orders need no ads)."""
    spend = spend_matrix(performance, days)
    if spend.to_numpy().sum() > 0:
        spent = spend.index[spend.sum(axis=1) > 0]
        spend = spend.loc[(spend.index >= spent.min()) & (spend.index <= last_reported_day(spent, spend.index[-1]))]
    outcome = daily_outcome(orders, spend.index, objective, ltv_by_channel, ltv_share)
    return spend, outcome, in_stock_share(order_lines, inventory, spend.index).to_frame()


def last_reported_day(spent_days: pd.DatetimeIndex, as_of: pd.Timestamp) -> pd.Timestamp:
    """The last day the ad platforms have reported: the last day with spend when it is at most REPORTING_LAG_DAYS
    before `as_of` (a lag); a longer silence is every campaign really off, and its days are zeros."""
    last = spent_days.max()
    return last if as_of - last <= pd.Timedelta(days=REPORTING_LAG_DAYS) else as_of


def value_per_order(orders: pd.DataFrame, days: pd.DatetimeIndex, objective: str, ltv_by_channel: dict[str, float], ltv_share: float) -> pd.Series:
    """Per day, the model's outcome per new customer's first order: what one incremental conversion is worth."""
    first = _first_orders(orders)
    count = pd.to_datetime(first["order_date"]).value_counts().reindex(days, fill_value=0)
    return (daily_outcome(orders, days, objective, ltv_by_channel, ltv_share) / count.where(count > 0)).rename("value_per_order")


def lift_measurements(tests: pd.DataFrame, names: dict[tuple[str, str], str], per_order: pd.Series, days: pd.DatetimeIndex
                      ) -> tuple[list[LiftTest], list[str]]:
    """The landed lift tests in the model's outcome units (incremental conversions × the outcome per first order over
    the test's days), and a sentence for each test that cannot be used (no such campaign, outside the window)."""
    lines = {line: {"campaign_name": name} for line, name in names.items()}
    measured, skipped = [], []
    for test in tests.to_dict("records"):
        label = test["test_name"] if not pd.isna(test["test_name"]) else f"{test['campaign']} {test['test_type']}"
        line = match_line(test, lines)
        window = pd.date_range(test["start_date"], test["end_date"]).intersection(days)
        if line is None:
            skipped.append(f"lift test {label!r}: no paid campaign is called {test['campaign']!r}{' on ' + test['platform'] if not pd.isna(test['platform']) else ''}")
        elif len(window) == 0:
            skipped.append(f"lift test {label!r}: its days are outside the model's window ({days[0].date()} … {days[-1].date()})")
        else:
            scale = float(per_order.reindex(window).mean())
            measured.append(LiftTest(line, window[0], window[-1], float(test["incremental_conversions"]) * scale,
                                     float(test["standard_error"]) * scale, str(label)))
    return measured, skipped


def spend_matrix(performance: pd.DataFrame, days: pd.DatetimeIndex) -> pd.DataFrame:
    """Day × (platform, campaign_id) spend in the reporting currency, from one attribution model's rows of
    channel_performance (spend is the same under every model)."""
    paid = performance[performance["platform"].notna() & performance["campaign_id"].notna()]
    if "default_model" in paid and paid["default_model"].any():
        paid = paid[paid["default_model"].fillna(False).astype(bool)]
    else:
        paid = paid[paid["model"] == paid["model"].iloc[0]] if len(paid) else paid
    table = paid.pivot_table(index="day", columns=LINE, values="spend", aggfunc="sum").reindex(days).fillna(0.0)
    table.index = days
    return table.loc[:, table.sum() > 0]


def daily_outcome(orders: pd.DataFrame, days: pd.DatetimeIndex, objective: str, ltv_by_channel: dict[str, float], ltv_share: float) -> pd.Series:
    """Per day, the value of new customers' first orders: net sales (revenue), contribution margin (profit), or
    margin plus ρ × the predicted LTV margin of a new customer from the order's acquisition channel (profit_ltv)."""
    first = _first_orders(orders)
    if objective == "revenue":
        value = first["net_sales"]
    else:
        value = _settled_margin(first)
        if objective == "profit_ltv":
            value = value + ltv_share * first["acquisition_channel"].map(ltv_by_channel).fillna(0.0)
    day = pd.to_datetime(first["order_date"])
    return value.fillna(0.0).groupby(day).sum().reindex(days, fill_value=0.0).rename("outcome")


def _first_orders(orders: pd.DataFrame) -> pd.DataFrame:
    return orders[orders["is_first_order"].fillna(False).astype(bool) & ~orders["cancelled"].fillna(False).astype(bool)]


def _settled_margin(orders: pd.DataFrame) -> pd.Series:
    """Contribution margin with the shipping label of an order not shipped yet counted at the window's mean label
    cost: the latest days' labels are not printed yet, and their margin would otherwise look too good."""
    shipped = orders["packages"].fillna(0) > 0
    typical = float(orders.loc[shipped, "label_cost"].mean()) if shipped.any() else 0.0
    return orders["contribution_margin"] - np.where(shipped, 0.0, typical - orders["label_cost"].fillna(0.0))


def in_stock_share(order_lines: pd.DataFrame, inventory: pd.DataFrame, days: pd.DatetimeIndex) -> pd.Series:
    """Per day, the share of unit demand whose variant was in stock. A variant is out on a day when the inventory
    snapshot of the location that ships online orders says so (available ≤ 0), or when it usually sells well and
    sold nothing for 5 days running (days without a snapshot). Variants are weighted by their units over the window."""
    lines = order_lines.dropna(subset=["variant_key"])
    units = lines.assign(day=pd.to_datetime(lines["order_date"])).pivot_table(index="day", columns="variant_key", values="quantity",
                                                                               aggfunc="sum").reindex(days).fillna(0.0)
    if units.empty or units.to_numpy().sum() <= 0:
        return pd.Series(1.0, index=days, name="in_stock")
    rate = units.mean()
    run = units.rolling(STOCK_OUT_RUN_DAYS, center=True, min_periods=1).sum()
    out = (run <= 0) & (rate * STOCK_OUT_RUN_DAYS >= STOCK_OUT_EXPECTED_UNITS)
    locations = primary_locations(inventory)
    stock = inventory[inventory["location"].isin(locations)] if locations else inventory
    if len(stock):
        snap = stock.dropna(subset=["variant_key"]).assign(day=lambda f: pd.to_datetime(f["snapshot_date"]))
        snap = snap.pivot_table(index="day", columns="variant_key", values="available", aggfunc="sum")
        snap = snap.reindex(index=days, columns=units.columns)
        out = out | (snap <= 0).fillna(False)
    weight = units.sum().to_numpy() / units.to_numpy().sum()
    return pd.Series(1.0 - out.to_numpy(dtype=float) @ weight, index=days, name="in_stock")
