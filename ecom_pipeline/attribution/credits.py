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


@dataclass(frozen=True)
class Touches:
    """Journey rows sorted by order then position, with the per-order bookkeeping every model shares."""

    rows: pd.DataFrame
    group: np.ndarray          # order number of each touch
    first: np.ndarray          # is the order's first touch
    last: np.ndarray           # is the order's last touch
    length: np.ndarray         # touches in the order
    index: np.ndarray          # 0-based position in the order
    same_channel: np.ndarray   # touches of this touch's channel in the order
    fit: np.ndarray            # which fitted data-driven models explain the order

    @classmethod
    def of(cls, rows: pd.DataFrame, fit: str | None = None) -> "Touches":
        rows = rows.sort_values(["order_id", "position"], kind="stable").reset_index(drop=True)
        order = rows["order_id"].to_numpy()
        first = np.r_[True, order[1:] != order[:-1]] if len(order) else np.zeros(0, dtype=bool)
        last = np.r_[order[1:] != order[:-1], True] if len(order) else np.zeros(0, dtype=bool)
        group = np.cumsum(first) - 1
        pair = pd.MultiIndex.from_arrays([group, rows["channel"].to_numpy()])
        pair_code = pd.factorize(pair)[0]
        return cls(rows, group, first, last, np.bincount(group)[group], np.arange(len(rows)) - np.flatnonzero(first)[group],
                   np.bincount(pair_code)[pair_code], rows[fit].to_numpy() if fit else np.zeros(len(rows), dtype=np.int64))

    def normalise(self, weight: np.ndarray) -> np.ndarray:
        """Weights to shares within each order; an order whose weights are all zero is split equally."""
        total = np.bincount(self.group, weights=weight)[self.group]
        return np.where(total > 0, weight / np.where(total > 0, total, 1.0), 1.0 / self.length)


def rule_credits(touches: Touches, model: str, config: AttributionConfig = AttributionConfig()) -> np.ndarray:
    """Credit per touch under a rule-based model."""
    if model == "first_touch":
        return touches.first.astype(float)
    if model == "last_touch":
        return touches.last.astype(float)
    if model == "linear":
        return 1.0 / touches.length
    if model == "position_based":
        return position_shares(touches.index, touches.length, config.position_weights)
    if model == "time_decay":
        age = touches.rows["days_before_conversion"].to_numpy(dtype=float)
        return touches.normalise(np.power(2.0, -age / config.half_life_days))
    if model == "last_non_direct":
        candidate = (touches.rows["channel"] != DIRECT).to_numpy()
        has = np.bincount(touches.group, weights=candidate)[touches.group] > 0
        eligible = np.where(has, candidate, True)
        last = np.zeros(touches.group.max() + 1 if len(touches.group) else 0, dtype=np.int64) - 1
        np.maximum.at(last, touches.group, np.where(eligible, np.arange(len(eligible)), -1))
        return (np.arange(len(eligible)) == last[touches.group]).astype(float)
    raise ValueError(f"unknown rule-based model {model!r}")


def channel_weighted_credits(touches: Touches, weight: np.ndarray) -> np.ndarray:
    """Share an order among its channels in proportion to their weights (per touch, its channel's weight), then
    equally over each channel's touches."""
    return touches.normalise(weight / touches.same_channel)


def markov_weights(touches: Touches, fitted: list[dict], model: str) -> np.ndarray:
    """Each touch's channel removal effect under the Markov model fitted for its order."""
    table = pd.Series({(i, channel): effect for i, models in enumerate(fitted) for channel, effect in models[model].weights().items()}, dtype=float)
    wanted = pd.MultiIndex.from_arrays([touches.fit, touches.rows["channel"].to_numpy()])
    return table.reindex(wanted).fillna(0.0).to_numpy() if len(table) else np.zeros(len(touches.fit))


