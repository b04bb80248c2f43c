"""Web touchpoints from a pixel or server-side tagging (CSV, JSON lines or Parquet) and GA4's BigQuery export
shape (`event_params`, `collected_traffic_source`, fbclid/ttclid only inside `page_location`).

Emails are hashed here and dropped; URLs keep no query string (the UTMs and click ids are extracted first).
"""

from __future__ import annotations

import hashlib
import io
import json
from urllib.parse import unquote_plus

import pandas as pd

from ecom_pipeline.privacy import hash_emails, normalise_sha256
from ecom_pipeline.schemas import TOUCHPOINTS, conform
from ecom_pipeline.sources.common import FileRejected, ParseResult, Problem, as_text, blank_mask, decode, flag_rows, parse_numbers, read_delimited

FAMILY = "touchpoints"

CLICK_IDS = ("gclid", "gbraid", "wbraid", "fbclid", "ttclid", "msclkid")  # precedence when several are present
UTMS = ("utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term")
URL_FIELDS = ("page_url", "landing_page", "page_location", "url")
FIELDS = (
    "event_id", "event_timestamp", "event_name", "anonymous_id", "session_id", "email", "email_sha256",
    "referrer", "order_id", "revenue", "currency", "fbc", *URL_FIELDS, *UTMS, *CLICK_IDS,
)


def looks_like(headers: list[str]) -> bool:
    keys = set(headers)
    return "event_name" in keys and bool(keys & {"event_timestamp", "timestamp", "event_time"})


def looks_like_record(record: dict) -> bool:
    return "event_name" in record and bool({"event_timestamp", "timestamp", "event_time"} & record.keys())


def parse(raw: bytes, name: str = "", mtime: float | None = None, default_currency: str | None = None,
          shop_timezone: str | None = None) -> ParseResult:
    """`event_date` is the shop's calendar day (`shop_timezone`, UTC when not given), or GA4's own `event_date` (the
    property's time zone): the day the orders of the same moment fall on, and the day a daily export covers."""
    problems: list[Problem] = []
    if raw.startswith(b"PAR1"):
        import pyarrow as pa

        from ecom_pipeline.lake import read_table

        frame, encoding = read_table(pa.BufferReader(raw)).to_pandas(), "parquet"
    else:
        text, encoding = decode(raw)
        if text.lstrip().startswith("{"):
            frame = _read_json_lines(text, problems)
        else:
            frame, _, _ = read_delimited(text, looks_like)
    frame = frame.rename(columns={"timestamp": "event_timestamp", "event_time": "event_timestamp"})
    if "event_timestamp" not in frame.columns or "event_name" not in frame.columns:
        raise FileRejected("touchpoints file needs 'event_timestamp' and 'event_name' columns")
    rows_read = len(frame) + len(problems)  # lines that were not JSON are rows too
    table = _canonical(frame, problems, default_currency, shop_timezone or "UTC")
    return ParseResult(FAMILY, encoding, {"touchpoints": table}, rows_read=rows_read, problems=problems)


def _read_json_lines(text: str, problems: list[Problem]) -> pd.DataFrame:
    """Flat event lines in one vectorised read (Arrow's reader, else pandas'); GA4 lines, blank lines or broken lines
    one by one."""
    first = text.lstrip().split("\n", 1)[0]
    if '"user_pseudo_id"' not in first and "\n\n" not in text.strip():
        flat = _read_flat_lines(text)
        if flat is not None:
            return flat
        try:
            return pd.read_json(io.StringIO(text), lines=True, dtype=False, convert_dates=False, keep_default_dates=False)
        except ValueError:
            pass  # a broken line somewhere: find it line by line
    records, index = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            problems.append(Problem(number, "(line)", "bad_json", f"line is not valid JSON: {error.msg} at column {error.colno}"))
            continue
        records.append(_from_ga4(record, number) if "user_pseudo_id" in record else record)
        index.append(number - 1)
    return pd.DataFrame.from_records(records, index=index) if records else pd.DataFrame(columns=["event_timestamp", "event_name"])


