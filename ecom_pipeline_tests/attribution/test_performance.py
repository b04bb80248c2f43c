import pandas as pd
import pytest

from ecom_pipeline.attribution.performance import channel_performance, platform_channel_names, platform_claims
from ecom_pipeline.journey.channels import load_grouping

DAY = pd.Timestamp("2025-06-01")
CREDITS = pd.DataFrame({
    "conversion_day": [DAY] * 6, "model": ["last_touch"] * 3 + ["linear"] * 3, "order_id": ["o1", "o1", "o2"] * 2,
    "channel": ["Paid Social – Meta", "Email", "Paid Social – Meta"] * 2, "platform": ["meta", None, "meta"] * 2,
    "campaign_id": ["c1", None, "c1"] * 2, "campaign_name": ["Prospecting", None, "Prospecting"] * 2,
    "credit": [0.0, 1.0, 1.0, 0.5, 0.5, 1.0], "new_customer": [True, True, False] * 2,
})
CREDITS["attributed_revenue"] = CREDITS["credit"] * CREDITS["order_id"].map({"o1": 100.0, "o2": 60.0})
CREDITS["attributed_margin"] = CREDITS["credit"] * CREDITS["order_id"].map({"o1": 40.0, "o2": 20.0})
ADS = pd.DataFrame({
    "date_day": [DAY, DAY, DAY], "platform": ["meta", "meta", "google"], "campaign_id": ["c1", "c1", "g9"],
    "campaign_name": ["Prospecting", "Prospecting", "Brand"], "spend_reporting": [30.0, 10.0, 25.0],
    "conversions": [2.0, 1.0, 4.0], "conversions_value": [150.0, 50.0, 100.0], "fx_rate": [1.0, 1.0, 1.08],
})


def test_spend_attribution_and_claims_side_by_side_by_hand():
    table = channel_performance(CREDITS, ADS, ("last_touch", "linear"), {"meta": "Paid Social – Meta", "google": "Paid Search – Google"}, "linear")
    meta = table[(table["platform"] == "meta")].set_index("model")
    # last touch: o2 only (60 revenue, 20 margin, not new); linear: half of o1 and all of o2
    assert meta.loc["last_touch", ["spend", "attributed_orders", "attributed_revenue", "attributed_margin", "new_customers"]].tolist() == [40, 1, 60, 20, 0]
    assert meta.loc["linear", ["attributed_orders", "attributed_revenue", "attributed_margin", "new_customers"]].tolist() == [1.5, 110, 40, 0.5]
    assert meta.loc["linear", "roas"] == pytest.approx(110 / 40) and meta.loc["linear", "poas"] == pytest.approx(1.0)
    assert meta.loc["linear", "cpa"] == pytest.approx(40 / 1.5) and meta.loc["linear", "ncac"] == pytest.approx(80)
    assert meta.loc["linear", "over_claim_ratio"] == pytest.approx(3 / 1.5) and meta.loc["last_touch", "over_claim_ratio"] == pytest.approx(3)
    # Google spent but drove nothing in either model: its line is there with zero orders, claims converted to USD
    google = table[table["platform"] == "google"].set_index("model")
    assert google.loc["linear", "attributed_orders"] == 0 and pd.isna(google.loc["linear", "over_claim_ratio"])
    assert google.loc["linear", "platform_conversion_value"] == pytest.approx(108.0) and google.loc["linear", "channel"] == "Paid Search – Google"
    email = table[table["channel"] == "Email"].set_index("model")
    assert email.loc["last_touch", "attributed_orders"] == 1 and email.loc["last_touch", "spend"] == 0 and pd.isna(email.loc["last_touch", "roas"])
    assert table.groupby("model")["attributed_orders"].sum().tolist() == [2, 2]
    assert set(table.loc[table["default_model"], "model"]) == {"linear"}
    claims = platform_claims(table, "linear").set_index("platform")
    assert claims.loc["meta", "over_claim_ratio"] == pytest.approx(2.0) and claims.loc["google", "platform_conversions"] == 4


def test_each_ad_platform_gets_the_channel_its_grouping_rules_name():
    assert platform_channel_names(load_grouping()) == {"meta": "Paid Social – Meta", "tiktok": "Paid Social – TikTok",
                                                       "google": "Paid Search – Google", "microsoft": "Paid Search – Microsoft"}
