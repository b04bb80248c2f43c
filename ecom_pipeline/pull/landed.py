"""How a pull's records become a file in the landing folder: written whole, and not at all for a window without
records (an empty file would only be rejected)."""

from __future__ import annotations

import csv
import io
import json

from ecom_pipeline.storage import write_bytes


def json_lines(path, records: list[dict]):
    """The records as they came, one JSON object a line; the path, or None without records."""
    if not records:
        return None
    write_bytes(path, "".join(json.dumps(record, sort_keys=True) + "\n" for record in records).encode())
    return path


def csv_rows(path, records: list[dict], columns: tuple[str, ...]):
    """The records as CSV rows with the API's field names as headers; the path, or None without records."""
    if not records:
        return None
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=columns, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(records)
    write_bytes(path, text.getvalue().encode())
    return path
