"""Render a :class:`~noream_eval.reports.document.Document` as one self-contained HTML file.

The file needs nothing else: the style sheet is inline, figures are embedded as
``data:`` URIs (the SVG when there is one, which keeps the SVG's own ids apart from the
page's and prints as vectors; the PNG otherwise), there is no JavaScript and no
address outside the file, not even a font. It opens the same from an e-mail attachment,
a shared drive or a browser with no network.

It is written for people first: ``lang="en-GB"``, a contents list linking every section,
table and figure, tables with ``<caption>``, ``<th scope>`` and notes tied to them by
``aria-describedby``, alternative text on every figure, red/amber/green ratings as a
word in a coloured badge (never colour alone), text at most 50em wide (tables up to
64em, scrolling sideways beyond), numbers right-aligned in tabular figures. Printed (or
saved as PDF) it fits A4, keeps figures and tables whole where they fit on a page,
repeats table headers across pages and keeps the contents links.

Every piece of text that comes from the document is HTML-escaped; the output is also
well-formed XML (void elements are self-closed).
"""

from __future__ import annotations

import base64
import html
from collections.abc import Iterator

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

__all__ = ["CSS", "render_html"]

#: The style sheet inlined in every report (screen and print).
CSS = """
html { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
  sans-serif; font-size: 100%; line-height: 1.5; color: #0b0c0c; background: #fff; }
body { max-width: 64em; margin: 0 auto; padding: 1.5em 1.25em 4em; }
p, ul, ol, dl, h1, h2, h3, h4, h5, h6, nav, figure, .callout { max-width: 50em; }
h1, h2, h3, h4, h5, h6 { line-height: 1.25; margin: 1.75em 0 .5em; }
h1 { font-size: 2em; margin-top: .5em; }
h2 { font-size: 1.5em; padding-top: .5em; border-top: 1px solid #b1b4b6; }
h3 { font-size: 1.25em; } h4 { font-size: 1.1em; } h5, h6 { font-size: 1em; }
p, ul, ol { margin: 0 0 1em; }
a { color: #1d70b8; text-decoration-thickness: 1px; text-underline-offset: .15em; }
a:visited { color: #4c2c92; }
a:focus { outline: 3px solid #fd0; background: #fd0; color: #0b0c0c; }
.subtitle { font-size: 1.25em; color: #505a5f; margin-top: -.25em; }
.metadata { display: grid; grid-template-columns: max-content 1fr; gap: .2em 1em;
  margin: 1em 0 2em; font-size: .9em; }
.metadata div { display: contents; }
.metadata dt { font-weight: 700; } .metadata dd { margin: 0; }
nav.toc { margin: 2em 0; } nav.toc ol { padding-left: 1.5em; margin: 0; }
nav.toc li { margin: .2em 0; }
nav.toc ul.toc-items { list-style: none; padding-left: 0; margin: .1em 0 .4em;
  font-size: .9em; }
.table-block { margin: 1.75em 0; }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; font-size: .9em; }
caption { caption-side: top; text-align: left; font-weight: 700; padding: 0 0 .5em; }
th, td { padding: .35em .6em; border-bottom: 1px solid #b1b4b6; text-align: left;
  vertical-align: top; }
thead th { vertical-align: bottom; border-bottom: 2px solid #0b0c0c; }
tbody th { font-weight: 400; }
.num { text-align: right; font-variant-numeric: tabular-nums; }
td.num { white-space: nowrap; }
td.marker { color: #505a5f; background: #f3f2f1; font-style: italic; }
td.marker abbr { text-decoration: none; }
.rag { display: inline-block; min-width: 4.5em; padding: 0 .5em; border: 1px solid #0b0c0c;
  border-radius: .25em; font-weight: 700; text-align: center; }
.rag-red { background: #d4351c; color: #fff; }
.rag-amber { background: #f47738; color: #0b0c0c; }
.rag-green { background: #00703c; color: #fff; }
.note, .source { font-size: .85em; color: #505a5f; margin: .5em 0 0; }
figure { margin: 1.75em 0; }
figure img { display: block; max-width: 100%; height: auto; }
figcaption { margin-top: .5em; }
figcaption .caption { font-weight: 700; margin: 0; }
.callout { margin: 1.5em 0; padding: .75em 1em; border-left: 6px solid; }
.callout p:last-child { margin-bottom: 0; }
.callout .callout-title { font-weight: 700; margin-bottom: .25em; }
.callout-note { border-color: #1d70b8; background: #eaf2f8; }
.callout-warning { border-color: #d4351c; background: #fcefec; }
.callout-scenario { border-color: #00703c; background: #ebf5ef; }
table.kv { margin: 1.5em 0; } table.kv th { font-weight: 700; padding-right: 1.5em; }
@page { size: A4; margin: 20mm 18mm 22mm; }
@media print {
  html { font-size: 10.5pt; }
  body, p, ul, ol, dl, h1, h2, h3, h4, h5, h6, nav, figure, .callout { max-width: none; }
  body { padding: 0; }
  a { color: #0b0c0c; }
  nav.toc { break-after: page; page-break-after: always; }
  h1, h2, h3, h4, h5, h6, caption { break-after: avoid; page-break-after: avoid; }
  .table-wrap { overflow: visible; }
  table { width: 100%; font-size: .8em; }
  th, td { padding: .2em .3em; }
  td { overflow-wrap: anywhere; }
  td.num { white-space: normal; }
  .table-block, figure, .callout, table.kv { break-inside: avoid; page-break-inside: avoid; }
  thead { display: table-header-group; } tr { break-inside: avoid; page-break-inside: avoid; }
  .rag, td.marker, .callout { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
""".strip()

