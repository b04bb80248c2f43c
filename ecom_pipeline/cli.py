"""`ecom-pipeline`: generate the sample brand and run the pipeline from the command line."""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import date
from pathlib import Path

from ecom_pipeline.backfill import DAYS_PER_RUN, MAX_DAYS_PER_RUN, ROWS_PER_RUN, day_ranges, days_per_run_for
from ecom_pipeline.disk_space import is_disk_full, settings_disk_full_sentence
from ecom_pipeline.lake import partition_days
from ecom_pipeline.sample.catalog import CASTS
from ecom_pipeline.settings import DATA_DIR_ENV, LANDING_DIR_ENV, Settings, load_settings

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ecom-pipeline", description="Open marketing analytics for DTC brands, on Dagster.")
    commands = parser.add_subparsers(dest="command", required=True)

    gen = commands.add_parser("generate", help="simulate the sample brand and write its exports as the vendors do")
    gen.add_argument("--out", required=True, type=Path, help="folder to write the exports into (e.g. data/landing)")
    gen.add_argument("--days", type=int, default=None, help="number of days to simulate (default 90 for demo, 365 for year)")
    gen.add_argument("--seed", type=int, default=7, help="random seed; the same seed gives the same files")
    gen.add_argument("--scale", choices=["demo", "year"], default="demo", help="demo (~115 orders/day) or year (~1,400 orders/day)")
    gen.add_argument("--start", type=date.fromisoformat, default=None, help="first simulated day (default 2025-06-01)")
    gen.add_argument("--cast", choices=CASTS, default="default",
                     help="the campaigns' true response: the demo's fixed cast, or drawn per seed (which campaign pays best differs)")
    gen.add_argument("--lift-tests", type=int, default=0,
                     help="run this many 28-day holdouts on the campaigns whose spend moved least, and write their readouts")

    run = commands.add_parser("run", help="ingest the landing folder and materialize every asset for every day present")
    run.add_argument("--landing", type=Path, default=None, help=f"landing folder (default DATA_DIR/landing or ${LANDING_DIR_ENV})")
    run.add_argument("--data-dir", type=Path, default=None, help=f"where all state lives (default ./data or ${DATA_DIR_ENV})")
    run.add_argument("--days-per-run", type=int, default=None,
                     help=f"cut the backfill into runs of at most this many days, bounding memory (default: by volume, "
                     f"about {ROWS_PER_RUN:,} landed rows a run, {DAYS_PER_RUN} to {MAX_DAYS_PER_RUN} days)")
    run.add_argument("--sample-if-empty", action="store_true", help="generate the sample brand first when nothing was ever landed")

    check = commands.add_parser("check-file", help="why was my file rejected? parse and validate one file without touching the lake")
    check.add_argument("path", type=Path)
    check.add_argument("--json", action="store_true", help="print one JSON object")
    check.add_argument("--problems", type=int, default=20, help="how many problems to list (default 20)")

    attribute = commands.add_parser("attribute", help="run an attribution model on paths in ChannelAttribution's shape (path, total_conversions, ...)")
    attribute.add_argument("paths", type=Path, help="CSV with path, total_conversions, optional total_conversion_value and total_null")
    attribute.add_argument("--model", required=True, help="first, last, linear, position, markov, shapley, shapley-simplified, shapley-ordered or heuristics")
    attribute.add_argument("--order", type=int, default=1, choices=[1, 2, 3], help="Markov order (default 1)")
    attribute.add_argument("--separator", default=">", help="touch separator in `path` (default '>'; surrounding spaces ignored)")
    attribute.add_argument("--json", action="store_true", help="print one JSON object")

    ltv = commands.add_parser("ltv-fit", help="fit BG/NBD and Gamma-Gamma to a per-customer summary (frequency, recency, T, monetary_value)")
    ltv.add_argument("summary", type=Path, help="CSV with frequency, recency, T and optionally monetary_value (lifetimes conventions)")
    ltv.add_argument("--json", action="store_true", help="print one JSON object")

    summary = commands.add_parser("summary", help="what the data directory holds now: warehouse tables, where everything is, the top budget moves")
    summary.add_argument("--data-dir", type=Path, default=None, help=f"where all state lives (default ./data or ${DATA_DIR_ENV})")

    commands.add_parser("home", help="write the Dagster home's dagster.yaml for this data directory (SQLite, or PostgreSQL with $ECOM_PIPELINE_POSTGRES_URL), create its storage and print its path")

    args = parser.parse_args(argv)
    if args.command == "home":
        settings = load_settings()
        prepare_environment(settings)
        from ecom_pipeline.instance import create_instance_storage

        create_instance_storage(settings.dagster_home)
        print(settings.dagster_home)
        return 0
    if args.command == "summary":
        return _summary(args)
    if args.command == "ltv-fit":
        return _ltv_fit(args)
    if args.command == "attribute":
        return _attribute(args)
    if args.command == "generate":
        return _generate(args)
    if args.command == "check-file":
        return _check_file(args)
    try:
        return _run(args)
    except Exception as error:
        if not is_disk_full(error):
            raise
        _say_disk_full(load_settings(args.data_dir, args.landing), error)
        return 1


