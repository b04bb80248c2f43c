import pandas as pd
import pytest

from ecom_pipeline.sources import FileRejected, detect, parse_bytes

GOOGLE_UI = (
    "Campaign performance report\n"
    '"May 18, 2025 - May 19, 2025"\n'
    "Day,Campaign,Campaign ID,Ad group,Ad group ID,Impr.,Clicks,Cost,Conversions,Conv. value,Currency code\n"
    '2025-05-18,Search - Brand,111,Exact,901,"6,114",412,"1,024.50",12.5,"1,800.25",USD\n'
    "2025-05-19,Search - Brand,111,Exact,901,980,40,88.10,--, --,USD\n"
    'Total: Account,--,--,--,--,"7,094",452,"1,112.60",12.5,"1,800.25",\n'
    'Total: Search,--,--,--,--,"7,094",452,"1,112.60",12.5,"1,800.25",\n'
)


def test_google_ui_report_with_title_range_thousands_dashes_and_totals():
    result = parse_bytes(GOOGLE_UI.encode())
    frame = result.tables["ad_performance"]
    assert result.family == "google_ads" and (result.rows_read, result.rows_skipped) == (4, 2) and not result.problems
    assert "skipped 2 totals row" in result.notes[0]
    assert list(frame["impressions"]) == [6114, 980]
    assert list(frame["spend"]) == pytest.approx([1024.50, 88.10])
    assert list(frame["conversions"]) == pytest.approx([12.5, 0.0])
    assert list(frame["conversions_value"]) == pytest.approx([1800.25, 0.0])
    assert list(frame["date_day"]) == [pd.Timestamp("2025-05-18"), pd.Timestamp("2025-05-19")]
    assert frame.loc[0, "ad_group_id"] == "901" and frame.loc[0, "platform"] == "google"


def test_google_excel_csv_is_utf16_tab_separated():
    raw = GOOGLE_UI.replace(",", "\t").replace('"6\t114"', "6114").replace('"1\t024.50"', "1024.50").replace('"1\t800.25"', "1800.25").encode("utf-16")
    assert raw[:2] == b"\xff\xfe"
    assert detect(raw) == ("google_ads", "utf-16")
    frame = parse_bytes(raw).tables["ad_performance"]
    assert list(frame["spend"]) == pytest.approx([1024.50, 88.10])
    assert list(frame["impressions"]) == [6114, 980]


def test_google_api_shaped_file_divides_cost_micros():
    raw = (
        "segments.date,customer.id,customer.currency_code,campaign.id,campaign.name,metrics.impressions,metrics.clicks,"
        "metrics.cost_micros,metrics.conversions,metrics.conversions_value\n"
        "2025-05-20,123-456-7890,EUR,222,PMax,1000,50,12345678,1.5,99.9\n"
    ).encode()
    frame = parse_bytes(raw).tables["ad_performance"]
    assert frame.loc[0, "spend"] == pytest.approx(12.345678)
    assert (frame.loc[0, "currency"], frame.loc[0, "campaign_id"], frame.loc[0, "account_id"]) == ("EUR", "222", "123-456-7890")


def test_google_without_day_uses_a_single_day_range_and_refuses_a_longer_one():
    one_day = 'Report\n"May 18, 2025 - May 18, 2025"\nCampaign,Impr.,Cost,Currency code\nBrand,10,1.00,USD\n'
    assert parse_bytes(one_day.encode()).tables["ad_performance"].loc[0, "date_day"] == pd.Timestamp("2025-05-18")
    with pytest.raises(FileRejected, match="2025-05-18..2025-05-25"):
        parse_bytes(one_day.replace("May 18, 2025\"", "May 25, 2025\"").encode())


def test_tiktok_ui_export_with_alternative_labels():
    raw = (
        "By Day,Campaign name,Campaign ID,Ad group name,Ad group ID,Ad name,Ad ID,Cost (USD),Impressions,"
        "Clicks (Destination),Complete payment,Total complete payment\n"
        "2025-05-18,Spark,7001,UGC,7101,Clip 1,7201,55.25,20000,180,4,312.00\n"
        "Total,,,,,,,55.25,20000,180,4,312.00\n"
    ).encode()
    result = parse_bytes(raw)
    frame = result.tables["ad_performance"]
    assert result.family == "tiktok_ads" and (result.rows_read, result.rows_loaded, result.rows_skipped) == (2, 1, 1)
    row = frame.iloc[0]
    assert (row["platform"], row["currency"], row["clicks"], row["conversions"]) == ("tiktok", "USD", 180, 4)
    assert row["conversions_value"] == pytest.approx(312.0) and row["ad_group_name"] == "UGC"


def test_tiktok_api_shape_value_is_total_complete_payment_rate():
    raw = (
        "stat_time_day,campaign_id,campaign_name,spend,impressions,clicks,conversion,complete_payment,total_complete_payment_rate,currency\n"
        "2025-05-18 00:00:00,7001,Spark,10.5,100,7,3,2,150.75,USD\n"
    ).encode()
    row = parse_bytes(raw).tables["ad_performance"].iloc[0]
    assert row["date_day"] == pd.Timestamp("2025-05-18")
    assert (row["conversions"], row["conversions_value"], row["spend"]) == (2, 150.75, 10.5)
