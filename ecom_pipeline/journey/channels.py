"""Sessions and their channels: each session's landing event, grouped by a readable, overridable rule table."""

from __future__ import annotations

import io
import re
import warnings
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

DEFAULT_GROUPING = "channel_grouping.csv"
DIRECT = "Direct"
STORE_ATTRIBUTION = ["attribution_source", "attribution_medium", "attribution_referrer"]  # the store's own, on its orders


@dataclass(frozen=True)
class GroupingRule:
    click_id_type: str
    utm_source: str
    utm_medium: str
    referrer: str
    channel: str
    platform: str


def load_grouping(path: str | Path | None = None) -> list[GroupingRule]:
    """The channel-grouping rules: the user's file when given, else the packaged default."""
    text = Path(path).read_text() if path else resources.files("ecom_pipeline.journey").joinpath(DEFAULT_GROUPING).read_text()
    table = pd.read_csv(io.StringIO(text), comment="#", dtype=str, keep_default_na=False)
    missing = {"click_id_type", "utm_source", "utm_medium", "referrer", "channel", "platform"} - set(table.columns)
    if missing:
        raise ValueError(f"channel grouping {path or DEFAULT_GROUPING} lacks column(s): {', '.join(sorted(missing))}")
    for column in ("click_id_type", "utm_source", "utm_medium", "referrer"):
        for number, pattern in enumerate(table[column], start=1):
            try:
                re.compile(pattern)
            except re.error as error:
                raise ValueError(f"channel grouping rule {number}, column {column}: {pattern!r} is not a regular expression ({error})") from None
    return [GroupingRule(**row) for row in table.to_dict("records")]


def assign_channels(sessions: pd.DataFrame, rules: list[GroupingRule]) -> pd.DataFrame:
    """`channel` and `platform` for each session from its landing event's click id, UTMs and referrer.

    The rules run once per distinct combination of those four fields (hundreds, where sessions are millions)."""
    fields = {"click_id_type": "click_id_type", "utm_source": "utm_source", "utm_medium": "utm_medium", "referrer": "referrer_host"}
    raw = pd.DataFrame({name: sessions[column].fillna("").astype(str).to_numpy() for name, column in fields.items()})
    combination = raw.groupby(list(fields), sort=False).ngroup().to_numpy()
    distinct = raw.drop_duplicates().reset_index(drop=True)
    channel, platform = _classify(distinct.apply(lambda column: column.str.lower()), rules)
    out = sessions.copy()
    out["channel"] = channel.fillna(DIRECT).to_numpy()[combination]
    out["platform"] = pd.array(platform.to_numpy()[combination], dtype="string")
    return out


def _classify(values: pd.DataFrame, rules: list[GroupingRule]) -> tuple[pd.Series, pd.Series]:
    """The first matching rule's channel and platform for each row of lower-cased fields; NA where none matches."""
    channel = pd.Series(pd.NA, index=values.index, dtype="string")
    platform = pd.Series(pd.NA, index=values.index, dtype="string")
    for rule in rules:
        todo = channel.isna()
        if not todo.any():
            break
        match = todo.copy()
        for column in ("click_id_type", "utm_source", "utm_medium", "referrer"):
            pattern = getattr(rule, column)
            if pattern:
                with warnings.catch_warnings():  # groups in a user's pattern are fine: only the match matters
                    warnings.simplefilter("ignore", UserWarning)
                    match &= values[column].str.contains(pattern, regex=True, na=False)
        channel[match] = rule.channel
        platform[match] = rule.platform or pd.NA
    return channel, platform


def sessions_from_events(events: pd.DataFrame, shop_hosts: tuple[str, ...] = ()) -> pd.DataFrame:
    """One row per session: its first event's time and day, tags and landing context, plus who it belongs to.

    A referrer on the shop's own host is no referrer (a page within the visit). Events without a session id
    form one session per anonymous id and day.
    """
    events = events.sort_values(["event_timestamp", "event_id"], kind="stable")
    session = events["session_id"].copy()
    loose = session.isna()
    if loose.any():
        session[loose] = events.loc[loose, "anonymous_id"].fillna(events.loc[loose, "event_id"]) + "@" + events.loc[loose, "event_date"].dt.strftime("%Y-%m-%d")
    events = events.assign(session=session)
    first = events.drop_duplicates("session", keep="first")
    host = first["referrer"].map(hosts(first["referrer"]))
    own = host.isin([h.lower() for h in shop_hosts]) if shop_hosts else pd.Series(False, index=first.index)
    sessions = pd.DataFrame({
        "session": first["session"], "anonymous_id": first["anonymous_id"], "touch_timestamp": first["event_timestamp"],
        "utm_source": first["utm_source"], "utm_medium": first["utm_medium"], "utm_campaign": first["utm_campaign"],
        "click_id": first["click_id"], "click_id_type": first["click_id_type"],
        "referrer_host": host.where(~own), "landing_page": first["landing_page"], "day": first["event_date"],
    })
    keys = events.dropna(subset=["customer_key"]).drop_duplicates("session", keep="last").set_index("session")["customer_key"]
    sessions["customer_key"] = sessions["session"].map(keys)
    return sessions.reset_index(drop=True)