def _read_flat_lines(text: str) -> pd.DataFrame | None:
    """Flat lines through Arrow's multi-threaded JSON reader, the way pandas reads them with `dtype=False`: text stays
    text (the time and day columns too, never guessed into timestamps), whole numbers stay whole. None when a line is
    broken, a column mixes numbers and text, or a value is nested: pandas' reader, or the line-by-line read, then decides."""
    import pyarrow as pa
    import pyarrow.json as pa_json

    kept_text = pa.schema([(name, pa.string()) for name in ("event_timestamp", "timestamp", "event_time", "event_date") if f'"{name}"' in text])
    try:
        table = pa_json.read_json(pa.py_buffer(text.encode("utf-8")), parse_options=pa_json.ParseOptions(explicit_schema=kept_text, unexpected_field_behavior="infer"))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    if any(pa.types.is_nested(field.type) or pa.types.is_temporal(field.type) for field in table.schema if field.name not in kept_text.names):
        return None
    return table.to_pandas(integer_object_nulls=True)

def _from_ga4(record: dict, number: int) -> dict:
    """Flatten one GA4 BigQuery export event into the generic event fields."""
    params = {}
    for param in record.get("event_params") or []:
        value = param.get("value") or {}
        params[param.get("key")] = next((v for v in (value.get("string_value"), value.get("int_value"), value.get("double_value"), value.get("float_value")) if v is not None), None)
    traffic = record.get("collected_traffic_source") or {}
    ecommerce = record.get("ecommerce") or {}
    user, micros = record.get("user_pseudo_id"), record.get("event_timestamp")
    session = params.get("ga_session_id")
    return {
        "event_id": hashlib.sha1(f"{user}|{micros}|{record.get('event_name')}|{number}".encode()).hexdigest()[:20],
        "event_timestamp": micros,
        "event_name": record.get("event_name"),
        "event_date": record.get("event_date"),
        "anonymous_id": user,
        "session_id": f"{user}.{session}" if session is not None else None,
        "page_location": params.get("page_location"),
        "referrer": params.get("page_referrer"),
        "utm_source": traffic.get("manual_source"),
        "utm_medium": traffic.get("manual_medium"),
        "utm_campaign": traffic.get("manual_campaign_name") or traffic.get("manual_campaign_id"),
        "utm_content": traffic.get("manual_content"),
        "utm_term": traffic.get("manual_term"),
        "gclid": traffic.get("gclid"),
        "order_id": ecommerce.get("transaction_id"),
        "revenue": ecommerce.get("purchase_revenue"),
        "currency": params.get("currency"),
    }


def _text(frame: pd.DataFrame, column: str) -> pd.Series:
    if column not in frame.columns:
        return pd.Series(pd.NA, index=frame.index, dtype="string")
    values = as_text(frame[column])
    return values.where(~blank_mask(values))


def _stated_dates(frame: pd.DataFrame) -> pd.Series:
    """The export's own event day where it has one (GA4: `20250605`, in the property's time zone)."""
    text = _text(frame, "event_date")
    compact = pd.to_datetime(text.where(text.str.fullmatch(r"\d{8}").fillna(False).astype(bool)), format="%Y%m%d", errors="coerce")
    return compact.fillna(pd.to_datetime(text.where(compact.isna()), format="ISO8601", errors="coerce")).dt.normalize()


def _timestamps(values: pd.Series) -> pd.Series:
    """UTC timestamps from ISO text or epoch numbers (seconds, milliseconds or GA4's microseconds)."""
    numeric = pd.to_numeric(values, errors="coerce")
    parsed = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns, UTC]")
    is_num = numeric.notna()
    for unit, low in (("us", 1e14), ("ms", 1e11), ("s", 0)):
        sel = is_num & (numeric >= low) & parsed.isna()
        if sel.any():
            parsed[sel] = pd.to_datetime(numeric[sel].astype("int64"), unit=unit, utc=True)
    text = values[~is_num & values.notna()].astype(str)
    if len(text):
        parsed[text.index] = pd.to_datetime(text, format="ISO8601", utc=True, errors="coerce")
    return parsed


