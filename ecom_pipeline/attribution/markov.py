"""Markov-chain attribution of order 1–3 with removal effects solved exactly (absorbing-chain linear algebra).

States are start, the sliding k-tuples of consecutive channels, conversion and null. P(conversion) from start is
((I − Q)⁻¹ R)[start]: a linear solve, never matrix powers, so the same paths always give the same answer.
Removing a channel removes every state that contains it (its inflow goes to null).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.linalg import splu

from ecom_pipeline.attribution.paths import PathTable

DENSE_LIMIT = 1500


@dataclass(frozen=True)
class MarkovResult:
    """Removal effects (conversion and value versions) and the credits they distribute."""

    order: int
    channels: tuple[str, ...]
    removal_effects: np.ndarray
    removal_effects_value: np.ndarray
    conversions: np.ndarray
    value: np.ndarray
    p_conversion: float
    states: int

    def table(self) -> pd.DataFrame:
        return pd.DataFrame({"channel": list(self.channels), "conversions": self.conversions, "value": self.value,
                             "removal_effect": self.removal_effects, "removal_effect_value": self.removal_effects_value})

    def weights(self) -> dict[str, float]:
        """Removal effect per channel, the weights a single journey's credit is shared by."""
        return dict(zip(self.channels, self.removal_effects.tolist()))


def _states(table: PathTable, order: int) -> tuple[np.ndarray, np.ndarray]:
    """Per path, its sequence of k-tuple state codes (flat array + offsets). A path shorter than k is one tuple."""
    base = len(table.channels) + 1
    if order * np.log(base) >= np.log(2**62):
        raise ValueError(f"order {order} with {len(table.channels)} channels exceeds the state encoding")
    lengths = table.lengths
    per_path = np.maximum(lengths - order + 1, 1)
    owner = np.repeat(np.arange(len(lengths)), per_path)
    start = np.arange(per_path.sum()) - np.repeat(np.cumsum(per_path) - per_path, per_path) + table.offsets[:-1][owner]
    width = np.minimum(lengths, order)[owner]
    code = np.zeros(len(start), dtype=np.int64)
    last = len(table.tokens) - 1
    for m in range(order):
        valid = m < width
        digit = table.tokens[np.minimum(start + m, last)].astype(np.int64) + 1
        code = np.where(valid, code * base + digit, code)
    offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(per_path, out=offsets[1:])
    return code, offsets


def _contains(codes: np.ndarray, channels: int) -> np.ndarray:
    """Boolean matrix: state × channel, True when the state's tuple contains the channel."""
    base = channels + 1
    out = np.zeros((len(codes), channels), dtype=bool)
    rest = codes.copy()
    while (rest > 0).any():
        digit = rest % base
        has = digit > 0
        out[np.flatnonzero(has), digit[has] - 1] = True
        rest //= base
    return out


def markov(table: PathTable, order: int = 1) -> MarkovResult:
    """Exact removal effects of every channel for a Markov chain of `order` (1–3) fitted to the paths."""
    if order not in (1, 2, 3):
        raise ValueError(f"Markov order must be 1, 2 or 3, not {order}")
    table = table.collapsed()
    weight = table.conversions + table.nulls
    live = weight > 0
    if not live.any() or table.conversions.sum() <= 0:
        raise ValueError("no conversions to attribute")
    codes, offsets = _states(table, order)
    owner = np.repeat(np.arange(len(offsets) - 1), np.diff(offsets))
    same = np.zeros(len(codes), dtype=bool)
    same[1:] = (codes[1:] == codes[:-1]) & (owner[1:] == owner[:-1])
    codes, owner = codes[~same], owner[~same]
    counts = np.bincount(owner, minlength=len(weight))
    offsets = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])

    unique, state = np.unique(codes, return_inverse=True)
    n = len(unique) + 1                       # transient states: 0 = start, 1.. = tuples
    state = state + 1
    conv_col, null_col = n, n + 1
    firsts, lasts = offsets[:-1], offsets[1:] - 1
    inner = np.ones(len(state), dtype=bool)
    inner[lasts] = False
    rows = np.concatenate([np.zeros(len(firsts), dtype=np.int64), state[inner], state[lasts], state[lasts]])
    cols = np.concatenate([state[firsts], state[np.flatnonzero(inner) + 1], np.full(len(lasts), conv_col), np.full(len(lasts), null_col)])
    data = np.concatenate([weight, weight[owner[inner]], table.conversions, table.nulls])
    keep = data > 0
    counts = sp.csr_matrix((data[keep], (rows[keep], cols[keep])), shape=(n, n + 2))
    totals = np.asarray(counts.sum(axis=1)).ravel()
    transition = sp.diags(1.0 / np.where(totals > 0, totals, 1.0)) @ counts
    transition = transition.tocsc()
    q = transition[:, :n].tocsr()
    if n <= DENSE_LIMIT:
        q = q.toarray()
    r_conv = transition[:, conv_col].toarray().ravel()
    conv_by_last = np.bincount(state[lasts], weights=table.conversions, minlength=n)
    value_by_last = np.bincount(state[lasts], weights=table.value, minlength=n)
    mean_value = np.divide(value_by_last, conv_by_last, out=np.zeros(n), where=conv_by_last > 0)
    rhs = np.column_stack([r_conv, r_conv * mean_value])

    full = _absorb(q, rhs, np.ones(n, dtype=bool))
    member = np.vstack([np.zeros((1, len(table.channels)), dtype=bool), _contains(unique, len(table.channels))])
    effects = np.zeros((len(table.channels), 2))
    for c in range(len(table.channels)):
        kept = ~member[:, c]
        removed = _absorb(q, rhs, kept)
        effects[c] = 1.0 - np.divide(removed, full, out=np.ones(2), where=full > 0)
    effects = np.clip(effects, 0.0, 1.0)
    total_conv, total_value = table.conversions.sum(), table.value.sum()
    return MarkovResult(order, table.channels, effects[:, 0], effects[:, 1], _share(effects[:, 0]) * total_conv,
                        _share(effects[:, 1]) * total_value, float(full[0]), n)


def _share(effects: np.ndarray) -> np.ndarray:
    total = effects.sum()
    return effects / total if total > 0 else np.zeros_like(effects)


def _absorb(q, rhs: np.ndarray, kept: np.ndarray) -> np.ndarray:
    """Absorption (probability, expected value) from start with only `kept` transient states: solve (I − Q) x = r.
    `q` is dense for small chains (LAPACK solve), sparse otherwise (SuperLU)."""
    index = np.flatnonzero(kept)
    if isinstance(q, np.ndarray):
        system = np.identity(len(index)) - q[np.ix_(index, index)]
        return np.linalg.solve(system, rhs[index])[0]
    system = sp.identity(len(index), format="csc") - q[index][:, index].tocsc()
    return splu(system).solve(rhs[index])[0]
