"""Landing-folder intake: register each export once, keep every file, and resolve which export wins each day.

Registering a file parses it once, stages its canonical tables as Parquet under its content hash, writes a
small manifest, and moves the original into the archive (never deleted). A file that cannot be used moves to
`rejected/` with a `.reason.txt` beside it. Days are later read from the newest export covering them, so a
re-export that restates days replaces them and the same file twice changes nothing.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime, timezone
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from filelock import FileLock
from upath import UPath

from ecom_pipeline.lake import atomic_write_parquet, read_parquet, read_table
from ecom_pipeline.privacy import mask
from ecom_pipeline.schemas import TABLES
from ecom_pipeline.settings import Settings, first_day_marker
from ecom_pipeline.sources import PARSER_VERSION, FileRejected, ParseResult, parse_bytes
from ecom_pipeline.storage import is_remote, move, read_bytes, read_text, stems, write_bytes, written_at

# A download or copy still under way: it waits, listed as waiting, until it is renamed to its real name.
PARTIAL_SUFFIXES = (".tmp", ".part", ".crdownload", ".partial", ".download", ".swp")
IGNORED_SUFFIXES = (".reason.txt",)  # our own notes beside rejected files
IGNORED_NAMES = {".DS_Store", "Thumbs.db", "desktop.ini"}  # the operating system's, never an export; and ground_truth*
SETTLE_SECONDS = 30.0  # a file untouched this long is complete even if never seen before


@dataclass
class Registration:
    """The manifest of one registered export."""

    file_hash: str
    family: str
    original_name: str
    archived_as: str
    encoding: str
    exported_at: float  # the file's modification time: when the vendor wrote it
    registered_at: float
    days: dict[str, list[str]]  # table -> ISO days it covers
    rows_read: int
    rows_loaded: int
    rows_quarantined: int
    notes: list[str] = field(default_factory=list)
    rows_skipped: int = 0  # totals rows, image-only rows: no data by the vendor's design
    parser_version: int = 1  # the parsers that staged it (manifests before the field: 1)
    duplicate_of_known_file: bool = False

    def ranges(self) -> list[tuple[str, str]]:
        """The covered days (all tables together) as contiguous (first, last) ranges."""
        return contiguous_ranges(sorted({d for days in self.days.values() for d in days}))


@dataclass
class Rejection:
    original_name: str
    moved_to: str
    reason: str
    file_hash: str = ""
    rejected_at: float = 0.0

    @property
    def sentence(self) -> str:
        return f"{self.original_name} was rejected: {self.reason}"


def file_hash(path: Path | UPath) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def contiguous_ranges(days: list[str]) -> list[tuple[str, str]]:
    ranges: list[tuple[str, str]] = []
    for day in days:
        if ranges and (date.fromisoformat(day) - date.fromisoformat(ranges[-1][1])).days == 1:
            ranges[-1] = (ranges[-1][0], day)
        else:
            ranges.append((day, day))
    return ranges


class Registry:
    """The staged exports of one data directory."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.root = settings.staged_dir
        self.manifests = self.root / "_manifests"
        self._loaded: dict[str, Registration] = {}  # manifests read by this registry (one GET each on object storage)

    def lock(self, timeout: float = -1) -> FileLock:
        """One registration at a time per data directory (two runs, or a run and the sensor, would move each other's
        files away mid-archive): a lock file beside the staged exports; `timeout` seconds to wait, -1 for ever.
        Object storage has no locks: there the lock file is in the local Dagster home, so registering is the job of
        one machine (the daemon's sensor; the README's production section)."""
        folder = self.settings.dagster_home if is_remote(self.root) else self.root
        folder.mkdir(parents=True, exist_ok=True)
        return FileLock(folder / ".registering.lock", timeout=timeout)

    # ------------------------------------------------------------------ landing
    def landed_files(self) -> list[Path | UPath]:
        """Every file of the landing folder that is to be registered or rejected: a name starting with a dot too
        (`..x.csv` is a file like any other); not the operating system's own files nor downloads still under way."""
        return [path for path in self._landing_files() if not path.name.endswith(PARTIAL_SUFFIXES)]

    def partial_files(self) -> list[Path | UPath]:
        """Downloads or copies still under way (`.crdownload`, `.part`…): they wait, visibly."""
        return [path for path in self._landing_files() if path.name.endswith(PARTIAL_SUFFIXES)]

    def _landing_files(self) -> list[Path | UPath]:
        landing = self.settings.landing_dir
        if not is_remote(landing) and not landing.exists():
            return []
        files = []
        for path in landing.rglob("*"):
            name = path.name
            if name.startswith("ground_truth") or name in IGNORED_NAMES or name.endswith(IGNORED_SUFFIXES) or not path.is_file():
                continue
            files.append(path)
        return sorted(files)

    def register(self, path: Path | UPath) -> Registration | Rejection:
        """Parse, stage and archive one landed file (or reject it with a reason)."""
        raw = read_bytes(path)
        digest = hashlib.sha256(raw).hexdigest()
        known = self.find(digest)
        exported_at = written_at(path)
        if known is not None:
            self._archive(path, known.family, digest)
            return replace(known, duplicate_of_known_file=True)
        try:
            result = parse_bytes(raw, name=path.name, mtime=exported_at, default_currency=self.settings.shop_currency, shop_timezone=self.settings.shop_timezone)
        except FileRejected as rejected:
            return self._reject(path, rejected.reason, digest)
        except Exception as error:  # a parser bug must not lose the file or stop the sensor: reject it, say why
            return self._reject(path, f"the file could not be parsed ({type(error).__name__}: {error})", digest)
        # The manifest is written before the file leaves the landing folder: killed in between, the next look
        # finds the file again, recognises its hash and only archives it.
        archived = self._archive_path(path, result.family, digest)
        registration = self._stage(result, path.name, digest, archived.relative_to(self.settings.storage_root).as_posix(), exported_at, time.time())
        write_bytes(self.manifests / f"{time.time_ns():020d}-{digest}.json", json.dumps(asdict(registration), indent=1).encode())
        self._archive(path, result.family, digest)
        return registration

    def _stage(self, result: ParseResult, name: str, digest: str, archived_as: str, exported_at: float, registered_at: float) -> Registration:
        """Write an export's canonical tables and row problems under its hash; its registration (not yet saved)."""
        days: dict[str, list[str]] = {}
        for table, frame in result.tables.items():
            spec = TABLES[table]
            frame = frame.assign(source_file=name, source_hash=digest)
            days[table] = sorted(frame[spec.partition_column].dropna().dt.strftime("%Y-%m-%d").unique().tolist())
            atomic_write_parquet(self._staged(result.family, table, digest), frame)
        problems_path = self.root / "_problems" / f"{digest}.parquet"
        if result.problems:
            problems = pd.DataFrame([asdict(p) for p in result.problems]).assign(source_file=name, source_hash=digest)
            problems["value"] = [mask(c, v) for c, v in zip(problems["column"], problems["value"])]
            atomic_write_parquet(problems_path, problems)
        else:
            problems_path.unlink(missing_ok=True)
        return Registration(
            file_hash=digest, family=result.family, original_name=name, archived_as=archived_as, encoding=result.encoding,
            exported_at=exported_at, registered_at=registered_at, days=days, rows_read=result.rows_read, rows_loaded=result.rows_loaded,
            rows_quarantined=result.rows_quarantined, notes=result.notes, rows_skipped=result.rows_skipped, parser_version=PARSER_VERSION,
        )

    def reparse_outdated(self) -> tuple[list[Registration], list[Rejection], list[str]]:
        """Parse again, from its archived copy, every export an older parser version staged (after an upgrade), so
        its days are read as the current parsers read them. An export the current parsers refuse (an abandoned-
        checkouts export once read as orders) leaves the registry as a rejection; its archived copy stays.
        Returns (re-parsed, newly rejected, the days those covered: to run again, now without them)."""
        done, refused, stale = [], [], set()
        for manifest in self.manifest_names():
            old = self.load(manifest)
            if old.parser_version >= PARSER_VERSION:
                continue
            archived = self.settings.storage_root / old.archived_as
            for table in old.days:
                self._staged(old.family, table, old.file_hash).unlink(missing_ok=True)
            try:
                result = parse_bytes(read_bytes(archived), name=old.original_name, mtime=old.exported_at,
                                     default_currency=self.settings.shop_currency, shop_timezone=self.settings.shop_timezone)
            except FileRejected as rejected:
                (self.root / "_problems" / f"{old.file_hash}.parquet").unlink(missing_ok=True)
                rejection = Rejection(original_name=old.original_name, moved_to=str(archived), file_hash=old.file_hash, rejected_at=time.time(),
                                      reason=f"{rejected.reason} (registered by an earlier version; its copy stays in the archive)")
                write_bytes(self.root / "_rejections" / f"{time.time_ns():020d}-{old.file_hash}.json", json.dumps(asdict(rejection)).encode())
                (self.manifests / manifest).unlink()
                self._loaded.pop(manifest, None)
                refused.append(rejection)
                stale.update(day for days in old.days.values() for day in days)
                continue
            registration = self._stage(result, old.original_name, old.file_hash, old.archived_as, old.exported_at, old.registered_at)
            write_bytes(self.manifests / manifest, json.dumps(asdict(registration), indent=1).encode())
            self._loaded.pop(manifest, None)
            done.append(registration)
        return done, refused, sorted(stale)

    def _archive_path(self, path: Path | UPath, family: str, digest: str) -> Path | UPath:
        return self.settings.archive_dir / family / f"{digest[:16]}-{_safe_name(path.name)}"

    def _archive(self, path: Path | UPath, family: str, digest: str) -> Path | UPath:
        target = self._archive_path(path, family, digest)
        move(path, target)
        return target

    def _reject(self, path: Path | UPath, reason: str, digest: str) -> Rejection:
        moment = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S")
        target = self.settings.rejected_dir / f"{moment}-{digest[:8]}-{_safe_name(path.name)}"
        rejection = Rejection(original_name=path.name, moved_to=str(target), reason=reason, file_hash=digest, rejected_at=time.time())
        write_bytes(target.with_name(target.name + ".reason.txt"), (rejection.sentence + "\n").encode())
        write_bytes(self.root / "_rejections" / f"{time.time_ns():020d}-{digest}.json", json.dumps(asdict(rejection)).encode())
        move(path, target)
        return rejection

    def rejections(self) -> list[Rejection]:
        folder = self.root / "_rejections"
        return [Rejection(**json.loads(read_text(folder / f"{name}.json"))) for name in stems(folder, ".json")]

    def parse_problems(self, registrations: list[Registration]) -> pd.DataFrame:
        """The rows the parser could not read, of these registrations, as quarantine records."""
        from ecom_pipeline.schemas import QUARANTINE, conform
        from ecom_pipeline.sources import FAMILY_TABLES

        frames = []
        with_problems = set(stems(self.root / "_problems"))
        for registration in registrations:
            if registration.file_hash in with_problems:
                problems = read_parquet(self.root / "_problems" / f"{registration.file_hash}.parquet")
                frames.append(problems.rename(columns={"row": "source_row"}).assign(
                    family=registration.family, table=FAMILY_TABLES[registration.family][0], day=pd.NaT, stage="parse"))
        return conform(pd.concat(frames, ignore_index=True), QUARANTINE) if frames else QUARANTINE.empty()

    # ------------------------------------------------------------------ manifests
    def manifest_names(self) -> list[str]:
        return [f"{stem}.json" for stem in stems(self.manifests, ".json")]

    def materialized_through(self) -> str:
        """The newest manifest whose days a run outside the sensor (`ecom-pipeline run`) already materialized."""
        marker = self.manifests / "materialized_through"
        return read_text(marker, default="").strip()

    def mark_materialized_through(self, manifest_name: str) -> None:
        if manifest_name > self.materialized_through():
            write_bytes(self.manifests / "materialized_through", manifest_name.encode())

    def first_day(self) -> str:
        """The earliest day any registered export covers, as last recorded ("" before any)."""
        marker = first_day_marker(self.root)
        return read_text(marker, default="").strip()

    def record_first_day(self) -> str:
        """Record the earliest covered day after registering (the partitions start from it: `partition_start`)."""
        days = self.covered_days()
        first = days[0] if days else ""
        if first != self.first_day():
            write_bytes(first_day_marker(self.root), first.encode())
        return first

    def load(self, manifest_name: str) -> Registration:
        if manifest_name not in self._loaded:
            self._loaded[manifest_name] = Registration(**json.loads(read_text(self.manifests / manifest_name)))
        return self._loaded[manifest_name]

    def all(self) -> list[Registration]:
        return [self.load(name) for name in self.manifest_names()]

    def find(self, digest: str) -> Registration | None:
        matches = [name for name in self.manifest_names() if name.endswith(f"-{digest}.json")]
        return self.load(matches[0]) if matches else None

    def _staged(self, family: str, table: str, digest: str) -> Path | UPath:
        return self.root / family / table / f"{digest}.parquet"

    # ------------------------------------------------------------------ reading days
    def winners(self, family: str, table: str, days: list[str]) -> dict[str, Registration]:
        """For each day, the newest export of `family` covering it (by export time, then registration)."""
        best: dict[str, Registration] = {}
        wanted = set(days)
        for registration in self.all():
            if registration.family != family:
                continue
            for day in wanted.intersection(registration.days.get(table, [])):
                current = best.get(day)
                if current is None or (registration.exported_at, registration.registered_at) > (current.exported_at, current.registered_at):
                    best[day] = registration
        return best

    def read_days(self, family: str, table: str, days: list[str]) -> tuple[pd.DataFrame, dict[str, str]]:
        """The canonical rows of `days`, each day from its winning export; also {day: winning file name}."""
        spec = TABLES[table]
        winners = self.winners(family, table, days)
        by_file: dict[str, list[str]] = {}
        for day, registration in winners.items():
            by_file.setdefault(registration.file_hash, []).append(day)
        tables = []
        for digest, file_days in by_file.items():
            staged = read_table(self._staged(family, table, digest))
            wanted = pa.array(pd.DatetimeIndex(file_days), type=staged.schema.field(spec.partition_column).type)
            tables.append(staged.filter(pc.is_in(staged[spec.partition_column], value_set=wanted)))
        tables = [t for t in tables if t.num_rows]
        frame = pa.concat_tables(tables, promote_options="default").to_pandas() if tables else spec.empty()
        sort = [spec.partition_column, *[k for k in spec.key if k != spec.partition_column]]
        frame = frame.sort_values(sort, kind="stable").reset_index(drop=True)
        return frame, {day: reg.original_name for day, reg in sorted(winners.items())}

    def dated_rate_currencies(self) -> frozenset[str]:
        """Currencies any registered FX table gives a rate for."""
        folder = self.root / "fx_rates" / "fx_rates"
        frames = [read_parquet(folder / f"{stem}.parquet", ["currency"]) for stem in stems(folder)]
        return frozenset(pd.concat(frames)["currency"].dropna().unique()) if frames else frozenset()

    def covered_days(self) -> list[str]:
        return sorted({d for registration in self.all() for days in registration.days.values() for d in days})


