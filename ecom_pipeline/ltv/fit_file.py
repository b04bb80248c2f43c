"""`ecom-pipeline ltv-fit`: fit BG/NBD (and Gamma-Gamma when spend is given) to a per-customer summary CSV."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ecom_pipeline.ltv.models import fit_bgnbd, fit_gamma_gamma

REQUIRED = ("frequency", "recency", "T")


class SummaryError(ValueError):
    """A summary file that cannot be fitted, naming the file, row and column."""


def read_summary(path: Path) -> pd.DataFrame:
    try:
        frame = pd.read_csv(path, sep=None, engine="python", encoding="utf-8-sig")
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        raise SummaryError(f"{path}: not a readable CSV ({error})") from error
    frame.columns = [str(c).strip() for c in frame.columns]
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise SummaryError(f"{path}: missing column {', '.join(missing)} (expected frequency, recency, T and optionally monetary_value)")
    for column in [*REQUIRED, *(["monetary_value"] if "monetary_value" in frame.columns else [])]:
        values = pd.to_numeric(frame[column], errors="coerce")
        bad = values.isna() | (values < 0)
        if bad.any():
            row = int(bad.to_numpy().nonzero()[0][0])
            raise SummaryError(f"{path}: row {row + 2}, column {column}: {frame[column].iloc[row]!r} is not a non-negative number")
        frame[column] = values.astype(float)
    late = frame["recency"] > frame["T"] + 1e-9
    if late.any():
        row = int(late.to_numpy().nonzero()[0][0])
        raise SummaryError(f"{path}: row {row + 2}, column recency: {frame['recency'].iloc[row]} is later than T = {frame['T'].iloc[row]}")
    return frame


def fit_summary(frame: pd.DataFrame) -> dict:
    """`{"bg_nbd": {r, alpha, a, b, log_likelihood}, "gamma_gamma": {p, q, v, log_likelihood} | None}`."""
    bgnbd = fit_bgnbd(frame["frequency"], frame["recency"], frame["T"])
    gamma_gamma = fit_gamma_gamma(frame["frequency"], frame["monetary_value"]) if "monetary_value" in frame.columns else None
    return {"bg_nbd": bgnbd.as_dict(), "gamma_gamma": gamma_gamma.as_dict() if gamma_gamma else None,
            "customers": int(len(frame)), "repeat_customers": int((frame["frequency"] > 0).sum())}
