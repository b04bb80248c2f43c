"""Identity stitching, each order's journey of touches, and paths in ChannelAttribution's shape."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ecom_pipeline.journey.channels import DIRECT

PATH_SEPARATOR = " > "


def stitch(sessions: pd.DataFrame) -> tuple[pd.DataFrame, float]:
    """Give every session of an anonymous id the customer key any of its sessions identified; (sessions, share)."""
    known = sessions.dropna(subset=["customer_key", "anonymous_id"]).drop_duplicates("anonymous_id", keep="last")
    by_anon = known.set_index("anonymous_id")["customer_key"]
    out = sessions.copy()
    out["customer_key"] = out["customer_key"].fillna(out["anonymous_id"].map(by_anon))
    share = float(out["customer_key"].notna().mean()) if len(out) else 0.0
    return out, share


def journeys(orders: pd.DataFrame, history: pd.DataFrame, sessions: pd.DataFrame, lookback_days: int = 30,
             store_touches: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per order × touch: the customer's sessions after their previous order and within `lookback_days`
    before the order. An order with no touch gets one touch at its own time: the store's attribution of the order
    where its export has one (`store_touches`: order_id, channel, platform), else an inferred Direct touch.

    A session is the customer's when it carries their key, or when its anonymous id was identified as them by a
    session whose day lies within the lookback before the order's day (or on it). Evidence from later days is not
    used, so a day's journeys are the same whether it was run alone or in a backfill with the days after it.
    `orders` are the orders to explain; `history` all orders known (to find each customer's previous order);
    `sessions` as `sessions_from_events` gives them (with `day`), unstitched.
    """
    columns = ["order_id", "customer_key", "order_timestamp", "conversion_day", "touch_timestamp", "session", "channel",
               "platform", "campaign_id", "campaign_name", "position", "touches_in_path", "days_before_conversion", "inferred"]
    if orders.empty:
        return pd.DataFrame(columns=columns)
    everything = pd.concat([history, orders]).drop_duplicates("order_id").sort_values("created_timestamp", kind="stable")
    previous = everything.groupby("customer_key")["created_timestamp"].shift(1)
    previous = previous.set_axis(everything["order_id"].to_numpy())
    target = orders[["order_id", "customer_key", "created_timestamp", "order_date"]].rename(columns={"created_timestamp": "order_timestamp", "order_date": "conversion_day"})
    target = target.assign(previous_order=target["order_id"].map(previous))
    start = target["order_timestamp"] - pd.Timedelta(days=lookback_days)
    target["window_start"] = start.where(target["previous_order"].isna() | (target["previous_order"] < start), target["previous_order"])
    known = target.dropna(subset=["customer_key"])
    fields = ["touch_timestamp", "session", "channel", "platform", "campaign_id", "campaign_name"]
    own = sessions.dropna(subset=["customer_key"])
    carried = known.merge(own[["customer_key", *fields]], on="customer_key")
    evidence = own.dropna(subset=["anonymous_id"])[["anonymous_id", "customer_key", "day"]].drop_duplicates()
    evidence = known[["order_id", "customer_key", "conversion_day"]].merge(evidence, on="customer_key")
    evidence = evidence[(evidence["day"] <= evidence["conversion_day"]) & (evidence["day"] >= evidence["conversion_day"] - pd.Timedelta(days=lookback_days))]
    devices = evidence[["order_id", "anonymous_id"]].drop_duplicates()
    anonymous = sessions[sessions["customer_key"].isna()].dropna(subset=["anonymous_id"])[["anonymous_id", *fields]]
    linked = known.merge(devices, on="order_id").merge(anonymous, on="anonymous_id").drop(columns="anonymous_id")
    joined = pd.concat([part for part in (carried, linked) if len(part)] or [carried], ignore_index=True)
    joined = joined[(joined["touch_timestamp"] > joined["window_start"]) & (joined["touch_timestamp"] <= joined["order_timestamp"])]
    joined = joined.drop_duplicates(["order_id", "session"])
    found = set(joined["order_id"])
    missing = target[~target["order_id"].isin(found)].assign(
        touch_timestamp=lambda f: f["order_timestamp"], session=pd.NA, channel=DIRECT, platform=pd.NA, campaign_id=pd.NA, campaign_name=pd.NA,
        inferred=True)
    if store_touches is not None and len(store_touches) and len(missing):
        by_order = store_touches.set_index("order_id")
        told = missing["order_id"].map(by_order["channel"])
        missing = missing.assign(channel=told.fillna(missing["channel"]), inferred=told.isna(),
                                 platform=missing["order_id"].map(by_order["platform"]).astype("string"))
    parts = [part for part in (joined.assign(inferred=False), missing) if len(part)]
    joined = pd.concat(parts, ignore_index=True)
    joined = joined.sort_values(["order_id", "touch_timestamp"], kind="stable")
    joined["position"] = joined.groupby("order_id").cumcount() + 1
    joined["touches_in_path"] = joined.groupby("order_id")["position"].transform("max")
    joined["days_before_conversion"] = ((joined["order_timestamp"] - joined["touch_timestamp"]).dt.total_seconds() / 86400).round(3)
    return joined[columns].reset_index(drop=True)


