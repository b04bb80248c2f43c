"""The expectations of every canonical table, as readable code beside the table schemas.

Three kinds of rule:
- `row`: a row that fails is quarantined (kept with its file, row, column and reason) and the rest proceeds;
- `structure`: the table as a whole is broken; a blocking ERROR check, downstream does not run;
- `anomaly`: worth a look, not wrong for sure; a WARN check.
Each rule is one Great Expectations 1.x expectation, sometimes on a helper column computed by `prepare` (order
arithmetic, dates against today). GX is imported only when a suite is built.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Callable

import pandas as pd

from ecom_pipeline.schemas import TABLES
from ecom_pipeline.validation.currencies import ISO_4217

SHA256_HEX = r"^[0-9a-f]{64}$"


@dataclass(frozen=True)
class ValidationContext:
    """What some rules need to know beyond the rows: today, the data window, currencies with a rate, tolerance."""

    today: date
    earliest: date  # rows before this day are outside the data window
    currencies_with_rate: frozenset[str]
    order_tolerance: float = 0.01


@dataclass(frozen=True)
class Rule:
    name: str
    kind: str  # row | structure | anomaly
    column: str  # the column a person should look at
    message: str  # what a failure means, in a sentence
    expectation: Callable[[object, ValidationContext], object]  # (gx.expectations module, context) -> Expectation
    key_columns: tuple[str, ...] = field(default=())
    reads: tuple[str, ...] = field(default=())  # columns the expectation reads, when not just `column`
    schema_only: bool = False  # looks at column names only: validated on a single row

    @property
    def columns_read(self) -> tuple[str, ...]:
        return self.reads or self.key_columns or (self.column,)


def non_negative(column: str) -> Rule:
    return Rule(f"{column}_non_negative", "row", column, f"{column} is negative",
                lambda e, c: e.ExpectColumnValuesToBeBetween(column=column, min_value=0))


def not_null(column: str) -> Rule:
    return Rule(f"{column}_present", "row", column, f"{column} is missing",
                lambda e, c: e.ExpectColumnValuesToNotBeNull(column=column))


def not_in_future(column: str) -> Rule:
    return Rule(f"{column}_not_in_future", "row", column, f"{column} is in the future",
                lambda e, c: e.ExpectColumnValuesToBeBetween(column=column, max_value=pd.Timestamp(c.today + timedelta(days=1))))


def inside_data_window(column: str) -> Rule:
    return Rule(f"{column}_inside_data_window", "row", column, f"{column} is before the data window",
                lambda e, c: e.ExpectColumnValuesToBeBetween(column=column, min_value=pd.Timestamp(c.earliest)))


def known_currency() -> Rule:
    return Rule("currency_is_iso_4217", "row", "currency", "currency is not an ISO-4217 code",
                lambda e, c: e.ExpectColumnValuesToBeInSet(column="currency", value_set=sorted(ISO_4217)))


def currency_with_rate() -> Rule:
    """A currency without a rate is not an error in the row: its amounts land in their own currency, flagged."""
    return Rule("currency_has_exchange_rate", "anomaly", "currency",
                "no exchange rate into the shop currency: amounts stay in their own currency (fx_missing); land a dated FX "
                "export or set ECOM_PIPELINE_FX_RATES",
                lambda e, c: e.ExpectColumnValuesToBeInSet(column="currency", value_set=sorted(c.currencies_with_rate)))


def unique_key(table: str) -> Rule:
    key = TABLES[table].key
    return Rule(f"{table}_key_unique", "structure", ", ".join(key), f"more than one row per {' × '.join(key)}",
                lambda e, c: e.ExpectCompoundColumnsToBeUnique(column_list=list(key)) if len(key) > 1 else e.ExpectColumnValuesToBeUnique(column=key[0]),
                key_columns=key)


def columns_match(table: str) -> Rule:
    columns = list(TABLES[table].columns)
    return Rule(f"{table}_columns", "structure", "(table)", "canonical columns are missing",
                lambda e, c: e.ExpectTableColumnsToMatchSet(column_set=columns, exact_match=False), reads=tuple(columns), schema_only=True)


SUITES: dict[str, list[Rule]] = {
    "ad_performance": [
        columns_match("ad_performance"), unique_key("ad_performance"),
        not_null("date_day"), not_in_future("date_day"), known_currency(), currency_with_rate(),
        non_negative("spend"), non_negative("impressions"), non_negative("clicks"),
        non_negative("conversions"), non_negative("conversions_value"),
        Rule("clicks_at_most_impressions", "anomaly", "clicks", "more clicks than impressions",
             lambda e, c: e.ExpectColumnPairValuesAToBeGreaterThanB(column_A="impressions", column_B="clicks", or_equal=True),
             reads=("impressions", "clicks")),
    ],
    "orders": [
        columns_match("orders"), unique_key("orders"),
        not_null("order_id"), not_in_future("order_date"), inside_data_window("order_date"), known_currency(), currency_with_rate(),
        *(non_negative(c) for c in ("subtotal", "gross_sales", "discounts", "shipping_charged", "total_tax", "total_price", "refunded_amount")),
        Rule("subtotal_is_lines_minus_discounts", "row", "subtotal", "Subtotal is not Σ line price × quantity − Discount Amount",
             lambda e, c: e.ExpectColumnValuesToBeBetween(column="_subtotal_gap", max_value=c.order_tolerance), reads=("_subtotal_gap", "subtotal")),
        Rule("total_adds_up", "row", "total_price", "Total is neither Subtotal + Shipping + Taxes + Tip + Duties nor Subtotal + Shipping + Tip + Duties (taxes included)",
             lambda e, c: e.ExpectColumnValuesToBeBetween(column="_total_gap", max_value=c.order_tolerance), reads=("_total_gap", "total_price")),
        Rule("customer_key_is_sha256", "row", "customer_key", "customer_key is not a SHA-256 hex digest",
             lambda e, c: e.ExpectColumnValuesToMatchRegex(column="customer_key", regex=SHA256_HEX)),
    ],
    "order_lines": [
        columns_match("order_lines"), unique_key("order_lines"),
        not_null("order_id"), non_negative("quantity"), non_negative("price"), non_negative("discount"),
    ],
    "products": [
        columns_match("products"), unique_key("products"), non_negative("price"), non_negative("unit_cost"),
        Rule("unit_cost_below_price", "anomaly", "unit_cost", "unit cost is not below the price",
             lambda e, c: e.ExpectColumnPairValuesAToBeGreaterThanB(column_A="price", column_B="unit_cost", or_equal=False, ignore_row_if="either_value_is_missing"),
             reads=("price", "unit_cost")),
    ],
    "inventory_levels": [
        columns_match("inventory_levels"), unique_key("inventory_levels"), not_in_future("snapshot_date"),
        Rule("available_not_negative", "anomaly", "available", "available stock is negative (oversold)",
             lambda e, c: e.ExpectColumnValuesToBeBetween(column="available", min_value=0)),
    ],
    "shipments": [
        columns_match("shipments"), unique_key("shipments"), not_in_future("shipped_date"), non_negative("label_cost"),
        Rule("delivered_not_before_shipped", "row", "delivered_date", "delivered before it was shipped",
             lambda e, c: e.ExpectColumnPairValuesAToBeGreaterThanB(column_A="delivered_date", column_B="shipped_date", or_equal=True, ignore_row_if="either_value_is_missing"),
             reads=("delivered_date", "shipped_date")),
    ],
    "fx_rates": [
        columns_match("fx_rates"), unique_key("fx_rates"),
        Rule("rate_positive", "row", "rate", "the exchange rate is not positive",
             lambda e, c: e.ExpectColumnValuesToBeBetween(column="rate", min_value=0, strict_min=True)),
    ],
    "lift_tests": [
        columns_match("lift_tests"), unique_key("lift_tests"), not_in_future("end_date"),
        Rule("standard_error_positive", "row", "standard_error", "the standard error is not positive",
             lambda e, c: e.ExpectColumnValuesToBeBetween(column="standard_error", min_value=0, strict_min=True)),
    ],
    "touchpoints": [
        columns_match("touchpoints"), unique_key("touchpoints"),
        not_in_future("event_timestamp_day"), inside_data_window("event_timestamp_day"), non_negative("revenue"),
        Rule("customer_key_is_sha256", "row", "customer_key", "customer_key is not a SHA-256 hex digest (a raw email must never pass)",
             lambda e, c: e.ExpectColumnValuesToMatchRegex(column="customer_key", regex=SHA256_HEX)),
    ],
}

# Helper columns some rules read; added before validation, never stored.
HELPERS = ("_subtotal_gap", "_total_gap", "event_timestamp_day")


def prepare(table: str, frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with the helper columns its rules need."""
    if table == "orders":
        gap = (frame["subtotal"] - (frame["gross_sales"] - frame["discounts"])).abs()
        # Tips and import duties are in Total but neither in Subtotal nor in Taxes.
        before_extras = frame["total_price"] - frame["tips"].fillna(0.0) - frame["duties"].fillna(0.0)
        exclusive = (before_extras - (frame["subtotal"] + frame["shipping_charged"] + frame["total_tax"])).abs()
        inclusive = (before_extras - (frame["subtotal"] + frame["shipping_charged"])).abs()
        return frame.assign(_subtotal_gap=gap.round(6), _total_gap=pd.concat([exclusive, inclusive], axis=1).min(axis=1).round(6))
    if table == "touchpoints":
        return frame.assign(event_timestamp_day=frame["event_timestamp"].dt.tz_convert(None).dt.normalize())
    return frame


def rules_of(table: str, kinds: tuple[str, ...]) -> list[Rule]:
    return [rule for rule in SUITES[table] if rule.kind in kinds]
