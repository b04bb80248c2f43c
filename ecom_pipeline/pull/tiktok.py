"""TikTok Business API: the integrated report (`report/integrated/get`, `BASIC`, `AUCTION_AD`) by `stat_time_day` at ad
level, page after page, landed as a CSV with the API's own names (`stat_time_day`, `spend`, `complete_payment`,
`total_complete_payment_rate`…) — the API-shaped file the TikTok parser reads. TikTok reports days in UTC and
restates conversions within its attribution window, so a morning pull asks for the 28 days up to yesterday again."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

import requests

from ecom_pipeline.pull import landed
from ecom_pipeline.pull.http import TIMEOUT, PullFailed, json_body, session

API_URL = "https://business-api.tiktok.com"
REPORT_PATH = "/open_api/v1.3/report/integrated/get/"
DIMENSIONS = ("ad_id", "stat_time_day")
# Attribute metrics (names and ids) ride along with the numbers at ad level.
METRICS = ("advertiser_id", "advertiser_name", "campaign_id", "campaign_name", "adgroup_id", "adgroup_name", "ad_name", "currency",
           "spend", "impressions", "clicks", "complete_payment", "total_complete_payment_rate")
COLUMNS = (*DIMENSIONS, *METRICS)
PAGE_SIZE = 1000
RESTATED_DAYS = 28
TOKEN_ERRORS = {40001, 40104, 40105}  # invalid, expired or revoked access token
PERMISSION_ERRORS = {40002, 40006, 40007}
THROTTLE_ERRORS = {40100, 40133}


@dataclass(frozen=True)
class TikTokAdvertiser:
    """A long-lived access token of a TikTok for Business app with the Reporting permission, and the advertiser."""

    access_token: str
    advertiser_id: str
    api_url: str = API_URL

    def __repr__(self) -> str:  # never the token, in a log or a traceback
        return f"TikTokAdvertiser({self.advertiser_id!r}, api_url={self.api_url!r})"


def fetch(advertiser: TikTokAdvertiser, since: date, until: date, http: requests.Session | None = None) -> list[dict]:
    """Every ad × day row of [since, until], its dimensions and metrics side by side, over every page."""
    http = http or session()
    records, page, pages = [], 1, 1
    while page <= pages:
        response = http.get(f"{advertiser.api_url.rstrip('/')}{REPORT_PATH}", headers={"Access-Token": advertiser.access_token}, timeout=TIMEOUT,
                            params={"advertiser_id": advertiser.advertiser_id, "report_type": "BASIC", "data_level": "AUCTION_AD",
                                    "dimensions": json.dumps(list(DIMENSIONS)), "metrics": json.dumps(list(METRICS)),
                                    "start_date": since.isoformat(), "end_date": until.isoformat(), "page": page, "page_size": PAGE_SIZE})
        data = _checked(response, advertiser)
        records += [{**row.get("dimensions", {}), **row.get("metrics", {})} for row in data.get("list", [])]
        pages, page = int(data.get("page_info", {}).get("total_page") or 1), page + 1
    return records


def day_of(record: dict) -> str:
    return str(record["stat_time_day"])[:10]


def spend(record: dict) -> float:
    return float(record.get("spend") or 0)


def land(records: list[dict], landing, advertiser: TikTokAdvertiser, since: date, until: date):
    """The rows as a CSV in the landing folder; its path (None without any)."""
    return landed.csv_rows(landing / f"tiktok-report-{advertiser.advertiser_id}-{since.isoformat()}_{until.isoformat()}.csv", records, COLUMNS)


def _checked(response: requests.Response, advertiser: TikTokAdvertiser) -> dict:
    """The page's `data`, or PullFailed with what TikTok said (it answers errors with HTTP 200 and a `code`)."""
    body = json_body(response)
    code = body.get("code") if isinstance(body, dict) else None
    if response.ok and code == 0:
        return body.get("data") or {}
    message = (body.get("message") if isinstance(body, dict) else None) or f"HTTP {response.status_code}"
    if code in TOKEN_ERRORS or response.status_code == 401:
        advice = "authorise the app again for the advertiser (Reporting permission) and set TIKTOK_ACCESS_TOKEN"
    elif code in PERMISSION_ERRORS or response.status_code == 403:
        advice = f"grant the app access to advertiser {advertiser.advertiser_id} with the Reporting permission"
    elif code in THROTTLE_ERRORS:
        advice = "the API's rate limit is reached; the next run pulls these days again"
    else:
        advice = "the next run tries again; if it keeps failing, check TIKTOK_ADVERTISER_ID"
    raise PullFailed(f"TikTok Business API refused the report of advertiser {advertiser.advertiser_id}: {message} (code {code}) — {advice}")
