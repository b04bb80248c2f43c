"""Money into the reporting (shop) currency: the landed FX table's rate of the day, else a configured fixed rate.

An amount whose currency has neither is kept in its own currency and flagged (`fx_missing`), never dropped and
never silently treated as the shop's; the message says how to give the rate.
"""

from __future__ import annotations

import pandas as pd

ORDER_MONEY = ("subtotal", "gross_sales", "discounts", "shipping_charged", "total_tax", "total_price", "tips", "duties", "refunded_amount",
               "net_sales")
LINE_MONEY = ("price", "discount")


def day_rates(currency: pd.Series, days: pd.Series, fixed: dict[str, float], reporting: str, dated: pd.DataFrame | None = None) -> pd.Series:
    """Shop-currency units per unit of each row's currency on its day (NaN where no rate is known)."""
    rate = currency.map(fixed).astype(float)
    if dated is not None and len(dated) and len(currency):
        table = dated.dropna(subset=["rate"]).sort_values("date")[["date", "currency", "rate"]].astype({"currency": object})
        keyed = pd.DataFrame({"day": pd.to_datetime(days).to_numpy(), "currency": currency.astype(object).to_numpy()}, index=currency.index)
        keyed = keyed.reset_index().dropna(subset=["day"]).sort_values("day")
        nearest = pd.merge_asof(keyed, table, left_on="day", right_on="date", by="currency", direction="nearest").set_index("index")["rate"]
        rate = nearest.reindex(currency.index).fillna(rate)
    return rate.where(currency != reporting, 1.0)


def missing_rate_message(currencies: list[str], reporting: str) -> str:
    example = ",".join(f"{c}=<{reporting} per {c}>" for c in currencies[:2])
    return (f"no exchange rate from {', '.join(currencies)} into {reporting}: those amounts stay in their own currency, flagged "
            f"fx_missing. Land a dated FX export (CSV date,currency,rate) or set ECOM_PIPELINE_FX_RATES={example}.")


def orders_to_reporting(orders: pd.DataFrame, lines: pd.DataFrame, fixed: dict[str, float], reporting: str,
                        dated: pd.DataFrame | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Orders and their lines with money in the reporting currency (`fx_rate`; `fx_missing` where no rate is known)."""
    rate = day_rates(orders["currency"], orders["order_date"], fixed, reporting, dated)
    factor = rate.fillna(1.0)
    orders = orders.assign(**{c: (orders[c] * factor).round(2) for c in ORDER_MONEY if c in orders}, fx_rate=rate, fx_missing=rate.isna())
    line_factor = lines["order_id"].map(pd.Series(factor.to_numpy(), index=orders["order_id"].to_numpy())).fillna(1.0)
    lines = lines.assign(**{c: lines[c] * line_factor for c in LINE_MONEY if c in lines})
    return orders, lines
