"""Google Ads API: ad-group-level metrics by day through `googleAds:searchStream` (GAQL), landed as a CSV whose columns
are the query's own field names (`segments.date`, `metrics.cost_micros`…) — the API-shaped file the Google Ads parser
reads. An OAuth refresh token is exchanged for an access token first. Google restates conversions for days (a
conversion is dated by its click), so a morning pull asks for the 28 days up to yesterday again."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import requests

from ecom_pipeline.pull import landed
from ecom_pipeline.pull.http import TIMEOUT, PullFailed, json_body, session

API_VERSION = "v18"
ADS_URL = "https://googleads.googleapis.com"
OAUTH_URL = "https://oauth2.googleapis.com/token"
FIELDS = ("segments.date", "customer.id", "customer.descriptive_name", "customer.currency_code", "customer.time_zone", "campaign.id",
          "campaign.name", "ad_group.id", "ad_group.name", "metrics.cost_micros", "metrics.impressions", "metrics.clicks",
          "metrics.conversions", "metrics.conversions_value")
RESTATED_DAYS = 28


@dataclass(frozen=True)
class GoogleAdsAccount:
    """An OAuth client and its refresh token (scope `https://www.googleapis.com/auth/adwords`), the developer token,
    and the customer to pull (digits, dashes allowed); a manager account's id as `login_customer_id` when the customer
    is reached through it."""

    developer_token: str
    client_id: str
    client_secret: str
    refresh_token: str
    customer_id: str
    login_customer_id: str = ""
    api_url: str = ADS_URL
    oauth_url: str = OAUTH_URL

    @property
    def customer(self) -> str:
        return re.sub(r"\D", "", self.customer_id)

    def __repr__(self) -> str:  # never a secret, in a log or a traceback
        return f"GoogleAdsAccount(customer={self.customer!r}, api_url={self.api_url!r})"


def query(since: date, until: date) -> str:
    return (f"SELECT {', '.join(FIELDS)} FROM ad_group "
            f"WHERE segments.date BETWEEN '{since.isoformat()}' AND '{until.isoformat()}' AND metrics.impressions > 0")


def fetch(account: GoogleAdsAccount, since: date, until: date, http: requests.Session | None = None) -> list[dict]:
    """Every ad group × day row of [since, until], flattened to the query's field names, from every streamed batch."""
    http = http or session()
    headers = {"Authorization": f"Bearer {_access_token(account, http)}", "developer-token": account.developer_token}
    if account.login_customer_id:
        headers["login-customer-id"] = re.sub(r"\D", "", account.login_customer_id)
    response = http.post(f"{account.api_url.rstrip('/')}/{API_VERSION}/customers/{account.customer}/googleAds:searchStream",
                         json={"query": query(since, until)}, headers=headers, timeout=TIMEOUT)
    batches = _checked(response, account)
    return [{field: _value(result, field) for field in FIELDS} for batch in batches for result in batch.get("results", [])]


def day_of(record: dict) -> str:
    return record["segments.date"]


def spend(record: dict) -> float:
    return int(record.get("metrics.cost_micros") or 0) / 1e6


def land(records: list[dict], landing, account: GoogleAdsAccount, since: date, until: date):
    """The rows as a CSV in the landing folder; its path (None without any)."""
    return landed.csv_rows(landing / f"google-ads-{account.customer}-{since.isoformat()}_{until.isoformat()}.csv", records, FIELDS)


def _access_token(account: GoogleAdsAccount, http: requests.Session) -> str:
    response = http.post(account.oauth_url, data={"grant_type": "refresh_token", "client_id": account.client_id,
                                                  "client_secret": account.client_secret, "refresh_token": account.refresh_token}, timeout=TIMEOUT)
    body = json_body(response)
    if response.ok and body.get("access_token"):
        return body["access_token"]
    said = body.get("error_description") or body.get("error") or f"HTTP {response.status_code}"
    raise PullFailed(f"Google's OAuth server refused the refresh token of customer {account.customer}: {said} — authorise the "
                     "OAuth client again (scope https://www.googleapis.com/auth/adwords) and set GOOGLE_ADS_REFRESH_TOKEN")


def _checked(response: requests.Response, account: GoogleAdsAccount) -> list:
    body = json_body(response)
    if response.ok and isinstance(body, list):
        return body
    error = (body[0] if isinstance(body, list) and body else body).get("error", {}) if body else {}
    status, message = error.get("status", ""), error.get("message") or f"HTTP {response.status_code}"
    if status == "UNAUTHENTICATED" or response.status_code == 401:
        advice = "authorise the OAuth client again and set GOOGLE_ADS_REFRESH_TOKEN"
    elif status == "PERMISSION_DENIED" or response.status_code == 403:
        advice = (f"give the OAuth user access to customer {account.customer} (through GOOGLE_ADS_LOGIN_CUSTOMER_ID when a manager "
                  "account grants it), and check that the developer token is approved")
    elif status == "RESOURCE_EXHAUSTED":
        advice = "the API's rate limit is reached; the next run pulls these days again"
    else:
        advice = "the next run tries again; if it keeps failing, check GOOGLE_ADS_CUSTOMER_ID"
    raise PullFailed(f"Google Ads API refused the report of customer {account.customer}: {message} — {advice}")


def _value(result: dict, field: str):
    """A GAQL field (`ad_group.id`) from the JSON result, whose keys are camelCase (`adGroup` → `id`)."""
    value = result
    for part in field.split("."):
        value = value.get(re.sub(r"_([a-z])", lambda m: m.group(1).upper(), part), "") if isinstance(value, dict) else ""
    return value
