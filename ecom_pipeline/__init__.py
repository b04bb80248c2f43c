"""ecom_pipeline: an open marketing-analytics pipeline for direct-to-consumer brands, built on Dagster."""

__version__ = "0.1.0"
