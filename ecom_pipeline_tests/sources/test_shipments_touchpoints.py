import hashlib
import json

import pandas as pd
import pytest

from ecom_pipeline.sources import FileRejected, detect, parse_bytes
from ecom_pipeline.sources.touchpoints import _read_flat_lines

SHIPSTATION = (
    "Order - Number,Date - Order Date,Date - Shipped Date,Date - Label Create Date,Carrier - Name,Carrier - Service Selected,"
    "Shipment - Tracking Number,Shipment - Weight (Oz),Shipment - Zone,Shipment - Void Flag,Amount - Shipping Cost,"
    "Amount - Order Shipping,Insurance - Cost,Delivery - Date,Return - Return Label Flag,Return - RMA Number,"
    "Operations - Warehouse,Item - SKU,Item - Qty\n"
    "#1001,10/7/2025 9:50:26 AM,10/8/2025 2:00:00 PM,10/8/2025 1:00:00 PM,USPS,Ground Advantage,TRK1,16,5,false,7.45,5.00,0,10/11/2025,false,,Main,TEE-M,2\n"
    "#1001,10/7/2025 9:50:26 AM,10/8/2025 2:00:00 PM,10/8/2025 1:00:00 PM,USPS,Ground Advantage,TRK1,16,5,false,7.45,5.00,0,10/11/2025,false,,Main,MUG,1\n"
    "#1001,10/7/2025 9:50:26 AM,10/8/2025 2:00:00 PM,10/8/2025 1:00:00 PM,USPS,Ground Advantage,TRK1,16,5,false,7.45,5.00,0,10/11/2025,false,,Main,MUG,1\n"
    "#1001,10/7/2025 9:50:26 AM,10/9/2025 10:00:00 AM,10/9/2025 9:00:00 AM,UPS,Ground,TRK2,8,5,false,6.10,0,0,,false,,Main,CAP,1\n"
    "#1002,10/8/2025 8:00:00 AM,,10/8/2025 3:00:00 PM,USPS,Priority,TRK3,8,4,true,9.99,0,0,,false,,Main,CAP,1\n"
)


def test_shipments_dedupe_items_and_reimports_and_flag_voids():
    result = parse_bytes(SHIPSTATION.encode())
    frame = result.tables["shipments"].set_index("tracking_number")
    assert result.family == "shipments" and result.rows_read == 5 and result.rows_loaded == 5
    assert list(frame.index) == ["TRK1", "TRK2", "TRK3"]
    assert frame.loc["TRK1", "label_cost"] == 7.45  # once per label, not per item row
    assert frame.loc["TRK1", "item_quantity"] == 3  # the re-imported MUG row is not counted twice
    assert frame.loc["TRK1", "skus"] == "MUG,TEE-M"
    assert frame.loc["TRK1", "shipped_date"] == pd.Timestamp("2025-10-08")
    assert frame.loc["TRK1", "delivered_date"] == pd.Timestamp("2025-10-11")
    assert bool(frame.loc["TRK3", "voided"]) and not bool(frame.loc["TRK1", "voided"])
    assert frame.loc["TRK3", "shipped_date"] == pd.Timestamp("2025-10-08")  # label date stands in


