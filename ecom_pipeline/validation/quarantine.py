"""Hold back the rows that fail row rules, keeping each one's file, row, column, rule and reason."""

from __future__ import annotations

from datetime import date

import pandas as pd

from ecom_pipeline.privacy import mask
from ecom_pipeline.schemas import QUARANTINE, TABLES, conform
from ecom_pipeline.settings import Settings
from ecom_pipeline.validation.engine import Outcome, validate
from ecom_pipeline.validation.rules import ValidationContext

def context_for(settings: Settings, today: date | None = None, dated_rates: frozenset[str] = frozenset()) -> ValidationContext:
    """`dated_rates`: currencies the landed FX tables give a rate for, besides the configured fixed rates."""
    return ValidationContext(
        today=today or date.today(),
        earliest=date.fromisoformat(settings.start_date),
        currencies_with_rate=frozenset(settings.rates()) | dated_rates,
        order_tolerance=settings.order_tolerance,
    )


def hold_back(table: str, family: str, frame: pd.DataFrame, context: ValidationContext) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(rows that pass every row rule, quarantine records for the rows that do not)."""
    frame = frame.reset_index(drop=True)
    outcomes = [o for o in validate(table, frame, context, ("row",)) if not o.success]
    records = records_for(table, family, frame, outcomes)
    failed = sorted({p for o in outcomes for p in o.failed_positions})
    return frame.drop(index=failed).reset_index(drop=True), records


def records_for(table: str, family: str, frame: pd.DataFrame, outcomes: list[Outcome]) -> pd.DataFrame:
    spec = TABLES[table]
    rows = []
    for outcome in outcomes:
        column = outcome.rule.column if outcome.rule.column in frame.columns else None
        for position in outcome.failed_positions:
            row = frame.iloc[position]
            value = row[column] if column else ""
            rows.append({
                "source_file": row["source_file"], "source_hash": row["source_hash"], "source_row": row["source_row"],
                "family": family, "table": table, "day": row[spec.partition_column], "stage": "validate",
                "column": outcome.rule.column, "rule": outcome.rule.name,
                "message": f"{outcome.rule.message}: {mask(outcome.rule.column, value)}" if column else outcome.rule.message,
                "value": mask(outcome.rule.column, value),
            })
    return conform(pd.DataFrame(rows), QUARANTINE) if rows else QUARANTINE.empty()


def hold_back_orders(orders: pd.DataFrame, lines: pd.DataFrame, family: str, context: ValidationContext) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Orders and their lines stand or fall together: a failing order holds back its lines and vice versa.

    Returns (orders kept, lines kept, quarantine records); an order's head row is also its first line's row, so
    each file row is recorded once.
    """
    orders, lines = orders.reset_index(drop=True), lines.reset_index(drop=True)
    order_fails = [o for o in validate("orders", orders, context, ("row",)) if not o.success]
    line_fails = [o for o in validate("order_lines", lines, context, ("row",)) if not o.success]
    bad_ids = {orders.at[p, "order_id"] for o in order_fails for p in o.failed_positions}
    bad_ids |= {lines.at[p, "order_id"] for o in line_fails for p in o.failed_positions}
    records = pd.concat([records_for("orders", family, orders, order_fails), records_for("order_lines", family, lines, line_fails)], ignore_index=True)
    recorded = set(zip(records["source_hash"], records["source_row"]))
    extra = []
    for table, frame in (("orders", orders), ("order_lines", lines)):
        held = frame[frame["order_id"].isin(bad_ids)]
        for row in held.itertuples():
            if (row.source_hash, row.source_row) in recorded:
                continue
            recorded.add((row.source_hash, row.source_row))
            extra.append({"source_file": row.source_file, "source_hash": row.source_hash, "source_row": row.source_row,
                          "family": family, "table": table, "day": row.order_date, "stage": "validate", "column": "order_id",
                          "rule": "order_quarantined", "message": f"held back with the rest of order {row.order_id}, which failed a rule",
                          "value": str(row.order_id)})
    if extra:
        records = pd.concat([records, conform(pd.DataFrame(extra), QUARANTINE)], ignore_index=True)
    keep_orders = ~orders["order_id"].isin(bad_ids)
    keep_lines = ~lines["order_id"].isin(bad_ids)
    return orders[keep_orders].reset_index(drop=True), lines[keep_lines].reset_index(drop=True), records
