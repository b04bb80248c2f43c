import hashlib
from datetime import date

import numpy as np

from ecom_pipeline.sample import generate, simulate
from ecom_pipeline.sample import catalog as cat
from ecom_pipeline.sample.brand import SCALES, geometric_adstock, hill
from ecom_pipeline.sources import detect


def _digest(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_same_seed_same_files_other_seed_other_files(tmp_path):
    generate(tmp_path / "a", days=5, seed=3, progress=False)
    generate(tmp_path / "b", days=5, seed=3, progress=False)
    generate(tmp_path / "c", days=5, seed=4, progress=False)
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")
    assert _digest(tmp_path / "a") != _digest(tmp_path / "c")


def test_files_are_written_as_the_vendors_write_them(small_brand):
    folder, _ = small_brand
    families = {}
    for path in folder.iterdir():
        if not path.name.startswith("ground_truth"):
            families.setdefault(detect(path.read_bytes())[0], []).append(path)
    assert set(families) == {"meta_ads", "google_ads", "tiktok_ads", "shopify_orders", "shopify_products", "shopify_inventory", "shipments", "touchpoints", "fx_rates"}
    meta = [p.read_bytes() for p in families["meta_ads"]]
    assert all(raw.startswith(b"\xef\xbb\xbf") for raw in meta) and all(b"Amount spent (USD)" in raw or b"Amount Spent (USD)" in raw for raw in meta)
    google = [p.read_bytes() for p in families["google_ads"]]
    assert any(raw.startswith(b"\xff\xfe") for raw in google), "at least one Google file is the UTF-16 'Excel .csv'"
    utf8 = next(raw.decode() for raw in google if not raw.startswith(b"\xff\xfe"))
    assert utf8.splitlines()[0] == "Campaign report" and "Total: Account" in utf8 and '"' in utf8
    orders = families["shopify_orders"][0].read_text()
    assert " -0400," in orders and ",Lineitem quantity," in orders
    events = families["touchpoints"][0].read_text()
    assert "@" in events and "utm_source=" in events  # raw emails and UTMs, as a pixel sends them


def test_truth_is_consistent_with_the_simulation(small_brand):
    _, truth = small_brand
    assert {c["platform"] for c in truth["campaigns"]} == {"meta", "google", "tiktok"}
    for campaign in truth["campaigns"]:
        assert campaign["platform_reported_conversions"] >= campaign["incremental_orders"] * 0.8
        assert campaign["response_curve"]["K"] > 0 and 0 <= campaign["response_curve"]["adstock_theta"] < 1
    assert truth["repeat_purchase"]["model"] == "BG/NBD"
    assert truth["exported_rows"]["orders"] > 0 and truth["planted_faults"]


def test_hill_and_adstock_are_the_published_forms():
    spend = np.array([[100.0, 100.0, 0.0, 0.0]])
    adstock = geometric_adstock(spend, np.array([0.5]))
    assert adstock.tolist() == [[100.0, 100.0, 50.0, 25.0]]  # constant spend x gives A = x
    response = hill(np.array([[50.0, 100.0]]), beta=np.array([10.0]), half=np.array([50.0]), kappa=np.array([2.0]))
    assert np.allclose(response, [[5.0, 8.0]])


def test_spend_varies_and_some_products_run_out():
    brand = simulate(days=60, seed=5, start=date(2025, 1, 1), scale="demo", progress=False)
    by_campaign = brand.ad_daily.groupby(["campaign", "day"])["spend"].sum().groupby(level=0)
    variation = by_campaign.std() / by_campaign.mean()
    assert (variation > 0.15).sum() >= 6  # response curves need spend that moves
    assert brand.truth["stockouts"], "the sample brand has products that run out"
    assert (brand.orders.groupby("customer").size() > 1).any(), "customers come back"


def test_the_simulator_writes_the_shapes_real_exports_have(small_brand):
    """FORMATS.md, "What real exports look like": continuation rows that repeat Created at, Tip lines, products
    without SKUs, TikTok's hourly XLSX and ShipStation's Orders grid, so that `make run` exercises them."""
    from ecom_pipeline.sources import parse_file

    folder, _ = small_brand
    orders_file = next(folder.glob("orders_export_*.csv"))
    orders = parse_file(orders_file)
    raw = orders_file.read_text()
    assert ",Tip," in raw and orders.tables["orders"]["tips"].gt(0).any()
    continuation = [line for line in raw.splitlines()[1:] if line.split(",")[2] == ""]
    assert continuation and all(" -0" in line or " +0" in line for line in continuation)  # Created at repeated on each
    products = parse_file(next(folder.glob("products_export_*.csv"))).tables["products"]
    assert products["sku"].isna().sum() == 6 and products["variant_key"].str.contains("/").all()  # 2 of 8 products × 3 sizes without
    assert orders.tables["order_lines"]["sku"].isna().any()
    (hourly,) = folder.glob("*by-hour*.xlsx")
    assert b"sheet2.xml" in hourly.read_bytes() and detect(hourly.read_bytes()) == ("tiktok_ads", "xlsx")
    (grid,) = folder.glob("ShipStation-Orders-*.csv")
    labels = parse_file(grid).tables["shipments"]
    assert grid.read_bytes().startswith(b'"Order #","Store","Age"') and set(labels["store"]) == {"Sample Brand Shopify", "TikTok Shop"}


def test_a_random_cast_is_drawn_per_seed_within_its_ranges_and_kept_in_the_truth():
    """Which campaign truly pays best (incremental orders per dollar at base spend) must differ between brands, or a
    budget model tuned on one cast is never tried on another."""
    assert cat.cast("default", 3) == cat.CAMPAIGNS
    best = set()
    for seed in range(8):
        campaigns = cat.cast("random", seed)
        assert [c.campaign_id for c in campaigns] == [c.campaign_id for c in cat.CAMPAIGNS]
        assert campaigns == cat.cast("random", seed) and campaigns != cat.cast("random", seed + 100)
        for drawn, fixed in zip(campaigns, cat.CAMPAIGNS):
            low, high = cat.CAST_RANGES["incremental_at_base"]
            assert low * fixed.incremental_at_base - 0.001 <= drawn.incremental_at_base <= high * fixed.incremental_at_base + 0.001
            for name in ("k_rel", "kappa", "theta"):
                assert cat.CAST_RANGES[name][0] <= getattr(drawn, name) <= cat.CAST_RANGES[name][1]
        best.add(max(campaigns, key=lambda c: c.incremental_at_base / c.base_spend).name)
    assert len(best) >= 3, best

    brand = simulate(days=3, seed=5, start=date(2025, 6, 1), progress=False, cast="random")
    truth = {c["campaign_id"]: c for c in brand.truth["campaigns"]}
    assert brand.truth["cast"] == "random"
    for campaign in cat.cast("random", 5):
        curve, drawn = truth[campaign.campaign_id]["response_curve"], truth[campaign.campaign_id]["drawn"]
        assert drawn == {name: getattr(campaign, name) for name in cat.CAST_RANGES}
        assert curve["kappa"] == campaign.kappa and curve["adstock_theta"] == campaign.theta
        base = campaign.base_spend * SCALES["demo"]
        assert curve["K"] == round(campaign.k_rel * base, 4)
        at_base = curve["beta"] * base ** campaign.kappa / (base ** campaign.kappa + curve["K"] ** campaign.kappa)  # R(A) at A = base
        assert abs(at_base - campaign.incremental_at_base * SCALES["demo"]) < 1e-3
