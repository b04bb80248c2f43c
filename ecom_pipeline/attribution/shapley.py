"""Shapley-value attribution over channel sets, exact, plus the simplified and ordered variants.

The game: v(T) = conversion rate of the journeys whose set of unique channels is exactly T (0 if never seen).
It is played within each observed converting set S; the values are normalised to shares of S's conversions.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from math import factorial

import numpy as np
import pandas as pd

from ecom_pipeline.attribution.paths import PathTable, channel_totals

MAX_SET_SIZE = 15


@dataclass(frozen=True)
class ShapleyResult:
    """Per converting channel set (bit mask), each channel's share; and the channel totals they give."""

    channels: tuple[str, ...]
    set_shares: dict[int, dict[int, float]]
    conversions: np.ndarray
    value: np.ndarray
    clipped_sets: int

    def table(self) -> pd.DataFrame:
        return pd.DataFrame({"channel": list(self.channels), "conversions": self.conversions, "value": self.value})

    def shares_for(self, channels: list[str]) -> dict[str, float]:
        """Shares of a journey whose unique channels are `channels` (equal split for a set never seen converting)."""
        index = {name: i for i, name in enumerate(self.channels)}
        codes = sorted({index[c] for c in channels if c in index})
        mask = sum(1 << c for c in codes)
        shares = self.set_shares.get(mask)
        if shares is None:
            unique = sorted(set(channels))
            return {c: 1.0 / len(unique) for c in unique}
        return {self.channels[c]: s for c, s in shares.items()}


@lru_cache(maxsize=MAX_SET_SIZE + 1)
def _coalitions(s: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every subset of s players (membership matrix), its size, and the Shapley weight |T|!(s−|T|−1)!/s! by size."""
    member = ((np.arange(2**s, dtype=np.int64)[:, None] >> np.arange(s)) & 1).astype(bool)
    weight = np.array([factorial(t) * factorial(s - t - 1) / factorial(s) if t < s else 0.0 for t in range(s + 1)])
    return member, member.sum(axis=1), weight


def shapley_values(players: list[int], v) -> np.ndarray:
    """Exact Shapley values of `players` (bit positions) for the game v(mask), by subset enumeration."""
    s = len(players)
    if s > MAX_SET_SIZE:
        raise ValueError(f"a journey with {s} distinct channels: exact Shapley enumerates 2^{s} coalitions; "
                         f"the limit is {MAX_SET_SIZE} channels per journey — group channels more coarsely")
    bits = np.left_shift(np.int64(1), np.asarray(players, dtype=np.int64))
    member, size, weight = _coalitions(s)
    masks = member.astype(np.int64) @ bits
    base = v(masks)
    values = np.empty(s)
    subsets = np.arange(2**s)
    for j in range(s):
        without = ~member[:, j]
        values[j] = np.sum(weight[size[without]] * (base[subsets[without] | (1 << j)] - base[without]))
    return values


def shapley(table: PathTable) -> ShapleyResult:
    """Exact Shapley shares within each converting channel set; negative values are set to 0 before normalising."""
    masks = table.unique_channel_masks()
    frame = pd.DataFrame({"mask": masks, "conv": table.conversions, "null": table.nulls, "value": table.value}).groupby("mask").sum()
    seen = frame.index.to_numpy(dtype=np.int64)
    rate = (frame["conv"] / (frame["conv"] + frame["null"]).where(lambda x: x > 0)).fillna(0.0).to_numpy()

    def v(query: np.ndarray) -> np.ndarray:
        at = np.clip(np.searchsorted(seen, query), 0, len(seen) - 1)
        return np.where(seen[at] == query, rate[at], 0.0)

    conversions = np.zeros(len(table.channels))
    value = np.zeros(len(table.channels))
    set_shares, clipped = {}, 0
    converting = frame[frame["conv"] > 0]
    for mask, conv, set_value in zip(converting.index, converting["conv"], converting["value"]):
        players = [i for i in range(len(table.channels)) if mask >> i & 1]
        phi = shapley_values(players, v)
        if (phi < 0).any():
            clipped += 1
            phi = np.clip(phi, 0.0, None)
        shares = phi / phi.sum() if phi.sum() > 0 else np.full(len(players), 1.0 / len(players))
        set_shares[int(mask)] = dict(zip(players, shares.tolist()))
        conversions[players] += shares * conv
        value[players] += shares * set_value
    return ShapleyResult(table.channels, set_shares, conversions, value, clipped)


def simplified_shapley(table: PathTable) -> pd.DataFrame:
    """Each conversion split equally over the unique channels of its path."""
    owner = table.path_of_token
    first_of_channel = ~pd.DataFrame({"p": owner, "c": table.tokens}).duplicated().to_numpy()
    unique_count = np.bincount(owner[first_of_channel], minlength=len(table.lengths))
    return channel_totals(table, first_of_channel / unique_count[owner])


def ordered_shapley(table: PathTable) -> pd.DataFrame:
    """Simplified Shapley further split over the positions where each channel appears: channel × position credits."""
    owner = table.path_of_token
    pairs = pd.DataFrame({"p": owner, "c": table.tokens})
    unique_count = pairs.drop_duplicates().groupby("p").size().reindex(range(len(table.lengths))).to_numpy()
    appearances = pairs.groupby(["p", "c"])["c"].transform("size").to_numpy()
    share = 1.0 / (unique_count[owner] * appearances)
    position = np.arange(len(table.tokens)) - table.offsets[:-1][owner] + 1
    out = pd.DataFrame({"channel": np.asarray(table.channels, dtype=object)[table.tokens], "position": position,
                        "conversions": share * table.conversions[owner], "value": share * table.value[owner]})
    return out.groupby(["channel", "position"], as_index=False)[["conversions", "value"]].sum()