def non_converting(sessions: pd.DataFrame, orders: pd.DataFrame, days: list[pd.Timestamp], lookback_days: int = 30) -> pd.DataFrame:
    """Journeys whose window closed without an order, for each of `days`.

    An identity (stitched customer, else anonymous id) whose last touch was `lookback_days` shop days before a day, and
    that placed no order after its touches by the end of that day: its touches since its last order (within the
    lookback of its last touch) form one non-converting journey, counted once, on the day it became definitive
    (`closes_on`).
    """
    columns = ["identity", "closes_on", "touch_timestamp", "channel", "position", "touches_in_path"]
    identity = sessions["customer_key"].fillna("anon:" + sessions["anonymous_id"].fillna(sessions["session"]))
    sessions = sessions.assign(identity=identity)
    sessions["closes_on"] = sessions.groupby("identity")["day"].transform("max") + pd.Timedelta(days=lookback_days)
    tail = sessions[sessions["closes_on"].isin(pd.DatetimeIndex(days))]
    if tail.empty:
        return pd.DataFrame(columns=columns)
    known = orders.dropna(subset=["customer_key"])[["customer_key", "created_timestamp", "order_date"]]
    pairs = tail[["identity", "closes_on"]].drop_duplicates().merge(known, left_on="identity", right_on="customer_key")
    pairs = pairs[pairs["order_date"] <= pairs["closes_on"]]
    last_order = tail["identity"].map(pairs.groupby("identity")["created_timestamp"].max())
    tail = tail[last_order.isna() | (tail["touch_timestamp"] > last_order)]
    tail = tail[tail["touch_timestamp"] > tail.groupby("identity")["touch_timestamp"].transform("max") - pd.Timedelta(days=lookback_days)]
    if tail.empty:
        return pd.DataFrame(columns=columns)
    tail = tail.sort_values(["identity", "touch_timestamp"], kind="stable")
    tail = tail.assign(position=tail.groupby("identity").cumcount() + 1)
    tail["touches_in_path"] = tail.groupby("identity")["position"].transform("max")
    return tail[columns].reset_index(drop=True)


