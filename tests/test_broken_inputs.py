"""Broken inputs through the command line: the right exit code and a message that helps.

Each case breaks one thing in a copy of a small valid export (``_mini``, or the
second LA of ``_second_la`` where a workbook is needed) and runs ``noream-eval
ingest``. For every case: the exact exit code (0 done, 2 bad input or config), a
message naming the file (and the row or column where there is one) and saying what
to do, no traceback, none of the identifiers planted in the data in the output,
and, when the run fails, no output folder and no hidden temporary folder beside it.
"""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
import xlsxwriter
from _mini import IDENTIFIERS, PAY_HEADER, PAYMENTS, write_csv, write_mini
from _privacy import assert_no_identifiers
from _second_la import write_second_la
from typer.testing import CliRunner

from noream_eval.cli import app
from noream_eval.ingest.pseudonymise import ENV_KEY

runner = CliRunner()

# Identifiers in the mini export's data rows (families and referrals): names, phone
# numbers, postcodes and references. Every case runs on data holding them.
MINI_PLANTED = [*IDENTIFIERS, "Okonkwo", "Quince", "Fairweather", "07700900111", "E81EA"]


def _edit(config: Path, old: str, new: str) -> None:
    text = config.read_text("utf-8")
    assert old in text, old
    config.write_text(text.replace(old, new, 1), "utf-8")


# --------------------------------------------------------------------------- cases


@dataclass(frozen=True)
class Case:
    """One broken input: how to break it and what the command must say.

    ``says`` are substrings the output must hold: the file (or config table) at
    fault, the row or column where there is one, and the advice.
    """

    id: str
    base: str  # "mini" or "la"
    breaks: Callable[[Path], None]  # receives the config path
    exit_code: int
    says: tuple[str, ...]


def _missing_file(cfg: Path) -> None:
    (cfg.parent / "payments.csv").unlink()


def _wrong_sheet(cfg: Path) -> None:
    _edit(cfg, 'sheet = "Household list"', 'sheet = "Households"')


def _sheet_in_other_case(cfg: Path) -> None:
    _edit(cfg, 'sheet = "Household list"', 'sheet = "household LIST"')


def _no_sheet(cfg: Path) -> None:
    _edit(cfg, 'sheet = "Household list"\n', "")


def _header_on_data_row(cfg: Path) -> None:
    _edit(cfg, 'path = "families.csv"', 'path = "families.csv"\nheader_row = 2')


def _header_rows_on_data_rows(cfg: Path) -> None:
    _edit(cfg, "header_row = [3, 4]", "header_row = [5, 6]")


def _empty_file(cfg: Path) -> None:
    (cfg.parent / "payments.csv").write_bytes(b"")


def _header_only(cfg: Path) -> None:
    write_csv(cfg.parent / "payments.csv", PAY_HEADER, [], "cp1252")


def _utf16(cfg: Path) -> None:
    p = cfg.parent / "payments.csv"
    p.write_bytes(p.read_bytes().decode("cp1252").encode("utf-16"))


def _workbook_as_csv(cfg: Path) -> None:
    wb = xlsxwriter.Workbook(str(cfg.parent / "payments.csv"))
    ws = wb.add_worksheet("Ledger")
    for r, row in enumerate([PAY_HEADER, *PAYMENTS]):
        for c, value in enumerate(row):
            ws.write_string(r, c, value)
    wb.close()


def _config_edit(old: str, new: str) -> Callable[[Path], None]:
    return lambda cfg: _edit(cfg, old, new)


def _absent_identifier(cfg: Path) -> None:
    _edit(cfg, 'identifiers = ["Postcode"]', 'identifiers = ["Postcode", "Mobile"]')


def _two_validation_failures(cfg: Path) -> None:
    write_csv(
        cfg.parent / "payments.csv",
        PAY_HEADER,
        [
            ["T1", "NRPF-0001", "01/03/2021", "Section 17", "1000000000000"],
            ["T2", "NRPF-0001", "01/01/1899", "Section 17", "£10"],
            ["T3", "NRPF-0001", "02/03/2021", "Section 17", "£20"],
        ],
        "cp1252",
    )


