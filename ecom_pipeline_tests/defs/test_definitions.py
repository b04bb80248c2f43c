from dagster import AssetKey, Definitions

from ecom_pipeline.backfill import DAYS_PER_RUN
from ecom_pipeline.defs.assets import RAW_ASSETS, assets_for_family
from ecom_pipeline.defs.build import build_definitions


def test_definitions_load_and_every_asset_is_described(settings):
    defs = build_definitions(settings)
    Definitions.validate_loadable(defs)
    graph = defs.resolve_asset_graph()
    keys = set(graph.get_all_asset_keys())
    assert {AssetKey(name) for name in RAW_ASSETS} <= keys
    assert AssetKey(["warehouse", "raw_shopify_orders"]) in keys
    assert {AssetKey("quarantine"), AssetKey("ingest_log")} <= keys
    checks = {key.name for key in graph.asset_check_keys if key.asset_key == AssetKey("raw_meta_ads")}
    assert {"ad_performance_key_unique", "clicks_at_most_impressions", "spend_anomaly", "rows_quarantined"} <= checks
    for key in keys:
        node = graph.get(key)
        assert node.description and len(node.description) > 40, key
        assert node.group_name in {"pull", "ingest", "warehouse", "validation", "marts", "attribution", "ltv", "budget", "experiments"}, key
        assert node.kinds, key
        assert node.owners == ["team:data"], key
    assert graph.get(AssetKey("raw_touchpoints")).partitions_def is not None
    # A backfill launched from the UI is cut into runs of at most a month, as the command line cuts its own.
    partitioned = [graph.get(key) for key in keys if graph.get(key).partitions_def is not None]
    assert len(partitioned) > 15 and {node.backfill_policy.max_partitions_per_run for node in partitioned} == {DAYS_PER_RUN}
    assert {s.name for s in defs.schedules} == {"daily_ingest_schedule"}
    assert {s.name for s in defs.sensors} == {"landing_sensor"}


def test_asset_owners_are_a_setting(settings):
    from dataclasses import replace

    graph = build_definitions(replace(settings, asset_owners="growth@brand.example, team:analytics")).resolve_asset_graph()
    assert {tuple(graph.get(key).owners) for key in graph.get_all_asset_keys()} == {("growth@brand.example", "team:analytics")}


def test_the_module_definitions_load():
    from ecom_pipeline.definitions import defs

    Definitions.validate_loadable(defs)


def test_a_family_refreshes_its_raw_assets_and_their_warehouse_tables():
    assert assets_for_family("shopify_orders") == [
        AssetKey("raw_shopify_orders"), AssetKey("raw_shopify_order_lines"),
        AssetKey(["warehouse", "raw_shopify_orders"]), AssetKey(["warehouse", "raw_shopify_order_lines"]),
    ]
    assert assets_for_family("touchpoints") == [AssetKey("raw_touchpoints")]


def test_dg_loads_the_project(tmp_path):
    """`dg check defs` (the CLI that supersedes `dagster dev`'s loader) finds and loads the project."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path), "ECOM_PIPELINE_DATA_DIR": str(tmp_path / "data")}
    (tmp_path / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    result = subprocess.run([str(Path(sys.executable).parent / "dg"), "check", "defs"], cwd=root, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "All definitions loaded successfully" in result.stdout + result.stderr
