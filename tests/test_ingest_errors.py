"""Never a traceback, never a silent surprise: expected failures, warnings and exit codes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _mini import FAM_HEADER, IDENTIFIERS, PAY_HEADER, write_csv, write_mini
from typer.testing import CliRunner

import noream_eval
from noream_eval.cli import app
from noream_eval.errors import ConfigError
from noream_eval.ingest import load
from noream_eval.ingest.build import Built, Prepared
from noream_eval.ingest.keys import validated
from noream_eval.ingest.ledger import RowLedger
from noream_eval.ingest.pseudonymise import ENV_KEY
from noream_eval.schema import conform

runner = CliRunner()


@pytest.fixture
def mini(tmp_path, monkeypatch) -> Path:
    monkeypatch.delenv(ENV_KEY, raising=False)
    return write_mini(tmp_path)


def _config(mini: Path, old: str, new: str) -> None:
    text = mini.read_text("utf-8")
    assert old in text
    mini.write_text(text.replace(old, new, 1), "utf-8")


# ------------------------------------------------------------- validation failures


def test_two_validation_failures_in_one_table_reject_both_rows(mini):
    # Found: a payment of 1e12 and a date in 1899 in one table ended in "The truth value
    # of an array with more than one element is ambiguous" (arrays in DataFrame.attrs).
    write_csv(
        mini.parent / "payments.csv",
        PAY_HEADER,
        [
            ["T1", "NRPF-0001", "01/03/2021", "Section 17", "1000000000000"],
            ["T2", "NRPF-0001", "01/01/1899", "Section 17", "£10"],
            ["T3", "NRPF-0001", "02/03/2021", "Section 17", "£20"],
        ],
        "cp1252",
    )
    data = load(mini)
    rj = data.rejects.loc[data.rejects["source"] == "payments"]
    assert rj[["row", "field", "action"]].values.tolist() == [
        [2, "Amount", "row_rejected"],
        [3, "Date Paid", "row_rejected"],
    ]
    assert rj["value"].tolist() == ["1000000000000", "01/01/1899"]
    assert "outside the allowed range" in rj["reason"].iloc[0]
    assert "before 1900-01-01" in rj["reason"].iloc[1]
    assert data.payments["amount_gbp"].tolist() == [20.0]


def test_validation_rejects_name_column_row_and_value():
    # Rows reaching validation with two different failures: both rejected, each naming
    # the raw column and the (scrubbed) value.
    from noream_eval.config import parse_config

    raw = {
        "evaluation": {"data_cut": "2022-06-30"},
        "sources": {
            "families": {
                "path": "f.csv",
                "columns": {"Ref": "family_ref", "Cohort": "cohort", "Start": "first_contact_date"},
            },
            "payments": {
                "path": "p.csv",
                "columns": {
                    "Txn": "payment_id",
                    "Client": "family_ref",
                    "Paid": "payment_date",
                    "Code": "scheme",
                    "Amount": "amount_gbp",
                },
            },
        },
    }
    cfg = parse_config(raw, base_dir=Path("."))
    table = conform(
        "payments",
        pd.DataFrame(
            {
                "payment_id": ["p1", "p2", "p3"],
                "family_id": ["f1", "f1", "f1"],
                "payment_date": pd.to_datetime(["2021-01-01", "1899-05-05", "2021-01-02"]),
                "scheme": ["s17", "s17", "s17"],
                "type": ["unknown"] * 3,
                "amount_gbp": [1e12, 5.0, 6.0],
            }
        ),
    )
    ledger = RowLedger("payments", ["p.csv"], np.zeros(5, np.int32), np.arange(2, 7))
    p = Prepared(cfg.sources["payments"], ledger, pd.DataFrame(index=range(5)))
    out = validated("payments", Built(table, np.array([1, 3, 4])), p)
    assert out["payment_id"].tolist() == ["p3"]
    rj = ledger.rejects(lambda s: s.astype(str))
    assert rj[["row", "field", "value"]].values.tolist() == [
        [3, "Amount", "1000000000000.0"],
        [5, "Paid", "1899-05-05 00:00:00"],
    ]
    assert set(rj["action"]) == {"row_rejected"}


# ------------------------------------------------------------------------- config


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('key_file = "test.key"', 'key_file = "test.key"\ndat_cut = 1', "['dat_cut']"),
        (
            "[sources.families]",
            "[parameters]\nwindow_day = 30\n\n[sources.families]",
            "Did you mean 'window_days'?",
        ),
        (
            "[sources.families]",
            "[parameters]\nwindow_days = -3\n\n[sources.families]",
            "window_days = -3",
        ),
        (
            "[sources.families]",
            "[instruments.gad7]\nn_items = 7\nitem_min = 0\nitem_max = 3\nanchor = {}\n"
            "\n[sources.families]",
            "unknown setting(s) ['anchor']",
        ),
        (
            '"School" = "education"',
            '"School" = "education"\n"SCHOOL " = "health"',
            "'School' and 'SCHOOL ' are the same code",
        ),
        ('path = "payments.csv"', 'path = "payments.csv"\nsheet = "Ledger"', "format is csv"),
        ('path = "payments.csv"', 'path = "payments.csv"\ndelimiter = ":"', "delimiter = ':'"),
        ('path = "payments.csv"', 'path = "payments.csv"\nheader_row = [3, 5]', "[3, 5]"),
    ],
)
def test_config_mistakes_are_config_errors(mini, old, new, message):
    _config(mini, old, new)
    with pytest.raises(ConfigError) as err:
        load(mini)
    assert message in str(err.value)
    result = runner.invoke(app, ["ingest", str(mini), "--out", str(mini.parent / "o"), "-q"])
    assert result.exit_code == 2
    assert "Traceback" not in result.output and message in result.output


def test_parameters_given_are_recorded(mini):
    _config(mini, "[sources.families]", "[parameters]\nwindow_days = 180\n\n[sources.families]")
    prov = load(mini).provenance
    assert prov["parameters"]["window_days"] == 180
    assert prov["parameters_given"] == ["window_days"]


# ------------------------------------------------------------------------ warnings


def test_header_only_families_warns_and_rejects_every_linked_row(mini):
    write_csv(mini.parent / "families.csv", FAM_HEADER, [], "utf-8-sig")
    data = load(mini)
    assert data.families.empty
    messages = data.warnings["message"].tolist()
    assert any(m.startswith("families.csv: has a header row but no data rows.") for m in messages)
    assert any("the families table is empty" in m for m in messages)
    assert any(m.startswith("referrals.csv: none of its") for m in messages)
    assert data.payments.empty and data.referrals.empty
    rj = data.rejects.loc[data.rejects["source"] == "payments"]
    assert (rj["reason"] == "family reference not found in the families export").sum() == 3
    result = runner.invoke(app, ["ingest", str(mini), "--out", str(mini.parent / "o")])
    assert result.exit_code == 0
    assert "warning: families.csv: has a header row but no data rows." in result.output


def test_absent_identifier_column_is_a_warning(mini):
    _config(mini, 'identifiers = ["Postcode"]', 'identifiers = ["Postcode", "Mobile"]')
    data = load(mini)
    [w] = data.warnings.itertuples()
    assert (w.source, w.file, w.field) == ("referrals", "referrals.csv", "Mobile")
    assert "'Mobile'" in w.message and "referrals.csv" in w.message
    out = mini.parent / "o"
    result = runner.invoke(app, ["ingest", str(mini), "--out", str(out)])
    assert result.exit_code == 0
    assert "warning: referrals.csv: the identifier column 'Mobile'" in result.output
    assert "identifier column 'Mobile'" in (out / "ingest_report.md").read_text("utf-8")


# ----------------------------------------------------------------------------- CLI


def test_version():
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"noream-eval {noream_eval.__version__}"


def test_internal_error_is_one_line_and_exit_3(mini, monkeypatch):
    import noream_eval.ingest.keys as keys

    def broken(*args, **kwargs):
        raise RuntimeError("boom with a value 07700 900111")

    monkeypatch.setattr(keys, "link", broken)
    out = mini.parent / "o"
    result = runner.invoke(app, ["ingest", str(mini), "--out", str(out)])
    assert result.exit_code == 3
    last = result.output.strip().splitlines()[-1]
    assert last.startswith("internal error in linking records and removing duplicates;")
    assert "please report it with the command and the config, not the data" in last
    assert "Traceback" not in result.output and "boom" not in result.output
    assert not out.exists()
    debug = runner.invoke(app, ["--debug", "ingest", str(mini), "--out", str(out)])
    assert debug.exit_code == 3
    assert "Traceback" in debug.output and "RuntimeError" in debug.output


def test_console_script_exit_codes(mini, tmp_path):
    exe = Path(sys.executable).with_name("noream-eval")
    if not exe.exists():
        pytest.skip("console script not installed in this environment")
    _config(mini, "[sources.families]", "[parameters]\nwindow_day = 30\n\n[sources.families]")
    proc = subprocess.run(
        [str(exe), "ingest", str(mini), "--out", str(tmp_path / "o")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stderr.startswith(
        "error: evaluation.toml: [parameters] has unknown setting(s) ['window_day']"
    )
    assert "Traceback" not in proc.stderr
    log = (proc.stdout + proc.stderr).lower()
    assert not [v for v in IDENTIFIERS if v.lower() in log]
