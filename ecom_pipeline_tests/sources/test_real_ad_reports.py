"""Meta, Google and TikTok downloads in the shapes their tools really write (fixtures/real_layouts, invented values).

FORMATS.md, "What real exports look like": what must load (every row), and what is refused with a reason that
says how to export a file that loads.
"""

from pathlib import Path

import pandas as pd
import pytest

from ecom_pipeline.sources import FileRejected, parse_bytes, parse_file
from ecom_pipeline.sources.ad_report import UNKNOWN_CAMPAIGN
from ecom_pipeline.sources.workbook import MAX_EXPANDED_BYTES

FIXTURES = Path(__file__).parent.parent / "fixtures" / "real_layouts"


def load(name: str, **kwargs):
    result = parse_file(FIXTURES / name, **kwargs)
    assert result.rows_read == result.rows_loaded + result.rows_quarantined + result.rows_skipped
    return result, result.tables["ad_performance"]


# ---------------------------------------------------------------- Meta


def test_meta_ad_set_level_daily_rows_without_day_or_campaign_columns():
    result, frame = load("meta_adset_level_daily_title_case_inr.csv")
    assert (result.family, result.rows_read, result.rows_loaded, result.problems) == ("meta_ads", 4, 4, [])
    assert set(frame["campaign_id"]) == {UNKNOWN_CAMPAIGN} and set(frame["currency"]) == {"INR"}
    by_day = frame.groupby(frame["date_day"].dt.strftime("%Y-%m-%d"))["spend"].sum().round(3).to_dict()
    assert by_day == {"2026-03-02": 1770.114, "2026-03-03": 1688.5}
    assert sorted(frame["ad_group_name"].unique()) == ["Prospecting - Broad 25-44", "Retargeting - 30d visitors"]
    assert frame.loc[frame["ad_group_name"].str.startswith("Prospecting"), "conversions_value"].sum() == 4497 + 1499


def test_meta_pt_br_breakdowns_are_summed_to_the_ad_and_day_and_dashes_are_zero():
    result, frame = load("meta_ptbr_ad_level_age_gender_brl.csv")
    assert (result.rows_read, result.rows_loaded, result.problems) == (4, 4, [])
    video = frame.set_index("ad_name").loc["Vídeo depoimento 01"]
    assert video["spend"] == pytest.approx(53.344971952 + 20.1 + 1.05)
    assert (video["impressions"], video["clicks"], video["currency"]) == (1204 + 640 + 33, 31 + 9, "BRL")
    assert len(frame) == 2 and "summed 4 rows to 2" in " ".join(result.notes)


def test_meta_spanish_headers_and_currency_suffix():
    _, frame = load("meta_es_campaign_cop.csv")
    assert list(frame["campaign_name"]) == ["Ventas - Catálogo", "Tráfico - Blog"]
    assert list(frame["spend"]) == [185000.5, 42000.0] and set(frame["currency"]) == {"COP"}


def test_meta_no_data_available_is_zero_rows_not_an_error():
    result, frame = load("meta_no_data_available.csv")
    assert (result.rows_read, result.rows_skipped, result.rows_loaded, len(frame)) == (1, 1, 0, 0)
    assert not result.problems and "No data available" in result.notes[-1]


def test_meta_without_a_spend_column_is_refused_saying_so():
    with pytest.raises(FileRejected, match="no 'Amount spent' column.*Add Amount spent"):
        parse_file(FIXTURES / "meta_reach_only_no_spend.csv")


def test_meta_xlsx_with_dates_stored_as_text():
    result, frame = load("meta_campaign_daily_phpspreadsheet.xlsx")
    assert (result.family, result.encoding, result.rows_loaded) == ("meta_ads", "xlsx", 2)
    assert list(frame["date_day"]) == [pd.Timestamp("2026-04-01"), pd.Timestamp("2026-04-02")]
    assert list(frame["spend"]) == [41.27, 38.0] and list(frame["conversions"]) == [2.0, 0.0]
    assert frame["campaign_id"].iloc[0] == "120210000000000001"  # an 18-digit id stays exact text


# ---------------------------------------------------------------- Google


def test_google_utf16_campaign_report_with_totals_lt_10_percent_and_currency_code_twice():
    result, frame = load("google_campaign_report_day_utf16_tabs.csv")
    assert (result.encoding, result.rows_read, result.rows_loaded, result.rows_skipped) == ("utf-16", 6, 4, 2)
    assert frame["spend"].sum() == pytest.approx(542.07) and frame["impressions"].sum() == 20636
    assert frame.set_index(["campaign_name", frame["date_day"].dt.day])["conversions_value"].loc[("Brand - Exact", 27)] == 1120.5


@pytest.mark.parametrize(("name", "days", "spend"), [
    ("google_search_keyword_report_en_gb.csv", ["2026-01-27", "2026-01-28"], 33.42),
    ("google_search_terms_report.csv", ["2026-05-01"], 5.10),  # no Day column, a one-day date line: that day
    ("google_campaign_report_day.xlsx", ["2026-05-18", "2026-05-19"], 105.15),
])
def test_google_keyword_search_term_and_xlsx_reports_load_summed_to_the_ad_group(name, days, spend):
    result, frame = load(name)
    assert result.rows_quarantined == 0 and result.rows_skipped == 1
    assert sorted(frame["date_day"].dt.strftime("%Y-%m-%d").unique()) == days
    assert frame["spend"].sum() == pytest.approx(spend)
    assert not frame.duplicated(["date_day", "campaign_id", "ad_group_id", "ad_id"]).any()


