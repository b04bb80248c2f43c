"""Table-level checks of a run's rows: structure (blocking ERROR), anomalies (WARN), quarantined rows, spend jumps.

Pure functions: each returns CheckOutcome objects that the Dagster layer turns into asset check results.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from ecom_pipeline.schemas import TABLES
from ecom_pipeline.validation.engine import validate
from ecom_pipeline.privacy import mask
from ecom_pipeline.validation.rules import ValidationContext, rules_of

SAMPLE_ROWS = 5
SPEND_JUMP = 3.0  # spend above 3x, or below 1/3 of, the trailing 7-day median is an anomaly


@dataclass
class CheckOutcome:
    name: str
    passed: bool
    severity: str  # ERROR | WARN
    description: str
    count: int = 0
    sample: pd.DataFrame = field(default_factory=pd.DataFrame)
    files: list[str] = field(default_factory=list)


def check_names(table: str) -> list[tuple[str, str, bool]]:
    """(name, description, blocking) of every check a raw asset of `table` carries."""
    names = [(rule.name, rule.message, rule.kind == "structure") for rule in rules_of(table, ("structure", "anomaly"))]
    names.append(("rows_quarantined", "rows of the files behind these days that were held back (parse or row rules)", False))
    if table == "ad_performance":
        names.append(("spend_anomaly", "a campaign's daily spend above 3x or below 1/3 of its trailing 7-day median", False))
    return names


def table_checks(table: str, frame: pd.DataFrame, context: ValidationContext) -> list[CheckOutcome]:
    spec = TABLES[table]
    frame = frame.reset_index(drop=True)
    outcomes = []
    for outcome in validate(table, frame, context, ("structure", "anomaly")):
        rule = outcome.rule
        rows = frame.iloc[outcome.failed_positions]
        columns = [c for c in (*spec.key, rule.column, "source_file", "source_row") if c in frame.columns]
        sample = rows[list(dict.fromkeys(columns))].head(SAMPLE_ROWS)
        if rule.kind == "structure" and rule.key_columns and not outcome.success:
            duplicated = frame[frame.duplicated(list(rule.key_columns), keep=False)]
            sample = duplicated[list(dict.fromkeys([*rule.key_columns, "source_file", "source_row"]))].head(SAMPLE_ROWS)
            count = int(frame.duplicated(list(rule.key_columns)).sum())
        else:
            count = outcome.unexpected_count if outcome.unexpected_count is not None else int(not outcome.success)
        outcomes.append(CheckOutcome(
            name=rule.name, passed=outcome.success, severity="ERROR" if rule.kind == "structure" else "WARN",
            description=rule.message if not outcome.success else f"passed: {rule.name.replace('_', ' ')}",
            count=count, sample=_masked(sample), files=sorted(rows["source_file"].dropna().unique().tolist()) if "source_file" in rows else [],
        ))
    return outcomes


def quarantine_check(records: pd.DataFrame) -> CheckOutcome:
    held = records.drop_duplicates(["source_hash", "source_row"]) if len(records) else records
    by_rule = records.groupby("rule").size().sort_values(ascending=False) if len(records) else pd.Series(dtype=int)
    return CheckOutcome(
        name="rows_quarantined", passed=held.empty, severity="WARN",
        description="no row held back" if held.empty else f"{len(held)} row(s) held back: " + ", ".join(f"{rule} ×{n}" for rule, n in by_rule.head(5).items()),
        count=len(held), sample=records[["source_file", "source_row", "column", "rule", "message"]].head(SAMPLE_ROWS) if len(records) else pd.DataFrame(),
        files=sorted(records["source_file"].dropna().unique().tolist()) if len(records) else [],
    )


def spend_anomalies(frame: pd.DataFrame, run_days: list[str]) -> CheckOutcome:
    """Campaign-days of the run whose spend jumps above 3x or falls below 1/3 of the trailing 7-day median.

    `frame` holds the run's rows plus the 7 days before it; days without a row count as zero spend.
    """
    if frame.empty:
        return CheckOutcome("spend_anomaly", True, "WARN", "no spend to compare")
    daily = frame.groupby(["campaign_id", "date_day"])["spend"].sum().unstack(fill_value=0.0)
    all_days = pd.date_range(daily.columns.min(), max(daily.columns.max(), pd.Timestamp(run_days[-1])), freq="D")
    daily = daily.reindex(columns=all_days, fill_value=0.0)
    median = daily.T.rolling(7, min_periods=3).median().shift(1).T
    ratio = daily / median.where(median > 0)
    flagged = ((ratio > SPEND_JUMP) | (ratio < 1 / SPEND_JUMP)).stack()
    flagged = flagged[flagged]
    run = set(pd.to_datetime(run_days))
    rows = [
        {"campaign_id": campaign, "date_day": day.strftime("%Y-%m-%d"), "spend": round(float(daily.at[campaign, day]), 2),
         "trailing_7d_median": round(float(median.at[campaign, day]), 2)}
        for campaign, day in flagged.index if day in run
    ]
    sample = pd.DataFrame(rows)
    names = frame.drop_duplicates("campaign_id").set_index("campaign_id")["campaign_name"]
    if len(sample):
        sample.insert(1, "campaign_name", sample["campaign_id"].map(names))
    return CheckOutcome(
        name="spend_anomaly", passed=sample.empty, severity="WARN",
        description="no campaign's spend jumped" if sample.empty else f"{len(sample)} campaign-day(s) spent above {SPEND_JUMP:g}x or below 1/{SPEND_JUMP:g} of their trailing 7-day median",
        count=len(sample), sample=sample.head(SAMPLE_ROWS),
    )


def _masked(sample: pd.DataFrame) -> pd.DataFrame:
    out = sample.copy()
    for column in out.columns:
        out[column] = out[column].map(lambda v, c=column: mask(c, v))
    return out