# Short explanations of the markers, for a tooltip; the table note has the full ones.
_MARKER_TITLES = {"c": "confidential (see the note)", "x": "not available", "z": "not applicable"}


def _esc(text: str) -> str:
    """Text as HTML: escaped (quotes too), control characters dropped."""
    return html.escape(strip_control(text), quote=True)


def _inline(text: str) -> str:
    out = []
    for span in parse_inline(text):
        body = _esc(span.text)
        if span.anchor is not None:
            out.append(f'<a href="#{_esc(span.anchor)}">{body}</a>')
        elif span.bold:
            out.append(f"<strong>{body}</strong>")
        else:
            out.append(body)
    return "".join(out)


def _h(level: int) -> str:
    return f"h{min(level, 6)}"


class _Renderer:
    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.out: list[str] = []

    def render(self) -> str:
        doc, w = self.doc, self.out.append
        w("<!DOCTYPE html>")
        w('<html lang="en-GB">')
        w("<head>")
        w('<meta charset="utf-8"/>')
        w('<meta name="viewport" content="width=device-width, initial-scale=1"/>')
        w('<meta name="generator" content="noream_eval"/>')
        w('<link rel="icon" href="data:,"/>')  # no request for /favicon.ico
        w(f"<title>{_esc(doc.title)}</title>")
        w(f"<style>\n{CSS}\n</style>")
        w("</head>")
        w("<body>")
        w("<header>")
        w(f'<h1 id="document-title">{_esc(doc.title)}</h1>')
        if doc.subtitle:
            w(f'<p class="subtitle">{_esc(doc.subtitle)}</p>')
        if doc.metadata:
            w('<dl class="metadata">')
            for key, value in doc.metadata.items():
                w(f"<div><dt>{_esc(key)}</dt><dd>{_esc(value)}</dd></div>")
            w("</dl>")
        w("</header>")
        if doc.sections:
            w('<nav class="toc" id="contents" aria-label="Contents">')
            w("<h2>Contents</h2>")
            self._toc(doc.sections)
            w("</nav>")
        w("<main>")
        for section in doc.sections:
            self._section(section, 1)
        w("</main>")
        w("</body>")
        w("</html>")
        return "\n".join(self.out) + "\n"

    # ---------------------------------------------------------------- contents

    def _toc(self, sections: tuple[Section, ...]) -> None:
        w = self.out.append
        w("<ol>")
        for section in sections:
            w(f'<li><a href="#{_esc(section.anchor)}">{_esc(section.title)}</a>')
            items = [b for b in section.blocks if isinstance(b, Table | Figure)]
            if items:
                w('<ul class="toc-items">')
                for block in items:
                    caption = _esc(self.doc.numbered_caption(block))
                    w(f'<li><a href="#{_esc(block.anchor)}">{caption}</a></li>')
                w("</ul>")
            if section.subsections:
                self._toc(section.subsections)
            w("</li>")
        w("</ol>")

    # ---------------------------------------------------------------- body

    def _section(self, section: Section, depth: int) -> None:
        w = self.out.append
        h = _h(depth + 1)
        w(f'<section id="{_esc(section.anchor)}">')
        w(f"<{h}>{_esc(section.title)}</{h}>")
        for block in section.blocks:
            self._block(block, depth)
        for sub in section.subsections:
            self._section(sub, depth + 1)
        w("</section>")

    def _block(self, block: object, depth: int) -> None:
        w = self.out.append
        if isinstance(block, Paragraph):
            w(f"<p>{_inline(block.text)}</p>")
        elif isinstance(block, Heading):
            h = _h(depth + 2)
            ident = f' id="{_esc(block.anchor)}"' if block.anchor else ""
            w(f"<{h}{ident}>{_esc(block.text)}</{h}>")
        elif isinstance(block, BulletList):
            tag = "ol" if block.ordered else "ul"
            items = "".join(f"<li>{_inline(item)}</li>" for item in block.items)
            w(f"<{tag}>{items}</{tag}>")
        elif isinstance(block, Callout):
            ident = f' id="{_esc(block.anchor)}"' if block.anchor else ""
            w(f'<div class="callout callout-{block.kind}" role="note"{ident}>')
            w(f'<p class="callout-title">{_esc(block.heading)}</p>')
            for para in block.paragraphs:
                w(f"<p>{_inline(para)}</p>")
            w("</div>")
        elif isinstance(block, KeyValue):
            self._key_value(block)
        elif isinstance(block, Table):
            self._table(block)
        elif isinstance(block, Figure):
            self._figure(block)
        else:  # pragma: no cover - Section validates its blocks
            raise TypeError(type(block).__name__)

    def _key_value(self, block: KeyValue) -> None:
        w = self.out.append
        ident = f' id="{_esc(block.anchor)}"' if block.anchor else ""
        w(f'<table class="kv"{ident}>')
        if block.caption:
            w(f"<caption>{_esc(block.caption)}</caption>")
        w("<tbody>")
        for key, value in block.rows:
            w(f'<tr><th scope="row">{_esc(key)}</th><td>{_esc(value)}</td></tr>')
        w("</tbody></table>")

    def _table(self, table: Table) -> None:
        w = self.out.append
        anchor = _esc(table.anchor)
        note = table.full_note
        described = []
        if note:
            described.append(f"{anchor}.note")
        if table.source:
            described.append(f"{anchor}.source")
        aria = f' aria-describedby="{" ".join(described)}"' if described else ""
        columns = table.columns
        numeric = [table.is_numeric(c) for c in columns]
        kinds = [table.kind(c) for c in columns]
        row_header = bool(columns) and kinds[0] == "text"
        w(f'<div class="table-block" id="{anchor}">')
        w('<div class="table-wrap">')
        w(f"<table{aria}>")
        w(f"<caption>{_esc(self.doc.numbered_caption(table))}</caption>")
        num_class = ' class="num"'
        head = "".join(
            f'<th scope="col" data-kind="{_esc(kind)}"{num_class if num else ""}>'
            f"{_esc(table.label(c))}</th>"
            for c, kind, num in zip(columns, kinds, numeric, strict=True)
        )
        w(f"<thead><tr>{head}</tr></thead>")
        w("<tbody>")
        for row in table.formatted:
            cells = list(self._cells(row, kinds, numeric, row_header))
            w("<tr>" + "".join(cells) + "</tr>")
        w("</tbody>")
        w("</table>")
        w("</div>")
        if note:
            w(f'<p class="note" id="{anchor}.note">{_esc(note)}</p>')
        if table.source:
            w(f'<p class="source" id="{anchor}.source">Source: {_esc(table.source)}</p>')
        w("</div>")

    @staticmethod
    def _cells(
        row: tuple[str, ...], kinds: list[str], numeric: list[bool], row_header: bool
    ) -> Iterator[str]:
        for j, (text, kind, num) in enumerate(zip(row, kinds, numeric, strict=True)):
            classes = ["num"] if num else []
            if text in MARKERS:
                classes.append("marker")
                body = f'<abbr title="{_MARKER_TITLES[text]}">{text}</abbr>'
            elif kind == "rag" and text.lower() in RAG:
                body = f'<span class="rag rag-{text.lower()}">{_esc(text)}</span>'
            else:
                body = _esc(text)
            cls = f' class="{" ".join(classes)}"' if classes else ""
            if j == 0 and row_header:
                yield f'<th scope="row"{cls}>{body}</th>'
            else:
                yield f"<td{cls}>{body}</td>"

    def _figure(self, figure: Figure) -> None:
        w = self.out.append
        if figure.svg is not None:
            mime, data = "image/svg+xml", figure.svg
        else:
            mime, data = "image/png", figure.png or b""
        src = f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"
        w(f'<figure id="{_esc(figure.anchor)}">')
        w(f'<img src="{src}" alt="{_esc(figure.alt)}"/>')
        w("<figcaption>")
        w(f'<p class="caption">{_esc(self.doc.numbered_caption(figure))}</p>')
        if figure.note:
            w(f'<p class="note">{_esc(figure.note)}</p>')
        w("</figcaption>")
        w("</figure>")