@pytest.mark.parametrize(("name", "covers"), [
    ("google_ad_group_report_no_day.csv", "covers 2026-03-27..2026-04-23"),
    ("google_ad_report_range_in_title.csv", "covers 2016-10-25..2016-10-31"),
    ("google_all_time_campaigns.csv", "covers all time"),
])
def test_google_report_without_day_is_refused_naming_its_range_and_how_to_add_day(name, covers):
    with pytest.raises(FileRejected) as refused:
        parse_file(FIXTURES / name)
    assert covers in refused.value.reason and "add the Day segment" in refused.value.reason
    assert "cannot be known" not in refused.value.reason


@pytest.mark.parametrize(("line", "first", "last"), [
    ('"March 27, 2026 - April 23, 2026"', "2026-03-27", "2026-04-23"),
    ("27 January 2026 - 23 February 2026", "2026-01-27", "2026-02-23"),
    ("1 May 2026 - 8 May 2026", "2026-05-01", "2026-05-08"),
    ("Sept. 3, 2025 - Sept. 9, 2025", "2025-09-03", "2025-09-09"),
])
def test_google_date_lines_in_their_real_forms(line, first, last):
    from ecom_pipeline.sources.google_ads import _report_range

    assert _report_range(["Campaign report", line]) == (first, last)


@pytest.mark.parametrize(("name", "what"), [
    ("google_ads_editor_export.csv", "Google Ads Editor export"),
    ("google_time_series_card_es.csv", "time-series card"),
])
def test_google_files_that_hold_no_campaign_days_are_refused_by_name(name, what):
    with pytest.raises(FileRejected, match=what):
        parse_file(FIXTURES / name)


def test_google_currency_code_twice_with_different_values_is_ambiguous():
    text = 'Campaign report\n"May 1, 2026 - May 1, 2026"\nDay,Campaign,Currency code,Cost,Currency code\n2026-05-01,A,USD,1.00,EUR\n'
    with pytest.raises(FileRejected, match="more than once with different values"):
        parse_bytes(text.encode())


# ---------------------------------------------------------------- TikTok


def test_tiktok_hourly_xlsx_written_by_excelize_is_summed_to_the_day():
    raw = (FIXTURES / "tiktok_ad_report_by_hour_excelize.xlsx").read_bytes()
    assert b'<dimension ref="A1">' in raw or b"sheet2.xml" in raw  # the shapes that defeat read-only openpyxl
    result, frame = load("tiktok_ad_report_by_hour_excelize.xlsx")
    assert (result.encoding, result.rows_read, result.rows_loaded, result.rows_skipped) == ("xlsx", 49, 48, 1)
    assert list(frame["date_day"].dt.strftime("%Y-%m-%d")) == ["2026-08-04", "2026-08-05"]
    assert list(frame["spend"].round(2)) == [81.0, 30.0]  # 24 hours each
    assert list(frame["ad_id"]) == ["1790000000000001"] * 2 and set(frame["campaign_id"]) == {UNKNOWN_CAMPAIGN}
    assert list(frame["conversions_value"]) == [39.0, 39.0]


def test_tiktok_daily_xlsx_with_its_totals_row():
    result, frame = load("tiktok_campaign_report_by_day_excelize.xlsx")
    assert (result.rows_read, result.rows_loaded, result.rows_skipped) == (3, 2, 1)
    assert list(frame["spend"]) == [120.4, 98.1] and set(frame["currency"]) == {"USD"}


# ---------------------------------------------------------------- XLSX safety


def test_a_workbook_that_expands_beyond_a_sane_size_is_refused(tmp_path):
    import zipfile

    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (MAX_EXPANDED_BYTES + 1))
    with pytest.raises(FileRejected, match="expands to .* MB"):
        parse_file(path)


def test_a_zip_that_is_no_workbook_is_refused_as_such(tmp_path):
    import zipfile

    path = tmp_path / "exports.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("orders_export_1.csv", "Name,Created at\n")
    with pytest.raises(FileRejected, match="zip archive, not an Excel workbook"):
        parse_file(path)


@pytest.mark.parametrize(("name", "what"), [
    ("ga4_traffic_acquisition_report.csv", "Google Analytics 4 report download"),
    ("klaviyo_campaign_report.csv", "Klaviyo campaign report"),
    ("amazon_sponsored_products_report.csv", "Amazon Ads report"),
    ("shopify_customers_export.csv", "Shopify customers export"),
    ("shopify_analytics_visitors_over_time.csv", "Shopify Analytics report"),
])
def test_reports_out_of_scope_are_refused_by_their_name(name, what):
    with pytest.raises(FileRejected, match=f"this is an? {what}"):
        parse_file(FIXTURES / name)


def test_ids_a_spreadsheet_rounded_to_scientific_notation_are_not_keys():
    text = ("Reporting starts,Reporting ends,Campaign name,Campaign ID,Ad name,Ad ID,Amount spent (USD)\n"
            "2026-03-01,2026-03-01,Prospecting,1.20253E+17,Hook A,1.20253E+17,10.00\n"
            "2026-03-01,2026-03-01,Prospecting,1.20253E+17,Hook B,1.20253E+17,5.00\n"
            "2026-03-01,2026-03-01,Retargeting,1.20253E+17,Hook A,1.20253E+17,2.50\n")
    result = parse_bytes(text.encode())
    frame = result.tables["ad_performance"]
    assert len(frame) == 3 and sorted(frame["campaign_id"]) == ["Prospecting", "Prospecting", "Retargeting"]  # never one merged row
    assert frame["spend"].sum() == 17.5 and "scientific notation" in " ".join(result.notes)
