"""Paths in ChannelAttribution's shape (`a > b > c`, conversions, value, nulls), encoded as integer arrays.

Every model reads the same `PathTable`: identical paths are aggregated once, channels become codes, and the
touches of all paths sit in one flat array with offsets, so the models are vectorised numpy work.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

DEFAULT_SEPARATOR = ">"
REQUIRED = ("path", "total_conversions")
OPTIONAL = ("total_conversion_value", "total_null")


class PathError(ValueError):
    """A paths file or frame that cannot be attributed, with the file, row and column at fault."""


@dataclass(frozen=True)
class PathTable:
    """Distinct paths: `tokens[offsets[i]:offsets[i+1]]` are path i's channel codes, in touch order."""

    channels: tuple[str, ...]
    tokens: np.ndarray
    offsets: np.ndarray
    conversions: np.ndarray
    value: np.ndarray
    nulls: np.ndarray

    @property
    def lengths(self) -> np.ndarray:
        return np.diff(self.offsets)

    @property
    def path_of_token(self) -> np.ndarray:
        """For every touch, the index of its path."""
        return np.repeat(np.arange(len(self.lengths)), self.lengths)

    def first_tokens(self) -> np.ndarray:
        return self.tokens[self.offsets[:-1]]

    def last_tokens(self) -> np.ndarray:
        return self.tokens[self.offsets[1:] - 1]

    def collapsed(self) -> "PathTable":
        """Consecutive repeats of a channel collapsed (`a > a > b` → `a > b`), as ChannelAttribution does."""
        owner = self.path_of_token
        repeat = np.zeros(len(self.tokens), dtype=bool)
        repeat[1:] = (self.tokens[1:] == self.tokens[:-1]) & (owner[1:] == owner[:-1])
        if not repeat.any():
            return self
        keep = ~repeat
        lengths = np.bincount(owner[keep], minlength=len(self.lengths))
        return PathTable(self.channels, self.tokens[keep], _offsets(lengths), self.conversions, self.value, self.nulls)

    def unique_channel_masks(self) -> np.ndarray:
        """Each path's set of channels as a bit mask (channel code i is bit i)."""
        if len(self.channels) > 62:
            raise PathError(f"{len(self.channels)} channels: channel sets are limited to 62 channels")
        bits = np.left_shift(np.int64(1), self.tokens.astype(np.int64))
        masks = np.zeros(len(self.lengths), dtype=np.int64)
        np.bitwise_or.at(masks, self.path_of_token, bits)
        return masks


def _offsets(lengths: np.ndarray) -> np.ndarray:
    offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    return offsets


def from_frame(frame: pd.DataFrame, separator: str = DEFAULT_SEPARATOR, source: str = "paths") -> PathTable:
    """Validate and encode a ChannelAttribution-shaped frame; identical paths are summed.

    `separator` splits touches (surrounding spaces are ignored, so `>` reads `a > b` and `a>b`).
    """
    missing = [column for column in REQUIRED if column not in frame.columns]
    if missing:
        raise PathError(f"{source}: missing column {', '.join(missing)} (expected {', '.join(REQUIRED + OPTIONAL)})")
    numbers = {}
    for column in ("total_conversions", *OPTIONAL):
        if column not in frame.columns:
            numbers[column] = np.zeros(len(frame))
            continue
        values = _as_float(frame[column])
        bad = np.isnan(values) | (values < 0)
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise PathError(f"{source}: row {row + 2}, column {column}: {frame[column].iloc[row]!r} is not a non-negative number")
        numbers[column] = values
    paths = pa.chunked_array([pa.array(frame["path"], type=pa.string(), from_pandas=True)]) if not isinstance(frame["path"].dtype, pd.ArrowDtype) \
        else pa.chunked_array(frame["path"].array._pa_array)
    empty = pc.fill_null(pc.equal(pc.utf8_trim_whitespace(paths), ""), True).to_numpy(zero_copy_only=False)
    if empty.any():
        row = int(np.flatnonzero(empty)[0])
        raise PathError(f"{source}: row {row + 2}, column path: the path is empty")
    encoded = pc.dictionary_encode(paths).combine_chunks()
    codes, distinct = encoded.indices.to_numpy(zero_copy_only=False), encoded.dictionary
    summed = {column: np.bincount(codes, weights=values, minlength=len(distinct)) for column, values in numbers.items()}
    return encode(distinct, summed["total_conversions"], summed["total_conversion_value"], summed["total_null"], separator, source)


