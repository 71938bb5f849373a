"""The document model of the evaluation report, shared by its three renderers.

A :class:`Document` is a tree of :class:`Section` objects, each holding blocks:
:class:`Heading`, :class:`Paragraph`, :class:`BulletList`, :class:`Table`,
:class:`Figure`, :class:`Callout` and :class:`KeyValue`. The model knows nothing about
HTML, Word or Excel; :mod:`noream_eval.reports.html`, :mod:`noream_eval.reports.docx`
and :mod:`noream_eval.reports.workbook` render it, and every one of them shows a table
cell through the single function :func:`format_cell`, so a number reads the same in
every format.

Text is plain. Paragraphs, list items and callouts accept two pieces of inline markup
and nothing else: ``**bold**`` and ``[text](#anchor)``, a link to an anchor of the same
document (a section, table, figure, heading or key-value table). Any other bracket,
asterisk or URL is shown as written; every renderer escapes text for its format.

Table cells are numbers (``int``/``float``, shown according to the column's kind),
text, dates, missing values (shown empty) or one of three markers, which follow the
Government Statistical Service symbols:

* ``"c"`` - suppressed to protect confidentiality (see
  :mod:`noream_eval.reports.disclosure`);
* ``"x"`` - not available;
* ``"z"`` - not applicable.

As a last line of defence, a :class:`Table` refuses a ``count`` column that shows a
count from 1 to 5: such a cell must be ``"c"`` before it reaches a document.
"""

from __future__ import annotations

import datetime as dt
import math
import numbers
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property
from types import MappingProxyType
from typing import Any, Literal

import numpy as np
import pandas as pd

from noream_eval.errors import DocumentError

__all__ = [
    "CALLOUT_KINDS",
    "KINDS",
    "MARKERS",
    "NUMERIC_KINDS",
    "Block",
    "BulletList",
    "Callout",
    "Document",
    "Figure",
    "Heading",
    "KeyValue",
    "Paragraph",
    "Section",
    "Span",
    "Table",
    "format_cell",
    "markers_note",
    "parse_inline",
    "strip_control",
]

Kind = Literal[
    "text",
    "count",
    "integer",
    "share",
    "percent",
    "number1",
    "number2",
    "number3",
    "gbp",
    "date",
    "p_value",
    "rag",
]

#: Every column kind a :class:`Table` accepts, with what it shows.
KINDS: Mapping[str, str] = MappingProxyType(
    {
        "text": "text, shown as written",
        "count": "a count of people, families or events: whole number, thousands separators",
        "integer": "any other whole number: thousands separators",
        "share": "a proportion from 0 to 1, shown as a percentage to 1 decimal place",
        "percent": "a percentage already from 0 to 100, shown to 1 decimal place with %",
        "number1": "a number to 1 decimal place",
        "number2": "a number to 2 decimal places",
        "number3": "a number to 3 decimal places",
        "gbp": "an amount in pounds: £ and thousands separators, no pence",
        "date": "a date, shown as 1 Mar 2025",
        "p_value": "a p-value to 3 decimal places, below 0.001 shown as <0.001",
        "rag": "a red / amber / green rating, shown as the word (and a coloured badge)",
    }
)
#: Kinds whose cells are numbers (right-aligned in every renderer).
NUMERIC_KINDS = frozenset(
    {"count", "integer", "share", "percent", "number1", "number2", "number3", "gbp", "p_value"}
)
#: The markers a cell may hold instead of a value, and what each means.
MARKERS: Mapping[str, str] = MappingProxyType(
    {
        "c": "not shown to protect confidentiality (a count below the publication "
        "threshold, or a figure from which one could be worked out)",
        "x": "not available",
        "z": "not applicable",
    }
)
#: The kinds of :class:`Callout` and their default titles.
CALLOUT_KINDS: Mapping[str, str] = MappingProxyType(
    {"note": "Note", "warning": "Warning", "scenario": "Scenario"}
)
RAG = ("red", "amber", "green")
#: Anchors the renderers use themselves.
RESERVED_ANCHORS = frozenset({"contents", "document-title"})
#: The smallest count a published table may show (0 aside).
MIN_PUBLISHED_COUNT = 6

