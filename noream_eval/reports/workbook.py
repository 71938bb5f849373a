"""Published tables as a formatted Excel workbook and as CSV files.

:func:`write_workbook` writes one sheet per :class:`~noream_eval.reports.document.Table`
after a "Contents" sheet, following the Government Analysis Function guidance
"Releasing statistics in spreadsheets"
(https://analysisfunction.civilservice.gov.uk/policy-store/releasing-statistics-in-spreadsheets/):
the title in cell A1, notes above the table rather than in comments or footnotes, one
table per sheet marked up as an Excel table, no merged cells, no blank cells used for
layout inside the table, and markers (``c``, ``x``, ``z``) explained on every sheet
that uses them.

Each table sheet reads, from the top:

* A1: the caption, in bold;
* one row each for the table's note, the meaning of each marker it shows, and its
  source ("Source: ...");
* the header row (column labels), frozen together with the rows above, so it stays
  in view while scrolling;
* the data, as an Excel table (filter buttons, banded rows) named after the sheet.

Numbers are written as numbers with a number format for their column's kind, so
they can be summed and charted yet read as in the report:

=========  ============================  =============
kind       Excel number format           shows
=========  ============================  =============
count      ``#,##0``                     1,234
integer    ``#,##0``                     -42
share      ``0.0%``                      12.3%
percent    ``0.0"%"``                    12.3%
number1    ``#,##0.0``                   1,234.6
number2    ``#,##0.00``                  0.13
number3    ``#,##0.000``                 3.142
gbp        ``"£"#,##0;-"£"#,##0``        £12,346
date       ``d mmm yyyy``                1 Mar 2025
p_value    ``[<0.001]"<0.001";0.000``    <0.001
=========  ============================  =============

A ``share`` cell holds the proportion (0.123), a ``percent`` cell the percentage
(12.3). Marker cells are the text ``c``, ``x`` or ``z``, right-aligned in number
columns; red/amber/green ratings are the word on a coloured cell. Every text cell goes
through :func:`noream_eval.writers.neutralise_text`, so nothing in the workbook is a
formula.

:func:`write_table_csv` writes one table for machines: the column names as the
header, numbers unformatted, markers as text, through :func:`noream_eval.writers.write_csv`.
"""

from __future__ import annotations

import datetime as dt
import io
import numbers
import re
from collections.abc import Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pandas as pd

from noream_eval.reports._ooxml import stable_package
from noream_eval.reports.document import (
    MARKERS,
    RAG,
    Table,
    format_cell,
    strip_control,
)
from noream_eval.writers import (
    _Formats,
    _sheet_names,
    _width,
    _write_value,
    neutralise_text,
    write_csv,
)

__all__ = ["AUTHOR", "NUMBER_FORMATS", "write_table_csv", "write_workbook"]

AUTHOR = "noream_eval"
#: The Excel number format of each numeric (and date) column kind.
NUMBER_FORMATS = MappingProxyType(
    {
        "count": "#,##0",
        "integer": "#,##0",
        "share": "0.0%",
        "percent": '0.0"%"',
        "number1": "#,##0.0",
        "number2": "#,##0.00",
        "number3": "#,##0.000",
        "gbp": '"£"#,##0;-"£"#,##0',
        "date": "d mmm yyyy",
        "p_value": '[<0.001]"<0.001";0.000',
    }
)
CONTENTS = "Contents"
_RAG_FILL = {
    "red": ("#D4351C", "#FFFFFF"),
    "amber": ("#F47738", "#0B0C0C"),
    "green": ("#00703C", "#FFFFFF"),
}
_MARKER_FILL = "#F3F2F1"
_MAX_WIDTH = 40  # header labels wrap within this


class _Styles:
    """The cell formats of a workbook, made once."""

    def __init__(self, wb: Any) -> None:
        self.base = _Formats(wb)
        self.title = wb.add_format({"bold": True, "font_size": 14})
        self.header = wb.add_format({"bold": True, "text_wrap": True, "valign": "bottom"})
        self.header_num = wb.add_format(
            {"bold": True, "text_wrap": True, "valign": "bottom", "align": "right"}
        )
        self.wrap = wb.add_format({"text_wrap": True, "valign": "top"})
        self.link = wb.add_format({"font_color": "#1D70B8", "underline": 1, "valign": "top"})
        self.kind = {k: wb.add_format({"num_format": f}) for k, f in NUMBER_FORMATS.items()}
        self.marker = wb.add_format({"bg_color": _MARKER_FILL})
        self.marker_num = wb.add_format({"bg_color": _MARKER_FILL, "align": "right"})
        self.rag = {
            word: wb.add_format({"bold": True, "bg_color": fill, "font_color": font})
            for word, (fill, font) in _RAG_FILL.items()
        }


def _notes(table: Table) -> list[str]:
    """The lines above a table: its note, each marker it shows, its source."""
    lines = [" ".join(table.note.split())] if table.note.strip() else []
    lines += [f"{m}: {MARKERS[m]}" for m in MARKERS if m in table.markers]
    if table.source.strip():
        lines.append(f"Source: {table.source.strip()}")
    return lines


