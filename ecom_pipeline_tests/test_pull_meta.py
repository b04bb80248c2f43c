"""The Meta pull against a local server that answers like the Graph API's insights endpoint (its documented shapes and
field names, invented values): pages, a 429 and a 500 on the way, an expired token, a restated day, an empty window."""

import json
from datetime import date
from urllib.parse import parse_qs, urlsplit

import pytest

from ecom_pipeline.ingest import Registry
from ecom_pipeline.pull.http import PullFailed
from ecom_pipeline.pull.meta import fetch, land, window
from ecom_pipeline_tests.graph_api_server import TOKEN, graph, record  # noqa: F401 (graph is a fixture)


def test_pages_are_followed_through_a_429_and_a_500_and_every_row_lands(graph, settings):
    pages = [[record("2025-06-01", "1", "20.00", "2"), record("2025-06-01", "2", "5.50")],
             [record("2025-06-02", "1", "21.25", "1")], [record("2025-06-02", "2", "0.00")]]
    api = graph(pages, failures={1: [429], 2: [500]})
    records = fetch(api.account, date(2025, 6, 1), date(2025, 6, 2))
    assert [r["spend"] for r in records] == ["20.00", "5.50", "21.25", "0.00"]
    assert len(api.requests) == 5  # three pages, each failure asked again once
    first = parse_qs(urlsplit(api.requests[0][0]).query)
    assert first["level"] == ["ad"] and first["time_increment"] == ["1"] and json.loads(first["time_range"][0]) == {"since": "2025-06-01", "until": "2025-06-02"}
    assert all(TOKEN not in path for path, _ in api.requests)  # the token travels in a header, never a URL, even past Meta's paging links

    path = land(records, settings.landing_dir, api.account, date(2025, 6, 1), date(2025, 6, 2))
    assert path.name == "meta-insights-act_4815162342-2025-06-01_2025-06-02.jsonl" and TOKEN not in path.read_text()
    registration = Registry(settings).register(path)
    assert registration.family == "meta_ads" and registration.rows_read == 4 == registration.rows_loaded
    frame, _ = Registry(settings).read_days("meta_ads", "ad_performance", ["2025-06-01", "2025-06-02"])
    by_day = frame.groupby(frame["date_day"].dt.strftime("%Y-%m-%d")).agg(spend=("spend", "sum"), conversions=("conversions", "sum"))
    assert by_day.to_dict("index") == {"2025-06-01": {"spend": 25.5, "conversions": 2.0}, "2025-06-02": {"spend": 21.25, "conversions": 1.0}}
    assert set(frame["currency"]) == {"EUR"} and set(frame["ad_id"]) == {"1", "2"} and set(frame["clicks"]) == {31}
    assert frame.loc[frame["conversions"] > 0, "conversions_value"].tolist() == [99.5, 99.5]  # purchases counted once, not per action type


def test_a_restated_day_replaces_the_first_pull_and_nothing_doubles(graph, settings):
    first = graph([[record("2025-06-01", "1", "20.00", "2"), record("2025-06-02", "1", "30.00", "1")]])
    registry = Registry(settings)
    registry.register(land(fetch(first.account, date(2025, 6, 1), date(2025, 6, 2)), settings.landing_dir, first.account, date(2025, 6, 1), date(2025, 6, 2)))
    restated = graph([[record("2025-06-02", "1", "34.00", "3")]])  # the next morning, Meta counts more for the 2nd
    registry.register(land(fetch(restated.account, date(2025, 6, 2), date(2025, 6, 2)), settings.landing_dir, restated.account, date(2025, 6, 2), date(2025, 6, 2)))
    frame, winners = Registry(settings).read_days("meta_ads", "ad_performance", ["2025-06-01", "2025-06-02"])
    assert frame["spend"].tolist() == [20.0, 34.0] and frame["conversions"].tolist() == [2.0, 3.0]
    assert winners == {"2025-06-01": "meta-insights-act_4815162342-2025-06-01_2025-06-02.jsonl",
                       "2025-06-02": "meta-insights-act_4815162342-2025-06-02_2025-06-02.jsonl"}


def test_an_expired_token_fails_with_what_to_do_and_without_the_token(graph):
    api = graph([], expired=True)
    with pytest.raises(PullFailed) as failure:
        fetch(api.account, date(2025, 6, 1), date(2025, 6, 1))
    sentence = str(failure.value)
    assert "Session has expired" in sentence and "set META_ACCESS_TOKEN" in sentence and "act_4815162342" in sentence
    assert TOKEN not in sentence and TOKEN not in repr(api.account)


def test_an_empty_window_lands_nothing(graph, settings):
    api = graph([[]])
    records = fetch(api.account, date(2025, 6, 1), date(2025, 6, 1))
    assert records == [] and land(records, settings.landing_dir, api.account, date(2025, 6, 1), date(2025, 6, 1)) is None
    assert list(settings.landing_dir.iterdir()) == []


def test_the_morning_window_is_the_28_days_meta_restates():
    assert window(date(2025, 6, 28)) == (date(2025, 6, 1), date(2025, 6, 28))


