"""Run a table's rules with Great Expectations 1.x, in-process, and say which rows failed which rule.

GX takes seconds to import, so it is imported on first use, and one ephemeral context serves the process.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from functools import lru_cache

import pandas as pd

from ecom_pipeline.validation.rules import Rule, ValidationContext, prepare, rules_of

ROW_ID = "_row_id"


@dataclass
class Outcome:
    """One rule's verdict on a frame: the positions (in the frame) of the rows that failed it."""

    rule: Rule
    success: bool
    failed_positions: list[int] = field(default_factory=list)  # all of them for row rules, a sample for checks
    unexpected_count: int | None = None


@lru_cache(maxsize=1)
def _gx():
    warnings.filterwarnings("ignore", module="great_expectations")
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    batch_definition = context.data_sources.add_pandas("frames").add_dataframe_asset("frame").add_batch_definition_whole_dataframe("whole")
    return gx, batch_definition


def validate(table: str, frame: pd.DataFrame, context: ValidationContext, kinds: tuple[str, ...]) -> list[Outcome]:
    """Every rule of `kinds` for `table` on `frame` (rows identified by position)."""
    rules = rules_of(table, kinds)
    if not rules or frame.empty:
        return [Outcome(rule, True) for rule in rules]
    frame = prepare(table, frame.reset_index(drop=True))
    schema = [rule for rule in rules if rule.schema_only]
    data = [rule for rule in rules if not rule.schema_only]
    outcomes = _run(schema, frame.head(1), context, complete=False) if schema else []
    if data:
        # GX fingerprints the whole frame it is given: hand it only the columns the rules read.
        columns = list(dict.fromkeys(c for rule in data for c in rule.columns_read if c in frame.columns))
        outcomes += _run(data, frame[columns], context, complete="row" in kinds)
    order = {rule.name: i for i, rule in enumerate(rules)}
    return sorted(outcomes, key=lambda o: order[o.rule.name])


def _run(rules: list[Rule], frame: pd.DataFrame, context: ValidationContext, complete: bool) -> list[Outcome]:
    """One GX validation; `complete` lists every failing row (quarantine), otherwise counts and a sample."""
    gx, batch_definition = _gx()
    suite = gx.ExpectationSuite(name="rules")
    for rule in rules:
        expectation = rule.expectation(gx.expectations, context)
        expectation.meta = {"rule": rule.name}
        suite.add_expectation(expectation)
    batch = batch_definition.get_batch(batch_parameters={"dataframe": frame.assign(**{ROW_ID: range(len(frame))})})
    result_format = {"result_format": "COMPLETE" if complete else "SUMMARY", "unexpected_index_column_names": [ROW_ID],
                     "return_unexpected_index_query": False, "partial_unexpected_count": 20}
    result = batch.validate(suite, result_format=result_format)
    by_name = {rule.name: rule for rule in rules}
    outcomes = []
    for item in result.results:
        rule = by_name[item.expectation_config.meta["rule"]]
        if item.exception_info and item.exception_info.get("raised_exception"):
            raise RuntimeError(f"rule {rule.name} could not be evaluated: {item.exception_info.get('exception_message')}")
        indices = item.result.get("unexpected_index_list") or item.result.get("partial_unexpected_index_list") or []
        positions = sorted({entry[ROW_ID] if isinstance(entry, dict) else int(entry) for entry in indices})
        outcomes.append(Outcome(rule, bool(item.success), positions, item.result.get("unexpected_count")))
    return outcomes