def shop_hosts(events: pd.DataFrame) -> tuple[str, ...]:
    """The shop's own host(s): the (up to three) hosts most landing pages are on."""
    pages = events["landing_page"].value_counts()
    counts = pd.Series(pages.to_numpy(), index=pages.index.map(hosts(pages.index.to_series()))).groupby(level=0).sum()
    return tuple(counts.sort_values(ascending=False, kind="stable").head(3).index) if len(counts) else ()


def daily_sessions(events: pd.DataFrame, days: list[str], rules: list[GroupingRule]) -> pd.DataFrame:
    """The sessions that start on `days`, with their channels. `events` also holds the day before the first and the day
    after the last, so that a session crossing midnight is counted once, on its first day, with all its events."""
    sessions = assign_channels(sessions_from_events(events, shop_hosts=shop_hosts(events)), rules)
    return sessions[sessions["day"].isin(pd.DatetimeIndex(days))].reset_index(drop=True)


def hosts(urls: pd.Series) -> pd.Series:
    """Lower-cased host of each distinct URL (indexed by the URL): parsed once per distinct value."""
    distinct = pd.Series(urls.dropna().unique(), dtype="string")
    host = distinct.str.extract(r"^[a-z]+://([^/:]+)", expand=False, flags=re.IGNORECASE).str.lower()
    return pd.Series(host.to_numpy(), index=distinct.to_numpy(), dtype="string")


def normalise_campaign(name: pd.Series) -> pd.Series:
    """Campaign names as tracking templates tend to mangle them: lower case, non-alphanumerics collapsed."""
    return name.fillna("").str.lower().str.replace(r"[^0-9a-z]+", " ", regex=True).str.strip()


def match_campaigns(sessions: pd.DataFrame, campaigns: pd.DataFrame) -> pd.DataFrame:
    """`campaign_id` / `campaign_name` for paid sessions whose utm_campaign is a campaign's id or normalised name."""
    catalog = campaigns.dropna(subset=["campaign_id"]).drop_duplicates(["platform", "campaign_id"])
    by_id = catalog.assign(key=catalog["campaign_id"].astype(str).str.lower())[["platform", "key", "campaign_id", "campaign_name"]]
    by_name = catalog.assign(key=normalise_campaign(catalog["campaign_name"]))[["platform", "key", "campaign_id", "campaign_name"]]
    lookup = pd.concat([by_id, by_name]).drop_duplicates(["platform", "key"])
    key_id = sessions["utm_campaign"].fillna("").str.lower()
    key_name = normalise_campaign(sessions["utm_campaign"])
    out = sessions.copy()
    first = out[["platform"]].assign(key=key_id).merge(lookup, on=["platform", "key"], how="left")
    second = out[["platform"]].assign(key=key_name).merge(lookup, on=["platform", "key"], how="left")
    out["campaign_id"] = first["campaign_id"].fillna(second["campaign_id"]).to_numpy()
    out["campaign_name"] = first["campaign_name"].fillna(second["campaign_name"]).to_numpy()
    return out


def match_rates(sessions: pd.DataFrame) -> pd.DataFrame:
    """Per ad platform: paid sessions, those carrying a utm_campaign, those matched to a campaign, and the rate."""
    paid = sessions[sessions["platform"].notna()]
    tagged = paid["utm_campaign"].notna()
    table = pd.DataFrame({
        "sessions": paid.groupby("platform").size(),
        "tagged": tagged.groupby(paid["platform"]).sum(),
        "matched": paid["campaign_id"].notna().groupby(paid["platform"]).sum(),
    }).fillna(0).astype(int)
    table["match_rate"] = np.where(table["tagged"] > 0, table["matched"] / table["tagged"].where(table["tagged"] > 0), np.nan)
    return table.reset_index()


def store_touches(orders: pd.DataFrame, rules: list[GroupingRule]) -> pd.DataFrame:
    """The channel of each order the store itself attributed (WooCommerce `Organic: Google`): order_id, channel, platform."""
    told = orders[orders[STORE_ATTRIBUTION].notna().any(axis=1)]
    if told.empty:
        return pd.DataFrame(columns=["order_id", "channel", "platform"])
    touches = pd.DataFrame({"click_id_type": "", "utm_source": told["attribution_source"].fillna(""),
                            "utm_medium": told["attribution_medium"].fillna(""), "referrer_host": told["attribution_referrer"].fillna("")})
    return assign_channels(touches, rules).assign(order_id=told["order_id"].to_numpy())[["order_id", "channel", "platform"]].reset_index(drop=True)