def _say_disk_full(settings: Settings, error) -> None:
    print(f"STOPPED: {settings_disk_full_sentence(settings, error)}", file=sys.stderr)


def _summary(args: argparse.Namespace) -> int:
    settings = load_settings(args.data_dir)
    if not settings.lake_dir.exists():
        print(f"nothing materialized in {settings.data_dir} yet: run `ecom-pipeline run` first", file=sys.stderr)
        return 1
    print_contents(settings)
    return 0


def _check_file(args: argparse.Namespace) -> int:
    import json

    from ecom_pipeline.file_check import check_file

    report = check_file(args.path, load_settings())
    if args.json:
        print(json.dumps(report.as_dict(limit=args.problems), indent=1))
    else:
        print(report.as_text(limit=args.problems))
    return report.exit_code


def _attribute(args: argparse.Namespace) -> int:
    import json

    from tabulate import tabulate

    from ecom_pipeline.attribution.paths import PathError, read_paths
    from ecom_pipeline.attribution.report import CLI_MODELS, as_json, attribute

    if args.model not in CLI_MODELS:
        print(f"unknown model {args.model!r}; choose one of {', '.join(CLI_MODELS)}", file=sys.stderr)
        return 2
    try:
        table = read_paths(args.paths, args.separator)
        frame = attribute(table, args.model, args.order)
    except (PathError, ValueError) as error:
        print(f"cannot attribute {args.paths}: {error}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(as_json(frame, args.model, args.order), indent=1))
    else:
        title = f"{args.model}" + (f" (order {args.order})" if args.model == "markov" else "")
        print(f"{title} on {len(table.lengths):,} distinct paths, {table.conversions.sum():,.0f} conversions")
        print(tabulate(frame, headers="keys", showindex=False, floatfmt=".4f"))
    return 0


def _ltv_fit(args: argparse.Namespace) -> int:
    import json

    from ecom_pipeline.ltv.fit_file import SummaryError, fit_summary, read_summary

    try:
        result = fit_summary(read_summary(args.summary))
    except (SummaryError, ValueError) as error:
        print(f"cannot fit {args.summary}: {error}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(result, indent=1))
        return 0
    bg, gg = result["bg_nbd"], result["gamma_gamma"]
    print(f"{result['customers']:,} customers, {result['repeat_customers']:,} with repeat purchases")
    print(f"BG/NBD       r = {bg['r']:.4f}  alpha = {bg['alpha']:.4f}  a = {bg['a']:.4f}  b = {bg['b']:.4f}  log-likelihood = {bg['log_likelihood']:.2f}")
    if gg:
        print(f"Gamma-Gamma  p = {gg['p']:.4f}  q = {gg['q']:.4f}  v = {gg['v']:.4f}  log-likelihood = {gg['log_likelihood']:.2f}")
    return 0


def _generate(args: argparse.Namespace) -> int:
    from ecom_pipeline.sample import DEFAULT_START, generate

    started = time.monotonic()
    days = args.days or (90 if args.scale == "demo" else 365)
    truth = generate(args.out, days=days, seed=args.seed, scale=args.scale, start=args.start or DEFAULT_START, cast=args.cast,
                     lift_tests=args.lift_tests)
    rows = truth["exported_rows"]
    print(f"wrote {truth['files']} export files for {days} days into {args.out} in {time.monotonic() - started:.1f} s: "
          f"{rows['orders']:,} orders, {rows['touchpoints']:,} touchpoints, ground truth in {args.out / 'ground_truth.json'}")
    return 0


def prepare_environment(settings: Settings) -> None:
    """Point Dagster and the definitions at this data directory, with the project's dagster.yaml (PostgreSQL
    storage when ECOM_PIPELINE_POSTGRES_URL is set)."""
    from ecom_pipeline.instance import RUN_ENVIRONMENT, write_dagster_yaml

    settings.ensure_dirs()
    for name, value in RUN_ENVIRONMENT.items():
        os.environ.setdefault(name, value)
    os.environ["DAGSTER_HOME"] = str(settings.dagster_home)
    os.environ[DATA_DIR_ENV] = str(settings.data_dir)
    os.environ[LANDING_DIR_ENV] = str(settings.landing_dir)
    write_dagster_yaml(settings.dagster_home)


def _generate_sample(settings: Settings) -> None:
    """The sample brand's exports into the landing folder (written locally first when the landing is a bucket)."""
    from ecom_pipeline.sample import generate
    from ecom_pipeline.storage import is_remote, move

    if not is_remote(settings.landing_dir):
        generate(settings.landing_dir, lift_tests=1)  # one holdout, so the demo shows a calibrated campaign and a readout
        return
    local = settings.data_dir / "sample_exports"
    generate(local, lift_tests=1)
    for path in sorted(local.iterdir()):
        move(path, settings.landing_dir / path.name)


def _run(args: argparse.Namespace) -> int:
    settings = load_settings(args.data_dir, args.landing)
    prepare_environment(settings)
    from ecom_pipeline.ingest import Registry, Rejection

    registry = Registry(settings)
    from ecom_pipeline.recovery import sweep_temp_files

    for path in sweep_temp_files(settings.data_dir, settings.landing_dir):
        print(f"removed {path.name}, left by a run that was killed mid-write", file=sys.stderr)
    if args.sample_if_empty and not registry.landed_files() and not registry.manifest_names():
        print(f"landing folder is empty: generating the sample brand into {settings.landing_dir}")
        _generate_sample(settings)
    started = time.monotonic()
    warm_up = _warm_up()
    outcomes, stale_days = register_landed(registry)
    settings = load_settings(args.data_dir, args.landing)  # the shop currency, unless configured, is its orders' currency
    if outcomes:
        print(f"registered {len(outcomes)} file(s) in {time.monotonic() - started:.1f} s")
    rejected = [outcome for outcome in outcomes if isinstance(outcome, Rejection)]
    for rejection in rejected:
        print(f"REJECTED: {rejection.sentence} (moved to {rejection.moved_to})", file=sys.stderr)
    report_rejections(rejected)
    days = [d for d in sorted({*registry.covered_days(), *stale_days}) if d >= settings.start_date and d < date.today().isoformat()]
    if not days:
        print(f"nothing to run: no exports in {settings.landing_dir} (drop files there, or use --sample-if-empty)")
        return 1 if rejected else 0
    manifests = registry.manifest_names()
    warm_up.join()
    run_started = time.monotonic()
    registrations = registry.all()
    days_per_run = args.days_per_run or days_per_run_for(sum(r.rows_loaded for r in registrations), len(days))
    result = materialize_days(settings, days[0], days[-1], families={r.family for r in registrations}, days_per_run=days_per_run)
    print(f"ingest_job over {len(days)} days took {time.monotonic() - run_started:.1f} s")
    if result.success and manifests:
        registry.mark_materialized_through(manifests[-1])
    print_summary(settings, days, time.monotonic() - started, result.success)
    full = [event.step_failure_data.error for event in result.get_step_failure_events() if is_disk_full(event.step_failure_data.error)]
    if full:
        _say_disk_full(settings, full[0])
    return 0 if result.success and not rejected else 1


def _warm_up():
    """Import Dagster and Great Expectations (seconds each, more on a fresh install) while the files register."""
    import threading

    def load() -> None:
        import dagster  # noqa: F401

        from ecom_pipeline.validation.engine import _gx

        _gx()

    thread = threading.Thread(target=load)  # not a daemon: the exit waits for it, never finalizes mid-import
    thread.start()
    return thread


def register_landed(registry) -> tuple[list, list[str]]:
    """What `run` does with the data directory before it materializes, one run at a time: parse again what an earlier
    version staged, then register every landed file. Returns (outcomes, days to run again for exports now refused)."""
    lock = registry.lock()
    if _is_locked(lock):
        print("another run (or the landing sensor) is registering files in this data directory: waiting for it", file=sys.stderr)
    with lock:
        reparsed, refused, stale_days = registry.reparse_outdated()
        if reparsed:
            print(f"parsed {len(reparsed)} export(s) registered by an earlier version again, from the archive")
        outcomes = [*refused, *register_all(registry)]
        registry.record_first_day()
        return outcomes, stale_days


def _is_locked(lock) -> bool:
    from filelock import Timeout

    try:
        lock.acquire(timeout=0)
    except Timeout:
        return True
    lock.release()
    return False


def register_all(registry) -> list:
    """Register every landed file, parsing on all cores (each file is independent)."""
    from concurrent.futures import ProcessPoolExecutor

    from tqdm import tqdm

    from ecom_pipeline.ingest import file_hash

    landed = registry.landed_files()
    for partial in registry.partial_files():
        print(f"waiting: {partial.name} is still being downloaded or copied (rename it when it is complete)", file=sys.stderr)
    # One content, one registration: twins ("Copy of …") would race each other in the pool, so only the first of each
    # content is parsed there; the others then find it registered and are archived as duplicates.
    first: dict[str, Path] = {}
    for path in landed:
        first.setdefault(file_hash(path), path)
    unique = list(first.values())
    twins = [path for path in landed if path not in set(unique)]
    if len(unique) < 8:
        outcomes = [registry.register(path) for path in unique]
    else:
        with ProcessPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
            outcomes = list(tqdm(pool.map(registry.register, unique, chunksize=4), total=len(unique), desc="registering exports", unit="file"))
    return outcomes + [registry.register(path) for path in twins]


def report_rejections(rejections: list, instance=None) -> None:
    """Each rejected file becomes a failed run carrying its reason, as the sensor would have made it."""
    if not rejections:
        return
    from contextlib import nullcontext

    from dagster import DagsterInstance

    from ecom_pipeline.defs.validation_assets import rejected_file_job, rejected_run_config

    with (nullcontext(instance) if instance is not None else DagsterInstance.get()) as instance:
        for rejection in rejections:
            rejected_file_job.execute_in_process(
                instance=instance, raise_on_error=False,
                run_config={**rejected_run_config(rejection.original_name, rejection.reason, rejection.moved_to),
                            "loggers": {"console": {"config": {"log_level": "CRITICAL"}}}},
                tags={"ecom_pipeline/source_file": rejection.original_name[:200], "ecom_pipeline/rejected": "true"},
            )


def materialize_days(settings: Settings, first: str, last: str, instance=None, families: set[str] | None = None,
                     days_per_run: int = DAYS_PER_RUN):
    """Runs of the ingest job over [first, last], recorded in the Dagster instance (the data directory's), in two
    passes cut into ranges of at most `days_per_run` days, oldest first: the raw exports of every range, then what is
    derived from them, the snapshot assets (LTV, budget, validation tables) only in the very last run. Every export is
    in the lake before any day is derived, so a day is priced once, with the labels filed after it — no range needs
    to restate the week before it. With `families`, only the raw assets of those export families (and everything
    downstream) run. Returns the last run's result; a failed run stops the rest."""
    from contextlib import nullcontext

    from dagster import DagsterInstance
    from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

    from ecom_pipeline.defs.assets import assets_for_family, downstream_of_every_run, raw_keys, snapshot_keys
    from ecom_pipeline.defs.build import INGEST_JOB, build_definitions
    from ecom_pipeline.recovery import fail_dead_runs, run_tags

    definitions = build_definitions(settings)
    job = definitions.resolve_job_def(INGEST_JOB)
    if families is None:
        selection = list(job.asset_layer.asset_graph.get_all_asset_keys() & job.asset_layer.selected_asset_keys)
    else:
        from dagster import AssetKey

        selection = [key for family in sorted(families) for key in assets_for_family(family)]
        selection += [AssetKey("quarantine"), AssetKey("ingest_log"), *downstream_of_every_run()]
    ranges = day_ranges(first, last, days_per_run)
    snapshots, raw = snapshot_keys(), raw_keys()
    passes = [(start, end, [key for key in selection if key in raw]) for start, end in ranges]
    passes += [(start, end, [key for key in selection if key not in raw and key not in snapshots]) for start, end in ranges]
    passes[-1] = (*passes[-1][:2], passes[-1][2] + [key for key in selection if key in snapshots])
    passes = [(start, end, keys) for start, end, keys in passes if keys]
    with (nullcontext(instance) if instance is not None else DagsterInstance.get()) as instance:
        for run_id in fail_dead_runs(instance):
            print(f"marked run {run_id} failed: its process ended without finishing it", file=sys.stderr)
        for start, end, keys in passes:
            result = job.execute_in_process(
                instance=instance, raise_on_error=False, asset_selection=keys,
                run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}},
                tags={ASSET_PARTITION_RANGE_START_TAG: start, ASSET_PARTITION_RANGE_END_TAG: end, "ecom_pipeline/launched_by": "cli", **run_tags()},
            )
            if len(passes) > 1:
                stage = "exports" if set(keys) <= raw else "derived"
                print(f"  run {start} .. {end} ({stage}): {'succeeded' if result.success else 'FAILED'}", flush=True)
            if not result.success:
                break
        return result


