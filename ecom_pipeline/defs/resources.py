"""Resources: where the data lives (the pipeline's settings), the lake IO manager and the warehouse."""


from dataclasses import fields
from pathlib import Path

import pandas as pd
import sqlalchemy as sa
from dagster import ConfigurableIOManager, ConfigurableResource, InputContext, OutputContext
from upath import UPath

from ecom_pipeline import lake, warehouse
from ecom_pipeline.ingest import Registry
from ecom_pipeline.schemas import TABLES
from ecom_pipeline.settings import Settings
from ecom_pipeline.storage import as_path


class PipelineSettings(ConfigurableResource):
    """The data directory, landing folder and shop facts every asset and sensor works with."""

    data_dir: str
    landing_dir: str
    warehouse_url: str
    start_date: str
    lake_url: str = ""
    shop_currency: str = "USD"
    shop_timezone: str = "America/New_York"
    fx_rates: str = ""
    order_tolerance: float = 0.01
    channel_grouping: str = ""
    payment_fees: str = "2.9%+0.30"
    default_cogs_rate: float = 0.40
    asset_owners: str = "team:data"
    published_models: str = "all"

    @classmethod
    def from_settings(cls, settings: Settings) -> "PipelineSettings":
        return cls(**{f.name: str(v) if isinstance(v := getattr(settings, f.name), (Path, UPath)) else v for f in fields(Settings)})

    def settings(self) -> Settings:
        values = {f.name: getattr(self, f.name) for f in fields(Settings)}
        return Settings(**{**values, "data_dir": Path(self.data_dir), "landing_dir": as_path(self.landing_dir)})

    def profit_config(self) -> dict:
        return self.settings().profit_config()

    def registry(self) -> Registry:
        return Registry(self.settings())


class LakeIOManager(ConfigurableIOManager):
    """Daily partitions as Parquet files, `<lake>/<asset>/<day>.parquet`, each written atomically.

    A run over several days (single-run backfill) writes each day's file; a day without rows is written as an
    empty file so that a restated day can shrink to nothing. Reading a day never materialized gives no rows.
    An unpartitioned asset is one snapshot file, replaced by each materialization.
    """

    base_dir: str

    def handle_output(self, context: OutputContext, obj: pd.DataFrame) -> None:
        spec = TABLES[context.definition_metadata["table"]]
        if not context.has_asset_partitions:
            lake.write_snapshot(as_path(self.base_dir), list(context.asset_key.path), obj)
            return
        lake.write_partitions(as_path(self.base_dir), list(context.asset_key.path), obj, spec, list(context.asset_partition_keys))

    def load_input(self, context: InputContext) -> pd.DataFrame:
        spec = TABLES[context.upstream_output.definition_metadata["table"]]
        if not context.has_asset_partitions:
            return lake.read_snapshot(as_path(self.base_dir), list(context.asset_key.path), spec)
        frame, _ = lake.read_partitions(as_path(self.base_dir), list(context.asset_key.path), spec, list(context.asset_partition_keys))
        return frame


class Warehouse(ConfigurableResource):
    """The SQL warehouse behind a SQLAlchemy URL."""

    url: str

    def engine(self) -> sa.Engine:
        return warehouse.make_engine(self.url)

    @property
    def dialect(self) -> str:
        return sa.make_url(self.url).get_backend_name()
