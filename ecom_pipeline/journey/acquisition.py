"""Which channel acquired each customer: the last non-direct touch of their first order's journey."""

from __future__ import annotations

import pandas as pd

from ecom_pipeline.journey.channels import DIRECT


def acquisition_channels(first_order_journeys: pd.DataFrame) -> pd.Series:
    """order_id -> channel: the last touch that is not Direct (Direct only when the whole path is Direct)."""
    if first_order_journeys.empty:
        return pd.Series(dtype="string")
    rows = first_order_journeys.sort_values(["order_id", "position"], kind="stable")
    non_direct = rows[rows["channel"] != DIRECT].groupby("order_id")["channel"].last()
    any_touch = rows.groupby("order_id")["channel"].last()
    return non_direct.reindex(any_touch.index).fillna(DIRECT)
