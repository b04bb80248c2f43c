"""Where the pipeline keeps its state and how the shop is configured.

Everything a run writes (Dagster home, lake, warehouse file, archive, rejected files) lives under one data
directory, so two runs never share state by accident. Values come from environment variables with defaults.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from upath import UPath

from ecom_pipeline.storage import as_path, ensure_folder, read_text

DATA_DIR_ENV = "ECOM_PIPELINE_DATA_DIR"
LANDING_DIR_ENV = "ECOM_PIPELINE_LANDING_DIR"
LAKE_URL_ENV = "ECOM_PIPELINE_LAKE_URL"  # s3://bucket/brand: the lake, archive and rejected files (and landing) shared
WAREHOUSE_URL_ENV = "ECOM_PIPELINE_WAREHOUSE_URL"
START_DATE_ENV = "ECOM_PIPELINE_START_DATE"
SHOP_CURRENCY_ENV = "ECOM_PIPELINE_SHOP_CURRENCY"
SHOP_TIMEZONE_ENV = "ECOM_PIPELINE_SHOP_TIMEZONE"
FX_RATES_ENV = "ECOM_PIPELINE_FX_RATES"
CHANNEL_GROUPING_ENV = "ECOM_PIPELINE_CHANNEL_GROUPING"
PAYMENT_FEES_ENV = "ECOM_PIPELINE_PAYMENT_FEES"
DEFAULT_COGS_RATE_ENV = "ECOM_PIPELINE_DEFAULT_COGS_RATE"
ORDER_TOLERANCE_ENV = "ECOM_PIPELINE_ORDER_TOLERANCE"
ASSET_OWNERS_ENV = "ECOM_PIPELINE_ASSET_OWNERS"
PUBLISHED_MODELS_ENV = "ECOM_PIPELINE_PUBLISHED_MODELS"
POSTGRES_URL_ENV = "ECOM_PIPELINE_POSTGRES_URL"  # one switch: Dagster's instance and the warehouse on PostgreSQL

# Before any export: no lower bound a brand would meet (a first export holds years of history, and history is not an
# error). Once exports are registered the partitions start at `partition_start`. ECOM_PIPELINE_START_DATE fixes the
# start instead and leaves older days out (they are then quarantined as outside the data window).
DEFAULT_START_DATE = "2000-01-01"


@dataclass(frozen=True)
class Settings:
    """Resolved locations and shop facts for one deployment."""

    data_dir: Path
    landing_dir: Path | UPath
    warehouse_url: str
    lake_url: str = ""  # where the lake, archive and rejected files live when not in the data directory (s3://…)
    start_date: str = DEFAULT_START_DATE
    shop_currency: str = "USD"
    shop_timezone: str = "America/New_York"
    fx_rates: str = ""  # "EUR=1.08,GBP=1.27": shop-currency units per unit of each foreign currency
    order_tolerance: float = 0.01
    channel_grouping: str = ""  # a CSV of channel rules; empty: the packaged default
    payment_fees: str = "2.9%+0.30"  # payment processor fee per order: a percentage of the total plus a fixed amount
    default_cogs_rate: float = 0.40  # COGS as a share of price for a SKU without `Cost per item`
    asset_owners: str = "team:data"  # who answers for the assets in the UI: emails or team:name, comma-separated
    published_models: str = "all"  # the attribution models whose credits the warehouse gets: all, none, or a list

    def profit_config(self) -> dict:
        text = self.payment_fees.replace(" ", "")
        try:
            percent, _, fixed = text.partition("%")
            return {"payment_fee_rate": float(percent) / 100, "payment_fee_fixed": float(fixed.lstrip("+") or 0),
                    "default_cogs_rate": self.default_cogs_rate}
        except ValueError:
            raise ValueError(f"{PAYMENT_FEES_ENV}: {self.payment_fees!r} is not like 2.9%+0.30") from None

    def owners(self) -> list[str]:
        return [owner.strip() for owner in self.asset_owners.split(",") if owner.strip()]

    def credit_models(self, known: tuple[str, ...]) -> tuple[str, ...]:
        """The models of `known` whose order × touch credits are published (`all`, `none`, or a comma list)."""
        text = self.published_models.strip().lower()
        if text in ("all", ""):
            return known
        if text == "none":
            return ()
        chosen = tuple(model.strip() for model in text.split(",") if model.strip())
        unknown = [model for model in chosen if model not in known]
        if unknown:
            raise ValueError(f"{PUBLISHED_MODELS_ENV}: {', '.join(unknown)} is not a model; use all, none or some of {', '.join(known)}")
        return chosen

    def rates(self) -> dict[str, float]:
        """Fixed exchange rates from configuration; the shop currency is always 1."""
        rates = {self.shop_currency: 1.0}
        for item in filter(None, (part.strip() for part in self.fx_rates.split(","))):
            code, _, value = item.partition("=")
            try:
                rates[code.strip().upper()] = float(value)
            except ValueError:
                raise ValueError(f"{FX_RATES_ENV}: {item!r} is not CODE=RATE (e.g. EUR=1.08)") from None
        return rates

    @property
    def dagster_home(self) -> Path:
        return self.data_dir / "dagster_home"

    @property
    def storage_root(self) -> Path | UPath:
        """The root of the lake, archive and rejected folders: the data directory, or the lake URL (object storage
        that runs on several machines share)."""
        return as_path(self.lake_url) if self.lake_url else self.data_dir

    @property
    def lake_dir(self) -> Path | UPath:
        return self.storage_root / "lake"

    @property
    def archive_dir(self) -> Path | UPath:
        return self.storage_root / "archive"

    @property
    def rejected_dir(self) -> Path | UPath:
        return self.storage_root / "rejected"

    @property
    def reports_dir(self) -> Path | UPath:
        return self.storage_root / "reports"

    @property
    def staged_dir(self) -> Path | UPath:
        """Canonical frames of every registered export, one Parquet file per export (by content hash)."""
        return self.lake_dir / "_staged"

    @property
    def warehouse_path(self) -> Path | None:
        prefix = "sqlite:///"
        return Path(self.warehouse_url[len(prefix):]) if self.warehouse_url.startswith(prefix) else None

    def ensure_dirs(self) -> None:
        for path in (self.landing_dir, self.lake_dir, self.archive_dir, self.rejected_dir, self.dagster_home):
            ensure_folder(path)


def warehouse_url_for(postgres_url: str | None) -> str | None:
    """The SQLAlchemy URL of a `postgresql://` server URL, with the psycopg2 driver named (None without one)."""
    if not postgres_url:
        return None
    scheme, _, rest = postgres_url.partition("://")
    if scheme not in ("postgres", "postgresql", "postgresql+psycopg2"):
        raise ValueError(f"{POSTGRES_URL_ENV} must be a postgresql:// URL, not {scheme}://…")
    return f"postgresql+psycopg2://{rest}"


FALLBACK_CURRENCY = "USD"  # only until the first orders export lands


def orders_currency(staged_dir: Path | UPath) -> str | None:
    """The currency most of the shop's landed orders are in: the shop currency when none is configured."""
    folder = staged_dir / "shopify_orders" / "orders"
    import pyarrow.compute as pc

    from ecom_pipeline.lake import read_table
    from ecom_pipeline.storage import stems

    counts: dict[str, int] = {}
    for path in (folder / f"{stem}.parquet" for stem in stems(folder)):
        for row in pc.value_counts(read_table(path, ["currency"])["currency"].combine_chunks()).to_pylist():
            if row["values"]:
                counts[row["values"]] = counts.get(row["values"], 0) + row["counts"]
    return max(counts, key=counts.get) if counts else None