_ANCHOR = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,63}")
_INLINE = re.compile(r"\*\*(?P<bold>[^*\n]+?)\*\*|\[(?P<text>[^\]\n]+)\]\(#(?P<anchor>[^)\s]+)\)")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# C0 controls other than tab, line feed and carriage return: not allowed in HTML or XML.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def strip_control(text: str) -> str:
    """``text`` without the control characters that HTML and XML do not allow.

    Examples
    --------
    >>> strip_control("a\\x00b\\tc")
    'ab\\tc'
    """
    return _CONTROL.sub("", text)


# --------------------------------------------------------------------------- cells


def _is_missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float | np.floating):
        return math.isnan(value)
    if isinstance(value, np.datetime64):
        return bool(np.isnat(value))
    return False


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool | np.bool_)


def _fixed(x: float, places: int) -> str:
    """``x`` rounded half away from zero (as Excel shows it) with thousands separators."""
    d = Decimal(repr(float(x))).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    if d.is_zero():
        d = abs(d)  # no "-0.0"
    return f"{d:,.{places}f}"


def _format_date(value: Any) -> str:
    if isinstance(value, pd.Period):
        if value.freqstr.startswith("M"):
            return f"{_MONTHS[value.month - 1]} {value.year}"
        return str(value)
    if isinstance(value, np.datetime64 | dt.date):
        stamp = pd.Timestamp(value)
        return f"{stamp.day} {_MONTHS[stamp.month - 1]} {stamp.year}"
    return str(value)


def format_cell(value: Any, kind: str) -> str:
    """A table cell as text, the same in every renderer.

    Parameters
    ----------
    value : object
        A number, text, date, missing value (``None``, NaN, ``pd.NA``, ``NaT``) or one
        of the markers ``"c"``, ``"x"``, ``"z"``.
    kind : str
        One of :data:`KINDS`.

    Returns
    -------
    str
        Missing values give ``""``; text (markers included) is returned as it is,
        except a ``rag`` rating, which is capitalised. Numbers are rounded half away
        from zero, as a spreadsheet shows them:

        ========  =============  ============
        kind      value          shown
        ========  =============  ============
        count     1234           1,234
        integer   -42            -42
        share     0.1234         12.3%
        percent   12.34          12.3%
        number1   1234.56        1,234.6
        number2   0.125          0.13
        number3   2.0            2.000
        gbp       12345.6        £12,346
        p_value   0.0004         <0.001
        p_value   0.0123         0.012
        date      2025-03-01     1 Mar 2025
        rag       "amber"        Amber
        ========  =============  ============

    Raises
    ------
    DocumentError
        If ``kind`` is not one of :data:`KINDS`.

    Examples
    --------
    >>> format_cell(0.1234, "share"), format_cell(12345.6, "gbp"), format_cell("c", "count")
    ('12.3%', '£12,346', 'c')
    >>> format_cell(0.0004, "p_value"), format_cell(2.675, "number2"), format_cell(None, "count")
    ('<0.001', '2.68', '')
    >>> format_cell(pd.Timestamp("2025-03-01"), "date"), format_cell(-1234.5, "gbp")
    ('1 Mar 2025', '-£1,235')
    """
    if kind not in KINDS:
        raise DocumentError(f"Unknown column kind {kind!r}; use one of: {', '.join(KINDS)}.")
    if _is_missing(value):
        return ""
    if isinstance(value, str):
        if kind == "rag" and value.strip().lower() in RAG:
            return value.strip().capitalize()
        return value
    if isinstance(value, bool | np.bool_):
        return "Yes" if value else "No"
    if kind == "date":
        return _format_date(value)
    if not _is_number(value):
        return str(value)
    x = float(value)
    if math.isinf(x):
        return "-∞" if x < 0 else "∞"
    if kind == "text":
        return str(int(x)) if x.is_integer() and abs(x) < 1e15 else str(value)
    if kind in ("count", "integer"):
        return _fixed(x, 0)
    if kind == "share":
        return _fixed(x * 100, 1) + "%"
    if kind == "percent":
        return _fixed(x, 1) + "%"
    if kind in ("number1", "number2", "number3"):
        return _fixed(x, int(kind[-1]))
    if kind == "gbp":
        text = _fixed(x, 0)
        return "-£" + text[1:] if text.startswith("-") else "£" + text
    if kind == "p_value":
        return "<0.001" if x < 0.001 else _fixed(x, 3)
    return str(value)  # rag given a number: validation refuses it in a Table