def print_summary(settings: Settings, days: list[str], seconds: float, success: bool) -> None:
    print()
    print(f"{'materialized' if success else 'FAILED'}: {len(days)} days ({days[0]} .. {days[-1]}) in {seconds:.1f} s")
    print_contents(settings)


def print_contents(settings: Settings) -> None:
    """The warehouse's tables, where everything lives, and the largest budget moves."""
    from ecom_pipeline.warehouse import make_engine, row_counts

    counts = row_counts(make_engine(settings.warehouse_url))
    print("warehouse tables:")
    for name, count in counts.items():
        print(f"  {name:<28} {count:>10,} rows")
    touchpoint_days = len(partition_days(settings.lake_dir, ["raw_touchpoints"]))
    print(f"lake (Parquet):     {settings.lake_dir}  (raw_touchpoints: {touchpoint_days} daily files)")
    print(f"warehouse:          {settings.warehouse_url}")
    print(f"archive / rejected: {settings.archive_dir} / {settings.rejected_dir}")
    print(f"Dagster home:       {settings.dagster_home}")
    report = settings.reports_dir / "budget_report.html"
    if report.exists():
        print(f"budget report:      {report}  (open it in a browser)")
    print("open the UI:        make dev   (then http://127.0.0.1:3000)")
    print_recommendations(settings)


