"""Turn raw cells into typed values, one column at a time, with a reason for every failure.

Every normaliser takes a :class:`pandas.Series` of raw cells as the readers deliver
them (``str`` from CSV; ``str``, ``float``, ``int``, ``bool``, ``datetime`` or ``""``
from Excel; any index) and returns a :class:`Normalised` pair:

* ``values`` - the typed values, same index as the input, missing where the input
  was blank or could not be normalised;
* ``problems`` - ``str``, same index: ``""`` where the value is fine *or blank*, and
  a reason a social-care analyst can act on where a non-blank cell could not be
  normalised.

Invariants a caller can rely on:

* blank input (``None``, ``NaN``, ``NaT``, ``""``, whitespace only, including the
  no-break space Excel likes) gives a missing value and no problem - whether a
  missing value is acceptable is the caller's decision;
* wherever ``problems != ""`` the value is missing;
* a reason never repeats the raw cell, so problems can be logged or written to
  the rejects table as they are (the caller stores the scrubbed value separately).

National-scale exports repeat a few thousand distinct strings across millions of
rows, so text cells are factorised first and each distinct string is parsed once
with vectorised pandas string operations; the result is broadcast back with
integer codes.

Examples
--------
>>> import pandas as pd
>>> amounts = parse_money(pd.Series(["£1,234.50", "(120.00)", "", "N/A"]))
>>> amounts.values.tolist()
[1234.5, -120.0, nan, nan]
>>> amounts.problems.tolist()[3]
'not a recognisable amount of money (expected e.g. £1,234.50, -95 or (120.00) for a refund)'
"""

from __future__ import annotations

import datetime as dt
import itertools
import numbers
import re
import unicodedata
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "Normalised",
    "is_blank",
    "key",
    "key_one",
    "map_code_lists",
    "map_codes",
    "normalise_reference",
    "parse_dates",
    "parse_int",
    "parse_likert",
    "parse_money",
]

DateLike = str | dt.date | pd.Timestamp | np.datetime64

# Reasons. They describe what was expected and never quote the cell.
REASON_DATE_DAYFIRST = (
    "not a recognisable date (expected day-first dd/mm/yyyy, ISO yyyy-mm-dd or an Excel "
    "serial number)"
)
REASON_DATE_MONTHFIRST = (
    "not a recognisable date (expected month-first mm/dd/yyyy, ISO yyyy-mm-dd or an Excel "
    "serial number)"
)
REASON_DATE_SERIAL = (
    "number is not an Excel date serial between 1900 and 2100 (1 to 73415); expected a date"
)
REASON_DATE_1900_02_29 = "Excel serial number 60 stands for 29/02/1900, a date that never existed"
REASON_DATE_SUPPORTED = "date outside the supported range (years 1678 to 2261)"
REASON_MONEY = (
    "not a recognisable amount of money (expected e.g. £1,234.50, -95 or (120.00) for a refund)"
)
REASON_INT = "not a whole number"
REASON_INT_TOO_LARGE = "number too large to be a count"
REASON_CODE = "code not in the value map for this column"
REASON_LIKERT_LABEL = "answer is neither a label of this scale nor a score"
REASON_LIKERT_WHOLE = "score is not a whole number"
REASON_LIKERT_DISAGREE = "the score and the label in this answer disagree"

_TEXT, _NUMBER, _DATE, _OTHER = 0, 1, 2, 3

# Dates: the time of day is dropped before the date is parsed (values are midnight).
_TIME_SUFFIX = (
    r"(?:T| +)(?:[01]?[0-9]|2[0-3])[:.][0-5][0-9](?::[0-5][0-9](?:[.,][0-9]{1,9})?)?"
    r"(?: *[AaPp]\.?[Mm]\.?)?(?: *(?:Z|[+-][0-9]{2}(?::?[0-9]{2})?))?$"
)
_ISO_FORMATS = ("%Y-%m-%d", "%Y/%m/%d")
_TEXT_MONTH_FORMATS = (
    "%d %b %Y",
    "%d %B %Y",
    "%d-%b-%Y",
    "%d-%B-%Y",
    "%d %b %y",
    "%d %B %y",
    "%d-%b-%y",
    "%d-%B-%y",
    "%b %d %Y",
    "%b %d, %Y",
    "%B %d %Y",
    "%B %d, %Y",
)
_DAYFIRST_FORMATS = (
    "%d/%m/%Y",
    "%d-%m-%Y",
    "%d.%m.%Y",
    "%d/%m/%y",
    "%d-%m-%y",
    "%d.%m.%y",
)
_MONTHFIRST_FORMATS = tuple(
    f.replace("%d", "%D").replace("%m", "%d").replace("%D", "%m") for f in _DAYFIRST_FORMATS
)
_SERIAL_TEXT = r"[0-9]+(?:\.[0-9]+)?"
_EXCEL_ORIGIN = np.datetime64("1899-12-30", "D")  # for serials >= 61 (Excel's leap-year bug)
_SERIAL_MAX = 2958465
_SERIAL_DATE_MIN = np.datetime64("1900-01-01", "D")
_SERIAL_DATE_MAX = np.datetime64("2100-12-31", "D")
_SUPPORTED_MIN = pd.Timestamp("1678-01-01")
_SUPPORTED_MAX = pd.Timestamp("2261-12-31")

# Money: optional currency, one sign (minus before or after, or parentheses), thousands
# separators only in groups of three (so "12,50" - a decimal comma - is not read as 1250).
_MONEY_RE = (
    r"^(?P<c1>£|[Gg][Bb][Pp])? *(?P<open>\()? *(?P<m1>[-−])? *(?P<c2>£|[Gg][Bb][Pp])? *"
    r"(?P<m2>[-−])? *"
    r"(?P<num>[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]*)?|[0-9]+(?:\.[0-9]*)?|\.[0-9]+)"
    r" *(?P<m3>[-−])? *(?P<close>\))?$"
)
_INT_RE = r"^(?P<sign>[-+−])?(?P<digits>[0-9]+)(?:\.0*)?$"
_INT_MAX_DIGITS = 15  # exact in float64, far beyond any count

# Likert answers: "4", "4 - Often", "4. Often", "Often (4)", "Often - 4".
_LIKERT_NUMBER_FIRST = r"^(?P<n>[0-9]+) *(?:[-–—:.)=] *| +)(?P<label>[^0-9 ].*)$"
_LIKERT_NUMBER_LAST = (
    r"^(?P<label>[^0-9].*?) *(?:[(\[] *(?P<n1>[0-9]+) *[)\]]|[-–—:=] *(?P<n2>[0-9]+))$"
)


@dataclass(frozen=True)
class Normalised:
    """Typed values and per-cell problems of one normalised column.

    Attributes
    ----------
    values : pandas.Series
        The normalised values, same index as the input; missing where the input was
        blank or had a problem.
    problems : pandas.Series
        ``str``, same index: ``""`` where the value is fine or the input was blank,
        otherwise the reason the cell could not be normalised (never the cell itself).
    """

    values: pd.Series
    problems: pd.Series

    @property
    def has_problem(self) -> pd.Series:
        """Boolean Series, True where the cell could not be normalised."""
        return self.problems.ne("")


