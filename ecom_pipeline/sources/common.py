"""What every export parser shares: decoding, header matching, locale-aware numbers and dates, problems.

Parsers map columns by header name (never by position), keep every row accounted for (loaded or reported as
a problem with its row and column) and refuse a whole file only with a sentence a person can act on.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

import pandas as pd

from ecom_pipeline.privacy import redact

BLANKS = {"", "--", "-", "—", "–", "nan", "none", "null", "n/a", "na", "#n/a"}
# What the vendors write for "nothing" in a number column (Google ` --`, Meta `—`/`–`, TikTok `-`). Anything else
# that is not a number, `n/a` included, is a problem with its row, never a silent zero.
NUMBER_PLACEHOLDERS = {"", "--", "-", "—", "–"}


@dataclass(frozen=True)
class Problem:
    """One row-level reason a row could not be loaded. `row` counts data rows from 1 (the header excluded)."""

    row: int
    column: str
    rule: str
    message: str
    value: str = ""


class FileRejected(Exception):
    """The file as a whole cannot be used; `reason` says why in a sentence."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass
class ParseResult:
    """A parsed export: canonical tables, the row accounting and the problems found."""

    family: str
    encoding: str
    tables: dict[str, pd.DataFrame]
    rows_read: int
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    rows_skipped: int = 0  # rows that hold no data by the vendor's design: totals, image-only rows, "No data available."

    @property
    def rows_quarantined(self) -> int:
        return len({p.row for p in self.problems})

    @property
    def rows_loaded(self) -> int:
        return self.rows_read - self.rows_skipped - self.rows_quarantined


# ---------------------------------------------------------------- decoding


def decode(raw: bytes) -> tuple[str, str]:
    """Text and encoding name, sniffed from the BOM and NUL bytes (Google's "Excel .csv" is UTF-16 LE TSV)."""
    if raw.startswith(b"\xff\xfe") or raw.startswith(b"\xfe\xff"):
        return raw.decode("utf-16", errors="replace"), "utf-16"
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8"), "utf-8-sig"
    head = raw[:4096]
    if head and head.count(b"\x00") > len(head) // 4:
        # UTF-16 without a BOM: the NULs sit on the odd bytes for little-endian ASCII text.
        encoding = "utf-16-le" if head[1:2] == b"\x00" else "utf-16-be"
        return raw.decode(encoding, errors="replace"), encoding
    try:
        text, encoding = raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        text, encoding = raw.decode("cp1252", errors="replace"), "cp1252"
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise FileRejected(f"the file holds NUL bytes (first on line {line}): it is damaged or binary, not a text export; export it again")
    return text, encoding


def json_records(text: str, what: str) -> list[dict]:
    """A JSON-lines file a pull landed (one object a line, written whole): its records; a line that is not JSON
    refuses the file, naming the line (the pull of those days runs again)."""
    records = []
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError as error:
                raise FileRejected(f"{what} line {number} is not valid JSON ({error.msg}): pull those days again") from None
    return records


def normalise_header(name: object) -> str:
    """Case- and space-insensitive header key: 'Amount Spent (USD) ' -> 'amount spent (usd)'."""
    text = str(name).replace("\ufeff", "").replace("\u00a0", " ").replace("’", "'").strip().lower()
    return re.sub(r"\s+", " ", text)


_CURRENCY_SUFFIX = re.compile(r"^(.*?)\s*\(([a-z]{3})\)$")


def split_currency(header: str) -> tuple[str, str | None]:
    """'amount spent (eur)' -> ('amount spent', 'EUR'); headers without a currency suffix are unchanged."""
    match = _CURRENCY_SUFFIX.match(header)
    if match and match.group(2) not in {"all"}:
        return match.group(1), match.group(2).upper()
    return header, None


def sniff_delimiter(line: str) -> str:
    counts = {d: line.count(d) for d in ("\t", ";", ",", "|")}
    return max(counts, key=counts.get) if max(counts.values()) else ","


def read_delimited(text: str, is_header, scan_lines: int = 15) -> tuple[pd.DataFrame, int, str]:
    """Find the header row among the first lines (`is_header(cells)`), then read the rest as strings.

    Returns the frame (all values as stripped strings, blanks as ''), the header's 0-based line index and the
    delimiter. Raises FileRejected when no header matches.
    """
    lines = text.splitlines()[:scan_lines]
    for index, line in enumerate(lines):
        delimiter = sniff_delimiter(line)
        cells = next(csv.reader([line], delimiter=delimiter), [])
        if is_header([normalise_header(c) for c in cells]):
            frame = pd.read_csv(
                io.StringIO(text),
                sep=delimiter,
                skiprows=index + 1,
                header=None,
                names=range(len(cells) + 1),  # one slot beyond the header: a trailing delimiter, or a row that overflows
                index_col=False,
                dtype=STRING,
                keep_default_na=False,
                skip_blank_lines=True,
                quotechar='"',
                engine="c",
            )
            _refuse_truncated(text, delimiter, len(cells))
            frame = _refuse_overflow(frame.apply(as_text), len(cells), index)
            frame = _drop_repeated_columns(frame, [str(c).replace("\ufeff", "").strip() for c in cells])
            _refuse_oversized(frame)
            return frame, index, delimiter
    raise FileRejected("no recognisable header row in the first lines of the file")


