"""ecom_pipeline: an open marketing-analytics pipeline for direct-to-consumer brands, built on Dagster."""

__version__ = "0.1.0"

from ecom_pipeline import arrow_strings as _arrow_strings

_arrow_strings.enable()
