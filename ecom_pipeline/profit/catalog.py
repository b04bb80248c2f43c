"""Which catalog variant each order line sold: by SKU when one variant has it, else by the line's name.

Most real stores have no SKUs (FORMATS.md: 770 of 818 lines in one store). Shopify names a line after its
product and variant (`Linen Shirt - Blue / M`, or just `Canvas Tote`), and the products export gives every
variant that name, so a line finds its variant either way. A SKU several variants share (stores reuse one for all
sizes) says nothing about which: those lines go by name. A line that matches nothing keeps its SKU (or its name)
as its own key: its cost is then unknown and estimated, and flagged as such downstream.
"""

from __future__ import annotations

import pandas as pd


def _name_key(names: pd.Series) -> pd.Series:
    return names.astype("string").str.strip().str.lower().str.replace(r"\s+", " ", regex=True)


def match_variants(lines: pd.DataFrame, products: pd.DataFrame) -> pd.Series:
    """Each line's `variant_key` (aligned with `lines`): its SKU's variant, else its name's variant, else itself."""
    catalog = products.dropna(subset=["variant_key"]).sort_values("snapshot_date")
    latest = catalog.drop_duplicates("variant_key", keep="last").dropna(subset=["sku"])
    by_sku = latest[~latest["sku"].duplicated(keep=False)].set_index("sku")["variant_key"]
    named = catalog.assign(name=_name_key(catalog["line_name"])).dropna(subset=["name"])
    by_name = named.drop_duplicates("name", keep="last").set_index("name")["variant_key"]
    sku = lines["sku"].astype("string")
    title = _name_key(lines["title"])
    key = sku.map(by_sku).fillna(title.map(by_name))
    return key.fillna(sku).fillna("name:" + title).astype("string")
