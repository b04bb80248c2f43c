"""Run one model on a PathTable and shape the answer for people (a table) and programs (JSON)."""

from __future__ import annotations

import pandas as pd

from ecom_pipeline.attribution.heuristics import heuristic_models
from ecom_pipeline.attribution.markov import markov
from ecom_pipeline.attribution.paths import PathTable
from ecom_pipeline.attribution.shapley import ordered_shapley, shapley, simplified_shapley

CLI_MODELS = ("first", "last", "linear", "position", "markov", "shapley", "shapley-simplified", "shapley-ordered", "heuristics")
HEURISTIC_NAMES = {"first": "first_touch", "last": "last_touch", "linear": "linear_touch"}


def attribute(table: PathTable, model: str, order: int = 1) -> pd.DataFrame:
    """Channel totals of one model; Markov adds its removal effects, `heuristics` gives ChannelAttribution's
    first/last/linear columns side by side, `shapley-ordered` one row per channel and position."""
    if model in ("first", "last", "linear", "position"):
        return heuristic_models(table, (model,))[model]
    if model == "heuristics":
        frames = heuristic_models(table, tuple(HEURISTIC_NAMES))
        out = pd.DataFrame({"channel": list(table.channels)})
        for name, label in HEURISTIC_NAMES.items():
            out[f"{label}_conversions"] = frames[name]["conversions"].to_numpy()
            out[f"{label}_value"] = frames[name]["value"].to_numpy()
        return out
    if model == "markov":
        return markov(table, order).table()
    if model == "shapley":
        return shapley(table).table()
    if model == "shapley-simplified":
        return simplified_shapley(table)
    if model == "shapley-ordered":
        return ordered_shapley(table)
    raise ValueError(f"unknown model {model!r}; choose one of {', '.join(CLI_MODELS)}")


def as_json(frame: pd.DataFrame, model: str, order: int | None) -> dict:
    """`{"model", "order", "channels": [{"channel", "conversions", "value", "removal_effect"?}]}`."""
    columns = [c for c in frame.columns if c != "removal_effect_value"]
    records = [{key: _plain(key, value) for key, value in row.items()} for row in frame[columns].to_dict("records")]
    return {"model": model, "order": order if model == "markov" else None, "channels": records}


def _plain(key: str, value):
    return str(value) if key == "channel" else int(value) if key == "position" else float(value)