def _as_float(column: pd.Series) -> np.ndarray:
    """Numbers as floats; anything unreadable (text, empty) becomes NaN."""
    if pd.api.types.is_numeric_dtype(column.dtype) and not pd.api.types.is_bool_dtype(column.dtype):
        return column.to_numpy(dtype=float, na_value=np.nan)
    return pd.to_numeric(pd.Series(column.to_numpy(dtype=object)), errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def encode(paths: list[str] | pa.Array, conversions, value, nulls, separator: str = DEFAULT_SEPARATOR, source: str = "paths") -> PathTable:
    """Encode path strings into a PathTable (pyarrow splits and dictionary-encodes the touches)."""
    sep = separator.strip() or separator
    split = pc.split_pattern(paths if isinstance(paths, pa.Array) else pa.array(paths, type=pa.string()), sep)
    lengths = pc.list_value_length(split).to_numpy(zero_copy_only=False).astype(np.int64)
    touches = pc.utf8_trim_whitespace(pc.list_flatten(split))
    encoded = pc.dictionary_encode(touches).combine_chunks() if isinstance(touches, pa.ChunkedArray) else pc.dictionary_encode(touches)
    names = np.asarray(encoded.dictionary.to_pylist(), dtype=object)
    order = np.argsort(names, kind="stable")
    rank = np.empty(len(order), dtype=np.int32)
    rank[order] = np.arange(len(order), dtype=np.int32)
    codes = rank[encoded.indices.to_numpy(zero_copy_only=False)]
    channels = tuple(str(c) for c in names[order])
    if "" in channels:
        empty = channels.index("")
        owner = np.repeat(np.arange(len(lengths)), lengths)[np.flatnonzero(codes == empty)[0]]
        raise PathError(f"{source}: path {str(paths[owner])!r} has an empty touch (two separators in a row, or one at an end)")
    return PathTable(channels, codes, _offsets(lengths), np.asarray(conversions, dtype=float), np.asarray(value, dtype=float),
                     np.asarray(nulls, dtype=float))


def read_paths(path: Path, separator: str = DEFAULT_SEPARATOR) -> PathTable:
    """Read a ChannelAttribution-shaped CSV (comma or semicolon delimited)."""
    try:
        with open(path, encoding="utf-8-sig", errors="replace") as handle:
            header = handle.readline()
        delimiter = ";" if header.count(";") > header.count(",") else ","
        table = pa_csv.read_csv(path, parse_options=pa_csv.ParseOptions(delimiter=delimiter),
                                convert_options=pa_csv.ConvertOptions(column_types={"path": pa.string()}, strings_can_be_null=True))
        frame = table.to_pandas(types_mapper=pd.ArrowDtype)
    except (OSError, pa.ArrowInvalid) as error:
        raise PathError(f"{path}: not a readable CSV ({error})") from error
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    return from_frame(frame, separator, source=str(path))


def channel_totals(table: PathTable, per_token_share: np.ndarray) -> pd.DataFrame:
    """Sum per-touch shares of each path's conversions and value into channel totals."""
    owner = table.path_of_token
    n = len(table.channels)
    return pd.DataFrame({
        "channel": list(table.channels),
        "conversions": np.bincount(table.tokens, weights=per_token_share * table.conversions[owner], minlength=n),
        "value": np.bincount(table.tokens, weights=per_token_share * table.value[owner], minlength=n),
    })
