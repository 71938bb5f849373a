"""The sample's report.docx and tables.xlsx as a reader's software opens them.

The renderers are tested on a small made-up document in test_report_docx.py and
test_report_workbook.py; here the files are those of one real run of the shipped sample
(the ``sample_report`` fixture), reopened with python-docx and openpyxl.

References
----------
- ECMA-376 Part 1 (Office Open XML): ``w:tblHeader`` (17.4.49) marks a table row repeated
  as the header on each page; ``wp:docPr/@descr`` (20.4.2.5) is a picture's alternative text;
  ``pane/@state="frozen"`` with ``topLeftCell`` (18.3.1.66) freezes the rows above it.
- Government Analysis Function, "Releasing statistics in spreadsheets"
  (https://analysisfunction.civilservice.gov.uk/policy-store/releasing-statistics-in-spreadsheets/):
  a contents sheet, one table per sheet, numbers stored as numbers.
"""

from __future__ import annotations

import csv
import numbers
import re

import pytest

from noream_eval.reports.document import MARKERS
from tests._report_reading import missing_sections

NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][-+]?\d+)?")


@pytest.fixture(scope="module")
def html_tables(sample_report) -> int:
    """How many numbered tables report.html has (the Word file should have as many)."""
    page = (sample_report / "report.html").read_text("utf-8")
    return len(re.findall(r"<caption>Table \d+: ", page))


# ---------------------------------------------------------------- Word


@pytest.fixture(scope="module")
def word(sample_report):
    import docx

    return docx.Document(str(sample_report / "report.docx"))


def test_word_has_every_required_section_as_heading_1(word):
    headings = [p.text for p in word.paragraphs if p.style.name == "Heading 1"]
    assert len(headings) >= 16
    assert not missing_sections(headings), headings
    assert [p.text for p in word.paragraphs if p.style.name == "Title"] == [
        "NOREAM pilot evaluation"
    ]
    assert all(h.strip() for h in headings)


def test_word_tables_have_a_header_row(word, html_tables):
    from docx.oxml.ns import qn

    from noream_eval.reports.docx import TABLE_STYLE

    data = [t for t in word.tables if t.style is not None and t.style.name == TABLE_STYLE]
    assert len(word.tables) > 20 and len(data) > 20
    assert len(data) == html_tables  # the same tables as the web page
    for table in data:
        first = table.rows[0]
        assert first._tr.trPr is not None and first._tr.trPr.find(qn("w:tblHeader")) is not None
        texts = [cell.text.strip() for cell in first.cells]
        assert len(texts) >= 2 and all(texts), texts
        assert len(table.rows) >= 2  # a header and at least one row of data
        assert all(len(row.cells) == len(texts) for row in table.rows)
    captions = [p.text for p in word.paragraphs if p.style.name == "Caption"]
    numbered = [int(m[1]) for c in captions if (m := re.match(r"Table (\d+): \S", c))]
    assert numbered == list(range(1, len(data) + 1))


def test_word_has_every_figure_with_alt_text(word):
    from docx.oxml.ns import qn

    from noream_eval.reports.figures import FIGURES

    shapes = list(word.inline_shapes)
    assert len(shapes) >= 8 and len(shapes) == len(FIGURES)
    for shape in shapes:
        assert shape.width > 0 and shape.height > 0
        doc_pr = shape._inline.find(qn("wp:docPr"))
        assert len(doc_pr.get("descr") or "") > 20
    captions = [p.text for p in word.paragraphs if p.style.name == "Caption"]
    assert [c for c in captions if re.match(r"Figure \d+: \S", c)][-1].startswith(
        f"Figure {len(FIGURES)}:"
    )


# ---------------------------------------------------------------- Excel


@pytest.fixture(scope="module")
def workbook(sample_report):
    import openpyxl

    return openpyxl.load_workbook(sample_report / "tables.xlsx")


@pytest.fixture(scope="module")
def csv_tables(sample_report) -> dict[str, list[list[str]]]:
    """Every published table's CSV (header first), by file name."""
    out = {}
    for path in sorted((sample_report / "tables").glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as f:
            out[path.stem] = list(csv.reader(f))
    return out


def _header_row(ws) -> int:
    """The table's header row: the last frozen row."""
    return int(re.fullmatch(r"A(\d+)", ws.freeze_panes)[1]) - 1


def test_workbook_has_contents_and_one_sheet_per_published_table(workbook, csv_tables):
    assert workbook.sheetnames[0] == "Contents"
    sheets = workbook.sheetnames[1:]
    assert len(sheets) == len(csv_tables) > 20
    assert set(sheets) == {name[:31] for name in csv_tables}
    contents = workbook["Contents"]
    top = _header_row(contents)
    assert [c.value for c in contents[top]] == ["Sheet", "Table", "Notes", "Source"]
    listed = [row[0].value for row in contents.iter_rows(min_row=top + 1) if row[0].value]
    assert listed == sheets
    links = [row[0].hyperlink for row in contents.iter_rows(min_row=top + 1) if row[0].value]
    assert all(link is not None and link.location for link in links)


def test_every_sheet_has_frozen_panes_under_its_header(workbook, csv_tables):
    for ws in workbook.worksheets:
        assert ws.freeze_panes and re.fullmatch(r"A\d+", ws.freeze_panes), ws.title
        header = [c.value for c in ws[_header_row(ws)]]
        assert all(isinstance(v, str) and v.strip() for v in header), (ws.title, header)
        if ws.title != "Contents":
            assert ws["A1"].value and ws["A1"].font.b, ws.title  # the title in A1
            assert len(header) == len(csv_tables[ws.title][0]), ws.title


def test_numbers_are_numbers_and_markers_are_text(workbook, csv_tables):
    checked = {"number": 0, "marker": 0}
    for name, rows in csv_tables.items():
        ws = workbook[name[:31]]
        top = _header_row(ws)
        header = list(ws[top])
        numeric = [cell.alignment.horizontal == "right" for cell in header]
        body = list(ws.iter_rows(min_row=top + 1, max_row=top + len(rows) - 1))
        assert len(body) == len(rows) - 1, name
        assert ws.max_row == top + len(rows) - 1, name  # nothing under the table
        for csv_row, cells in zip(rows[1:], body, strict=True):
            for j, (text, cell) in enumerate(zip(csv_row, cells, strict=True)):
                value = cell.value
                where = (name, cell.coordinate, text, value)
                if text in MARKERS:
                    assert value == text and cell.data_type == "s", where
                    checked["marker"] += 1
                elif numeric[j] and text:
                    assert NUMBER.fullmatch(text), where
                    assert isinstance(value, numbers.Real) and not isinstance(value, bool), where
                    assert value == pytest.approx(float(text), rel=1e-9, abs=1e-12), where
                    assert cell.number_format != "General", where
                    checked["number"] += 1
                elif numeric[j]:
                    assert value is None, where
                else:  # text columns hold text (or a date)
                    assert value is None or not isinstance(value, numbers.Number), where
    assert checked["number"] > 1000 and checked["marker"] > 100


def test_suppressed_cells_match_the_csvs(workbook, csv_tables):
    in_csv = sum(row.count("c") for rows in csv_tables.values() for row in rows[1:])
    in_xlsx = sum(
        1
        for ws in workbook.worksheets[1:]
        for row in ws.iter_rows(min_row=_header_row(ws) + 1, values_only=True)
        for value in row
        if value == "c"
    )
    assert in_xlsx == in_csv > 100