def _drop_repeated_columns(frame: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    """Name the columns; a header written twice (Google's `Currency code`) is one column when the copies agree."""
    keys = [normalise_header(name) for name in names]
    keep = []
    for position, key in enumerate(keys):
        first = keys.index(key)
        if not key or first == position:
            keep.append(position)
        elif not frame[first].equals(frame[position]):
            raise FileRejected(f"the header names {names[position]!r} more than once with different values: which one holds the data is ambiguous")
    frame = frame[keep]
    frame.columns = [names[position] or f"Unnamed: {position}" for position in keep]
    return frame


def _refuse_overflow(frame: pd.DataFrame, width: int, header_line: int) -> pd.DataFrame:
    """Rows may end with a delimiter (an empty field past the header): dropped. A value past the header is a row that
    overflowed (an unquoted delimiter inside a value): the columns of that row cannot be known, the file is refused."""
    extra = frame[width]
    if (extra != "").any():
        row = int(extra.index[extra != ""][0]) + 1
        raise FileRejected(f"data row {row} (line {header_line + 1 + row} of the file) has more fields than the header: a value holds an "
                           "unquoted delimiter, so its columns cannot be known; export the file again")
    return frame.drop(columns=width)


MAX_FIELD_CHARS = 100_000  # Shopify's longest free text (notes, HTML bodies) stays far below this


def _refuse_oversized(frame: pd.DataFrame) -> None:
    """A cell of a megabyte is no export a vendor writes: a corrupted or hostile file, refused naming the cell."""
    for column in frame.columns:
        lengths = frame[column].str.len()
        if len(lengths) and lengths.max() > MAX_FIELD_CHARS:
            row = int(lengths.idxmax()) + 1
            raise FileRejected(f"row {row}, column {column!r} holds {int(lengths.max()):,} characters (more than {MAX_FIELD_CHARS:,}): "
                               "not an export a vendor writes; the file is damaged or was edited")


def _refuse_truncated(text: str, delimiter: str, header_fields: int) -> None:
    """A file whose last line stops short (no newline, fewer fields than the header) was cut off mid-row."""
    stripped = text.rstrip("\r\n")
    if text.endswith(("\n", "\r")) or not stripped:
        return
    last = stripped.rsplit("\n", 1)[-1]
    fields = next(csv.reader([last], delimiter=delimiter), [])
    if 0 < len(fields) < header_fields:
        rows = stripped.count("\n")
        raise FileRejected(
            f"the file ends in the middle of its last row (line {rows + 1} has {len(fields)} of {header_fields} fields "
            "and no line end): the download or copy was interrupted; export it again"
        )


class Columns:
    """Finds a frame's columns by any of several header spellings (case-insensitive, currency suffix aside)."""

    def __init__(self, frame: pd.DataFrame):
        self.frame = frame
        self.by_key: dict[str, str] = {}
        self.currencies: dict[str, str] = {}
        for original in frame.columns:
            key = normalise_header(original)
            base, currency = split_currency(key)
            self.by_key.setdefault(key, original)
            self.by_key.setdefault(base, original)
            if currency:
                self.currencies[original] = currency

    def find(self, *aliases: str) -> str | None:
        for alias in aliases:
            original = self.by_key.get(alias)
            if original is not None:
                return original
        return None

    def get(self, *aliases: str) -> pd.Series:
        """The first matching column, or an all-blank column when none is present."""
        original = self.find(*aliases)
        if original is None:
            return pd.Series("", index=self.frame.index, dtype=STRING)
        return self.frame[original]

    def require(self, what: dict[str, tuple[str, ...]], source: str) -> None:
        missing = [label for label, aliases in what.items() if self.find(*aliases) is None]
        if missing:
            raise FileRejected(
                f"{source} file is missing required column(s): {', '.join(missing)} "
                f"(found: {', '.join(map(str, self.frame.columns[:12]))}{' …' if len(self.frame.columns) > 12 else ''})"
            )


# ---------------------------------------------------------------- values


STRING = "string[pyarrow]"  # Arrow-backed text: vectorised string functions instead of Python loops


def as_text(values: pd.Series) -> pd.Series:
    """Stripped text with missing values as ''."""
    return values.astype(STRING).fillna("").str.strip()


def blank_mask(values: pd.Series) -> pd.Series:
    return as_text(values).str.lower().isin(BLANKS).astype(bool)


def infer_decimal(values: pd.Series, default: str = ".") -> str:
    """Decimal separator of a column of numbers written as text ('1 234,56', '1.234,56', '1,234.56')."""
    sample = as_text(values[~blank_mask(values)].head(5000))
    if sample.empty:
        return default
    comma_votes = sample.str.contains(r"\.\d{3},\d*$|^-?\d*,\d{1,2}$|,\d{4,}$|^-?\d+ \d{3},\d+$", regex=True).sum()
    dot_votes = sample.str.contains(r",\d{3}\.\d*$|^-?\d*\.\d{1,2}$|\.\d{4,}$", regex=True).sum()
    if comma_votes > dot_votes:
        return ","
    if dot_votes > comma_votes:
        return "."
    return default


def parse_numbers(values: pd.Series, decimal: str | None = None, default_decimal: str = ".") -> tuple[pd.Series, pd.Series]:
    """Floats from localised text; returns (numbers, bad) where bad marks non-blank text that is not a number."""
    text = as_text(values)
    blank = text.str.lower().isin(NUMBER_PLACEHOLDERS).astype(bool)
    cleaned = text.str.replace("[\\s\u00a0\u202f'’$€£¥₹%]|[A-Z]{3}$", "", regex=True)
    decimal = decimal or infer_decimal(cleaned, default_decimal)
    if decimal == ",":
        cleaned = cleaned.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    else:
        cleaned = cleaned.str.replace(",", "", regex=False)
    numbers = pd.to_numeric(cleaned.where(~blank), errors="coerce")
    bad = numbers.isna() & ~blank
    return numbers.astype("float64"), bad


DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%b %d, %Y", "%d %b %Y", "%m/%d/%Y", "%d/%m/%Y", "%d.%m.%Y", "%Y-%m-%d %H:%M:%S",
                "%Y-%m-%d %H:%M")


