"""Tests of noream_eval.reports.docx: the Word file, reopened with python-docx.

Element names and meanings are those of ECMA-376 Part 1 (Office Open XML,
WordprocessingML): ``w:tblHeader`` (17.4.49, a row repeated as the header on every
page), ``w:bookmarkStart`` (17.13.6.2), ``w:hyperlink/@w:anchor`` (17.16.22, a link to a
bookmark of the same document), ``wp:docPr/@descr`` (20.4.2.5, the alternative text of
a drawing).
"""

from __future__ import annotations

import datetime as dt
import zipfile

import docx
import pandas as pd
import pytest
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Mm

from noream_eval.reports.document import (
    BulletList,
    Document,
    Figure,
    Paragraph,
    Section,
    Table,
)
from noream_eval.reports.docx import AUTHOR, TABLE_STYLE, write_docx
from tests._report_example import (
    FORMULA,
    ONERROR,
    SCRIPT,
    example_document,
    png_bytes,
    svg_bytes,
)


@pytest.fixture(scope="module")
def path(tmp_path_factory):
    return write_docx(example_document(), tmp_path_factory.mktemp("docx") / "report.docx")


@pytest.fixture(scope="module")
def word(path):
    return docx.Document(str(path))


def _body_items(word):
    """Paragraphs and tables of the body, in order, as python-docx objects."""
    out = []
    for child in word.element.body.iterchildren():
        if child.tag == qn("w:p"):
            out.append(docx.text.paragraph.Paragraph(child, word))
        elif child.tag == qn("w:tbl"):
            out.append(docx.table.Table(child, word))
    return out


def _table_after(word, caption_start: str):
    items = _body_items(word)
    for i, item in enumerate(items):
        if (
            isinstance(item, docx.text.paragraph.Paragraph)
            and item.style.name == "Caption"
            and item.text.startswith(caption_start)
        ):
            return item, items[i + 1], items[i + 2 :]
    raise AssertionError(caption_start)


def test_a4_page_and_british_english(word):
    section = word.sections[0]
    # (stored in twentieths of a point, so read back to within a micrometre)
    assert section.page_width.mm == pytest.approx(210, abs=1e-2)
    assert section.page_height.mm == pytest.approx(297, abs=1e-2)
    for margin in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        assert getattr(section, margin).mm == pytest.approx(25, abs=1e-2)
    lang = word.styles.element.find(".//" + qn("w:rPrDefault") + "//" + qn("w:lang"))
    assert lang.get(qn("w:val")) == "en-GB"


def test_real_headings_in_order(word):
    doc = example_document()
    heads = [
        (p.style.name, p.text)
        for p in word.paragraphs
        if p.style.name.startswith(("Heading", "Title", "Subtitle"))
    ]
    assert heads == [
        ("Title", doc.title),
        ("Subtitle", "Interim report"),
        ("Heading 1", "Contents"),
        ("Heading 1", "Summary"),
        ("Heading 1", "Results"),
        ("Heading 2", "Detail"),
        ("Heading 3", "A minor heading"),
        ("Heading 3", "Deeper"),
        ("Heading 1", "Method"),
    ]


def test_data_table(word):
    caption, table, after = _table_after(word, "Table 1:")
    assert caption.style.name == "Caption"
    assert caption.text == f"Table 1: Families by group {SCRIPT}"
    assert caption.paragraph_format.keep_with_next
    assert isinstance(table, docx.table.Table)
    assert table.style.name == TABLE_STYLE
    assert (len(table.rows), len(table.columns)) == (5, 6)
    texts = [[c.text for c in row.cells] for row in table.rows]
    assert texts == [
        ["Group", "Families", "Share re-referred", f"Cost {ONERROR}", "p-value", "Rating"],
        ["Pilot", "120", "12.3%", "£12,346", "<0.001", "Green"],
        ["Comparison", "c", "50.0%", "-£250", "0.012", "Amber"],
        [SCRIPT, "1,234", "c", "", "0.500", "Red"],
        [FORMULA, "0", "x", "z", "x", "x"],
    ]
    # The header row repeats on every page; no row breaks across pages.
    trs = table._tbl.tr_lst
    assert trs[0].trPr.find(qn("w:tblHeader")) is not None
    assert all(tr.trPr.find(qn("w:tblHeader")) is None for tr in trs[1:])
    assert all(tr.trPr.find(qn("w:cantSplit")) is not None for tr in trs)
    # Numbers (and their headers) right-aligned, text left as it is.
    for row in table.rows:
        aligns = [c.paragraphs[0].alignment for c in row.cells]
        assert aligns == [None] + [WD_ALIGN_PARAGRAPH.RIGHT] * 4 + [None]
    assert all(r.bold for c in table.rows[0].cells for r in c.paragraphs[0].runs)
    # Suppressed cells shaded, ratings a word on a coloured cell.
    fill = table.rows[2].cells[1]._tc.tcPr.find(qn("w:shd")).get(qn("w:fill"))
    assert fill == "F3F2F1"
    rag = table.rows[1].cells[5]
    assert rag._tc.tcPr.find(qn("w:shd")).get(qn("w:fill")) == "00703C"
    assert rag.paragraphs[0].runs[0].bold
    # Note (with the marker legend) and source below the table.
    note, source = after[0], after[1]
    assert note.style.name == "Table Note" and note.text.startswith("Counts of 1 to 5")
    assert "c: not shown to protect confidentiality" in note.text
    assert "x: not available. z: not applicable." in note.text
    assert source.text == "Source: Sample data, local authority case records"


