"""Render a :class:`~noream_eval.reports.document.Document` as a Word file (``.docx``).

The file is built with python-docx on its default template and uses Word's own
structure, so that it stays accessible and editable:

* an A4 page (25 mm margins), British English as the proofing language;
* the title in the "Title" style, sections as real headings ("Heading 1" for
  top-level sections, "Heading 2" for their subsections, and so on; a
  :class:`~noream_eval.reports.document.Heading` block is one level below its
  section), so Word's navigation pane and generated tables of contents work;
* a contents list of internal hyperlinks to every section, table and figure (each
  has a bookmark named after its anchor); ``[text](#anchor)`` links in the text are
  hyperlinks to the same bookmarks;
* real Word tables in the "Light Grid Accent 1" style, the header row marked to repeat
  on every page, rows kept whole across pages, numbers right-aligned, suppressed and
  other marker cells shaded grey, red/amber/green ratings as the word on a coloured
  cell; the caption ("Caption" style, "Table N: ...") above the table, the note, marker
  legend and source below it;
* figures from the PNG bytes, as wide as the text (less if the page is too short),
  with their alternative text, and the caption ("Figure N: ...") below; a figure with
  only SVG bytes is shown as its alternative text in brackets, since Word needs a
  bitmap fallback that only the PNG provides;
* callouts as shaded single-cell tables headed by their title; key-value tables as
  two-column tables.

Document properties: title, subject (the subtitle), author and last-modified-by
"noream_eval"; no creation or modification time unless one is given, so the file does
not carry the time it was made. The zip entries have a fixed timestamp, so the same
document gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
import io
import struct
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape as xml_escape

from noream_eval.reports._ooxml import stable_package
from noream_eval.reports.document import (
    MARKERS,
    RAG,
    BulletList,
    Callout,
    Document,
    Figure,
    Heading,
    KeyValue,
    Paragraph,
    Section,
    Table,
    parse_inline,
    strip_control,
)

if TYPE_CHECKING:
    import docx.document

__all__ = ["AUTHOR", "TABLE_STYLE", "write_docx"]

AUTHOR = "noream_eval"
TABLE_STYLE = "Light Grid Accent 1"
_PAGE_W_MM, _PAGE_H_MM, _MARGIN_MM = 210, 297, 25
_TEXT_W_MM = _PAGE_W_MM - 2 * _MARGIN_MM
_TEXT_W_TWIPS = round(_TEXT_W_MM / 25.4 * 1440)
_MAX_FIGURE_H_MM = 200  # leaves room on the page for the caption and note
_MARKER_FILL = "F3F2F1"
_RAG_FILL = {
    "red": ("D4351C", "FFFFFF"),
    "amber": ("F47738", "0B0C0C"),
    "green": ("00703C", "FFFFFF"),
}
_CALLOUT_FILL = {
    "note": ("EAF2F8", "1D70B8"),
    "warning": ("FCEFEC", "D4351C"),
    "scenario": ("EBF5EF", "00703C"),
}


def _png_size(png: bytes) -> tuple[int, int]:
    """Width and height in pixels, from the PNG's IHDR chunk."""
    width, height = struct.unpack(">II", png[16:24])
    return width, height


def _x(text: str) -> str:
    """Text for WordprocessingML: control characters dropped, ``& < > "`` escaped."""
    return xml_escape(strip_control(text), {'"': "&quot;"})


def _run(text: str, *, bold: bool = False, italic: bool = False, color: str | None = None) -> str:
    props = ("<w:b/>" if bold else "") + ("<w:i/>" if italic else "")
    props += f'<w:color w:val="{color}"/>' if color else ""
    rpr = f"<w:rPr>{props}</w:rPr>" if props else ""
    return f'<w:r>{rpr}<w:t xml:space="preserve">{_x(text)}</w:t></w:r>'


def _column_widths(table: Table, total: int) -> list[int]:
    """Column widths in twips, in proportion to the longest cell or header word."""
    weights = []
    for j, column in enumerate(table.columns):
        longest_word = max((len(w) for w in table.label(column).split()), default=1)
        longest_cell = max((len(row[j]) for row in table.formatted), default=1)
        weights.append(min(max(longest_word, longest_cell, 4), 40))
    scale = total / max(sum(weights), 1)
    return [int(w * scale) for w in weights]


