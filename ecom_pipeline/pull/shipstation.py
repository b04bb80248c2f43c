"""ShipStation API: the shipments (labels) shipped in a window, with their items, page after page (`GET /shipments`,
HTTP Basic with the API key and secret), landed as one JSON object a line for the Shipments parser. A label can be
voided days after it was printed, so a morning pull asks for the 28 days of ship dates up to yesterday again."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import requests

from ecom_pipeline.pull import landed
from ecom_pipeline.pull.http import TIMEOUT, PullFailed, json_body, session

API_URL = "https://ssapi.shipstation.com"
PAGE_SIZE = 500
RESTATED_DAYS = 28


@dataclass(frozen=True)
class ShipStationAccount:
    """An API key and secret (Settings → Account → API Settings)."""

    api_key: str
    api_secret: str
    api_url: str = API_URL

    def __repr__(self) -> str:  # never a secret, in a log or a traceback
        return f"ShipStationAccount(api_url={self.api_url!r})"


def fetch(account: ShipStationAccount, since: date, until: date, http: requests.Session | None = None) -> list[dict]:
    """Every shipment whose ship date is in [since, until], voided ones included (flagged), over every page."""
    http = http or session()
    records, page, pages = [], 1, 1
    while page <= pages:
        response = http.get(f"{account.api_url.rstrip('/')}/shipments", auth=(account.api_key, account.api_secret), timeout=TIMEOUT,
                            params={"shipDateStart": since.isoformat(), "shipDateEnd": until.isoformat(), "includeShipmentItems": "true",
                                    "page": page, "pageSize": PAGE_SIZE, "sortBy": "ShipDate"})
        body = _checked(response)
        records += body.get("shipments", [])
        pages, page = int(body.get("pages") or 1), page + 1
    return records


def day_of(record: dict) -> str:
    return str(record["shipDate"])[:10]


def spend(record: dict) -> float:
    """The label's postage (what shipping costs the brand), voided labels not counted."""
    return 0.0 if record.get("voided") else float(record.get("shipmentCost") or 0)


def land(records: list[dict], landing, account: ShipStationAccount, since: date, until: date):
    """The shipments as a JSON-lines file in the landing folder; its path (None without any)."""
    return landed.json_lines(landing / f"shipstation-shipments-{since.isoformat()}_{until.isoformat()}.jsonl", records)


def _checked(response: requests.Response) -> dict:
    body = json_body(response)
    if response.ok and isinstance(body, dict) and "shipments" in body:
        return body
    said = (body.get("Message") if isinstance(body, dict) else None) or response.text[:200] or f"HTTP {response.status_code}"
    if response.status_code == 401:
        advice = "create a new key under Settings → Account → API Settings and set SHIPSTATION_API_KEY and SHIPSTATION_API_SECRET"
    else:
        advice = "the next run tries again"
    raise PullFailed(f"ShipStation API refused the shipments (HTTP {response.status_code}: {said.strip() or 'no message'}) — {advice}")
