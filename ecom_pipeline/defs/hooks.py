"""Job hooks: what a failed step tells the person reading the run in the UI."""

from __future__ import annotations

from dagster import HookContext, failure_hook

from ecom_pipeline.disk_space import is_disk_full, settings_disk_full_sentence


@failure_hook(required_resource_keys={"pipeline"})
def say_disk_full(context: HookContext) -> None:
    """A step that failed on a full disk says, in the run's log, which file system and that a rerun recovers: the
    sensor's and the schedule's runs as clearly as the command line."""
    error = context.op_exception
    if error is not None and is_disk_full(error):
        context.log.error(f"STOPPED: {settings_disk_full_sentence(context.resources.pipeline.settings(), error)}")
