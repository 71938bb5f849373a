"""Tests of noream_eval.reports.workbook: the tables workbook (reopened with openpyxl) and CSVs.

Layout after the Government Analysis Function guidance "Releasing statistics in
spreadsheets" (https://analysisfunction.civilservice.gov.uk/policy-store/releasing-statistics-in-spreadsheets/):
title in A1, notes above the table, one table per sheet marked up as an Excel table.
Formula neutralisation per OWASP "CSV Injection"
(https://owasp.org/www-community/attacks/CSV_Injection).
"""

from __future__ import annotations

import csv
import datetime as dt
import zipfile

import openpyxl
import pandas as pd
import pytest

from noream_eval.reports.document import MARKERS, Table
from noream_eval.reports.workbook import (
    NUMBER_FORMATS,
    write_table_csv,
    write_workbook,
)
from tests._report_example import FORMULA, ONERROR, SCRIPT, counts_table, numbers_table


@pytest.fixture(scope="module")
def path(tmp_path_factory):
    return write_workbook(
        [counts_table(), numbers_table()],
        tmp_path_factory.mktemp("xlsx") / "tables.xlsx",
        title="NOREAM tables",
        notes=["Counts from 1 to 5 are suppressed.", FORMULA],
    )


@pytest.fixture(scope="module")
def wb(path):
    return openpyxl.load_workbook(path)


def _width(ws, column: int) -> float | None:
    """The width set for a column (openpyxl groups neighbours of equal width)."""
    for dim in ws.column_dimensions.values():
        if dim.min is not None and dim.min <= column <= dim.max and dim.customWidth:
            return dim.width
    return None


def _cells(ws):
    return [c for row in ws.iter_rows() for c in row if c.value is not None]


def test_sheets_contents_first_names_valid(wb):
    assert wb.sheetnames == ["Contents", "families_by_group", "numbers_ every kind _all_"]


def test_sheet_names_unique_and_short(tmp_path):
    frame = pd.DataFrame({"a": ["x"]})
    tables = [
        Table(frame=frame, kinds={}, caption="c", anchor=f"t{i}", name=name)
        for i, name in enumerate(["a" * 40, "a" * 40, "Contents", "x/y?"])
    ]
    wb = openpyxl.load_workbook(write_workbook(tables, tmp_path / "t.xlsx"))
    names = wb.sheetnames
    assert names[0] == "Contents" and len(names) == 5
    assert len({n.lower() for n in names}) == 5 and all(len(n) <= 31 for n in names)
    assert names[1] == "a" * 31 and names[4] == "x_y_"


def test_table_sheet_layout(wb):
    ws = wb["families_by_group"]
    assert ws["A1"].value == f"Families by group {SCRIPT}" and ws["A1"].font.b
    notes = [ws.cell(r, 1).value for r in range(2, 7)]
    assert notes == [
        f"Counts of 1 to 5 are suppressed. {ONERROR}",
        f"c: {MARKERS['c']}",
        f"x: {MARKERS['x']}",
        f"z: {MARKERS['z']}",
        "Source: Sample data, local authority case records",
    ]
    # The header row (and the rows above it) frozen.
    assert ws.freeze_panes == "A8"
    header = [c.value for c in ws[7]]
    assert header == [
        "Group",
        "Families",
        "Share re-referred",
        f"Cost {ONERROR}",
        "p-value",
        "Rating",
    ]
    assert all(c.font.b for c in ws[7])
    assert [c.alignment.horizontal for c in ws[7]] == [
        None,
        "right",
        "right",
        "right",
        "right",
        None,
    ]
    # One Excel table over the header and data.
    (table,) = ws.tables.values()
    assert table.ref == "A7:F11"
    assert [c.name for c in table.tableColumns] == header
    # Every column has a width.
    assert all(_width(ws, j) for j in range(1, 7))
    assert _width(ws, 1) == pytest.approx(40, abs=1)  # the long formula text, capped


def test_numbers_are_numbers_with_their_formats(wb):
    ws = wb["families_by_group"]
    pilot = ws[8]
    assert [c.value for c in pilot] == ["Pilot", 120, 0.1234, 12345.6, 0.0004, "Green"]
    assert [c.data_type for c in pilot[1:5]] == ["n"] * 4
    assert [c.number_format for c in pilot[1:5]] == [
        NUMBER_FORMATS[k] for k in ("count", "share", "gbp", "p_value")
    ]
    assert NUMBER_FORMATS["share"] == "0.0%" and NUMBER_FORMATS["gbp"] == '"£"#,##0;-"£"#,##0'
    ws2 = wb["numbers_ every kind _all_"]
    assert ws2.freeze_panes == "A3"  # no note or source: the header is row 2
    first = ws2[3]
    assert first[0].value == dt.datetime(2025, 3, 1) and first[0].data_type == "d"
    assert [c.number_format for c in first[:6]] == [
        NUMBER_FORMATS[k] for k in ("date", "integer", "number1", "number2", "number3", "percent")
    ]
    assert [c.value for c in ws2[4][:6]] == [
        dt.datetime(2025, 4, 1),
        2_000_000,
        2.675,
        0.0005,
        3.14159,
        99.95,
    ]
    # Every kind's format is used somewhere.
    used = {c.number_format for s in (ws, ws2) for c in _cells(s) if c.data_type in "nd"}
    assert set(NUMBER_FORMATS.values()) <= used


