"""Every published file of a run shows every suppressed cell as c, and no small count.

The shipped sample's run is read back in each format a reader gets: the tables of
``report.html`` (parsed), of ``report.docx`` (its XML, each table found by its
bookmark), the sheets of ``tables.xlsx`` (openpyxl) and the CSVs. Each rendered
table is compared cell by cell with disclosure control's own record of what it
suppressed: a suppressed cell must read ``c`` everywhere, and no cell of a count
column may read a number from 1 to 5. The SVG figures are searched for count labels
(at-risk numbers, flow boxes, annotations) from 1 to 5. Finally an attacker tries to
recover each suppressed cell of each published table from what is published.
"""

from __future__ import annotations

import re
import zipfile
from html.parser import HTMLParser
from xml.etree import ElementTree

import pytest

from noream_eval.reports.disclosure import DisclosurePolicy
from noream_eval.reports.run import published_results
from noream_eval.reports.tables import TABLES

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
SMALL = re.compile(r"^\s*[1-5]\s*$")


@pytest.fixture(scope="module")
def protected(sample_results, sample):
    return published_results(sample_results, DisclosurePolicy(), data=sample)[1]


class _Tables(HTMLParser):
    """Body rows of every table, keyed by the id of the block around it."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._block: str | None = None
        self._in_body = False
        self._row: list[str] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "div" and "table-block" in (a.get("class") or ""):
            self._block = a.get("id")
            self.tables[self._block] = []
        elif tag == "tbody":
            self._in_body = True
        elif tag == "tr" and self._in_body:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            if self._block:
                self.tables[self._block].append(self._row)
            self._row = None
        elif tag == "tbody":
            self._in_body = False
        elif tag == "table":
            self._block = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def _html_tables(report) -> dict[str, list[list[str]]]:
    parser = _Tables()
    parser.feed((report / "report.html").read_text("utf-8"))
    return {k.removeprefix("table-").replace("-", "_"): v for k, v in parser.tables.items()}


def _docx_tables(report) -> dict[str, list[list[str]]]:
    xml = zipfile.ZipFile(report / "report.docx").read("word/document.xml")
    body = ElementTree.fromstring(xml).find(f"{W}body")
    out: dict[str, list[list[str]]] = {}
    name = None
    for child in body:
        if child.tag == f"{W}p":
            marks = [b.get(f"{W}name") for b in child.iter(f"{W}bookmarkStart")]
            marks = [m for m in marks if m and m.startswith("table_")]
            if marks:
                name = marks[0].removeprefix("table_")
        elif child.tag == f"{W}tbl" and name:
            rows = []
            for tr in child.iter(f"{W}tr"):
                rows.append(
                    ["".join(t.text or "" for t in tc.iter(f"{W}t")) for tc in tr.iter(f"{W}tc")]
                )
            out[name] = rows[1:]  # the header row is first
            name = None
    return out


def _xlsx_tables(report) -> dict[str, list[list[str]]]:
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.load_workbook(report / "tables.xlsx", read_only=False)
    out = {}
    for ws in wb.worksheets[1:]:
        header = ws[ws.freeze_panes].row - 1 if ws.freeze_panes else 1
        rows = ws.iter_rows(min_row=header + 1, values_only=True)
        out[ws.title] = [["" if v is None else str(v) for v in r] for r in rows]
    return out


@pytest.mark.parametrize("fmt", ["html", "docx", "xlsx"])
def test_suppressed_cells_read_c_and_counts_are_never_small(sample_report, protected, fmt):
    rendered = {"html": _html_tables, "docx": _docx_tables, "xlsx": _xlsx_tables}[fmt](
        sample_report
    )
    checked = 0
    for name, (definition, table) in protected.items():
        if fmt != "xlsx" and not definition.in_report:
            continue
        rows = rendered.get(name) or rendered.get(name[:31])
        assert rows is not None, f"{name} missing from the {fmt} output"
        columns = list(definition.columns)
        flags = table.flags.reset_index(drop=True)
        assert len(rows) == len(flags), name
        for j, col in enumerate(columns):
            kind = definition.columns[col][1]
            for i, row in enumerate(rows):
                cell = row[j]
                if flags.loc[i, col] == "c":
                    assert cell == "c", (fmt, name, i, col, cell)
                    checked += 1
                if kind == "count":
                    assert not SMALL.match(cell.replace(".0", "")), (fmt, name, i, col, cell)
    assert checked > 100


def test_figures_draw_no_small_count_label(sample_report):
    # count labels carry a gid or sit in plain text elements; axis tick labels are
    # in groups named xtick_*/ytick_* and are not counts
    for svg in sorted((sample_report / "figures").glob("*.svg")):
        root = ElementTree.fromstring(svg.read_bytes())
        bad: list[str] = []

        def walk(el, inside_tick=False, bad=bad):
            gid = el.get("id") or ""
            tick = inside_tick or gid.startswith(("xtick", "ytick"))
            if el.tag.endswith("text") and not tick:
                text = "".join(el.itertext())
                if SMALL.match(text) or re.search(r"\bn = [1-5]\b", text):
                    bad.append(text)
            for c in el:
                walk(c, tick, bad)

        walk(root)
        assert not bad, (svg.name, bad)


def test_no_suppressed_cell_can_be_recovered_from_what_is_published(protected):
    from noream_eval.reports.disclosure import audit

    recovered = []
    for name, (_, table) in protected.items():
        found = audit(table)
        recovered += [(name, r.row, r.column) for r in found.itertuples() if r.recovered]
    assert not recovered


def test_an_independent_attacker_cannot_close_a_total(protected):
    # A total with exactly one suppressed part gives that part away; so does a funnel
    # fall. Every declared row total is checked on the published values alone.
    for name, (definition, table) in protected.items():
        flags = table.flags
        for total, parts in definition.spec.get("row_totals", ()):
            for i in range(len(flags)):
                cells = [total, *parts]
                if any(flags.iloc[i][c] == "x" for c in cells):
                    continue  # a part not available: no relation in this row
                hidden = [c for c in cells if flags.iloc[i][c] == "c"]
                assert len(hidden) != 1, (name, i, hidden)
        for label, total_label, group, *_ in definition.spec.get("column_totals", ()):
            values = table.values
            groups = values.groupby(group, sort=False).groups if group else {None: values.index}
            for _, index in groups.items():
                rows = flags.loc[index]
                is_total = values.loc[index, label] == total_label
                if not is_total.any():
                    continue
                for col in definition.spec.get("counts", ()):
                    hidden = int((rows[col] == "c").sum())
                    assert hidden != 1, (name, col)


def test_every_published_table_and_figure_records_its_policy(protected, sample_report):
    assert len(protected) == len(TABLES)
    for name, (_, table) in protected.items():
        assert "from 1 to 5" in table.note, (name, table.note)
        if table.n_primary or table.n_secondary:
            assert "no cell" not in table.note, (name, table.note)
    policy = DisclosurePolicy().describe()
    for svg in sorted((sample_report / "figures").glob("*.svg")):
        text = " ".join(ElementTree.fromstring(svg.read_bytes()).itertext())
        # the caption is wrapped over lines: compare the words
        assert " ".join(policy.split()[:8]) in " ".join(text.split()), svg.name


def test_no_published_share_gives_away_a_small_count(protected):
    # a share of n whole units times n is a count: 0.019 of 52 is 1 person
    for name, (_, table) in protected.items():
        if "estimate" not in table.values or "n" not in table.values:
            continue
        values, flags = table.values, table.flags
        for i in range(len(values)):
            if flags.loc[i, "estimate"] or flags.loc[i, "n"]:
                continue
            unit = str(values.loc[i, "unit"]) if "unit" in values else "share"
            if not unit.lower().startswith("share"):
                continue
            est, n = float(values.loc[i, "estimate"]), float(values.loc[i, "n"])
            count = est * n
            if abs(count - round(count)) < 1e-6:
                for c in (round(count), round(n - count)):
                    assert not 1 <= c <= 5, (name, i, values.loc[i, "indicator"], c)
