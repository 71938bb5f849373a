"""Read raw exports (CSV or Excel) cell for cell, keeping spreadsheet row numbers.

The readers do no interpretation: every cell comes back as it was stored, so that
later stages can report any problem against the row a person sees when they open
the file. What the readers do decide:

* rows above ``header_row`` are titles, not data;
* the header row gives the column names (surrounding whitespace and a UTF-8 byte
  order mark removed); an empty header cell over a column holding data becomes
  ``"Unnamed: k"`` (``k`` the 0-based column position, as pandas names them), an
  empty header cell over an empty column is dropped, and a repeated header name is
  an error;
* blank rows inside the data are kept (all cells ``""``) so every raw row can be
  accounted for; fully blank rows at the very end of the file are dropped;
* the frame's index, named ``row``, is the 1-based row number as shown by a
  spreadsheet program (for CSV: the record number, so a quoted cell spanning two
  lines still counts as one row).

Examples
--------
>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "payments.csv").write_bytes(
...     b"Finance ledger\\r\\nTransaction ID,Amount\\r\\nT1,\\xa312.50\\r\\n,\\r\\nT2,(3.00)\\r\\n"
... )
>>> table = read_table(folder / "payments.csv", fmt="csv", header_row=2,
...                    display_name="payments.csv")
>>> table.encoding
'cp1252'
>>> table.frame.index.tolist()
[3, 4, 5]
>>> table.frame.to_dict(orient="list")
{'Transaction ID': ['T1', '', 'T2'], 'Amount': ['£12.50', '', '(3.00)']}
"""

from __future__ import annotations

import codecs
import datetime as dt
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from noream_eval.errors import ConfigError, InputFileError

__all__ = ["RawTable", "detect_encoding", "read_table"]

_CHUNK = 1 << 24  # bytes per read when sniffing the encoding
_MAX_ROWS_LISTED = 5
_RAGGED_RE = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")


@dataclass(frozen=True)
class RawTable:
    """One raw export, cell for cell, with spreadsheet row numbers.

    Attributes
    ----------
    frame : pandas.DataFrame
        Every cell as read. CSV cells are ``str`` (an empty cell is ``""``); Excel
        cells are the Python value stored in the workbook (``str``, ``float``,
        ``int``, ``bool``, ``datetime.date``, ``datetime.datetime``, ...) or ``""``
        for an empty cell. Columns are the header strings; the index, named
        ``row``, holds the 1-based row number as a person sees it in a spreadsheet.
    file : str
        The file name as the user gave it (for messages).
    sheet : str or None
        The worksheet read (``None`` for CSV).
    header_row : int
        The 1-based row holding the column headers.
    encoding : str or None
        The text encoding used for a CSV (``None`` for Excel).
    """

    frame: pd.DataFrame
    file: str
    sheet: str | None
    header_row: int
    encoding: str | None


def detect_encoding(path: str | Path) -> str:
    """Guess the text encoding of a CSV export.

    Parameters
    ----------
    path : str or pathlib.Path
        The file to inspect.

    Returns
    -------
    str
        ``"utf-8-sig"`` if the file starts with a UTF-8 byte order mark, else
        ``"utf-8"`` if the whole file decodes as strict UTF-8, else ``"cp1252"``
        (Windows-1252, what Excel on Windows writes) if it decodes as that, else
        ``"latin-1"`` (which decodes any byte sequence).

    Notes
    -----
    The whole file is decoded once, in 16 MB chunks, so a stray Windows-1252
    ``£`` in the last row of a large ledger is still detected. Plain ASCII is
    reported as ``"utf-8"``.

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
    """
    path = Path(path)
    with path.open("rb") as fh:
        if fh.read(3) == codecs.BOM_UTF8:
            return "utf-8-sig"
    for encoding in ("utf-8", "cp1252"):
        if _decodes(path, encoding):
            return encoding
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


