from dataclasses import replace

import pytest

from ecom_pipeline.attribution.credits import MODELS


@pytest.mark.parametrize("setting, expected", [("all", MODELS), ("", MODELS), ("none", ()), ("markov_1, last_touch", ("markov_1", "last_touch"))])
def test_the_published_credit_models_are_a_setting(settings, setting, expected):
    assert replace(settings, published_models=setting).credit_models(MODELS) == expected


def test_an_unknown_published_model_is_named_with_the_choices(settings):
    with pytest.raises(ValueError, match="ECOM_PIPELINE_PUBLISHED_MODELS: u_shaped is not a model; use all, none or some of first_touch"):
        replace(settings, published_models="markov_1,u_shaped").credit_models(MODELS)


def test_the_partitions_start_the_january_before_the_first_registered_day_unless_configured(settings, monkeypatch):
    from ecom_pipeline.defs.build import build_definitions
    from ecom_pipeline.ingest import Registry
    from ecom_pipeline.settings import START_DATE_ENV, load_settings

    monkeypatch.delenv(START_DATE_ENV, raising=False)
    monkeypatch.setenv("ECOM_PIPELINE_SHOP_CURRENCY", "USD")
    assert load_settings(settings.data_dir).start_date == "2000-01-01"  # nothing registered: no bound a brand meets
    (settings.landing_dir / "meta.csv").write_text(
        "Reporting Starts,Reporting Ends,Day,Campaign Name,Campaign ID,Ad Set Name,Ad Set ID,Ad Name,Ad ID,Amount Spent (USD),Impressions\n"
        "2025-03-02,2025-06-03,2025-03-02,Prospecting,111,Broad,222,Ad A,333,20.00,1000\n"
        "2025-03-02,2025-06-03,2025-06-03,Prospecting,111,Broad,222,Ad A,333,25.00,1100\n")
    registry = Registry(settings)
    registry.register(settings.landing_dir / "meta.csv")
    assert registry.record_first_day() == "2025-03-02" == registry.first_day()
    loaded = load_settings(settings.data_dir)
    assert loaded.start_date == "2024-01-01"
    partitions = build_definitions(loaded).resolve_job_def("ingest_job").partitions_def
    assert partitions.get_first_partition_key() == "2024-01-01"
    monkeypatch.setenv(START_DATE_ENV, "2025-05-01")  # a configured start wins, and leaves older days out
    assert load_settings(settings.data_dir).start_date == "2025-05-01"