class _Writer:
    """Builds the body as WordprocessingML text (python-docx's object API takes
    milliseconds per paragraph); python-docx provides the package, the styles, the
    numbering and the pictures."""

    def __init__(self, doc: Document) -> None:
        from docx import Document as new_document
        from docx.enum.style import WD_STYLE_TYPE
        from docx.shared import Mm, Pt, RGBColor

        self.doc = doc
        self.d: docx.document.Document = new_document()
        self.body = self.d.element.body
        self.buffer: list[str] = []
        self._bookmark_id = 0
        self._bookmarks: dict[str, str] = {}
        self._figure_no = 0
        for anchor in self._anchors():
            self._bookmark_name(anchor)

        # The template's stylesWithEffects part (a Word 2010 copy of the styles) would
        # disagree with the styles changed here; Word needs only styles.xml.
        for rid, rel in list(self.d.part.rels.items()):
            if rel.reltype.endswith("/stylesWithEffects"):
                self.d.part.drop_rel(rid)

        section = self.d.sections[0]
        section.page_width, section.page_height = Mm(_PAGE_W_MM), Mm(_PAGE_H_MM)
        for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
            setattr(section, side, Mm(_MARGIN_MM))
        self.text_width = Mm(_TEXT_W_MM)

        styles = self.d.styles
        normal = styles["Normal"]
        normal.font.name = "Arial"
        normal.font.size = Pt(11)
        self._set_language()
        names = {s.name for s in styles}
        if "Hyperlink" not in names:
            link = styles.add_style("Hyperlink", WD_STYLE_TYPE.CHARACTER)
            link.font.color.rgb = RGBColor(0x1D, 0x70, 0xB8)
            link.font.underline = True
        note = styles.add_style("Table Note", WD_STYLE_TYPE.PARAGRAPH)
        note.base_style = normal
        note.font.size = Pt(9)
        note.font.color.rgb = RGBColor(0x50, 0x5A, 0x5F)
        note.paragraph_format.space_before = Pt(3)
        note.paragraph_format.space_after = Pt(3)
        cell = styles.add_style("Table Cell", WD_STYLE_TYPE.PARAGRAPH)
        cell.base_style = normal
        cell.font.size = Pt(9.5)
        cell.paragraph_format.space_before = Pt(0)
        cell.paragraph_format.space_after = Pt(0)
        used = ("Title", "Subtitle", "Caption", "List Bullet", "List Number", "Table Grid")
        self.sid = {name: styles[name].style_id for name in (*used, TABLE_STYLE)}
        self.sid |= {n: styles[n].style_id for n in ("Hyperlink", "Table Note", "Table Cell")}
        self.sid |= {f"Heading {k}": styles[f"Heading {k}"].style_id for k in range(1, 10)}

    # ---------------------------------------------------------------- helpers

    def _anchors(self) -> list[str]:
        out = []
        for section, _ in self.doc.walk():
            out.append(section.anchor)
            out += [b.anchor for b in section.blocks if getattr(b, "anchor", None)]
        return out

    def _bookmark_name(self, anchor: str) -> str:
        """A Word bookmark name for ``anchor``: letters, digits and ``_``, at most 40."""
        if anchor in self._bookmarks:
            return self._bookmarks[anchor]
        base = anchor.replace("-", "_")[:40]
        name, k = base, 1
        taken = {n.lower() for n in self._bookmarks.values()}
        while name.lower() in taken:
            k += 1
            name = f"{base[: 40 - len(str(k)) - 1]}_{k}"
        self._bookmarks[anchor] = name
        return name

    def _set_language(self) -> None:
        from docx.oxml import OxmlElement
        from docx.oxml.ns import qn

        styles = self.d.styles.element
        rpr = styles.find(qn("w:docDefaults") + "/" + qn("w:rPrDefault") + "/" + qn("w:rPr"))
        if rpr is None:  # pragma: no cover - the default template has one
            return
        lang = rpr.find(qn("w:lang"))
        if lang is None:
            lang = OxmlElement("w:lang")
            rpr.append(lang)
        lang.set(qn("w:val"), "en-GB")

    def _flush(self) -> None:
        """Move the buffered WordprocessingML into the body, before its sectPr."""
        if not self.buffer:
            return
        from docx.oxml.ns import nsdecls
        from docx.oxml.parser import parse_xml

        fragment = parse_xml(f"<w:body {nsdecls('w')}>{''.join(self.buffer)}</w:body>")
        self.buffer = []
        sect = self.body.sectPr
        for element in list(fragment):
            if sect is not None:
                sect.addprevious(element)
            else:  # pragma: no cover - the default template has a sectPr
                self.body.append(element)

    def _inline(self, text: str) -> str:
        """Runs and internal hyperlinks for text with inline markup."""
        out = []
        for span in parse_inline(text):
            if span.anchor is not None:
                out.append(self._link(span.text, span.anchor))
            elif span.text:
                out.append(_run(span.text, bold=span.bold))
        return "".join(out)

    def _p(
        self,
        content: str = "",
        *,
        style: str | None = None,
        keep_next: bool = False,
        num_id: int | None = None,
        before: int | None = None,
        after: int | None = None,
        indent: int | None = None,
        align: str | None = None,
        anchor: str | None = None,
    ) -> str:
        """A paragraph (spacing in twentieths of a point, indent in twips)."""
        ppr = f'<w:pStyle w:val="{self.sid[style]}"/>' if style else ""
        ppr += "<w:keepNext/>" if keep_next else ""
        if num_id is not None:
            ppr += f'<w:numPr><w:ilvl w:val="0"/><w:numId w:val="{num_id}"/></w:numPr>'
        if before is not None or after is not None:
            ppr += (
                "<w:spacing"
                + (f' w:before="{before}"' if before is not None else "")
                + (f' w:after="{after}"' if after is not None else "")
                + "/>"
            )
        ppr += f'<w:ind w:left="{indent}"/>' if indent else ""
        ppr += f'<w:jc w:val="{align}"/>' if align else ""
        ppr = f"<w:pPr>{ppr}</w:pPr>" if ppr else ""
        if anchor is not None:
            self._bookmark_id += 1
            i = self._bookmark_id
            name = self._bookmark_name(anchor)
            content = (
                f'<w:bookmarkStart w:id="{i}" w:name="{name}"/>{content}<w:bookmarkEnd w:id="{i}"/>'
            )
        return f"<w:p>{ppr}{content}</w:p>"

    @staticmethod
    def _tc(content: str, width: int, *, fill: str | None = None, extra: str = "") -> str:
        shd = f'<w:shd w:val="clear" w:color="auto" w:fill="{fill}"/>' if fill else ""
        props = f'<w:tcW w:w="{width}" w:type="dxa"/>{extra}{shd}'
        return f"<w:tc><w:tcPr>{props}</w:tcPr>{content}</w:tc>"

    def _tbl(
        self,
        rows: list[str],
        widths: list[int],
        *,
        style: str,
        header: bool,
        first_column: bool,
    ) -> str:
        """A full-width table of ready-made rows of cells; the first row a repeating
        header if ``header``; no row split across pages."""
        look = 0x0400 | (0x0020 if header else 0) | (0x0080 if first_column else 0)
        flags = (
            f'w:firstRow="{int(header)}" w:lastRow="0" w:firstColumn="{int(first_column)}" '
            'w:lastColumn="0" w:noHBand="0" w:noVBand="1"'
        )
        grid = "".join(f'<w:gridCol w:w="{w}"/>' for w in widths)
        out = [
            f'<w:tbl><w:tblPr><w:tblStyle w:val="{self.sid[style]}"/>'
            f'<w:tblW w:w="5000" w:type="pct"/><w:tblLook w:val="{look:04X}" {flags}/>'
            f"</w:tblPr><w:tblGrid>{grid}</w:tblGrid>"
        ]
        for i, cells in enumerate(rows):
            trpr = "<w:cantSplit/>" + ("<w:tblHeader/>" if header and i == 0 else "")
            out.append(f"<w:tr><w:trPr>{trpr}</w:trPr>{cells}</w:tr>")
        out.append("</w:tbl>")
        return "".join(out)

    # ---------------------------------------------------------------- document

    def write(self) -> docx.document.Document:
        doc, w = self.doc, self.buffer.append
        w(self._p(_run(doc.title), style="Title"))
        if doc.subtitle:
            w(self._p(_run(doc.subtitle), style="Subtitle"))
        if doc.metadata:
            self._pairs(tuple(doc.metadata.items()))
        if doc.sections:
            w(self._p(_run("Contents"), style="Heading 1"))
            for section, depth in doc.walk():
                w(
                    self._p(
                        self._link(section.title, section.anchor),
                        after=40,
                        indent=340 * (depth - 1),
                    )
                )
                for block in section.blocks:
                    if isinstance(block, Table | Figure):
                        caption = self.doc.numbered_caption(block)
                        w(
                            self._p(
                                self._link(caption, block.anchor),
                                style="Table Note",
                                before=0,
                                indent=340 * depth,
                            )
                        )
        for section in doc.sections:
            self._section(section, 1)
        self._flush()
        self._properties()
        return self.d

    def _link(self, text: str, anchor: str) -> str:
        return (
            f'<w:hyperlink w:anchor="{self._bookmark_name(anchor)}" w:history="1">'
            f'<w:r><w:rPr><w:rStyle w:val="{self.sid["Hyperlink"]}"/></w:rPr>'
            f'<w:t xml:space="preserve">{_x(text)}</w:t></w:r></w:hyperlink>'
        )

    def _properties(self) -> None:
        cp = self.d.core_properties
        cp.title = strip_control(self.doc.title)
        cp.subject = strip_control(self.doc.subtitle)
        cp.author = AUTHOR
        cp.last_modified_by = AUTHOR
        cp.comments = ""
        cp.keywords = ""
        cp.category = ""
        cp.revision = 1

    def _section(self, section: Section, depth: int) -> None:
        style = f"Heading {min(depth, 9)}"
        self.buffer.append(self._p(_run(section.title), style=style, anchor=section.anchor))
        for block in section.blocks:
            self._block(block, depth)
        for sub in section.subsections:
            self._section(sub, depth + 1)

    def _block(self, block: object, depth: int) -> None:
        w = self.buffer.append
        if isinstance(block, Paragraph):
            w(self._p(self._inline(block.text)))
        elif isinstance(block, Heading):
            w(self._p(_run(block.text), style=f"Heading {min(depth + 1, 9)}", anchor=block.anchor))
        elif isinstance(block, BulletList):
            self._list(block)
        elif isinstance(block, Callout):
            self._callout(block)
        elif isinstance(block, KeyValue):
            if block.caption:
                w(
                    self._p(
                        _run(block.caption), style="Caption", keep_next=True, anchor=block.anchor
                    )
                )
            elif block.anchor:
                w(self._p(anchor=block.anchor, keep_next=True))
            self._pairs(block.rows)
        elif isinstance(block, Table):
            self._table(block)
        elif isinstance(block, Figure):
            self._figure(block)
        else:  # pragma: no cover - Section validates its blocks
            raise TypeError(type(block).__name__)

    def _list(self, block: BulletList) -> None:
        if block.ordered:  # each numbered list starts again at 1
            numbering = self.d.part.numbering_part.numbering_definitions._numbering
            style_num = self.d.styles["List Number"].element.pPr.numPr.numId.val
            abstract = numbering.num_having_numId(style_num).abstractNumId.val
            num = numbering.add_num(abstract)
            num.add_lvlOverride(ilvl=0).add_startOverride(1)
            num_id: int | None = num.numId
            style = "List Number"
        else:
            num_id, style = None, "List Bullet"
        for item in block.items:
            self.buffer.append(self._p(self._inline(item), style=style, num_id=num_id))

    def _callout(self, block: Callout) -> None:
        fill, edge = _CALLOUT_FILL[block.kind]
        content = self._p(_run(block.heading, bold=True), style="Table Cell", anchor=block.anchor)
        content += "".join(
            self._p(self._inline(text), style="Table Cell", before=60) for text in block.paragraphs
        )
        left = f'<w:left w:val="single" w:sz="36" w:space="0" w:color="{edge}"/>'
        border = (  # a bar on the left, as in the HTML report; no other border
            f'<w:tcBorders><w:top w:val="nil"/>{left}<w:bottom w:val="nil"/>'
            '<w:right w:val="nil"/></w:tcBorders>'
        )
        cell = self._tc(content, _TEXT_W_TWIPS, fill=fill, extra=border)
        self.buffer.append(
            self._tbl([cell], [_TEXT_W_TWIPS], style="Table Grid", header=False, first_column=False)
        )
        self.buffer.append(self._p())  # space after the box

    def _pairs(self, rows: tuple[tuple[str, str], ...]) -> None:
        widths = [_TEXT_W_TWIPS * 3 // 10, _TEXT_W_TWIPS * 7 // 10]
        cells = [
            self._tc(self._p(_run(key, bold=True), style="Table Cell"), widths[0])
            + self._tc(self._p(_run(value) if value else "", style="Table Cell"), widths[1])
            for key, value in rows
        ]
        self.buffer.append(
            self._tbl(cells, widths, style="Table Grid", header=False, first_column=True)
        )
        self.buffer.append(self._p())

    def _table(self, table: Table) -> None:
        w = self.buffer.append
        caption = self.doc.numbered_caption(table)
        w(self._p(_run(caption), style="Caption", keep_next=True, anchor=table.anchor))
        columns = table.columns
        kinds = [table.kind(c) for c in columns]
        align = ["right" if table.is_numeric(c) else None for c in columns]
        widths = _column_widths(table, _TEXT_W_TWIPS)
        header = "".join(
            self._tc(self._p(_run(table.label(c), bold=True), style="Table Cell", align=a), wd)
            for c, a, wd in zip(columns, align, widths, strict=True)
        )
        rows = [header]
        for row in table.formatted:
            cells = []
            for text, kind, a, wd in zip(row, kinds, align, widths, strict=True):
                fill = None
                if text in MARKERS:
                    run, fill = _run(text), _MARKER_FILL
                elif kind == "rag" and text.lower() in RAG:
                    fill, colour = _RAG_FILL[text.lower()]
                    run = _run(text, bold=True, color=colour)
                else:
                    run = _run(text) if text else ""
                cells.append(self._tc(self._p(run, style="Table Cell", align=a), wd, fill=fill))
            rows.append("".join(cells))
        first_column = bool(kinds) and kinds[0] == "text"
        w(self._tbl(rows, widths, style=TABLE_STYLE, header=True, first_column=first_column))
        note = table.full_note
        if note:
            w(self._p(_run(note), style="Table Note"))
        if table.source:
            w(self._p(_run(f"Source: {table.source}"), style="Table Note"))
        if not note and not table.source:
            w(self._p(style="Table Note"))  # keeps the next table apart

    def _figure(self, figure: Figure) -> None:
        from docx.enum.text import WD_ALIGN_PARAGRAPH
        from docx.oxml.ns import qn
        from docx.shared import Mm

        self._figure_no += 1
        self._flush()
        p = self.d.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        p.paragraph_format.keep_with_next = True
        if figure.png is not None:
            w_px, h_px = _png_size(figure.png)
            width = self.text_width
            if h_px * _TEXT_W_MM > _MAX_FIGURE_H_MM * w_px:  # too tall for the page
                width = Mm(_MAX_FIGURE_H_MM * w_px / h_px)
            run = p.add_run()
            run.add_picture(io.BytesIO(figure.png), width=width)
            for pr in run._r.iter(qn("wp:docPr")):
                pr.set("name", f"Figure {self._figure_no}")
                pr.set("descr", strip_control(figure.alt))
        else:
            p.add_run(strip_control(f"[{figure.alt}]")).italic = True
        self._bookmark_id += 1
        self._bookmark(p, figure.anchor, self._bookmark_id)
        caption = self.doc.numbered_caption(figure)
        self.buffer.append(self._p(_run(caption), style="Caption", keep_next=bool(figure.note)))
        if figure.note:
            self.buffer.append(self._p(_run(figure.note), style="Table Note"))

    def _bookmark(self, paragraph: Any, anchor: str, ident: int) -> None:
        from docx.oxml import OxmlElement
        from docx.oxml.ns import qn

        start = OxmlElement("w:bookmarkStart", {qn("w:id"): str(ident)})
        start.set(qn("w:name"), self._bookmark_name(anchor))
        end = OxmlElement("w:bookmarkEnd", {qn("w:id"): str(ident)})
        p = paragraph._p
        if p.pPr is not None:
            p.pPr.addnext(start)
        else:  # pragma: no cover - alignment always adds a pPr
            p.insert(0, start)
        p.append(end)


def write_docx(doc: Document, path: str | Path, *, created: dt.datetime | None = None) -> Path:
    """Write the document as a Word file.

    Parameters
    ----------
    doc : Document
    path : str or pathlib.Path
        The ``.docx`` file to write (replaced if it exists).
    created : datetime.datetime, optional
        The creation and modification time to record in the document properties.
        By default none is recorded.

    Returns
    -------
    pathlib.Path
        ``path``.

    Notes
    -----
    See the module docstring for the layout. Cells are shown with
    :func:`~noream_eval.reports.document.format_cell`, as in the HTML report.
    Bookmarks are named after the anchors (``-`` becomes ``_``, at most 40
    characters, as Word requires). The output is deterministic: the same document
    (and ``created``) gives the same bytes.

    Examples
    --------
    >>> import tempfile, docx
    >>> from noream_eval.reports.document import Document, Paragraph, Section
    >>> doc = Document("Report", sections=[Section("Summary", "summary", (Paragraph("Hi"),))])
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     word = docx.Document(write_docx(doc, f"{tmp}/report.docx"))
    >>> [(p.style.name, p.text) for p in word.paragraphs if p.style.name.startswith("Heading")]
    [('Heading 1', 'Contents'), ('Heading 1', 'Summary')]
    >>> word.core_properties.author, word.core_properties.created
    ('noream_eval', None)
    """
    writer = _Writer(doc)
    word = writer.write()
    if created is not None:
        word.core_properties.created = created
        word.core_properties.modified = created
    buffer = io.BytesIO()
    word.save(buffer)
    path = Path(path)
    path.write_bytes(stable_package(buffer.getvalue(), drop_times=created is None))
    return path
