from dataclasses import replace

import pytest

from ecom_pipeline.attribution.credits import MODELS


@pytest.mark.parametrize("setting, expected", [("all", MODELS), ("", MODELS), ("none", ()), ("markov_1, last_touch", ("markov_1", "last_touch"))])
def test_the_published_credit_models_are_a_setting(settings, setting, expected):
    assert replace(settings, published_models=setting).credit_models(MODELS) == expected


def test_an_unknown_published_model_is_named_with_the_choices(settings):
    with pytest.raises(ValueError, match="ECOM_PIPELINE_PUBLISHED_MODELS: u_shaped is not a model; use all, none or some of first_touch"):
        replace(settings, published_models="markov_1,u_shaped").credit_models(MODELS)
