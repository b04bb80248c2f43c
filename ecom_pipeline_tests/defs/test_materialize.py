"""A small generated brand through real Dagster runs: row counts against the simulator's own counts."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
import sqlalchemy as sa
from dagster import AssetKey, build_schedule_context, instance_for_test

from ecom_pipeline.cli import materialize_days, register_all
from ecom_pipeline.ingest import Registry
from ecom_pipeline.lake import read_partitions
from ecom_pipeline.defs.build import INGEST_JOB, build_definitions
from ecom_pipeline.schemas import ATTRIBUTION_CREDITS, CHANNEL_PERFORMANCE, TOUCHPOINTS
from ecom_pipeline.warehouse import make_engine, row_counts
from ecom_pipeline_tests.conftest import SMALL_DAYS, copy_exports


def test_generated_brand_materializes_with_the_simulators_counts(small_brand, settings):
    source, truth = small_brand
    copy_exports(source, settings.landing_dir)
    registry = Registry(settings)
    outcomes = register_all(registry)
    assert all(o.rows_read == o.rows_loaded + o.rows_quarantined + o.rows_skipped for o in outcomes)
    assert sum(o.rows_quarantined for o in outcomes) == 0  # the simulator writes clean exports
    days = registry.covered_days()
    assert days[0] == "2025-06-01" and len(days) >= SMALL_DAYS

    with instance_for_test() as instance:
        result = materialize_days(settings, days[0], days[-1], instance=instance)
        assert result.success
        materialized = instance.get_materialized_partitions(AssetKey("raw_shopify_orders"))
        assert set(materialized) == set(days)

        engine = make_engine(settings.warehouse_url)
        counts = row_counts(engine)
        assert {"orders_enriched", "customer_journeys", "conversion_paths", "daily_summary", "ad_performance"} <= set(counts)
        expected = truth["exported_rows"]
        assert counts["raw_meta_ads"] == expected["ad_performance/meta"]  # the preliminary export lost to the final one
        assert counts["raw_google_ads"] == expected["ad_performance/google"]
        assert counts["raw_tiktok_ads"] == expected["ad_performance/tiktok"]
        for table in ("orders", "order_lines"):
            assert counts[f"raw_shopify_{table}"] == expected[table]
        assert counts["raw_shopify_products"] == expected["products"]
        assert counts["raw_shopify_inventory"] == expected["inventory_levels"]
        assert counts["raw_shipments"] == expected["shipments"]
        assert counts["raw_fx_rates"] == expected["fx_rates"]
        touchpoints, _ = read_partitions(settings.lake_dir, ["raw_touchpoints"], TOUCHPOINTS)
        assert len(touchpoints) == expected["touchpoints"]

        with engine.connect() as connection:
            spend = dict(connection.execute(sa.text(
                "select 'meta', sum(spend) from raw_meta_ads union all select 'google', sum(spend) from raw_google_ads "
                "union all select 'tiktok', sum(spend) from raw_tiktok_ads")).all())
            emails = connection.execute(sa.text("select count(*) from raw_shopify_orders where customer_key like '%@%'")).scalar_one()
        for platform, values in truth["platforms"].items():
            assert abs(spend[platform] - values["spend"]) < 0.01 * 2 * SMALL_DAYS * 3  # per-ad rounding only
        assert emails == 0 and not touchpoints.astype(str).apply(lambda c: c.str.contains("@")).any().any()

        # The marts recover the simulator's truth.
        with engine.connect() as connection:
            enriched = pd.read_sql(sa.text("select order_id, contribution_margin, cogs, label_cost from orders_enriched"), connection)
            summary = pd.read_sql(sa.text("select * from daily_summary"), connection)
            journeys = pd.read_sql(sa.text("select order_id, platform, campaign_id from customer_journeys"), connection)
        expected_orders = pd.read_csv(source / truth["orders_truth_file"], dtype={"order_id": str})
        merged = expected_orders.merge(enriched, on="order_id", suffixes=("_true", ""))
        assert len(merged) == len(expected_orders) == counts["raw_shopify_orders"]
        for column in ("cogs", "label_cost", "contribution_margin"):
            assert (merged[column] - merged[f"{column}_true"]).abs().max() < 0.005, column  # to the cent
        assert len(summary) == len(days) and summary["orders"].sum() == (~expected_orders["cancelled"]).sum()
        assert abs(summary["contribution_margin"].sum() - expected_orders["contribution_margin"].sum()) < 0.01 * len(expected_orders)
        assert abs(summary["net_sales"].sum() - expected_orders["net_sales"].sum()) < 0.01
        assert abs(summary["spend"].sum() - sum(p["spend"] for p in truth["platforms"].values())) < 0.01 * 2 * SMALL_DAYS * 8
        key = AssetKey("customer_journeys")
        metadata = instance.get_latest_materialization_event(key).asset_materialization.metadata
        assert abs(metadata["stitched_share"].value - truth["stitched_share"]) < 0.01
        paid = journeys.dropna(subset=["platform"])
        assert paid.loc[paid["platform"] != "google", "campaign_id"].notna().all()  # every tagged Meta and TikTok click matches

        # Attribution: every model distributes exactly the orders, net sales and margin there are.
        credits, _ = read_partitions(settings.lake_dir, ["attribution_credits"], ATTRIBUTION_CREDITS)
        assert counts["attribution_credits"] == len(credits)  # every model's credits in the warehouse too
        with engine.connect() as connection:
            performance = pd.read_sql(sa.text("select * from channel_performance"), connection)
            published = pd.read_sql(sa.text("select model, sum(credit) as orders from attribution_credits group by model"), connection)
        assert (published["orders"] - len(expected_orders)).abs().max() < 1e-6 and len(published) == 10
        by_model = credits.groupby("model").agg(orders=("credit", "sum"), revenue=("attributed_revenue", "sum"), margin=("attributed_margin", "sum"))
        assert len(by_model) == 10 and (credits["credit"] >= 0).all()
        assert (by_model["orders"] - len(expected_orders)).abs().max() < 1e-6
        assert (by_model["revenue"] - enriched.merge(expected_orders[["order_id", "net_sales"]])["net_sales"].sum()).abs().max() < 0.01
        assert (by_model["margin"] - enriched["contribution_margin"].sum()).abs().max() < 0.01
        per_model = performance.groupby("model").agg(orders=("attributed_orders", "sum"), spend=("spend", "sum"), claimed=("platform_conversions", "sum"))
        assert (per_model["orders"] - len(expected_orders)).abs().max() < 1e-6
        assert (per_model["spend"] - summary["spend"].sum()).abs().max() < 0.01
        assert (per_model["claimed"] == sum(c["platform_reported_conversions"] for c in truth["campaigns"])).all()
        assert set(performance.loc[performance["default_model"].astype(bool), "model"]) == {"markov_1"}
        # Against the simulator's truth: every platform claims more than it drove, and the Markov model's estimate
        # of each platform's orders is closer to the true incremental orders than the platform's own claim.
        markov = performance[performance["model"] == "markov_1"].groupby("platform")[["attributed_orders", "platform_conversions"]].sum()
        for platform, values in truth["platforms"].items():
            modelled, claimed = markov.loc[platform, "attributed_orders"], markov.loc[platform, "platform_conversions"]
            assert claimed == values["platform_reported_conversions"] and claimed > modelled
            assert abs(modelled - values["incremental_orders"]) < abs(claimed - values["incremental_orders"]), platform
        checks = {(e.asset_key.to_user_string(), e.check_name): e.passed for e in result.get_asset_check_evaluations()}
        assert checks[("attribution_credits", "credits_sum_to_one")]

        # LTV and budget: snapshots as of the run's last day, each campaign with a reason, the report written.
        assert {"customer_ltv", "channel_ltv", "response_curves", "budget_recommendations"} <= set(counts)
        with engine.connect() as connection:
            budget = pd.read_sql(sa.text("select * from budget_recommendations"), connection)
            ltv = pd.read_sql(sa.text("select channel, customers from channel_ltv"), connection)
        assert len(budget) == len(truth["campaigns"]) and budget["reason"].str.len().gt(20).all()
        assert (budget["recommended_daily_spend"] >= 0).all() and str(budget["as_of"].iloc[0])[:10] == days[-1]
        assert ltv["customers"].sum() == counts["customer_ltv"]
        report = (settings.data_dir / "reports" / "budget_report.html").read_text()
        assert report.count("<img") == 5 and "Budget recommendation" in report

        # The same days again, cut into runs of at most 5 days (a pass over the exports, then one deriving from them):
        # the same tables, nothing doubled; LTV and budget (computed from all history) are refreshed once, by the last run.
        ltv_before = len(instance.fetch_materializations(AssetKey("customer_ltv"), limit=100).records)
        runs_before = len(instance.get_run_records())
        assert materialize_days(settings, days[0], days[-1], instance=instance, days_per_run=5).success
        assert row_counts(engine) == counts
        assert len(instance.get_run_records()) - runs_before == 2 * -(-len(days) // 5)
        # Every export was in the lake before any day was derived, so no order was priced before its labels existed.
        with engine.connect() as connection:
            restated = pd.read_sql(sa.text("select order_id, contribution_margin, label_cost from orders_enriched"), connection)
        again = expected_orders.merge(restated, on="order_id", suffixes=("_true", ""))
        assert (again["label_cost"] - again["label_cost_true"]).abs().max() < 0.005
        assert len(instance.fetch_materializations(AssetKey("customer_ltv"), limit=100).records) == ltv_before + 1

        # The default model is Launchpad config; a model that does not exist fails the run with the list of models.
        job = build_definitions(settings).resolve_job_def(INGEST_JOB)
        def performance_run(model):
            return job.execute_in_process(instance=instance, partition_key=days[0], asset_selection=[AssetKey("channel_performance")],
                                          raise_on_error=False, run_config={"ops": {"channel_performance": {"config": {"default_model": model}}}})
        assert performance_run("shapley").success
        day, _ = read_partitions(settings.lake_dir, ["channel_performance"], CHANNEL_PERFORMANCE, [days[0]])
        assert set(day.loc[day["default_model"], "model"]) == {"shapley"}
        failed = performance_run("u_shaped")
        assert not failed.success
        assert "'u_shaped' is not a model; choose one of first_touch" in str(failed.get_step_failure_events()[0].step_failure_data.error)

        # The daily schedule's run (yesterday's partition of every asset) brings LTV and the budget up to that day.
        defs = build_definitions(settings)
        schedule = defs.resolve_schedule_def("daily_ingest_schedule")
        tick = datetime.combine(date.fromisoformat(days[-1]) + timedelta(days=1), time(6, 0), tzinfo=ZoneInfo(settings.shop_timezone))
        request = schedule.evaluate_tick(build_schedule_context(instance=instance, scheduled_execution_time=tick)).run_requests[0]
        # Yesterday, and the week before it again (their labels may have arrived since).
        assert (request.tags["dagster/asset_partition_range_start"], request.tags["dagster/asset_partition_range_end"]) == (days[-8], days[-1])
        scheduled = defs.resolve_job_def(INGEST_JOB).execute_in_process(instance=instance, tags=request.tags, raise_on_error=False)
        assert scheduled.success
        materialized = {e.asset_key.to_user_string() for e in scheduled.get_asset_materialization_events()}
        assert {"attribution_credits", "customer_ltv", "budget_recommendations", "budget_report", "warehouse/budget_recommendations"} <= materialized


def test_orders_near_a_runs_end_get_their_labels_in_a_first_pass_cut_into_runs(small_brand, settings):
    """The label of an order is filed by its shipped date, 1–3 days later: a first pass cut into 4-day runs (as a
    year is cut into months), and a day-by-day pass, price every order with its label, to the cent."""
    source, truth = small_brand
    copy_exports(source, settings.landing_dir)
    registry = Registry(settings)
    register_all(registry)
    days = registry.covered_days()
    expected = pd.read_csv(source / truth["orders_truth_file"], dtype={"order_id": str})
    with instance_for_test() as instance:
        assert materialize_days(settings, days[0], days[-1], instance=instance, days_per_run=4).success
        engine = make_engine(settings.warehouse_url)
        with engine.connect() as connection:
            enriched = pd.read_sql(sa.text("select order_id, contribution_margin, label_cost from orders_enriched"), connection)
        merged = expected.merge(enriched, on="order_id", suffixes=("_true", ""))
        assert len(merged) == len(expected)
        for column in ("label_cost", "contribution_margin"):
            assert (merged[column] - merged[f"{column}_true"]).abs().max() < 0.005, column
