"""Tests of noream_eval.reports.document: the block model, its checks and format_cell.

The markers follow the Government Statistical Service guidance "Symbols in tables:
definitions and help" (Analysis Function,
https://analysisfunction.civilservice.gov.uk/policy-store/symbols-in-tables-definitions-and-help/):
``c`` confidential, ``x`` not available, ``z`` not applicable. Numbers are rounded half
away from zero, as Excel displays a number format (so HTML, Word and Excel agree).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from noream_eval.errors import DocumentError, NoreamEvalError
from noream_eval.reports.document import (
    KINDS,
    MARKERS,
    BulletList,
    Callout,
    Document,
    Figure,
    Heading,
    KeyValue,
    Paragraph,
    Section,
    Span,
    Table,
    format_cell,
    markers_note,
    parse_inline,
)
from tests._report_example import example_document, png_bytes, svg_bytes


@pytest.mark.parametrize(
    ("value", "kind", "expected"),
    [
        (1234, "count", "1,234"),
        (0, "count", "0"),
        (12.0, "count", "12"),
        (np.int64(2_000_000), "integer", "2,000,000"),
        (-42, "integer", "-42"),
        (0.1234, "share", "12.3%"),
        (0.12345, "share", "12.3%"),
        (0.00049, "share", "0.0%"),
        (1, "share", "100.0%"),
        (0.5, "share", "50.0%"),
        (12.34, "percent", "12.3%"),
        (99.95, "percent", "100.0%"),  # half away from zero, as Excel shows 0.0"%"
        (1234.56, "number1", "1,234.6"),
        (1.25, "number1", "1.3"),
        (-1.25, "number1", "-1.3"),
        (0.125, "number2", "0.13"),
        (2.675, "number2", "2.68"),  # binary 2.67499999...; Excel shows 2.68 too
        (-0.001, "number2", "0.00"),  # no negative zero
        (2, "number3", "2.000"),
        (3.14159, "number3", "3.142"),
        (12345.6, "gbp", "£12,346"),
        (-1234.5, "gbp", "-£1,235"),
        (0, "gbp", "£0"),
        (0.0004, "p_value", "<0.001"),
        (0.001, "p_value", "0.001"),
        (0.0123, "p_value", "0.012"),
        (1.0, "p_value", "1.000"),
        (pd.Timestamp("2025-03-01"), "date", "1 Mar 2025"),
        (dt.date(2024, 12, 31), "date", "31 Dec 2024"),
        (np.datetime64("2025-01-09"), "date", "9 Jan 2025"),
        (pd.Period("2025-04", freq="M"), "date", "Apr 2025"),
        ("2024-25", "date", "2024-25"),
        ("amber", "rag", "Amber"),
        (" RED ", "rag", "Red"),
        ("Green", "rag", "Green"),
        ("Pilot", "text", "Pilot"),
        (2024, "text", "2024"),
        (True, "text", "Yes"),
        (float("inf"), "number1", "∞"),
    ],
)
def test_format_cell(value, kind, expected):
    assert format_cell(value, kind) == expected


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("marker", list(MARKERS))
def test_markers_and_missing_values_read_the_same_in_every_kind(kind, marker):
    assert format_cell(marker, kind) == marker
    for missing in (None, np.nan, pd.NA, pd.NaT, float("nan")):
        assert format_cell(missing, kind) == ""


def test_format_cell_refuses_an_unknown_kind():
    with pytest.raises(DocumentError, match=r"Unknown column kind 'money'.*gbp"):
        format_cell(1, "money")


def test_markers_note_lists_the_markers_shown_in_order():
    assert markers_note({"z", "c"}) == f"c: {MARKERS['c']}. z: {MARKERS['z']}."
    assert markers_note(()) == ""


def test_parse_inline_bold_and_internal_links_only():
    assert parse_inline("plain") == (Span("plain"),)
    assert parse_inline("**a** [b](#c-1)") == (
        Span("a", bold=True),
        Span(" "),
        Span("b", anchor="c-1"),
    )
    # Anything else stays as written: external links, unclosed markup, empty bold.
    for text in ("[x](https://example.org)", "[x](javascript:alert(1))", "**open", "****", "[x]"):
        assert parse_inline(text) == (Span(text),)
    assert parse_inline("") == (Span(""),)


def _frame(**columns):
    return pd.DataFrame(columns)


def _table(frame, kinds, **kw):
    return Table(frame=frame, kinds=kinds, caption="A table", anchor=kw.pop("anchor", "t"), **kw)


def test_table_keeps_a_copy_and_defaults():
    frame = _frame(group=["a", "b"], n=[10, "c"])
    table = _table(frame.set_index("group", drop=False), {"n": "count"})
    frame.loc[0, "n"] = 99
    assert table.rows() == [("a", 10), ("b", "c")]
    assert table.name == "t"
    assert table.label("n") == "n" and table.kind("group") == "text"
    assert table.is_numeric("n") and not table.is_numeric("group")
    assert table.formatted == (("a", "10"), ("b", "c"))
    assert table.markers == {"c"}
    assert table.full_note == markers_note({"c"})
    assert list(table.frame.index) == [0, 1]


def test_table_full_note_puts_the_note_first():
    table = _table(_frame(n=[10, "x"]), {"n": "count"}, note="Rounded to 5.")
    assert table.full_note == f"Rounded to 5. x: {MARKERS['x']}."


@pytest.mark.parametrize(
    ("frame", "kinds", "message"),
    [
        (_frame(n=[1, 2]), {"n": "money"}, "unknown kind 'money'"),
        (_frame(n=[10, 20]), {}, "column 'n' holds numbers but has no kind"),
        (_frame(n=[10, "few"]), {"n": "count"}, r"'n' \(count\) holds text .* in row 2"),
        (_frame(n=[10, 3]), {"n": "count"}, "count from 1 to 5, which must be suppressed"),
        (_frame(n=[10.5]), {"n": "count"}, "not a whole number"),
        (_frame(n=[10]), {"m": "count"}, r"kinds names columns it does not have: \['m'\]"),
        (_frame(r=["purple"]), {"r": "rag"}, "not red, amber or green"),
        (_frame(r=[1]), {"r": "rag"}, "not red, amber or green"),
        (_frame(d=[1.5]), {"d": "date"}, "not a date"),
        (_frame(s=[True]), {"s": "share"}, "bool where a number belongs"),
        (pd.DataFrame([[1, 2]], columns=["a", "a"]), {}, r"\['a'\] appear more than once"),
        (pd.DataFrame([[1]], columns=[0]), {}, "column names must be text"),
    ],
)
def test_table_refuses_cells_that_do_not_fit(frame, kinds, message):
    with pytest.raises(DocumentError, match=message):
        _table(frame, kinds)


def test_table_accepts_zero_counts_markers_missing_and_nullable_integers():
    frame = _frame(
        n=pd.array([0, None, 6], dtype="Int64"),
        m=[np.nan, "z", 1_000],
        r=["x", None, "green"],
    )
    table = _table(frame, {"n": "count", "m": "count", "r": "rag"})
    assert table.formatted == (("0", "", "x"), ("", "z", ""), ("6", "1,000", "Green"))


def test_table_refuses_labels_for_unknown_columns_and_bad_anchors():
    with pytest.raises(DocumentError, match="labels names columns"):
        _table(_frame(a=["x"]), {}, labels={"b": "B"})
    for anchor in ("1abc", "has space", "a" * 65, "contents", ""):
        with pytest.raises(DocumentError, match="anchor"):
            _table(_frame(a=["x"]), {}, anchor=anchor)


def test_figure_checks_its_images_and_alt_text():
    fig = Figure(caption="c", alt="a", anchor="f", png=png_bytes())
    assert fig.name == "f" and fig.svg is None
    with pytest.raises(DocumentError, match="neither PNG nor SVG"):
        Figure(caption="c", alt="a", anchor="f")
    with pytest.raises(DocumentError, match="not the bytes of a PNG"):
        Figure(caption="c", alt="a", anchor="f", png=b"GIF89a")
    with pytest.raises(DocumentError, match="not the bytes of an SVG"):
        Figure(caption="c", alt="a", anchor="f", svg=b"<html/>")
    with pytest.raises(DocumentError, match="alternative text"):
        Figure(caption="c", alt=" ", anchor="f", svg=svg_bytes())


def test_small_blocks_check_their_content():
    assert BulletList(["a", "b"]).items == ("a", "b")
    with pytest.raises(DocumentError, match="not one string"):
        BulletList("ab")
    with pytest.raises(DocumentError, match="at least one item"):
        BulletList(())
    with pytest.raises(DocumentError, match="Unknown callout kind 'tip'"):
        Callout("tip", "x")
    assert Callout("warning", "a\n\n  b\nc").paragraphs == ("a", "b c")
    assert Callout("scenario", "x").heading == "Scenario"
    assert KeyValue({"a": "1"}).rows == (("a", "1"),)
    with pytest.raises(DocumentError, match="pairs"):
        KeyValue(("abc",))
    with pytest.raises(DocumentError, match="must not be empty"):
        Paragraph("  ")
    with pytest.raises(DocumentError, match="must be text"):
        Heading(3)
    with pytest.raises(DocumentError, match="holds a str"):
        Section("S", "s", ("just text",))


def test_document_walks_numbers_and_collects_tables_and_figures():
    doc = example_document()
    assert [(s.anchor, d) for s, d in doc.walk()] == [
        ("summary", 1),
        ("results", 1),
        ("detail", 2),
        ("deeper", 3),
        ("method", 1),
    ]
    assert [t.anchor for t in doc.tables()] == ["tab-counts", "tab-numbers"]
    assert [f.anchor for f in doc.figures()] == ["fig-bars", "fig-png"]
    assert dict(doc.numbers) == {
        "tab-counts": "Table 1",
        "tab-numbers": "Table 2",
        "fig-bars": "Figure 1",
        "fig-png": "Figure 2",
    }
    assert doc.numbered_caption(doc.tables()[1]) == "Table 2: Numbers of every kind"


def test_document_names_a_duplicate_anchor():
    table = _table(_frame(a=["x"]), {}, anchor="dup")
    fig = Figure(caption="Bars", alt="a", anchor="dup", png=png_bytes())
    with pytest.raises(DocumentError) as info:
        Document("R", sections=[Section("A", "a", (table,)), Section("B", "b", (fig,))])
    assert str(info.value) == (
        "The anchor 'dup' is used twice: by the table 'A table' and by the figure 'Bars'; "
        "anchors must be unique within a document."
    )
    assert isinstance(info.value, NoreamEvalError) and isinstance(info.value, ValueError)
    nested = Section("A", "a", subsections=(Section("B", "x", (Heading("H", anchor="a"),)),))
    with pytest.raises(DocumentError, match="by the section 'A' and by the heading 'H'"):
        Document("R", sections=[nested])


def test_document_refuses_a_link_to_a_missing_anchor():
    for block in (
        Paragraph("see [there](#nowhere)"),
        BulletList(("see [there](#nowhere)",)),
        Callout("note", "x\n\nsee [there](#nowhere)"),
    ):
        with pytest.raises(DocumentError, match="'A' links to #nowhere"):
            Document("R", sections=[Section("A", "a", (block,))])
    Document("R", sections=[Section("A", "a", (Paragraph("[up](#a)"),))])


def test_document_metadata_is_read_only_text():
    doc = Document("R", metadata={"Data cut": "31 Mar 2025"})
    with pytest.raises(TypeError):
        doc.metadata["x"] = "y"  # type: ignore[index]
    with pytest.raises(DocumentError, match="must be text"):
        Document("R", metadata={"n": 3})
