"""A local server that answers like the Graph API's insights endpoint: its documented shapes and field names, with
invented values. Meta's `paging.next` links carry the access token, as Meta's own do."""

from urllib.parse import parse_qs, urlsplit

import pytest

from ecom_pipeline.pull.meta import MetaAccount
from ecom_pipeline_tests.api_server import JsonHandler, LocalApi, started

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


class GraphAPI(LocalApi):
    """The insights endpoint: `pages` of records, each with Meta's `paging.next` (carrying the token, as Meta's does);
    `failures` maps a page number to the statuses to answer before the page itself."""

    def __init__(self, pages: list[list[dict]], failures: dict[int, list[int]] | None = None, expired: bool = False):
        self.pages, self.failures, self.expired = pages, {k: list(v) for k, v in (failures or {}).items()}, expired
        self.requests: list[tuple[str, dict]] = []

    class Handler(JsonHandler):
        def do_GET(self):
            api = self.api
            api.requests.append((self.path, dict(self.headers)))
            page = int(parse_qs(urlsplit(self.path).query).get("after", ["0"])[0])
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
                                  "next": f"{api.url}{urlsplit(self.path).path}?access_token={TOKEN}&after={page + 1}&limit=500"}
            self.answer(200, body)

    @property
    def account(self) -> MetaAccount:
        return MetaAccount(TOKEN, "4815162342", base_url=self.url)


@pytest.fixture
def graph():
    yield from started(GraphAPI)