def markers_note(markers: Sequence[str] | set[str] | frozenset[str]) -> str:
    """The legend of the markers a table shows, in the order c, x, z.

    Examples
    --------
    >>> markers_note({"x", "c"})
    'c: not shown to protect confidentiality (a count below the publication threshold, or a figure from which one could be worked out). x: not available.'
    >>> markers_note(set())
    ''
    """  # noqa: E501
    return " ".join(f"{m}: {MARKERS[m]}." for m in MARKERS if m in markers)


# --------------------------------------------------------------------------- inline text


@dataclass(frozen=True)
class Span:
    """A piece of paragraph text: plain, bold, or a link to an anchor of the document."""

    text: str
    bold: bool = False
    anchor: str | None = None


def parse_inline(text: str) -> tuple[Span, ...]:
    """Split text into spans at ``**bold**`` and ``[text](#anchor)`` markup.

    Parameters
    ----------
    text : str

    Returns
    -------
    tuple of Span
        In order; consecutive plain text is one span. Markup that does not match
        exactly (an unclosed ``**``, a link to anything but ``#anchor``) stays as
        plain text; markup does not nest.

    Examples
    --------
    >>> parse_inline("See **Table 1** and [the method](#method).")
    (Span(text='See ', bold=False, anchor=None), Span(text='Table 1', bold=True, anchor=None), Span(text=' and ', bold=False, anchor=None), Span(text='the method', bold=False, anchor='method'), Span(text='.', bold=False, anchor=None))
    >>> parse_inline("[x](https://example.org) stays as written")
    (Span(text='[x](https://example.org) stays as written', bold=False, anchor=None),)
    """  # noqa: E501
    spans: list[Span] = []
    pos = 0
    for match in _INLINE.finditer(text):
        if match.start() > pos:
            spans.append(Span(text[pos : match.start()]))
        if match.group("bold") is not None:
            spans.append(Span(match.group("bold"), bold=True))
        else:
            spans.append(Span(match.group("text"), anchor=match.group("anchor")))
        pos = match.end()
    if pos < len(text) or not spans:
        spans.append(Span(text[pos:]))
    return tuple(spans)


def _links(text: str) -> Iterator[str]:
    for span in parse_inline(text):
        if span.anchor is not None:
            yield span.anchor


# --------------------------------------------------------------------------- blocks


def _check_anchor(anchor: str, what: str) -> None:
    if not isinstance(anchor, str) or not _ANCHOR.fullmatch(anchor):
        raise DocumentError(
            f"The anchor {anchor!r} of {what} is not valid: use a letter followed by up to "
            "63 letters, digits, '-' or '_'."
        )
    if anchor in RESERVED_ANCHORS:
        raise DocumentError(
            f"The anchor {anchor!r} of {what} is reserved by the renderers; choose another."
        )


def _check_text(value: Any, what: str, *, empty: bool = False) -> None:
    if not isinstance(value, str):
        raise DocumentError(f"{what} must be text, not {type(value).__name__}.")
    if not empty and not value.strip():
        raise DocumentError(f"{what} must not be empty.")


@dataclass(frozen=True)
class Heading:
    """A heading inside a section, one level below the section's own title.

    Sections carry their own headings; use a Heading for a titled run of blocks
    that does not deserve a section (and an entry in the contents).
    """

    text: str
    anchor: str | None = None

    def __post_init__(self) -> None:
        _check_text(self.text, "A heading's text")
        if self.anchor is not None:
            _check_anchor(self.anchor, f"the heading {self.text!r}")


@dataclass(frozen=True)
class Paragraph:
    """A paragraph of plain text with ``**bold**`` and ``[text](#anchor)`` markup."""

    text: str

    def __post_init__(self) -> None:
        _check_text(self.text, "A paragraph")