# ------------------------------------------------------------------- cell classes


@dataclass(frozen=True)
class _Cells:
    """Non-blank cells of a raw column, split by kind, text factorised."""

    index: pd.Index
    name: Any
    blank: np.ndarray  # bool per cell
    text_pos: np.ndarray  # positions of non-blank text cells
    text_codes: np.ndarray  # for each of those, its row in text_uniques
    text_uniques: pd.Series  # str dtype, stripped, RangeIndex
    num_pos: np.ndarray
    num: np.ndarray  # float64
    date_pos: np.ndarray
    dates: np.ndarray  # object (date-likes) or datetime64
    other_pos: np.ndarray  # booleans, times, anything else

    @property
    def n(self) -> int:
        return len(self.blank)


def _kind_of_type(t: type) -> int:
    if issubclass(t, str | np.str_):
        return _TEXT
    if issubclass(t, bool | np.bool_):
        return _OTHER
    if issubclass(t, dt.date | np.datetime64):
        return _DATE
    if issubclass(t, numbers.Real) or t.__name__ == "Decimal":
        return _NUMBER
    return _OTHER


def _kinds(arr: np.ndarray, missing: np.ndarray) -> np.ndarray:
    """Kind of each cell of an object array (value ignored where missing)."""
    inferred = pd.api.types.infer_dtype(arr, skipna=True)
    if inferred in ("string", "empty"):
        return np.full(len(arr), _TEXT, dtype=np.int8)
    if inferred in ("floating", "integer", "mixed-integer-float", "decimal"):
        return np.full(len(arr), _NUMBER, dtype=np.int8)
    if inferred in ("date", "datetime", "datetime64"):
        return np.full(len(arr), _DATE, dtype=np.int8)
    if inferred == "boolean":
        return np.full(len(arr), _OTHER, dtype=np.int8)
    # Genuinely mixed (an Excel column): one type() call per cell, then a lookup
    # per distinct type.
    types = pd.Series(arr, dtype=object).map(type)
    table = {t: _kind_of_type(t) for t in types[~missing].unique()}
    return types.map(table).fillna(_TEXT).to_numpy(dtype=np.int8)


def _as_str_series(values: Any) -> pd.Series:
    if isinstance(getattr(values, "dtype", None), pd.StringDtype):
        return pd.Series(values).astype("str")
    return pd.Series(np.asarray(values, dtype=object), dtype="str")


def _factorise_text(values: Any) -> tuple[np.ndarray, pd.Series]:
    """Codes and stripped distinct strings (str dtype) of an array of strings."""
    codes, uniques = pd.factorize(values)
    raw = _as_str_series(uniques)
    stripped = raw.str.replace("\u00a0", " ", regex=False).str.strip()
    if stripped.eq(raw).all():  # nothing to merge
        return codes, stripped
    codes2, uniques2 = pd.factorize(stripped)
    return codes2[codes], _as_str_series(uniques2).reset_index(drop=True)


def _extract(u: pd.Series, pattern: str) -> pd.DataFrame:
    """Named groups of ``pattern`` (str columns): NaN where the string does not match,
    ``""`` where a group did not take part in the match."""
    if getattr(u.dtype, "storage", None) == "pyarrow":
        import pyarrow as pa
        import pyarrow.compute as pc

        found = pc.extract_regex(pa.array(u.array), pattern)
        fields = [found.type.field(i).name for i in range(found.type.num_fields)]
        valid = found.is_valid()
        return pd.DataFrame(
            {
                name: pd.array(pc.if_else(valid, pc.struct_field(found, name), None), dtype="str")
                for name in fields
            },
            index=u.index,
        )
    parts = u.str.extract(pattern, expand=True)
    matched = parts.notna().any(axis=1)
    return parts.where(~matched | parts.notna(), "").astype("str")


def _number_text(x: np.ndarray) -> np.ndarray:
    """Text of numbers as a person would type them: 17.0 -> '17', 3.5 -> '3.5'."""
    out = x.astype(str).astype(object)
    whole = np.isfinite(x) & (x == np.round(x)) & (np.abs(x) < 1e15)
    out[whole] = x[whole].astype(np.int64).astype(str)
    return out


def _cells(s: pd.Series, *, as_text: bool = False) -> _Cells:
    """Split a raw column into blank, text, number, date and other cells.

    With ``as_text`` every non-blank cell is turned into text (numbers as typed,
    dates in ISO form), for the code, label and reference normalisers.
    """
    if not isinstance(s, pd.Series):
        s = pd.Series(s)
    if isinstance(s.dtype, pd.CategoricalDtype):
        cats = s.cat.categories
        if pd.api.types.infer_dtype(cats, skipna=True) in ("string", "empty"):
            return _cells_of_codes(s)
        s = s.astype(object)
    n = len(s)
    missing = s.isna().to_numpy(dtype=bool)
    dtype = s.dtype
    source: Any
    if pd.api.types.is_bool_dtype(dtype):
        kinds = np.full(n, _OTHER, dtype=np.int8)
        source = s.to_numpy(dtype=object)
    elif pd.api.types.is_string_dtype(dtype) and not pd.api.types.is_object_dtype(dtype):
        kinds = np.full(n, _TEXT, dtype=np.int8)
        source = s.array
    elif pd.api.types.is_numeric_dtype(dtype):
        kinds = np.full(n, _NUMBER, dtype=np.int8)
        source = s.to_numpy(dtype=np.float64, na_value=np.nan)
    elif pd.api.types.is_datetime64_any_dtype(dtype):
        kinds = np.full(n, _DATE, dtype=np.int8)
        naive = s.dt.tz_localize(None) if getattr(dtype, "tz", None) is not None else s
        source = naive.to_numpy()
    else:
        source = s.to_numpy(dtype=object)
        kinds = _kinds(source, missing)
    present = ~missing

    def positions(kind: int) -> np.ndarray:
        return np.flatnonzero(present & (kinds == kind))

    def pick(p: np.ndarray) -> Any:
        return source if len(p) == n else source.take(p)

    text_pos, num_pos, date_pos, other_pos = (positions(k) for k in (_TEXT, _NUMBER, _DATE, _OTHER))
    text_src = pick(text_pos)
    num = np.asarray(pick(num_pos), dtype=np.float64)
    dates = pick(date_pos)
    if as_text and len(text_pos) < present.sum():
        parts = [
            np.asarray(text_src, dtype=object),
            _number_text(num),
            _date_text(dates),
            np.asarray([_other_text(v) for v in pick(other_pos)], dtype=object),
        ]
        text_pos = np.concatenate([text_pos, num_pos, date_pos, other_pos])
        order = np.argsort(text_pos, kind="stable")
        text_pos = text_pos[order]
        text_src = np.concatenate(parts)[order]
        num_pos = date_pos = other_pos = np.empty(0, dtype=np.intp)
        num, dates = np.empty(0), np.empty(0, dtype=object)
    if len(text_pos):
        codes, uniques = _factorise_text(text_src)
    else:
        codes, uniques = np.empty(0, dtype=np.intp), pd.Series([], dtype="str")
    blank = missing.copy()
    empty_code = np.flatnonzero(uniques.eq("").to_numpy(dtype=bool, na_value=False))
    if len(empty_code):
        is_empty = codes == empty_code[0]
        blank[text_pos[is_empty]] = True
        text_pos, codes = text_pos[~is_empty], codes[~is_empty]
    return _Cells(
        index=s.index,
        name=s.name,
        blank=blank,
        text_pos=text_pos,
        text_codes=codes,
        text_uniques=uniques,
        num_pos=num_pos,
        num=num,
        date_pos=date_pos,
        dates=dates,
        other_pos=other_pos,
    )


