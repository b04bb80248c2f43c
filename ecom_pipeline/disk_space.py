"""A full disk, said in one sentence: which file system, how much is left, and that a rerun after freeing space
recovers (every write is atomic or transactional, so a run that stopped kept nothing half-written)."""

from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path

_FULL_ERRNOS = {errno.ENOSPC, errno.EDQUOT}
# How the full disk reads once a library has turned it into text: the OS (through Arrow or Dagster), SQLite, PostgreSQL.
_FULL_TEXTS = ("no space left on device", "database or disk is full", "disk quota exceeded", "could not extend file")
_POSTGRES_DISK_FULL = "53100"  # SQLSTATE disk_full


def is_disk_full(error) -> bool:
    """Whether an exception, or a Dagster error record (SerializableErrorInfo), was caused by a full disk anywhere in
    its chain of causes."""
    return any(_says_full(link) for link in _chain(error))


def is_server_disk_full(error) -> bool:
    """Whether it was the PostgreSQL server's disk (SQLSTATE 53100), not this machine's."""
    return any(getattr(link, "sqlstate", None) == _POSTGRES_DISK_FULL or getattr(link, "pgcode", None) == _POSTGRES_DISK_FULL
               or getattr(link, "cls_name", None) == "DiskFull" or type(link).__name__ == "DiskFull" for link in _chain(error))


def _chain(error):
    seen, todo = set(), [error]
    while todo:
        link = todo.pop()
        if link is None or id(link) in seen:
            continue
        seen.add(id(link))
        yield link
        todo += [getattr(link, "__cause__", None), getattr(link, "__context__", None), getattr(link, "cause", None),
                 getattr(link, "context", None), getattr(link, "orig", None)]


def _says_full(link) -> bool:
    if isinstance(link, OSError) and link.errno in _FULL_ERRNOS:
        return True
    text = (getattr(link, "message", None) if not isinstance(link, BaseException) else None) or str(link)
    return any(marker in text.lower() for marker in _FULL_TEXTS)


def mount_point(path: Path) -> Path:
    path = Path(os.path.abspath(path))
    while not path.exists():
        path = path.parent
    while not os.path.ismount(path):
        path = path.parent
    return path


def _size(count: float) -> str:
    units = ["bytes", "KB", "MB", "GB", "TB"]
    step = 0
    while count >= 1024 and step < len(units) - 1:
        count, step = count / 1024, step + 1
    return f"{count:,.0f} bytes" if step == 0 else f"{count:,.1f} {units[step]}"


def settings_disk_full_sentence(settings, error=None) -> str:
    """The sentence for a deployment: its data directory, Dagster home, landing folder and SQLite warehouse, or
    its PostgreSQL server (named without the password)."""
    from ecom_pipeline.storage import is_remote

    paths = [p for p in (settings.data_dir, settings.dagster_home, settings.landing_dir, settings.storage_root, settings.warehouse_path)
             if p is not None and not is_remote(p)]
    return disk_full_sentence(paths, error, settings.warehouse_url.split("@")[-1])


def disk_full_sentence(paths: list[Path], error=None, warehouse: str = "") -> str:
    """Which file system is full (of those holding `paths`, the one with least space left) and what to do."""
    again = ("Free some space and run `ecom-pipeline run` again: the rerun recovers, because nothing half-written "
             "was kept (files are replaced whole, database writes are transactions).")
    if error is not None and is_server_disk_full(error):
        return f"the PostgreSQL server of the warehouse ({warehouse}) has no space left on its disk. {again}"
    mounts: dict[Path, list[Path]] = {}
    for path in paths:
        mounts.setdefault(mount_point(path), []).append(Path(path))
    mount = min(mounts, key=lambda m: shutil.disk_usage(m).free)
    usage = shutil.disk_usage(mount)
    held = ", ".join(str(p) for p in mounts[mount])
    return (f"the file system mounted at {mount} is full ({_size(usage.free)} free of {_size(usage.total)}); "
            f"it holds {held}. {again}")
