"""Read raw exports (CSV or Excel) cell for cell, keeping spreadsheet row numbers.

The readers do no interpretation: every cell comes back as it was stored, so that
later stages can report any problem against the row a person sees when they open
the file. What the readers do decide:

* what the file is: a workbook given as a CSV (or a CSV given as a workbook), a PDF,
  an archive or other binary content, and an empty file are reported as such before
  anything is parsed;
* the text encoding of a CSV (UTF-8 with or without byte order mark, UTF-16 with a
  byte order mark, Windows-1252, else latin-1; see :func:`detect_encoding`) and its
  delimiter (comma, semicolon, tab or pipe, counted on the header line);
* rows above the header are titles, not data;
* the header row (or rows: a group-title row above the column row) gives the column
  names: a byte order mark is removed, line breaks and runs of whitespace inside a
  cell become one space, and the result is stripped. Header rows that look like data
  (dates, numbers, identifiers; see :func:`header_problem`) are refused. An empty
  header cell over a column holding data becomes ``"Unnamed: k"`` (``k`` the
  0-based column position, as pandas names them), an empty header cell over an empty
  column is dropped, and two header cells with the same :func:`header_key` (equal
  ignoring case and spacing) are an error;
* blank rows inside the data are kept (all cells ``""``) so every raw row can be
  accounted for; for CSV every record is a row, blank ones at the end too; for Excel,
  fully blank rows after the last filled row are dropped (they are only formatting);
* the frame's index, named ``row``, is the 1-based row number as shown by a
  spreadsheet program (for CSV: the record number, so a quoted cell spanning two
  lines still counts as one row).

No message of this module quotes a cell of a data row: header cells are named only
when the row they are in looks like a header, otherwise by column letter.

Examples
--------
>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "payments.csv").write_bytes(
...     b"Finance ledger\\r\\nTransaction ID;Amount\\r\\nT1;\\xa312.50\\r\\n;\\r\\nT2;(3.00)\\r\\n"
... )
>>> table = read_table(folder / "payments.csv", fmt="csv", header_row=2,
...                    display_name="payments.csv")
>>> table.encoding, table.delimiter
('cp1252', ';')
>>> table.frame.index.tolist()
[3, 4, 5]
>>> table.frame.to_dict(orient="list")
{'Transaction ID': ['T1', '', 'T2'], 'Amount': ['£12.50', '', '(3.00)']}
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import itertools
import math
import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Literal

import numpy as np
import pandas as pd

from noream_eval.errors import ConfigError, HeaderRowError, InputFileError
from noream_eval.privacy import IDENTIFIER_RE

__all__ = [
    "DELIMITERS",
    "RawTable",
    "detect_encoding",
    "find_header_row",
    "header_key",
    "header_problem",
    "read_table",
]

#: The CSV delimiters :func:`read_table` accepts (besides ``"auto"``).
DELIMITERS: tuple[str, ...] = (",", ";", "\t", "|")

_DELIMITER_NAMES = {",": "comma (,)", ";": "semicolon (;)", "\t": "tab", "|": "pipe (|)"}
_CHUNK = 1 << 24  # bytes per read when sniffing the encoding or counting quotes
_SNIFF = 8192  # bytes looked at to tell what kind of file it is
_HEAD_START = 1 << 16  # first read when looking for the header rows of a CSV
_HEAD_LIMIT = 1 << 26  # never read more than this to find the header rows
_ARROW_BLOCK = 1 << 23  # bytes per pyarrow parse block (a row must fit in one)
_FIND_ROWS = 30  # rows find_header_row looks at
_MAX_ROWS_LISTED = 5
_MAX_HEADER_SHOWN = 40
_RAGGED_RE = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")
_EOF_IN_QUOTES_RE = re.compile(r"EOF inside string starting at row (\d+)")
_LINE_END = re.compile(r"\r\n|\r|\n")
_UTF16 = ("utf-16", "utf-16-le", "utf-16-be")


@dataclass(frozen=True)
class RawTable:
    """One raw export, cell for cell, with spreadsheet row numbers.

    Attributes
    ----------
    frame : pandas.DataFrame
        Every cell as read. CSV cells are ``str`` (pandas ``str`` dtype kept in
        Arrow; an empty cell is ``""``); Excel cells are the Python value stored in
        the workbook (``str``, ``float``, ``int``, ``bool``, ``datetime.date``,
        ``datetime.datetime``, ...) or ``""`` for an empty cell. Columns are the
        normalised header strings; the index, named ``row``, holds the 1-based row
        number as a person sees it in a spreadsheet.
    file : str
        The file name as the user gave it (for messages).
    sheet : str or None
        The worksheet read (``None`` for CSV).
    header_row : int or tuple of int
        The 1-based row holding the column headers, or the consecutive rows
        holding them, as given to :func:`read_table`.
    encoding : str or None
        The text encoding used for a CSV (``None`` for Excel).
    delimiter : str or None
        The delimiter used for a CSV (one of :data:`DELIMITERS`; ``None`` for
        Excel).
    """

    frame: pd.DataFrame
    file: str
    sheet: str | None
    header_row: int | tuple[int, ...]
    encoding: str | None
    delimiter: str | None = None


# ------------------------------------------------------------------------ headers


def _normalise_header(text: str) -> str:
    return " ".join(text.replace("\ufeff", "").split())


def header_key(text: str) -> str:
    """The form of a header used to compare headers, ignoring case and spacing.

    Parameters
    ----------
    text : str
        A header as written in a file or a configuration.

    Returns
    -------
    str
        ``text`` without byte order marks, with line breaks and runs of whitespace
        turned into one space, stripped and case-folded.

    Examples
    --------
    >>> header_key("  Date of\\nReferral ")
    'date of referral'
    >>> header_key("\\ufeffFAMILY  Ref") == header_key("Family Ref")
    True
    """
    return _normalise_header(text).casefold()


_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
_TIME = (
    r"(?:[ T]\d{1,2}[:.]\d{2}(?:[:.]\d{2}(?:\.\d+)?)?\s*(?:[ap]\.?m\.?)?(?:z|[+-]\d{2}:?\d{2})?)?"
)
_DATE_RE = re.compile(
    rf"""(?:
        \d{{1,2}}([/.-])\d{{1,2}}\1(?:\d{{4}}|\d{{2}})          # 03/04/2021, 3-4-21
      | \d{{4}}([/.-])\d{{1,2}}\2\d{{1,2}}                     # 2021-04-03
      | \d{{1,2}}(?:st|nd|rd|th)?[\s/.-]*{_MONTH}[\s/.,-]*\d{{2,4}}  # 3 Apr 2021, 03-Apr-21
      | {_MONTH}\s*\d{{1,2}}(?:st|nd|rd|th)?,?\s*\d{{4}}         # April 3, 2021
    ){_TIME}""",
    re.VERBOSE | re.IGNORECASE,
)
_NUMBER_RE = re.compile(
    r"""\(?[-+]?\s*[£$€]?\s*[-+]?
        (?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d*)?(?:e[-+]?\d+)?
        \s*%?\)?
      | [-+]?\.\d+""",
    re.VERBOSE | re.IGNORECASE,
)
_KINDS = ("dates", "numbers", "true/false values", "identifiers")


def _cell_kind(value: object) -> str | None:
    """``None`` for a blank cell, a kind from ``_KINDS`` for a data-like one, else "text"."""
    if value is None:
        return None
    if isinstance(value, bool | np.bool_):
        return "true/false values"
    if isinstance(value, dt.date | dt.time | dt.timedelta | np.datetime64):
        return "dates"
    if isinstance(value, int | float | np.integer | np.floating):
        return None if isinstance(value, float | np.floating) and math.isnan(value) else "numbers"
    text = _normalise_header(str(value))
    if not text:
        return None
    if IDENTIFIER_RE.search(text):
        return "identifiers"
    if _DATE_RE.fullmatch(text):
        return "dates"
    if _NUMBER_RE.fullmatch(text):
        return "numbers"
    return "text"


def header_problem(cells: Sequence[object]) -> str | None:
    """Say why a row does not look like a header row, without quoting it.

    A header row of a real export is mostly text labels. The row is taken to hold
    data when

    * any cell looks like an identifier (a phone number, NI number, postcode, Home
      Office reference or e-mail address), or
    * any cell is a date: a date or time value, or text that is a whole calendar
      date with day, month and year (``03/04/2021``, ``2021-04-03``,
      ``3 Apr 2021``, ``April 3, 2021``), optionally with a time, or
    * numbers (and true/false values) make up more than half of its non-blank
      cells; a number is a numeric value or text that is a whole number (sign,
      ``£``/``$``/``€``, thousands commas, decimals, ``%`` or brackets allowed).

    So a year (``2021``) or a year range (``2021/22``), a quarter (``Q1``) or a
    question number beside text labels is fine, while a row of refs, names, dates
    and amounts is not. Blank cells are ignored. Limitation: a table whose column
    labels are dates or mostly numbers (a pivoted "one column per month" table) is
    taken for data.

    Parameters
    ----------
    cells : sequence
        The cells of one row: text, or the values an Excel workbook stores.

    Returns
    -------
    str or None
        ``None`` if the row may be a header row; else the kinds of data-like cells
        it holds, e.g. ``"dates and numbers"`` (never a cell's content).

    Examples
    --------
    >>> header_problem(["Family Ref", "Date of Referral", "2021/22", "Q1"]) is None
    True
    >>> header_problem(["NRPF-00404", "Renee Liu", "17/02/2021", "3", "4"])
    'dates and numbers'
    >>> header_problem(["F1", "QQ 12 34 56 A"])
    'identifiers'
    """
    kinds = [_cell_kind(c) for c in cells]
    filled = [k for k in kinds if k is not None]
    if not filled:
        return None
    numeric = sum(k in ("numbers", "true/false values") for k in filled)
    if not ("identifiers" in filled or "dates" in filled or 2 * numeric > len(filled)):
        return None
    found = [k for k in _KINDS if k in filled]
    return found[0] if len(found) == 1 else ", ".join(found[:-1]) + " and " + found[-1]


def _column_letter(k: int) -> str:
    """Spreadsheet column letter of the 0-based column ``k`` (0 -> A, 26 -> AA)."""
    letters = ""
    k += 1
    while k:
        k, rem = divmod(k - 1, 26)
        letters = chr(ord("A") + rem) + letters
    return letters


def _header_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).upper()
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return str(int(value))
    if isinstance(value, float) and math.isnan(value):
        return ""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value)


def _rows_label(rows: tuple[int, ...]) -> str:
    return f"header row {rows[0]}" if len(rows) == 1 else f"header rows {rows[0]}-{rows[-1]}"


def _check_header_rows(
    block: Sequence[Sequence[object]], rows: tuple[int, ...], where: str
) -> None:
    for r, cells in zip(rows, block, strict=False):
        problem = header_problem(cells)
        if problem is not None:
            raise HeaderRowError(
                f"{where}: row {r} does not look like a header row: it holds {problem} — "
                "check `header_row` in the config."
            )


def _fill_group_titles(
    texts: list[list[str]], merges: Sequence[tuple[int, int, int]] | None
) -> list[list[str]]:
    """Spread the group titles of the upper header rows over the columns they head.

    ``merges`` lists ``(row_in_block, first_col, last_col)`` of merged cells starting
    in an upper header row; ``None`` when the file has no merge information (CSV).
    """
    k = len(texts)
    out = [list(row) for row in texts]
    if merges is not None:
        for i, c0, c1 in merges:
            if 0 <= i < k - 1 and c0 < len(out[i]):
                for c in range(c0 + 1, min(c1, len(out[i]) - 1) + 1):
                    if not out[i][c].strip():
                        out[i][c] = out[i][c0]
        return out
    width = len(texts[0]) if texts else 0
    for i in range(k - 1):
        source: int | None = None
        for c in range(width):
            if texts[i][c].strip():
                source = c
                continue
            if source is None:
                continue
            if any(texts[j][c].strip() for j in range(i)):
                source = None  # a new group starts above: the title does not reach here
                continue
            if any(texts[j][c].strip() for j in range(i + 1, k)):
                out[i][c] = texts[i][source]
    return out


def _assemble_header(
    block: Sequence[Sequence[object]],
    width: int,
    rows: tuple[int, ...],
    where: str,
    merges: Sequence[tuple[int, int, int]] | None,
) -> list[str]:
    _check_header_rows(block, rows, where)
    texts = [[_header_text(v) for v in row] + [""] * (width - len(row)) for row in block]
    if len(texts) > 1:
        texts = _fill_group_titles(texts, merges)
    return [_normalise_header(" ".join(t[c] for t in texts if t[c].strip())) for c in range(width)]


# ---------------------------------------------------------------------- encodings


def detect_encoding(path: str | Path) -> str:
    """Guess the text encoding of a CSV export.

    Parameters
    ----------
    path : str or pathlib.Path
        The file to inspect.

    Returns
    -------
    str
        ``"utf-16"`` if the file starts with a UTF-16 byte order mark (little or big
        endian), ``"utf-8-sig"`` if it starts with a UTF-8 byte order mark, else
        ``"utf-8"`` if the whole file decodes as strict UTF-8, else ``"cp1252"``
        (Windows-1252, what Excel on Windows writes) if it decodes as that, else
        ``"latin-1"`` (which decodes any byte sequence).

    Notes
    -----
    The whole file is decoded once, in 16 MB chunks, so a stray Windows-1252
    ``£`` in the last row of a large ledger is still detected. Plain ASCII is
    reported as ``"utf-8"``. UTF-16 without a byte order mark is not recognised.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x.csv"
    >>> _ = p.write_bytes("Amount\\n£5\\n".encode("utf-8-sig"))
    >>> detect_encoding(p)
    'utf-8-sig'
    >>> _ = p.write_bytes("Amount\\n£5\\n".encode("cp1252"))
    >>> detect_encoding(p)
    'cp1252'
    >>> _ = p.write_bytes("Amount\\n£5\\n".encode("utf-16"))
    >>> detect_encoding(p)
    'utf-16'
    """
    path = Path(path)
    with path.open("rb") as fh:
        start = fh.read(3)
    if start[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        return "utf-16"
    if start == codecs.BOM_UTF8:
        return "utf-8-sig"
    if _decodes(path, "utf-8"):
        return "utf-8"
    if _cp1252_decodes(path):
        return "cp1252"
    return "latin-1"


def _decodes(path: Path, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    try:
        with path.open("rb") as fh:
            while chunk := fh.read(_CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


# The five bytes Windows-1252 leaves undefined (Python's cp1252 codec refuses them):
# https://www.unicode.org/Public/MAPPINGS/VENDORS/MICSFT/WINDOWS/CP1252.TXT
_CP1252_UNDEFINED = (b"\x81", b"\x8d", b"\x8f", b"\x90", b"\x9d")


def _cp1252_decodes(path: Path) -> bool:
    """Same answer as ``_decodes(path, "cp1252")``, by searching bytes (much faster)."""
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            if any(b in chunk for b in _CP1252_UNDEFINED):
                return False
    return True


def _byte_codec(codec: str) -> bool:
    """True if ``codec`` is UTF-8 or a single-byte encoding agreeing with ASCII.

    In those, the delimiter, quote and line-break bytes cannot be part of another
    character, so a file can be cut and counted in bytes.
    """
    if codec in ("utf-8", "utf-8-sig"):
        return True
    try:
        text = bytes(range(256)).decode(codec, errors="replace")
    except (LookupError, TypeError, ValueError):
        return False
    return len(text) == 256 and text[:128] == "".join(map(chr, range(128)))


@dataclass
class _Text:
    """Where a CSV's text comes from and how to decode it from any byte offset."""

    path: Path
    encoding: str  # reported in RawTable.encoding
    codec: str  # decodes the bytes after the byte order mark
    bom: int  # length of the byte order mark at the start
    unit: int  # 1 for byte-oriented text, 2 for UTF-16
    big_endian: bool = False
    data: bytes | None = None  # the file transcoded to UTF-8 (other encodings)

    @property
    def size(self) -> int:
        return len(self.data) if self.data is not None else self.path.stat().st_size

    def open(self, start: int) -> BinaryIO:
        fh: BinaryIO = io.BytesIO(self.data) if self.data is not None else self.path.open("rb")
        fh.seek(start)
        return fh

    def encoded_len(self, text: str) -> int:
        if self.unit == 2:
            return len(text.encode("utf-16-le", errors="surrogatepass"))
        if self.codec == "utf-8":
            return len(text.encode("utf-8", errors="surrogatepass"))
        return len(text)  # single-byte encoding

    def count_quotes(self, start: int) -> int:
        count = 0
        with self.open(start) as fh:
            while chunk := fh.read(_CHUNK):
                if self.unit == 2:
                    whole = chunk[: len(chunk) // 2 * 2]  # a stray last byte fails to decode later
                    units = np.frombuffer(whole, dtype=">u2" if self.big_endian else "<u2")
                    count += int(np.count_nonzero(units == 0x22))
                else:
                    count += chunk.count(b'"')
        return count

    def ends_with_line_break(self) -> bool:
        size = self.size
        if size < self.unit:
            return False
        with self.open(size - self.unit) as fh:
            last = fh.read(self.unit)
        char = (
            last.decode(self.codec, errors="replace") if self.unit == 2 else last.decode("latin-1")
        )
        return char in ("\n", "\r")


def _open_error(name: str, exc: OSError) -> InputFileError:
    return InputFileError(f"{name}: cannot be opened ({exc.strerror or type(exc).__name__}).")


class _Undecodable(InputFileError):
    """The text cannot be decoded with the encoding tried (re-raised as InputFileError)."""


def _decode_error(name: str, encoding: str) -> _Undecodable:
    return _Undecodable(
        f"{name}: cannot be read as {encoding} text. Save it as 'CSV UTF-8' from Excel, or set "
        "`encoding` in the config."
    )


def _prepare_text(path: Path, name: str, encoding: str | None, head: bytes) -> _Text:
    """Resolve the encoding of a CSV and how to decode it (after :func:`_sniff_csv`)."""
    if encoding is None or encoding == "auto":
        try:
            encoding = detect_encoding(path)
        except OSError as exc:
            raise _open_error(name, exc) from None
    codec = codecs.lookup(encoding).name
    if codec in _UTF16:
        if codec == "utf-16":
            big = head[:2] == codecs.BOM_UTF16_BE
            bom = 2 if head[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE) else 0
        else:
            big = codec == "utf-16-be"
            bom = 0
        return _Text(
            path,
            encoding,
            "utf-16-be" if big else "utf-16-le",
            bom,
            unit=2,
            big_endian=big,
        )
    if codec in ("utf-8", "utf-8-sig"):
        bom = 3 if codec == "utf-8-sig" and head.startswith(codecs.BOM_UTF8) else 0
        return _Text(path, encoding, "utf-8", bom, unit=1)
    if _byte_codec(codec):
        return _Text(path, encoding, codec, 0, unit=1)
    # Any other encoding (multi-byte, stateful, not ASCII-based): transcode once.
    try:
        data = path.read_bytes().decode(encoding).encode("utf-8")
    except UnicodeError:
        raise _decode_error(name, encoding) from None
    except OSError as exc:
        raise _open_error(name, exc) from None
    return _Text(path, encoding, "utf-8", 0, unit=1, data=data)


# ------------------------------------------------------------------ what the file is


def _read_start(path: Path, name: str) -> bytes:
    try:
        with path.open("rb") as fh:
            return fh.read(_SNIFF)
    except OSError as exc:
        raise _open_error(name, exc) from None


def _zip_kind(path: Path) -> str:
    """``"workbook"``, ``"ods"`` or ``"zip"`` for a zip container."""
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
            if any(n.startswith("xl/workbook.") for n in names):
                return "workbook"
            if "mimetype" in names and b"spreadsheet" in zf.read("mimetype")[:100]:
                return "ods"
    except (zipfile.BadZipFile, OSError, KeyError, ValueError):
        pass
    return "zip"


def _looks_utf16_without_bom(head: bytes) -> str | None:
    sample = head[: len(head) // 2 * 2]
    if len(sample) < 4:
        return None
    even, odd = sample[0::2], sample[1::2]
    if odd.count(0) > 0.9 * len(odd) and even.count(0) < 0.1 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.9 * len(even) and odd.count(0) < 0.1 * len(odd):
        return "utf-16-be"
    return None


def _binary_kind(head: bytes) -> str | None:
    if head.startswith(b"%PDF"):
        return "a PDF document"
    if head.startswith(b"\x1f\x8b"):
        return "a compressed (gzip) file"
    if head.startswith((b"7z\xbc\xaf", b"Rar!")):
        return "a compressed archive"
    if b"\x00" in head:
        return "binary data"
    return None


def _markup_kind(head: bytes) -> bool:
    start = head.lstrip(codecs.BOM_UTF8).lstrip()[:200].lower()
    return start.startswith((b"<!doctype html", b"<html", b"<?xml", b"<table"))


def _sniff_csv(path: Path, name: str, head: bytes, encoding: str | None) -> None:
    """Refuse files that are not CSV text before decoding them."""
    utf16 = head[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
    if encoding not in (None, "auto"):
        try:
            utf16 = codecs.lookup(encoding).name in _UTF16
        except LookupError:
            raise ConfigError(
                f"{name}: unknown encoding {encoding!r}; use 'auto', 'utf-8' or 'cp1252'."
            ) from None
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        kind = _zip_kind(path)
        if kind == "zip":
            raise InputFileError(
                f"{name}: this looks like a binary file (a zip archive), not a CSV. Point the "
                "config at the exported CSV file itself."
            )
        what = "an Excel workbook" if kind == "workbook" else "a spreadsheet workbook (ODS)"
        raise InputFileError(
            f'{name}: this looks like {what}, not a CSV; set format = "xlsx" in the source '
            "profile (and `sheet` if it has several sheets)."
        )
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise InputFileError(
            f'{name}: this looks like an Excel workbook (.xls), not a CSV; set format = "xlsx" '
            "in the source profile (and `sheet` if it has several sheets)."
        )
    if not utf16:
        kind = _binary_kind(head)
        if kind is not None:
            hint = _looks_utf16_without_bom(head) if kind == "binary data" else None
            if hint is not None:
                raise InputFileError(
                    f"{name}: this looks like UTF-16 text without a byte order mark; set "
                    f'encoding = "{hint}" in the source profile.'
                )
            raise InputFileError(
                f"{name}: this looks like a binary file ({kind}), not a CSV. Point the config "
                "at the exported CSV file."
            )
        if _markup_kind(head):
            raise InputFileError(
                f"{name}: this looks like a web page or XML file (some systems export these "
                "under a spreadsheet name), not a CSV. Open it in Excel and save it as CSV or "
                ".xlsx, and set `format` to match."
            )


def _check_not_empty(text: _Text, name: str) -> None:
    decoder = codecs.getincrementaldecoder(text.codec)(errors="strict")
    try:
        with text.open(text.bom) as fh:
            while chunk := fh.read(_SNIFF):
                if decoder.decode(chunk).replace("\ufeff", "").strip():
                    return
            if decoder.decode(b"", final=True).replace("\ufeff", "").strip():
                return
    except UnicodeDecodeError:
        raise _decode_error(name, text.encoding) from None
    except OSError as exc:
        raise _open_error(name, exc) from None
    raise InputFileError(
        f"{name}: the file is empty (no text at all). Export it again, or remove it from the "
        "folder the config points at."
    )


def _sniff_workbook(path: Path, name: str) -> None:
    head = _read_start(path, name)
    if head.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        return
    text = head
    for bom in (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        text = text.removeprefix(bom)
    if not text.replace(b"\x00", b"").strip():
        raise InputFileError(f"{name}: the file is empty. Export it again.")
    if head[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE) or _binary_kind(head) is None:
        if _markup_kind(head):
            raise InputFileError(
                f"{name}: cannot be opened as an Excel workbook: this looks like a web page or "
                "XML file saved under a spreadsheet name (some systems export these as "
                "'Excel'). Open it in Excel and save it as .xlsx, or export a CSV."
            )
        raise InputFileError(
            f"{name}: cannot be opened as an Excel workbook: this looks like a CSV/text file; "
            'set format = "csv" in the source profile.'
        )
    raise InputFileError(
        f"{name}: cannot be opened as an Excel workbook: this looks like a binary file "
        f"({_binary_kind(head)}), not a workbook. Point the config at the exported workbook."
    )


# ------------------------------------------------------------------------ arguments


def _header_rows(header_row: object) -> tuple[int, ...]:
    def bad() -> ConfigError:
        return ConfigError(
            "header_row must be a whole number of at least 1 (the first row is 1), or a list "
            f"of consecutive row numbers such as [3, 4], got {header_row!r}."
        )

    def whole(v: object) -> bool:
        return isinstance(v, int) and not isinstance(v, bool) and v >= 1

    if whole(header_row):
        return (int(header_row),)  # type: ignore[call-overload]
    if isinstance(header_row, str | bytes) or not isinstance(header_row, Sequence):
        raise bad()
    rows = list(header_row)
    if not rows or not all(whole(v) for v in rows):
        raise bad()
    if any(b != a + 1 for a, b in itertools.pairwise(rows)):
        raise bad()
    return tuple(rows)


def _check_delimiter(delimiter: object) -> None:
    if delimiter != "auto" and delimiter not in DELIMITERS:
        allowed = ", ".join(repr(d) for d in (*DELIMITERS, "auto"))
        raise ConfigError(f"delimiter must be one of {allowed}, got {delimiter!r}.")


def _check_path(path: Path, name: str) -> None:
    if not path.exists():
        folder = path.absolute().parent
        raise InputFileError(
            f"{name}: file not found (looked in {folder}). Check the `path` of this "
            "source in the config."
        )
    if path.is_dir():
        raise InputFileError(f"{name}: is a folder, not a file. Check the `path` in the config.")


def read_table(
    path: str | Path,
    *,
    fmt: Literal["csv", "xlsx"],
    sheet: str | None = None,
    header_row: int | Sequence[int] = 1,
    encoding: str | None = "auto",
    delimiter: str = "auto",
    display_name: str | None = None,
) -> RawTable:
    """Read a raw CSV or Excel export without interpreting any cell.

    Parameters
    ----------
    path : str or pathlib.Path
        The file to read.
    fmt : {"csv", "xlsx"}
        File format. ``"xlsx"`` reads any workbook python-calamine opens
        (xlsx, xlsm, xlsb, xls, ods).
    sheet : str, optional
        Worksheet name (Excel only; ignored for CSV). May be left out only when the
        workbook has a single sheet.
    header_row : int or sequence of int, default 1
        1-based row holding the column headers; rows above it are titles. A list of
        consecutive rows (e.g. ``[3, 4]``) reads a header spread over several rows,
        such as group titles above the column names: each column's name is its
        cells from top to bottom joined by one space, blank cells skipped (see Notes
        for how a group title reaches the columns under it). Data starts on the row
        after the last header row.
    encoding : str or None, default "auto"
        CSV text encoding (any Python codec name), or ``"auto"`` (or ``None``) to use
        :func:`detect_encoding`. Ignored for Excel.
    delimiter : {"auto", ",", ";", "\\t", "|"}, default "auto"
        CSV delimiter. ``"auto"`` counts each candidate outside quoted text on the
        (last) header row and takes the most frequent; a tie, or none found, gives
        ``","``. Ignored for Excel.
    display_name : str, optional
        How to name the file in messages and in :attr:`RawTable.file`
        (e.g. the path relative to the configuration). Defaults to ``str(path)``.

    Returns
    -------
    RawTable
        ``frame`` holds one row per spreadsheet row below the header (blank rows
        included; for xlsx, blank rows after the last filled row are dropped,
        as they are only formatting), one column per header, index ``row`` =
        the 1-based spreadsheet row number. Every record of a CSV file is a row,
        blank ones at the end included, so that each can be accounted for.

    Raises
    ------
    ConfigError
        ``fmt`` is not ``"csv"``/``"xlsx"``; ``header_row`` is not a whole number of
        at least 1 or a non-empty list of consecutive increasing ones; ``delimiter``
        is not one of the allowed values; ``encoding`` is not a known codec.
    InputFileError
        The file does not exist, is a folder or cannot be opened; it is empty; a
        "CSV" is in fact a workbook, a PDF, an archive, a web page or other binary
        content, or a "workbook" is in fact text; a CSV cannot be decoded with its
        encoding; a workbook is password protected or damaged, the sheet does not
        exist, or ``sheet`` is not given for a workbook with several sheets; the
        file has fewer rows than ``header_row``; a header row looks like data (see
        :func:`header_problem`); the header is empty; two header cells are equal
        ignoring case and spacing; a quoted CSV cell is never closed; or a CSV row
        has more non-empty cells than the header has columns (usually a wrong
        delimiter or an unquoted comma, e.g. in ``£1,234.50``).

    Notes
    -----
    Ragged CSV rows: cells beyond the header's width that are empty (trailing
    delimiters) are ignored and short rows are padded with ``""``; any non-empty
    cell beyond the header's width makes the whole file an error naming the
    offending rows, because the other cells of such a row are almost always shifted
    into the wrong columns.

    Group titles in a header of several rows: in an Excel workbook (xlsx, xls) a
    merged cell in an upper header row heads exactly the columns it is merged over.
    In a CSV, which keeps no merge information (and in workbook formats where
    python-calamine reports none), a blank cell in an upper header row takes the
    nearest non-blank cell to its left in the same row; the title reaches no further
    than the next non-blank cell of its row or of any header row above it, and does
    not name a column whose cells in the header rows below are all blank.

    Speed: CSV files are parsed with pyarrow's multi-threaded reader, all columns as
    text and the strings kept in Arrow (pandas ``str`` dtype); other encodings than
    UTF-8 are decoded by pyarrow while it reads (measured faster than transcoding
    the file first). A file whose rows do not all have the header's number of
    fields, or which might hold a quoted cell that is never closed (an odd number
    of quote characters, or a last cell that may have swallowed the end of the
    file), or with a row larger than pyarrow's 8 MB parse block, is parsed with the
    pandas C parser instead, which handles those cases as described above. With
    ``encoding="auto"``, a file whose first 8 KB are UTF-8 is parsed as UTF-8 at
    once (the parsers check every byte) and parsed again as Windows-1252 or
    latin-1 if a later byte is not UTF-8, which is what :func:`detect_encoding`
    would decide.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "families.csv"
    >>> _ = p.write_text("Family Ref,Cohort\\nF1,Pilot\\n\\nF2, comparison \\n")
    >>> t = read_table(p, fmt="csv", display_name="families.csv")
    >>> t.frame.index.tolist()
    [2, 3, 4]
    >>> t.frame.to_dict(orient="list")
    {'Family Ref': ['F1', '', 'F2'], 'Cohort': ['Pilot', '', ' comparison ']}

    A header over two rows, group titles above the column names:

    >>> _ = p.write_text("Family,,Assessment,\\nRef,Cohort,Start,End\\nF1,Pilot,,\\n")
    >>> t = read_table(p, fmt="csv", header_row=[1, 2])
    >>> list(t.frame.columns), t.frame.index.tolist(), t.header_row
    (['Family Ref', 'Family Cohort', 'Assessment Start', 'Assessment End'], [3], (1, 2))
    """
    if fmt not in ("csv", "xlsx"):
        raise ConfigError(f"format {fmt!r} is not supported; use 'csv' or 'xlsx'.")
    rows = _header_rows(header_row)
    _check_delimiter(delimiter)
    shown_rows: int | tuple[int, ...] = (
        int(header_row) if isinstance(header_row, int) else rows  # type: ignore[arg-type]
    )
    path = Path(path)
    name = display_name if display_name is not None else str(path)
    _check_path(path, name)
    if fmt == "csv":
        return _read_csv(path, name, rows, shown_rows, encoding, delimiter)
    return _read_excel(path, name, sheet, rows, shown_rows)


# ----------------------------------------------------------------------------- CSV


_Records = list[tuple[list[str], int]]


_ANY = "any"  # split records at any candidate delimiter (for detection)
_TO_COMMA = str.maketrans(";\t|", ",,,")


def _csv_records(text: str, delimiter: str, limit: int) -> _Records | None:
    """The first ``limit`` records of ``text`` with the physical lines read after each.

    With ``delimiter=_ANY`` a quote opens a quoted cell after any candidate
    delimiter: in a well-formed file (every cell holding a quote is quoted) that
    finds the same records as the file's own delimiter, whichever it is.
    ``None`` if Python's csv module refuses the text (a cell over its 128 KB limit).
    """
    if delimiter == _ANY:
        text, delimiter = text.translate(_TO_COMMA), ","
    reader = csv.reader(
        io.StringIO(text, newline=""),
        delimiter=delimiter,
        quotechar='"',
        doublequote=True,
        strict=False,
    )
    out: _Records = []
    try:
        for record in reader:
            out.append((record, reader.line_num))
            if len(out) >= limit:
                break
    except csv.Error:
        return None
    return out


@dataclass
class _Head:
    """The decoded start of a CSV and its first records under each candidate delimiter."""

    text: str
    records: dict[str, _Records | None]
    complete: bool  # the whole file was read


def _head_records(text: _Text, name: str, delimiters: Sequence[str], limit: int) -> _Head:
    """Decode the start of a CSV until ``limit`` records are read with each delimiter.

    Stops at the end of the file, or once the text read exceeds 64 MB (a delimiter
    that is not the file's can leave a quote open and swallow the rest).
    """
    decoder = codecs.getincrementaldecoder(text.codec)(errors="strict")
    parts: list[str] = []
    step = _HEAD_START
    try:
        with text.open(text.bom) as fh:
            while True:
                chunk = fh.read(step)
                eof = len(chunk) < step
                parts.append(decoder.decode(chunk, final=eof))
                head = "".join(parts)
                found = {d: _csv_records(head, d, limit) for d in delimiters}
                done = all(v is None or len(v) >= limit for v in found.values())
                if eof or done or len(head) > _HEAD_LIMIT:
                    return _Head(head, found, complete=eof)
                step *= 2
    except UnicodeDecodeError:
        raise _decode_error(name, text.encoding) from None
    except OSError as exc:
        raise _open_error(name, exc) from None


def _count_outside_quotes(record: str) -> dict[str, int]:
    """How often each candidate delimiter occurs outside quoted text in one record."""
    counts = dict.fromkeys(DELIMITERS, 0)
    in_quotes, field_start, i = False, True, 0
    while i < len(record):
        char = record[i]
        if in_quotes:
            if char == '"':
                if record.startswith('"', i + 1):
                    i += 1  # a doubled quote inside quotes
                else:
                    in_quotes = False
        elif char == '"' and field_start:
            in_quotes = True
        elif char in counts:
            counts[char] += 1
            field_start = True
            i += 1
            continue
        field_start = False
        i += 1
    return counts


def _choose_delimiter(head: _Head, row: int) -> str:
    """The candidate found most often outside quotes on record ``row``; "," on a tie."""
    records = head.records.get(_ANY)
    if records is None or len(records) < row:
        return ","
    lines_before = records[row - 2][1] if row > 1 else 0
    record = head.text[
        _line_offset(head.text, lines_before) : _line_offset(head.text, records[row - 1][1])
    ]
    counts = _count_outside_quotes(record)
    best = max(counts.values())
    winners = [d for d, n in counts.items() if n == best]
    return winners[0] if best > 0 and len(winners) == 1 else ","


def _line_offset(head: str, lines: int) -> int:
    """Character offset of the start of physical line ``lines`` (0-based) of ``head``."""
    if lines == 0:
        return 0
    for n, match in enumerate(_LINE_END.finditer(head), start=1):
        if n == lines:
            return match.end()
    return len(head)


def _no_header_row(where: str, row: int) -> InputFileError:
    return InputFileError(
        f"{where}: has no header row {row} (the file has fewer rows). "
        "Check `header_row` in the config."
    )


def _starts_as_utf8(head: bytes) -> bool:
    """True if the first bytes have no byte order mark and are valid UTF-8 so far."""
    if head.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return False
    try:
        codecs.getincrementaldecoder("utf-8")(errors="strict").decode(head, final=False)
    except UnicodeDecodeError:
        return False
    return True


def _read_csv(
    path: Path,
    name: str,
    rows: tuple[int, ...],
    shown_rows: int | tuple[int, ...],
    encoding: str | None,
    delimiter: str,
) -> RawTable:
    head_bytes = _read_start(path, name)
    _sniff_csv(path, name, head_bytes, encoding)
    if not head_bytes:
        raise InputFileError(
            f"{name}: the file is empty (0 bytes). Export it again, or remove it from the "
            "folder the config points at."
        )
    # With encoding "auto", a file whose start is UTF-8 is read as UTF-8 straight away:
    # the parsers check every byte, so no separate pass over the file is needed. If a
    # later byte is not UTF-8, the file is read again as Windows-1252 (or latin-1),
    # exactly as detect_encoding would have decided.
    provisional = encoding in (None, "auto") and _starts_as_utf8(head_bytes)
    try:
        text = _prepare_text(path, name, "utf-8" if provisional else encoding, head_bytes)
        return _read_csv_text(text, name, rows, shown_rows, delimiter)
    except _Undecodable as exc:
        if not provisional:
            raise InputFileError(str(exc)) from None
    try:
        fallback = "cp1252" if _cp1252_decodes(path) else "latin-1"
    except OSError as exc:
        raise _open_error(name, exc) from None
    text = _prepare_text(path, name, fallback, head_bytes)
    try:
        return _read_csv_text(text, name, rows, shown_rows, delimiter)
    except _Undecodable as exc:  # pragma: no cover - both decode any text they accepted
        raise InputFileError(str(exc)) from None


def _read_csv_text(
    text: _Text,
    name: str,
    rows: tuple[int, ...],
    shown_rows: int | tuple[int, ...],
    delimiter: str,
) -> RawTable:
    _check_not_empty(text, name)
    first, last = rows[0], rows[-1]
    if delimiter == "auto":
        head = _head_records(text, name, (_ANY,), last + 1)
        delimiter = _choose_delimiter(head, last)
        head.records[delimiter] = _csv_records(head.text, delimiter, last + 1)
        found = head.records[delimiter]
        if not head.complete and (found is None or len(found) < last + 1):
            head = _head_records(text, name, (delimiter,), last + 1)  # read further
    else:
        head = _head_records(text, name, (delimiter,), last + 1)
    records = head.records[delimiter]
    if records is None:
        raise InputFileError(
            f"{name}: the rows at the top of the file cannot be read as CSV (a cell of over "
            "128 KB, or a quote that is never closed). Check `header_row` and the file."
        )
    if len(records) < last:
        if head.complete:
            raise _no_header_row(name, last)
        raise InputFileError(
            f"{name}: the first {last} rows take more than {_HEAD_LIMIT >> 20} MB; a quote "
            "that is never closed above the header usually causes this. Check `header_row` "
            "and the file."
        )
    lines_before = records[first - 2][1] if first > 1 else 0
    start = text.bom + text.encoded_len(head.text[: _line_offset(head.text, lines_before)])
    width = max(1, len(records[last - 1][0]))

    cells = _arrow_cells(text, name, start, delimiter, width, len(rows))
    if cells is None:
        cells = _pandas_cells(text, name, start, delimiter, first, len(rows))
    block, data = cells
    if len(block) < len(rows):
        raise _no_header_row(name, last)
    data.index = pd.RangeIndex(last + 1, last + 1 + len(data), name="row")
    header = _assemble_header(block, data.shape[1], rows, name, merges=None)
    frame = _finish(
        data,
        header,
        name,
        rows,
        reject_overflow=True,
        drop_trailing=False,
        delimiter=delimiter,
    )
    return RawTable(
        frame=frame,
        file=name,
        sheet=None,
        header_row=shown_rows,
        encoding=text.encoding,
        delimiter=delimiter,
    )


def _may_end_in_open_quote(text: _Text, start: int, delimiter: str, last: str) -> bool:
    """Could pyarrow's last cell be a quoted cell never closed, which pandas refuses?

    Such a cell swallows everything after its opening quote, so pyarrow returns the
    rest of the file as its value. If the file ends with a line break, the cell then
    ends with it (a closed cell can too, if quoted so; pandas decides either way).
    If not, the file's last bytes are that opening quote and the value with its
    quotes doubled, right after a delimiter or line break; an unquoted last cell
    never starts with a quote, and a closed quoted one ends with its closing quote.
    """
    if text.ends_with_line_break():
        return last.endswith(("\n", "\r"))
    encoding = "utf-8" if text.unit == 1 and text.codec == "utf-8" else text.codec
    try:
        opened = ('"' + last.replace('"', '""')).encode(encoding)
    except UnicodeEncodeError:  # pragma: no cover - the value was decoded from this text
        return True
    size = text.size
    begin = size - len(opened)
    if begin < start:
        return False
    before = max(start, begin - text.unit)
    with text.open(before) as fh:
        tail = fh.read(size - before)
    if tail[begin - before :] != opened:
        return False
    if before == begin:
        return True  # the cell starts the parsed text
    char = tail[: begin - before].decode(encoding, errors="replace")
    return char in (delimiter, "\n", "\r")


def _arrow_cells(
    text: _Text, name: str, start: int, delimiter: str, width: int, n_header: int
) -> tuple[list[list[str]], pd.DataFrame] | None:
    """Parse from byte ``start`` with pyarrow; ``None`` when pandas must do it.

    pyarrow is used only when its result is certainly the pandas C parser's: every
    row has ``width`` fields and no quoted cell can be left open at the end.
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    if text.count_quotes(start) % 2:
        return None
    names = [f"f{k}" for k in range(width)]
    ragged: list[int] = []

    def on_invalid(row: Any) -> str:
        ragged.append(1)
        return "error"

    source: Any = (
        pa.OSFile(str(text.path), "r") if text.data is None else pa.BufferReader(text.data)
    )
    try:
        source.seek(start)
        table = pacsv.read_csv(
            source,
            read_options=pacsv.ReadOptions(
                column_names=names,
                encoding="utf8" if text.codec == "utf-8" else text.codec,
                use_threads=True,
                block_size=_ARROW_BLOCK,
            ),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter,
                quote_char='"',
                double_quote=True,
                escape_char=False,
                newlines_in_values=True,
                ignore_empty_lines=False,
                invalid_row_handler=on_invalid,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.large_string()),  # pandas' own layout
                null_values=[],
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
                check_utf8=True,
            ),
        )
    except UnicodeError:
        raise _decode_error(name, text.encoding) from None
    except pa.ArrowInvalid as exc:
        if not ragged and "utf8" in str(exc).casefold():
            raise _decode_error(name, text.encoding) from None
        return None  # rows of another width, a row larger than a block, ...
    except OSError as exc:
        raise _open_error(name, exc) from None
    finally:
        source.close()
    if ragged:
        return None
    if table.num_rows and _may_end_in_open_quote(
        text, start, delimiter, table.column(width - 1)[table.num_rows - 1].as_py()
    ):
        return None
    block = [[row[n] for n in names] for row in table.slice(0, n_header).to_pylist()]
    data = table.slice(min(n_header, table.num_rows)).to_pandas()
    data.columns = pd.RangeIndex(width)
    return block, data


def _pandas_cells(
    text: _Text, name: str, start: int, delimiter: str, first: int, n_header: int
) -> tuple[list[list[str]], pd.DataFrame]:
    """Parse from byte ``start`` with the pandas C parser, ragged rows included."""
    width: int | None = None
    while True:
        try:
            with text.open(start) as fh:
                cells = pd.read_csv(
                    fh,
                    sep=delimiter,
                    quotechar='"',
                    doublequote=True,
                    header=None,
                    names=None if width is None else list(range(width)),
                    dtype=str,
                    keep_default_na=False,
                    na_filter=False,
                    skip_blank_lines=False,
                    encoding=text.codec,
                    engine="c",
                )
            break
        except pd.errors.EmptyDataError:
            cells = pd.DataFrame(columns=range(1), dtype=str)
            break
        except UnicodeError:
            raise _decode_error(name, text.encoding) from None
        except pd.errors.ParserError as exc:
            message = str(exc)
            open_quote = _EOF_IN_QUOTES_RE.search(message)
            if open_quote is not None:
                row = first + int(open_quote.group(1))
                raise InputFileError(
                    f'{name}: the quoted cell starting in row {row} is never closed (a " '
                    'without its closing "). Fix that row or re-export the file.'
                ) from None
            match = _RAGGED_RE.search(message)
            if match is None or (width is not None and int(match.group(3)) <= width):
                raise InputFileError(
                    f"{name}: is not a readable CSV file ({message}). It was read with "
                    f"{_DELIMITER_NAMES[delimiter]} as the delimiter; if that is wrong, set "
                    "`delimiter` in the source profile."
                ) from None
            width = int(match.group(3))
        except OSError as exc:
            raise _open_error(name, exc) from None
    if width is not None:
        cells = cells.fillna("")  # names= pads short rows with NaN
    cells.columns = pd.RangeIndex(cells.shape[1])
    block = [[str(v) for v in row] for row in cells.iloc[:n_header].itertuples(index=False)]
    return block, cells.iloc[n_header:]


# --------------------------------------------------------------------------- Excel


def _read_excel(
    path: Path,
    name: str,
    sheet: str | None,
    rows_spec: tuple[int, ...],
    shown_rows: int | tuple[int, ...],
) -> RawTable:
    _sniff_workbook(path, name)
    sheet, rows, merges = _load_sheet(path, name, sheet, nrows=None)
    first, last = rows_spec[0], rows_spec[-1]
    where = f"{name}, sheet {sheet!r}"
    if len(rows) < last:
        raise InputFileError(
            f"{where}: has no header row {last} (the sheet has "
            f"{len(rows)} rows). Check `header_row` in the config."
        )
    width = max((len(r) for r in rows), default=0)
    block = rows[first - 1 : last]
    upper = [
        (r0 - (first - 1), c0, c1)
        for (r0, c0), (_, c1) in (merges or [])
        if first - 1 <= r0 < last - 1
    ]
    header = _assemble_header(
        block, width, rows_spec, where, merges=upper if merges is not None else None
    )
    data = pd.DataFrame(rows[last:], columns=range(width), dtype=object)
    data.index = pd.RangeIndex(last + 1, last + 1 + len(data), name="row")
    frame = _finish(
        data,
        header,
        where,
        rows_spec,
        reject_overflow=False,
        drop_trailing=True,
        delimiter=None,
    )
    return RawTable(
        frame=frame, file=name, sheet=sheet, header_row=shown_rows, encoding=None, delimiter=None
    )


def _load_sheet(
    path: Path, name: str, sheet: str | None, *, nrows: int | None
) -> tuple[str, list[list[Any]], list[tuple[tuple[int, int], tuple[int, int]]] | None]:
    """Open a workbook and return the sheet name, its rows from A1 and its merged ranges."""
    import python_calamine as pc

    try:
        book = pc.CalamineWorkbook.from_path(str(path))
    except pc.PasswordError:
        raise InputFileError(
            f"{name}: is password protected. Save an unprotected copy and point the config at it."
        ) from None
    except (pc.CalamineError, OSError, ValueError) as exc:
        # Only the error type: parser messages can quote workbook content.
        raise InputFileError(
            f"{name}: cannot be opened as an Excel workbook ({type(exc).__name__}). Check that "
            "it is a real .xlsx/.xls file (not a CSV renamed) and not damaged, or set "
            "`format` in the config."
        ) from None
    try:
        names = list(book.sheet_names)
        if not names:
            raise InputFileError(f"{name}: the workbook has no sheets.")
        listed = ", ".join(repr(n) for n in names)
        if sheet is None:
            if len(names) > 1:
                raise InputFileError(
                    f"{name}: the workbook has {len(names)} sheets ({listed}); set `sheet` in "
                    "the source profile to the one holding the data."
                )
            sheet = names[0]
        elif sheet not in names:
            hint = [n for n in names if n.strip().casefold() == sheet.strip().casefold()]
            extra = f" Did you mean {hint[0]!r}?" if hint else ""
            raise InputFileError(
                f"{name}: has no sheet {sheet!r}. Sheets found: {listed}.{extra} Check `sheet` "
                "in the config."
            )
        try:
            ws = book.get_sheet_by_name(sheet)
            rows = ws.to_python(skip_empty_area=False, nrows=nrows)
        except pc.CalamineError as exc:
            raise InputFileError(
                f"{name}: sheet {sheet!r} cannot be read ({type(exc).__name__})."
            ) from None
        try:
            merges = ws.merged_cell_ranges
        except (AttributeError, pc.CalamineError):  # python-calamine < 0.9
            merges = None
    finally:
        book.close()
    return sheet, rows, merges


# -------------------------------------------------------------------- header search


def find_header_row(
    path: str | Path,
    expected: Iterable[str],
    *,
    fmt: Literal["csv", "xlsx"],
    sheet: str | None = None,
    encoding: str | None = "auto",
    delimiter: str = "auto",
    display_name: str | None = None,
    span: int = 1,
    min_found: int = 1,
) -> int | tuple[int, ...] | None:
    """Find the row (or rows) among the first 30 that hold most of the expected headers.

    Meant for error messages such as "the expected headers are in row 3: set
    header_row = 3"; it never returns cell content.

    Parameters
    ----------
    path : str or pathlib.Path
        The file to look at.
    expected : iterable of str
        The raw headers the source profile maps; compared with :func:`header_key`.
    fmt, sheet, encoding, delimiter, display_name
        As for :func:`read_table`. With ``delimiter="auto"`` every candidate
        delimiter is tried and the best match wins.
    span : int, default 1
        Number of consecutive rows a header spans; with 2, each pair of rows is
        assembled as :func:`read_table` assembles a two-row header (group titles
        spread over their columns, merged cells honoured) before it is scored.
    min_found : int, default 1
        A candidate must hold at least this many of the expected headers.

    Returns
    -------
    int, tuple of int, or None
        The 1-based row (``span`` 1) or tuple of rows holding the largest number
        of expected headers (the first on a tie), or ``None`` if no candidate
        holds any.

    Raises
    ------
    ConfigError, InputFileError
        As for :func:`read_table` when the file cannot be opened or decoded.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "ledger.csv"
    >>> _ = p.write_text("Finance ledger\\nRun 2022\\nTransaction ID;AMOUNT\\nT1;5\\n")
    >>> find_header_row(p, ["Transaction ID", "Amount"], fmt="csv")
    3
    """
    if fmt not in ("csv", "xlsx"):
        raise ConfigError(f"format {fmt!r} is not supported; use 'csv' or 'xlsx'.")
    _check_delimiter(delimiter)
    wanted = {header_key(e) for e in expected} - {""}
    path = Path(path)
    name = display_name if display_name is not None else str(path)
    _check_path(path, name)
    if fmt == "xlsx":
        _sniff_workbook(path, name)
        _, rows, merges = _load_sheet(path, name, sheet, nrows=_FIND_ROWS)
        candidates = [[_header_text(v) for v in row] for row in rows[:_FIND_ROWS]]
        return _best_row([candidates], wanted, span, merges, min_found)
    head_bytes = _read_start(path, name)
    _sniff_csv(path, name, head_bytes, encoding)
    if not head_bytes:
        return None
    delimiters = DELIMITERS if delimiter == "auto" else (delimiter,)
    try:
        text = _prepare_text(path, name, encoding, head_bytes)
        head = _head_records(text, name, delimiters, _FIND_ROWS)
    except _Undecodable as exc:
        raise InputFileError(str(exc)) from None
    tables = [[rec for rec, _ in recs] for recs in head.records.values() if recs is not None]
    return _best_row(tables, wanted, span, None, min_found)


def _best_row(
    tables: Sequence[Sequence[Sequence[str]]],
    wanted: set[str],
    span: int = 1,
    merges: Sequence[tuple[tuple[int, int], tuple[int, int]]] | None = None,
    min_found: int = 1,
) -> int | tuple[int, ...] | None:
    best, best_row = max(0, min_found - 1), None
    span = max(1, span)
    for records in tables:
        records = list(records[:_FIND_ROWS])
        for r in range(len(records) - span + 1):
            block = [list(records[r + i]) for i in range(span)]
            width = max((len(row) for row in block), default=0)
            texts = [row + [""] * (width - len(row)) for row in block]
            if span > 1:
                upper = None
                if merges is not None:
                    upper = [
                        (r0 - r, c0, c1) for (r0, c0), (_, c1) in merges if r <= r0 < r + span - 1
                    ]
                texts = _fill_group_titles(texts, upper)
            keys = {
                header_key(" ".join(t[c] for t in texts if str(t[c]).strip())) for c in range(width)
            }
            score = len(wanted & keys)
            if score > best:
                best, best_row = score, r + 1
    if best_row is None:
        return None
    return best_row if span == 1 else tuple(range(best_row, best_row + span))


# ------------------------------------------------------------------------- shared


def _blank(values: pd.Series) -> np.ndarray:
    """True where a cell is empty or whitespace only (str or object column)."""
    if values.dtype == object:
        is_text = values.map(type).isin([str, np.str_]).to_numpy()
        out = np.zeros(len(values), dtype=bool)
        if is_text.any():
            text = values[is_text].astype("str").str.strip()
            out[is_text] = text.eq("").to_numpy(dtype=bool, na_value=False)
        return out
    return values.str.strip().eq("").to_numpy(dtype=bool, na_value=False)


def _blank_rows(data: pd.DataFrame) -> np.ndarray:
    out = np.ones(len(data), dtype=bool)
    for k in range(data.shape[1]):  # a handful of columns; each test is vectorised
        out &= _blank(data.iloc[:, k])
    return out


def _n_rows_to_keep(data: pd.DataFrame) -> int:
    """Number of rows left once trailing fully blank rows are dropped."""
    end, step = len(data), 256
    while end > 0:
        start = max(0, end - step)
        filled = np.flatnonzero(~_blank_rows(data.iloc[start:end]))
        if len(filled):
            return start + int(filled[-1]) + 1
        end, step = start, step * 4
    return 0


def _listed_rows(rows: list[int]) -> str:
    listed = ", ".join(str(r) for r in rows[:_MAX_ROWS_LISTED])
    more = f" and {len(rows) - _MAX_ROWS_LISTED} more" if len(rows) > _MAX_ROWS_LISTED else ""
    return f"{'row' if len(rows) == 1 else 'rows'} {listed}{more}"


def _shown_header(text: str) -> str | None:
    """The header text fit to show in a message, or ``None`` if it looks like data."""
    if header_problem([text]) is not None:
        return None
    if len(text) > _MAX_HEADER_SHOWN:
        text = text[: _MAX_HEADER_SHOWN - 1] + "…"
    return repr(text)


def _finish(
    data: pd.DataFrame,
    header: Sequence[str],
    where: str,
    rows: tuple[int, ...],
    *,
    reject_overflow: bool,
    drop_trailing: bool,
    delimiter: str | None,
) -> pd.DataFrame:
    label = _rows_label(rows)
    if not any(header):
        raise InputFileError(
            f"{where}: {label} {'is' if len(rows) == 1 else 'are'} empty. Check `header_row` in "
            "the config."
        )
    if drop_trailing:
        data = data.iloc[: _n_rows_to_keep(data)]
    width = len(header)
    while width and header[width - 1] == "":
        width -= 1
    if reject_overflow and data.shape[1] > width:
        over = ~_blank_rows(data.iloc[:, width:])
        if over.any():
            bad = data.index[over].tolist()
            used = _DELIMITER_NAMES.get(delimiter or ",", repr(delimiter))
            raise InputFileError(
                f"{where}: {len(bad)} row(s) have more cells than the {width} column headers in "
                f"{label} ({_listed_rows(bad)}). The file was read with {used} as the "
                "delimiter: if it uses another one, set `delimiter` in the source profile. "
                "Otherwise a comma inside a value that is not in quotes (e.g. £1,234.50 instead "
                'of "£1,234.50") usually causes this; re-export the file with quoted text or '
                "fix those rows."
            )
    keep: list[int] = []
    names: list[str] = []
    for k, h in enumerate(header):
        if h:
            keep.append(k)
            names.append(h)
        elif k < data.shape[1] and not _blank(data.iloc[:, k]).all():  # unnamed, holds data
            keep.append(k)
            names.append(f"Unnamed: {k}")
    groups: dict[str, list[int]] = {}
    for k, h in zip(keep, names, strict=True):
        groups.setdefault(header_key(h), []).append(k)
    repeated = [cols for cols in groups.values() if len(cols) > 1]
    if repeated:
        parts = []
        for cols in repeated:
            letters = [_column_letter(k) for k in cols]
            where_cols = ", ".join(letters[:-1]) + " and " + letters[-1]
            shown = _shown_header(header[cols[0]] or f"Unnamed: {cols[0]}")
            parts.append(f"{shown} in columns {where_cols}" if shown else f"columns {where_cols}")
        raise InputFileError(
            f"{where}: {label} repeats column names (compared ignoring case and spacing): "
            f"{'; '.join(parts)}. Rename the columns so each header is unique."
        )
    frame = data.iloc[:, keep]
    frame.columns = pd.Index(names, dtype=object)
    frame.index.name = "row"
    return frame