def _cells_of_codes(s: pd.Series) -> _Cells:
    """:func:`_cells` of a categorical column of strings: work on its categories only.

    Ingest keeps raw text columns as categoricals (each distinct string stored
    once), so a column of millions of cells costs one pass over its codes.
    """
    codes = s.cat.codes.to_numpy()
    merged, uniques, empty = _category_texts(s.cat.categories)
    cell = np.where(codes >= 0, merged[np.maximum(codes, 0)], -1)
    blank = cell < 0
    if empty >= 0:
        blank |= cell == empty
    text_pos = np.flatnonzero(~blank)
    nothing = np.empty(0, dtype=np.intp)
    return _Cells(
        index=s.index,
        name=s.name,
        blank=blank,
        text_pos=text_pos,
        text_codes=cell[text_pos],
        text_uniques=uniques,
        num_pos=nothing,
        num=np.empty(0),
        date_pos=nothing,
        dates=np.empty(0, dtype=object),
        other_pos=nothing,
    )


#: The stripped distinct strings of categories (see :func:`_category_texts`), by the
#: id of the categories' Index; an entry goes when its Index is freed.
_TEXTS_OF_CATEGORIES: dict[int, tuple[weakref.ref, np.ndarray, pd.Series, int]] = {}


def _category_texts(categories: pd.Index) -> tuple[np.ndarray, pd.Series, int]:
    """Stripped distinct strings of a categorical's categories (str dtype, RangeIndex),
    the row of each category among them, and the row of ``""`` (-1 if none).

    A raw column is read several times (blank rows, identifiers, its field), so the
    work is done once per categories Index, which pandas never changes in place.
    """
    key = id(categories)
    hit = _TEXTS_OF_CATEGORIES.get(key)
    if hit is not None and hit[0]() is categories:
        return hit[1], hit[2], hit[3]
    raw = _as_str_series(categories)
    stripped = raw.str.replace("\u00a0", " ", regex=False).str.strip()
    merged, uniques = pd.factorize(stripped)
    uniques = _as_str_series(uniques).reset_index(drop=True)
    empty = np.flatnonzero(uniques.eq("").to_numpy(dtype=bool, na_value=False))
    found = (merged, uniques, int(empty[0]) if len(empty) else -1)

    def forget(ref: weakref.ref, key: int = key) -> None:
        if _TEXTS_OF_CATEGORIES.get(key, (None,))[0] is ref:
            del _TEXTS_OF_CATEGORIES[key]

    _TEXTS_OF_CATEGORIES[key] = (weakref.ref(categories, forget), *found)
    return found


def _date_text(values: np.ndarray) -> np.ndarray:
    if not len(values):
        return np.empty(0, dtype=object)
    stamps = pd.Series(_to_datetime_objects(values))
    midnight = stamps.dt.normalize().eq(stamps)
    text = stamps.dt.strftime("%Y-%m-%d %H:%M:%S").where(~midnight, stamps.dt.strftime("%Y-%m-%d"))
    return text.fillna("").to_numpy(dtype=object)


def _other_text(value: Any) -> str:
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    return str(value)


def _to_datetime_objects(values: np.ndarray) -> pd.DatetimeIndex:
    """Date-like objects to a naive DatetimeIndex (wall-clock time); NaT where out of range."""
    if values.dtype.kind == "M":
        return pd.DatetimeIndex(values)
    try:
        out = pd.to_datetime(pd.Index(values, dtype=object), errors="coerce")
    except (TypeError, ValueError):
        out = pd.DatetimeIndex([pd.NaT] * len(values), dtype="datetime64[us]")
    if out.tz is not None:
        out = out.tz_localize(None)
    failed = np.flatnonzero(out.isna())
    if len(failed):  # e.g. time-zone-aware next to naive values: one at a time
        out = out.astype("datetime64[us]").to_numpy().copy()
        out[failed] = [_naive(v) for v in values[failed]]
        out = pd.DatetimeIndex(out)
    return out


def _naive(value: Any) -> np.datetime64:
    try:
        stamp = pd.Timestamp(value)
        if stamp.tzinfo is not None:
            stamp = stamp.tz_localize(None)
        return stamp.as_unit("us").to_datetime64()
    except (ValueError, OverflowError, TypeError, pd.errors.OutOfBoundsDatetime):
        return np.datetime64("NaT", "us")


class _Problems:
    """Per-cell reasons, stored as small integer codes into a list of distinct reasons.

    Millions of cells share a handful of reasons, so this avoids building and
    converting millions of Python string references.
    """

    def __init__(self, n: int) -> None:
        self.codes = np.zeros(n, dtype=np.int32)
        self.reasons: list[str] = [""]
        self._lookup: dict[str, int] = {"": 0}

    def _code(self, reason: str) -> int:
        if reason not in self._lookup:
            self._lookup[reason] = len(self.reasons)
            self.reasons.append(reason)
        return self._lookup[reason]

    def encode(self, reasons: Any) -> np.ndarray:
        """Codes of an array of reasons."""
        codes, distinct = pd.factorize(np.asarray(reasons, dtype=object))
        table = np.asarray([self._code(str(r)) for r in distinct] or [0], dtype=np.int32)
        return table[codes]

    def __setitem__(self, where: Any, reasons: str | np.ndarray) -> None:
        if isinstance(reasons, str):
            self.codes[where] = self._code(reasons)
        else:
            self.codes[where] = self.encode(reasons)

    def broadcast(self, cells: _Cells, reasons_u: np.ndarray) -> None:
        """Give each text cell the reason of its distinct string."""
        if len(cells.text_pos):
            self.codes[cells.text_pos] = self.encode(reasons_u)[cells.text_codes]

    def any(self) -> np.ndarray:
        return self.codes != 0

    def series(self, index: pd.Index, name: Any) -> pd.Series:
        if getattr(pd.Series([], dtype="str").dtype, "storage", None) == "pyarrow":
            import pyarrow as pa

            decoded = pa.DictionaryArray.from_arrays(
                pa.array(self.codes, type=pa.int32()),
                pa.array(self.reasons, type=pa.large_string()),
            ).cast(pa.large_string())
            return pd.Series(pd.array(decoded, dtype="str"), index=index, name=name)
        table = np.asarray(self.reasons, dtype=object)
        return pd.Series(table[self.codes], index=index, name=name, dtype="str")


