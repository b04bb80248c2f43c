"""Meta Marketing API: an ad account's ad-level insights by day (`time_increment=1`), landed as one JSON record a
line — what the API returned, page after page — for the Meta parser. Meta restates conversions for 28 days, so a
morning pull asks for the 28 days up to yesterday again; a file whose content did not change is only archived."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests

from ecom_pipeline.pull import landed
from ecom_pipeline.pull.http import TIMEOUT, PullFailed, json_body, session

API_VERSION = "v21.0"
GRAPH_URL = "https://graph.facebook.com"
FIELDS = ("account_id", "account_name", "account_currency", "campaign_id", "campaign_name", "adset_id", "adset_name", "ad_id",
          "ad_name", "date_start", "date_stop", "spend", "impressions", "clicks", "inline_link_clicks", "actions", "action_values")
RESTATED_DAYS = 28
PAGE_SIZE = 500
TOKEN_ERRORS = {190, 102}  # expired, revoked or malformed access token
PERMISSION_ERRORS = {10, 200, 294}
THROTTLE_ERRORS = {4, 17, 32, 613, 80000, 80004}  # app, user and ad-account rate limits


@dataclass(frozen=True)
class MetaAccount:
    """What a Meta pull needs: a system user's access token with `ads_read`, and the ad account (`act_123` or `123`)."""

    access_token: str
    ad_account_id: str
    base_url: str = GRAPH_URL

    @property
    def account(self) -> str:
        return self.ad_account_id if self.ad_account_id.startswith("act_") else f"act_{self.ad_account_id}"

    def __repr__(self) -> str:  # never the token, in a log or a traceback
        return f"MetaAccount({self.account!r}, base_url={self.base_url!r})"


def window(yesterday: date, days: int = RESTATED_DAYS) -> tuple[date, date]:
    """The days a morning pull asks for: yesterday and the `days` - 1 before it, which Meta may have restated."""
    return yesterday - timedelta(days=days - 1), yesterday


def fetch(account: MetaAccount, since: date, until: date, http: requests.Session | None = None) -> list[dict]:
    """Every ad × day insights record of [since, until], following the API's pages."""
    http = http or session()
    url = f"{account.base_url.rstrip('/')}/{API_VERSION}/{account.account}/insights"
    params: dict | None = {"level": "ad", "time_increment": 1, "fields": ",".join(FIELDS), "limit": PAGE_SIZE,
                           "time_range": json.dumps({"since": since.isoformat(), "until": until.isoformat()})}
    records: list[dict] = []
    while url:
        response = http.get(url, params=params, headers={"Authorization": f"Bearer {account.access_token}"}, timeout=TIMEOUT)
        body = _checked(response, account)
        records += body.get("data", [])
        url, params = _without_token(body.get("paging", {}).get("next")), None
    return records


def day_of(record: dict) -> str:
    return record["date_start"]


def spend(record: dict) -> float:
    return float(record.get("spend") or 0)


def land(records: list[dict], landing, account: MetaAccount, since: date, until: date):
    """The records as a JSON-lines file in the landing folder; its path (None for a window without delivery)."""
    return landed.json_lines(landing / f"meta-insights-{account.account}-{since.isoformat()}_{until.isoformat()}.jsonl", records)


def _checked(response: requests.Response, account: MetaAccount) -> dict:
    """The page's JSON, or PullFailed with what Meta said and what to do about it."""
    body = json_body(response)
    if response.ok and "error" not in body:
        return body
    error = body.get("error", {}) if isinstance(body, dict) else {}
    code, message = error.get("code"), error.get("message") or f"HTTP {response.status_code}"
    if code in TOKEN_ERRORS or response.status_code == 401:
        advice = "create a new system-user access token with the ads_read permission and set META_ACCESS_TOKEN"
    elif code in PERMISSION_ERRORS or response.status_code == 403:
        advice = f"give the token's system user access to {account.account} with the ads_read permission"
    elif code in THROTTLE_ERRORS:
        advice = f"the rate limit is reached ({_regain(response)}); the next run pulls these days again"
    else:
        advice = "the next run tries again; if it keeps failing, check the ad account id (META_AD_ACCOUNT_ID)"
    raise PullFailed(f"Meta Marketing API refused the insights of {account.account}: {message} — {advice}")


def _regain(response: requests.Response) -> str:
    """Meta's own estimate of when the account may call again, from its usage header."""
    try:
        usage = json.loads(response.headers.get("X-Business-Use-Case-Usage", "{}"))
        minutes = max(entry.get("estimated_time_to_regain_access", 0) for entries in usage.values() for entry in entries)
        return f"Meta expects access again in {minutes} minutes"
    except (ValueError, AttributeError, TypeError):
        return "Meta gave no estimate of when"


def _without_token(url: str | None) -> str | None:
    """The next page's URL without the `access_token` Meta puts in it (the token goes in a header, never a URL)."""
    if not url:
        return None
    parts = urlsplit(url)
    query = [(key, value) for key, value in parse_qsl(parts.query, keep_blank_values=True) if key != "access_token"]
    return urlunsplit(parts._replace(query=urlencode(query)))
