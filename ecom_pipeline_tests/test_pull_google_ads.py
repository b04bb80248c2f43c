"""The Google Ads pull against a local server that answers like Google's OAuth token endpoint and the Google Ads API's
`googleAds:searchStream` (their documented shapes — camelCase JSON, a stream of result batches — with invented values):
several batches, a 429 and a 500 on the way, a revoked refresh token, a restated day."""

import json
from datetime import date

import pytest

from ecom_pipeline.ingest import Registry
from ecom_pipeline.pull.google_ads import GoogleAdsAccount, fetch, land
from ecom_pipeline.pull.http import PullFailed
from ecom_pipeline_tests.api_server import JsonHandler, LocalApi, started

SECRETS = {"developer_token": "dev-TOKEN-secret", "client_id": "client.apps.googleusercontent.com", "client_secret": "GOCSPX-secret",
           "refresh_token": "1//refresh-secret"}
ACCESS = "ya29.access-secret"


def result(day: str, ad_group: str, cost_micros: str, conversions: float = 0.0) -> dict:
    return {"customer": {"resourceName": "customers/1234567890", "id": "1234567890", "descriptiveName": "Test Brand", "currencyCode": "USD",
                         "timeZone": "America/New_York"},
            "campaign": {"resourceName": "customers/1234567890/campaigns/111", "id": "111", "name": "Search - Brand"},
            "adGroup": {"resourceName": f"customers/1234567890/adGroups/{ad_group}", "id": ad_group, "name": f"Group {ad_group}"},
            "metrics": {"costMicros": cost_micros, "impressions": "900", "clicks": "45", "conversions": conversions, "conversionsValue": conversions * 60},
            "segments": {"date": day}}


class GoogleAds(LocalApi):
    """OAuth token exchange and searchStream; `batches` is the stream, `failures` statuses to answer first."""

    def __init__(self, batches: list[list[dict]], failures: list[int] | None = None, revoked: bool = False):
        self.batches, self.failures, self.revoked, self.queries, self.headers = batches, list(failures or []), revoked, [], []

    class Handler(JsonHandler):
        def do_POST(self):
            api = self.api
            body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
            if self.path == "/token":
                if api.revoked:
                    return self.answer(400, {"error": "invalid_grant", "error_description": "Token has been expired or revoked."})
                return self.answer(200, {"access_token": ACCESS, "expires_in": 3599, "scope": "https://www.googleapis.com/auth/adwords", "token_type": "Bearer"})
            api.headers.append(dict(self.headers))
            if self.headers.get("Authorization") != f"Bearer {ACCESS}" or self.headers.get("developer-token") != SECRETS["developer_token"]:
                return self.answer(401, [{"error": {"code": 401, "message": "Request is missing required authentication credential.", "status": "UNAUTHENTICATED"}}])
            if api.failures:
                status = api.failures.pop(0)
                return self.answer(status, [{"error": {"code": status, "message": "try again", "status": "UNAVAILABLE"}}], {"Retry-After": "1"} if status == 429 else {})
            api.queries.append(json.loads(body)["query"])
            self.answer(200, [{"results": batch, "fieldMask": "segments.date,campaign.id", "requestId": f"req{i}"} for i, batch in enumerate(api.batches)])

    @property
    def account(self) -> GoogleAdsAccount:
        return GoogleAdsAccount(**SECRETS, customer_id="123-456-7890", api_url=self.url, oauth_url=f"{self.url}/token")


@pytest.fixture
def google():
    yield from started(GoogleAds)