def _broadcast(
    cells: _Cells,
    values_u: np.ndarray,
    problems_u: np.ndarray,
    values: np.ndarray,
    problems: _Problems,
) -> None:
    """Copy per-distinct-string results to the cells holding those strings."""
    if len(cells.text_pos):
        values[cells.text_pos] = values_u[cells.text_codes]
        problems.broadcast(cells, problems_u)


def _result(cells: _Cells, values: Any, problems: _Problems) -> Normalised:
    v = pd.Series(values, index=cells.index, name=cells.name)
    return Normalised(values=v, problems=problems.series(cells.index, cells.name))


def _no_problems(n: int) -> _Problems:
    return _Problems(n)


def _reasons(bad: np.ndarray, reason: str) -> np.ndarray:
    """Object array: ``reason`` where ``bad``, else ``""``."""
    out = np.full(len(bad), "", dtype=object)
    out[bad] = reason
    return out


# ----------------------------------------------------------------------- blanks, key


def is_blank(s: pd.Series) -> pd.Series:
    """Flag blank cells: missing, empty or whitespace only.

    Parameters
    ----------
    s : pandas.Series
        Raw cells.

    Returns
    -------
    pandas.Series
        ``bool``, same index as ``s``. ``0``, ``False`` and ``"-"`` are not blank.

    Examples
    --------
    >>> import pandas as pd, numpy as np
    >>> is_blank(pd.Series(["x", "", "  ", None, np.nan, 0, "\\u00a0"])).tolist()
    [False, True, True, True, True, False, True]
    """
    if _arrow_text(s):
        import pyarrow.compute as pc

        from noream_eval._arrow import arrow_strings

        arr = pc.replace_substring(arrow_strings(s), "\u00a0", " ")
        blank = pc.fill_null(pc.equal(pc.utf8_trim_whitespace(arr), ""), True)
        return pd.Series(np.asarray(blank, dtype=bool), index=s.index, name=s.name)
    cells = _cells(s)
    return pd.Series(cells.blank, index=cells.index, name=cells.name)


def _arrow_text(s: object) -> bool:
    """A long Series of Arrow-backed text, best handled row by row in Arrow."""
    dtype = getattr(s, "dtype", None)
    return (
        isinstance(dtype, pd.StringDtype)
        and getattr(dtype, "storage", None) == "pyarrow"
        and len(s) > _ROWWISE_MIN  # type: ignore[arg-type]
    )


#: Above this many cells, Arrow text that is not categorical is processed row by
#: row in Arrow (ingest makes categoricals of columns whose values repeat, so what
#: reaches a normaliser as plain text is mostly distinct: IDs, references).
_ROWWISE_MIN = 200_000


def key_one(text: str) -> str:
    """Matching key of one string (see :func:`key`).

    Examples
    --------
    >>> key_one(" S.17 "), key_one("Health & Wellbeing")
    ('s17', 'healthandwellbeing')
    """
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
    folded = folded.replace("&", "and")
    return "".join(ch for ch in folded if ch.isalnum())


def _text_result(cells: _Cells, per_unique: pd.Series) -> pd.Series:
    """A str Series giving each text cell the value of its distinct string (missing elsewhere)."""
    full = np.full(cells.n, -1, dtype=np.intp)
    full[cells.text_pos] = cells.text_codes
    values = pd.Series(per_unique, dtype="str").array.take(full, allow_fill=True)
    return pd.Series(values, index=cells.index, name=cells.name)


def key(s: pd.Series) -> pd.Series:
    """Matching key of each cell: case, spacing and punctuation removed.

    Parameters
    ----------
    s : pandas.Series
        Raw cells (non-text cells are keyed by their text: ``17.0`` -> ``"17"``).

    Returns
    -------
    pandas.Series
        ``str``, same index; missing where the cell is blank.

    Notes
    -----
    The key is the Unicode NFKC form, case-folded (so ``"ß"`` matches ``"ss"``),
    with ``&`` spelled ``and`` and every character that is not a letter or digit
    removed. A cell holding only punctuation (``"-"``) has the key ``""``. Keys are
    computed once per distinct value.

    Examples
    --------
    >>> import pandas as pd
    >>> key(pd.Series([" S.17 ", "Health & Wellbeing", "Self-referral", 17.0, ""])).tolist()
    ['s17', 'healthandwellbeing', 'selfreferral', '17', nan]
    """
    cells = _cells(s, as_text=True)
    keys = [key_one(u) for u in cells.text_uniques.tolist()]
    return _text_result(cells, pd.Series(keys, dtype="str"))


# -------------------------------------------------------------------------- dates


def _bound(value: DateLike | None, what: str) -> pd.Timestamp | None:
    if value is None:
        return None
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError):
        raise ValueError(f"{what} must be a date such as '2017-04-01', got {value!r}") from None
    if pd.isna(stamp):
        return None
    return stamp.tz_localize(None).normalize() if stamp.tzinfo else stamp.normalize()