@dataclass(frozen=True)
class BulletList:
    """A list of items (inline markup allowed), bulleted or numbered."""

    items: tuple[str, ...]
    ordered: bool = False

    def __post_init__(self) -> None:
        if isinstance(self.items, str):
            raise DocumentError("A BulletList takes a sequence of items, not one string.")
        object.__setattr__(self, "items", tuple(self.items))
        if not self.items:
            raise DocumentError("A BulletList must have at least one item.")
        for item in self.items:
            _check_text(item, "A list item")


@dataclass(frozen=True)
class Callout:
    """A boxed aside: a note, a warning or a worked scenario.

    ``text`` may hold several paragraphs separated by a blank line; inline markup is
    allowed. ``title`` defaults to the kind ("Note", "Warning", "Scenario"), and every
    renderer shows it, so the kind never rests on colour alone.
    """

    kind: Literal["note", "warning", "scenario"]
    text: str
    title: str | None = None
    anchor: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in CALLOUT_KINDS:
            raise DocumentError(
                f"Unknown callout kind {self.kind!r}; use one of: {', '.join(CALLOUT_KINDS)}."
            )
        _check_text(self.text, "A callout's text")
        if self.title is not None:
            _check_text(self.title, "A callout's title")
        if self.anchor is not None:
            _check_anchor(self.anchor, f"a {self.kind} callout")

    @property
    def heading(self) -> str:
        """The title shown: ``title`` or the kind's default."""
        return self.title if self.title is not None else CALLOUT_KINDS[self.kind]

    @property
    def paragraphs(self) -> tuple[str, ...]:
        """``text`` split at blank lines."""
        parts = re.split(r"\n\s*\n", self.text.strip())
        return tuple(" ".join(p.split()) for p in parts if p.strip())


@dataclass(frozen=True)
class KeyValue:
    """A two-column definition table (term, value), e.g. provenance. Plain text only."""

    rows: tuple[tuple[str, str], ...]
    caption: str | None = None
    anchor: str | None = None

    def __post_init__(self) -> None:
        rows = self.rows.items() if isinstance(self.rows, Mapping) else self.rows
        try:
            pairs = tuple((k, v) for k, v in rows)
        except (TypeError, ValueError):
            raise DocumentError("KeyValue rows must be (term, value) pairs.") from None
        for k, v in pairs:
            _check_text(k, "A KeyValue term")
            _check_text(v, f"The value of the KeyValue term {k!r}", empty=True)
        object.__setattr__(self, "rows", pairs)
        if self.caption is not None:
            _check_text(self.caption, "A KeyValue caption")
        if self.anchor is not None:
            _check_anchor(self.anchor, "a key-value table")


def _column_problem(kind: str, value: Any) -> str | None:
    """Why ``value`` cannot stand in a column of ``kind``, or None if it can."""
    if _is_missing(value) or (isinstance(value, str) and value in MARKERS):
        return None
    if kind == "text":
        return None
    if kind == "rag":
        if isinstance(value, str) and value.strip().lower() in RAG:
            return None
        return "a value that is not red, amber or green"
    if kind == "date":
        if isinstance(value, str | dt.date | np.datetime64 | pd.Period):
            return None
        return "a value that is not a date"
    if isinstance(value, str):
        return "text that is neither a number nor one of the markers c, x, z"
    if not _is_number(value):
        return f"a {type(value).__name__} where a number belongs"
    if kind == "count":
        x = float(value)
        if not x.is_integer():
            return "a count that is not a whole number"
        if 0 < abs(x) < MIN_PUBLISHED_COUNT:
            return (
                f"a count from 1 to {MIN_PUBLISHED_COUNT - 1}, which must be suppressed "
                "('c') before publication"
            )
    return None


