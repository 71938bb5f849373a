"""Tests of noream_eval.reports.html: one self-contained, accessible, escaped page.

Escaping follows the OWASP "Cross Site Scripting Prevention Cheat Sheet" (rule #1: HTML
encode ``& < > " '`` before putting untrusted data in element content; rule #2: the same
in quoted attribute values):
https://cheatsheetseries.owasp.org/cheatsheets/Cross_Site_Scripting_Prevention_Cheat_Sheet.html
"""

from __future__ import annotations

import base64
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pandas as pd
import pytest

from noream_eval.reports.document import (
    Document,
    Figure,
    Paragraph,
    Section,
    Table,
)
from noream_eval.reports.html import CSS, render_html
from tests._report_example import (
    FORMULA,
    ONERROR,
    SCRIPT,
    example_document,
    png_bytes,
    svg_bytes,
)


class _Page(HTMLParser):
    """Elements, attributes and text of a page, as a browser's tokeniser sees them."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)

    def all(self, tag: str) -> list[dict[str, str | None]]:
        return [a for t, a in self.tags if t == tag]

    @property
    def ids(self) -> list[str]:
        return [a["id"] for _, a in self.tags if a.get("id")]


@pytest.fixture(scope="module")
def doc() -> Document:
    return example_document()


@pytest.fixture(scope="module")
def page(doc) -> str:
    return render_html(doc)


@pytest.fixture(scope="module")
def parsed(page) -> _Page:
    return _Page(page)


def test_page_is_well_formed_and_in_british_english(page):
    root = ET.fromstring(page.removeprefix("<!DOCTYPE html>\n"))
    assert root.tag == "html" and root.get("lang") == "en-GB"
    assert page.startswith("<!DOCTYPE html>\n")
    assert root.find("head/meta").get("charset") == "utf-8"
    assert root.find("head/title").text == example_document().title
    assert [h.text for h in root.iter("h1")] == [example_document().title]


def test_every_internal_link_resolves_and_ids_are_unique(parsed):
    ids = parsed.ids
    assert len(ids) == len(set(ids))
    hrefs = [a["href"] for a in parsed.all("a")]
    internal = [h for h in hrefs if h.startswith("#")]
    assert internal and internal == hrefs  # no other kind of link
    assert {h[1:] for h in internal} <= set(ids)
    for attrs in parsed.all("table"):
        for ref in (attrs.get("aria-describedby") or "").split():
            assert ref in ids


def test_nothing_outside_the_file(page, parsed):
    for _, attrs in parsed.tags:
        for name in ("src", "href", "srcset", "action", "data", "poster"):
            value = attrs.get(name)
            if value is not None:
                assert value.startswith(("#", "data:")), (name, value)
                assert "http://" not in value and "https://" not in value
    assert all(a["src"].startswith("data:image/") for a in parsed.all("img"))
    assert not parsed.all("script") and not parsed.all("iframe") and not parsed.all("object")
    assert [a.get("rel") for a in parsed.all("link")] == ["icon"]  # data:, no favicon request
    assert "url(" not in CSS and "@import" not in CSS and "@font-face" not in CSS
    # No event handlers anywhere; no javascript: address.
    assert not [n for _, a in parsed.tags for n in a if n.startswith("on")]
    assert "javascript:" not in page.lower()


def test_data_is_escaped_in_text_and_attributes(page, parsed):
    # The hostile strings survive as text (escaped, not dropped) ...
    text = "".join(parsed.text)
    for hostile in (SCRIPT, ONERROR, FORMULA):
        assert hostile in text
    assert text.count(SCRIPT) >= 6  # title, caption, cell, paragraph, callout, key-value
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in page
    # ... and never become markup: the only images are the figures, with their alt text.
    imgs = parsed.all("img")
    assert len(imgs) == 2
    assert imgs[0]["alt"] == f"A bar chart; the pilot bar is lower. {ONERROR}"
    assert set(imgs[0]) == {"src", "alt"}


def test_contents_links_every_section_table_and_figure(parsed, doc):
    toc_start = next(i for i, (t, a) in enumerate(parsed.tags) if a.get("id") == "contents")
    toc_end = next(i for i, (t, _) in enumerate(parsed.tags) if t == "main")
    toc = {a["href"][1:] for t, a in parsed.tags[toc_start:toc_end] if t == "a"}
    expected = {s.anchor for s, _ in doc.walk()}
    expected |= {t.anchor for t in doc.tables()} | {f.anchor for f in doc.figures()}
    assert toc == expected


def test_headings_follow_the_section_depth(page):
    root = ET.fromstring(page.removeprefix("<!DOCTYPE html>\n"))
    heads = [(e.tag, e.text) for e in root.iter() if re.fullmatch(r"h[1-6]", str(e.tag))]
    assert heads == [
        ("h1", example_document().title),
        ("h2", "Contents"),
        ("h2", "Summary"),
        ("h2", "Results"),
        ("h3", "Detail"),
        ("h4", "A minor heading"),
        ("h4", "Deeper"),
        ("h2", "Method"),
    ]


def test_table_markup(page):
    root = ET.fromstring(page.removeprefix("<!DOCTYPE html>\n"))
    block = next(e for e in root.iter("div") if e.get("id") == "tab-counts")
    table = block.find(".//table")
    assert table.find("caption").text == f"Table 1: Families by group {SCRIPT}"
    head = table.findall("thead/tr/th")
    assert [th.get("scope") for th in head] == ["col"] * 6
    assert head[3].text == f"Cost {ONERROR}"
    assert [th.get("class") for th in head] == [None, "num", "num", "num", "num", None]
    assert [th.get("data-kind") for th in head] == [
        "text",
        "count",
        "share",
        "gbp",
        "p_value",
        "rag",
    ]
    rows = table.findall("tbody/tr")
    assert len(rows) == 4
    first = list(rows[0])
    assert first[0].tag == "th" and first[0].get("scope") == "row" and first[0].text == "Pilot"
    assert [c.text for c in first[1:5]] == ["120", "12.3%", "£12,346", "<0.001"]
    assert all(c.get("class") == "num" for c in first[1:5])
    badge = first[5].find("span")
    assert badge.text == "Green" and badge.get("class") == "rag rag-green"  # word and colour
    suppressed = list(rows[1])[1]
    assert suppressed.get("class") == "num marker" and suppressed.find("abbr").text == "c"
    assert list(rows[2])[3].text is None  # a missing value is an empty cell
    note = block.find("p[@class='note']")
    assert note.get("id") == "tab-counts.note" and table.get("aria-describedby").startswith(
        "tab-counts.note"
    )
    assert "c: not shown to protect confidentiality" in note.text
    assert "x: not available. z: not applicable." in note.text
    source = block.find("p[@class='source']")
    assert source.text == "Source: Sample data, local authority case records"


def test_table_without_markers_has_no_note_and_first_numeric_column_is_data():
    table = Table(
        frame=pd.DataFrame({"n": [10, 20]}), kinds={"n": "count"}, caption="C", anchor="t"
    )
    page = render_html(Document("R", sections=[Section("S", "s", (table,))]))
    assert 'class="note"' not in page and "aria-describedby" not in page
    assert '<td class="num">10</td>' in page and 'scope="row"' not in page
    assert '<th scope="col" data-kind="count" class="num">n</th>' in page


def test_every_column_header_names_its_kind():
    # A checker reads a column's kind from its header, e.g. to find every count column.
    frame = pd.DataFrame({"site": ["A", "B"], "families": [10, "c"], "when": ["2021-03", "x"]})
    kinds = {"families": "count", "when": "date"}
    table = Table(frame=frame, kinds=kinds, caption="C", anchor="t")
    root = ET.fromstring(
        render_html(Document("R", sections=[Section("S", "s", (table,))])).removeprefix(
            "<!DOCTYPE html>\n"
        )
    )
    head = root.findall(".//table/thead/tr/th")
    assert [th.get("data-kind") for th in head] == ["text", "count", "date"]
    counts = [i for i, th in enumerate(head) if th.get("data-kind") == "count"]
    cells = [
        "".join(row[i].itertext()) for row in root.findall(".//table/tbody/tr") for i in counts
    ]
    assert cells == ["10", "c"]


def test_figures_embed_svg_or_png_fallback(parsed, doc):
    svg_img, png_img = parsed.all("img")
    assert svg_img["src"].startswith("data:image/svg+xml;base64,")
    assert base64.b64decode(svg_img["src"].split(",", 1)[1]) == doc.figures()[0].svg
    assert png_img["src"].startswith("data:image/png;base64,")
    assert base64.b64decode(png_img["src"].split(",", 1)[1]) == doc.figures()[1].png
    # The SVG's own ids and script stay inside the image, apart from the page.
    assert "patch_1" not in parsed.ids


def test_figure_caption_and_note(page):
    root = ET.fromstring(page.removeprefix("<!DOCTYPE html>\n"))
    fig = next(e for e in root.iter("figure") if e.get("id") == "fig-bars")
    assert fig.find("figcaption/p[@class='caption']").text == (
        f"Figure 1: Re-referrals by month {SCRIPT}"
    )
    assert fig.find("figcaption/p[@class='note']").text.startswith("Bars show")


def test_paragraph_markup_and_callouts(page):
    assert "The pilot <strong>reduced</strong> re-referrals; see " in page
    assert '<a href="#tab-counts">Table 1</a> and <a href="#method">the method</a>' in page
    assert "[a](https://example.org)" in page  # an external link is not a link
    assert '<div class="callout callout-warning" role="note">' in page
    assert '<p class="callout-title">Read with care</p>' in page
    note = '<p class="callout-title">Note</p>\n<p>A note.</p>\n<p>With a second paragraph.</p>'
    assert note in page
    assert "<ol><li>One</li><li>Two</li><li>Three</li></ol>" in page


def test_metadata_and_key_value(page):
    assert "<div><dt>Data cut</dt><dd>31 Mar 2025</dd></div>" in page
    assert '<table class="kv" id="provenance">' in page
    assert '<tr><th scope="row">Config</th><td>evaluation.toml</td></tr>' in page


def test_style_sheet_for_laptop_and_print():
    assert "max-width: 50em" in CSS
    assert "@page { size: A4;" in CSS
    assert "page-break-inside: avoid" in CSS and "break-inside: avoid" in CSS
    assert "font-variant-numeric: tabular-nums" in CSS
    assert "print-color-adjust: exact" in CSS


def test_rendering_is_deterministic_and_drops_control_characters():
    assert render_html(example_document()) == render_html(example_document())
    page = render_html(Document("R\x00\x1b", sections=[Section("S", "s", (Paragraph("a\x07b"),))]))
    assert "<title>R</title>" in page and "<p>ab</p>" in page
    ET.fromstring(page.removeprefix("<!DOCTYPE html>\n"))


def test_empty_document_and_png_only():
    page = render_html(Document("Only a title"))
    assert 'id="contents"' not in page and "<main>\n</main>" in page
    fig = Figure(caption="c", alt="a", anchor="f", svg=svg_bytes())
    page = render_html(Document("R", sections=[Section("S", "s", (fig,))]))
    assert "data:image/svg+xml;base64," in page and png_bytes()  # SVG only is fine
