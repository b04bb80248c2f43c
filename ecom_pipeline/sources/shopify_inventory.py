"""Shopify inventory exports in all three layouts: 2025 (`Bin name`, `Available (not editable)`, `On hand (current)`,
`On hand (new)`), 2023 (`Available`, `On hand`) and legacy (one column per location holding Available).

`not stocked` means the variant is not stocked at that location: no row, not a bad number. Negative quantities
(oversold) are valid (a WARN check says so). A variant is keyed as in the products export, by handle + option
values (`SKU` is often an empty `""` on every row). A file is a snapshot: its date comes from the file name,
else the day before its modification time (`common.file_date`), and the rows say which.
"""

from __future__ import annotations

import pandas as pd

from ecom_pipeline.privacy import redact
from ecom_pipeline.schemas import INVENTORY_LEVELS, conform
from ecom_pipeline.sources.common import (
    Columns, FileRejected, ParseResult, Problem, decode, file_date, normalise_header, parse_numbers, read_delimited, variant_keys,
)

FAMILY = "shopify_inventory"

OPTIONS = ("option1 value", "option2 value", "option3 value")
DESCRIPTIVE = {"handle", "title", "sku", "hs code", "coo", "location", "bin name", "barcode", "variant sku"} | {
    f"option{i} {part}" for i in (1, 2, 3) for part in ("name", "value")
}
QUANTITIES = {
    "available": ("available (not editable)", "available"),
    "on_hand": ("on hand (current)", "on hand"),
    "committed": ("committed (not editable)", "committed"),
    "incoming": ("incoming (not editable)", "incoming"),
}
NOT_STOCKED = "not stocked"


def looks_like(headers: list[str]) -> bool:
    keys = set(headers)
    return "handle" in keys and "sku" in keys and "variant sku" not in keys and "variant price" not in keys


def parse(raw: bytes, name: str = "", mtime: float | None = None, default_currency: str | None = None) -> ParseResult:
    text, encoding = decode(raw)
    frame, _, delimiter = read_delimited(text, looks_like)
    snapshot, date_source = file_date(name, mtime)
    cols = Columns(frame)
    key = variant_keys(cols.get("handle"), [cols.get(option) for option in OPTIONS])
    if cols.find("location"):
        if cols.find(*QUANTITIES["available"]) is None:
            raise FileRejected("Shopify inventory file has a Location column but no 'Available' column")
        layout = "current" if cols.find("available (not editable)") else "2023"
        long = pd.DataFrame({"variant_key": key, "sku": cols.get("sku"), "location": cols.get("location"), "row": frame.index})
        raw_values = {name: cols.get(*aliases) for name, aliases in QUANTITIES.items()}
        labels = {name: cols.find(*aliases) or aliases[-1] for name, aliases in QUANTITIES.items()}
    else:
        layout = "legacy"
        locations = [c for c in frame.columns if normalise_header(c) not in DESCRIPTIVE]
        if not locations:
            raise FileRejected("Shopify inventory file has neither a 'Location' column nor any location columns")
        wide = frame.assign(_key=key, _row=frame.index)
        melted = wide.melt(id_vars=["_row", "_key", cols.find("sku")], value_vars=locations, var_name="location", value_name="available")
        long = pd.DataFrame({"variant_key": melted["_key"].values, "sku": melted[cols.find("sku")].values,
                             "location": melted["location"].values, "row": melted["_row"].values})
        raw_values = {"available": pd.Series(melted["available"].values)}
        labels = {"available": "location column"}
    problems: list[Problem] = []
    long = long.reset_index(drop=True)
    stocked = ~pd.concat([v.reset_index(drop=True).str.strip().str.lower().eq(NOT_STOCKED) for v in raw_values.values()], axis=1).any(axis=1)
    for name, values in raw_values.items():
        values = values.reset_index(drop=True).where(stocked, "")
        numbers, bad = parse_numbers(values, decimal="," if delimiter == ";" else ".")
        long[name] = numbers
        _flag(problems, bad, long["row"], labels[name], "not_a_number", f"{labels[name]} is not a number", values)
    _flag(problems, long["variant_key"] == "", long["row"], "SKU", "missing_variant", "the row has neither a SKU nor a handle")
    bad_rows = {p.row - 1 for p in problems}
    long["source_row"] = long["row"] + 1
    out = long[stocked & ~long["row"].isin(bad_rows)].assign(
        snapshot_date=pd.Timestamp(snapshot), snapshot_date_source=date_source, layout=layout, sku=lambda f: f["sku"].replace("", pd.NA))
    unstocked = int((~stocked).sum())
    notes = [f"{layout} layout; snapshot date {snapshot} from the file's {'name' if date_source == 'filename' else 'modification time'}"]
    if unstocked:
        notes.append(f"{unstocked} variant × location cell(s) read 'not stocked': no stock row there")
    # A row whose every location reads 'not stocked' holds no stock at all: skipped, not lost.
    rows_with_stock = set(long.loc[stocked, "row"]) | bad_rows
    return ParseResult(FAMILY, encoding, {"inventory_levels": conform(out, INVENTORY_LEVELS)}, rows_read=len(frame), problems=problems,
                       notes=notes, rows_skipped=len(frame) - len(rows_with_stock))


def _flag(problems: list[Problem], mask: pd.Series, rows: pd.Series, column: str, rule: str, message: str, values: pd.Series | None = None) -> None:
    for index in mask[mask.values].index:
        detail = f": {redact(str(values.iloc[index]))!r}" if values is not None else ""
        problems.append(Problem(row=int(rows.iloc[index]) + 1, column=column, rule=rule, message=message + detail))
