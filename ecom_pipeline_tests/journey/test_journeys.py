import pandas as pd

from ecom_pipeline.journey.channels import assign_channels, daily_sessions, load_grouping, match_campaigns, match_rates, sessions_from_events
from ecom_pipeline.journey.journeys import conversion_paths, journeys, lost_journeys, non_converting, path_strings, stitch
from ecom_pipeline.schemas import TOUCHPOINTS, conform

T = lambda s: pd.Timestamp(s, tz="UTC")  # noqa: E731


def _events(rows):
    frame = pd.DataFrame(rows)
    frame["event_timestamp"] = pd.to_datetime(frame["event_timestamp"], utc=True)
    frame["event_date"] = frame["event_timestamp"].dt.tz_convert(None).dt.normalize()
    return conform(frame, TOUCHPOINTS)


EVENTS = _events([
    # anon a1: a Meta click whose UTMs claim Google (the click id wins), then a direct visit, then a purchase
    {"event_id": "1", "event_timestamp": "2025-06-01T10:00Z", "event_name": "page_view", "anonymous_id": "a1", "session_id": "s1",
     "utm_source": "google", "utm_medium": "cpc", "utm_campaign": "Spring Sale!", "click_id": "IwAR1", "click_id_type": "fbclid",
     "referrer": "https://l.facebook.com/"},
    {"event_id": "2", "event_timestamp": "2025-06-03T10:00Z", "event_name": "page_view", "anonymous_id": "a1", "session_id": "s2"},
    {"event_id": "3", "event_timestamp": "2025-06-03T10:05Z", "event_name": "page_view", "anonymous_id": "a1", "session_id": "s2",
     "referrer": "https://shop.example/products/tee"},
    {"event_id": "4", "event_timestamp": "2025-06-05T09:00Z", "event_name": "page_view", "anonymous_id": "a1", "session_id": "s3",
     "utm_source": "facebook", "utm_medium": "paid_social", "utm_campaign": "111", "click_id": "IwAR2", "click_id_type": "fbclid"},
    {"event_id": "5", "event_timestamp": "2025-06-05T09:10Z", "event_name": "purchase", "anonymous_id": "a1", "session_id": "s3", "customer_key": "k1", "order_id": "o1"},
    # anon a2: a Google search visit that never identifies; anon a3: an email click that never buys
    {"event_id": "6", "event_timestamp": "2025-06-02T08:00Z", "event_name": "page_view", "anonymous_id": "a2", "session_id": "s4", "referrer": "https://www.google.com/"},
    {"event_id": "7", "event_timestamp": "2025-06-02T08:00Z", "event_name": "page_view", "anonymous_id": "a3", "session_id": "s5",
     "utm_source": "klaviyo", "utm_medium": "email", "utm_campaign": "weekly"},
])
CAMPAIGNS = pd.DataFrame({"platform": ["meta", "meta"], "campaign_id": ["111", "222"], "campaign_name": ["Prospecting", "Spring sale"]})


def _sessions():
    sessions = sessions_from_events(EVENTS, shop_hosts=("shop.example",))
    return match_campaigns(assign_channels(sessions, load_grouping()), CAMPAIGNS)


def test_sessions_channels_and_the_click_id_outranking_utms():
    sessions = _sessions().set_index("session")
    assert sessions.loc["s1", "channel"] == "Paid Social – Meta" and sessions.loc["s1", "platform"] == "meta"
    assert sessions.loc["s2", "channel"] == "Direct"  # the shop's own referrer is no referrer
    assert sessions.loc["s4", "channel"] == "Organic Search" and sessions.loc["s5", "channel"] == "Email"
    # utm_campaign matches by id ("111") or by normalised name ("Spring Sale!" ~ "Spring sale")
    assert sessions.loc["s3", "campaign_id"] == "111" and sessions.loc["s1", "campaign_id"] == "222"
    rates = match_rates(sessions.reset_index()).set_index("platform")
    assert rates.loc["meta"].to_dict() == {"sessions": 2, "tagged": 2, "matched": 2, "match_rate": 1.0}


