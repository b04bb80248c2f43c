import json

from ecom_pipeline.cli import main


def _isolate(monkeypatch):
    """`run` points the process's environment at its data directory; restore it after the test."""
    for name in ("DAGSTER_HOME", "ECOM_PIPELINE_DATA_DIR", "ECOM_PIPELINE_LANDING_DIR"):
        monkeypatch.delenv(name, raising=False)


def test_generate_writes_exports_and_ground_truth(tmp_path, capsys):
    assert main(["generate", "--out", str(tmp_path / "landing"), "--days", "3", "--seed", "2"]) == 0
    truth = json.loads((tmp_path / "landing" / "ground_truth.json").read_text())
    assert truth["days"] == 3 and truth["seed"] == 2 and truth["start"] == "2025-06-01"
    assert f"{truth['exported_rows']['orders']:,} orders" in capsys.readouterr().out


def test_run_on_an_empty_landing_folder_says_so(tmp_path, capsys, monkeypatch):
    _isolate(monkeypatch)
    assert main(["run", "--data-dir", str(tmp_path / "data")]) == 0
    assert "nothing to run" in capsys.readouterr().out
    assert (tmp_path / "data" / "dagster_home" / "dagster.yaml").exists()


def test_run_reports_a_rejected_file_and_fails(tmp_path, capsys, monkeypatch):
    _isolate(monkeypatch)
    landing = tmp_path / "landing"
    landing.mkdir()
    (landing / "notes.csv").write_text("hello,world\n")
    assert main(["run", "--data-dir", str(tmp_path / "data"), "--landing", str(landing)]) == 1
    assert "REJECTED: notes.csv was rejected: no known export matches" in capsys.readouterr().err
    assert list((tmp_path / "data" / "rejected").glob("*notes.csv.reason.txt"))
    # ... and, as the sensor would, a failed run in the UI that says why.
    from dagster import DagsterInstance, DagsterRunStatus

    with DagsterInstance.from_config(str(tmp_path / "data" / "dagster_home")) as instance:
        (run,) = instance.get_runs()
        assert run.job_name == "rejected_file_job" and run.status == DagsterRunStatus.FAILURE
        failures = [e for e in instance.all_logs(run.run_id) if e.dagster_event and e.dagster_event.event_type_value == "STEP_FAILURE"]
        assert "notes.csv was rejected: no known export matches" in failures[0].dagster_event.step_failure_data.error.message


def test_check_file_json_and_exit_codes(tmp_path, capsys):
    clean = tmp_path / "meta.csv"
    clean.write_text("Reporting starts,Reporting ends,Day,Campaign name,Amount spent (USD)\n2025-06-01,2025-06-01,2025-06-01,A,5\n")
    assert main(["check-file", str(clean), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert list(report) == ["file", "source", "encoding", "rows_read", "rows_loaded", "rows_quarantined", "rows_skipped", "rejected", "reason",
                            "notes", "problems"]
    assert (report["source"], report["rows_read"], report["rows_loaded"], report["problems"]) == ("meta_ads", 1, 1, [])
    dirty = tmp_path / "dirty.csv"
    dirty.write_text(clean.read_text() + "2025-06-01,2025-06-01,2025-06-01,B,-1\n")
    assert main(["check-file", str(dirty)]) == 1
    assert "row 2, column spend: spend_non_negative" in capsys.readouterr().out
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    assert main(["check-file", str(empty), "--json"]) == 2
    assert json.loads(capsys.readouterr().out)["reason"] == "the file is empty"
