import os
from datetime import date
from pathlib import Path

import pandas as pd
import sqlalchemy as sa
from dagster import AssetCheckKey, AssetKey, instance_for_test

from ecom_pipeline.cli import materialize_days
from ecom_pipeline.ingest import Registry
from ecom_pipeline.settings import Settings
from ecom_pipeline.validation.checks import spend_anomalies, table_checks
from ecom_pipeline.validation.quarantine import context_for, hold_back
from ecom_pipeline.warehouse import make_engine


def _spend(days_and_spend):
    return pd.DataFrame([{"campaign_id": "c1", "campaign_name": "Spring", "date_day": pd.Timestamp(d), "spend": s} for d, s in days_and_spend])


def test_spend_anomaly_against_the_trailing_seven_day_median():
    history = [(f"2025-06-0{i}", 10.0) for i in range(1, 8)]
    jump = spend_anomalies(_spend(history + [("2025-06-08", 40.0)]), ["2025-06-08"])
    assert not jump.passed and jump.count == 1
    assert jump.sample.iloc[0].to_dict() == {"campaign_id": "c1", "campaign_name": "Spring", "date_day": "2025-06-08", "spend": 40.0, "trailing_7d_median": 10.0}
    assert spend_anomalies(_spend(history + [("2025-06-08", 25.0)]), ["2025-06-08"]).passed  # 2.5x is within 3x
    drop = spend_anomalies(_spend(history + [("2025-06-08", 3.0)]), ["2025-06-08"])
    assert not drop.passed  # below a third of the median
    # A day without a row is zero spend: a paused campaign is flagged too.
    assert not spend_anomalies(_spend(history + [("2025-06-09", 10.0)]), ["2025-06-08", "2025-06-09"]).passed


def test_a_currency_without_a_rate_lands_flagged_and_a_code_that_is_no_currency_is_held_back(tmp_path):
    from ecom_pipeline.profit.marketing import unify_ads
    from ecom_pipeline.schemas import AD_PERFORMANCE, conform
    from ecom_pipeline.validation.engine import validate

    settings = Settings(data_dir=tmp_path, landing_dir=tmp_path, warehouse_url="sqlite://", fx_rates="EUR=1.08")
    frame = pd.DataFrame({"date_day": [pd.Timestamp("2025-06-01")] * 3, "platform": "meta", "campaign_id": ["a", "b", "c"], "spend": [1.0, 2.0, 3.0],
                          "impressions": 1, "clicks": 0, "conversions": 0.0, "conversions_value": 0.0, "currency": ["EUR", "GBP", "XYZ"],
                          "source_file": "f", "source_hash": "h", "source_row": [1, 2, 3]})
    frame = conform(frame, AD_PERFORMANCE).assign(source_file="f", source_hash="h", source_row=[1, 2, 3])
    context = context_for(settings, today=date(2025, 7, 1))
    kept, held = hold_back("ad_performance", "meta_ads", frame, context)
    assert list(kept["currency"]) == ["EUR", "GBP"] and list(held["rule"]) == ["currency_is_iso_4217"] and list(held["value"]) == ["XYZ"]
    warned = {o.rule.name: o for o in validate("ad_performance", kept, context, ("anomaly",))}["currency_has_exchange_rate"]
    assert not warned.success and warned.failed_positions == [1]  # GBP: a WARN, the row stays
    unified = unify_ads([kept], settings.rates(), "USD").set_index("currency")
    assert unified.loc["EUR", "spend_reporting"] == 1.08 and not unified.loc["EUR", "fx_missing"]
    assert pd.isna(unified.loc["GBP", "spend_reporting"]) and unified.loc["GBP", "fx_missing"] and unified.loc["GBP", "spend"] == 2.0


def test_orders_in_another_currency_are_converted_or_kept_native_and_flagged():
    from ecom_pipeline.profit.fx import missing_rate_message, orders_to_reporting

    orders = pd.DataFrame({"order_id": ["1", "2", "3"], "currency": ["TRY", "USD", "EUR"], "order_date": pd.to_datetime(["2025-06-01"] * 3),
                           "gross_sales": [300.0, 10.0, 20.0], "net_sales": [300.0, 10.0, 20.0], "total_price": [300.0, 10.0, 20.0]})
    lines = pd.DataFrame({"order_id": ["1", "2", "3"], "price": [300.0, 10.0, 20.0], "discount": 0.0})
    converted, lines = orders_to_reporting(orders, lines, {"TRY": 1.0, "USD": 32.0}, "TRY")
    assert list(converted["net_sales"]) == [300.0, 320.0, 20.0] and list(lines["price"]) == [300.0, 320.0, 20.0]
    assert list(converted["fx_missing"]) == [False, False, True] and pd.isna(converted["fx_rate"].iloc[2])
    message = missing_rate_message(["EUR"], "TRY")
    assert "ECOM_PIPELINE_FX_RATES=EUR=" in message and "dated FX export" in message and "into TRY" in message


