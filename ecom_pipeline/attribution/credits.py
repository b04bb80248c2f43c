"""Each order's credit per touch under every model: rule-based models from the touches themselves, data-driven
models (Markov order 1–3, Shapley) from channel weights learned on a window of paths, shared within the order.

Every model gives each order credits that are non-negative and sum to 1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ecom_pipeline.attribution.heuristics import POSITION_WEIGHTS, position_shares
from ecom_pipeline.attribution.markov import markov
from ecom_pipeline.attribution.paths import PathTable
from ecom_pipeline.attribution.shapley import shapley
from ecom_pipeline.journey.channels import DIRECT

RULE_MODELS = ("first_touch", "last_touch", "last_non_direct", "linear", "time_decay", "position_based")
DATA_MODELS = ("markov_1", "markov_2", "markov_3", "shapley")
MODELS = RULE_MODELS + DATA_MODELS
DEFAULT_MODEL = "markov_1"


@dataclass(frozen=True)
class AttributionConfig:
    """Knobs of the rule-based models."""

    half_life_days: float = 7.0
    position_weights: tuple[float, float, float] = POSITION_WEIGHTS

    def __post_init__(self):
        if self.half_life_days <= 0:
            raise ValueError(f"time-decay half-life must be positive, not {self.half_life_days}")
        if min(self.position_weights) < 0 or abs(sum(self.position_weights) - 1) > 1e-9:
            raise ValueError(f"position weights must be non-negative and sum to 1, not {self.position_weights}")


def rule_credits(rows: pd.DataFrame, model: str, config: AttributionConfig = AttributionConfig()) -> np.ndarray:
    """Credit per touch under a rule; `rows` are one order's touches in order (order_id, position, channel,
    days_before_conversion), sorted by order_id then position."""
    order = rows["order_id"].to_numpy()
    start = np.r_[True, order[1:] != order[:-1]]
    end = np.r_[order[1:] != order[:-1], True]
    group = np.cumsum(start) - 1
    length = np.bincount(group)[group]
    index = np.arange(len(rows)) - np.flatnonzero(start)[group]
    if model == "first_touch":
        return start.astype(float)
    if model == "last_touch":
        return end.astype(float)
    if model == "linear":
        return 1.0 / length
    if model == "position_based":
        return position_shares(index, length, config.position_weights)
    if model == "time_decay":
        return normalise(rows["order_id"], np.power(2.0, -rows["days_before_conversion"].to_numpy(dtype=float) / config.half_life_days))
    if model == "last_non_direct":
        candidate = (rows["channel"] != DIRECT).to_numpy()
        has = np.bincount(group, weights=candidate)[group] > 0
        eligible = np.where(has, candidate, True)
        last = pd.Series(np.where(eligible, np.arange(len(rows)), -1)).groupby(group).transform("max").to_numpy()
        return (np.arange(len(rows)) == last).astype(float)
    raise ValueError(f"unknown rule-based model {model!r}")


def normalise(order_id: pd.Series, weight: np.ndarray) -> np.ndarray:
    """Weights to shares within each order; an order whose weights are all zero is split equally."""
    total = pd.Series(weight, index=order_id.index).groupby(order_id.to_numpy()).transform("sum").to_numpy()
    count = order_id.groupby(order_id.to_numpy()).transform("size").to_numpy()
    return np.where(total > 0, weight / np.where(total > 0, total, 1.0), 1.0 / count)


def channel_weighted_credits(rows: pd.DataFrame, weights: dict[str, float]) -> np.ndarray:
    """Share an order among its channels in proportion to their weights, then equally over each channel's touches."""
    touches_of_channel = rows.groupby(["order_id", "channel"])["channel"].transform("size").to_numpy()
    weight = rows["channel"].map(weights).fillna(0.0).to_numpy(dtype=float) / touches_of_channel
    return normalise(rows["order_id"], weight)


def shapley_credits(rows: pd.DataFrame, result) -> np.ndarray:
    """Each order shared by the Shapley shares of its exact channel set, equally over each channel's touches."""
    unique = rows.drop_duplicates(["order_id", "channel"])
    sets = unique.groupby("order_id", sort=False)["channel"].agg(lambda c: tuple(sorted(c)))
    shares = {key: result.shares_for(list(key)) for key in set(sets)}
    key = rows["order_id"].map(sets)
    touches_of_channel = rows.groupby(["order_id", "channel"])["channel"].transform("size").to_numpy()
    share = np.fromiter((shares[k].get(c, 0.0) for k, c in zip(key, rows["channel"])), dtype=float, count=len(rows))
    return normalise(rows["order_id"], share / touches_of_channel)


def fit_data_models(training: PathTable) -> dict[str, object]:
    """Markov order 1–3 and Shapley fitted on a window of paths."""
    return {**{f"markov_{k}": markov(training, k) for k in (1, 2, 3)}, "shapley": shapley(training)}


def credits(rows: pd.DataFrame, fitted: dict[str, object], config: AttributionConfig = AttributionConfig(),
            models: tuple[str, ...] = MODELS) -> pd.DataFrame:
    """Long table: every journey row once per model with its `credit`."""
    rows = rows.sort_values(["order_id", "position"], kind="stable").reset_index(drop=True)
    parts = []
    for model in models:
        if model in RULE_MODELS:
            credit = rule_credits(rows, model, config)
        elif model == "shapley":
            credit = shapley_credits(rows, fitted["shapley"])
        else:
            credit = channel_weighted_credits(rows, fitted[model].weights())
        parts.append(rows.assign(model=model, credit=credit))
    return pd.concat(parts, ignore_index=True) if parts else rows.assign(model=pd.Series(dtype=object), credit=pd.Series(dtype=float))