def _serials_to_dates(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Excel 1900-system serial numbers to dates (datetime64[ns]) and problems."""
    problems = np.full(len(x), REASON_DATE_SERIAL, dtype=object)
    out = np.full(len(x), np.datetime64("NaT"), dtype="datetime64[ns]")
    with np.errstate(invalid="ignore"):
        ok = np.isfinite(x) & (x >= 1) & (x < _SERIAL_MAX + 1)
    whole = np.floor(np.where(ok, x, 1)).astype(np.int64)
    # Serials before 60 count from 1899-12-31; Excel's fictitious 29/02/1900 is 60.
    days = _EXCEL_ORIGIN + np.where(whole < 60, whole + 1, whole).astype("timedelta64[D]")
    ok &= (days >= _SERIAL_DATE_MIN) & (days <= _SERIAL_DATE_MAX)
    leap_bug = ok & (whole == 60)
    ok &= ~leap_bug
    out[ok] = days[ok].astype("datetime64[ns]")
    problems[ok] = ""
    problems[leap_bug] = REASON_DATE_1900_02_29
    return out, problems


def _check_supported(stamps: pd.Series, problems: np.ndarray) -> np.ndarray:
    """datetime64[ns] values (midnight) of parsed stamps; problems updated in place."""
    us = stamps.astype("datetime64[us]").to_numpy()
    outside = (us < _SUPPORTED_MIN.to_datetime64()) | (us > _SUPPORTED_MAX.to_datetime64())
    problems[outside] = REASON_DATE_SUPPORTED
    day = us.astype("datetime64[D]")  # midnight: numpy rounds down, as normalize does
    day[outside] = np.datetime64("NaT")
    return day.astype("datetime64[ns]")


def _could_be_dates(texts: Any) -> tuple[np.ndarray, np.ndarray]:
    """Which texts a numeric date format, and which a month-name format, could read.

    Necessary conditions only: a digit in both cases; for the numeric formats no
    letter and one of their separators; for the month-name formats a letter and,
    at the end, the year: a run of exactly 2 or 4 digits (each of these formats
    ends with its year after a space, a hyphen or a comma). ``texts`` is a
    sequence of strings; Arrow-backed text that is all ASCII is checked by Arrow
    (where a digit is 0-9 and a letter a-z or A-Z).
    """
    from noream_eval._arrow import arrow_strings, is_arrow_text

    if isinstance(texts, pd.Series) and is_arrow_text(texts) and len(texts):
        import pyarrow.compute as pc

        arr = arrow_strings(texts)
        if pc.all(pc.string_is_ascii(arr)).as_py():

            def has(pattern: str) -> np.ndarray:
                found = pc.match_substring_regex(arr, pattern)
                return np.asarray(pc.fill_null(found, False), dtype=bool)

            digit, letter = has("[0-9]"), has("[A-Za-z]")
            year_end = has(r"(^|[^0-9])([0-9]{2}|[0-9]{4})\s*$")
            return digit & ~letter & has("[-/.]"), digit & letter & year_end
    n = len(texts)
    numeric = np.zeros(n, dtype=bool)
    named = np.zeros(n, dtype=bool)
    for i, t in enumerate(texts):
        if not any(ch.isdigit() for ch in t):
            continue
        if any(ch.isalpha() for ch in t):
            named[i] = _YEAR_END.search(t) is not None
        elif "-" in t or "/" in t or "." in t:
            numeric[i] = True
    return numeric, named


#: A run of exactly 2 or 4 digits (any script, as strptime reads them) ending the text.
_YEAR_END = re.compile(r"(?:^|\D)(?:\d\d|\d\d\d\d)\s*$")


def _parse_date_strings(u: pd.Series, dayfirst: bool) -> tuple[np.ndarray, np.ndarray]:
    """Parse distinct date strings; returns datetime64[ns] values and problems."""
    reason = REASON_DATE_DAYFIRST if dayfirst else REASON_DATE_MONTHFIRST
    text = u.str.replace(r"  +", " ", regex=True).str.replace(_TIME_SUFFIX, "", regex=True)
    codes, distinct = pd.factorize(text)
    d = pd.Series(np.asarray(distinct, dtype=object), dtype="str")
    parsed = pd.Series(pd.NaT, index=d.index, dtype="datetime64[us]")
    d_problems = np.full(len(d), reason, dtype=object)

    serial = d.str.fullmatch(_SERIAL_TEXT).to_numpy(dtype=bool, na_value=False)
    if serial.any():
        days, serial_problems = _serials_to_dates(d[serial].astype("float64").to_numpy())
        parsed[serial] = days
        d_problems[serial] = serial_problems
    todo = ~serial
    # Only text a format could read is put through it (the dates found are the same):
    # every format reads a day or a year in digits; the numeric ones read nothing but
    # digits and their separators (- / .), the others a month's name (letters).
    numeric, named = _could_be_dates(d)
    middle = _DAYFIRST_FORMATS if dayfirst else _MONTHFIRST_FORMATS
    for fmt in (*_ISO_FORMATS, *middle, *_TEXT_MONTH_FORMATS):
        if not todo.any():
            break
        can = todo & (named if fmt in _TEXT_MONTH_FORMATS else numeric)
        if not can.any():
            continue
        attempt = pd.to_datetime(d[can], format=fmt, errors="coerce")
        hit = attempt.notna().to_numpy(dtype=bool)
        if hit.any():
            where = np.flatnonzero(can)[hit]
            parsed.iloc[where] = attempt[hit].astype("datetime64[us]").to_numpy()
            d_problems[where] = ""
            todo[where] = False
    values = _check_supported(parsed, d_problems)
    return values[codes], d_problems[codes]


def parse_dates(
    s: pd.Series,
    *,
    dayfirst: bool = True,
    min_date: DateLike | None = None,
    max_date: DateLike | None = None,
) -> Normalised:
    """Parse dates written in the ways UK exports write them.

    Parameters
    ----------
    s : pandas.Series
        Raw cells: text, Excel date cells (``datetime``/``date``), Excel serial
        numbers (as numbers or numeric text) or blanks.
    dayfirst : bool, default True
        Read ``03/04/2021`` as 3 April (UK). ``False`` reads it as 4 March.
    min_date, max_date : str, date or Timestamp, optional
        Earliest and latest acceptable dates (inclusive); dates outside are problems.

    Returns
    -------
    Normalised
        ``values`` is ``datetime64[ns]`` at midnight (the time of day is dropped),
        ``NaT`` where blank or a problem.

    Notes
    -----
    Accepted text, tried in this order on each distinct string:

    * Excel serial numbers (``44289``, ``44289.5``);
    * ISO ``2021-04-03`` and ``2021/04/03``;
    * day-first ``03/04/2021``, ``3/4/2021``, ``03-04-2021``, ``03.04.2021`` and the
      same with two-digit years (``yy <= 68`` is ``20yy``, else ``19yy``), or their
      month-first versions when ``dayfirst=False``;
    * month names: ``3 Apr 2021``, ``3 April 2021``, ``03-Apr-21``, ``April 3, 2021``.

    Any of these may carry a time (``14:22``, ``14:22:10``, ``T14:22:10``, ``2:22 pm``,
    ``Z`` or ``+01:00``), which is ignored. Impossible dates (``31/02/2021``) are
    problems, not rolled over.

    Excel serials use the 1900 date system: serial 1 is 1900-01-01, serials from 61
    count from 1899-12-30 (Excel treats 1900 as a leap year; serial 60, its
    29/02/1900, is a problem). A number is read as a serial only when it is between
    1 and 2958465 *and* the date falls in 1900-2100, so counts and amounts are not
    silently read as dates - but small whole numbers (e.g. ``2021``) *are* valid
    serials (1905-07-13); use ``min_date`` to rule them out.

    Examples
    --------
    >>> import pandas as pd, datetime
    >>> raw = pd.Series(["03/04/2021", "2021-04-03T14:22:10", "3 Apr 21", 44289,
    ...                  datetime.date(2021, 4, 3), "", "31/02/2021"])
    >>> out = parse_dates(raw)
    >>> out.values.dt.strftime("%Y-%m-%d").tolist()
    ['2021-04-03', '2021-04-03', '2021-04-03', '2021-04-03', '2021-04-03', nan, nan]
    >>> out.problems.tolist()[-1] == REASON_DATE_DAYFIRST
    True
    >>> REASON_DATE_DAYFIRST  # doctest: +ELLIPSIS
    'not a recognisable date (expected day-first dd/mm/yyyy, ISO yyyy-mm-dd or an Excel serial...'
    >>> parse_dates(pd.Series(["01/01/2016"]), min_date="2017-04-01").problems.tolist()
    ['date before 2017-04-01 (the earliest date accepted here)']
    """
    lo, hi = _bound(min_date, "min_date"), _bound(max_date, "max_date")
    cells = _cells(s)
    values = np.full(cells.n, np.datetime64("NaT"), dtype="datetime64[ns]")
    problems = _no_problems(cells.n)
    if len(cells.text_pos):
        values_u, problems_u = _parse_date_strings(cells.text_uniques, dayfirst)
        _broadcast(cells, values_u, problems_u, values, problems)
    if len(cells.num_pos):
        values[cells.num_pos], problems[cells.num_pos] = _serials_to_dates(cells.num)
    if len(cells.date_pos):
        date_problems = np.full(len(cells.date_pos), "", dtype=object)
        stamps = pd.Series(_to_datetime_objects(cells.dates))
        date_problems[stamps.isna().to_numpy()] = REASON_DATE_SUPPORTED
        values[cells.date_pos] = _check_supported(stamps, date_problems)
        problems[cells.date_pos] = date_problems
    problems[cells.other_pos] = REASON_DATE_DAYFIRST if dayfirst else REASON_DATE_MONTHFIRST
    if lo is not None:
        before = values < lo.to_datetime64()
        problems[before] = f"date before {lo:%Y-%m-%d} (the earliest date accepted here)"
        values[before] = np.datetime64("NaT")
    if hi is not None:
        after = values > hi.to_datetime64()
        problems[after] = f"date after {hi:%Y-%m-%d} (the latest date accepted here)"
        values[after] = np.datetime64("NaT")
    return _result(cells, values, problems)


# --------------------------------------------------------------------------- money


def _parse_money_strings(u: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    parts = _extract(u, _MONEY_RE)
    present = parts.notna() & parts.ne("")
    matched = present["num"].to_numpy(dtype=bool)
    signs = present[["open", "m1", "m2", "m3"]].sum(axis=1).to_numpy()
    ok = (
        matched
        & (present["open"] == present["close"]).to_numpy(dtype=bool)
        & ~(present["c1"] & present["c2"]).to_numpy(dtype=bool)
        & (signs <= 1)
    )
    values = np.full(len(u), np.nan)
    if ok.any():
        amount = parts.loc[ok, "num"].str.replace(",", "", regex=False).astype("float64")
        values[ok] = np.where(signs[ok] == 1, -amount.to_numpy(), amount.to_numpy())
    return values, _reasons(~ok, REASON_MONEY)


def parse_money(
    s: pd.Series, *, min_value: float | None = None, max_value: float | None = None
) -> Normalised:
    """Parse amounts of money in pounds.

    Parameters
    ----------
    s : pandas.Series
        Raw cells: text such as ``"£1,234.50"`` or numbers.
    min_value, max_value : float, optional
        Inclusive bounds in pounds; amounts outside are problems stating the range.

    Returns
    -------
    Normalised
        ``values`` is ``float64`` pounds (refunds negative), ``NaN`` where blank or a
        problem.

    Notes
    -----
    Text may carry ``£`` or ``GBP`` and one sign: a leading or trailing minus
    (``-£120``, ``£-120``, ``120-``) or accounting parentheses (``(120.00)``).
    Thousands separators must be commas in groups of three, so a decimal comma
    (``12,50``) is a problem rather than £1,250. ``N/A``, ``-`` on its own, two
    signs or two decimal points are problems. Numbers pass through; infinities and
    ``True``/``False`` cells are problems.

    Examples
    --------
    >>> import pandas as pd
    >>> raw = pd.Series(["£1,234.50", "1234.5", "£ 95", "(120.00)", "-£120.00", 17, "1.2.3"])
    >>> parse_money(raw).values.tolist()
    [1234.5, 1234.5, 95.0, -120.0, -120.0, 17.0, nan]
    """
    cells = _cells(s)
    values = np.full(cells.n, np.nan)
    problems = _no_problems(cells.n)
    if len(cells.text_pos):
        values_u, problems_u = _parse_money_strings(cells.text_uniques)
        _broadcast(cells, values_u, problems_u, values, problems)
    if len(cells.num_pos):
        finite = np.isfinite(cells.num)
        values[cells.num_pos] = np.where(finite, cells.num, np.nan)
        problems[cells.num_pos[~finite]] = REASON_MONEY
    problems[cells.date_pos] = REASON_MONEY
    problems[cells.other_pos] = REASON_MONEY
    if min_value is not None or max_value is not None:
        lo = -np.inf if min_value is None else min_value
        hi = np.inf if max_value is None else max_value
        with np.errstate(invalid="ignore"):
            out = (values < lo) | (values > hi)
        if out.any():
            problems[out] = f"amount outside the allowed range £{lo:,.0f} to £{hi:,.0f}"
            values[out] = np.nan
    return _result(cells, values, problems)


# ------------------------------------------------------------------------ integers


def _whole_numbers(cells: _Cells, reason: str, too_large: str) -> tuple[np.ndarray, np.ndarray]:
    """Whole numbers of text and number cells: values (float64) and problems."""
    values = np.full(cells.n, np.nan)
    problems = _no_problems(cells.n)
    if len(cells.text_pos):
        u = cells.text_uniques
        parts = _extract(u, _INT_RE)
        ok = parts["digits"].notna().to_numpy(dtype=bool)
        values_u = np.full(len(u), np.nan)
        problems_u = _reasons(~ok, reason)
        if ok.any():
            digits = parts.loc[ok, "digits"].str.lstrip("0")
            big = (digits.str.len() > _INT_MAX_DIGITS).to_numpy(dtype=bool)
            number = digits.where(~big & digits.ne(""), "0").astype("float64").to_numpy()
            negative = parts.loc[ok, "sign"].isin(["-", "−"]).to_numpy(dtype=bool)
            number = np.where(negative, -number, number)
            number[big] = np.nan
            where = np.flatnonzero(ok)
            values_u[where] = number
            problems_u[where[big]] = too_large
        _broadcast(cells, values_u, problems_u, values, problems)
    if len(cells.num_pos):
        x = cells.num
        with np.errstate(invalid="ignore"):
            whole = np.isfinite(x) & (x == np.floor(x))
            small = np.abs(x) < 10.0**_INT_MAX_DIGITS
        values[cells.num_pos] = np.where(whole & small, x, np.nan)
        problems[cells.num_pos[~whole]] = reason
        problems[cells.num_pos[whole & ~small]] = too_large
    problems[cells.date_pos] = reason
    problems[cells.other_pos] = reason
    return values, problems


def _range_reason(what: str, lo: int | None, hi: int | None) -> tuple[str, str]:
    if lo is not None and hi is not None:
        text = f"{what} outside the allowed range {lo} to {hi}"
        return text, text
    return f"{what} below the minimum allowed ({lo})", f"{what} above the maximum allowed ({hi})"


def parse_int(
    s: pd.Series, *, min_value: int | None = None, max_value: int | None = None
) -> Normalised:
    """Parse whole numbers (counts, ages, scores).

    Parameters
    ----------
    s : pandas.Series
        Raw cells: text such as ``"3"`` or ``"3.0"``, or numbers.
    min_value, max_value : int, optional
        Inclusive bounds; values outside are problems stating the allowed range.

    Returns
    -------
    Normalised
        ``values`` is ``Int64``, ``<NA>`` where blank or a problem.

    Notes
    -----
    ``"3.5"``, ``"three"``, ``"1,234"`` and numbers beyond 15 digits are problems.

    Examples
    --------
    >>> import pandas as pd
    >>> out = parse_int(pd.Series(["3", "3.0", 2.0, "3.5", "", "12"]), min_value=0, max_value=10)
    >>> out.values.tolist()
    [3, 3, 2, <NA>, <NA>, <NA>]
    >>> out.problems.tolist()[3:]
    ['not a whole number', '', 'number outside the allowed range 0 to 10']
    """
    cells = _cells(s)
    values, problems = _whole_numbers(cells, REASON_INT, REASON_INT_TOO_LARGE)
    low_reason, high_reason = _range_reason("number", min_value, max_value)
    with np.errstate(invalid="ignore"):
        if min_value is not None:
            low = values < min_value
            problems[low] = low_reason
            values[low] = np.nan
        if max_value is not None:
            high = values > max_value
            problems[high] = high_reason
            values[high] = np.nan
    return _result(cells, pd.array(values, dtype="Int64"), problems)


# -------------------------------------------------------------------------- codes


def _code_table(
    mapping: Mapping[str, str], levels: Sequence[str], unknown: str | None
) -> dict[str, str]:
    """Key -> canonical level. Explicit mapping entries win over level names."""
    allowed = list(levels) + ([unknown] if unknown is not None and unknown not in levels else [])
    allowed_set = set(allowed)
    table: dict[str, str] = {}
    for level in allowed:
        table.setdefault(key_one(str(level)), level)
    origin: dict[str, str] = {}
    for raw, target in mapping.items():
        if target not in allowed_set:
            raise ValueError(
                f"value map entry {raw!r} = {target!r}: {target!r} is not a category of this "
                f"column; use one of {', '.join(repr(a) for a in allowed)}."
            )
        k = key_one(str(raw))
        if k in origin and table[k] != target:
            raise ValueError(
                f"value map entries {origin[k]!r} and {raw!r} look the same once case, spaces "
                f"and punctuation are ignored but map to {table[k]!r} and {target!r}."
            )
        origin[k] = str(raw)
        table[k] = target
    return table


def map_codes(
    s: pd.Series,
    mapping: Mapping[str, str],
    levels: Sequence[str],
    *,
    unknown: str = "unknown",
) -> Normalised:
    """Map raw codes to canonical categories through a value map.

    Parameters
    ----------
    s : pandas.Series
        Raw cells.
    mapping : mapping of str to str
        Value map ``raw code -> canonical level`` from the source profile.
    levels : sequence of str
        Canonical levels of the column.
    unknown : str, default "unknown"
        Name of the extra "unknown" category: a valid mapping target, and a raw
        value equal to it (by key) maps to it, even when not listed in ``levels``.

    Returns
    -------
    Normalised
        ``values`` is ``str`` (canonical levels), missing where blank or a problem.

    Raises
    ------
    ValueError
        A mapping target is not in ``levels`` (nor ``unknown``), or two mapping
        keys with the same :func:`key` map to different levels.

    Notes
    -----
    A cell matches a mapping key or a level name when their :func:`key` values
    are equal (``"S.17 "`` matches ``"S17"``). Explicit mapping entries take
    precedence over level names. An unmatched non-blank cell gets the problem
    ``"code not in the value map for this column"`` and a missing value; the
    caller decides whether it becomes ``unknown``. Work is done once per distinct
    value.

    Examples
    --------
    >>> import pandas as pd
    >>> levels = ["s17", "noream_grant"]
    >>> out = map_codes(pd.Series(["S17", "section 17", "NOREAM Grant", "", "Other"]),
    ...                 {"Section 17": "s17", "NOREAM grant": "noream_grant"}, levels)
    >>> out.values.tolist()
    ['s17', 's17', 'noream_grant', nan, nan]
    >>> out.problems.tolist()[-1]
    'code not in the value map for this column'
    """
    table = _code_table(mapping, levels, unknown)
    cells = _cells(s, as_text=True)
    problems = _no_problems(cells.n)
    keys = cells.text_uniques.tolist()
    values_u = np.asarray([table.get(key_one(k)) for k in keys], dtype=object)
    if len(cells.text_pos):
        problems.broadcast(cells, _reasons(pd.isna(values_u), REASON_CODE))
    # each cell takes its distinct string's level (an Arrow take, not a Python object each)
    values = _text_result(cells, pd.Series(values_u, dtype="str"))
    return Normalised(values=values, problems=problems.series(cells.index, cells.name))


def map_code_lists(
    s: pd.Series,
    mapping: Mapping[str, str],
    levels: Sequence[str],
    *,
    sep: str = ";",
    unknown: str = "unknown",
) -> Normalised:
    """Map cells holding several codes (``"CSC; Housing; GP"``) to lists of levels.

    Parameters
    ----------
    s : pandas.Series
        Raw cells, elements separated by ``sep``.
    mapping, levels, unknown
        As for :func:`map_codes`.
    sep : str, default ";"
        Element separator (literal, not a regular expression).

    Returns
    -------
    Normalised
        ``values`` holds a Python ``list`` of canonical levels per cell
        (deduplicated, in order of first appearance); ``[]`` for a blank cell.
        Unrecognised elements are dropped and the problem says how many.

    Examples
    --------
    >>> import pandas as pd
    >>> agencies = {"CSC": "childrens_social_care", "GP": "health", "NHS": "health"}
    >>> out = map_code_lists(pd.Series(["CSC; GP ;NHS", "", "GP; Police; ??"]),
    ...                      agencies, ["childrens_social_care", "health", "police"])
    >>> out.values.tolist()
    [['childrens_social_care', 'health'], [], ['health', 'police']]
    >>> out.problems.tolist()
    ['', '', '1 of 3 items not in the value map for this column (left out)']
    """
    if not sep:
        raise ValueError("sep must be a non-empty string")
    table = _code_table(mapping, levels, unknown)
    cells = _cells(s, as_text=True)

    def one(text: str) -> tuple[list[str], str]:
        items = [item for item in text.split(sep) if item.strip()]
        found = [table.get(key_one(item)) for item in items]
        missing = sum(f is None for f in found)
        kept = list(dict.fromkeys(f for f in found if f is not None))
        if not missing:
            return kept, ""
        return (
            kept,
            f"{missing} of {len(items)} items not in the value map for this column (left out)",
        )

    # Every cell gets its own list object, so a caller may modify one safely.
    values: list[list[str]] = [[] for _ in range(cells.n)]
    problems = _no_problems(cells.n)
    if len(cells.text_pos):
        results = [one(u) for u in cells.text_uniques.tolist()]
        problems_u = np.asarray([r[1] for r in results], dtype=object)
        for pos, code in zip(cells.text_pos.tolist(), cells.text_codes.tolist(), strict=True):
            values[pos] = list(results[code][0])
        problems.broadcast(cells, problems_u)
    return _result(cells, pd.Series(values, dtype=object).to_numpy(), problems)


# -------------------------------------------------------------------------- Likert


def parse_likert(
    s: pd.Series, anchors: Mapping[str, int], *, min_value: int, max_value: int
) -> Normalised:
    """Score questionnaire answers given as labels, numbers or both.

    Parameters
    ----------
    s : pandas.Series
        Raw answers: ``"Often"``, ``"often "``, ``"4"``, ``4.0``, ``"4 - Often"``,
        ``"Often (4)"``.
    anchors : mapping of str to int
        Label -> score of the instrument (``{"None of the time": 1, ...}``).
    min_value, max_value : int
        The scale; numbers outside it are problems.

    Returns
    -------
    Normalised
        ``values`` is ``Int64``, ``<NA>`` where blank or a problem.

    Raises
    ------
    ValueError
        An anchor's score is outside ``min_value..max_value``, or two labels with the
        same :func:`key` have different scores.

    Notes
    -----
    Labels match by :func:`key` (case, spacing and punctuation ignored). In a
    combined answer (``"4 - Often"``) the number is the score; it is a problem
    only if the label is a known anchor with a different score (an unrecognised
    label next to a valid number is accepted, since survey tools reword labels).
    Distinct answers are scored once each.

    Examples
    --------
    >>> import pandas as pd
    >>> anchors = {"None of the time": 1, "Rarely": 2, "Some of the time": 3,
    ...            "Often": 4, "All of the time": 5}
    >>> raw = pd.Series(["often", " RARELY ", "4 - Often", "Some of the time (3)", 5.0, "7", ""])
    >>> out = parse_likert(raw, anchors, min_value=1, max_value=5)
    >>> out.values.tolist()
    [4, 2, 4, 3, 5, <NA>, <NA>]
    >>> out.problems.tolist()[5]
    'score outside the scale 1 to 5'
    """
    scale_reason = f"score outside the scale {min_value} to {max_value}"
    table: dict[str, int] = {}
    for label, score in anchors.items():
        if isinstance(score, bool) or not isinstance(score, numbers.Integral):
            raise ValueError(f"anchor {label!r} must have a whole-number score, got {score!r}")
        if not min_value <= score <= max_value:
            raise ValueError(
                f"anchor {label!r} has score {score}, outside the scale {min_value} to {max_value}"
            )
        k = key_one(str(label))
        if k in table and table[k] != score:
            raise ValueError(
                f"anchor labels that differ only in case or punctuation score "
                f"differently ({label!r})"
            )
        table[k] = int(score)

    number_first = re.compile(_LIKERT_NUMBER_FIRST)
    number_last = re.compile(_LIKERT_NUMBER_LAST)
    bare = re.compile(r"^[0-9]+(?:\.0*)?$")

    def score_of(number: int, label: str | None) -> tuple[float, str]:
        if not min_value <= number <= max_value:
            return np.nan, scale_reason
        if label is not None:
            known = table.get(key_one(label))
            if known is not None and known != number:
                return np.nan, REASON_LIKERT_DISAGREE
        return float(number), ""

    def one(text: str) -> tuple[float, str]:
        known = table.get(key_one(text))
        if known is not None:
            return float(known), ""
        if bare.match(text):
            return score_of(int(float(text)), None)
        if m := number_first.match(text):
            return score_of(int(m["n"]), m["label"])
        if m := number_last.match(text):
            return score_of(int(m["n1"] or m["n2"]), m["label"])
        try:
            number = float(text.replace("−", "-"))
        except ValueError:
            return np.nan, REASON_LIKERT_LABEL
        if not np.isfinite(number):
            return np.nan, REASON_LIKERT_LABEL
        if number != np.floor(number):
            return np.nan, REASON_LIKERT_WHOLE
        return np.nan, scale_reason

    cells = _cells(s)
    values = np.full(cells.n, np.nan)
    problems = _no_problems(cells.n)
    if len(cells.text_pos):
        results = [one(u) for u in cells.text_uniques.tolist()]
        values_u = np.asarray([r[0] for r in results], dtype=np.float64)
        problems_u = np.asarray([r[1] for r in results], dtype=object)
        _broadcast(cells, values_u, problems_u, values, problems)
    if len(cells.num_pos):
        x = cells.num
        with np.errstate(invalid="ignore"):
            whole = np.isfinite(x) & (x == np.floor(x))
            inside = whole & (x >= min_value) & (x <= max_value)
        values[cells.num_pos] = np.where(inside, x, np.nan)
        problems[cells.num_pos[~whole]] = REASON_LIKERT_WHOLE
        problems[cells.num_pos[whole & ~inside]] = scale_reason
    problems[cells.date_pos] = REASON_LIKERT_LABEL
    problems[cells.other_pos] = REASON_LIKERT_LABEL
    return _result(cells, pd.array(values, dtype="Int64"), problems)


# ----------------------------------------------------------------------- references


def _drop_non_alnum(u: pd.Series) -> pd.Series:
    if getattr(u.dtype, "storage", None) == "pyarrow":
        return u.str.replace(r"[^\p{L}\p{N}]+", "", regex=True)
    return u.str.replace(r"[\W_]+", "", regex=True)


def _normalise_reference_rows(s: pd.Series) -> pd.Series:
    u = _drop_non_alnum(s.str.upper())
    u = u.str.replace(r"(^|[^0-9])0+([0-9]+)$", r"\1\2", regex=True)
    return u.where(u.ne("")).astype("str")


def _in_threads(fn: Any, s: pd.Series) -> pd.Series:
    """``fn(s)`` computed on slices of ``s`` in one thread per core.

    For Arrow compute functions, which release the GIL while they work; the
    result is the same as ``fn(s)`` for any function that works row by row.
    """
    import concurrent.futures as cf
    import os

    workers = min(os.cpu_count() or 1, 8)
    if workers < 2 or len(s) < 2 * _ROWWISE_MIN:
        return fn(s)
    bounds = np.linspace(0, len(s), workers + 1).astype(int)
    parts = [s.iloc[a:b] for a, b in itertools.pairwise(bounds)]
    with cf.ThreadPoolExecutor(workers) as pool:
        return pd.concat(list(pool.map(fn, parts)))


def normalise_reference(s: pd.Series) -> pd.Series:
    """Canonical form of a family or case reference, for record linkage.

    Parameters
    ----------
    s : pandas.Series
        Raw references (numbers are read as typed: ``123.0`` -> ``"123"``).

    Returns
    -------
    pandas.Series
        ``str``, same index; missing where the cell is blank or holds no letter or
        digit.

    Notes
    -----
    Upper-cased, every character that is not a letter or digit removed, then
    leading zeros removed from the trailing run of digits (``"NRPF-00123"`` ->
    ``"NRPF123"``; a run of zeros keeps one: ``"000"`` -> ``"0"``). Vectorised over
    distinct values.

    Examples
    --------
    >>> import pandas as pd
    >>> raw = pd.Series(["nrpf 00123", "NRPF-00123", "00042", "0", "AB-CD", ""])
    >>> normalise_reference(raw).tolist()
    ['NRPF123', 'NRPF123', '42', '0', 'ABCD', nan]
    """
    if _arrow_text(s):
        return _in_threads(_normalise_reference_rows, s)
    cells = _cells(s, as_text=True)
    u = _drop_non_alnum(cells.text_uniques.str.upper())
    u = u.str.replace(r"(^|[^0-9])0+([0-9]+)$", r"\1\2", regex=True)
    return _text_result(cells, u.where(u.ne("")))
