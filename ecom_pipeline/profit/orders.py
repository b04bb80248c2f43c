"""`orders_enriched`: one row per order with its contribution margin and where each part came from.

Refunds are applied to merchandise first, then taxes, then shipping (the export's `Refunded Amount` is one
undated total). Contribution margin = net sales + shipping revenue − COGS − label cost − payment fees, where
net sales = gross sales − discounts − merchandise refunds. A cancelled order earns and costs nothing but the
labels printed for it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ecom_pipeline.profit.catalog import match_variants


@dataclass(frozen=True)
class ProfitConfig:
    payment_fee_rate: float = 0.029
    payment_fee_fixed: float = 0.30
    default_cogs_rate: float = 0.40  # COGS as a share of the line price when a SKU has no unit cost


def unit_costs(lines: pd.DataFrame, products: pd.DataFrame) -> pd.DataFrame:
    """Each line's unit cost as of its order day (latest product snapshot on or before it, else the first after);
    a line finds its variant by SKU, else by its name (`match_variants`)."""
    catalog = products.dropna(subset=["unit_cost"]).sort_values("snapshot_date")[["variant_key", "snapshot_date", "unit_cost"]]
    lines = lines.reset_index(drop=True).assign(_row=lambda f: range(len(f)))
    lines["variant_key"] = match_variants(lines, products)
    ordered = lines.sort_values("order_date")
    backward = pd.merge_asof(ordered, catalog, left_on="order_date", right_on="snapshot_date", by="variant_key", direction="backward")
    forward = pd.merge_asof(ordered, catalog, left_on="order_date", right_on="snapshot_date", by="variant_key", direction="forward")
    cost = backward.set_index("_row")["unit_cost"].fillna(forward.set_index("_row")["unit_cost"])
    return lines.assign(unit_cost=lines["_row"].map(cost)).drop(columns="_row")


LABEL_COLUMNS = ["order_name", "tracking_number", "shipped_date", "delivered_date", "label_cost", "voided"]  # what pricing reads of shipments


def enrich_orders(orders: pd.DataFrame, lines: pd.DataFrame, products: pd.DataFrame, labels: pd.DataFrame,
                  history: pd.DataFrame, config: ProfitConfig = ProfitConfig()) -> pd.DataFrame:
    """Orders with COGS, label cost, fees, refunds and contribution margin; `history` (all orders ever, including
    these) gives each customer's order sequence."""
    costed = unit_costs(lines, products)
    estimated = costed["unit_cost"].isna()
    line_cogs = np.where(estimated, costed["price"] * config.default_cogs_rate, costed["unit_cost"]) * costed["quantity"]
    per_order = pd.DataFrame({"order_id": costed["order_id"], "cogs": line_cogs, "estimated": estimated,
                              "units": costed["quantity"]}).groupby("order_id").agg(
        cogs=("cogs", "sum"), cogs_estimated=("estimated", "any"), lines_without_cost=("estimated", "sum"), units=("units", "sum"))
    live = labels[~labels["voided"].fillna(False).astype(bool)]
    # ShipStation may write Shopify's `#1001` as `1001`: match names without the sign.
    shipping = live.assign(order_name=live["order_name"].str.lstrip("#")).groupby("order_name").agg(label_cost=("label_cost", "sum"), packages=("tracking_number", "nunique"),
                                              shipped_date=("shipped_date", "min"), delivered_date=("delivered_date", "max"))
    out = orders.join(per_order, on="order_id").assign(_name=orders["name"].str.lstrip("#")).join(shipping, on="_name").drop(columns="_name")
    cancelled = out["cancelled_timestamp"].notna() | (out["financial_status"] == "voided")
    refunded = out["refunded_amount"].fillna(0.0)
    merchandise_refund = np.minimum(refunded, out["subtotal"].fillna(0.0))
    shipping_refund = (refunded - out["subtotal"].fillna(0.0) - out["total_tax"].fillna(0.0)).clip(lower=0.0).clip(upper=out["shipping_charged"])
    out["cogs"] = np.where(cancelled, 0.0, out["cogs"].fillna(0.0)).round(2)
    out["label_cost"] = out["label_cost"].fillna(0.0).round(2)
    out["packages"] = out["packages"].fillna(0).astype(int)
    out["returns"] = np.where(cancelled, 0.0, merchandise_refund).round(2)
    out["net_sales"] = np.where(cancelled, 0.0, out["gross_sales"] - out["discounts"] - merchandise_refund).round(2)
    out["shipping_revenue"] = np.where(cancelled, 0.0, out["shipping_charged"] - shipping_refund).round(2)
    # Nothing charged (a 100 %-discount order), nothing paid to the processor.
    charged = out["total_price"].fillna(0.0) > 0
    out["payment_fees"] = np.where(cancelled | ~charged, 0.0, out["total_price"] * config.payment_fee_rate + config.payment_fee_fixed).round(2)
    out["contribution_margin"] = (out["net_sales"] + out["shipping_revenue"] - out["cogs"] - out["label_cost"] - out["payment_fees"]).round(2)
    out["cogs_estimated"] = out["cogs_estimated"].fillna(False).astype(bool) & ~cancelled
    out["lines_without_cost"] = out["lines_without_cost"].fillna(0).astype(int)
    out["cancelled"] = cancelled
    out["delivery_days"] = (out["delivered_date"] - out["order_date"]).dt.days
    sequence = history.dropna(subset=["customer_key"]).sort_values(["created_timestamp", "order_id"], kind="stable")
    seq = pd.Series((sequence.groupby("customer_key").cumcount() + 1).to_numpy(), index=sequence["order_id"].to_numpy())
    out["customer_order_seq_number"] = out["order_id"].map(seq).astype("Int64")
    # A POS or draft order without an email has no customer: neither new nor repeat.
    first, repeat = (out["customer_order_seq_number"] == 1).fillna(False), (out["customer_order_seq_number"] > 1).fillna(False)
    out["new_vs_repeat"] = np.where(first, "new", np.where(repeat, "repeat", pd.NA))
    out["is_first_order"] = first
    return out