def read_table(
    path: str | Path,
    *,
    fmt: Literal["csv", "xlsx"],
    sheet: str | None = None,
    header_row: int = 1,
    encoding: str | None = "auto",
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
        Worksheet name (Excel only; ignored for CSV). ``None`` reads the first sheet.
    header_row : int, default 1
        1-based row holding the column headers; rows above it are titles.
    encoding : str or None, default "auto"
        CSV text encoding, or ``"auto"`` (or ``None``) to use :func:`detect_encoding`.
        Ignored for Excel.
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
    InputFileError
        The file does not exist, cannot be opened or decoded, the sheet does not
        exist, the header row is beyond the data or empty, a header name is
        repeated, or a CSV row has more non-empty cells than the header row has
        columns (usually an unquoted comma, e.g. in ``£1,234.50``).
    ConfigError
        ``fmt`` is not ``"csv"``/``"xlsx"`` or ``header_row`` is below 1.

    Notes
    -----
    Ragged CSV rows: cells beyond the header's width that are empty (trailing
    commas) are ignored; any non-empty cell beyond the header's width makes the
    whole file an error naming the offending rows, because the other cells of such
    a row are almost always shifted into the wrong columns.

    CSV files are read with the pandas C parser (``dtype=str``, no NA conversion),
    so ten million rows take seconds, not minutes.

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
    """
    if fmt not in ("csv", "xlsx"):
        raise ConfigError(f"format {fmt!r} is not supported; use 'csv' or 'xlsx'.")
    if isinstance(header_row, bool) or not isinstance(header_row, int) or header_row < 1:
        raise ConfigError(
            f"header_row must be a whole number of at least 1 (the first row is 1), "
            f"got {header_row!r}."
        )
    path = Path(path)
    name = display_name if display_name is not None else str(path)
    if not path.exists():
        folder = path.absolute().parent
        raise InputFileError(
            f"{name}: file not found (looked in {folder}). Check the `path` of this "
            "source in the config."
        )
    if path.is_dir():
        raise InputFileError(f"{name}: is a folder, not a file. Check the `path` in the config.")
    if fmt == "csv":
        return _read_csv(path, name, header_row, encoding)
    return _read_excel(path, name, sheet, header_row)


# ----------------------------------------------------------------------------- CSV


def _read_csv(path: Path, name: str, header_row: int, encoding: str | None) -> RawTable:
    if encoding is None or encoding == "auto":
        try:
            encoding = detect_encoding(path)
        except OSError as exc:
            raise InputFileError(f"{name}: cannot be opened ({exc.strerror}).") from None
    else:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise ConfigError(
                f"{name}: unknown encoding {encoding!r}; use 'auto', 'utf-8' or 'cp1252'."
            ) from None
    width: int | None = None
    while True:
        try:
            cells = pd.read_csv(
                path,
                header=None,
                names=None if width is None else list(range(width)),
                dtype=str,
                keep_default_na=False,
                na_filter=False,
                skip_blank_lines=False,
                skiprows=header_row - 1,
                encoding=encoding,
                engine="c",
            )
            break
        except pd.errors.EmptyDataError:
            raise InputFileError(
                f"{name}: has no header row {header_row} (the file has fewer rows). "
                "Check `header_row` in the config."
            ) from None
        except UnicodeError:
            raise InputFileError(
                f"{name}: cannot be read as {encoding} text. Save it as 'CSV UTF-8' from "
                "Excel, or set `encoding` in the config."
            ) from None
        except pd.errors.ParserError as exc:
            match = _RAGGED_RE.search(str(exc))
            if match is None or (width is not None and int(match.group(3)) <= width):
                raise InputFileError(f"{name}: is not a readable CSV file ({exc}).") from None
            width = int(match.group(3))
        except OSError as exc:
            raise InputFileError(f"{name}: cannot be opened ({exc.strerror}).") from None
    if len(cells) == 0:
        raise InputFileError(
            f"{name}: has no header row {header_row} (the file has fewer rows). "
            "Check `header_row` in the config."
        )
    if width is not None:
        cells = cells.fillna("")  # names= pads short rows with NaN
    header = [str(h) for h in cells.iloc[0].tolist()]
    data = cells.iloc[1:]
    data.index = pd.RangeIndex(header_row + 1, header_row + 1 + len(data), name="row")
    frame = _finish(data, header, name, header_row, reject_overflow=True, drop_trailing=False)
    return RawTable(frame=frame, file=name, sheet=None, header_row=header_row, encoding=encoding)


# --------------------------------------------------------------------------- Excel


def _read_excel(path: Path, name: str, sheet: str | None, header_row: int) -> RawTable:
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
        if sheet is None:
            sheet = names[0]
        elif sheet not in names:
            hint = [n for n in names if n.strip().casefold() == sheet.strip().casefold()]
            extra = f" Did you mean {hint[0]!r}?" if hint else ""
            raise InputFileError(
                f"{name}: has no sheet {sheet!r}. Sheets found: "
                f"{', '.join(repr(n) for n in names)}.{extra} Check `sheet` in the config."
            )
        try:
            rows = book.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
        except pc.CalamineError as exc:
            raise InputFileError(
                f"{name}: sheet {sheet!r} cannot be read ({type(exc).__name__})."
            ) from None
    finally:
        book.close()
    if len(rows) < header_row:
        raise InputFileError(
            f"{name}, sheet {sheet!r}: has no header row {header_row} (the sheet has "
            f"{len(rows)} rows). Check `header_row` in the config."
        )
    header = [_header_text(v) for v in rows[header_row - 1]]
    body = rows[header_row:]
    data = pd.DataFrame(body, columns=range(len(header)), dtype=object)
    data.index = pd.RangeIndex(header_row + 1, header_row + 1 + len(data), name="row")
    frame = _finish(
        data,
        header,
        f"{name}, sheet {sheet!r}",
        header_row,
        reject_overflow=False,
        drop_trailing=True,
    )
    return RawTable(frame=frame, file=name, sheet=sheet, header_row=header_row, encoding=None)


def _header_text(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).upper()
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value)


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


def _finish(
    data: pd.DataFrame,
    header: Sequence[str],
    where: str,
    header_row: int,
    *,
    reject_overflow: bool,
    drop_trailing: bool,
) -> pd.DataFrame:
    header = [h.replace("\ufeff", "").strip() for h in header]
    if not any(header):
        raise InputFileError(
            f"{where}: header row {header_row} is empty. Check `header_row` in the config."
        )
    if drop_trailing:
        data = data.iloc[: _n_rows_to_keep(data)]
    width = len(header)
    while width and header[width - 1] == "":
        width -= 1
    if reject_overflow and data.shape[1] > width:
        over = ~_blank_rows(data.iloc[:, width:])
        if over.any():
            rows = data.index[over].tolist()
            listed = ", ".join(str(r) for r in rows[:_MAX_ROWS_LISTED])
            more = (
                f" and {len(rows) - _MAX_ROWS_LISTED} more" if len(rows) > _MAX_ROWS_LISTED else ""
            )
            label = "row" if len(rows) == 1 else "rows"
            raise InputFileError(
                f"{where}: {len(rows)} row(s) have more cells than the {width} column headers in "
                f"row {header_row} ({label} {listed}{more}). A comma inside a value that is not "
                'in quotes (e.g. £1,234.50 instead of "£1,234.50") usually causes this; '
                "re-export the file with quoted text or fix those rows."
            )
    keep: list[int] = []
    names: list[str] = []
    for k, h in enumerate(header):
        if h:
            keep.append(k)
            names.append(h)
        elif not _blank(data.iloc[:, k]).all():  # an unnamed column holding data
            keep.append(k)
            names.append(f"Unnamed: {k}")
    seen: set[str] = set()
    dups = [h for h in names if h in seen or seen.add(h)]
    if dups:
        listed = ", ".join(repr(h) for h in dict.fromkeys(dups))
        raise InputFileError(
            f"{where}: header row {header_row} repeats the column name(s) {listed}. Rename the "
            "columns so each header is unique."
        )
    frame = data.iloc[:, keep]
    frame.columns = pd.Index(names, dtype=object)
    frame.index.name = "row"
    return frame
