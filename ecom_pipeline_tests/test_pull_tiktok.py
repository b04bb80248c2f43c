"""The TikTok pull against a local server that answers like the Business API's integrated report (its documented
shape: HTTP 200 with a `code`, `data.list` of dimensions and metrics, `page_info`; invented values): several pages, a
429 and a 500 on the way, an expired token, an empty window."""

import json
from datetime import date, datetime, timedelta
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest

from ecom_pipeline.ingest import Registry
from ecom_pipeline.pull.http import PullFailed
from ecom_pipeline.pull.tiktok import TikTokAdvertiser, fetch, land
from ecom_pipeline_tests.api_server import JsonHandler, LocalApi, started

TOKEN = "tiktok-access-token-secret"


def row(day: str, ad: str, spend: str, payments: str = "0", value: str = "0") -> dict:
    return {"dimensions": {"ad_id": ad, "stat_time_day": f"{day} 00:00:00"},
            "metrics": {"advertiser_id": "7000000001", "advertiser_name": "Test Brand", "campaign_id": "1800001", "campaign_name": "Spark - UGC",
                        "adgroup_id": "1800101", "adgroup_name": "Broad US", "ad_name": f"Video {ad}", "currency": "USD", "spend": spend,
                        "impressions": "5000", "clicks": "60", "complete_payment": payments, "total_complete_payment_rate": value}}


class Reporting(LocalApi):
    """The integrated report: `pages` of rows; `failures` maps a page to the statuses to answer before it."""

    def __init__(self, pages: list[list[dict]], failures: dict[int, list[int]] | None = None, expired: bool = False):
        self.pages, self.failures, self.expired, self.requests = pages, {k: list(v) for k, v in (failures or {}).items()}, expired, []

    class Handler(JsonHandler):
        def do_GET(self):
            api = self.api
            query = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}
            api.requests.append((self.path, dict(self.headers)))
            page = int(query.get("page", "1"))
            if api.expired or self.headers.get("Access-Token") != TOKEN:
                return self.answer(200, {"code": 40105, "message": "The access token has expired.", "request_id": "r1", "data": {}})
            if api.failures.get(page):
                status = api.failures[page].pop(0)
                return self.answer(status, {"code": 50000, "message": "busy"}, {"Retry-After": "1"} if status == 429 else {})
            listing = api.pages[page - 1] if api.pages else []
            self.answer(200, {"code": 0, "message": "OK", "request_id": f"r{page}", "data": {
                "list": listing, "page_info": {"page": page, "page_size": 1000, "total_number": sum(map(len, api.pages)), "total_page": len(api.pages)}}})

    @property
    def advertiser(self) -> TikTokAdvertiser:
        return TikTokAdvertiser(TOKEN, "7000000001", api_url=self.url)


@pytest.fixture
def tiktok():
    yield from started(Reporting)


def test_pages_land_through_a_429_and_a_500_and_the_parser_reads_them(tiktok, settings):
    api = tiktok([[row("2025-06-01", "91", "10.50", "1", "45.00"), row("2025-06-01", "92", "4.00")], [row("2025-06-02", "91", "12.25", "2", "90.00")]],
                 failures={1: [429], 2: [500]})
    records = fetch(api.advertiser, date(2025, 6, 1), date(2025, 6, 2))
    assert [(r["stat_time_day"], r["ad_id"], r["spend"]) for r in records] == [
        ("2025-06-01 00:00:00", "91", "10.50"), ("2025-06-01 00:00:00", "92", "4.00"), ("2025-06-02 00:00:00", "91", "12.25")]
    assert len(api.requests) == 4
    query = {k: v[0] for k, v in parse_qs(urlsplit(api.requests[-1][0]).query).items()}
    assert query["data_level"] == "AUCTION_AD" and json.loads(query["dimensions"]) == ["ad_id", "stat_time_day"] and query["page"] == "2"
    assert all(TOKEN not in path for path, _ in api.requests)
    path = land(records, settings.landing_dir, api.advertiser, date(2025, 6, 1), date(2025, 6, 2))
    assert TOKEN not in path.read_text()
    registration = Registry(settings).register(path)
    assert registration.family == "tiktok_ads" and registration.rows_loaded == 3 == registration.rows_read
    frame, _ = Registry(settings).read_days("tiktok_ads", "ad_performance", ["2025-06-01", "2025-06-02"])
    assert frame["spend"].tolist() == [10.5, 4.0, 12.25] and frame["conversions"].tolist() == [1.0, 0.0, 2.0]
    assert frame["conversions_value"].tolist() == [45.0, 0.0, 90.0] and set(frame["campaign_name"]) == {"Spark - UGC"}


def test_an_expired_token_fails_with_what_to_do(tiktok):
    api = tiktok([], expired=True)
    with pytest.raises(PullFailed) as failure:
        fetch(api.advertiser, date(2025, 6, 1), date(2025, 6, 1))
    assert "The access token has expired" in str(failure.value) and "set TIKTOK_ACCESS_TOKEN" in str(failure.value)
    assert TOKEN not in str(failure.value) and TOKEN not in repr(api.advertiser)


def test_an_empty_window_lands_nothing(tiktok, settings):
    api = tiktok([[]])
    assert fetch(api.advertiser, date(2025, 6, 1), date(2025, 6, 1)) == []
    assert land([], settings.landing_dir, api.advertiser, date(2025, 6, 1), date(2025, 6, 1)) is None


def test_the_pull_asset_lands_the_window_and_its_freshness_check_passes(tiktok, settings, monkeypatch):
    from dagster import instance_for_test

    from ecom_pipeline.defs.build import build_definitions

    api = tiktok([[row("2025-06-28", "91", "3.30")]])
    monkeypatch.setenv("TIKTOK_ACCESS_TOKEN", TOKEN)
    monkeypatch.setenv("TIKTOK_ADVERTISER_ID", "7000000001")
    monkeypatch.setenv("TIKTOK_API_URL", api.advertiser.api_url)
    defs = build_definitions(settings)
    assert "**Off**" in defs.resolve_asset_graph().get(__import__("dagster").AssetKey("pull_meta_ads")).description  # the others stay off
    with instance_for_test() as instance:
        result = defs.resolve_job_def("pull_job").execute_in_process(partition_key="2025-06-28", instance=instance)
        assert result.success and {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()} == {"pull_tiktok_ads"}
        metadata = result.asset_materializations_for_node("pull_tiktok_ads")[0].metadata
        assert metadata["window"].value == "2025-06-01 .. 2025-06-28" and metadata["spend"].value == 3.3
        # Pulled, but not the day the 08:00 deadline asks for (the day before the last deadline): the check warns.
        now = datetime.now(ZoneInfo(settings.shop_timezone))
        owed = (now.date() - timedelta(days=1 if now.hour >= 8 else 2)).isoformat()
        (check,) = result.get_asset_check_evaluations()
        assert check.asset_key.to_user_string() == "pull_tiktok_ads" and not check.passed and check.severity.value == "WARN"
        assert f"We expected partition {owed} to have arrived" in check.description
        on_time = defs.resolve_job_def("pull_job").execute_in_process(partition_key=owed, instance=instance)
        assert [c.passed for c in on_time.get_asset_check_evaluations()] == [True]
        assert TOKEN not in " ".join(str(event) for event in instance.all_logs(result.run_id))
    assert "tiktok-report-7000000001-2025-06-01_2025-06-28.csv" in [p.name for p in settings.landing_dir.iterdir()]
