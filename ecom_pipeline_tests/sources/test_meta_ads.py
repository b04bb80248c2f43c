import pandas as pd
import pytest

from ecom_pipeline.sources import FileRejected, detect, parse_bytes

SENTENCE_CASE = (
    "\ufeffReporting starts,Reporting ends,Day,Account name,Account ID,Campaign name,Campaign ID,Ad set name,Ad set ID,"
    "Ad name,Ad ID,Amount spent (EUR),Impressions,Link clicks,Purchases,Purchases conversion value,Attribution setting\n"
    "2025-05-01,2025-05-02,2025-05-01,Brand EU,act_1,Prospecting,2385,Broad,5551,Video A,9001,\"1,234.56\",10500,210,12,\"1,450.00\",7-day click or 1-day view\n"
    "2025-05-01,2025-05-02,2025-05-02,Brand EU,act_1,Prospecting,2385,Broad,5551,Video A,9001,99.5,4000,,,,7-day click or 1-day view\n"
    "2025-05-01,2025-05-02,,,,,,,,,,1334.06,14500,210,12,1450,\n"
).encode("utf-8")


def test_sentence_case_with_bom_currency_suffix_and_totals_row():
    assert detect(SENTENCE_CASE) == ("meta_ads", "utf-8-sig")
    result = parse_bytes(SENTENCE_CASE)
    frame = result.tables["ad_performance"]
    assert (result.rows_read, result.rows_loaded, result.rows_skipped) == (3, 2, 1) and not result.problems
    assert "skipped 1 totals row" in result.notes[0]
    first = frame.iloc[0]
    assert first["date_day"] == pd.Timestamp("2025-05-01")
    assert (first["platform"], first["campaign_id"], first["ad_group_name"], first["ad_id"]) == ("meta", "2385", "Broad", "9001")
    assert first["spend"] == pytest.approx(1234.56)
    assert first["currency"] == "EUR"
    assert (first["impressions"], first["clicks"], first["conversions"], first["conversions_value"]) == (10500, 210, 12, 1450.0)
    assert frame.iloc[1]["conversions"] == 0 and frame.iloc[1]["spend"] == pytest.approx(99.5)


def test_title_case_headers_match_case_insensitively():
    raw = (
        "Reporting Starts,Reporting Ends,Day,Campaign Name,Campaign ID,Ad Set Name,Amount Spent (USD),Impressions,Link Clicks\n"
        "2025-05-03,2025-05-03,2025-05-03,Retargeting,77,Warm,12.30,900,15\n"
    ).encode()
    frame = parse_bytes(raw).tables["ad_performance"]
    assert frame.loc[0, "campaign_name"] == "Retargeting" and frame.loc[0, "currency"] == "USD"
    assert frame.loc[0, "spend"] == pytest.approx(12.30) and frame.loc[0, "clicks"] == 15


def test_localised_french_export_with_semicolons_and_comma_decimals():
    raw = (
        "\ufeffDébut des rapports;Fin des rapports;Jour;Nom de la campagne;Identifiant de la campagne;Montant dépensé (EUR);Impressions;Achats\n"
        "2025-05-01;2025-05-31;2025-05-04;Été;42;1 234,56;12 000;3\n"
        "2025-05-01;2025-05-31;2025-05-05;Été;42;1.001,5;800;0\n"
    ).encode("utf-8")
    frame = parse_bytes(raw).tables["ad_performance"]
    assert list(frame["spend"]) == pytest.approx([1234.56, 1001.5])
    assert list(frame["impressions"]) == [12000, 800]
    assert list(frame["date_day"].dt.day) == [4, 5]
    assert set(frame["currency"]) == {"EUR"}


def test_one_day_window_without_day_column_is_that_day():
    raw = b"Reporting starts,Reporting ends,Campaign name,Amount spent (USD)\n2025-06-02,2025-06-02,Spring,50\n"
    frame = parse_bytes(raw).tables["ad_performance"]
    assert frame.loc[0, "date_day"] == pd.Timestamp("2025-06-02")
    assert frame.loc[0, "campaign_id"] == "Spring"  # no id column: the name stands in as the id


def test_longer_window_without_day_column_is_refused_with_a_reason():
    raw = b"Reporting starts,Reporting ends,Campaign name,Amount spent (USD)\n2025-06-01,2025-06-30,Spring,1500\n"
    with pytest.raises(FileRejected, match=r"no 'Day' column .* 2025-06-01\.\.2025-06-30 \(30 days\).*By time"):
        parse_bytes(raw)


def test_bad_numbers_become_row_problems_and_rows_are_accounted_for():
    raw = (
        "Reporting starts,Reporting ends,Day,Campaign name,Amount spent (USD),Impressions\n"
        "2025-06-01,2025-06-01,2025-06-01,A,abc,10\n"
        "2025-06-01,2025-06-01,2025-06-01,B,5,-3\n"
        "2025-06-01,2025-06-01,2025-06-01,C,5,3\n"
    ).encode()
    result = parse_bytes(raw)
    assert result.rows_read == 3 and result.rows_loaded == 2 and result.rows_quarantined == 1
    assert [(p.row, p.column, p.rule, p.value) for p in result.problems] == [(1, "Amount spent (USD)", "not_a_number", "abc")]
    # A negative count is readable: the validation rules, not the parser, hold it back.
    assert list(result.tables["ad_performance"]["campaign_name"]) == ["B", "C"]
    assert list(result.tables["ad_performance"]["source_row"]) == [2, 3]


def test_days_outside_the_stated_reporting_window_are_problems():
    raw = (
        "Reporting starts,Reporting ends,Day,Campaign name,Amount spent (USD)\n"
        "2025-06-01,2025-06-02,2025-06-02,A,5\n"
        "2025-06-01,2025-06-02,2025-06-09,A,5\n"
    ).encode()
    result = parse_bytes(raw)
    assert [(p.row, p.rule) for p in result.problems] == [(2, "outside_reporting_window")]
    assert len(result.tables["ad_performance"]) == 1
