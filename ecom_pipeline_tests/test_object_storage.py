"""The lake, landing, archive and rejected folders on S3-compatible object storage, for real: a moto server the tests
start on loopback, reached over HTTP by the same code paths a deployment on S3 or MinIO uses."""

import io
import os
import urllib.request
from datetime import datetime, timezone

import boto3
import pandas as pd
import pytest
import s3fs
import sqlalchemy as sa
from dagster import AssetKey, instance_for_test
from moto.server import ThreadedMotoServer

from ecom_pipeline import lake
from ecom_pipeline.cli import materialize_days, register_all
from ecom_pipeline.ingest import Registration, Registry, scan_landing
from ecom_pipeline.schemas import DAILY_SUMMARY
from ecom_pipeline.settings import Settings
from ecom_pipeline.storage import as_path, move, written_at
from ecom_pipeline.warehouse import make_engine, row_counts

BUCKET = "brand-lake"
META_HEADER = "Reporting Starts,Reporting Ends,Day,Campaign Name,Campaign ID,Ad Set Name,Ad Set ID,Ad Name,Ad ID,Amount Spent (USD),Impressions,Link Clicks,Purchases,Purchases Conversion Value\n"
META_ROW = "2025-06-01,2025-06-02,{day},Prospecting,111,Broad,222,Ad A,333,{spend},1000,20,2,80.00\n"


@pytest.fixture
def bucket(monkeypatch):
    """An empty bucket on a local S3-compatible server; the standard AWS variables point every client at it."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    for name, value in {"AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(name, value)
    s3fs.S3FileSystem.clear_instance_cache()  # a client made for an earlier test's server must not be reused
    urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"))  # moto's state is per process
    client = boto3.client("s3", endpoint_url=endpoint)
    client.create_bucket(Bucket=BUCKET)
    yield client
    s3fs.S3FileSystem.clear_instance_cache()
    server.stop()


def keys(client, prefix: str) -> list[str]:
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix)
    return sorted(item["Key"] for page in pages for item in page.get("Contents", []))


def upload(client, key: str, body: bytes, modified: float) -> None:
    """Land a file the way rclone does: the object, with the source file's modification time as `mtime` metadata."""
    client.put_object(Bucket=BUCKET, Key=key, Body=body, Metadata={"mtime": f"{modified:.3f}"})


def s3_settings(tmp_path) -> Settings:
    """The data directory (Dagster's home, the SQLite warehouse) on this machine; everything shared in the bucket."""
    data = tmp_path / "data"
    settings = Settings(data_dir=data, landing_dir=as_path(f"s3://{BUCKET}/brand/landing"), warehouse_url=f"sqlite:///{data / 'warehouse.sqlite'}",
                        start_date="2024-01-01", lake_url=f"s3://{BUCKET}/brand")
    settings.ensure_dirs()
    return settings


def test_lake_days_are_objects_written_whole_read_and_replaced(bucket, tmp_path):
    root = s3_settings(tmp_path).lake_dir
    frame = DAILY_SUMMARY.empty().reindex(range(3))
    frame["day"] = pd.to_datetime(["2025-06-01", "2025-06-02", "2025-06-03"])
    frame["orders"] = [1, 2, 3]
    lake.write_partitions(root, ["daily_summary"], frame, DAILY_SUMMARY, ["2025-06-01", "2025-06-02", "2025-06-03"])
    assert keys(bucket, "brand/lake/") == [f"brand/lake/daily_summary/2025-06-0{i}.parquet" for i in (1, 2, 3)]
    assert lake.partition_days(root, ["daily_summary"]) == ["2025-06-01", "2025-06-02", "2025-06-03"]
    read, found = lake.read_partitions(root, ["daily_summary"], DAILY_SUMMARY, ["2025-06-02", "2025-06-03", "2025-06-09"])
    assert found == ["2025-06-02", "2025-06-03"] and read["orders"].tolist() == [2, 3]
    # A restated day that shrank to nothing: its object goes, the others stay.
    lake.write_partitions(root, ["daily_summary"], frame.iloc[0:0], DAILY_SUMMARY, ["2025-06-02"], empty_files=False)
    assert lake.partition_days(root, ["daily_summary"]) == ["2025-06-01", "2025-06-03"]
    lake.write_snapshot(root, ["daily_summary"], frame)
    assert lake.read_snapshot(root, ["daily_summary"], DAILY_SUMMARY)["orders"].tolist() == [1, 2, 3]
    assert lake.read_snapshot(root, ["never_written"], DAILY_SUMMARY).empty
    assert not (tmp_path / "data" / "lake").exists()  # nothing of the lake on the local disk