def _headers(table: Table) -> list[str]:
    """Column labels for an Excel table: one line, not empty, at most 255 characters,
    neutralised, distinct ignoring case."""
    out: list[str] = []
    seen: set[str] = set()
    for j, column in enumerate(table.columns):
        text = " ".join(strip_control(table.label(column)).split()) or f"Column {j + 1}"
        base = neutralise_text(text[:240])
        label, k = base, 1
        while label.lower() in seen:
            k += 1
            label = f"{base} ({k})"
        seen.add(label.lower())
        out.append(label)
    return out


def _table_name(sheet: str, k: int) -> str:
    """An Excel table name: starts with a letter, then letters, digits, ``_``."""
    slug = re.sub(r"\W+", "_", sheet, flags=re.ASCII).strip("_")
    return f"T{k}_{slug}"[:200]


def _write_cell(ws: Any, r: int, c: int, value: Any, kind: str, styles: _Styles) -> None:
    numeric = kind in NUMBER_FORMATS and kind != "date"
    if isinstance(value, str) and value in MARKERS:
        ws.write_string(r, c, value, styles.marker_num if numeric else styles.marker)
    elif kind == "rag" and isinstance(value, str):
        word = value.strip().lower()
        ws.write_string(r, c, format_cell(value, kind), styles.rag.get(word))
    elif kind == "date":
        if isinstance(value, pd.Period):
            ws.write_string(r, c, format_cell(value, kind))
        else:
            _write_value(ws, r, c, value, styles.base, styles.kind["date"])
    else:
        _write_value(ws, r, c, value, styles.base, None, styles.kind.get(kind))


def _table_sheet(ws: Any, table: Table, k: int, styles: _Styles) -> None:
    columns = table.columns
    kinds = [table.kind(c) for c in columns]
    ws.write_string(0, 0, neutralise_text(strip_control(table.caption)), styles.title)
    notes = _notes(table)
    for i, line in enumerate(notes, 1):
        ws.write_string(i, 0, neutralise_text(strip_control(line)))
    top = 1 + len(notes)
    headers = _headers(table)
    header_formats = [
        styles.header_num if kind in NUMBER_FORMATS and kind != "date" else styles.header
        for kind in kinds
    ]
    for j, (header, header_format) in enumerate(zip(headers, header_formats, strict=True)):
        ws.write_string(top, j, header, header_format)
        texts = [row[j] for row in table.formatted[:10_000]] + header.split()
        ws.set_column(j, j, min(_width(texts), _MAX_WIDTH))
    rows = table.rows()
    for i, row in enumerate(rows, top + 1):
        for j, (value, kind) in enumerate(zip(row, kinds, strict=True)):
            _write_cell(ws, i, j, value, kind, styles)
    ws.freeze_panes(top + 1, 0)
    if rows and columns:
        ws.add_table(
            top,
            0,
            top + len(rows),
            len(columns) - 1,
            {
                "name": _table_name(ws.get_name(), k),
                "style": "Table Style Light 1",
                "columns": [
                    {"header": h, "header_format": f}
                    for h, f in zip(headers, header_formats, strict=True)
                ],
            },
        )


def _contents_sheet(
    ws: Any,
    tables: Sequence[Table],
    sheets: list[str],
    styles: _Styles,
    *,
    title: str,
    notes: Sequence[str],
) -> None:
    ws.write_string(0, 0, neutralise_text(strip_control(title)), styles.title)
    lines = [
        f"This workbook has {len(tables)} table{'s' if len(tables) != 1 else ''}, "
        "one on each sheet; the notes above each table explain it.",
        *(" ".join(strip_control(n).split()) for n in notes),
    ]
    for i, line in enumerate(lines, 1):
        ws.write_string(i, 0, neutralise_text(line))
    top = 1 + len(lines)
    headers = ["Sheet", "Table", "Notes", "Source"]
    for j, header in enumerate(headers):
        ws.write_string(top, j, header, styles.header)
    for i, (table, sheet) in enumerate(zip(tables, sheets, strict=True), top + 1):
        target = sheet.replace("'", "''")
        ws.write_url(i, 0, f"internal:'{target}'!A1", styles.link, string=sheet)
        ws.write_string(i, 1, neutralise_text(strip_control(table.caption)), styles.wrap)
        for j, text in ((2, table.full_note), (3, table.source)):
            if text.strip():
                ws.write_string(i, j, neutralise_text(strip_control(text)), styles.wrap)
    ws.set_column(0, 0, min(_width([*sheets, "Sheet"]), 33))
    ws.set_column(1, 1, 50)
    ws.set_column(2, 2, 70)
    ws.set_column(3, 3, 30)
    ws.freeze_panes(top + 1, 0)
    if tables:
        ws.add_table(
            top,
            0,
            top + len(tables),
            3,
            {
                "name": "T0_Contents",
                "style": "Table Style Light 1",
                "columns": [{"header": h, "header_format": styles.header} for h in headers],
            },
        )


