"""Tests of the command line: help texts, the sample command, exit codes."""

from __future__ import annotations

import filecmp
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from noream_eval.cli import app

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
runner = CliRunner()


@pytest.mark.parametrize(
    ("args", "expected", "code"),
    [
        ([], "ingest", 2),  # a bare command shows the help and exits 2 (typer's convention)
        (["--help"], "Start with `noream-eval sample", 0),
        (["ingest", "--help"], "rejects.csv", 0),
        (["sample", "--help"], "known true effects", 0),
        (["metrics", "--help"], "indicators.csv", 0),
    ],
)
def test_help_explains_itself(args, expected, code):
    result = runner.invoke(app, args)
    assert expected in result.output
    assert result.exit_code == code


def test_sample_command_reproduces_shipped_sample(tmp_path):
    out = tmp_path / "s"
    result = runner.invoke(app, ["sample", "--out", str(out)])
    assert result.exit_code == 0, result.output
    files = sorted(p.name for p in SAMPLE.iterdir())
    match, mismatch, errors = filecmp.cmpfiles(SAMPLE, out, files, shallow=False)
    assert not mismatch and not errors and sorted(match) == files


def test_sample_refuses_to_overwrite_without_force(tmp_path):
    out = tmp_path / "s"
    out.mkdir()
    (out / "keep.txt").write_text("x", "utf-8")
    result = runner.invoke(app, ["sample", "--out", str(out)])
    assert result.exit_code == 2
    assert "error:" in result.output


def test_console_script_runs_end_to_end(tmp_path):
    exe = Path(sys.executable).with_name("noream-eval")
    if not exe.exists():
        pytest.skip("console script not installed in this environment")
    out = tmp_path / "out"
    proc = subprocess.run(
        [str(exe), "ingest", str(SAMPLE / "evaluation.toml"), "--out", str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "reading payments" in proc.stderr  # progress goes to stderr
    assert "Ingested 10,854 raw rows" in proc.stdout
    assert (out / "ingest_report.md").exists()
    from _privacy import sample_identifiers

    log = (proc.stdout + proc.stderr).lower()
    assert not [v for v in sample_identifiers() if v.lower() in log]
    bad = subprocess.run(
        [str(exe), "ingest", str(tmp_path / "missing.toml"), "--out", str(tmp_path / "x")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 2
    assert "missing.toml not found" in bad.stderr
    assert not (tmp_path / "x").exists()


def test_progress_bar_is_drawn_for_files_when_live(capsys):
    # On a terminal the reading of a many-file source shows a bar; the line after it
    # says how many files and raw rows were read.
    from noream_eval.cli import _Progress

    p = _Progress(quiet=False, live=True)
    p("reading referrals")
    for done in (1, 2, 3):
        p.advance(done, 3, 100 * done)
    p("reading families")
    err = capsys.readouterr().err
    assert "reading referrals …" in err
    assert "3 files read (300 raw rows so far)" in err
    assert err.index("3 files read") < err.index("reading families")
    quiet = _Progress(quiet=True, live=True)
    quiet("x")
    quiet.advance(1, 1, 5)
    assert capsys.readouterr().err == ""


def test_metrics_command_writes_results_that_read_back(tmp_path):
    from noream_eval.metrics.results import Results

    out = tmp_path / "m"
    result = runner.invoke(app, ["metrics", str(SAMPLE / "evaluation.toml"), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Progression criteria:" in result.output and f"Results in {out}/" in result.output
    back = Results.from_dir(out)
    assert {"evidence_of_promise", "progression"} <= set(back.table_names)
    assert (out / "indicators.csv").is_file() and (out / "indicators.parquet").is_file()
    again = runner.invoke(app, ["metrics", str(SAMPLE / "evaluation.toml"), "--out", str(out)])
    assert again.exit_code == 2 and "already exists" in again.output


def test_metrics_command_names_a_config_mistake(tmp_path):
    cfg = tmp_path / "evaluation.toml"
    text = (SAMPLE / "evaluation.toml").read_text("utf-8")
    cfg.write_text(text.replace('family = "quasipoisson"', 'family = "poison"'), "utf-8")
    result = runner.invoke(app, ["metrics", str(cfg), "--out", str(tmp_path / "m")])
    assert result.exit_code == 2
    assert "evaluation.toml: [its] family = 'poison'" in result.output
    assert "Did you mean 'poisson'?" in result.output
    assert not (tmp_path / "m").exists()
