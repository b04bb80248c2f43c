import os

import pandas as pd
import pytest

from ecom_pipeline.ingest import Registry, Rejection, _safe_name, contiguous_ranges, scan_landing

META = (
    "\ufeffReporting starts,Reporting ends,Day,Campaign name,Campaign ID,Amount spent (USD),Impressions\n"
    "2025-06-01,2025-06-03,2025-06-01,A,1,10.00,100\n"
    "2025-06-01,2025-06-03,2025-06-02,A,1,20.00,200\n"
    "2025-06-01,2025-06-03,2025-06-03,A,1,30.00,300\n"
)
RESTATED = META.replace("20.00", "25.00").replace("30.00", "35.00")


def _drop(landing, name, text, mtime):
    path = landing / name
    path.write_text(text, encoding="utf-8")
    os.utime(path, (mtime, mtime))
    return path


def test_register_stages_archives_and_accounts_for_every_row(settings):
    registry = Registry(settings)
    path = _drop(settings.landing_dir, "meta.csv", META, 1_750_000_000)
    registration = registry.register(path)
    assert not path.exists(), "the landed file is moved to the archive"
    assert (settings.data_dir / registration.archived_as).read_text(encoding="utf-8") == META
    assert registration.family == "meta_ads" and registration.days == {"ad_performance": ["2025-06-01", "2025-06-02", "2025-06-03"]}
    assert registration.rows_read == registration.rows_loaded + registration.rows_quarantined == 3
    assert registration.ranges() == [("2025-06-01", "2025-06-03")]


def test_newest_export_wins_whatever_the_arrival_order(settings):
    registry = Registry(settings)
    # The restated export is newer (later mtime) but arrives first.
    registry.register(_drop(settings.landing_dir, "restated.csv", RESTATED, 1_750_100_000))
    registry.register(_drop(settings.landing_dir, "first.csv", META, 1_750_000_000))
    frame, sources = registry.read_days("meta_ads", "ad_performance", ["2025-06-01", "2025-06-02", "2025-06-03", "2025-06-04"])
    assert frame["spend"].tolist() == [10.0, 25.0, 35.0]  # no double counting, the restatement wins
    assert sources == {"2025-06-01": "restated.csv", "2025-06-02": "restated.csv", "2025-06-03": "restated.csv"}


def test_same_file_twice_is_recognised_by_content(settings):
    registry = Registry(settings)
    registry.register(_drop(settings.landing_dir, "a.csv", META, 1_750_000_000))
    again = registry.register(_drop(settings.landing_dir, "a copy.csv", META, 1_750_000_500))
    assert again.duplicate_of_known_file
    assert len(registry.manifest_names()) == 1
    frame, _ = registry.read_days("meta_ads", "ad_performance", ["2025-06-02"])
    assert len(frame) == 1


def test_unreadable_file_moves_to_rejected_with_its_reason(settings):
    registry = Registry(settings)
    outcome = registry.register(_drop(settings.landing_dir, "mystery.csv", "colour,taste\nred,sweet\n", 1_750_000_000))
    assert isinstance(outcome, Rejection)
    reason = (settings.rejected_dir / (os.path.basename(outcome.moved_to) + ".reason.txt")).read_text()
    assert reason.startswith("mystery.csv was rejected: no known export matches")
    assert os.path.exists(outcome.moved_to)


def test_scan_waits_for_a_file_still_being_written(settings):
    registry = Registry(settings)
    now = 1_760_000_000.0
    path = _drop(settings.landing_dir, "meta.csv", META[:80], now)  # fresh and growing
    first = scan_landing(registry, {}, now=now + 1)
    assert first.waiting == ["meta.csv"] and not first.registered
    path.write_text(META, encoding="utf-8")
    os.utime(path, (now + 5, now + 5))
    second = scan_landing(registry, first.state, now=now + 6)
    assert second.waiting == ["meta.csv"] and not second.registered  # it changed: keep waiting
    third = scan_landing(registry, second.state, now=now + 7)
    assert [r.original_name for r in third.registered] == ["meta.csv"] and third.state["seen"] == {}


def test_contiguous_ranges():
    assert contiguous_ranges(["2025-01-01", "2025-01-02", "2025-01-04", "2025-01-31", "2025-02-01"]) == [
        ("2025-01-01", "2025-01-02"), ("2025-01-04", "2025-01-04"), ("2025-01-31", "2025-02-01")]


