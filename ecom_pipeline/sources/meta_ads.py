"""Meta Ads Manager table exports (CSV or XLSX): sentence/Title case, localised headers (fr, es, pt-BR, de),
currency in the money headers.

Without the `Day` breakdown a row aggregates `Reporting starts`..`Reporting ends`; one-day windows are daily
data (the usual daily export), longer windows are refused (spreading them would invent numbers). Campaign-,
ad-set- and ad-level exports all load (without a campaign column the ad set or ad is the grain); breakdown rows
(age, gender, placement, region) are summed to the day × entity grain; `"No data available."` is zero rows.

The Marketing API's insights records, one JSON object a line as the Meta pull lands them, load through the same
path: their fields are the export's columns under other names (`spend` is Amount spent), and purchases are the
`actions` / `action_values` entry of the first purchase type present.
"""

from __future__ import annotations

import pandas as pd

from ecom_pipeline.sources.ad_report import ENTITIES, build_ad_performance, no_data_rows, segment_labels
from ecom_pipeline.sources.common import Columns, FileRejected, ParseResult, blank_mask, decode, json_records, parse_dates, read_delimited

FAMILY = "meta_ads"

# Canonical name -> header spellings (English UI, then French, Spanish, Portuguese, German).
ALIASES: dict[str, tuple[str, ...]] = {
    "reporting_starts": ("reporting starts", "début des rapports", "inicio del informe", "início dos relatórios", "berichtsbeginn"),
    "reporting_ends": ("reporting ends", "fin des rapports", "fin del informe", "término dos relatórios", "encerramento dos relatórios", "berichtsende"),
    "day": ("day", "jour", "día", "dia", "tag"),
    "account_name": ("account name", "nom du compte", "nombre de la cuenta", "nome da conta", "kontoname"),
    "account_id": ("account id", "identifiant du compte", "id. de la cuenta", "identificação da conta", "konto-id"),
    "campaign_name": ("campaign name", "nom de la campagne", "nombre de la campaña", "nome da campanha", "kampagnenname"),
    "campaign_id": ("campaign id", "identifiant de la campagne", "id. de la campaña", "identificação da campanha", "kampagnen-id"),
    "ad_group_name": ("ad set name", "nom de l'ensemble de publicités", "nombre del conjunto de anuncios", "nome do conjunto de anúncios", "name der anzeigengruppe"),
    "ad_group_id": ("ad set id", "identifiant de l'ensemble de publicités", "id. del conjunto de anuncios", "identificação do conjunto de anúncios", "anzeigengruppen-id"),
    "ad_name": ("ad name", "nom de la publicité", "nombre del anuncio", "nome do anúncio", "anzeigenname"),
    "ad_id": ("ad id", "identifiant de la publicité", "id. del anuncio", "identificação do anúncio", "anzeigen-id"),
    "spend": ("amount spent", "montant dépensé", "importe gastado", "valor usado", "ausgegebener betrag"),
    "impressions": ("impressions", "impresiones", "impressões", "impressionen"),
    "clicks": ("link clicks", "clics sur un lien", "clics en el enlace", "cliques no link", "link-klicks", "clicks (all)", "clics (tous)", "clics (todos)", "cliques (todos)", "klicks (alle)"),
    "conversions": ("purchases", "achats", "compras", "käufe", "website purchases", "achats sur le site web", "compras en el sitio web"),
    "conversions_value": ("purchases conversion value", "valeur de conversion des achats", "valor de conversión de compras", "valor de conversão de compras", "conversionswert für käufe", "website purchases conversion value"),
    "currency": ("currency", "devise", "divisa", "moeda", "währung"),
}


# Insights API field -> the export's header for the same column.
API_FIELDS = {
    "date_start": "Reporting starts", "date_stop": "Reporting ends", "account_id": "Account ID", "account_name": "Account name",
    "account_currency": "Currency", "campaign_id": "Campaign ID", "campaign_name": "Campaign name", "adset_id": "Ad set ID",
    "adset_name": "Ad set name", "ad_id": "Ad ID", "ad_name": "Ad name", "spend": "Amount spent", "impressions": "Impressions",
    "inline_link_clicks": "Link clicks",
}
# One purchase under several action types at once: the first present counts (omni = web + app + offline, deduplicated).
PURCHASE_ACTIONS = ("omni_purchase", "purchase", "offsite_conversion.fb_pixel_purchase")


def looks_like_api_record(record: dict) -> bool:
    """An insights record: a reporting day and spend (the Ads Manager CSV's columns are labels, never these)."""
    return {"date_start", "spend"} <= set(record) and bool(set(record) & {"campaign_id", "adset_id", "ad_id", "account_id"})