def print_recommendations(settings: Settings, top: int = 5) -> None:
    """The largest budget moves, as the growth team would read them."""
    import pandas as pd

    from ecom_pipeline import lake
    from ecom_pipeline.schemas import BUDGET_RECOMMENDATIONS, EXPERIMENT_PLAN

    table = lake.read_snapshot(settings.lake_dir, ["budget_recommendations"], BUDGET_RECOMMENDATIONS)
    if table.empty:
        return
    first = table.iloc[0]
    change = (table["recommended_daily_spend"] - table["current_daily_spend"]).abs()
    source = "media-mix model" if first["curve_source"] == "media_mix" else f"{first['model']} attribution curves"
    p_improve = "n/a" if pd.isna(first["p_improve"]) else f"{first['p_improve']:.0%}"
    print()
    print(f"top budget moves as of {first['as_of']:%Y-%m-%d} ({first['objective']}, {source}; change against holding over 7 days "
          f"p5/p50/p95: {first['period_change_p5']:,.0f} / {first['period_change_p50']:,.0f} / {first['period_change_p95']:,.0f}, P(improves) {p_improve}):")
    for row in table.loc[change.sort_values(ascending=False).index].head(top).to_dict("records"):
        print(f"  {row['campaign_name'][:28]:<28} {row['platform']:<7} {row['current_daily_spend']:>9,.2f} -> {row['recommended_daily_spend']:>9,.2f} /day  {row['reason']}")
    plan = lake.read_snapshot(settings.lake_dir, ["experiment_plan"], EXPERIMENT_PLAN)
    best = plan[plan["run_first"].fillna(False).astype(bool)]
    if len(best):
        test = best.iloc[0]
        print(f"next test to run: {test['design']} on {test['campaign_name']} for {test['days']} days — the 90 % interval of its marginal "
              f"return from {test['width_now']:.2f} to about {test['width_after']:.2f} wide, worth {test['net_value']:,.0f} net of its cost")


if __name__ == "__main__":
    raise SystemExit(main())