def shapley_weights(touches: Touches, fitted: list[dict]) -> np.ndarray:
    """Each touch's channel share of its order's exact channel set, from the Shapley result fitted for the order."""
    rows = touches.rows
    sets = rows.drop_duplicates(["order_id", "channel"]).groupby("order_id", sort=False)["channel"].agg(lambda c: tuple(sorted(c)))
    keys = list(zip(touches.fit, rows["order_id"].map(sets)))
    shares = {key: fitted[key[0]]["shapley"].shares_for(list(key[1])) for key in set(keys)}
    return np.fromiter((shares[key].get(channel, 0.0) for key, channel in zip(keys, rows["channel"])), dtype=float, count=len(keys))


def fit_data_models(training: PathTable) -> dict[str, object]:
    """Markov order 1–3 and Shapley fitted on a window of paths."""
    return {**{f"markov_{k}": markov(training, k) for k in (1, 2, 3)}, "shapley": shapley(training)}


def credits(rows: pd.DataFrame, fitted: dict | list[dict], config: AttributionConfig = AttributionConfig(),
            models: tuple[str, ...] = MODELS, fit: str | None = None) -> pd.DataFrame:
    """Long table: every journey row once per model with its `credit`.

    `fitted` is one set of data-driven models, or a list of them with `fit` naming the column of `rows` that holds
    each row's index into the list (one fit per conversion day, say)."""
    fitted = fitted if isinstance(fitted, list) else [fitted]
    touches = Touches.of(rows, fit)
    parts = []
    for model in models:
        if model in RULE_MODELS:
            credit = rule_credits(touches, model, config)
        elif model == "shapley":
            credit = channel_weighted_credits(touches, shapley_weights(touches, fitted))
        else:
            credit = channel_weighted_credits(touches, markov_weights(touches, fitted, model))
        parts.append(touches.rows.assign(model=model, credit=credit))
    out = pd.concat(parts, ignore_index=True) if parts else rows.assign(model=pd.Series(dtype=object), credit=pd.Series(dtype=float))
    return out.drop(columns=[fit]) if fit else out


def attribute_days(journey_rows: pd.DataFrame, orders: pd.DataFrame, paths: pd.DataFrame, days: list[str],
                   config: AttributionConfig = AttributionConfig(), training_days: int = 90) -> tuple[pd.DataFrame, dict]:
    """Credits for the orders converting on each of `days`, with the data-driven models fitted on the paths of the
    `training_days` ending that day. `orders` has order_id, net_sales, contribution_margin, is_first_order;
    `paths` is conversion_paths (day, path, total_conversions, total_conversion_value, total_null).

    Returns the credits (revenue and margin attributed by credit) and, per day, the fitted Markov/Shapley models."""
    from ecom_pipeline.attribution.paths import from_frame

    rows = journey_rows[journey_rows["conversion_day"].isin(pd.DatetimeIndex(days))]
    present = sorted(rows["conversion_day"].dt.strftime("%Y-%m-%d").unique())
    fitted_by_day = {}
    for day in present:
        since = pd.Timestamp(day) - pd.Timedelta(days=training_days - 1)
        window = paths[(paths["day"] >= since) & (paths["day"] <= pd.Timestamp(day))]
        fitted_by_day[day] = fit_data_models(from_frame(window, source=f"conversion_paths {since.date()}..{day}"))
    if not present:
        return pd.DataFrame(columns=[*journey_rows.columns, "model", "credit", "attributed_revenue", "attributed_margin", "new_customer"]), {}
    rows = rows.assign(_fit=rows["conversion_day"].dt.strftime("%Y-%m-%d").map({day: i for i, day in enumerate(present)}).to_numpy())
    table = credits(rows, [fitted_by_day[day] for day in present], config, fit="_fit")
    values = orders.set_index("order_id")[["net_sales", "contribution_margin", "is_first_order"]]
    order = values.reindex(table["order_id"])
    table["attributed_revenue"] = table["credit"] * order["net_sales"].fillna(0.0).to_numpy()
    table["attributed_margin"] = table["credit"] * order["contribution_margin"].fillna(0.0).to_numpy()
    table["new_customer"] = order["is_first_order"].fillna(False).astype(bool).to_numpy()
    return table, fitted_by_day