def first_day_marker(staged_dir: Path | UPath) -> Path | UPath:
    """The file where the registry records the earliest day any registered export covers."""
    return staged_dir / "_manifests" / "first_day"


def partition_start(staged_dir: Path | UPath) -> str:
    """The first daily partition when none is configured: January 1st of the year before the earliest registered day.
    Dagster lists every partition since the start in each step that reads whole history (~0.5 s for the ~9,600 days
    since 2000, ~0.06 s for two years), and the margin keeps an export of somewhat older days inside without a reload
    of the definitions. Before any export: DEFAULT_START_DATE."""
    marker = first_day_marker(staged_dir)
    first = read_text(marker, default="").strip()
    return f"{int(first[:4]) - 1}-01-01" if first else DEFAULT_START_DATE


def load_settings(data_dir: str | os.PathLike | None = None, landing_dir: str | os.PathLike | None = None) -> Settings:
    """Settings from explicit arguments, then environment variables, then defaults (`./data`)."""
    data = Path(data_dir or os.environ.get(DATA_DIR_ENV) or "data").resolve()
    lake_url = os.environ.get(LAKE_URL_ENV, "").rstrip("/")
    root = as_path(lake_url) if lake_url else data
    landing = as_path(landing_dir or os.environ.get(LANDING_DIR_ENV) or root / "landing")
    url = os.environ.get(WAREHOUSE_URL_ENV) or warehouse_url_for(os.environ.get(POSTGRES_URL_ENV)) or f"sqlite:///{data / 'warehouse.sqlite'}"
    start = os.environ.get(START_DATE_ENV) or partition_start(root / "lake" / "_staged")
    date.fromisoformat(start)  # fail early on a malformed start date
    return Settings(
        data_dir=data,
        landing_dir=landing,
        warehouse_url=url,
        lake_url=lake_url,
        start_date=start,
        shop_currency=(os.environ.get(SHOP_CURRENCY_ENV) or orders_currency(root / "lake" / "_staged") or FALLBACK_CURRENCY).upper(),
        shop_timezone=os.environ.get(SHOP_TIMEZONE_ENV, "America/New_York"),
        fx_rates=os.environ.get(FX_RATES_ENV, ""),
        order_tolerance=float(os.environ.get(ORDER_TOLERANCE_ENV, "0.01")),
        channel_grouping=os.environ.get(CHANNEL_GROUPING_ENV, ""),
        payment_fees=os.environ.get(PAYMENT_FEES_ENV, "2.9%+0.30"),
        default_cogs_rate=float(os.environ.get(DEFAULT_COGS_RATE_ENV, "0.40")),
        asset_owners=os.environ.get(ASSET_OWNERS_ENV, "team:data"),
        published_models=os.environ.get(PUBLISHED_MODELS_ENV, "all"),
    )