def test_daily_sessions_count_a_session_once_on_its_first_day_with_all_its_events():
    """A visit from 23:50 to 00:20 is one session of its first day, identified by its after-midnight purchase; the
    day after holds only the sessions that start on it. Day by day, the same sessions as all events at once."""
    events = _events([
        {"event_id": "1", "event_timestamp": "2025-06-01T23:50Z", "event_name": "page_view", "anonymous_id": "a1", "session_id": "late",
         "utm_source": "klaviyo", "utm_medium": "email", "utm_campaign": "weekly"},
        {"event_id": "2", "event_timestamp": "2025-06-02T00:20Z", "event_name": "purchase", "anonymous_id": "a1", "session_id": "late", "customer_key": "k1"},
        {"event_id": "3", "event_timestamp": "2025-06-02T09:00Z", "event_name": "page_view", "anonymous_id": "a2", "session_id": "morning"},
        {"event_id": "4", "event_timestamp": "2025-06-03T09:00Z", "event_name": "page_view", "anonymous_id": "a2"},  # no session id
    ])
    rules = load_grouping()
    first = daily_sessions(events, ["2025-06-01"], rules)
    assert first["session"].tolist() == ["late"] and first["customer_key"].tolist() == ["k1"] and first["channel"].tolist() == ["Email"]
    assert daily_sessions(events, ["2025-06-02"], rules)["session"].tolist() == ["morning"]
    assert daily_sessions(events, ["2025-06-03"], rules)["session"].tolist() == ["a2@2025-06-03"]
    by_day = pd.concat([daily_sessions(events, [day], rules) for day in ("2025-06-01", "2025-06-02", "2025-06-03")], ignore_index=True)
    pd.testing.assert_frame_equal(by_day, assign_channels(sessions_from_events(events), rules))


def test_an_anonymous_id_is_stitched_by_a_later_purchase():
    stitched, share = stitch(_sessions())
    by = stitched.set_index("session")["customer_key"]
    assert by.loc["s1"] == by.loc["s2"] == by.loc["s3"] == "k1" and pd.isna(by.loc["s4"])
    assert share == 3 / 5


ORDERS = pd.DataFrame({"order_id": ["o0", "o1"], "customer_key": ["k1", "k1"],
                       "created_timestamp": [T("2025-06-02T12:00"), T("2025-06-05T09:10")],
                       "order_date": [pd.Timestamp("2025-06-02"), pd.Timestamp("2025-06-05")]})


def test_journey_starts_after_the_previous_order_and_collapses_repeats():
    rows = journeys(ORDERS.iloc[[1]], ORDERS, _sessions(), lookback_days=30)
    # s1 (June 1) is before the previous order o0 (June 2): it belongs to o0's journey, not o1's.
    assert rows["session"].tolist() == ["s2", "s3"]
    assert rows["channel"].tolist() == ["Direct", "Paid Social – Meta"]
    assert rows["position"].tolist() == [1, 2] and rows["touches_in_path"].tolist() == [2, 2]
    assert rows["days_before_conversion"].tolist() == [1.965, 0.007]  # 47 h 10 min and 10 min
    # o0 (June 2): the device a1 identifies k1 only on June 5, after that order; a daily run of June 2 cannot know
    # it, so neither does a backfill: o0 gets an inferred Direct touch.
    first = journeys(ORDERS.iloc[[0]], ORDERS, _sessions())
    assert first[["channel", "inferred"]].values.tolist() == [["Direct", True]]
    repeated = pd.DataFrame({"order_id": "o", "touch_timestamp": pd.date_range("2025-06-01", periods=5, tz="UTC"),
                             "channel": ["Email", "Email", "Direct", "Email", "Email"]})
    assert path_strings(repeated, "order_id").tolist() == ["Email > Direct > Email"]  # repeats collapse, returns stay


def test_an_order_without_touches_gets_one_inferred_direct_touch():
    orders = pd.DataFrame({"order_id": ["o9"], "customer_key": ["k9"], "created_timestamp": [T("2025-06-05T09:10")], "order_date": [pd.Timestamp("2025-06-05")]})
    rows = journeys(orders, orders, _sessions())
    assert rows[["channel", "inferred", "touches_in_path"]].values.tolist() == [["Direct", True, 1]]


def test_paths_in_channelattribution_shape_with_non_converting_journeys():
    stitched, _ = stitch(_sessions())
    rows = journeys(ORDERS, ORDERS, _sessions())
    values = pd.DataFrame({"order_id": ["o0", "o1"], "value": [50.0, 80.0], "contribution_margin": [10.0, 25.0]})
    lost = non_converting(stitched, ORDERS, [pd.Timestamp("2025-07-02")], lookback_days=30)  # a2 and a3 last touched June 2
    assert sorted(lost["identity"]) == ["anon:a2", "anon:a3"]
    rows = rows.assign(conversion_day=pd.Timestamp("2025-07-02"))  # one day for the test's sake
    paths = conversion_paths(rows, values, lost).set_index("path")
    assert set(paths["day"]) == {pd.Timestamp("2025-07-02")}
    assert paths.loc["Direct", ["total_conversions", "total_conversion_value", "total_null", "contribution_margin"]].tolist() == [1, 50.0, 0, 10.0]
    assert paths.loc["Direct > Paid Social – Meta", ["total_conversions", "total_conversion_value"]].tolist() == [1, 80.0]
    assert paths.loc["Organic Search", "total_null"] == 1 and paths.loc["Email", "total_null"] == 1
    assert non_converting(stitched, ORDERS, [pd.Timestamp("2025-07-01")]).empty  # not yet definitive