def test_rows_of_a_staged_file_keep_their_lineage(settings):
    registry = Registry(settings)
    registration = registry.register(_drop(settings.landing_dir, "meta.csv", META, 1_750_000_000))
    frame, _ = registry.read_days("meta_ads", "ad_performance", ["2025-06-03"])
    row = frame.iloc[0]
    assert (row["source_file"], row["source_hash"], row["source_row"]) == ("meta.csv", registration.file_hash, 3)
    assert isinstance(row["date_day"], pd.Timestamp)


@pytest.mark.parametrize("name", ["../../escape.csv", "we ird;$(rm).csv", "..", ""])
def test_archive_names_cannot_escape_the_archive(name):
    safe = _safe_name(name)
    assert safe and "/" not in safe and ";" not in safe and "$" not in safe and not safe.startswith(".")


def test_exports_an_earlier_version_staged_are_parsed_again_from_the_archive(settings):
    """After an upgrade: a products export staged without `variant_key`, and an abandoned-checkouts export once read
    as orders, are read as the current parsers read them (the second refused, its archived copy kept)."""
    import dataclasses
    import json
    from pathlib import Path

    from ecom_pipeline.sources import PARSER_VERSION

    fixtures = Path(__file__).parent / "fixtures" / "real_layouts"
    registry = Registry(settings)
    products = _drop(settings.landing_dir, "products_export_2026-01-01.csv", (fixtures / "shopify_products_no_skus_markets_2025.csv").read_text(), 1_767_225_600)
    registration = registry.register(products)
    staged = registry._staged("shopify_products", "products", registration.file_hash)
    pd.read_parquet(staged).drop(columns=["variant_key", "line_name"]).to_parquet(staged)  # as the earlier parser left it
    (manifest,) = registry.manifest_names()
    older = {k: v for k, v in dataclasses.asdict(registration).items() if k != "parser_version"}
    (registry.manifests / manifest).write_text(json.dumps(older))
    assert registry.load(manifest).parser_version == 1  # manifests written before the field existed
    done, refused, stale = registry.reparse_outdated()
    assert [r.original_name for r in done] == ["products_export_2026-01-01.csv"] and not refused and not stale
    assert pd.read_parquet(staged)["variant_key"].tolist()[:2] == ["linen-shirt/Blue/M", "linen-shirt/Blue/L"]
    assert registry.load(manifest).parser_version == PARSER_VERSION and registry.reparse_outdated() == ([], [], [])

    checkouts = ("Name,Email,Financial Status,Currency,Subtotal,Shipping,Taxes,Total,Created at,Lineitem quantity,Lineitem name,Lineitem price,Id\n"
                 "#38539795693818,a@example.test,,USD,20.00,0.00,0.00,20.00,2026-01-02 10:00:00 -0500,1,Mug,20.00,38539795693818\n")
    landed = _drop(settings.landing_dir, "abandoned_checkouts.csv", checkouts, 1_767_225_600)
    assert isinstance(registry.register(landed), Rejection)  # today's parsers refuse it at once ...
    archived = settings.archive_dir / "shopify_orders" / "abandoned.csv"
    archived.parent.mkdir(parents=True, exist_ok=True)
    archived.write_text(checkouts)  # ... an earlier version had registered it as orders of 2026-01-02
    fake = dataclasses.replace(registration, file_hash="f" * 64, family="shopify_orders", original_name="abandoned.csv",
                               archived_as=str(archived.relative_to(settings.data_dir)), days={"orders": ["2026-01-02"]}, parser_version=1)
    (registry.manifests / f"{'9' * 20}-{'f' * 64}.json").write_text(json.dumps(dataclasses.asdict(fake)))
    done, refused, stale = registry.reparse_outdated()
    assert not done and [r.original_name for r in refused] == ["abandoned.csv"] and stale == ["2026-01-02"]
    assert "abandoned checkouts" in refused[0].reason and archived.exists()
    assert registry.find("f" * 64) is None and "abandoned.csv" in {r.original_name for r in registry.rejections()}