def test_every_streamed_batch_lands_through_a_429_and_a_500_and_the_parser_reads_it(google, settings):
    api = google([[result("2025-06-01", "201", "12340000", 1.0), result("2025-06-01", "202", "5000000")], [result("2025-06-02", "201", "7250000", 2.0)]],
                 failures=[429, 500])
    rows = fetch(api.account, date(2025, 6, 1), date(2025, 6, 2))
    assert [(r["segments.date"], r["ad_group.id"], r["metrics.cost_micros"]) for r in rows] == [
        ("2025-06-01", "201", "12340000"), ("2025-06-01", "202", "5000000"), ("2025-06-02", "201", "7250000")]
    assert len(api.headers) == 3  # the stream asked three times: after the 429 (its Retry-After) and after the 500
    assert "segments.date BETWEEN '2025-06-01' AND '2025-06-02'" in api.queries[0] and "FROM ad_group" in api.queries[0]
    path = land(rows, settings.landing_dir, api.account, date(2025, 6, 1), date(2025, 6, 2))
    text = path.read_text()
    assert path.name == "google-ads-1234567890-2025-06-01_2025-06-02.csv" and not any(secret in text for secret in [*SECRETS.values(), ACCESS])
    registration = Registry(settings).register(path)
    assert registration.family == "google_ads" and registration.rows_read == 3 == registration.rows_loaded
    frame, _ = Registry(settings).read_days("google_ads", "ad_performance", ["2025-06-01", "2025-06-02"])
    assert frame["spend"].round(2).tolist() == [12.34, 5.0, 7.25] and frame["conversions"].tolist() == [1.0, 0.0, 2.0]
    assert set(frame["currency"]) == {"USD"} and set(frame["campaign_name"]) == {"Search - Brand"}


def test_a_restated_day_replaces_the_earlier_pull(google, settings):
    registry = Registry(settings)
    first = google([[result("2025-06-01", "201", "10000000", 1.0), result("2025-06-02", "201", "20000000", 1.0)]])
    registry.register(land(fetch(first.account, date(2025, 6, 1), date(2025, 6, 2)), settings.landing_dir, first.account, date(2025, 6, 1), date(2025, 6, 2)))
    again = google([[result("2025-06-02", "201", "20000000", 3.0)]])  # conversions arrive for the 2nd's clicks
    registry.register(land(fetch(again.account, date(2025, 6, 2), date(2025, 6, 2)), settings.landing_dir, again.account, date(2025, 6, 2), date(2025, 6, 2)))
    frame, _ = Registry(settings).read_days("google_ads", "ad_performance", ["2025-06-01", "2025-06-02"])
    assert frame["conversions"].tolist() == [1.0, 3.0] and len(frame) == 2


def test_a_revoked_refresh_token_fails_with_what_to_do_and_no_secret(google):
    api = google([], revoked=True)
    with pytest.raises(PullFailed) as failure:
        fetch(api.account, date(2025, 6, 1), date(2025, 6, 1))
    sentence = str(failure.value)
    assert "Token has been expired or revoked" in sentence and "set GOOGLE_ADS_REFRESH_TOKEN" in sentence and "1234567890" in sentence
    assert not any(secret in sentence or secret in repr(api.account) for secret in SECRETS.values())


def test_the_pull_asset_lands_the_window_with_credentials_from_the_environment(google, settings, monkeypatch):
    from dagster import instance_for_test

    from ecom_pipeline.defs.build import build_definitions

    api = google([[result("2025-06-28", "201", "9990000", 1.0)]])
    for field, variable in (("developer_token", "GOOGLE_ADS_DEVELOPER_TOKEN"), ("client_id", "GOOGLE_ADS_CLIENT_ID"),
                            ("client_secret", "GOOGLE_ADS_CLIENT_SECRET"), ("refresh_token", "GOOGLE_ADS_REFRESH_TOKEN")):
        monkeypatch.setenv(variable, SECRETS[field])
    monkeypatch.setenv("GOOGLE_ADS_CUSTOMER_ID", "123-456-7890")
    monkeypatch.setenv("GOOGLE_ADS_API_URL", api.account.api_url)
    monkeypatch.setenv("GOOGLE_OAUTH_URL", api.account.oauth_url)
    defs = build_definitions(settings)
    with instance_for_test() as instance:
        result_ = defs.resolve_job_def("pull_job").execute_in_process(partition_key="2025-06-28", instance=instance)
        assert result_.success
        metadata = result_.asset_materializations_for_node("pull_google_ads")[0].metadata
        assert metadata["window"].value == "2025-06-01 .. 2025-06-28" and metadata["records"].value == 1 and metadata["spend"].value == 9.99
        logged = " ".join(str(event) for event in instance.all_logs(result_.run_id))
        assert not any(secret in logged for secret in [*SECRETS.values(), ACCESS])
    assert [p.name for p in settings.landing_dir.iterdir()] == ["google-ads-1234567890-2025-06-01_2025-06-28.csv"]
