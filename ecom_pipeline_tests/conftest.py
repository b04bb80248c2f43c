import json
import os
import shutil
import subprocess
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path

import pytest

from ecom_pipeline.sample import generate
from ecom_pipeline.settings import Settings

BRAND_WEEK = Path(__file__).parent / "fixtures" / "real_layouts" / "brand_week"
# The brand week's snapshot exports carry no date of their own: they were downloaded on these mornings, so they hold
# the stock of the day before (products: 2026-01-01, inventory: 2026-01-07); the other exports on the 8th.
BRAND_WEEK_DOWNLOADED = {"products_export_1.csv": "2026-01-02", "inventory_export_1.csv": "2026-01-08"}
SMALL_DAYS = 12
SMALL_START = date(2025, 6, 1)


@pytest.fixture(scope="session")
def small_brand(tmp_path_factory) -> tuple[Path, dict]:
    """A 12-day sample brand, written once per session; tests copy its files into their own landing folder."""
    out = tmp_path_factory.mktemp("small_brand")
    truth = generate(out, days=SMALL_DAYS, seed=11, scale="demo", start=SMALL_START, progress=False)
    return out, truth


def copy_exports(source: Path, landing: Path, pattern: str = "*") -> list[Path]:
    """Copy exports (keeping their modification times) into a landing folder."""
    landing.mkdir(parents=True, exist_ok=True)
    copied = []
    for path in sorted(source.glob(pattern)):
        if path.name.startswith("ground_truth"):
            continue
        target = landing / path.name
        shutil.copy2(path, target)
        copied.append(target)
    return copied


def land_brand_week(landing: Path) -> None:
    """Copy the real-layout brand week into a landing folder, each file modified the morning it was downloaded."""
    landing.mkdir(parents=True, exist_ok=True)
    for path in BRAND_WEEK.iterdir():
        target = landing / path.name
        shutil.copyfile(path, target)
        moment = datetime.fromisoformat(BRAND_WEEK_DOWNLOADED.get(path.name, "2026-01-08") + "T09:00:00+00:00").timestamp()
        os.utime(target, (moment, moment))


@pytest.fixture
def settings(tmp_path) -> Settings:
    data = tmp_path / "data"
    value = Settings(data_dir=data, landing_dir=data / "landing", warehouse_url=f"sqlite:///{data / 'warehouse.sqlite'}", start_date="2024-01-01")
    value.ensure_dirs()
    return value


def load_truth(folder: Path) -> dict:
    return json.loads((folder / "ground_truth.json").read_text())


@pytest.fixture
def postgres_url():
    """A fresh, empty PostgreSQL database for one test (postgresql:// URL), dropped afterwards.

    Needs a server at $ECOM_PIPELINE_TEST_POSTGRES_URL (`eval "$(bash .ci/postgres.sh start)"` starts one); without
    it the test skips — unless $ECOM_PIPELINE_REQUIRE_POSTGRES is set, as in CI, where it fails."""
    import os
    import uuid

    import sqlalchemy as sa

    server = os.environ.get("ECOM_PIPELINE_TEST_POSTGRES_URL")
    if not server:
        reason = "no PostgreSQL server: set ECOM_PIPELINE_TEST_POSTGRES_URL (eval \"$(bash .ci/postgres.sh start)\")"
        if os.environ.get("ECOM_PIPELINE_REQUIRE_POSTGRES"):
            pytest.fail(reason)
        pytest.skip(reason)
    name = f"ecom_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(server.replace("postgresql://", "postgresql+psycopg2://", 1), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield server.rsplit("/", 1)[0] + "/" + name
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@contextmanager
def small_file_system(mount: Path, size: str):
    """A real file system of `size` (tmpfs) mounted at `mount` while the block runs, to fill. Mounting needs root,
    as in CI: elsewhere the test skips, unless $ECOM_PIPELINE_REQUIRE_TMPFS is set (CI), where it fails."""
    mount.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mount)], capture_output=True, text=True)
    if mounted.returncode != 0:
        reason = f"cannot mount a small tmpfs to fill ({mounted.stderr.strip()}): run as root"
        if os.environ.get("ECOM_PIPELINE_REQUIRE_TMPFS"):
            pytest.fail(reason)
        pytest.skip(reason)
    try:
        yield mount
    finally:
        subprocess.run(["umount", "--lazy", str(mount)], check=True)