@dataclass(frozen=True, eq=False, kw_only=True)
class Table:
    """A published table: a display frame, the kind of each column and its labels.

    Parameters
    ----------
    frame : pandas.DataFrame
        The cells to show, one column per column label (the index is not shown: put
        row labels in a text column, first). Numbers are numbers; suppressed cells
        are ``"c"``, not available ``"x"``, not applicable ``"z"``. A copy is kept.
    kinds : mapping of str to str
        Column -> one of :data:`KINDS`. A column left out must hold no numbers and
        is ``text``.
    caption : str
        What the table shows, in a sentence; renderers prefix "Table N: ".
    anchor : str
        Unique in the document: a letter, then letters, digits, ``-`` or ``_``.
    labels : mapping of str to str, optional
        Column -> plain-English header (default: the column name).
    note : str, optional
        Notes on the table, such as the disclosure note; the legend of the markers
        shown is added by :attr:`full_note`.
    source : str, optional
        Where the numbers come from.
    name : str, optional
        Sheet and CSV file name (default: ``anchor``).

    Raises
    ------
    DocumentError
        If a column is repeated or not text, a kind is unknown, a label or kind names
        no column, a cell does not fit its column's kind (text in a number column,
        a count that is not a whole number), or a ``count`` column shows a count from
        1 to 5.
    """

    frame: pd.DataFrame
    kinds: Mapping[str, str]
    caption: str
    anchor: str
    labels: Mapping[str, str] = field(default_factory=dict)
    note: str = ""
    source: str = ""
    name: str = ""

    def __post_init__(self) -> None:
        _check_anchor(self.anchor, "a table")
        what = f"Table {self.anchor!r}"
        if not isinstance(self.frame, pd.DataFrame):
            raise DocumentError(f"{what}: frame must be a pandas DataFrame.")
        _check_text(self.caption, f"{what}: the caption")
        for attr in ("note", "source", "name"):
            _check_text(getattr(self, attr), f"{what}: {attr}", empty=True)
        columns = list(self.frame.columns)
        if not columns:
            raise DocumentError(f"{what} has no columns.")
        bad = [c for c in columns if not isinstance(c, str)]
        if bad or isinstance(self.frame.columns, pd.MultiIndex):
            raise DocumentError(f"{what}: column names must be text (one header row).")
        repeated = sorted({c for c in columns if columns.count(c) > 1})
        if repeated:
            raise DocumentError(f"{what}: the columns {repeated} appear more than once.")
        for attr in ("kinds", "labels"):
            mapping = dict(getattr(self, attr))
            unknown = [c for c in mapping if c not in columns]
            if unknown:
                raise DocumentError(f"{what}: {attr} names columns it does not have: {unknown}.")
            object.__setattr__(self, attr, MappingProxyType(mapping))
        for column, kind in self.kinds.items():
            if kind not in KINDS:
                raise DocumentError(
                    f"{what}: column {column!r} has the unknown kind {kind!r}; use one of: "
                    f"{', '.join(KINDS)}."
                )
        for column, label in self.labels.items():
            _check_text(label, f"{what}: the label of {column!r}")
        frame = self.frame.reset_index(drop=True).copy()
        object.__setattr__(self, "frame", frame)
        if not self.name:
            object.__setattr__(self, "name", self.anchor)
        for column, values in zip(columns, self._values, strict=True):
            kind = self.kinds.get(column)
            for i, value in enumerate(values):
                if kind is None:
                    if _is_number(value) and not _is_missing(value):
                        raise DocumentError(
                            f"{what}: column {column!r} holds numbers but has no kind; give "
                            f"it one of: {', '.join(KINDS)}."
                        )
                    continue
                problem = _column_problem(kind, value)
                if problem:
                    raise DocumentError(
                        f"{what}: column {column!r} ({kind}) holds {problem} in row {i + 1}."
                    )

    @cached_property
    def _values(self) -> list[list[Any]]:
        return [self.frame.iloc[:, j].astype(object).tolist() for j in range(self.frame.shape[1])]

    @property
    def columns(self) -> tuple[str, ...]:
        """The column names, in order."""
        return tuple(self.frame.columns)

    def kind(self, column: str) -> str:
        """The kind of ``column`` (``text`` if not given)."""
        return self.kinds.get(column, "text")

    def label(self, column: str) -> str:
        """The header of ``column``: its label, or its name."""
        return self.labels.get(column, column)

    def is_numeric(self, column: str) -> bool:
        """Whether ``column`` holds numbers (and is right-aligned)."""
        return self.kind(column) in NUMERIC_KINDS

    def values(self, column: str) -> list[Any]:
        """The cells of ``column`` as Python values (missing values as they are)."""
        return list(self._values[self.columns.index(column)])

    def rows(self) -> list[tuple[Any, ...]]:
        """The cells as Python values, row by row (missing values as they are)."""
        return list(zip(*self._values, strict=True)) if self._values else []

    @cached_property
    def formatted(self) -> tuple[tuple[str, ...], ...]:
        """Every cell through :func:`format_cell`, row by row."""
        columns = [
            [format_cell(v, self.kind(c)) for v in values]
            for c, values in zip(self.columns, self._values, strict=True)
        ]
        return tuple(zip(*columns, strict=True)) if columns else ()

    @cached_property
    def markers(self) -> frozenset[str]:
        """The markers (``c``, ``x``, ``z``) that appear in the table."""
        return frozenset(
            v for values in self._values for v in values if isinstance(v, str) and v in MARKERS
        )

    @property
    def full_note(self) -> str:
        """``note`` followed by the legend of the markers shown."""
        return " ".join(p for p in (self.note.strip(), markers_note(self.markers)) if p)


