"""Inventory guardrails: how many days of stock the products each campaign sells have left.

Campaigns advertise products (a Shopify handle), which are sold as variants (their SKU, else handle + options; an
order line finds its variant by SKU, else by name: `match_variants`). A campaign's products are those
of the orders it is credited with (units weighted by credit); a product's days of cover are the latest available
stock of all its variants over their recent daily sales, and a restock is on its way when any variant has incoming
units. A campaign is as covered as its least-covered main product (one making up at least `main_share` of its
attributed units).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ecom_pipeline.profit.catalog import match_variants

WINDOW_DAYS = 28
MAIN_SHARE = 0.2


def product_of(products: pd.DataFrame) -> dict[str, str]:
    """Variant key → product handle, from the latest products export (a variant without a handle is its own product)."""
    known = products.dropna(subset=["variant_key"]).sort_values("snapshot_date").drop_duplicates("variant_key", keep="last")
    return dict(zip(known["variant_key"], known["handle"].fillna(known["variant_key"])))


def with_variants(order_lines: pd.DataFrame, products: pd.DataFrame) -> pd.DataFrame:
    """Order lines with the variant each sold (by SKU, else by name)."""
    return order_lines.assign(variant_key=match_variants(order_lines, products))


def _product(keys: pd.Series, products: dict[str, str]) -> pd.Series:
    return keys.map(products).fillna(keys)


def primary_locations(inventory: pd.DataFrame) -> list[str]:
    """The location that holds the most stock over all snapshots: where online orders ship from, unlike a
    pop-up or retail location whose units the web shop cannot sell."""
    if inventory.empty or inventory["location"].isna().all():
        return []
    return [str(inventory.groupby("location")["available"].sum().idxmax())]


def product_cover(inventory: pd.DataFrame, order_lines: pd.DataFrame, products: dict[str, str], as_of: pd.Timestamp,
                  window: int = WINDOW_DAYS, locations: list[str] | None = None) -> pd.DataFrame:
    """Per product: stock available at the latest snapshot on or before `as_of` (all variants, at `locations`: by
    default the primary location), units incoming, units sold per day over the trailing window, and days of cover."""
    locations = locations or primary_locations(inventory)
    stock = inventory[(inventory["snapshot_date"] <= as_of) & (inventory["location"].isin(locations) if locations else True)]
    latest = stock[stock["snapshot_date"] == stock["snapshot_date"].max()] if len(stock) else stock
    owner = _product(latest["variant_key"], products)
    available = latest["available"].clip(lower=0).groupby(owner).sum().astype(float)
    incoming = latest["incoming"].fillna(0).clip(lower=0).groupby(owner).sum().astype(float)
    since = as_of - pd.Timedelta(days=window - 1)
    recent = order_lines[(order_lines["order_date"] >= since) & (order_lines["order_date"] <= as_of)]
    velocity = recent["quantity"].groupby(_product(recent["variant_key"], products)).sum().astype(float) / window
    table = pd.DataFrame({"available": available, "incoming": incoming, "units_per_day": velocity}).fillna({"units_per_day": 0.0, "incoming": 0.0})
    table["days_of_cover"] = np.where(table["available"].fillna(np.inf) <= 0, 0.0,
                                      table["available"] / table["units_per_day"].where(table["units_per_day"] > 0))
    table["days_of_cover"] = table["days_of_cover"].fillna(np.inf)
    table.index.name = "product"
    return table.reset_index()


def campaign_products(credits: pd.DataFrame, order_lines: pd.DataFrame, products: dict[str, str], model: str) -> pd.DataFrame:
    """Per campaign and product: units attributed under `model` (order units × the campaign's credit) and their share."""
    mine = credits[(credits["model"] == model) & credits["campaign_id"].notna()]
    by_order = mine.groupby(["platform", "campaign_id", "order_id"], as_index=False)["credit"].sum()
    units = by_order.merge(order_lines[["order_id", "variant_key", "quantity"]], on="order_id")
    units["units"] = units["credit"] * units["quantity"]
    units["product"] = _product(units["variant_key"], products)
    table = units.groupby(["platform", "campaign_id", "product"], as_index=False)["units"].sum()
    table["share"] = table["units"] / table.groupby(["platform", "campaign_id"])["units"].transform("sum")
    return table


def campaign_cover(products: pd.DataFrame, cover: pd.DataFrame, main_share: float = MAIN_SHARE) -> pd.DataFrame:
    """Per campaign: days of cover of its least-covered main product, that product, and its main products out of stock."""
    main = products[products["share"] >= main_share].merge(cover, on="product", how="left")
    main["days_of_cover"] = main["days_of_cover"].fillna(np.inf)
    rows = []
    for (platform, campaign), group in main.groupby(["platform", "campaign_id"]):
        worst = group.loc[group["days_of_cover"].idxmin()]
        rows.append({"platform": platform, "campaign_id": campaign, "days_of_cover": float(worst["days_of_cover"]),
                     "limiting_product": worst["product"], "out_of_stock": ", ".join(sorted(group.loc[group["days_of_cover"] <= 0, "product"])),
                     "restock_incoming": bool(worst.get("incoming", 0) > 0)})
    return pd.DataFrame(rows, columns=["platform", "campaign_id", "days_of_cover", "limiting_product", "out_of_stock", "restock_incoming"])


def guardrail(days_of_cover: float, lead_time_days: float, low_stock_days: float, restock_incoming: bool = False) -> tuple[str, float]:
    """(kind, cap as a multiple of current spend): out of stock → pause; below `low_stock_days` → cap in
    proportion to the cover left; below the lead time with no restock on its way → no scale-up; else none."""
    if days_of_cover <= 0:
        return "paused", 0.0
    if days_of_cover < low_stock_days:
        return "capped", days_of_cover / low_stock_days
    if days_of_cover < lead_time_days and not restock_incoming:
        return "no scale-up", 1.0
    return "", np.inf