def parse_dates(values: pd.Series, formats: tuple[str, ...] = DATE_FORMATS) -> tuple[pd.Series, pd.Series]:
    """Calendar days from text in the first format that reads every non-blank value; (dates, bad)."""
    text = as_text(values).astype(object)
    blank = blank_mask(text)
    best = None
    for fmt in formats:
        parsed = pd.to_datetime(text.where(~blank), format=fmt, errors="coerce")
        bad = parsed.isna() & ~blank
        if not bad.any():
            return parsed.dt.normalize(), bad
        if best is None or bad.sum() < best[1].sum():
            best = (parsed.dt.normalize(), bad)
    return best


_DATE_IN_NAME = re.compile(r"(20\d{2})[-_.]?(0[1-9]|1[0-2])[-_.]?(0[1-9]|[12]\d|3[01])")


def file_date(name: str, mtime: float | None) -> tuple[date, str]:
    """A snapshot file's date: from its name when it carries one, else the last complete day (UTC) before it was
    exported (modified): an inventory export taken this morning is last night's closing stock, so this morning's
    run, which materializes through yesterday, uses it (dated today, it would wait for tomorrow's)."""
    match = _DATE_IN_NAME.search(name)
    if match:
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3))), "filename"
    if mtime is None:
        raise FileRejected("snapshot file has no date in its name and no modification time")
    return (datetime.fromtimestamp(mtime, tz=timezone.utc) - timedelta(days=1)).date(), "mtime"


def flag_rows(problems: list[Problem], mask: pd.Series, column: str, rule: str, message: str, values: pd.Series | None = None) -> None:
    """Append one problem per row where `mask` holds; messages may use {value} (never for personal data)."""
    for index in mask[mask].index:
        value = "" if values is None else values.loc[index]
        value = "" if value is None or value is pd.NA else redact(str(value)[:200])  # an e-mail in a price column stays out
        problems.append(Problem(row=int(index) + 1, column=column, rule=rule, message=message.format(value=value), value=value))


def variant_keys(handle: pd.Series, options: list[pd.Series]) -> pd.Series:
    """A variant's key, `handle/option1/option2/option3`: what identifies a variant in Shopify. Not the SKU: most
    stores have none, and stores that have them reuse one SKU for several sizes (one export: 4,130 variant rows of
    shared SKUs). Products and inventory exports both carry handle and option values, so they key a variant alike."""
    parts = [as_text(handle).str.lower()] + [as_text(o).where(as_text(o).str.lower() != "default title", "") for o in options]
    by_options = parts[0]
    for part in parts[1:]:
        by_options = by_options.str.cat(part, sep="/")
    return by_options.str.rstrip("/").astype("string")


def line_names(title: pd.Series, options: list[pd.Series]) -> pd.Series:
    """How the orders export names a variant's line: `Title`, or `Title - Option1 / Option2` (Shopify's variant title)."""
    values = [as_text(o).where(as_text(o).str.lower() != "default title", "") for o in options]
    variant = values[0]
    for value in values[1:]:
        variant = variant.str.cat(value, sep=" / ")
    variant = variant.str.replace(r"( / )+$", "", regex=True).str.strip(" /")
    title = as_text(title)
    return title.where(variant == "", title + " - " + variant).astype("string")