def test_generic_event_lines_hash_emails_and_extract_click_ids():
    events = [
        {"event_id": "e1", "event_timestamp": "2025-10-07T07:00:00Z", "event_name": "page_view", "anonymous_id": "a1",
         "session_id": "s1", "page_url": "https://shop.example/p/tee?utm_source=facebook&utm_medium=paid_social&utm_campaign=2385&fbclid=IwAR0abc",
         "referrer": "https://l.facebook.com/l.php?u=x"},
        {"event_id": "e2", "event_timestamp": 1759820400000, "event_name": "purchase", "anonymous_id": "a1", "session_id": "s1",
         "email": " Ana@Example.com ", "order_id": 5001, "revenue": "113.05", "currency": "eur",
         "page_url": "https://shop.example/thanks?email=ana@example.com"},
        {"event_id": "e3", "event_timestamp": "2025-10-07T08:00:00+02:00", "event_name": "page_view", "anonymous_id": "a2",
         "gclid": "Cj0KCQ", "utm_source": "facebook", "page_url": "https://shop.example/"},
    ]
    raw = "\n".join(json.dumps(e) for e in events).encode()
    assert detect(raw)[0] == "touchpoints"
    result = parse_bytes(raw)
    frame = result.tables["touchpoints"].set_index("event_id")
    assert result.rows_read == 3 and not result.problems
    assert (frame.loc["e1", "click_id"], frame.loc["e1", "click_id_type"]) == ("IwAR0abc", "fbclid")
    assert (frame.loc["e1", "utm_source"], frame.loc["e1", "utm_campaign"]) == ("facebook", "2385")
    assert frame.loc["e1", "landing_page"] == "https://shop.example/p/tee"
    assert frame.loc["e1", "referrer"] == "https://l.facebook.com/l.php"
    assert frame.loc["e2", "event_timestamp"] == pd.Timestamp("2025-10-07 07:00:00", tz="UTC")  # epoch milliseconds
    assert frame.loc["e2", "customer_key"] == hashlib.sha256(b"ana@example.com").hexdigest()
    assert (frame.loc["e2", "order_id"], frame.loc["e2", "revenue"], frame.loc["e2", "currency"]) == ("5001", 113.05, "EUR")
    assert frame.loc["e3", "event_timestamp"] == pd.Timestamp("2025-10-07 06:00:00", tz="UTC")
    assert frame.loc["e3", "click_id_type"] == "gclid"  # the click id stays even though UTMs say facebook
    assert "example.com" not in result.tables["touchpoints"].astype(str).to_csv()


def test_flat_event_lines_read_by_arrow_keep_ids_whole_and_times_as_written():
    """A pixel's uniform lines go through Arrow's JSON reader: numeric ids with gaps stay `5001`, not `5001.0`; times
    and days stay the text they were (never guessed into timestamps); a week of them reads in one call."""
    events = [
        {"event_id": "e1", "event_timestamp": "2025-10-07T03:30:00Z", "event_name": "page_view", "anonymous_id": 123, "session_id": "s1",
         "order_id": None, "revenue": None, "page_url": "https://shop.example/?utm_source=klaviyo&utm_medium=email"},
        {"event_id": "e2", "event_timestamp": "2025-10-07T05:00:00.250Z", "event_name": "purchase", "anonymous_id": 123, "session_id": "s1",
         "order_id": 5001, "revenue": 20, "currency": "usd", "email_sha256": "A" * 64},
        {"event_id": "e3", "event_timestamp": "2025-10-08T01:00:00Z", "event_name": "purchase", "anonymous_id": None, "session_id": None,
         "order_id": 5002, "revenue": 19.99, "currency": None},
    ]
    text = "\n".join(json.dumps(e) for e in events)
    assert _read_flat_lines(text) is not None  # the Arrow path, not pandas' fallback
    frame = parse_bytes(text.encode(), shop_timezone="America/New_York").tables["touchpoints"].set_index("event_id")
    assert frame["order_id"].tolist()[1:] == ["5001", "5002"] and pd.isna(frame.loc["e1", "order_id"])
    assert frame.loc["e1", "anonymous_id"] == "123" and pd.isna(frame.loc["e3", "anonymous_id"])
    assert frame["revenue"].tolist()[1:] == [20.0, 19.99] and frame.loc["e2", "currency"] == "USD"
    assert frame.loc["e2", "event_timestamp"] == pd.Timestamp("2025-10-07 05:00:00.250", tz="UTC")
    assert frame["event_date"].tolist() == [pd.Timestamp("2025-10-06"), pd.Timestamp("2025-10-07"), pd.Timestamp("2025-10-07")]  # New York days
    assert frame.loc["e2", "customer_key"] == "a" * 64 and frame.loc["e1", "utm_source"] == "klaviyo"


