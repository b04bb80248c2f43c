"""The quarantine and ingest-log tables in Dagster, and the job that turns a rejected file into a failed run."""

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    AssetSpec,
    Config,
    Failure,
    MaterializeResult,
    MetadataValue,
    job,
    multi_asset,
    op,
)

from ecom_pipeline import warehouse
from ecom_pipeline.defs.assets import RAW_ASSETS
from ecom_pipeline.defs.metadata import column_schema, markdown, preview
from ecom_pipeline.defs.resources import PipelineSettings, Warehouse
from ecom_pipeline.ingest_log import ingest_log_table, quarantine_table
from ecom_pipeline.schemas import INGEST_LOG, QUARANTINE

REJECTED_FILE_JOB = "rejected_file_job"


def build_validation_asset(dialect: str) -> AssetsDefinition:
    raw = [AssetKey(name) for name in RAW_ASSETS]

    @multi_asset(
        name="validation_tables",
        specs=[
            AssetSpec(AssetKey("quarantine"), deps=raw, group_name="validation", kinds={"pandas", "sqlalchemy", dialect},
                      description=QUARANTINE.description + " Published to the warehouse table `quarantine`.",
                      metadata={"dagster/column_schema": column_schema(QUARANTINE)}),
            AssetSpec(AssetKey("ingest_log"), deps=[AssetKey("quarantine")], group_name="validation", kinds={"pandas", "sqlalchemy", dialect},
                      description=INGEST_LOG.description + " Published to the warehouse table `ingest_log`.",
                      metadata={"dagster/column_schema": column_schema(INGEST_LOG)}),
        ],
        check_specs=[AssetCheckSpec("rows_accounted_for", asset=AssetKey("ingest_log"), blocking=True,
                                    description="for every file, rows_read = rows_loaded + rows_quarantined + rows_skipped")],
    )
    def validation_tables(context: AssetExecutionContext, pipeline: PipelineSettings, warehouse_db: Warehouse):
        registry = pipeline.registry()
        quarantine = quarantine_table(registry, pipeline.settings().lake_dir)
        log = ingest_log_table(registry, quarantine)
        engine = warehouse_db.engine()
        warehouse.publish(engine, "quarantine", QUARANTINE, quarantine, None)
        warehouse.publish(engine, "ingest_log", INGEST_LOG, log, None)
        by_rule = quarantine.groupby(["table", "rule"]).size().rename("rows").reset_index().sort_values("rows", ascending=False)
        yield MaterializeResult(asset_key=AssetKey("quarantine"), metadata={
            "dagster/row_count": len(quarantine),
            "by_rule": MetadataValue.md(by_rule.to_markdown(index=False) if len(by_rule) else "_nothing held back_"),
            "preview": preview(quarantine, QUARANTINE),
        })
        rejected = log[log["rejected"].fillna(False)]
        yield MaterializeResult(asset_key=AssetKey("ingest_log"), metadata={
            "dagster/row_count": len(log), "files_rejected": len(rejected),
            "rows_read": int(log["rows_read"].sum()), "rows_loaded": int(log["rows_loaded"].sum()),
            "rows_quarantined": int(log["rows_quarantined"].sum()), "rows_skipped": int(log["rows_skipped"].sum()),
            "rejected_files": markdown(rejected[["original_name", "reason"]]),
            "preview": preview(log.drop(columns=["stored_as"]), INGEST_LOG),
        })
        broken = log[log["rows_read"] != log["rows_loaded"] + log["rows_quarantined"] + log["rows_skipped"]]
        yield AssetCheckResult(
            asset_key=AssetKey("ingest_log"), check_name="rows_accounted_for", passed=broken.empty,
            severity=AssetCheckSeverity.ERROR,
            description="every row of every file is loaded or quarantined" if broken.empty else f"{len(broken)} file(s) lose rows",
            metadata={"files": len(log), "files_losing_rows": markdown(broken[["original_name", "rows_read", "rows_loaded", "rows_quarantined", "rows_skipped"]])},
        )

    return validation_tables


class RejectedFile(Config):
    file: str
    reason: str
    moved_to: str


@op(description="Fails with the reason a landed file could not be used, so that it shows as a failed run.")
def report_rejected_file(config: RejectedFile) -> None:
    raise Failure(
        description=f"{config.file} was rejected: {config.reason}",
        metadata={"file": config.file, "reason": config.reason, "moved_to": config.moved_to},
        allow_retries=False,
    )


@job(name=REJECTED_FILE_JOB, description="A landed file that could not be read at all: the run fails with the reason; "
     "the file waits in data/rejected/ beside a .reason.txt. Drop a corrected file into the landing folder.")
def rejected_file_job():
    report_rejected_file()


def rejected_run_config(file: str, reason: str, moved_to: str) -> dict:
    return {"ops": {"report_rejected_file": {"config": {"file": file, "reason": reason, "moved_to": moved_to}}}}

