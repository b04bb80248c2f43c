"""The sample brand: a deterministic simulation written out as real vendor exports, plus its ground truth."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from ecom_pipeline.sample.brand import SCALES, Brand, simulate
from ecom_pipeline.sample.writers import write_exports

DEFAULT_START = date(2025, 6, 1)

__all__ = ["DEFAULT_START", "SCALES", "Brand", "generate", "simulate"]


def generate(out: Path, days: int = 90, seed: int = 7, scale: str = "demo", start: date = DEFAULT_START, progress: bool = True) -> dict:
    """Simulate the brand, write its exports into `out` and `ground_truth.json` beside them; returns the truth."""
    if days < 1:
        raise ValueError("days must be at least 1")
    brand = simulate(days=days, seed=seed, start=start, scale=scale, progress=progress)
    counts, files, faults = write_exports(brand, Path(out), progress=progress)
    truth = dict(brand.truth)
    truth["exported_rows"] = counts
    truth["files"] = len(files)
    truth["planted_faults"] = faults
    (Path(out) / "ground_truth.json").write_text(json.dumps(truth, indent=2, sort_keys=False) + "\n")
    return truth
