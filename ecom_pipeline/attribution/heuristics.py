"""Rule-based models on aggregated paths (first, last, linear, position-based): channel totals, as
ChannelAttribution's `heuristic_models` reports them."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ecom_pipeline.attribution.paths import PathTable, channel_totals

POSITION_WEIGHTS = (0.4, 0.2, 0.4)


def touch_shares(table: PathTable, model: str, weights: tuple[float, float, float] = POSITION_WEIGHTS) -> np.ndarray:
    """Each touch's share of its path's conversion under a rule; shares of a path sum to 1."""
    lengths = table.lengths
    n = len(table.tokens)
    if model == "first":
        shares = np.zeros(n)
        shares[table.offsets[:-1]] = 1.0
    elif model == "last":
        shares = np.zeros(n)
        shares[table.offsets[1:] - 1] = 1.0
    elif model == "linear":
        shares = 1.0 / np.repeat(lengths, lengths)
    elif model == "position":
        shares = position_shares(np.arange(n) - np.repeat(table.offsets[:-1], lengths), np.repeat(lengths, lengths), weights)
    else:
        raise ValueError(f"unknown rule-based model {model!r}")
    return shares


def position_shares(position: np.ndarray, length: np.ndarray, weights: tuple[float, float, float] = POSITION_WEIGHTS) -> np.ndarray:
    """Position-based shares for 0-based positions: first/middle/last weights; one touch 100 %, two 50/50.

    With no middle touches, the middle weight goes to the ends in proportion to their own weights."""
    first, middle, last = weights
    ends = first + last
    shares = np.where(position == 0, first, np.where(position == length - 1, last, middle / np.maximum(length - 2, 1)))
    shares = np.where(length == 2, np.where(position == 0, first / ends, last / ends), shares)
    return np.where(length == 1, 1.0, shares)


def heuristic_models(table: PathTable, models=("first", "last", "linear", "position"), weights=POSITION_WEIGHTS) -> dict[str, pd.DataFrame]:
    """Channel totals (conversions, value) under each rule-based model."""
    return {model: channel_totals(table, touch_shares(table, model, weights)) for model in models}