def api_frame(text: str) -> pd.DataFrame:
    """Insights records (a JSON object a line) as the table an Ads Manager export of the same report would be."""
    rows = []
    for record in json_records(text, "Meta insights"):
        row = {header: str(record[field]) for field, header in API_FIELDS.items() if record.get(field) is not None}
        row["Day"] = row.get("Reporting starts", "")
        row["Purchases"], row["Purchases conversion value"] = (_purchases(record.get(key)) for key in ("actions", "action_values"))
        rows.append(row)
    return pd.DataFrame(rows, dtype="string").fillna("") if rows else pd.DataFrame(columns=[*API_FIELDS.values(), "Day"], dtype="string")


def _purchases(actions: list | None) -> str:
    values = {item.get("action_type"): item.get("value") for item in actions or []}
    return next((str(values[kind]) for kind in PURCHASE_ACTIONS if values.get(kind) is not None), "0")


def looks_like(headers: list[str]) -> bool:
    """Meta's signature: its reporting window column (no other vendor writes `Reporting starts`)."""
    bases = {h.rsplit(" (", 1)[0] for h in headers}
    return bool(bases & set(ALIASES["reporting_starts"]))


def parse(raw: bytes, name: str = "", mtime: float | None = None, default_currency: str | None = None) -> ParseResult:
    text, encoding = decode(raw)
    if text.lstrip().startswith("{"):
        frame, delimiter = api_frame(text), ","
    else:
        frame, _, delimiter = read_delimited(text, looks_like)
    rows_read = len(frame)
    cols = Columns(frame)
    if cols.find(*ALIASES["spend"]) is None:
        raise FileRejected(
            "Meta Ads export has no 'Amount spent' column (its columns: "
            f"{', '.join(map(str, frame.columns[:10]))}): a reach or engagement report cannot give ad spend. "
            "Add Amount spent to the table's columns and export again."
        )
    empty = no_data_rows(frame)
    entity_cols = [c for key in ENTITIES if (c := cols.find(*ALIASES[key]))]
    if not entity_cols and not empty.all():
        raise FileRejected("Meta Ads file names no campaign, ad set or ad (no 'Campaign name', 'Ad set name' or 'Ad name' column): "
                           "export the table at campaign, ad set or ad level")
    totals = pd.concat([blank_mask(frame[c]) for c in entity_cols], axis=1).all(axis=1) if entity_cols else empty
    skipped = totals | empty
    notes = [f"skipped {int(totals.sum())} totals row(s) with no campaign, ad set or ad"] if (totals & ~empty).any() else []
    if empty.any():
        notes.append("the export says 'No data available.': no rows for its window")
    frame = frame.loc[~skipped]
    cols = Columns(frame)

    days, bad_days, day_label = _days(cols, frame)
    spend_header = cols.find(*ALIASES["spend"])
    currency = cols.get(*ALIASES["currency"]).replace("", pd.NA)
    header_currency = cols.currencies.get(spend_header) or default_currency
    currency = currency.fillna(header_currency) if header_currency else currency
    labels = {key: cols.find(*aliases) or key for key, aliases in ALIASES.items()}
    labels["date_day"] = day_label
    texts = {key: cols.get(*aliases) for key, aliases in ALIASES.items() if key not in ("reporting_starts", "reporting_ends", "day", "currency") and cols.find(*aliases)}
    used = {labels[key] for key in ALIASES if cols.find(*ALIASES[key])} | {day_label}
    table, problems, summed = build_ad_performance(
        "meta", days, bad_days, texts, currency, default_decimal="," if delimiter == ";" else ".", labels=labels,
        window=_window(cols, frame), segments=segment_labels(frame, used, frame[day_label]),
    )
    return ParseResult(FAMILY, encoding, {"ad_performance": table}, rows_read=rows_read, problems=problems, notes=notes + summed,
                       rows_skipped=int(skipped.sum()))


def _window(cols: Columns, frame: pd.DataFrame) -> tuple[pd.Series, pd.Series] | None:
    """Each row's stated reporting window (Reporting starts..ends), when the file has both columns."""
    start_col, end_col = cols.find(*ALIASES["reporting_starts"]), cols.find(*ALIASES["reporting_ends"])
    if start_col is None or end_col is None:
        return None
    return parse_dates(frame[start_col])[0], parse_dates(frame[end_col])[0]


def _days(cols: Columns, frame: pd.DataFrame) -> tuple[pd.Series, pd.Series, str]:
    day_col = cols.find(*ALIASES["day"])
    if day_col is not None:
        days, bad = parse_dates(frame[day_col])
        return days, bad, day_col
    start_col, end_col = cols.find(*ALIASES["reporting_starts"]), cols.find(*ALIASES["reporting_ends"])
    starts, bad_start = parse_dates(frame[start_col])
    if end_col is None:
        return starts, bad_start, start_col
    ends, bad_end = parse_dates(frame[end_col])
    spans = (ends - starts).dt.days
    if (spans > 0).any():
        first, last = starts.min().date(), ends.max().date()
        raise FileRejected(
            f"Meta Ads export has no 'Day' column and its rows aggregate {first}..{last} "
            f"({int(spans.max()) + 1} days): that is not daily data. Re-export with Breakdown → By time → Day."
        )
    return starts, bad_start | bad_end, start_col
