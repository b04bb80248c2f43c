"""`ecom-pipeline check-file`: what would happen to this file, without touching the lake.

Detects the family and encoding, parses, applies the row rules, and reports rows read / loaded / quarantined
with the first problems. Exit code 0 when clean, 1 when some rows would be quarantined, 2 when the file would
be rejected.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ecom_pipeline.privacy import neutralise
from ecom_pipeline.settings import Settings
from ecom_pipeline.sources import FileRejected, detect, parse_bytes


@dataclass
class FileReport:
    file: str
    source: str | None = None
    encoding: str | None = None
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    rows_skipped: int = 0
    rejected: bool = False
    notes: list[str] = field(default_factory=list)
    reason: str | None = None
    problems: list[dict] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return 2 if self.rejected else (1 if self.rows_quarantined else 0)

    def as_dict(self, limit: int = 20) -> dict:
        keys = ("file", "source", "encoding", "rows_read", "rows_loaded", "rows_quarantined", "rows_skipped", "rejected", "reason", "notes")
        return {**{k: getattr(self, k) for k in keys}, "problems": self.problems[:limit]}

    def as_text(self, limit: int = 20) -> str:
        if self.rejected:
            return f"{self.file}: REJECTED — {self.reason}"
        lines = [
            f"{self.file}: {self.source} ({self.encoding})",
            f"  rows read {self.rows_read:,}, loaded {self.rows_loaded:,}, quarantined {self.rows_quarantined:,}"
            + (f", skipped {self.rows_skipped:,} (no data by design)" if self.rows_skipped else ""),
            *(f"  note: {note}" for note in self.notes),
        ]
        for problem in self.problems[:limit]:
            lines.append(f"  row {problem['row']}, column {problem['column']}: {problem['rule']} — {neutralise(problem['message'])}")
        if len(self.problems) > limit:
            lines.append(f"  … and {len(self.problems) - limit} more problem(s)")
        return "\n".join(lines)


def check_file(path: Path, settings: Settings) -> FileReport:
    from ecom_pipeline.validation.quarantine import context_for, hold_back, hold_back_orders

    report = FileReport(file=str(path))
    try:
        raw = path.read_bytes()
    except OSError as error:
        report.rejected, report.reason = True, f"the file cannot be read: {error.strerror}"
        return report
    try:
        report.source, report.encoding = detect(raw)
        result = parse_bytes(raw, name=path.name, mtime=path.stat().st_mtime, default_currency=settings.shop_currency, shop_timezone=settings.shop_timezone)
    except FileRejected as rejected:
        report.rejected, report.reason = True, rejected.reason
        return report
    problems = [{"row": p.row, "column": p.column, "rule": p.rule, "message": p.message} for p in result.problems]
    tables = {name: frame.assign(source_file=path.name, source_hash="") for name, frame in result.tables.items()}
    from ecom_pipeline.ingest import Registry

    context = context_for(settings, dated_rates=Registry(settings).dated_rate_currencies())
    if result.family == "shopify_orders":
        _, _, held = hold_back_orders(tables["orders"], tables["order_lines"], result.family, context)
    else:
        ((table, frame),) = tables.items()
        _, held = hold_back(table, result.family, frame, context)
    problems += [{"row": int(r.source_row), "column": r.column, "rule": r.rule, "message": r.message} for r in held.itertuples()]
    problems.sort(key=lambda p: (p["row"], p["column"]))
    bad_rows = {p["row"] for p in problems}
    report.rows_read = result.rows_read
    report.rows_quarantined = len(bad_rows)
    report.rows_skipped = result.rows_skipped
    report.rows_loaded = result.rows_read - result.rows_skipped - len(bad_rows)
    report.notes = result.notes
    currencies = {c for frame in tables.values() if "currency" in frame for c in frame["currency"].dropna().unique()}
    if unconverted := sorted(currencies - context.currencies_with_rate):
        from ecom_pipeline.profit.fx import missing_rate_message

        report.notes = [*report.notes, missing_rate_message(unconverted, settings.shop_currency)]
    report.problems = problems
    return report