def _safe_name(name: str) -> str:
    """A file name that cannot escape its folder or smuggle odd characters into paths."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "file"
    return cleaned[:150]


@dataclass
class Scan:
    """What one look at the landing folder did."""

    registered: list[Registration]
    duplicates: list[Registration]
    rejected: list[Rejection]
    waiting: list[str]
    state: dict


def scan_landing(registry: Registry, state: dict, now: float, settle_seconds: float = SETTLE_SECONDS,
                 max_files: int = 200, time_budget: float = 40.0) -> Scan:
    """Register the landed files that are complete; remember the others' size and mtime for the next look.

    A file is complete when it is unchanged since the previous look, or untouched for `settle_seconds`.
    At most `max_files` (and about `time_budget` seconds of work) per look; the rest wait for the next one.
    """
    seen: dict[str, list[int]] = state.get("seen", {})
    next_seen: dict[str, list[int]] = {}
    scan = Scan([], [], [], [], state)
    started = time.monotonic()
    landing = registry.settings.landing_dir
    for path in registry.landed_files():
        stat = path.stat()
        key = str(path.relative_to(landing))
        signature = [stat.st_size, stat.st_mtime_ns]
        # An object in a bucket is whole from the moment it is listed (an upload appears at its end, at once).
        complete = is_remote(landing) or seen.get(key) == signature or now - stat.st_mtime >= settle_seconds
        over_budget = len(scan.registered) + len(scan.rejected) + len(scan.duplicates) >= max_files or time.monotonic() - started > time_budget
        if not complete or over_budget:
            next_seen[key] = signature
            scan.waiting.append(key)
            continue
        outcome = registry.register(path)
        if isinstance(outcome, Rejection):
            scan.rejected.append(outcome)
        elif outcome.duplicate_of_known_file:
            scan.duplicates.append(outcome)
        else:
            scan.registered.append(outcome)
    scan.waiting += [str(path.relative_to(landing)) for path in registry.partial_files()]
    scan.state = {**state, "seen": next_seen}
    return scan
