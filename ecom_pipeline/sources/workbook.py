"""XLSX downloads (Meta, Google and TikTok write them; TikTok by default) as the CSV text of their first sheet.

Read with python-calamine, which takes the sheet's real extent rather than its `<dimension>` (Go Excelize writes
`A1` for a whole report) and finds the first sheet however it is stored (`sheet2.xml`). Cells become the text a
person sees: numbers without a spurious `.0`, dates as ISO days, numbers stored as text unchanged. The parsers
then read that text exactly as they read a CSV download.
"""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date, datetime, time, timedelta

from ecom_pipeline.sources.common import FileRejected

ZIP_MAGIC = b"PK\x03\x04"
MAX_EXPANDED_BYTES = 512 * 1024 * 1024  # an ad report of a million rows expands to ~300 MB; beyond this, a zip bomb


def is_zip(raw: bytes) -> bool:
    return raw.startswith(ZIP_MAGIC)


def workbook_csv(raw: bytes) -> bytes:
    """UTF-8 CSV of the workbook's first sheet; FileRejected for a zip that is no workbook or expands too far."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
        names = set(archive.namelist())
        expanded = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile:
        raise FileRejected("the file starts like a zip archive or XLSX workbook but is damaged (cut off during download?)") from None
    if "xl/workbook.xml" not in names:
        raise FileRejected("this is a zip archive, not an Excel workbook: unzip it and drop the export inside")
    if expanded > MAX_EXPANDED_BYTES:
        raise FileRejected(f"the workbook expands to {expanded / 2**20:,.0f} MB (more than {MAX_EXPANDED_BYTES / 2**20:,.0f} MB): "
                           "refused as unsafe; export the report as CSV instead")
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(raw))
        if not book.sheet_names:
            raise FileRejected("the workbook has no sheet")
        rows = book.get_sheet_by_index(0).to_python(skip_empty_area=False)
    except FileRejected:
        raise
    except Exception as error:  # calamine raises its own error types for broken XML
        raise FileRejected(f"the workbook cannot be read ({type(error).__name__}: {error})") from None
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for row in rows:
        cells = [_text(value) for value in row]
        if any(cells):  # an empty sheet row carries nothing (a CSV download has no such line)
            writer.writerow(cells)
    return out.getvalue().encode("utf-8")


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d") if value.time() == time() else value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (time, timedelta)):
        return str(value)
    return str(value)