def test_identity_evidence_counts_only_within_the_lookback_up_to_the_orders_day():
    sessions = _sessions()
    order = pd.DataFrame({"order_id": ["o1"], "customer_key": ["k1"], "created_timestamp": [T("2025-06-05T09:10")], "order_date": [pd.Timestamp("2025-06-05")]})
    # a1's purchase session (June 5, the order's day) links its earlier anonymous sessions s1 and s2.
    assert journeys(order, order, sessions)["session"].tolist() == ["s1", "s2", "s3"]
    # An identification 31 days before the order is outside the lookback: the anonymous visit stays anonymous.
    late = order.assign(created_timestamp=T("2025-07-06T09:10"), order_date=pd.Timestamp("2025-07-06"))
    visit = sessions[sessions["session"] == "s2"].assign(session="s9", touch_timestamp=T("2025-07-05T10:00"), day=pd.Timestamp("2025-07-05"))
    rows = journeys(late, late, pd.concat([sessions, visit], ignore_index=True))
    assert rows[["channel", "inferred"]].values.tolist() == [["Direct", True]]
    # The same days run together or one at a time: the lost journeys of each day are the same.
    days = [pd.Timestamp("2025-07-02"), pd.Timestamp("2025-07-03")]
    together = lost_journeys(sessions, ORDERS, days)
    alone = pd.concat([part for day in days if len(part := lost_journeys(sessions[sessions["day"] <= day], ORDERS, [day]))], ignore_index=True)
    pd.testing.assert_frame_equal(together, alone)
    assert sorted(together["identity"]) == ["anon:a2", "anon:a3"]


def test_lost_journeys_equal_a_stitch_per_day_on_random_traffic():
    import numpy as np

    rng = np.random.default_rng(5)
    n = 3000
    stamps = pd.Timestamp("2025-06-01", tz="UTC") + pd.to_timedelta(rng.uniform(0, 120 * 86400, n), unit="s")
    anon = rng.integers(0, 400, n)
    keys = np.where(rng.random(n) < 0.08, "k" + (anon % 150).astype(str), None)  # devices now and then identify a buyer
    sessions = pd.DataFrame({"session": [f"s{i}" for i in range(n)], "anonymous_id": pd.array([f"a{a}" for a in anon], dtype="string"),
                             "customer_key": pd.array(keys, dtype="string"), "touch_timestamp": stamps,
                             "day": stamps.tz_convert(None).normalize(), "channel": rng.choice(["Email", "Direct", "Paid Social – Meta"], n)})
    buyers = rng.integers(0, 150, 200)
    created = pd.Timestamp("2025-06-01", tz="UTC") + pd.to_timedelta(rng.uniform(0, 120 * 86400, 200), unit="s")
    orders = pd.DataFrame({"order_id": [f"o{i}" for i in range(200)], "customer_key": [f"k{b}" for b in buyers],
                           "created_timestamp": created, "order_date": created.tz_convert(None).normalize()})
    days = list(pd.date_range("2025-07-15", "2025-09-20"))
    reference = [non_converting(stitch(sessions[(sessions["day"] >= day - pd.Timedelta(days=60)) & (sessions["day"] <= day)])[0], orders, [day])
                 for day in days]
    reference = pd.concat([part for part in reference if len(part)], ignore_index=True)
    mine = lost_journeys(sessions, orders, days)
    order = ["closes_on", "identity", "position"]
    assert len(reference) > 300 and reference["identity"].str.startswith("k").any()  # customers as well as devices
    pd.testing.assert_frame_equal(mine.sort_values(order).reset_index(drop=True), reference.sort_values(order).reset_index(drop=True), check_dtype=False)


def test_a_users_channel_rule_may_use_python_regular_expressions(tmp_path):
    """Rules are validated with Python's `re`, so they run with it too (Arrow's RE2 has no look-arounds)."""
    rules = tmp_path / "grouping.csv"
    rules.write_text("click_id_type,utm_source,utm_medium,referrer,channel,platform\n"
                     ",^(?!.*brand).*google,,,Search Non-Brand,google\n,google,,,Search Brand,google\n")
    sessions = _events([
        {"event_id": "1", "event_timestamp": "2025-06-01T10:00Z", "event_name": "page_view", "session_id": "s1", "utm_source": "google"},
        {"event_id": "2", "event_timestamp": "2025-06-01T11:00Z", "event_name": "page_view", "session_id": "s2", "utm_source": "google_brand"},
    ])
    channels = assign_channels(sessions_from_events(sessions), load_grouping(rules)).set_index("session")["channel"]
    assert channels.to_dict() == {"s1": "Search Non-Brand", "s2": "Search Brand"}
