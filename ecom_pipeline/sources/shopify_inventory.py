"""Shopify inventory exports in all three layouts: current (`Available (not editable)`, `On hand (current)`),
2023 (`Available`, `On hand`) and legacy (one column per location holding Available, `not stocked` allowed).

A file is a snapshot: its date comes from the file name, else its modification time, and the rows say which.
"""

from __future__ import annotations

import pandas as pd

from ecom_pipeline.schemas import INVENTORY_LEVELS, conform
from ecom_pipeline.sources.common import Columns, FileRejected, ParseResult, Problem, blank_mask, decode, file_date, normalise_header, parse_numbers, read_delimited

FAMILY = "shopify_inventory"

DESCRIPTIVE = {"handle", "title", "sku", "hs code", "coo", "location", "bin name", "barcode", "variant sku"} | {
    f"option{i} {part}" for i in (1, 2, 3) for part in ("name", "value")
}
QUANTITIES = {
    "available": ("available (not editable)", "available"),
    "on_hand": ("on hand (current)", "on hand"),
    "committed": ("committed (not editable)", "committed"),
    "incoming": ("incoming (not editable)", "incoming"),
}


def looks_like(headers: list[str]) -> bool:
    keys = set(headers)
    return "handle" in keys and "sku" in keys and "variant sku" not in keys


def parse(raw: bytes, name: str = "", mtime: float | None = None, default_currency: str | None = None) -> ParseResult:
    text, encoding = decode(raw)
    frame, _, delimiter = read_delimited(text, looks_like)
    snapshot, date_source = file_date(name, mtime)
    cols = Columns(frame)
    if cols.find("location"):
        layout = "current" if cols.find("available (not editable)") else "2023"
        long = pd.DataFrame({"sku": cols.get("sku"), "location": cols.get("location"), "row": frame.index})
        raw_values = {key: cols.get(*aliases) for key, aliases in QUANTITIES.items()}
        labels = {key: cols.find(*aliases) or aliases[-1] for key, aliases in QUANTITIES.items()}
        if cols.find(*QUANTITIES["available"]) is None:
            raise FileRejected("Shopify inventory file has a Location column but no 'Available' column")
    else:
        layout = "legacy"
        locations = [c for c in frame.columns if normalise_header(c) not in DESCRIPTIVE]
        if not locations:
            raise FileRejected("Shopify inventory file has neither a 'Location' column nor any location columns")
        melted = frame.reset_index().melt(id_vars=["index", cols.find("sku")], value_vars=locations, var_name="location", value_name="available")
        melted = melted[melted["available"].str.strip().str.lower() != "not stocked"]
        long = pd.DataFrame({"sku": melted[cols.find("sku")].values, "location": melted["location"].values, "row": melted["index"].values})
        raw_values = {"available": pd.Series(melted["available"].values)}
        labels = {"available": "location column"}
    problems: list[Problem] = []
    long = long.reset_index(drop=True)
    long["source_row"] = long["row"] + 1
    by_row = long.set_index(long.index)
    for key, values in raw_values.items():
        values = values.reset_index(drop=True)
        numbers, bad = parse_numbers(values, decimal="," if delimiter == ";" else ".")
        by_row[key] = numbers
        _flag(problems, bad, long["row"], labels[key], "not_a_number", f"{labels[key]} is not a number", values)
    _flag(problems, blank_mask(long["sku"]), long["row"], "SKU", "missing_sku", "the row has no SKU")
    bad_rows = {p.row - 1 for p in problems}
    out = by_row[~long["row"].isin(bad_rows)].assign(snapshot_date=pd.Timestamp(snapshot), snapshot_date_source=date_source, layout=layout)
    notes = [f"{layout} layout; snapshot date {snapshot} from the file's {'name' if date_source == 'filename' else 'modification time'}"]
    return ParseResult(FAMILY, encoding, {"inventory_levels": conform(out, INVENTORY_LEVELS)}, rows_read=len(frame), problems=problems, notes=notes)


def _flag(problems: list[Problem], mask: pd.Series, rows: pd.Series, column: str, rule: str, message: str, values: pd.Series | None = None) -> None:
    for index in mask[mask.values].index:
        detail = f": {values.iloc[index]!r}" if values is not None else ""
        problems.append(Problem(row=int(rows.iloc[index]) + 1, column=column, rule=rule, message=message + detail))