def test_duplicate_key_is_a_structural_failure_with_a_sample(tmp_path):
    from ecom_pipeline.schemas import AD_PERFORMANCE, conform

    frame = conform(pd.DataFrame({"date_day": [pd.Timestamp("2025-06-01")] * 3, "platform": "meta", "account_id": "a", "campaign_id": "c",
                                  "ad_group_id": "g", "ad_id": ["1", "1", "2"], "impressions": [10, 10, 5], "clicks": [20, 1, 1],
                                  "spend": 1.0, "currency": "USD", "source_file": "f.csv", "source_hash": "h", "source_row": [1, 2, 3]}), AD_PERFORMANCE)
    settings = Settings(data_dir=tmp_path, landing_dir=tmp_path, warehouse_url="sqlite://")
    outcomes = {o.name: o for o in table_checks("ad_performance", frame, context_for(settings))}
    unique = outcomes["ad_performance_key_unique"]
    assert not unique.passed and unique.severity == "ERROR" and unique.count == 1
    assert list(unique.sample["source_row"]) == ["1", "2"]
    clicks = outcomes["clicks_at_most_impressions"]
    assert not clicks.passed and clicks.severity == "WARN" and clicks.count == 1 and clicks.files == ["f.csv"]
    assert outcomes["ad_performance_columns"].passed


META = (
    "Reporting starts,Reporting ends,Day,Campaign name,Campaign ID,Ad name,Ad ID,Amount spent (USD),Impressions,Link clicks\n"
    "2025-06-01,2025-06-02,2025-06-01,Spring,11,A,1,10.00,1000,20\n"
    "2025-06-01,2025-06-02,2025-06-01,Spring,11,B,2,-5.00,1000,20\n"
    "2025-06-01,2025-06-02,2025-06-02,Spring,11,A,1,12.00,1000,20\n"
)


def _land(settings: Settings, name: str, text: str) -> Path:
    path = settings.landing_dir / name
    path.write_text(text)
    os.utime(path, (1_750_000_000, 1_750_000_000))
    return path


def test_a_run_quarantines_rows_checks_and_logs_every_file(settings):
    registry = Registry(settings)
    registry.register(_land(settings, "meta.csv", META))
    registry.register(_land(settings, "junk.csv", "a,b\n1,2\n"))
    with instance_for_test() as instance:
        assert materialize_days(settings, "2025-06-01", "2025-06-02", instance=instance).success
        check = instance.event_log_storage.get_latest_asset_check_execution_by_key(
            [AssetCheckKey(AssetKey("raw_meta_ads"), "rows_quarantined")])[AssetCheckKey(AssetKey("raw_meta_ads"), "rows_quarantined")]
        evaluation = check.event.dagster_event.event_specific_data
        assert not evaluation.passed and evaluation.metadata["count"].value == 1
    engine = make_engine(settings.warehouse_url)
    with engine.connect() as connection:
        quarantine = pd.read_sql(sa.text("select * from quarantine"), connection)
        log = pd.read_sql(sa.text("select * from ingest_log order by original_name"), connection)
        spend = connection.execute(sa.text("select sum(spend) from raw_meta_ads")).scalar_one()
    assert quarantine[["source_file", "source_row", "rule", "value"]].values.tolist() == [["meta.csv", 2, "spend_non_negative", "-5.0"]]
    assert spend == 22.0
    assert log[["original_name", "rows_read", "rows_loaded", "rows_quarantined", "rejected"]].values.tolist() == [
        ["junk.csv", 0, 0, 0, 1], ["meta.csv", 3, 2, 1, 0]]
    assert "no known export matches" in log.loc[0, "reason"]


def test_a_structural_failure_blocks_the_warehouse(settings):
    duplicated = META + "2025-06-01,2025-06-02,2025-06-02,Spring,11,A,1,12.00,1000,20\n"  # the same ad and day twice
    Registry(settings).register(_land(settings, "meta.csv", duplicated))
    with instance_for_test() as instance:
        result = materialize_days(settings, "2025-06-01", "2025-06-02", instance=instance)
        assert not result.success
        key = AssetCheckKey(AssetKey("raw_meta_ads"), "ad_performance_key_unique")
        evaluation = instance.event_log_storage.get_latest_asset_check_execution_by_key([key])[key].event.dagster_event.event_specific_data
        assert not evaluation.passed and evaluation.severity.value == "ERROR" and evaluation.metadata["count"].value == 1
        assert "meta.csv" in evaluation.metadata["sample"].value
        published = instance.get_latest_materialization_event(AssetKey(["warehouse", "raw_meta_ads"]))
        assert published is None  # downstream did not run on broken data