def test_table_columns_fill_the_text_width(word):
    _, table, _ = _table_after(word, "Table 2:")
    widths = [int(g.get(qn("w:w"))) for g in table._tbl.tblGrid.iterchildren(qn("w:gridCol"))]
    assert len(widths) == 7 and sum(widths) == pytest.approx(Mm(160).twips, abs=7)
    assert table._tbl.tblPr.find(qn("w:tblW")).get(qn("w:type")) == "pct"
    assert [c.text for c in table.rows[2].cells] == [
        "1 Apr 2025",
        "2,000,000",
        "2.7",
        "0.00",
        "3.142",
        "100.0%",
        "@risk",
    ]
    look = table._tbl.tblPr.find(qn("w:tblLook"))
    assert look.get(qn("w:firstColumn")) == "0"  # first column is a date, not a row header


def test_figures_are_pictures_with_alt_text_and_captions_below(word, path):
    shapes = word.inline_shapes
    assert len(shapes) == 2
    assert shapes[0].width == Mm(160) and shapes[0].height == Mm(80)  # 40 x 20 px
    doc = example_document()
    descr = [s._inline.docPr.get("descr") for s in shapes]
    assert descr == [f.alt for f in doc.figures()]
    with zipfile.ZipFile(path) as z:
        media = sorted(n for n in z.namelist() if n.startswith("word/media/"))
        assert [z.read(n) for n in media] == [f.png for f in doc.figures()]
    items = _body_items(word)
    pictures = [i for i, p in enumerate(items) if "graphicData" in p._element.xml]
    for i, fig in zip(pictures, doc.figures(), strict=True):
        assert items[i].paragraph_format.keep_with_next
        assert items[i + 1].style.name == "Caption"
        assert items[i + 1].text == doc.numbered_caption(fig)
    assert items[pictures[0] + 2].text.startswith("Bars show")


def test_tall_figure_fits_the_page_and_svg_only_figure_is_described(tmp_path):
    tall = Figure(caption="Tall", alt="A tall chart.", anchor="tall", png=png_bytes(20, 60))
    svg_only = Figure(caption="Vector", alt="A vector chart.", anchor="vec", svg=svg_bytes())
    doc = Document("R", sections=[Section("S", "s", (tall, svg_only))])
    word = docx.Document(str(write_docx(doc, tmp_path / "r.docx")))
    (shape,) = word.inline_shapes
    assert shape.height == Mm(200) and abs(shape.width - Mm(200 / 3)) < Mm(0.01)
    texts = [p.text for p in word.paragraphs]
    assert "[A vector chart.]" in texts and "Figure 2: Vector" in texts


def test_internal_links_and_bookmarks(word):
    body = word.element.body
    marks = {b.get(qn("w:name")) for b in body.iter(qn("w:bookmarkStart"))}
    links = [h.get(qn("w:anchor")) for h in body.iter(qn("w:hyperlink"))]
    assert links and set(links) <= marks
    doc = example_document()
    anchors = {s.anchor for s, _ in doc.walk()} | {t.anchor for t in doc.tables()}
    anchors |= {f.anchor for f in doc.figures()} | {"minor", "scenario-1", "provenance"}
    assert {a.replace("-", "_") for a in anchors} == marks
    ids = [b.get(qn("w:id")) for b in body.iter(qn("w:bookmarkStart"))]
    assert len(ids) == len(set(ids))
    assert sorted(ids) == sorted(b.get(qn("w:id")) for b in body.iter(qn("w:bookmarkEnd")))
    # The contents list links every section, table and figure.
    listed = anchors - {"minor", "scenario-1", "provenance"}
    assert set(links[: len(listed)]) == {a.replace("-", "_") for a in listed}
    # A [text](#anchor) link in a paragraph, and bold text.
    para = next(p for p in word.paragraphs if p.text.startswith("The pilot"))
    assert [h.get(qn("w:anchor")) for h in para._p.iter(qn("w:hyperlink"))] == [
        "tab_counts",
        "method",
    ]
    assert [r.text for r in para.runs if r.bold] == ["reduced"]
    assert para.text.endswith(f"{SCRIPT} [a](https://example.org)")