def write_workbook(
    tables: Sequence[Table],
    path: str | Path,
    *,
    title: str = CONTENTS,
    notes: Sequence[str] = (),
    created: dt.datetime | None = None,
) -> Path:
    """Write the tables as an Excel workbook: a contents sheet, then one sheet each.

    Parameters
    ----------
    tables : sequence of Table
        In the order of their sheets (e.g. ``doc.tables()``, the order of their
        numbers in the report).
    path : str or pathlib.Path
        The ``.xlsx`` file to write (replaced if it exists).
    title : str, default "Contents"
        Cell A1 of the contents sheet, and the workbook's title property.
    notes : sequence of str, optional
        Lines shown under the title of the contents sheet (e.g. the disclosure
        policy).
    created : datetime.datetime, optional
        The creation time to record in the workbook properties; by default none.

    Returns
    -------
    pathlib.Path
        ``path``.

    Notes
    -----
    The sheet names are the tables' ``name`` made valid for Excel (31 characters,
    none of ``[]:*?/\\``, distinct ignoring case, "Contents" kept for the first
    sheet). The contents sheet lists every sheet (a link to it), its caption, notes
    and source. See the module docstring for the layout of a table sheet and the
    number formats. Column widths follow the longest formatted cell or header word
    (6 to 40 characters; longer headers wrap). The output is deterministic.

    Examples
    --------
    >>> import tempfile
    >>> t = Table(frame=pd.DataFrame({"group": ["A", "B"], "n": [12, "c"]}),
    ...           kinds={"n": "count"}, caption="Families by group", anchor="families")
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = write_workbook([t], f"{tmp}/tables.xlsx")
    ...     path.name
    'tables.xlsx'
    """
    import xlsxwriter

    names = _sheet_names([CONTENTS, *(t.name for t in tables)])
    buffer = io.BytesIO()
    options = {
        "in_memory": True,
        "strings_to_numbers": False,
        "strings_to_formulas": False,
        "strings_to_urls": False,
    }
    wb = xlsxwriter.Workbook(buffer, options)
    try:
        properties = {"title": strip_control(title), "author": AUTHOR, "comments": ""}
        if created is not None:
            properties["created"] = created
        wb.set_properties(properties)
        styles = _Styles(wb)
        contents = wb.add_worksheet(names[0])
        _contents_sheet(contents, tables, names[1:], styles, title=title, notes=notes)
        for k, (table, name) in enumerate(zip(tables, names[1:], strict=True), 1):
            _table_sheet(wb.add_worksheet(name), table, k, styles)
    finally:
        wb.close()
    path = Path(path)
    path.write_bytes(stable_package(buffer.getvalue(), drop_times=created is None))
    return path


def write_table_csv(table: Table, path: str | Path, *, labels: bool = False) -> Path:
    """Write one table as CSV for machines: numbers unformatted, markers as text.

    Parameters
    ----------
    table : Table
    path : str or pathlib.Path
    labels : bool, default False
        Use the plain-English labels as the header instead of the column names.

    Returns
    -------
    pathlib.Path
        ``path``.

    Notes
    -----
    Numbers are written in full (a share as the proportion, 0.1234; counts and
    integers as whole numbers), dates as ISO dates (``2025-03-01``), markers as the
    text ``c``, ``x`` or ``z``, ratings as the word, missing values as empty fields.
    :func:`noream_eval.writers.write_csv` writes the file (UTF-8, RFC 4180 quoting,
    formulas neutralised).

    Examples
    --------
    >>> import tempfile
    >>> t = Table(frame=pd.DataFrame({"group": ["=A", "B"], "n": [12.0, "c"]}),
    ...           kinds={"n": "count"}, caption="Families", anchor="families")
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     print(write_table_csv(t, f"{tmp}/families.csv").read_text(), end="")
    group,n
    '=A,12
    B,c
    """
    frame = pd.DataFrame(
        {
            c: pd.Series([_csv_value(v, table.kind(c)) for v in table.values(c)], dtype=object)
            for c in table.columns
        },
        columns=list(table.columns),
    )
    if labels:
        frame.columns = [table.label(c) for c in table.columns]
    return write_csv(frame, path)


def _csv_value(value: Any, kind: str) -> Any:
    if value is None or (isinstance(value, str) and value in MARKERS):
        return value
    if format_cell(value, kind) == "":
        return None  # missing
    if kind == "rag" and isinstance(value, str) and value.strip().lower() in RAG:
        return value.strip().capitalize()
    if kind == "date" and not isinstance(value, str):
        if isinstance(value, pd.Period):
            return str(value)
        return pd.Timestamp(value).date().isoformat()
    if kind in ("count", "integer") and isinstance(value, numbers.Real):
        x = float(value)
        return int(x) if x.is_integer() else value
    return value