@dataclass(frozen=True, eq=False, kw_only=True)
class Figure:
    """A chart as PNG and/or SVG bytes, with a caption and alternative text.

    Parameters
    ----------
    caption : str
        What the figure shows; renderers prefix "Figure N: ".
    alt : str
        Alternative text: what a reader who cannot see the chart needs to know.
    anchor : str
        Unique in the document.
    png, svg : bytes, optional
        At least one. HTML uses the SVG (the PNG if there is none); DOCX uses the PNG.
    note, name : str, optional
        A note shown below the figure; the file name (default: ``anchor``).
    """

    caption: str
    alt: str
    anchor: str
    png: bytes | None = None
    svg: bytes | None = None
    note: str = ""
    name: str = ""

    def __post_init__(self) -> None:
        _check_anchor(self.anchor, "a figure")
        what = f"Figure {self.anchor!r}"
        _check_text(self.caption, f"{what}: the caption")
        _check_text(self.alt, f"{what}: the alternative text (alt)")
        _check_text(self.note, f"{what}: the note", empty=True)
        _check_text(self.name, f"{what}: the name", empty=True)
        if self.png is None and self.svg is None:
            raise DocumentError(f"{what} has neither PNG nor SVG bytes.")
        if self.png is not None and not (
            isinstance(self.png, bytes) and self.png.startswith(_PNG_SIGNATURE)
        ):
            raise DocumentError(f"{what}: png is not the bytes of a PNG image.")
        if self.svg is not None and not (isinstance(self.svg, bytes) and b"<svg" in self.svg):
            raise DocumentError(f"{what}: svg is not the bytes of an SVG image.")
        if not self.name:
            object.__setattr__(self, "name", self.anchor)


Block = Heading | Paragraph | BulletList | Table | Figure | Callout | KeyValue
_BLOCK_TYPES = (Heading, Paragraph, BulletList, Table, Figure, Callout, KeyValue)


@dataclass(frozen=True)
class Section:
    """A titled part of the document: blocks, then subsections.

    Top-level sections are rendered as level-1 headings of the body (``<h2>`` in
    HTML, "Heading 1" in Word), their subsections one level down, and so on.
    """

    title: str
    anchor: str
    blocks: tuple[Block, ...] = ()
    subsections: tuple[Section, ...] = ()

    def __post_init__(self) -> None:
        _check_text(self.title, "A section title")
        _check_anchor(self.anchor, f"the section {self.title!r}")
        object.__setattr__(self, "blocks", tuple(self.blocks))
        object.__setattr__(self, "subsections", tuple(self.subsections))
        for block in self.blocks:
            if not isinstance(block, _BLOCK_TYPES):
                raise DocumentError(
                    f"The section {self.title!r} holds a {type(block).__name__}; blocks are "
                    "Heading, Paragraph, BulletList, Table, Figure, Callout or KeyValue."
                )
        for sub in self.subsections:
            if not isinstance(sub, Section):
                raise DocumentError(
                    f"The subsections of {self.title!r} must be Section objects, "
                    f"not {type(sub).__name__}."
                )


def _describe(item: Section | Block) -> str:
    if isinstance(item, Section):
        return f"the section {item.title!r}"
    if isinstance(item, Table | Figure):
        return f"the {type(item).__name__.lower()} {item.caption!r}"
    if isinstance(item, Heading):
        return f"the heading {item.text!r}"
    return f"a {type(item).__name__}"