def lost_journeys(sessions: pd.DataFrame, orders: pd.DataFrame, days: list[pd.Timestamp], lookback_days: int = 30) -> pd.DataFrame:
    """`non_converting` for each of `days` as that day's own run sees it: the sessions of the `2 × lookback_days`
    days up to it, stitched with that evidence only — so a day's count does not depend on the days run with it.

    Each day's stitching and last touches are integer array work over the window; only the sessions of the
    identities whose window closes that day go through `non_converting`."""
    if sessions.empty or not days:
        return non_converting(sessions, orders, days, lookback_days)
    sessions = sessions.iloc[np.argsort(sessions["touch_timestamp"].values, kind="stable")].reset_index(drop=True)
    day = sessions["day"].to_numpy().astype("datetime64[D]").astype(np.int64)  # days since 1970
    device = pd.factorize(sessions["anonymous_id"].fillna(sessions["session"]))[0]
    key, names = pd.factorize(sessions["customer_key"])
    orders = orders[orders["customer_key"].isin(names) & (orders["order_date"] <= max(days))]  # the only orders that can matter
    buyer = pd.Index(names).get_indexer(orders["customer_key"])
    identifying = np.flatnonzero(key >= 0)  # in time order: a later identification overwrites an earlier one
    parts = []
    for closing in days:
        today = np.datetime64(closing.date(), "D").astype(np.int64)
        window = (day >= today - 2 * lookback_days) & (day <= today)
        link = np.full(device.max() + 1, -1)
        evidence = identifying[window[identifying]]
        link[device[evidence]] = key[evidence]
        stitched = np.where(key >= 0, key, link[device])
        identity = np.where(stitched >= 0, stitched, len(names) + device)
        rows = np.flatnonzero(window)
        last = np.full(len(names) + device.max() + 1, np.iinfo(np.int64).min)
        np.maximum.at(last, identity[rows], day[rows])
        members = rows[last[identity[rows]] == today - lookback_days]
        if len(members) == 0:
            continue
        known = stitched[members]
        subset = sessions.iloc[members].assign(customer_key=pd.array(np.where(known >= 0, np.asarray(names, dtype=object)[np.maximum(known, 0)], None), dtype="string"))
        parts.append(non_converting(subset, orders[np.isin(buyer, known[known >= 0])], [closing], lookback_days))
    found = [part for part in parts if len(part)]
    return pd.concat(found, ignore_index=True) if found else non_converting(sessions.iloc[:0], orders, days, lookback_days)


def path_strings(rows: pd.DataFrame, by: str) -> pd.Series:
    """`a > b > c` per group of `by`, rows in touch order, consecutive repeats collapsed (Arrow lists each group's
    channels in order and joins them: hundreds of thousands of journeys a month, no Python call per journey)."""
    rows = rows.sort_values([by, "touch_timestamp"], kind="stable")
    repeated = ((rows[by] == rows[by].shift()) & (rows["channel"] == rows["channel"].shift())).fillna(False).astype(bool)
    kept = pa.Table.from_pandas(rows.loc[~repeated, [by, "channel"]].astype({by: "string", "channel": "string"}), preserve_index=False)
    grouped = kept.group_by(by, use_threads=False).aggregate([("channel", "list")])
    joined = pc.binary_join(grouped["channel_list"], pa.scalar(PATH_SEPARATOR, kept.schema.field("channel").type))
    return pd.Series(pd.array(joined, dtype="string"), index=pd.Index(pd.array(grouped[by], dtype="string"), name=by), name="channel")


def conversion_paths(journey_rows: pd.DataFrame, order_values: pd.DataFrame, lost: pd.DataFrame) -> pd.DataFrame:
    """Paths in ChannelAttribution's shape per day: `path`, `total_conversions`, `total_conversion_value`,
    `total_null`, plus `contribution_margin`. Converting journeys count on their conversion day, non-converting
    ones on the day their window closed (`closes_on`). `order_values` has order_id, value, contribution_margin."""
    won = path_strings(journey_rows, "order_id").rename("path").reset_index()
    won = won.merge(journey_rows.drop_duplicates("order_id")[["order_id", "conversion_day"]], on="order_id").merge(order_values, on="order_id", how="left")
    won = won.rename(columns={"conversion_day": "day"}).groupby(["day", "path"]).agg(
        total_conversions=("order_id", "size"), total_conversion_value=("value", "sum"), contribution_margin=("contribution_margin", "sum"))
    if len(lost):
        nulls = path_strings(lost, "identity").rename("path").reset_index().merge(lost.drop_duplicates("identity")[["identity", "closes_on"]], on="identity")
        nulls = nulls.rename(columns={"closes_on": "day"}).groupby(["day", "path"]).size().rename("total_null")
    else:
        nulls = pd.Series(dtype="int64", name="total_null", index=pd.MultiIndex.from_arrays([[], []], names=["day", "path"]))
    table = won.join(nulls, how="outer").fillna({"total_conversions": 0, "total_conversion_value": 0.0, "total_null": 0, "contribution_margin": 0.0})
    table[["total_conversions", "total_null"]] = table[["total_conversions", "total_null"]].astype(int)
    return table.reset_index().sort_values(["day", "total_conversions", "path"], ascending=[True, False, True], kind="stable").reset_index(drop=True)
