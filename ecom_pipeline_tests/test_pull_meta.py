"""The Meta pull against a local server that answers like the Graph API's insights endpoint (its documented shapes and
field names, invented values): pages, a 429 and a 500 on the way, an expired token, a restated day, an empty window."""

import json
import threading
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from ecom_pipeline.ingest import Registry
from ecom_pipeline.pull.http import PullFailed
from ecom_pipeline.pull.meta import MetaAccount, insights, land, window

TOKEN = "EAAB-test-token-never-logged"


def record(day: str, ad: str, spend: str, purchases: str | None = None) -> dict:
    row = {"account_id": "4815162342", "account_name": "Test Brand", "account_currency": "EUR", "campaign_id": "2385001",
           "campaign_name": "Prospecting", "adset_id": "2385101", "adset_name": "Broad", "ad_id": ad, "ad_name": f"Ad {ad}",
           "date_start": day, "date_stop": day, "spend": spend, "impressions": "1200", "clicks": "40", "inline_link_clicks": "31"}
    if purchases is not None:  # Meta reports the same purchases under several action types; one of them counts
        row["actions"] = [{"action_type": "link_click", "value": "31"}, {"action_type": "offsite_conversion.fb_pixel_purchase", "value": purchases},
                          {"action_type": "purchase", "value": purchases}]
        row["action_values"] = [{"action_type": "offsite_conversion.fb_pixel_purchase", "value": "99.50"}, {"action_type": "purchase", "value": "99.50"}]
    return row


class GraphAPI:
    """The insights endpoint: `pages` of records, each with Meta's `paging.next` (carrying the token, as Meta's does);
    `failures` maps a page number to the statuses to answer before the page itself."""

    def __init__(self, pages: list[list[dict]], failures: dict[int, list[int]] | None = None, expired: bool = False):
        self.pages, self.failures, self.expired = pages, {k: list(v) for k, v in (failures or {}).items()}, expired
        self.requests: list[tuple[str, dict]] = []
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                api.requests.append((self.path, dict(self.headers)))
                query = parse_qs(urlsplit(self.path).query)
                page = int(query.get("after", ["0"])[0])
                if api.expired:
                    return self.answer(400, {"error": {"message": "Error validating access token: Session has expired on Monday, 01-Dec-25.",
                                                       "type": "OAuthException", "code": 190, "error_subcode": 463}})
                if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                    return self.answer(400, {"error": {"message": "An active access token must be used", "type": "OAuthException", "code": 2500}})
                if api.failures.get(page):
                    status = api.failures[page].pop(0)
                    return self.answer(status, {"error": {"message": "Please retry", "code": 2}}, {"Retry-After": "1"} if status == 429 else {})
                body = {"data": api.pages[page] if api.pages else []}
                if page + 1 < len(api.pages):
                    body["paging"] = {"cursors": {"after": str(page + 1)},
                                      "next": f"http://127.0.0.1:{self.server.server_port}{urlsplit(self.path).path}?access_token={TOKEN}&after={page + 1}&limit=500"}
                self.answer(200, body)

            def answer(self, status, body, headers=None):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.account = MetaAccount(TOKEN, "4815162342", base_url=f"http://127.0.0.1:{self.server.server_port}")

    def close(self):
        self.server.shutdown()