def _no_key(cfg: Path) -> None:
    _edit(cfg, 'key_file = "test.key"\n', "")


def _key_file_missing(cfg: Path) -> None:
    (cfg.parent / "test.key").unlink()


def _ragged_row(cfg: Path) -> None:
    # An amount with a thousands comma, not quoted: the row has one cell too many.
    p = cfg.parent / "payments.csv"
    text = p.read_bytes().decode("cp1252")
    text += "T6,NRPF-0001,10/03/2021,Section 17,£1,234.50\r\n"
    p.write_bytes(text.encode("cp1252"))


def _wrong_delimiter(cfg: Path) -> None:
    # The file is semicolon-separated, the config says comma: the header is one
    # column and the row holding "£1,234.50" is ragged.
    p = cfg.parent / "payments.csv"
    with p.open("w", encoding="cp1252", newline="") as fh:
        w = csv.writer(fh, delimiter=";", lineterminator="\r\n")
        w.writerows([PAY_HEADER, *PAYMENTS])
    _edit(cfg, 'path = "payments.csv"', 'path = "payments.csv"\ndelimiter = ","')


CONFIG_TYPOS = [
    Case(
        "typo_evaluation",
        "mini",
        _config_edit("data_start =", "dayfist = true\ndata_start ="),
        2,
        ("[evaluation] has unknown setting(s) ['dayfist']", "Did you mean 'dayfirst'?"),
    ),
    Case(
        "typo_parameters",
        "mini",
        _config_edit("[sources.families]", "[parameters]\nwindow_day = 30\n\n[sources.families]"),
        2,
        ("[parameters] has unknown setting(s) ['window_day']", "Did you mean 'window_days'?"),
    ),
    Case(
        "typo_source",
        "mini",
        _config_edit('path = "payments.csv"', 'path = "payments.csv"\nheader_rows = 1'),
        2,
        ("[sources.payments] has unknown setting(s) ['header_rows']", "Did you mean 'header_row'?"),
    ),
    Case(
        "typo_column_target",
        "mini",
        _config_edit('"Amount" = "amount_gbp"', '"Amount" = "amount_gpb"'),
        2,
        # The message lists the fields, the right one among them.
        ("[sources.payments].columns maps 'Amount' to 'amount_gpb'", "'amount_gbp'"),
    ),
    Case(
        "typo_values_field",
        "mini",
        _config_edit("[sources.payments.values.scheme]", "[sources.payments.values.schem]"),
        2,
        ("[sources.payments].values.schem", "categorical fields: ['scheme'"),
    ),
    Case(
        "typo_instrument",
        "mini",
        _config_edit(
            "[sources.families]",
            "[instruments.gad7]\nn_items = 7\nitem_min = 0\nitem_max = 3\nanchor = {}\n"
            "\n[sources.families]",
        ),
        2,
        ("[instruments.gad7] has unknown setting(s) ['anchor']", "Did you mean 'anchors'?"),
    ),
    Case(
        "typo_top_level",
        "mini",
        _config_edit("[sources.payments]\n", "[source.payments]\n"),
        2,
        ("The config has unknown setting(s) ['source']", "Did you mean 'sources'?"),
    ),
]

