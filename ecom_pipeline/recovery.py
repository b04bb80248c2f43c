"""After a crash: what a killed run left behind is swept, and a run that died no longer claims to be running.

Files are written atomically through `.<name>.<pid>.tmp`; a process killed mid-write leaves that file behind for
good. The command line's runs carry their process id and host, so a later run can tell a dead one from one still
working (Dagster's run monitoring does the same for the runs its daemon launches).
"""

from __future__ import annotations

import os
import re
import socket
import time
from pathlib import Path

PID_TAG, HOST_TAG = "ecom_pipeline/pid", "ecom_pipeline/host"
_TEMP = re.compile(r"^\..+\.(\d+)\.tmp$")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def run_tags() -> dict[str, str]:
    """Tags that let a later run tell whether this one's process is still there."""
    return {PID_TAG: str(os.getpid()), HOST_TAG: socket.gethostname()}


def sweep_temp_files(data_dir: Path, landing_dir: Path, older_than: float = 3600.0) -> list[Path]:
    """Remove the temporary files of writers that are gone: their process has ended, and they are older than an hour
    (a writer on another machine sharing the directory has a pid this host cannot see). Never anything in the landing
    folder: those files are the user's."""
    swept = []
    now = time.time()
    for path in data_dir.rglob(".*.tmp"):
        match = _TEMP.match(path.name)
        if (match and landing_dir not in path.parents and path.is_file() and now - path.stat().st_mtime > older_than
                and not _alive(int(match.group(1)))):
            path.unlink(missing_ok=True)
            swept.append(path)
    return swept


def fail_dead_runs(instance) -> list[str]:
    """Mark failed the command line's runs still STARTED whose process on this host is gone; their run ids."""
    from dagster import DagsterRunStatus, RunsFilter

    failed = []
    host = socket.gethostname()
    for run in instance.get_runs(filters=RunsFilter(statuses=[DagsterRunStatus.STARTED])):
        pid, where = run.tags.get(PID_TAG), run.tags.get(HOST_TAG)
        if pid and where == host and not _alive(int(pid)):
            instance.report_run_failed(run, message=f"process {pid} ended without finishing the run (killed?); a later run marked it failed")
            failed.append(run.run_id)
    return failed