def render_html(doc: Document) -> str:
    """The document as one self-contained HTML page.

    Parameters
    ----------
    doc : Document

    Returns
    -------
    str
        A complete HTML5 page (also well-formed XML), UTF-8 declared, with no
        reference outside itself: styles inline, figures as ``data:`` URIs, no
        scripts. Write it with ``Path(...).write_text(html, encoding="utf-8")``.

    Notes
    -----
    Top-level sections are ``<h2>`` (the title is the only ``<h1>``), subsections
    ``<h3>`` and so on to ``<h6>``; a :class:`Heading` block is one level below its
    section. Tables and figures are numbered in reading order ("Table 1: ...").
    Each column header carries its column's kind (``<th scope="col" data-kind="count">``),
    so that a checker can find, say, every count column of the page.
    Cells are shown with :func:`~noream_eval.reports.document.format_cell`; the
    first column, when it is text, is the row header (``<th scope="row">``). A
    marker cell (``c``, ``x``, ``z``) is greyed and explained in the table's note.
    The output is deterministic: the same document gives the same bytes.

    Examples
    --------
    >>> from noream_eval.reports.document import Document, Paragraph, Section
    >>> page = render_html(Document("Report", sections=[Section("A", "a", (Paragraph("<b>"),))]))
    >>> "<p>&lt;b&gt;</p>" in page, 'href="#a"' in page, "<script" in page
    (True, True, False)
    """
    return _Renderer(doc).render()