def _canonical(frame: pd.DataFrame, problems: list[Problem], default_currency: str | None, shop_timezone: str) -> pd.DataFrame:
    url = pd.Series(pd.NA, index=frame.index, dtype="string")
    for field in URL_FIELDS:
        url = url.fillna(_text(frame, field))
    has_query = url.str.contains("?", regex=False).fillna(False).astype(bool)
    query = url[has_query].str.extract(r"\?([^#]*)", expand=False).astype(object)  # only landing pages carry one
    out = pd.DataFrame(index=frame.index)
    for field in (*UTMS, *CLICK_IDS):
        found = query[query.str.contains(f"{field}=", regex=False)]
        values = found.str.extract(rf"(?:^|&){field}=([^&]*)", expand=False).map(unquote_plus, na_action="ignore")
        from_url = pd.Series(values, index=frame.index, dtype="string")
        out[field] = _text(frame, field).fillna(from_url.where(from_url != ""))
    fbc = _text(frame, "fbc").str.extract(r"^fb\.\d+\.\d+\.(.+)$", expand=False).astype("string")
    out["fbclid"] = out["fbclid"].fillna(fbc)
    out["click_id"] = pd.Series(pd.NA, index=frame.index, dtype="string")
    out["click_id_type"] = pd.Series(pd.NA, index=frame.index, dtype="string")
    for field in CLICK_IDS:
        take = out["click_id"].isna() & out[field].notna()
        out.loc[take, "click_id"] = out.loc[take, field]
        out.loc[take, "click_id_type"] = field

    timestamps = _timestamps(frame["event_timestamp"])
    flag_rows(problems, timestamps.isna() & frame["event_timestamp"].notna(), "event_timestamp", "bad_timestamp", "event_timestamp is not a timestamp: {value!r}", frame["event_timestamp"].astype(str))
    flag_rows(problems, frame["event_timestamp"].isna(), "event_timestamp", "missing_timestamp", "the event has no timestamp")
    event_name = _text(frame, "event_name")
    flag_rows(problems, event_name.isna(), "event_name", "missing_event_name", "the event has no name")
    revenue, bad_revenue = parse_numbers(frame["revenue"].astype("string") if "revenue" in frame.columns else pd.Series("", index=frame.index), decimal=".")
    flag_rows(problems, bad_revenue, "revenue", "not_a_number", "revenue is not a number: {value!r}", frame.get("revenue"))

    keys = hash_emails(_text(frame, "email")) if "email" in frame.columns else pd.Series(pd.NA, index=frame.index, dtype="string")
    if "email_sha256" in frame.columns:
        keys = keys.fillna(normalise_sha256(frame["email_sha256"]))
    event_ids = _text(frame, "event_id")
    missing_ids = event_ids.isna()
    if missing_ids.any():
        basis = frame.loc[missing_ids, "event_timestamp"].astype(str) + "|" + _text(frame, "anonymous_id")[missing_ids].fillna("") + "|" + event_name[missing_ids].fillna("") + "|" + pd.Series(frame.index[missing_ids], index=frame.index[missing_ids]).astype(str)
        event_ids[missing_ids] = basis.map(lambda b: hashlib.sha1(b.encode()).hexdigest()[:20])

    out["event_id"] = event_ids
    out["event_timestamp"] = timestamps
    out["event_date"] = _stated_dates(frame).fillna(timestamps.dt.tz_convert(shop_timezone).dt.tz_localize(None).dt.normalize())
    out["event_name"] = event_name
    out["customer_key"] = keys
    out["anonymous_id"] = _text(frame, "anonymous_id")
    out["session_id"] = _text(frame, "session_id")
    out["landing_page"] = url.str.replace(r"[?#].*$", "", regex=True)
    out["referrer"] = _text(frame, "referrer").str.replace(r"[?#].*$", "", regex=True)
    out["order_id"] = _text(frame, "order_id").str.replace(r"\.0$", "", regex=True)
    out["revenue"] = revenue
    out["currency"] = _text(frame, "currency").str.upper()
    if default_currency:
        out.loc[out["revenue"].notna() & out["currency"].isna(), "currency"] = default_currency
    out["source_row"] = frame.index + 1
    bad = out.index.isin([p.row - 1 for p in problems])
    return conform(out[~bad], TOUCHPOINTS)