def test_markers_are_right_aligned_text_and_ratings_coloured(wb):
    ws = wb["families_by_group"]
    suppressed = ws["B9"]
    assert suppressed.value == "c" and suppressed.data_type == "s"
    assert suppressed.alignment.horizontal == "right"
    assert suppressed.fill.fgColor.rgb == "FFF3F2F1"
    assert [c.value for c in ws[11][2:]] == ["x", "z", "x", "x"]
    assert all(c.data_type == "s" for c in ws[11][2:])
    assert ws["F11"].alignment.horizontal is None  # a marker in a text column stays left
    assert ws["D10"].value is None  # missing: an empty cell
    rating = ws["F8"]
    assert rating.value == "Green" and rating.font.b and rating.fill.fgColor.rgb == "FF00703C"


def test_nothing_is_a_formula(wb):
    cells = [c for s in wb for c in _cells(s)]
    assert not [c for c in cells if c.data_type == "f"]
    assert wb["families_by_group"]["A11"].value == "'" + FORMULA
    assert wb["numbers_ every kind _all_"]["G3"].value == "'-5 days"
    assert wb["numbers_ every kind _all_"]["G4"].value == "'@risk"
    assert wb["Contents"]["A4"].value == "'" + FORMULA


def test_contents_sheet(wb):
    ws = wb["Contents"]
    assert ws["A1"].value == "NOREAM tables" and ws["A1"].font.b
    assert ws["A2"].value.startswith("This workbook has 2 tables")
    assert ws["A3"].value == "Counts from 1 to 5 are suppressed."
    assert ws.freeze_panes == "A6"
    assert [c.value for c in ws[5]] == ["Sheet", "Table", "Notes", "Source"]
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=6)]
    assert rows[0][:2] == ["families_by_group", f"Families by group {SCRIPT}"]
    assert rows[0][2] == counts_table().full_note
    assert rows[1] == ["numbers_ every kind _all_", "Numbers of every kind", None, None]
    links = [ws.cell(r, 1).hyperlink for r in (6, 7)]
    assert [h.location for h in links] == [
        "'families_by_group'!A1",
        "'numbers_ every kind _all_'!A1",
    ]
    assert all(h.target is None for h in links)  # internal only
    assert all(_width(ws, j) for j in range(1, 5))


def test_valid_office_open_xml(path):
    # Schema and semantic validation against ECMA-376, independent of xlsxwriter.
    openxml_audit = pytest.importorskip("openxml_audit")
    result = openxml_audit.OpenXmlValidator().validate(str(path))
    assert [str(e) for e in result.errors] == []
    assert result.is_valid


def test_properties_deterministic_and_without_times(path, tmp_path):
    again = write_workbook(
        [counts_table(), numbers_table()],
        tmp_path / "again.xlsx",
        title="NOREAM tables",
        notes=["Counts from 1 to 5 are suppressed.", FORMULA],
    )
    assert again.read_bytes() == path.read_bytes()
    with zipfile.ZipFile(path) as z:
        core = z.read("docProps/core.xml").decode()
        assert {i.date_time for i in z.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    assert "dcterms:created" not in core and "dcterms:modified" not in core
    assert "<dc:creator>noream_eval</dc:creator>" in core
    assert "<dc:title>NOREAM tables</dc:title>" in core
    when = dt.datetime(2025, 4, 1, 9, 0)
    dated = write_workbook([counts_table()], tmp_path / "dated.xlsx", created=when)
    assert openpyxl.load_workbook(dated).properties.created == when


def test_empty_workbook_and_empty_table(tmp_path):
    wb = openpyxl.load_workbook(write_workbook([], tmp_path / "none.xlsx"))
    assert wb.sheetnames == ["Contents"]
    assert wb["Contents"]["A2"].value.startswith("This workbook has 0 tables")
    empty = Table(
        frame=pd.DataFrame({"n": pd.Series([], dtype=object)}),
        kinds={"n": "count"},
        caption="Nothing",
        anchor="e",
    )
    ws = openpyxl.load_workbook(write_workbook([empty], tmp_path / "e.xlsx"))["e"]
    assert ws.freeze_panes == "A3" and ws["A2"].value == "n" and not ws.tables


def _read_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def test_table_csv_is_unformatted_and_safe(tmp_path):
    rows = _read_csv(write_table_csv(counts_table(), tmp_path / "counts.csv"))
    assert rows == [
        ["group", "families", "share", "cost", "p", "rating"],
        ["Pilot", "120", "0.1234", "12345.6", "0.0004", "Green"],
        ["Comparison", "c", "0.5", "-250.0", "0.0123", "Amber"],
        [SCRIPT, "1234", "c", "", "0.5", "Red"],
        ["'" + FORMULA, "0", "x", "z", "x", "x"],
    ]
    rows = _read_csv(write_table_csv(numbers_table(), tmp_path / "numbers.csv"))
    assert rows[1] == ["2025-03-01", "10", "1.25", "0.5", "1.0", "12.34", "'-5 days"]
    labelled = _read_csv(write_table_csv(counts_table(), tmp_path / "l.csv", labels=True))
    assert labelled[0] == [
        "Group",
        "Families",
        "Share re-referred",
        f"Cost {ONERROR}",
        "p-value",
        "Rating",
    ]


def test_table_csv_writes_counts_as_whole_numbers(tmp_path):
    table = Table(
        frame=pd.DataFrame(
            {
                "n": [12.0, "c", None],
                "m": pd.array([7, None, 8], dtype="Int64"),
                "month": [pd.Period("2025-04", freq="M"), "x", pd.NaT],
            }
        ),
        kinds={"n": "count", "m": "integer", "month": "date"},
        caption="c",
        anchor="t",
    )
    rows = _read_csv(write_table_csv(table, tmp_path / "t.csv"))
    assert rows == [["n", "m", "month"], ["12", "7", "2025-04"], ["c", "", "x"], ["", "8", ""]]