def _inline_texts(block: Block) -> tuple[str, ...]:
    if isinstance(block, Paragraph):
        return (block.text,)
    if isinstance(block, BulletList):
        return block.items
    if isinstance(block, Callout):
        return block.paragraphs
    return ()


@dataclass(frozen=True)
class Document:
    """A whole report: title, subtitle, metadata and sections.

    Parameters
    ----------
    title : str
    subtitle : str, optional
    sections : sequence of Section
    metadata : mapping of str to str, optional
        Shown under the title as a short list (e.g. "Data cut": "31 Mar 2025").

    Raises
    ------
    DocumentError
        If two sections, tables, figures, headings, callouts or key-value tables share
        an anchor, or a ``[text](#anchor)`` link names an anchor the document lacks.

    Examples
    --------
    >>> doc = Document(
    ...     "Evaluation report",
    ...     sections=[Section("Summary", "summary", (Paragraph("See [the method](#method)."),)),
    ...               Section("Method", "method")],
    ... )
    >>> [s.anchor for s, depth in doc.walk()]
    ['summary', 'method']
    >>> Document("Report", sections=[Section("A", "a"), Section("B", "a")])
    Traceback (most recent call last):
    ...
    noream_eval.errors.DocumentError: The anchor 'a' is used twice: by the section 'A' and by the section 'B'; anchors must be unique within a document.
    """  # noqa: E501

    title: str
    subtitle: str = ""
    sections: tuple[Section, ...] = ()
    metadata: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _check_text(self.title, "The document title")
        _check_text(self.subtitle, "The document subtitle", empty=True)
        object.__setattr__(self, "sections", tuple(self.sections))
        for s in self.sections:
            if not isinstance(s, Section):
                raise DocumentError(f"Document sections must be Section objects, not {s!r}.")
        metadata = dict(self.metadata)
        for k, v in metadata.items():
            _check_text(k, "A metadata key")
            _check_text(v, f"The metadata value of {k!r}", empty=True)
        object.__setattr__(self, "metadata", MappingProxyType(metadata))
        owners: dict[str, Section | Block] = {}
        links: list[tuple[str, Section]] = []
        for section, _ in self.walk():
            items: list[Section | Block] = [section, *section.blocks]
            for item in items:
                anchor = getattr(item, "anchor", None)
                if anchor is None:
                    continue
                if anchor in owners:
                    raise DocumentError(
                        f"The anchor {anchor!r} is used twice: by {_describe(owners[anchor])} "
                        f"and by {_describe(item)}; anchors must be unique within a document."
                    )
                owners[anchor] = item
            for block in section.blocks:
                links += [(a, section) for text in _inline_texts(block) for a in _links(text)]
        for anchor, section in links:
            if anchor not in owners:
                raise DocumentError(
                    f"The section {section.title!r} links to #{anchor}, which is not the "
                    "anchor of any section, table, figure or heading of the document."
                )

    def walk(self) -> Iterator[tuple[Section, int]]:
        """Every section with its depth (1 for top-level sections), in reading order."""

        def visit(sections: tuple[Section, ...], depth: int) -> Iterator[tuple[Section, int]]:
            for section in sections:
                yield section, depth
                yield from visit(section.subsections, depth + 1)

        return visit(self.sections, 1)

    def tables(self) -> tuple[Table, ...]:
        """Every :class:`Table`, in reading order (the order of their numbers)."""
        return tuple(b for s, _ in self.walk() for b in s.blocks if isinstance(b, Table))

    def figures(self) -> tuple[Figure, ...]:
        """Every :class:`Figure`, in reading order."""
        return tuple(b for s, _ in self.walk() for b in s.blocks if isinstance(b, Figure))

    @cached_property
    def numbers(self) -> Mapping[str, str]:
        """Table and figure anchor -> "Table N" / "Figure N", numbered in reading order."""
        out = {t.anchor: f"Table {i}" for i, t in enumerate(self.tables(), 1)}
        out.update({f.anchor: f"Figure {i}" for i, f in enumerate(self.figures(), 1)})
        return MappingProxyType(out)

    def numbered_caption(self, block: Table | Figure) -> str:
        """``"Table N: caption"`` or ``"Figure N: caption"``."""
        return f"{self.numbers[block.anchor]}: {block.caption}"