def test_exports_landed_in_a_bucket_are_registered_archived_or_rejected_there(bucket, tmp_path):
    settings = s3_settings(tmp_path)
    downloaded = datetime(2025, 6, 3, 7, 30, tzinfo=timezone.utc).timestamp()
    meta = (META_HEADER + META_ROW.format(day="2025-06-01", spend="20.00") + META_ROW.format(day="2025-06-02", spend="30.00")).encode()
    upload(bucket, "brand/landing/meta.csv", meta, downloaded)
    upload(bucket, "brand/landing/notes.csv", b"hello,world\n1,2\n", downloaded)
    registry = Registry(settings)
    scan = scan_landing(registry, {}, now=downloaded)  # an object is whole once listed: no settling wait
    assert [r.original_name for r in scan.registered] == ["meta.csv"] and [r.original_name for r in scan.rejected] == ["notes.csv"]
    (registration,) = scan.registered
    assert registration.exported_at == pytest.approx(downloaded) and registration.days["ad_performance"] == ["2025-06-01", "2025-06-02"]
    assert keys(bucket, "brand/landing/") == []  # nothing left behind, nothing lost:
    assert keys(bucket, "brand/archive/") == [f"brand/archive/meta_ads/{registration.file_hash[:16]}-meta.csv"]
    rejected = keys(bucket, "brand/rejected/")
    assert len(rejected) == 2 and rejected[1].endswith("notes.csv.reason.txt")
    reason = bucket.get_object(Bucket=BUCKET, Key=rejected[1])["Body"].read().decode()
    assert reason.startswith("notes.csv was rejected: no known export matches")
    frame, winners = registry.read_days("meta_ads", "ad_performance", ["2025-06-02"])
    assert frame["spend"].tolist() == [30.0] and winners == {"2025-06-02": "meta.csv"}
    # The same file again is recognised by its content and only archived.
    upload(bucket, "brand/landing/meta copy.csv", meta, downloaded + 60)
    again = scan_landing(Registry(settings), {}, now=downloaded + 60)
    assert not again.registered and [d.file_hash for d in again.duplicates] == [registration.file_hash]
    assert len(Registry(settings).manifest_names()) == 1


def test_a_file_moved_into_the_bucket_and_back_keeps_its_time_and_bytes(bucket, tmp_path):
    local = tmp_path / "inventory_export_1.csv"
    local.write_bytes(b"Handle,SKU\nshirt,SKU-1\n")
    downloaded = datetime(2025, 6, 2, 6, 0, tzinfo=timezone.utc).timestamp()
    os.utime(local, (downloaded, downloaded))
    remote = as_path(f"s3://{BUCKET}/brand/landing/inventory_export_1.csv")
    move(local, remote)
    assert not local.exists() and written_at(remote) == pytest.approx(downloaded)
    back = tmp_path / "again" / "inventory_export_1.csv"
    move(remote, back)
    assert back.read_bytes() == b"Handle,SKU\nshirt,SKU-1\n" and back.stat().st_mtime == pytest.approx(downloaded)
    assert keys(bucket, "brand/") == []