CASES = [
    Case(
        "missing_file",
        "mini",
        _missing_file,
        2,
        ("[sources.payments] path = 'payments.csv' matches no file", "Check the file name"),
    ),
    Case(
        "wrong_sheet",
        "la",
        _wrong_sheet,
        2,
        (
            "exports/families.xlsx: has no sheet 'Households'",
            "Sheets found: 'Read me', 'Household list'",
            "Check `sheet` in the config",
        ),
    ),
    Case(
        "sheet_in_other_case",
        "la",
        _sheet_in_other_case,
        2,
        ("exports/families.xlsx: has no sheet", "Did you mean 'Household list'?"),
    ),
    Case(
        "no_sheet_of_several",
        "la",
        _no_sheet,
        2,
        (
            "exports/families.xlsx: the workbook has 2 sheets ('Read me', 'Household list')",
            "set `sheet` in the source profile",
        ),
    ),
    Case(
        "header_on_data_row",
        "mini",
        _header_on_data_row,
        2,
        (
            "families.csv: row 2 does not look like a header row",
            "check `header_row` in the config",
            "The expected headers are in row 1: set header_row = 1.",
        ),
    ),
    Case(
        "header_rows_on_data_rows_xlsx",
        "la",
        _header_rows_on_data_rows,
        2,
        (
            "exports/families.xlsx, sheet 'Household list': row 5 does not look like a header",
            "check `header_row` in the config",
        ),
    ),
    Case(
        "empty_file",
        "mini",
        _empty_file,
        2,
        ("payments.csv: the file is empty", "Export it again"),
    ),
    # 0: a header without rows is a valid (empty) export; the run warns and goes on.
    Case(
        "header_only",
        "mini",
        _header_only,
        0,
        (
            "warning: payments.csv: has a header row but no data rows.",
            "the payments table is empty after ingest of [sources.payments]",
        ),
    ),
    # 0: UTF-16 with a byte order mark is one of the encodings read (Excel's "Unicode text").
    Case("utf16", "mini", _utf16, 0, ("payments", "3 rows")),
    Case(
        "workbook_as_csv",
        "mini",
        _workbook_as_csv,
        2,
        ("payments.csv: this looks like an Excel workbook, not a CSV", 'set format = "xlsx"'),
    ),
    *CONFIG_TYPOS,
    Case(
        "unknown_canonical_field",
        "mini",
        _config_edit('"Amount" = "amount_gbp"', '"Amount" = "amount_gbp"\n"Memo" = "notes"'),
        2,
        ("[sources.payments].columns maps 'Memo' to 'notes', which is not a field", "fields: ["),
    ),
    Case(
        "value_map_collision",
        "mini",
        _config_edit('"Section 17" = "s17"', '"Section 17" = "s17"\n"SECTION-17" = "noream_grant"'),
        2,
        (
            "[sources.payments].values.scheme: 'Section 17' and 'SECTION-17' are the same code",
            "Keep one entry, or make them map to the same value.",
        ),
    ),
    # 0: an identifier column that is not there holds nothing to drop; the run warns.
    Case(
        "absent_identifier_column",
        "mini",
        _absent_identifier,
        0,
        ("warning: referrals.csv: the identifier column 'Mobile'", "check the column name"),
    ),
    # 0: rows failing checks are rejected one by one (listed in rejects.csv); the run goes on.
    Case(
        "two_validation_failures",
        "mini",
        _two_validation_failures,
        0,
        ("9 rejected",),
    ),
    Case(
        "no_key",
        "mini",
        _no_key,
        2,
        ("No pseudonymisation key", f"set {ENV_KEY} or name a key file with key_file"),
    ),
    Case(
        "key_file_missing",
        "mini",
        _key_file_missing,
        2,
        ("The key file test.key named in the config cannot be read", f"Create it or set {ENV_KEY}"),
    ),
    Case(
        "ragged_row",
        "mini",
        _ragged_row,
        2,
        (
            "payments.csv: 1 row(s) have more cells than the 5 column headers in header row 1 "
            "(row 7)",
            "re-export the file with quoted text or fix those rows",
        ),
    ),
    Case(
        "wrong_delimiter_ragged_row",
        "mini",
        _wrong_delimiter,
        2,
        (
            "payments.csv: 1 row(s) have more cells than the 1 column headers in header row 1 "
            "(row 2)",
            "read with comma (,) as the delimiter: if it uses another one, set `delimiter`",
        ),
    ),
]


@pytest.fixture
def no_env_key(monkeypatch) -> None:
    monkeypatch.delenv(ENV_KEY, raising=False)


def _prepare(case: Case, folder: Path) -> tuple[Path, list[str]]:
    folder.mkdir()
    if case.base == "la":
        la = write_second_la(folder)
        config, planted = la.config, la.planted
    else:
        config, planted = write_mini(folder), MINI_PLANTED
    case.breaks(config)
    return config, planted


