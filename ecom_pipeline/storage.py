"""Where files live: a local folder or an S3-compatible bucket, behind one path API (universal_pathlib over fsspec).

A local folder is a plain `pathlib.Path`; `s3://bucket/prefix` is a `UPath` whose endpoint and keys come from the
standard AWS variables (`AWS_ENDPOINT_URL`, `AWS_ACCESS_KEY_ID`, …). Writes are atomic on both: a local file is
written beside its target and renamed, an object is one PUT that readers see whole or not at all.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from upath import UPath

# Listings are not cached: another machine may have written the folder since this process last looked.
REMOTE_OPTIONS = {"use_listings_cache": False}


def as_path(location: str | os.PathLike) -> Path | UPath:
    """A local path (resolved), or a `UPath` for a URL such as `s3://bucket/brand`."""
    text = os.fspath(location) if not isinstance(location, UPath) else str(location)
    if "://" in text and not text.startswith("file://"):
        return UPath(text, **REMOTE_OPTIONS)
    return Path(text.removeprefix("file://")).resolve()


def is_remote(path: Path | UPath) -> bool:
    return isinstance(path, UPath) and path.protocol not in ("", "file", "local")


def ensure_folder(path: Path | UPath) -> None:
    """A local folder is created; an object store has no folders (a key's prefix exists once an object has it)."""
    if not is_remote(path):
        Path(path).mkdir(parents=True, exist_ok=True)


def write_bytes(path: Path | UPath, data: bytes) -> None:
    """Write a file whole or not at all (a killed run never leaves half a file)."""
    if is_remote(path):
        path.write_bytes(data)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def write_parquet(path: Path | UPath, table: pa.Table) -> None:
    """An Arrow table as one Parquet file, atomically."""
    if is_remote(path):
        buffer = pa.BufferOutputStream()
        pq.write_table(table, buffer)
        path.write_bytes(buffer.getvalue().to_pybytes())
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    pq.write_table(table, tmp)
    os.replace(tmp, path)


def read_bytes(path: Path | UPath) -> bytes:
    """A file's bytes; an object in one GET (s3fs asks for its size first unless told to read it in one piece: a
    request saved per file is most of the cost of reading a year of daily files from a bucket)."""
    return path.fs.cat_file(path.path, max_concurrency=1) if is_remote(path) else path.read_bytes()


def read_text(path: Path | UPath, default: str | None = None) -> str:
    """A small text file (a manifest, a marker), or `default` when there is none (FileNotFoundError without one)."""
    try:
        return read_bytes(path).decode()
    except FileNotFoundError:
        if default is None:
            raise
        return default


def parquet_source(path: Path | UPath | pa.Buffer):
    """What Arrow's Parquet reader opens: a local path as it is, an object fetched whole in one GET."""
    return pa.BufferReader(read_bytes(path)) if isinstance(path, UPath) and is_remote(path) else path


def written_at(path: Path | UPath) -> float:
    """When a file was written (a snapshot export's day is the day it was downloaded): a local file's modification
    time; an object's `mtime` metadata, where the uploader kept the source file's time (rclone does), else its upload
    time."""
    if not is_remote(path):
        return path.stat().st_mtime
    stamp = path.fs.metadata(path.path).get("mtime")
    try:
        return float(stamp)
    except (TypeError, ValueError):
        return path.stat().st_mtime


def stems(folder: Path | UPath, suffix: str = ".parquet") -> list[str]:
    """The names (without `suffix`) of a folder's files ending in `suffix`, sorted; none for a missing folder."""
    if not is_remote(folder) and not folder.exists():
        return []
    return sorted(p.name[: -len(suffix)] for p in folder.glob(f"*{suffix}") if not p.name.startswith("."))


def subfolders(folder: Path | UPath) -> list[str]:
    """The names of a folder's subfolders, sorted; none for a missing folder."""
    return sorted(p.name for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []


def move(path: Path | UPath, target: Path | UPath) -> None:
    """Move a file, between folders or stores, keeping its modification time (as `mtime` metadata on an object); a
    local symbolic link's target content is kept (copied) and the link removed, never the file it points to."""
    if not is_remote(path) and not is_remote(target):
        target.parent.mkdir(parents=True, exist_ok=True)
        if path.is_symlink():
            shutil.copy2(path.resolve(), target)
            path.unlink()
        else:
            shutil.move(str(path), target)
        return
    modified, data = written_at(path), path.read_bytes()
    if is_remote(target):
        target.fs.pipe_file(target.path, data, Metadata={"mtime": f"{modified:.6f}"})
    else:
        write_bytes(target, data)
        os.utime(target, (modified, modified))
    path.unlink()