def test_a_brand_materializes_from_a_bucket_and_a_restated_day_replaces_its_rows(small_brand, bucket, tmp_path):
    source, truth = small_brand
    settings = s3_settings(tmp_path)
    for path in sorted(source.iterdir()):
        if not path.name.startswith("ground_truth"):
            upload(bucket, f"brand/landing/{path.name}", path.read_bytes(), path.stat().st_mtime)
    registry = Registry(settings)
    outcomes = register_all(registry)
    assert len(outcomes) == len(keys(bucket, "brand/archive/")) and keys(bucket, "brand/landing/") == []
    assert all(o.rows_read == o.rows_loaded + o.rows_quarantined + o.rows_skipped for o in outcomes)
    days = registry.covered_days()
    with instance_for_test() as instance:
        assert materialize_days(settings, days[0], days[-1], instance=instance).success
        assert set(instance.get_materialized_partitions(AssetKey("attribution_credits"))) == set(days)
        engine = make_engine(settings.warehouse_url)
        counts = row_counts(engine)
        expected = truth["exported_rows"]
        assert counts["raw_shopify_orders"] == expected["orders"] == counts["orders_enriched"]
        assert counts["raw_meta_ads"] == expected["ad_performance/meta"]  # the preliminary export lost to the final one
        assert counts["raw_shopify_inventory"] == expected["inventory_levels"]  # snapshots dated by their download
        assert counts["budget_recommendations"] == len(truth["campaigns"])
        true_orders = pd.read_csv(source / truth["orders_truth_file"], dtype={"order_id": str})
        with engine.connect() as connection:
            enriched = pd.read_sql(sa.text("select order_id, contribution_margin from orders_enriched"), connection)
        merged = true_orders.merge(enriched, on="order_id", suffixes=("_true", ""))
        assert len(merged) == len(true_orders) and (merged["contribution_margin"] - merged["contribution_margin_true"]).abs().max() < 0.005
        assert keys(bucket, "brand/lake/raw_touchpoints/") == [f"brand/lake/raw_touchpoints/{day}.parquet" for day in days]
        assert "brand/reports/budget_report.html" in keys(bucket, "brand/reports/")
        assert not (settings.data_dir / "lake").exists() and not (settings.data_dir / "archive").exists()

        # Meta restates one day: the re-export's day replaces the old one; the other days and their rows stay.
        day = days[3]
        with engine.connect() as connection:
            before = dict(connection.execute(sa.text("select substr(date_day, 1, 10), sum(spend) from raw_meta_ads group by 1")).all())
        final = next(p for p in source.glob("Brand-Ads-*.csv") if "preliminary" not in p.name and "Jun-1-" in p.name)
        table = pd.read_csv(final, dtype=str, encoding="utf-8-sig")
        column = {name.lower(): name for name in table.columns}
        spend = column["amount spent (usd)"]
        restated = table[table["Day"] == day].assign(**{column["reporting starts"]: day, column["reporting ends"]: day,
                                                         spend: lambda t: (t[spend].astype(float) * 2).map("{:.2f}".format)})
        text = io.StringIO()
        restated.to_csv(text, index=False)
        upload(bucket, f"brand/landing/Brand-Ads-{day}-restated.csv", text.getvalue().encode(), final.stat().st_mtime + 86400)
        (registered,) = register_all(Registry(settings))
        assert isinstance(registered, Registration) and registered.days["ad_performance"] == [day]
        assert materialize_days(settings, day, day, instance=instance).success
        with engine.connect() as connection:
            after = dict(connection.execute(sa.text("select substr(date_day, 1, 10), sum(spend) from raw_meta_ads group by 1")).all())
        assert after[day] == pytest.approx(2 * before[day], abs=0.01)
        assert {d: v for d, v in after.items() if d != day} == pytest.approx({d: v for d, v in before.items() if d != day})
        assert row_counts(engine)["raw_meta_ads"] == counts["raw_meta_ads"]  # replaced, not added
        engine.dispose()


def test_settings_put_every_shared_folder_under_the_lake_url(bucket, monkeypatch, tmp_path):
    from ecom_pipeline.settings import LAKE_URL_ENV, load_settings

    monkeypatch.setenv(LAKE_URL_ENV, f"s3://{BUCKET}/brand/")
    monkeypatch.delenv("ECOM_PIPELINE_LANDING_DIR", raising=False)
    monkeypatch.delenv("ECOM_PIPELINE_START_DATE", raising=False)
    monkeypatch.setenv("ECOM_PIPELINE_SHOP_CURRENCY", "USD")  # no need to look for landed orders
    settings = load_settings(tmp_path / "data")
    assert [str(p) for p in (settings.lake_dir, settings.archive_dir, settings.rejected_dir, settings.landing_dir, settings.reports_dir)] == [
        f"s3://{BUCKET}/brand/{name}" for name in ("lake", "archive", "rejected", "landing", "reports")]
    assert settings.dagster_home == (tmp_path / "data" / "dagster_home").resolve()  # Dagster's home stays on the machine
    assert os.fspath(settings.data_dir) == str((tmp_path / "data").resolve())
    assert settings.start_date == "2000-01-01"  # nothing registered in the bucket yet
    bucket.put_object(Bucket=BUCKET, Key="brand/lake/_staged/_manifests/first_day", Body=b"2025-06-01")
    assert load_settings(tmp_path / "data").start_date == "2024-01-01"  # the registry's record, read from the bucket
