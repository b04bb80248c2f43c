"""A landing folder of real-layout exports only — no simulator — through registration and every asset.

fixtures/real_layouts/brand_week: a week of a small store without SKUs, as the vendors' own tools write it (79-column
Shopify orders with continuation rows and a tip, a products export with image rows and market columns, the 2025
inventory layout with `not stocked` and an oversold variant, ShipStation's Orders grid with other stores' orders, a
Meta ad-set export without Day or campaign columns, a Google UTF-16 campaign report, a TikTok hourly XLSX) and no
web events at all. Values invented.
"""

import pandas as pd
import sqlalchemy as sa
from dagster import AssetKey, DagsterEventType, EventRecordsFilter, instance_for_test

from ecom_pipeline.cli import materialize_days, register_all
from ecom_pipeline.defs.build import build_definitions
from ecom_pipeline.defs.pull_assets import SOURCES
from ecom_pipeline.ingest import Registration, Registry
from ecom_pipeline.ingest_log import ingest_log_table, quarantine_table
from ecom_pipeline.warehouse import make_engine, row_counts
from ecom_pipeline_tests.conftest import land_brand_week

def test_a_store_with_only_real_layout_exports_materializes_every_asset(settings):
    land_brand_week(settings.landing_dir)
    registry = Registry(settings)
    outcomes = register_all(registry)
    assert all(isinstance(o, Registration) for o in outcomes), [getattr(o, "reason", "") for o in outcomes]
    assert {o.family for o in outcomes} == {"shopify_orders", "shopify_products", "shopify_inventory", "shipments", "meta_ads", "google_ads", "tiktok_ads"}
    assert all(o.rows_read == o.rows_loaded + o.rows_quarantined + o.rows_skipped and o.rows_quarantined == 0 for o in outcomes)
    days = [d for d in registry.covered_days() if d <= "2026-01-08"]
    assert days[0] == "2026-01-01"

    with instance_for_test() as instance:
        result = materialize_days(settings, days[0], days[-1], instance=instance)
        assert result.success
        evaluations = [r.event_log_entry.dagster_event.event_specific_data  # every run's: the exports' checks ran in the first pass
                       for r in instance.get_event_records(EventRecordsFilter(DagsterEventType.ASSET_CHECK_EVALUATION))]
        checks = {(e.asset_key.to_user_string(), e.check_name): e for e in evaluations}
        oversold = checks[("raw_shopify_inventory", "available_not_negative")]
        assert not oversold.passed and oversold.severity.value == "WARN"  # Blue/L at -2: valid, worth a look
        every_asset = set(build_definitions(settings).resolve_job_def("ingest_job").asset_layer.selected_asset_keys)  # all but the pulls (off)
        assert len(every_asset) == len(build_definitions(settings).resolve_all_asset_keys()) - len(SOURCES)
        materialized = {key for key in every_asset if instance.get_latest_materialization_event(key) is not None}
        assert materialized == every_asset, sorted(k.to_user_string() for k in every_asset - materialized)

    engine = make_engine(settings.warehouse_url)
    counts = row_counts(engine)
    assert counts["raw_shopify_orders"] == 21 and counts["raw_shopify_order_lines"] == 27  # 30 rows: 27 lines and 3 tips
    assert counts["raw_shopify_products"] == 5 and counts["raw_shopify_inventory"] == 5
    assert counts["raw_meta_ads"] == 14 and counts["raw_google_ads"] == 7 and counts["raw_tiktok_ads"] == 7
    with engine.connect() as connection:
        enriched = pd.read_sql(sa.text("select name, cogs, cogs_estimated, label_cost, tips, contribution_margin from orders_enriched"), connection)
        spend = pd.read_sql(sa.text("select platform, sum(spend) as spend from ad_performance group by platform"), connection)
        labels = pd.read_sql(sa.text("select order_name, store from raw_shipments"), connection)
    enriched = enriched.set_index("name")
    assert not enriched["cogs_estimated"].astype(bool).any()  # every SKU-less line found its cost by name
    assert (enriched.drop(index="#1121")["label_cost"] > 0).all() and enriched.loc["#1121", "label_cost"] == 0  # not shipped yet
    assert enriched["tips"].sum() == 9.0
    tiktok = spend.set_index("platform").loc["tiktok", "spend"]
    assert round(tiktok, 2) == round(7 * sum(0.4 + (hour % 8) * 0.2 for hour in range(24)), 2)  # 168 hours summed to 7 days
    assert set(labels["store"]) == {"Invented Goods Shopify", "TikTok Shop"}

    quarantine = quarantine_table(registry, settings.lake_dir)
    log = ingest_log_table(registry, quarantine)
    assert quarantine.empty and (log["rows_read"] == log["rows_loaded"] + log["rows_quarantined"] + log["rows_skipped"]).all()
    skipped = log.set_index("original_name")["rows_skipped"].to_dict()
    assert skipped["products_export_1.csv"] == 1 and skipped["TikTok_Ads_Report_by_hour_2026-01-01_2026-01-07.xlsx"] == 1
    assert skipped["ShipStation-Orders-2026-01-08.csv"] == 1 and skipped["Campaign report.csv"] == 1