def test_lists_and_numbering_restart(tmp_path):
    doc = Document(
        "R",
        sections=[
            Section(
                "S",
                "s",
                (
                    BulletList(("a", "b"), ordered=True),
                    Paragraph("between"),
                    BulletList(("c", "d"), ordered=True),
                    BulletList(("e",)),
                ),
            )
        ],
    )
    word = docx.Document(str(write_docx(doc, tmp_path / "r.docx")))
    body = [p for p in word.paragraphs if p.style.name.startswith("List") or p.text == "between"]
    styles = [(p.style.name, p.text) for p in body]
    assert styles == [
        ("List Number", "a"),
        ("List Number", "b"),
        ("Normal", "between"),
        ("List Number", "c"),
        ("List Number", "d"),
        ("List Bullet", "e"),
    ]
    num_ids = [p._p.pPr.numPr.numId.val for p in body if p.style.name == "List Number"]
    assert num_ids[0] == num_ids[1] != num_ids[2] == num_ids[3]
    numbering = word.part.numbering_part.element
    for num_id in {num_ids[0], num_ids[2]}:
        num = numbering.num_having_numId(num_id)
        start = num.find(qn("w:lvlOverride") + "/" + qn("w:startOverride"))
        assert start.get(qn("w:val")) == "1"


def test_callouts_and_key_values(word):
    boxes = [t for t in word.tables if len(t.rows) == 1 and len(t.columns) == 1]
    assert [b.rows[0].cells[0].paragraphs[0].text for b in boxes] == [
        "Note",
        "Read with care",
        "Scenario",
    ]
    fills = [b.rows[0].cells[0]._tc.tcPr.find(qn("w:shd")).get(qn("w:fill")) for b in boxes]
    assert fills == ["EAF2F8", "FCEFEC", "EBF5EF"]
    assert [p.text for p in boxes[0].rows[0].cells[0].paragraphs] == [
        "Note",
        "A note.",
        "With a second paragraph.",
    ]
    assert boxes[0].rows[0].cells[0].paragraphs[0].runs[0].bold
    kv = word.tables[-1]
    assert [[c.text for c in r.cells] for r in kv.rows] == [
        ["Config", "evaluation.toml"],
        ["Formula", FORMULA],
        ["Script", SCRIPT],
    ]
    meta = word.tables[0]
    assert [[c.text for c in r.cells] for r in meta.rows] == [
        ["Data cut", "31 Mar 2025"],
        ["Version", ONERROR],
    ]


def test_core_properties_name_no_person_and_no_time(word, tmp_path):
    cp = word.core_properties
    assert cp.title == example_document().title
    assert cp.subject == "Interim report"
    assert cp.author == cp.last_modified_by == AUTHOR == "noream_eval"
    assert cp.created is None and cp.modified is None and cp.last_printed is None
    assert cp.comments == ""
    when = dt.datetime(2025, 4, 1, 9, 0, tzinfo=dt.UTC)
    again = docx.Document(str(write_docx(example_document(), tmp_path / "t.docx", created=when)))
    assert again.core_properties.created == again.core_properties.modified == when


def test_valid_office_open_xml(path):
    # Schema and semantic validation against ECMA-376 (element order, attribute
    # values, relationships), independent of python-docx, which wrote the file.
    openxml_audit = pytest.importorskip("openxml_audit")
    result = openxml_audit.OpenXmlValidator().validate(str(path))
    assert [str(e) for e in result.errors] == []
    assert result.is_valid


def test_output_is_deterministic(path, tmp_path):
    again = write_docx(example_document(), tmp_path / "again.docx")
    assert again.read_bytes() == path.read_bytes()
    with zipfile.ZipFile(again) as z:
        assert {i.date_time for i in z.infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_empty_table_and_control_characters(tmp_path):
    table = Table(
        frame=pd.DataFrame({"a\x01": pd.Series([], dtype=object)}),
        kinds={},
        caption="Empty\x02",
        anchor="empty",
    )
    doc = Document("R\x00", sections=[Section("S\x0b", "s", (table,))])
    word = docx.Document(str(write_docx(doc, tmp_path / "r.docx")))
    (t,) = word.tables
    assert [[c.text for c in r.cells] for r in t.rows] == [["a"]]
    assert word.core_properties.title == "R"
    assert "Table 1: Empty" in [p.text for p in word.paragraphs]