def test_every_file_is_registered_or_rejected_dot_names_too_and_partial_downloads_wait_visibly(settings):
    import time

    old = time.time() - 3600
    for name in (".x.csv", "..\\..\\x.csv", "..hidden..csv"):
        _drop(settings.landing_dir, name, META.replace(",A,", f",{name},"), old)  # three different contents
    partial = _drop(settings.landing_dir, "orders_export_1.csv.crdownload", "Name,Email\n#1,", old)
    _drop(settings.landing_dir, ".DS_Store", "\x00\x00\x00\x01Bud1", old)
    scan = scan_landing(Registry(settings), {}, now=time.time())
    assert sorted(r.original_name for r in scan.registered) == sorted([".x.csv", "..\\..\\x.csv", "..hidden..csv"])
    assert scan.waiting == ["orders_export_1.csv.crdownload"] and partial.exists()  # waits, and says so
    assert sorted(p.name for p in settings.landing_dir.iterdir()) == [".DS_Store", "orders_export_1.csv.crdownload"]


def test_a_symlink_lands_its_targets_content_not_the_link(settings, tmp_path):
    target = tmp_path / "elsewhere" / "meta.csv"
    target.parent.mkdir()
    target.write_text(META)
    link = settings.landing_dir / "meta.csv"
    link.symlink_to(target)
    registration = Registry(settings).register(link)
    archived = settings.data_dir / registration.archived_as
    assert archived.is_file() and not archived.is_symlink() and archived.read_text() == META
    assert not link.exists() and not link.is_symlink() and target.read_text() == META  # the user's own file is untouched


def test_twins_in_one_run_make_one_registration_and_one_quarantine_record_per_row(settings):
    from ecom_pipeline.cli import register_all
    from ecom_pipeline.ingest_log import ingest_log_table, quarantine_table

    for day in range(1, 6):  # ten files, so the registration runs in a process pool
        text = META.replace(",A,", f",Campaign {day},")
        text = text.replace("10.00", "twelve") if day == 1 else text  # one bad row, in a file that has a twin
        _drop(settings.landing_dir, f"meta_{day}.csv", text, 1_750_000_000 + day)
        _drop(settings.landing_dir, f"Copy of meta_{day}.csv", text, 1_750_000_000 + day)
    registry = Registry(settings)
    outcomes = register_all(registry)
    assert len(outcomes) == 10 and len(registry.manifest_names()) == 5
    quarantine = quarantine_table(registry, settings.lake_dir)
    assert len(ingest_log_table(registry, quarantine)) == 5 and len(quarantine) == 1


def _register_everything(data_dir: str, results) -> None:
    """One `ecom-pipeline run`'s registration step, in its own process."""
    from pathlib import Path

    from ecom_pipeline.cli import register_landed
    from ecom_pipeline.settings import Settings

    data = Path(data_dir)
    outcomes, _ = register_landed(Registry(Settings(data_dir=data, landing_dir=data / "landing", warehouse_url="sqlite://")))
    results.put(len(outcomes))


def test_two_runs_registering_at_once_neither_crashes_nor_doubles(settings):
    import multiprocessing

    for day in range(1, 31):
        _drop(settings.landing_dir, f"meta_{day}.csv", META.replace(",A,", f",Campaign {day},"), 1_750_000_000 + day)
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    runs = [context.Process(target=_register_everything, args=(str(settings.data_dir), results)) for _ in range(2)]
    for run in runs:
        run.start()
    for run in runs:
        run.join(120)
    assert [run.exitcode for run in runs] == [0, 0]
    registered = sorted(results.get(timeout=5) for _ in runs)
    assert registered == [0, 30]  # the second waited for the first, then found nothing left to register
    assert len(Registry(settings).manifest_names()) == 30 and not list(settings.landing_dir.iterdir())


def test_the_sensor_skips_a_tick_while_a_run_registers(settings):
    from dagster import build_sensor_context

    from ecom_pipeline.defs.build import build_definitions

    _drop(settings.landing_dir, "meta.csv", META, 1_750_000_000)
    from ecom_pipeline.defs.resources import PipelineSettings

    defs = build_definitions(settings)
    sensor = defs.resolve_sensor_def("landing_sensor")
    with Registry(settings).lock():
        result = sensor(build_sensor_context(definitions=defs, resources={"pipeline": PipelineSettings.from_settings(settings)}))
    assert "a run is registering files" in result.skip_reason.skip_message and (settings.landing_dir / "meta.csv").exists()