def test_without_credentials_the_meta_pull_is_off_and_says_so(settings, monkeypatch):
    from dagster import AssetKey

    from ecom_pipeline.defs.build import build_definitions

    for name in ("META_ACCESS_TOKEN", "META_AD_ACCOUNT_ID"):
        monkeypatch.delenv(name, raising=False)
    defs = build_definitions(settings)
    node = defs.resolve_asset_graph().get(AssetKey("pull_meta_ads"))
    assert node.group_name == "pull" and "**Off**: set META_ACCESS_TOKEN and META_AD_ACCOUNT_ID" in node.description
    assert not any(job.name == "pull_job" for job in defs.resolve_all_job_defs())  # nothing scheduled, nothing to warn about
    assert AssetKey("pull_meta_ads") not in defs.resolve_job_def("ingest_job").asset_layer.selected_asset_keys


def test_the_scheduled_pull_lands_the_28_days_the_sensor_then_registers_without_the_token_anywhere(graph, settings, monkeypatch):
    from dagster import AssetKey, DagsterEventType, build_sensor_context, instance_for_test

    from ecom_pipeline.defs.build import build_definitions

    api = graph([[record("2025-06-01", "1", "12.00", "1"), record("2025-06-27", "1", "20.00", "2")], [record("2025-06-28", "2", "7.25")]])
    monkeypatch.setenv("META_ACCESS_TOKEN", TOKEN)
    monkeypatch.setenv("META_AD_ACCOUNT_ID", "4815162342")
    monkeypatch.setenv("META_API_URL", api.account.base_url)
    defs = build_definitions(settings)
    assert {s.name for s in defs.schedules} >= {"pull_job_schedule", "daily_ingest_schedule"}
    with instance_for_test() as instance:
        result = defs.resolve_job_def("pull_job").execute_in_process(partition_key="2025-06-28", instance=instance)
        assert result.success
        metadata = result.asset_materializations_for_node("pull_meta_ads")[0].metadata
        assert metadata["window"].value == "2025-06-01 .. 2025-06-28" and metadata["records"].value == 3 and metadata["spend"].value == 39.25
        since_until = json.loads(parse_qs(urlsplit(api.requests[0][0]).query)["time_range"][0])
        assert since_until == {"since": "2025-06-01", "until": "2025-06-28"}
        # The landing sensor registers the pulled file as it would an export, and asks for a run of its days.
        sensor = defs.resolve_sensor_def("landing_sensor")
        first = sensor(build_sensor_context(instance=instance, resources=defs.resources))  # sees a new file: waits a tick for it to settle
        tick = sensor(build_sensor_context(instance=instance, resources=defs.resources, cursor=first.cursor))
        requests = [r for r in tick.run_requests if r.job_name == "ingest_job"]
        assert {r.tags["ecom_pipeline/source_file"] for r in requests} == {"meta-insights-act_4815162342-2025-06-01_2025-06-28.jsonl"}
        # one run per stretch of days with delivery, each with the week before it, as for an export
        assert [(r.tags.get("dagster/asset_partition_range_start"), r.tags.get("dagster/asset_partition_range_end")) for r in requests] == [
            ("2025-05-25", "2025-06-01"), ("2025-06-20", "2025-06-28")]
        (registration,) = Registry(settings).all()
        assert registration.family == "meta_ads" and registration.rows_loaded == 3
        assert registration.days["ad_performance"] == ["2025-06-01", "2025-06-27", "2025-06-28"]
        logged = [str(event) for event in instance.all_logs(result.run_id)]
        assert logged and not any(TOKEN in line for line in logged)
        assert TOKEN not in str(instance.get_run_by_id(result.run_id).run_config)
        assert not any(TOKEN in p.read_text(errors="ignore") for p in settings.data_dir.rglob("*") if p.is_file() and p.suffix in (".json", ".jsonl", ".txt"))
        assert [e for e in instance.all_logs(result.run_id) if e.dagster_event and e.dagster_event.event_type == DagsterEventType.STEP_FAILURE] == []


def test_an_expired_token_fails_the_pull_run_with_the_sentence(graph, settings, monkeypatch):
    from dagster import instance_for_test

    from ecom_pipeline.defs.build import build_definitions

    api = graph([], expired=True)
    monkeypatch.setenv("META_ACCESS_TOKEN", TOKEN)
    monkeypatch.setenv("META_AD_ACCOUNT_ID", "4815162342")
    monkeypatch.setenv("META_API_URL", api.account.base_url)
    with instance_for_test() as instance:
        result = build_definitions(settings).resolve_job_def("pull_job").execute_in_process(partition_key="2025-06-28", instance=instance, raise_on_error=False)
        assert not result.success
        error = str(result.get_step_failure_events()[0].step_failure_data.error)
        assert "Session has expired" in error and "set META_ACCESS_TOKEN" in error and TOKEN not in error
        assert list(settings.landing_dir.iterdir()) == []


def test_a_pulled_file_with_a_broken_line_is_refused_naming_the_line(settings):
    from ecom_pipeline.ingest import Rejection

    path = settings.landing_dir / "meta-insights-act_1-2025-06-01_2025-06-01.jsonl"
    path.write_text(json.dumps(record("2025-06-01", "1", "20.00")) + "\n" + '{"date_start": "2025-06-01", "spend": "3' + "\n")
    rejection = Registry(settings).register(path)
    assert isinstance(rejection, Rejection) and "Meta insights line 2 is not valid JSON" in rejection.reason
