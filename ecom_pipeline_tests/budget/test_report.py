"""The budget report with hostile campaign names: drawn and shown as written, never run."""

import pandas as pd

from ecom_pipeline.budget.report import _table, spend_chart


def test_a_dollar_sign_in_a_campaign_name_is_text_not_mathtext():
    recommendations = pd.DataFrame({"campaign_name": ["Deals $$ & more", "Price $5 $10"], "current_daily_spend": [10.0, 20.0],
                                    "recommended_daily_spend": [12.0, 18.0]})
    assert len(spend_chart(recommendations, "campaign_name")) > 1000  # matplotlib raised on `$$` before


def test_spreadsheet_formulas_in_report_tables_are_quoted():
    frame = pd.DataFrame({"campaign_name": ['=HYPERLINK("http://x.example","click")', "@SUM(A1)", "Spring"], "spend": [1.0, -2.0, 3.0]})
    html = _table(frame)
    assert "&#x27;=HYPERLINK(" in html or "'=HYPERLINK(" in html
    assert "'@SUM(A1)" in html and ">Spring<" in html and "-2.00" in html  # numbers stay numbers


def test_tables_in_the_ui_metadata_quote_formulas_too():
    from ecom_pipeline.defs.metadata import markdown

    shown = markdown(pd.DataFrame({"original_name": ["=cmd|' /C calc'!A0.csv"], "rows_read": [3]})).value
    assert "'=cmd|" in shown and "=cmd|" not in shown.replace("'=cmd|", "")
    assert markdown(pd.DataFrame(columns=["a"])).value == "_none_"
