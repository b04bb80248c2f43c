"""The ShipStation pull against a local server that answers like `GET /shipments` (its documented shape: camelCase
shipments with `shipmentItems`, `total`, `page`, `pages`; HTTP Basic; invented values): two pages, a 429 on the way,
a refused key, a voided label."""

import base64
from datetime import date
from urllib.parse import parse_qs, urlsplit

import pytest

from ecom_pipeline.ingest import Registry
from ecom_pipeline.pull.http import PullFailed
from ecom_pipeline.pull.shipstation import ShipStationAccount, fetch, land
from ecom_pipeline_tests.api_server import JsonHandler, LocalApi, started

KEY, SECRET = "ss-key-secret", "ss-secret-secret"


def shipment(number: str, tracking: str, day: str, cost: float, items: list[tuple[str, int]], voided: bool = False) -> dict:
    return {"shipmentId": int(tracking[-6:]), "orderId": 9000 + int(number), "orderKey": f"key{number}", "orderNumber": number,
            "createDate": f"{day}T09:12:30.1230000", "shipDate": day, "shipmentCost": cost, "insuranceCost": 0.0, "trackingNumber": tracking,
            "isReturnLabel": False, "carrierCode": "stamps_com", "serviceCode": "usps_ground_advantage", "warehouseId": 501, "voided": voided,
            "voidDate": f"{day}T15:00:00.0000000" if voided else None,
            "shipmentItems": [{"orderItemId": i, "sku": sku, "name": f"Item {sku}", "quantity": qty} for i, (sku, qty) in enumerate(items)]}


class Shipments(LocalApi):
    """`GET /shipments`: `pages` of shipments behind HTTP Basic; `failures` statuses to answer first."""

    def __init__(self, pages: list[list[dict]], failures: list[int] | None = None):
        self.pages, self.failures, self.requests = pages, list(failures or []), []

    class Handler(JsonHandler):
        def do_GET(self):
            api = self.api
            api.requests.append((self.path, dict(self.headers)))
            if self.headers.get("Authorization") != "Basic " + base64.b64encode(f"{KEY}:{SECRET}".encode()).decode():
                return self.answer(401, {"Message": "Authorization has been denied for this request."})
            if api.failures:
                return self.answer(api.failures.pop(0), {"Message": "Too Many Requests"}, {"Retry-After": "1", "X-Rate-Limit-Reset": "1"})
            page = int(parse_qs(urlsplit(self.path).query)["page"][0])
            self.answer(200, {"shipments": api.pages[page - 1], "total": sum(map(len, api.pages)), "page": page, "pages": len(api.pages)})

    @property
    def account(self) -> ShipStationAccount:
        return ShipStationAccount(KEY, SECRET, api_url=self.url)


@pytest.fixture
def shipstation():
    yield from started(Shipments)


def test_pages_land_through_a_429_and_each_label_loads_once_with_its_items(shipstation, settings):
    api = shipstation([[shipment("1001", "9400111200000000000001", "2025-06-02", 6.45, [("TEE-M", 2), ("CAP", 1)]),
                        shipment("1002", "9400111200000000000002", "2025-06-02", 7.10, [("TEE-L", 1)], voided=True)],
                       [shipment("1003", "9400111200000000000003", "2025-06-03", 5.95, [("SOCK", 3)])]], failures=[429])
    records = fetch(api.account, date(2025, 6, 2), date(2025, 6, 3))
    assert [r["orderNumber"] for r in records] == ["1001", "1002", "1003"] and len(api.requests) == 3
    query = parse_qs(urlsplit(api.requests[-1][0]).query)
    assert query["shipDateStart"] == ["2025-06-02"] and query["includeShipmentItems"] == ["true"] and query["page"] == ["2"]
    path = land(records, settings.landing_dir, api.account, date(2025, 6, 2), date(2025, 6, 3))
    assert KEY not in path.read_text() and SECRET not in path.read_text()
    registration = Registry(settings).register(path)
    assert registration.family == "shipments" and registration.rows_read == 4  # an item a row, as the export writes them
    frame, _ = Registry(settings).read_days("shipments", "shipments", ["2025-06-02", "2025-06-03"])
    labels = frame.set_index("order_name")
    assert labels["label_cost"].to_dict() == {"1001": 6.45, "1002": 7.10, "1003": 5.95}  # once a label, not once an item
    assert labels["voided"].tolist() == [False, True, False] and labels.loc["1001", "item_quantity"] == 3
    assert labels.loc["1001", "skus"] == "CAP,TEE-M" and labels.loc["1001", "carrier"] == "stamps_com"


def test_a_refused_key_fails_with_what_to_do_and_no_secret(shipstation):
    api = shipstation([])
    refused = ShipStationAccount("wrong", "keys", api_url=api.account.api_url)
    with pytest.raises(PullFailed) as failure:
        fetch(refused, date(2025, 6, 1), date(2025, 6, 1))
    assert "Authorization has been denied" in str(failure.value) and "set SHIPSTATION_API_KEY and SHIPSTATION_API_SECRET" in str(failure.value)
    assert "keys" not in repr(refused) and KEY not in repr(api.account)
