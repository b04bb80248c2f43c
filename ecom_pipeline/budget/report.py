"""The budget report: one self-contained HTML file (charts inline as PNG) a growth team can open and forward."""

from __future__ import annotations

import base64
import html
import io

import numpy as np
import pandas as pd

from ecom_pipeline.budget.response import FORMS
from ecom_pipeline.privacy import neutralise


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    # Campaign and product names are untrusted text: `Deals $$ & more` must be drawn as written, never as mathtext.
    matplotlib.rcParams["text.parse_math"] = False
    import matplotlib.pyplot as plt

    return plt


def png(figure) -> str:
    """A figure as base64 PNG (closed afterwards)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", bbox_inches="tight", dpi=90)
    _pyplot().close(figure)
    return base64.b64encode(buffer.getvalue()).decode()


def spend_chart(recommendations: pd.DataFrame, by: str) -> str:
    """Current vs recommended daily spend per campaign or channel."""
    plt = _pyplot()
    table = recommendations.groupby(by)[["current_daily_spend", "recommended_daily_spend"]].sum().sort_values("current_daily_spend")
    figure, axis = plt.subplots(figsize=(8, 0.45 * len(table) + 1.2))
    y = np.arange(len(table))
    axis.barh(y - 0.2, table["current_daily_spend"], 0.4, label="current", color="#9aa5b1")
    axis.barh(y + 0.2, table["recommended_daily_spend"], 0.4, label="recommended", color="#2f6fdf")
    axis.set_yticks(y, table.index, fontsize=8)
    axis.set_xlabel("daily spend", fontsize=8)
    axis.legend(fontsize=8, frameon=False)
    axis.set_title(f"Current vs recommended daily spend per {by.replace('_', ' ')}", fontsize=9)
    return png(figure)


def curves_chart(curves: pd.DataFrame, recommendations: pd.DataFrame, draws: pd.DataFrame | None = None, fit: pd.DataFrame | None = None) -> str:
    """Each campaign's response curve with its current (grey) and recommended (blue) daily spend; for the media-mix
    model also its 90 % credible band and the observed daily points behind it (the outcome less the baseline and the
    other campaigns)."""
    plt = _pyplot()
    mine = curves[curves["level"] == "campaign"].merge(recommendations[["platform", "campaign_id", "recommended_daily_spend"]], on=["platform", "campaign_id"], how="left")
    columns = 3
    rows = max(1, int(np.ceil(len(mine) / columns)))
    figure, axes = plt.subplots(rows, columns, figsize=(10, 2.8 * rows), squeeze=False)
    for axis, row in zip(axes.ravel(), mine.to_dict("records")):
        function = FORMS[row["form"]][0]
        params = [row[f"param_{i}"] for i in (1, 2, 3) if not pd.isna(row[f"param_{i}"])]
        top = max(row["max_daily_spend"], row["recommended_daily_spend"] or 0) * 1.4
        x = np.linspace(0, top, 100)
        line = (row["platform"], row["campaign_id"])
        if fit is not None and len(fit):
            points = fit[(fit["platform"] == line[0]) & (fit["campaign_id"] == line[1])]
            axis.scatter(points["spend"], points["partial_outcome"], s=4, color="#c9ced6", zorder=1)
        if draws is not None and len(draws):
            mine_draws = draws[(draws["platform"] == line[0]) & (draws["campaign_id"] == line[1])]
            band = function(x[:, None], mine_draws["beta"].to_numpy(), mine_draws["half_saturation"].to_numpy(), mine_draws["shape"].to_numpy())
            axis.fill_between(x, np.percentile(band, 5, axis=1), np.percentile(band, 95, axis=1), color="#2f6fdf", alpha=0.15, linewidth=0)
        axis.plot(x, function(x, *params), color="#333")
        for spend, color in ((row["current_daily_spend"], "#9aa5b1"), (row["recommended_daily_spend"], "#2f6fdf")):
            if not pd.isna(spend):
                axis.scatter([spend], [function(np.array([spend]), *params)[0]], color=color, zorder=3)
        axis.axvline(row["max_daily_spend"], color="#ddd", linewidth=1, linestyle="--")
        shown = "" if row.get("source") == "media_mix" else f" · R² {row['r2']:.2f}"
        flag = "" if row["identifiable"] else " · spend barely varied"
        axis.set_title(f"{row['campaign_name']} ({row['platform']}){shown}{flag}", fontsize=8)
        axis.tick_params(labelsize=7)
    for axis in axes.ravel()[len(mine):]:
        axis.axis("off")
    figure.suptitle("Response curves: daily spend → daily outcome (band: 90 % credible; dots: observed days; dashed: highest spend seen)", fontsize=9)
    figure.tight_layout()
    return png(figure)


def fit_chart(fit: pd.DataFrame) -> str:
    """The media-mix model's daily fit against the observed outcome, and its forecast of the last days from a fit
    that never saw them."""
    plt = _pyplot()
    daily = fit.drop_duplicates("day").sort_values("day")
    days = pd.to_datetime(daily["day"])
    figure, axis = plt.subplots(figsize=(9, 3))
    axis.plot(days, daily["outcome"], color="#9aa5b1", linewidth=1, label="observed")
    axis.plot(days, daily["fitted"], color="#2f6fdf", linewidth=1.2, label="fitted")
    held = daily["holdout_forecast"].notna()
    if held.any():
        actual, forecast = daily.loc[held, "outcome"], daily.loc[held, "holdout_forecast"]
        total = float(((actual - actual.mean()) ** 2).sum())
        r2 = 1 - float(((actual - forecast) ** 2).sum()) / total if total > 0 else 0.0
        axis.plot(days[held], forecast, color="#d9480f", linewidth=1.4, label=f"forecast of the last {int(held.sum())} days by a fit that never saw them (R² {r2:.2f})")
    axis.legend(fontsize=7, frameon=False)
    axis.tick_params(labelsize=7)
    axis.set_title("Media-mix model: the day's new-customer outcome", fontsize=9)
    return png(figure)


def models_chart(performance: pd.DataFrame) -> str:
    """Attributed contribution margin per channel under every model."""
    plt = _pyplot()
    table = performance.pivot_table(index="channel", columns="model", values="attributed_margin", aggfunc="sum", fill_value=0.0)
    table = table.loc[table.sum(axis=1).sort_values().index]
    figure, axis = plt.subplots(figsize=(9, 0.55 * len(table) + 1.5))
    height = 0.8 / max(len(table.columns), 1)
    colors = plt.get_cmap("tab10")
    for i, model in enumerate(table.columns):
        axis.barh(np.arange(len(table)) + i * height, table[model], height=height, label=model, color=colors(i % 10))
    axis.set_yticks(np.arange(len(table)) + 0.4 - height / 2, table.index, fontsize=8)
    axis.legend(fontsize=7, frameon=False, loc="lower right")
    axis.set_title("Attributed contribution margin per channel, by model", fontsize=9)
    return png(figure)


def ltv_chart(cohort_curves: pd.DataFrame) -> str:
    """Cumulative margin per acquired customer by days since the first order, per channel: cohorts pooled by
    chain-linking (each day's increment averaged over the cohorts old enough, weighted by size), so a young cohort
    dropping out does not make the curve jump."""
    plt = _pyplot()
    figure, axis = plt.subplots(figsize=(8, 3.5))
    for channel, group in cohort_curves.groupby("channel"):
        group = group.sort_values(["cohort", "age"])
        step = group["ltv"] - group.groupby("cohort")["ltv"].shift(fill_value=0.0)
        pooled = group.assign(w=step * group["customers"]).groupby("age").agg(w=("w", "sum"), n=("customers", "sum"))
        axis.plot(pooled.index, (pooled["w"] / pooled["n"]).cumsum(), label=channel, linewidth=1.4)
    axis.set_xlabel("days since first order", fontsize=8)
    axis.set_ylabel("cumulative margin per customer", fontsize=8)
    if len(cohort_curves):
        axis.legend(fontsize=7, frameon=False)
    axis.set_title("LTV curves by acquisition channel", fontsize=9)
    return png(figure)


def _table(frame: pd.DataFrame) -> str:
    """An HTML table; text that a spreadsheet would run as a formula (`=HYPERLINK(…)`) is quoted, as in every preview."""
    text = frame.select_dtypes(exclude="number").columns
    shown = frame.assign(**{c: frame[c].map(neutralise) for c in text})
    return shown.to_html(index=False, float_format=lambda v: f"{v:,.2f}", border=0, classes="t", escape=True)


def evidence(draws: pd.DataFrame | None, readouts: pd.DataFrame, plan: pd.DataFrame, fit_picture: str | None) -> str:
    """What the curves rest on: the model's fit (and its forecast of days it never saw), which campaigns a lift test
    calibrates and which the data cannot tell, each test's readout, and the tests worth running next."""
    if draws is None or draws.empty:
        return "<p>The curves are fitted on attributed margin (curve_source: attribution): correlational, kept to compare.</p>"
    lines = draws.drop_duplicates(["platform", "campaign_id"])
    calibrated = ", ".join(html.escape(n) for n in lines.loc[lines["calibrated"].fillna(False).astype(bool), "campaign_name"]) or "none yet"
    blind = ", ".join(html.escape(n) for n in lines.loc[~lines["calibrated"].fillna(False).astype(bool) & (lines["spend_cv"] < 0.15), "campaign_name"])
    parts = [f'<img alt="media-mix fit" src="data:image/png;base64,{fit_picture}">' if fit_picture else "",
             f"<p>R² of the daily fit {float(lines['r2'].iloc[0]):.2f} over {int(lines['days'].iloc[0])} days. Calibrated by a lift test: "
             f"<b>{calibrated}</b>.{' Spend barely varied and no test measured it, so the model holds: <b>' + blind + '</b>.' if blind else ''}</p>"]
    if len(readouts):
        shown = readouts[["test_name", "campaign_name", "test_type", "start_date", "end_date", "spend", "incremental_conversions", "p5", "p95",
                          "p_positive", "incremental_poas", "platform_conversions", "platform_over_claim"]].copy()
        shown["start_date"], shown["end_date"] = shown["start_date"].dt.date, shown["end_date"].dt.date
        parts.append("<h3>Lift tests</h3>" + _table(shown))
    if len(plan):
        shown = plan[["campaign_name", "design", "days", "width_now", "width_after", "cost", "value", "net_value", "run_first"]].head(8)
        parts.append("<h3>Tests worth running (width: the 90 % interval of the marginal return, now and expected after)</h3>" + _table(shown))
    return "\n".join(parts)


def render(recommendations: pd.DataFrame, curves: pd.DataFrame, performance: pd.DataFrame, cohort_curves: pd.DataFrame,
           ltv: pd.DataFrame, summary: dict, charts: dict[str, str], evidence_html: str = "") -> str:
    """The whole report as one HTML string."""
    as_of = summary.get("as_of", "")
    lines = recommendations[["campaign_name", "platform", "channel", "current_daily_spend", "recommended_daily_spend", "change_pct", "marginal_return", "reason"]].copy()
    lines["change_pct"] = (lines["change_pct"] * 100).round(1)
    fired = recommendations[recommendations["guardrail"].fillna("") != ""][["campaign_name", "guardrail", "days_of_cover", "limiting_product"]]
    warnings = "".join(f"<li>{html.escape(w)}</li>" for w in summary.get("warnings", [])) or "<li>none</li>"
    p_improve = summary.get("p_improve")
    p_text = "n/a (the plan holds every campaign: nothing moves, or no move is sure enough)" if p_improve is None or pd.isna(p_improve) else f"{p_improve:.0%}"
    ltv_columns = [c for c in ("channel", "cohort", "customers", "ltv_30", "ltv_90", "ltv_365", "cac", "ltv_cac", "cac_payback_day", "predicted_clv_margin") if c in ltv.columns]
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Budget report {html.escape(str(as_of))}</title>
<style>body{{font-family:system-ui,sans-serif;margin:2rem auto;max-width:1100px;color:#222}} h1{{font-size:1.4rem}}
h2{{font-size:1.1rem;margin-top:2rem}} table.t{{border-collapse:collapse;font-size:.8rem}} table.t td,table.t th{{padding:.25rem .5rem;border-bottom:1px solid #eee;text-align:right}}
table.t td:last-child{{text-align:left}} .kpi{{display:inline-block;margin-right:2rem}} .kpi b{{font-size:1.2rem;display:block}} img{{max-width:100%}}</style></head>
<body><h1>Budget recommendation — as of {html.escape(str(as_of))}</h1>
<p>Objective: <b>{html.escape(summary.get('objective', ''))}</b>, curves from the <b>{'media-mix model' if summary.get('curve_source') == 'media_mix' else html.escape(summary.get('model', '')) + ' attribution'}</b>,
{html.escape(summary.get('mode', ''))} budget of {summary.get('budget_per_day', 0):,.2f} per day for the next {summary.get('horizon_days', 7)} days.</p>
<div><span class="kpi">expected change over the period<b>{summary.get('expected_change_per_period', 0):,.2f}</b></span>
<span class="kpi">{'posterior' if summary.get('curve_source') == 'media_mix' else 'bootstrap'} p5 / p50 / p95 against holding<b>{summary.get('change_p5', 0):,.0f} / {summary.get('change_p50', 0):,.0f} / {summary.get('change_p95', 0):,.0f}</b></span>
<span class="kpi">P(profit improves)<b>{p_text}</b></span></div>
<h2>Warnings</h2><ul>{warnings}</ul>
<h2>Per campaign</h2>{_table(lines)}
<img alt="spend per campaign" src="data:image/png;base64,{charts['campaigns']}">
<h2>Per channel</h2><img alt="spend per channel" src="data:image/png;base64,{charts['channels']}">
<h2>Response curves</h2><img alt="response curves" src="data:image/png;base64,{charts['curves']}">
<h2>What the curves rest on</h2>{evidence_html}
<h2>Guardrails that fired</h2>{_table(fired) if len(fired) else '<p>none: every campaign has enough stock.</p>'}
<h2>Attribution models compared</h2><img alt="models compared" src="data:image/png;base64,{charts['models']}">
<h2>LTV by acquisition channel</h2><img alt="LTV curves" src="data:image/png;base64,{charts['ltv']}">
{_table(ltv[ltv_columns]) if len(ltv) else ''}
<p style="color:#777;font-size:.75rem">ecom_pipeline · spend and margin in the shop's reporting currency · curves fitted on the last
{summary.get('history_days', '')} days</p></body></html>"""


def empty(warnings: list[str]) -> str:
    """The report before any campaign has spent: what is missing, rather than a failed run."""
    items = "".join(f"<li>{html.escape(w)}</li>" for w in warnings)
    return (f"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Budget report</title></head><body>"
            f"<h1>Budget recommendation</h1><p>No campaign spent in the last 28 days: land Meta, Google or TikTok ad reports "
            f"and the next run recommends a budget.</p><ul>{items}</ul></body></html>")