@pytest.fixture
def graph():
    servers = []

    def start(*args, **kwargs) -> GraphAPI:
        servers.append(GraphAPI(*args, **kwargs))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def test_pages_are_followed_through_a_429_and_a_500_and_every_row_lands(graph, settings):
    pages = [[record("2025-06-01", "1", "20.00", "2"), record("2025-06-01", "2", "5.50")],
             [record("2025-06-02", "1", "21.25", "1")], [record("2025-06-02", "2", "0.00")]]
    api = graph(pages, failures={1: [429], 2: [500]})
    records = insights(api.account, date(2025, 6, 1), date(2025, 6, 2))
    assert [r["spend"] for r in records] == ["20.00", "5.50", "21.25", "0.00"]
    assert len(api.requests) == 5  # three pages, each failure asked again once
    first = parse_qs(urlsplit(api.requests[0][0]).query)
    assert first["level"] == ["ad"] and first["time_increment"] == ["1"] and json.loads(first["time_range"][0]) == {"since": "2025-06-01", "until": "2025-06-02"}
    assert all(TOKEN not in path for path, _ in api.requests)  # the token travels in a header, never a URL, even past Meta's paging links

    path = land(records, settings.landing_dir, api.account, date(2025, 6, 1), date(2025, 6, 2))
    assert path.name == "meta-insights-act_4815162342-2025-06-01_2025-06-02.jsonl" and TOKEN not in path.read_text()
    registration = Registry(settings).register(path)
    assert registration.family == "meta_ads" and registration.rows_read == 4 == registration.rows_loaded
    frame, _ = Registry(settings).read_days("meta_ads", "ad_performance", ["2025-06-01", "2025-06-02"])
    by_day = frame.groupby(frame["date_day"].dt.strftime("%Y-%m-%d")).agg(spend=("spend", "sum"), conversions=("conversions", "sum"))
    assert by_day.to_dict("index") == {"2025-06-01": {"spend": 25.5, "conversions": 2.0}, "2025-06-02": {"spend": 21.25, "conversions": 1.0}}
    assert set(frame["currency"]) == {"EUR"} and set(frame["ad_id"]) == {"1", "2"} and set(frame["clicks"]) == {31}
    assert frame.loc[frame["conversions"] > 0, "conversions_value"].tolist() == [99.5, 99.5]  # purchases counted once, not per action type


def test_a_restated_day_replaces_the_first_pull_and_nothing_doubles(graph, settings):
    first = graph([[record("2025-06-01", "1", "20.00", "2"), record("2025-06-02", "1", "30.00", "1")]])
    registry = Registry(settings)
    registry.register(land(insights(first.account, date(2025, 6, 1), date(2025, 6, 2)), settings.landing_dir, first.account, date(2025, 6, 1), date(2025, 6, 2)))
    restated = graph([[record("2025-06-02", "1", "34.00", "3")]])  # the next morning, Meta counts more for the 2nd
    registry.register(land(insights(restated.account, date(2025, 6, 2), date(2025, 6, 2)), settings.landing_dir, restated.account, date(2025, 6, 2), date(2025, 6, 2)))
    frame, winners = Registry(settings).read_days("meta_ads", "ad_performance", ["2025-06-01", "2025-06-02"])
    assert frame["spend"].tolist() == [20.0, 34.0] and frame["conversions"].tolist() == [2.0, 3.0]
    assert winners == {"2025-06-01": "meta-insights-act_4815162342-2025-06-01_2025-06-02.jsonl",
                       "2025-06-02": "meta-insights-act_4815162342-2025-06-02_2025-06-02.jsonl"}


def test_an_expired_token_fails_with_what_to_do_and_without_the_token(graph):
    api = graph([], expired=True)
    with pytest.raises(PullFailed) as failure:
        insights(api.account, date(2025, 6, 1), date(2025, 6, 1))
    sentence = str(failure.value)
    assert "Session has expired" in sentence and "set META_ACCESS_TOKEN" in sentence and "act_4815162342" in sentence
    assert TOKEN not in sentence and TOKEN not in repr(api.account)


def test_an_empty_window_lands_nothing(graph, settings):
    api = graph([[]])
    records = insights(api.account, date(2025, 6, 1), date(2025, 6, 1))
    assert records == [] and land(records, settings.landing_dir, api.account, date(2025, 6, 1), date(2025, 6, 1)) is None
    assert list(settings.landing_dir.iterdir()) == []


def test_the_morning_window_is_the_28_days_meta_restates():
    assert window(date(2025, 6, 28)) == (date(2025, 6, 1), date(2025, 6, 28))