def test_ga4_export_shape_with_click_ids_inside_page_location():
    event = {
        "event_date": "20251007", "event_timestamp": 1759820400123456, "event_name": "page_view",
        "user_pseudo_id": "123.456",
        "event_params": [
            {"key": "ga_session_id", "value": {"int_value": 1759820400}},
            {"key": "page_location", "value": {"string_value": "https://shop.example/?ttclid=E.C.P.xyz&utm_source=tiktok"}},
            {"key": "page_referrer", "value": {"string_value": "https://www.tiktok.com/"}},
        ],
        "collected_traffic_source": {"manual_source": "tiktok", "manual_medium": "paid_social", "manual_campaign_name": "Spark"},
        "ecommerce": {"transaction_id": None},
    }
    purchase = dict(event, event_name="purchase", event_params=event["event_params"][:1], ecommerce={"transaction_id": "5001", "purchase_revenue": 42.5})
    raw = (json.dumps(event) + "\n" + json.dumps(purchase) + "\n").encode()
    frame = parse_bytes(raw).tables["touchpoints"]
    view, buy = frame.iloc[0], frame.iloc[1]
    assert (view["click_id"], view["click_id_type"]) == ("E.C.P.xyz", "ttclid")
    assert (view["utm_source"], view["utm_medium"], view["utm_campaign"]) == ("tiktok", "paid_social", "Spark")
    assert view["anonymous_id"] == "123.456" and view["session_id"] == "123.456.1759820400"
    assert view["event_timestamp"] == pd.Timestamp("2025-10-07 07:00:00.123456", tz="UTC")
    assert (buy["order_id"], buy["revenue"]) == ("5001", 42.5)
    assert frame["event_id"].is_unique


def test_events_are_dated_by_the_shops_calendar_day_or_by_ga4s_own_event_date():
    # 02:30 UTC on Oct 8 is 22:30 on Oct 7 in New York: the evening's orders and visits fall on the same shop day.
    late = {"event_id": "e1", "event_timestamp": "2025-10-08T02:30:00Z", "event_name": "page_view", "anonymous_id": "a1"}
    raw = json.dumps(late).encode()
    assert parse_bytes(raw, shop_timezone="America/New_York").tables["touchpoints"]["event_date"].tolist() == [pd.Timestamp("2025-10-07")]
    assert parse_bytes(raw).tables["touchpoints"]["event_date"].tolist() == [pd.Timestamp("2025-10-08")]  # no time zone given: UTC
    # GA4 dates each event in the property's time zone; its daily table is that day, whatever the shop setting says.
    ga4 = {"event_date": "20251007", "event_timestamp": 1759890600000000, "event_name": "page_view", "user_pseudo_id": "1.2"}
    frame = parse_bytes(json.dumps(ga4).encode(), shop_timezone="UTC").tables["touchpoints"]
    assert frame["event_timestamp"].tolist() == [pd.Timestamp("2025-10-08 02:30", tz="UTC")]
    assert frame["event_date"].tolist() == [pd.Timestamp("2025-10-07")]


def test_bad_json_lines_and_bad_timestamps_are_row_problems():
    raw = (
        b'{"event_id": "1", "event_timestamp": "2025-10-07T07:00:00Z", "event_name": "page_view"}\n'
        b'{"event_id": "2", "event_timestamp": "yesterday", "event_name": "page_view"}\n'
        b'{"event_id": "3", "event_timestamp": \n'
    )
    result = parse_bytes(raw)
    assert result.rows_read == 3 and result.rows_loaded == 1
    assert {(p.row, p.rule) for p in result.problems} == {(2, "bad_timestamp"), (3, "bad_json")}


def test_csv_events_with_email_sha256():
    key = hashlib.sha256(b"c@d.com").hexdigest()
    raw = f"event_id,event_timestamp,event_name,anonymous_id,email_sha256,landing_page\nx,2025-10-07 07:00:00,page_view,a,{key.upper()},/home\n".encode()
    frame = parse_bytes(raw).tables["touchpoints"]
    assert frame.loc[0, "customer_key"] == key


@pytest.mark.parametrize(("raw", "reason"), [
    (b"", "empty"),
    (b"foo,bar\n1,2\n", "no known export"),
    (b'{"a": 1}\n', "match no known export"),
])
def test_unknown_files_are_refused_with_a_reason(raw, reason):
    with pytest.raises(FileRejected, match=reason):
        parse_bytes(raw)