def _check(case: Case, code: int, output: str, out: Path, planted: list[str], tmp: Path) -> None:
    assert code == case.exit_code, output
    assert "Traceback" not in output
    for text in case.says:
        assert text in output, (text, output)
    log = tmp / "log"
    log.mkdir()
    (log / "output.txt").write_text(output, "utf-8")
    assert_no_identifiers(log, planted)
    if code == 0:
        assert_no_identifiers(out, planted)
    else:
        assert output.startswith("error: ") or "\nerror: " in output
        assert not out.exists()
        assert not [p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}.")]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_broken_input(case, tmp_path, no_env_key):
    config, planted = _prepare(case, tmp_path / "export")
    out = tmp_path / "run" / "out"
    out.parent.mkdir()
    result = runner.invoke(app, ["ingest", str(config), "--out", str(out)])
    _check(case, result.exit_code, result.output, out, planted, tmp_path)
    if case.id == "two_validation_failures":
        with (out / "rejects.csv").open(encoding="utf-8", newline="") as fh:
            rows = [r for r in csv.DictReader(fh) if r["source"] == "payments"]
        got = [(r["file"], r["row"], r["field"], r["action"]) for r in rows]
        assert got == [
            ("payments.csv", "2", "Amount", "row_rejected"),
            ("payments.csv", "3", "Date Paid", "row_rejected"),
        ]
        assert "outside the allowed range" in rows[0]["reason"]
        assert "before 1900-01-01" in rows[1]["reason"]
    if case.id == "utf16":
        assert '"encoding": "utf-16"' in (out / "provenance.json").read_text("utf-8")
        assert len(pd.read_parquet(out / "payments.parquet")) == 3  # as from the cp1252 file
    if case.id == "header_only":
        assert pd.read_parquet(out / "payments.parquet").empty


SUBPROCESS_CASES = [c for c in CASES if c.id in ("workbook_as_csv", "utf16")]


@pytest.mark.parametrize("case", SUBPROCESS_CASES, ids=[c.id for c in SUBPROCESS_CASES])
def test_broken_input_console_script(case, tmp_path):
    exe = Path(sys.executable).with_name("noream-eval")
    if not exe.exists():
        pytest.skip("console script not installed in this environment")
    config, planted = _prepare(case, tmp_path / "export")
    out = tmp_path / "run" / "out"
    out.parent.mkdir()
    env = {k: v for k, v in os.environ.items() if k != ENV_KEY}
    proc = subprocess.run(
        [str(exe), "ingest", str(config), "--out", str(out)],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    _check(case, proc.returncode, proc.stderr + proc.stdout, out, planted, tmp_path)


@pytest.mark.parametrize("case", CONFIG_TYPOS, ids=[c.id for c in CONFIG_TYPOS])
def test_config_errors_name_the_config_file(case, tmp_path, no_env_key):
    config, _ = _prepare(case, tmp_path / "export")
    result = runner.invoke(app, ["ingest", str(config), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert config.name in result.output


def test_header_only_warning_says_what_to_do(tmp_path, no_env_key):
    config, _ = _prepare(next(c for c in CASES if c.id == "header_only"), tmp_path / "export")
    result = runner.invoke(app, ["ingest", str(config), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0
    [warning] = [w for w in result.output.splitlines() if "no data rows" in w]
    advice = ("check", "export", "remove", "re-export", "if ")
    assert any(a in warning.lower().split(":", 2)[-1] for a in advice), warning


def test_header_hint_for_a_two_row_header_is_right(tmp_path, no_env_key):
    # The families workbook's header is rows 3-4 (group titles over column names);
    # only "Notes" (no group title) is whole in row 4. Following the advice
    # "set header_row = 4" gives a missing-columns error for 11 columns.
    case = next(c for c in CASES if c.id == "header_rows_on_data_rows_xlsx")
    config, _ = _prepare(case, tmp_path / "export")
    result = runner.invoke(app, ["ingest", str(config), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    advised = re.findall(r"set header_row = (\[[\d, ]+\]|\d+)", result.output)
    assert advised == ["[3, 4]"], result.output
