"""The sample brand's cast: products, campaigns and organic channels, with their true parameters (the campaigns'
fixed by default, or drawn per seed).

Amounts are per day at year scale; the demo scale multiplies volumes (spend, orders) by its factor.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

SHOP_CURRENCY = "USD"
SHOP_TIMEZONE = "America/New_York"
SIZES = ("S", "M", "L")


@dataclass(frozen=True)
class Product:
    handle: str
    title: str
    code: str
    price: float
    cost_rate: float  # unit cost / price
    popularity: float
    lead_time_days: int
    initial_cover_days: float  # starting stock in days of expected demand
    weight_oz: float


PRODUCTS = (
    Product("classic-tee", "Classic Tee", "TEE", 28.0, 0.30, 0.24, 10, 30, 6),
    Product("heavy-hoodie", "Heavy Hoodie", "HOOD", 79.0, 0.36, 0.16, 24, 9, 22),
    Product("trail-cap", "Trail Cap", "CAP", 24.0, 0.28, 0.10, 10, 30, 4),
    Product("canvas-tote", "Canvas Tote", "TOTE", 19.0, 0.25, 0.08, 10, 30, 8),
    Product("merino-socks", "Merino Socks", "SOCK", 18.0, 0.33, 0.16, 8, 30, 3),
    Product("rain-shell", "Rain Shell", "SHELL", 119.0, 0.42, 0.06, 30, 14, 18),
    Product("linen-shirt", "Linen Shirt", "LIN", 64.0, 0.35, 0.10, 12, 30, 9),
    Product("cargo-shorts", "Cargo Shorts", "CARGO", 49.0, 0.34, 0.10, 12, 30, 12),
)


@dataclass(frozen=True)
class Campaign:
    platform: str  # meta | google | tiktok
    campaign_id: str
    name: str
    ad_group: str
    base_spend: float  # typical daily spend at year scale
    cpc: float
    cpm: float
    incremental_at_base: float  # true incremental orders per day at base spend (year scale)
    k_rel: float  # Hill half-saturation as a multiple of base spend
    kappa: float  # Hill shape
    theta: float  # geometric adstock decay
    focus: tuple[str, ...]  # product handles the campaign advertises
    view_through: float  # platform's extra claimed conversions per click-through claim
    utm_campaign: str  # what the campaign's tracking template writes: "id" or "name"


CAMPAIGNS = (
    Campaign("meta", "120210000000101", "Prospecting - Broad", "Broad 18-65", 4000, 2.4, 14, 110, 1.2, 1.3, 0.4, ("heavy-hoodie", "classic-tee"), 0.45, "id"),
    Campaign("meta", "120210000000102", "Retargeting - DPA", "Site visitors 30d", 1200, 1.6, 22, 18, 0.7, 1.0, 0.2, ("classic-tee", "merino-socks", "trail-cap"), 0.9, "id"),
    Campaign("meta", "120210000000103", "Advantage+ Shopping", "ASC", 3000, 2.2, 12, 80, 1.6, 1.1, 0.3, ("linen-shirt", "cargo-shorts", "classic-tee"), 0.5, "name"),
    Campaign("google", "21000000201", "Search - Brand", "Brand exact", 800, 0.9, 60, 14, 0.5, 0.9, 0.0, ("classic-tee", "heavy-hoodie"), 0.05, "id"),
    Campaign("google", "21000000202", "Search - Non-Brand", "Generic apparel", 2500, 3.2, 55, 70, 1.4, 1.2, 0.1, ("rain-shell", "heavy-hoodie"), 0.1, "id"),
    Campaign("google", "21000000203", "Performance Max", "PMax all products", 3000, 2.8, 9, 60, 2.0, 1.0, 0.3, ("classic-tee", "cargo-shorts", "canvas-tote"), 0.35, "name"),
    Campaign("tiktok", "1790000000301", "Spark Ads - UGC", "UGC creators", 2000, 1.9, 7, 50, 1.0, 1.6, 0.5, ("heavy-hoodie", "trail-cap"), 0.6, "name"),
    Campaign("tiktok", "1790000000302", "Prospecting - Interest", "Outdoor interest", 1500, 2.1, 6, 30, 1.3, 1.2, 0.4, ("rain-shell", "merino-socks"), 0.7, "id"),
)

# A drawn cast (`generate --cast random`): every campaign keeps its platform, ids, name and products, and its true
# response is drawn per seed from these ranges, so which campaign truly pays best differs from brand to brand.
# incremental_at_base is the default cast's value times a log-uniform factor; the others are uniform.
CAST_RANGES = {"incremental_at_base": (0.3, 3.0), "k_rel": (0.4, 2.5), "kappa": (0.7, 2.0), "theta": (0.0, 0.6)}
CASTS = ("default", "random")


def cast(name: str, seed: int) -> tuple[Campaign, ...]:
    """The campaigns of a simulated brand: the fixed default cast (the demo), or one drawn from CAST_RANGES with its
    own random stream (so the rest of the world a seed draws stays the same)."""
    if name == "default":
        return CAMPAIGNS
    if name != "random":
        raise ValueError(f"unknown cast {name!r}: choose one of {', '.join(CASTS)}")
    rng = np.random.default_rng([seed, 2026])
    low, high = np.log(CAST_RANGES["incremental_at_base"])
    return tuple(replace(
        campaign,
        incremental_at_base=round(campaign.incremental_at_base * float(np.exp(rng.uniform(low, high))), 3),
        k_rel=round(float(rng.uniform(*CAST_RANGES["k_rel"])), 3),
        kappa=round(float(rng.uniform(*CAST_RANGES["kappa"])), 3),
        theta=round(float(rng.uniform(*CAST_RANGES["theta"])), 3),
    ) for campaign in CAMPAIGNS)


PLATFORM_UTM = {
    "meta": ("facebook", "paid_social", "fbclid"),
    "google": ("google", "cpc", "gclid"),
    "tiktok": ("tiktok", "paid_social", "ttclid"),
}

# Channels that bring customers without ad spend, with how touches on them look in the pixel data.
ORGANIC = {
    "organic_search": {"share": 0.38, "referrer": "https://www.google.com/", "utm": None},
    "direct": {"share": 0.30, "referrer": None, "utm": None},
    "referral": {"share": 0.10, "referrer": "https://www.outdoorblog.example/best-tees", "utm": None},
    "email": {"share": 0.14, "referrer": None, "utm": ("klaviyo", "email", "weekly-newsletter")},
    "affiliate": {"share": 0.08, "referrer": "https://deals.example/", "utm": ("partnerize", "affiliate", "spring-deals")},
}

BASELINE_NEW_PER_DAY = 650.0  # new customers per day who would buy without any ad (year scale)
AD_CONTAMINATION = 0.3  # share of baseline journeys that also clicked an ad (what platforms over-claim)

# True repeat-purchase process (BG/NBD), time in days.
BGNBD = {"r": 0.25, "alpha": 40.0, "a": 0.8, "b": 2.5}

TAX_RATE = 0.0725
FREE_SHIPPING_FROM = 75.0
SHIPPING_FEE = 6.95
REFUND_RATE = 0.06
CANCEL_RATE = 0.01
LOOKBACK_DAYS = 30
CLAIM_WINDOW_DAYS = 7
