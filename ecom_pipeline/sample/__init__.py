"""The sample brand: a deterministic simulation written out as real vendor exports, plus its ground truth."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from ecom_pipeline.sample.brand import SCALES, Brand, simulate
from ecom_pipeline.sample.lift import run_lift_tests
from ecom_pipeline.sample.writers import write_exports

DEFAULT_START = date(2025, 6, 1)

__all__ = ["DEFAULT_START", "SCALES", "Brand", "generate", "simulate"]


def generate(out: Path, days: int = 90, seed: int = 7, scale: str = "demo", start: date = DEFAULT_START, progress: bool = True,
             cast: str = "default", lift_tests: int = 0) -> dict:
    """Simulate the brand (its campaigns' truth fixed, or drawn per seed with `cast="random"`), run `lift_tests`
    holdouts on its least-varied campaigns, write its exports into `out` and `ground_truth.json` beside them; returns
    the truth."""
    if days < 1:
        raise ValueError("days must be at least 1")
    brand = simulate(days=days, seed=seed, start=start, scale=scale, progress=progress, cast=cast)
    brand.lift_tests = run_lift_tests(brand, lift_tests, np.random.default_rng([seed, 7]))
    counts, files, faults = write_exports(brand, Path(out), progress=progress)
    truth = dict(brand.truth)
    truth["exported_rows"] = counts
    truth["files"] = len(files)
    truth["planted_faults"] = faults
    truth["lift_tests"] = [test["_truth"] | {"start": test["Start date"], "end": test["End date"]} for test in brand.lift_tests]
    orders = order_truth(brand)
    orders.to_csv(Path(out) / "ground_truth_orders.csv.gz", index=False, compression={"method": "gzip", "mtime": 0})
    truth["orders_truth_file"] = "ground_truth_orders.csv.gz"
    truth["stitched_share"] = round(identified_session_share(brand), 6)
    (Path(out) / "ground_truth.json").write_text(json.dumps(truth, indent=2, sort_keys=False) + "\n")
    return truth


def order_truth(brand: Brand, fee_rate: float = 0.029, fee_fixed: float = 0.30) -> pd.DataFrame:
    """Each order's contribution margin from the simulator's own numbers (true unit costs, labels it printed),
    by the pipeline's definition: net sales + shipping revenue − COGS − label cost − payment fees, refunds applied
    to merchandise, then tax, then shipping; a cancelled order only costs its labels."""
    orders = brand.orders.sort_values("order_index")
    labels = brand.labels[~brand.labels["voided"]].groupby("order_index")["label_cost"].sum()
    cancelled = orders["cancelled"].to_numpy()
    refund = orders["refunded"]
    merchandise = np.minimum(refund, orders["subtotal"])
    shipping_refund = (refund - orders["subtotal"] - orders["tax"]).clip(lower=0).clip(upper=orders["shipping"])
    frame = pd.DataFrame({
        "order_id": (6300000000000 + orders["order_index"] * 37).astype(str),
        "name": "#" + (1001 + orders["order_index"]).astype(str),
        "cogs": np.where(cancelled, 0.0, orders["cogs"]).round(2),
        "label_cost": orders["order_index"].map(labels).fillna(0.0).round(2).to_numpy(),
        "net_sales": np.where(cancelled, 0.0, orders["gross"] - orders["discount"] - merchandise).round(2),
        "shipping_revenue": np.where(cancelled, 0.0, orders["shipping"] - shipping_refund).round(2),
        "payment_fees": np.where(cancelled | (orders["total"] <= 0).to_numpy(), 0.0, orders["total"] * fee_rate + fee_fixed).round(2),
        "cancelled": cancelled,
        "driver": orders["kind"].to_numpy(),
    })
    frame["contribution_margin"] = (frame["net_sales"] + frame["shipping_revenue"] - frame["cogs"] - frame["label_cost"] - frame["payment_fees"]).round(2)
    return frame


def identified_session_share(brand: Brand) -> float:
    """Share of sessions whose device later identifies the customer (a purchase on it): what stitching can reach."""
    sessions = brand.events.drop_duplicates("session")
    return float(sessions["converting"].mean()) if len(sessions) else 0.0
