"""One scrubber for every string that leaves ingest.

Raw local-authority exports hold direct identifiers - names, dates of birth, phone
numbers, National Insurance numbers, Home Office references, postcodes, e-mail
addresses, case references - in their declared identifier columns, and also typed
where they do not belong: a name in a code column, a phone number in a free-text
title. Anything shown from a raw cell (a rejected value, a label in a report) goes
through :class:`Scrubber`, which removes two kinds of identifier:

* **patterns** (:data:`IDENTIFIER_RE`): anything shaped like a phone number, NI
  number, Home Office reference, postcode, e-mail address, NHS number, a date
  written after a birth cue (``DOB``, ``born``...) or a reference written after a
  reference cue (``Port ref``, ``CID``, ``Ref:``...), whoever it belongs to;
* **registered values** (:meth:`Scrubber.add`): every value of the declared
  identifier columns of the run, so that a name is found wherever it is typed,
  with any case, accents, spacing or punctuation.

Sources for the formats (checked when this module was written):

* NI numbers: HMRC National Insurance Manual NIM39110, "What a NINO looks like"
  (https://www.gov.uk/hmrc-internal-manuals/national-insurance-manual/nim39110):
  two prefix letters, six digits, suffix A-D, usually written ``QQ 12 34 56 A``.
  Any two letters are accepted here: HMRC's own example prefix ``QQ`` and the
  administrative prefixes (``OO``, ``CR``, ``FY``, ``MW``, ``NC``, ``PP``, ``PY``)
  are not valid prefixes but are still personal references.
* Postcodes: BS 7666 ``PostCodeType`` (The National Archives copy of the Cabinet
  Office schema, http://webarchive.nationalarchives.gov.uk/+/http://www.cabinetoffice.gov.uk/media/291370/bs7666-v2-0-xsd-PostCodeType.htm):
  outward code ``A9``, ``A99``, ``AA9``, ``AA99``, ``A9A``, ``AA9A``; inward code a
  digit and two letters other than C, I, K, M, O, V; and ``GIR 0AA``.
* Home Office references: a letter (the initial of the surname) and seven digits,
  ``X1234567``, sometimes with ``/n`` for a family member; Global Web Form numbers
  ``GWF`` and nine digits; and Unique Application Numbers, 16 digits written
  ``1234-5678-9012-3456`` on EU Settlement Scheme certificates of application
  (GOV.UK visa guidance: "your application number is called a Global Web Form (GWF)
  or a Unique Application Number (UAN)"). Port and CID references have no
  published format, so they are caught by their cue (``Port ref``, ``CID``...)
  followed by any token containing a digit.
* Phone numbers: UK numbers have 10 or 11 digits with the trunk ``0`` (Ofcom's
  National Telephone Numbering Plan; the drama ranges ``07700 900xxx`` and
  ``020 7946 0xxx`` used by the synthetic sample are from Ofcom's numbers for TV and
  radio drama); international numbers have at most 15 digits after the ``+`` or
  ``00`` prefix (ITU-T E.164).
* NHS numbers: ten digits, written ``943 476 5919`` (NHS Data Dictionary).

Examples
--------
>>> scrub_patterns("Call 07700 900123 or e-mail jo@example.org")
'Call [redacted] or e-mail [redacted]'
>>> s = Scrubber()
>>> s.add(pd.Series(["José María García-López", "Kofi Mensah"]))
>>> s.scrub("Voucher for GARCIA, paid at Mensah's")
"Voucher for [redacted], paid at [redacted]'s"
>>> s.scrub("Section 17 - Walk-in")
'Section 17 - Walk-in'
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import numbers
import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from noream_eval._arrow import hash_strings as _hash
from noream_eval._arrow import large_strings as _large

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = ["IDENTIFIER_RE", "REDACTED", "Scrubber", "scrub_patterns"]

#: What a redacted value, or a redacted part of a value, is shown as.
REDACTED = "[redacted]"

# ----------------------------------------------------------------------- patterns

_MONTHS = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_YEAR = r"(?:\d{4}|\d{2})(?!\d)"
# A calendar date as people type it (used after a birth cue and to find dates in text).
_DATE_TEXT = rf"""
    (?:
        \d{{1,2}}[/.\-]\d{{1,2}}[/.\-]{_YEAR}                          # 03/04/1985, 3-4-85
      | \d{{1,2}}[ ]\d{{1,2}}[ ]\d{{4}}(?!\d)                          # 03 04 1985
      | \d{{4}}[/.\-]\d{{1,2}}[/.\-]\d{{1,2}}(?!\d)                    # 1985-04-03
      | \d{{1,2}}(?:st|nd|rd|th)?(?:[ ]+of)?[ /.\-]*{_MONTHS}\b\.?[ /.,\-]*{_YEAR}
                                                                       # 3rd March 1985, 03-Mar-85
      | {_MONTHS}\b\.?[ ]+\d{{1,2}}(?:st|nd|rd|th)?,?[ ]+{_YEAR}         # March 3, 1985
    )
"""

_IDENTIFIER_PATTERN = rf"""
    # a date of birth after a cue: only the date is redacted
    (?P<dob_cue>\b(?:d\.?o\.?b\b\.?|date[ ]+of[ ]+birth|born(?:[ ]+on)?|b\.)[ \t]*[:\-]?[ \t]*)
    (?P<dob>{_DATE_TEXT})
    # a reference after a cue (port and CID references have no published format):
    # only the reference, a token of 3+ characters with a digit, is redacted
  | (?P<ref_cue>\b(?:
        (?:port|cid|h\.?o\.?|home[ ]+office|ukvi|case|client|person|family)[ ]*
            (?:ref(?:erence)?|no|num(?:ber)?|id)\b
      | port|cid|uan|brp|ref(?:erence)?(?:[ ]*(?:no|num(?:ber)?))?
    )\b\.?[ \t]*[:#=\-]?[ \t]*)
    (?P<ref>(?=[a-z0-9/\-]{{3}})[a-z0-9][a-z0-9/\-]*?\d[a-z0-9/\-]*\b)
    # e-mail addresses
  | [\w.+'\-]+@[\w\-]+(?:\.[\w\-]+)+
    # Unique Application Numbers: 16 digits in fours
  | (?<!\d)\d{{4}}(?:[ \-]?\d{{4}}){{3}}(?!\d)
    # Global Web Form numbers
  | \bGWF(?:[ \-]?\d){{8,11}}(?!\d)
    # NI numbers, spaced or not, with or without the suffix letter
  | \b[a-z]{{2}}[ \-]?
    (?:\d{{6}}|\d{{2}}(?P<ni_sep>[ \-])\d{{2}}(?P=ni_sep)\d{{2}})
    (?:[ \-]?[a-d])?\b
    # Home Office references: a letter, 7 digits, optional /n; BRP numbers: two letters, 7 digits
  | \b[a-z]{{1,2}}\d{{7}}(?:/\d{{1,3}})?\b
    # full postcodes, any spacing
  | \b(?:gir[ ]*0aa|[a-z]{{1,2}}\d[a-z\d]?[ \t]*\d[abd-hjlnp-uw-z]{{2}})\b
    # NHS numbers (also ten-digit numbers such as a phone number that lost its 0)
  | (?<!\d)\d{{3}}[ \-]?\d{{3}}[ \-]?\d{{4}}(?!\d)(?![\-/.]\d)  # (not the year of a date)
    # phone numbers: international (+ or 00, 7-15 digits) and UK national (10-11 digits)
  | (?<![\d+])(?<!\d[.,])(?:
        (?:\+[ ]?|00)[1-9](?:[ \t.\-()]{{0,3}}\d){{6,14}}
      | \(?0[1-9]\d(?:[ \t.\-()]{{0,3}}\d){{7,8}}  # a first group of 3+ digits: not a date
    )(?!\d)
"""

#: Direct identifiers recognisable by their shape: phone numbers, NI numbers, Home
#: Office references (``X1234567``, ``GWF`` numbers, UANs, cued port/CID references),
#: NHS numbers, full postcodes, e-mail addresses and dates of birth after a cue.
#: Groups ``dob`` and ``ref`` hold the part to redact when a cue is matched.
IDENTIFIER_RE: re.Pattern[str] = re.compile(_IDENTIFIER_PATTERN, re.VERBOSE | re.IGNORECASE)

# Date-like tokens, overlapping ones included ("00 January 10, 2000" holds two).
_DATE_TOKEN_RE = re.compile(rf"(?<!\w)(?=({_DATE_TEXT}|\d{{8}}(?!\d)))", re.VERBOSE | re.IGNORECASE)
_MONTH_RE = re.compile(_MONTHS, re.IGNORECASE)
_MONTH_NUMBER = {
    m: i for i, m in enumerate(("jan feb mar apr may jun jul aug sep oct nov dec").split(), 1)
}
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
_ALNUM_RE = re.compile(r"[^\W_]")
_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()


def _pattern_spans(text: str) -> list[tuple[int, int]]:
    """Spans of every pattern identifier, overlapping ones included: the search goes
    on from just after the start of each match, so a match (``Ref 07700``) cannot
    hide a longer identifier that starts inside it (``07700 900123``)."""
    spans = []
    pos = 0
    while (m := IDENTIFIER_RE.search(text, pos)) is not None:
        if m.group("dob") is not None:
            spans.append(m.span("dob"))
        elif m.group("ref") is not None:
            spans.append(m.span("ref"))
        else:
            spans.append(m.span())
        pos = m.start() + 1
    return spans


def _merge(text: str, spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted disjoint spans; spans separated only by spaces or punctuation are joined."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and (start <= merged[-1][1] or not _ALNUM_RE.search(text, merged[-1][1], start)):
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _render(text: str, spans: list[tuple[int, int]]) -> str:
    out, last = [], 0
    for start, end in spans:
        out.append(text[last:start])
        out.append(REDACTED)
        last = end
    out.append(text[last:])
    return "".join(out)


def redact_dates(text: str) -> str:
    """Replace every date-like token in ``text`` with ``[redacted]``.

    For values shown from columns that should not hold dates (codes, amounts,
    references): a date there may be a date of birth typed in the wrong column,
    registered nowhere.

    Examples
    --------
    >>> redact_dates("Cohort 08/09/1998 given"), redact_dates("Section 17")
    ('Cohort [redacted] given', 'Section 17')
    """
    spans = [(m.start(1), m.end(1)) for m in _DATE_TOKEN_RE.finditer(text)]
    return _render(text, _merge(text, spans)) if spans else text


def scrub_patterns(text: str) -> str:
    """Redact everything in ``text`` that :data:`IDENTIFIER_RE` recognises.

    Parameters
    ----------
    text : str

    Returns
    -------
    str
        ``text`` with each identifier (adjacent ones merged) replaced by ``[redacted]``;
        the cue of a date of birth or reference (``DOB:``, ``Port ref``) is kept.

    Examples
    --------
    >>> scrub_patterns("DOB: 03/04/1985, NI QQ123456A, lives E8 3DL")
    'DOB: [redacted], NI [redacted], lives [redacted]'
    >>> scrub_patterns("Section 17 support, £1,234.50 on 2021-03-04")
    'Section 17 support, £1,234.50 on 2021-03-04'
    """
    return _render(text, _merge(text, _pattern_spans(text)))


# ------------------------------------------------------------ folding and hashing

# Letters that Unicode does not decompose into a base letter and a mark.
_TRANSLIT = (
    ("ł", "l"),
    ("đ", "d"),
    ("ð", "d"),
    ("ø", "o"),
    ("æ", "ae"),
    ("œ", "oe"),
    ("ß", "ss"),
    ("þ", "th"),
    ("ı", "i"),
    ("ħ", "h"),
    ("ŧ", "t"),
    ("ŀ", "l"),
    ("ŋ", "n"),
)
_NOT_ALNUM = r"[^\p{L}\p{N}]+"


def _fold(arr: pa.Array) -> pa.Array:
    """Case- and accent-free forms: NFKD, combining marks dropped, lower case."""
    import pyarrow.compute as pc

    arr = _large(arr)
    lower = pc.ascii_lower(arr)
    ascii_ = pc.string_is_ascii(arr)
    if len(arr) == 0 or pc.all(ascii_).as_py():
        return lower
    other = pc.invert(ascii_)
    rest = pc.utf8_normalize(arr.filter(other), "NFKD")
    rest = pc.utf8_lower(pc.replace_substring_regex(rest, r"\p{M}+", ""))
    special = pc.match_substring_regex(rest, f"[{''.join(src for src, _ in _TRANSLIT)}]")
    if pc.any(special).as_py():
        sub = rest.filter(special)
        for src, dst in _TRANSLIT:
            sub = pc.replace_substring(sub, src, dst)
        rest = pc.replace_with_mask(rest, special, sub)
    return pc.replace_with_mask(lower, other, rest)


def _empty() -> pa.Scalar:
    import pyarrow as pa

    return pa.scalar("", pa.large_string())


def _unique(a: np.ndarray) -> np.ndarray:
    """Sorted distinct values (faster than ``np.unique`` for large integer arrays)."""
    if len(a) < 2:
        return np.sort(a)
    a = np.sort(a)
    keep = np.empty(len(a), dtype=bool)
    keep[0] = True
    np.not_equal(a[1:], a[:-1], out=keep[1:])
    return a[keep]


def _member(sorted_keys: np.ndarray, queries: np.ndarray) -> np.ndarray:
    if not len(sorted_keys) or not len(queries):
        return np.zeros(len(queries), dtype=bool)
    pos = np.searchsorted(sorted_keys, queries)
    return sorted_keys[np.minimum(pos, len(sorted_keys) - 1)] == queries


# --------------------------------------------------------------- reading values


def _days(values: Any) -> np.ndarray:
    """Days since 1970-01-01 of date-like values (NaT and unreadable values dropped)."""
    try:
        stamps = pd.to_datetime(pd.Index(values), errors="coerce")
        if getattr(stamps, "tz", None) is not None:
            stamps = stamps.tz_localize(None)
    except (TypeError, ValueError, OverflowError):
        days = [_date_of(v) for v in values]
        return np.array([d.toordinal() - _EPOCH_ORDINAL for d in days if d], dtype=np.int64)
    stamps = stamps[stamps.notna()]
    return np.asarray(stamps.to_numpy().astype("datetime64[D]").astype(np.int64))


def _number_text(value: Any) -> str | None:
    """A number as a person typed it (``17.0`` -> ``"17"``); None if not finite."""
    if isinstance(value, numbers.Integral):
        return str(int(value))
    try:
        v = float(value)
    except (TypeError, ValueError):
        return str(value)
    if not math.isfinite(v):
        return None
    if v == round(v) and abs(v) < 2**53:
        return str(int(v))
    return repr(v) if isinstance(value, float | np.floating) else str(value)


def _number_texts(values: Iterable[Any]) -> list[str]:
    out = []
    for value in values:
        text = _number_text(value)
        if text is None:
            continue
        out.append(text)
        if text.isdigit() and 9 <= len(text) <= 10:  # a phone number whose 0 Excel dropped
            out.append("0" + text)
    return out


def _texts_and_days(values: pd.Series) -> tuple[pa.Array, np.ndarray]:
    """Distinct non-blank texts (stripped) and dates of a column of any dtype."""
    import pyarrow as pa
    import pyarrow.compute as pc

    no_days = np.empty(0, dtype=np.int64)
    if isinstance(values.dtype, pd.CategoricalDtype):
        values = pd.Series(values.cat.categories)
    dtype = values.dtype
    texts: list[pa.Array] = []
    days = no_days
    if pd.api.types.is_bool_dtype(dtype):
        pass
    elif pd.api.types.is_datetime64_any_dtype(dtype):
        days = _days(values.dropna().unique())
    elif pd.api.types.is_numeric_dtype(dtype):
        nums = values.dropna().unique()
        texts = [pa.array(_number_texts(nums), pa.large_string())]
    elif pd.api.types.is_string_dtype(dtype) and not pd.api.types.is_object_dtype(dtype):
        texts = [_large(pa.array(values.array, from_pandas=True))]
    else:
        arr = values.to_numpy(dtype=object)
        arr = arr[~pd.isna(arr)]
        if pd.api.types.infer_dtype(arr, skipna=False) in ("string", "empty"):
            texts = [pa.array(arr, pa.large_string())]
        else:
            types = pd.Series(arr, dtype=object).map(type).to_numpy()
            kinds = {t: _kind(t) for t in set(types)}
            kind = np.array([kinds[t] for t in types], dtype=object) if len(arr) else arr
            strs = [str(v) for v in arr[kind == "text"]]
            strs += _number_texts(arr[kind == "number"])
            texts = [pa.array(strs, pa.large_string())]
            days = _days(arr[kind == "date"])
    if not texts:
        return pa.array([], pa.large_string()), days
    text = pc.utf8_trim_whitespace(pc.drop_null(texts[0]))
    text = pc.unique(text.filter(pc.greater(pc.utf8_length(text), 0)))
    return text, days


def _kind(t: type) -> str:
    if issubclass(t, bool | np.bool_):
        return "skip"
    if issubclass(t, np.timedelta64):  # (an integer type in numpy)
        return "text"
    if issubclass(t, dt.date | np.datetime64):
        return "date"
    if issubclass(t, numbers.Real) or t.__name__ == "Decimal":
        return "number"
    return "text"


def _date_of(value: Any) -> dt.date | None:
    """The calendar date of a date-like scalar, or None."""
    if isinstance(value, dt.datetime):  # includes pandas.Timestamp
        return None if pd.isna(value) else value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, np.datetime64):
        if np.isnat(value):
            return None
        day = value.astype("datetime64[D]").item()
        return day if isinstance(day, dt.date) else None
    return None


# A reference without the leading zeros of its number ("NRPF-0002" written "NRPF-2"),
# as ingest links references (``noream_eval.ingest.normalise.normalise_reference``).
_LEADING_ZEROS = r"^(.*[^0-9])0+([0-9]+)$"
_TWO_DIGIT_YEAR = r"(?:^|[^\d])\d{2}\s*$"
_DATE_PREFILTER = (
    r"^\d{1,4}(?:st|nd|rd|th)?[-/. ]+(?:\d{1,2}|[A-Za-z]{3,9}\.?)[-/., ]+\d{2,4}(?:[ T].*)?$"
    r"|^[A-Za-z]{3,9}\.? +\d{1,2}(?:st|nd|rd|th)?,? +\d{2,4}$"
)


# Other spellings of a compact value that a person would also write: a UK number
# without its trunk 0 (after "+44", or as Excel keeps it), an NI number without its
# suffix letter, a Home Office reference without its "/n".
_VARIANTS = (
    (r"^0(\d{9,10})$", r"\1"),
    (r"^([a-z]{2}\d{6})[a-d]$", r"\1"),
    (_LEADING_ZEROS, r"\1\2"),
)


def _compact_forms(folded: pa.Array, compact: pa.Array) -> pa.Array:
    """Compact forms of 4+ characters, with their variants (see ``_VARIANTS``)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    forms = [compact]
    for pattern, repl in _VARIANTS:
        hit = pc.match_substring_regex(compact, pattern)
        forms.append(pc.replace_substring_regex(compact.filter(hit), pattern, repl))
    slash = pc.match_substring(folded, "/")
    before = pc.replace_substring_regex(folded.filter(slash), "/.*$", "")
    forms.append(pc.replace_substring_regex(before, _NOT_ALNUM, ""))
    out = pa.chunked_array(forms, pa.large_string()).combine_chunks()
    return out.filter(pc.greater_equal(pc.utf8_length(out), 4))


def _text_days(texts: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Mask of texts that are dates (read day-first or ISO) and their days."""
    import pyarrow.compute as pc

    from noream_eval.ingest.normalise import parse_dates

    mask = np.zeros(len(texts), dtype=bool)
    maybe = np.asarray(pc.match_substring_regex(texts, _DATE_PREFILTER), dtype=bool)
    if not maybe.any():
        return mask, np.empty(0, dtype=np.int64)
    cand = pd.Series(texts.filter(maybe).to_pylist(), dtype=object)
    parsed = parse_dates(cand, dayfirst=True).values
    ok = parsed.notna().to_numpy()
    mask[np.flatnonzero(maybe)[ok]] = True
    days = parsed[ok]
    # A two-digit year ("12.07.65") is read in one century; a date of birth may be in
    # the other, so both are registered.
    short = cand[ok].str.contains(_TWO_DIGIT_YEAR, regex=True).to_numpy(dtype=bool)
    if short.any():
        other = days[short]
        shift = np.where(other.dt.year.to_numpy() >= 2000, -100, 100)
        moved = [d + pd.DateOffset(years=int(k)) for d, k in zip(other, shift, strict=True)]
        days = pd.concat([days, pd.Series(moved, dtype="datetime64[ns]")])
    return mask, days.to_numpy().astype("datetime64[D]").astype(np.int64)


# ------------------------------------------------------------------- tokens


@functools.cache
def _token_re() -> re.Pattern[str]:
    """Runs of letters, digits and combining marks (so Indic and stacked-accent
    names stay one token)."""
    ranges = []
    for lo, hi in ((0x300, 0x20000), (0xE0100, 0xE01F0)):
        # one letter per code point (M for a mark), then the runs of M: fast enough to
        # do on every start
        kinds = "".join([c[0] for c in map(unicodedata.category, map(chr, range(lo, hi)))])
        ranges += [(lo + m.start(), lo + m.end() - 1) for m in re.finditer("M+", kinds)]
    marks = "".join(f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in ranges)
    return re.compile(rf"(?:[^\W_]|[{marks}])+")


def _candidate_days(token: str) -> list[int]:
    """Days of every reading of a date-like token (day- or month-first, 19yy or 20yy)."""
    nums = re.findall(r"\d+", token)
    month = _MONTH_RE.search(token)
    triples: list[tuple[str, int, int]] = []
    if month:
        m = _MONTH_NUMBER[month.group(0)[:3].lower()]
        if len(nums) >= 2:
            triples.append((nums[-1], m, int(nums[0])))
    elif len(nums) == 3:
        a, b, c = nums
        if len(a) == 4:
            triples.append((a, int(b), int(c)))
        else:
            triples += [(c, int(b), int(a)), (c, int(a), int(b))]
    elif len(nums) == 1 and len(nums[0]) == 8:
        s = nums[0]
        triples += [
            (s[4:], int(s[2:4]), int(s[:2])),
            (s[4:], int(s[:2]), int(s[2:4])),
            (s[:4], int(s[4:6]), int(s[6:])),
        ]
    out = []
    for year, month_, day in triples:
        years = [int(year)] if len(year) == 4 else [1900 + int(year), 2000 + int(year)]
        for y in years:
            try:
                out.append(dt.date(y, month_, day).toordinal() - _EPOCH_ORDINAL)
            except ValueError:
                pass
    return out


def _is_missing(value: object) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float | np.floating):
        return math.isnan(value)
    if isinstance(value, np.datetime64 | np.timedelta64):
        return bool(np.isnat(value))
    return False


_UNSAFE = object()  # a value that cannot be rendered as text


def _as_text(value: object) -> str | dt.date | object:
    """Text of a cell as a person would read it, a date, or ``_UNSAFE``."""
    day = _date_of(value)
    if day is not None:
        return day
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, numbers.Number) and not isinstance(value, np.timedelta64):
        return _number_text(value) or str(value)
    try:
        text = value.decode("utf-8") if isinstance(value, bytes) else str(value)
        text.encode("utf-8")
    except Exception:  # any failure to render is a reason to withhold the value
        return _UNSAFE
    text = unicodedata.normalize("NFKC", text)
    return _CONTROL_RE.sub(" ", text).strip()


_MAX_RUN = 6  # longest run of tokens compared with registered compact values
_ADD_BATCH = 1 << 20  # distinct values registered per Arrow pass


class Scrubber:
    """Identifier-aware scrubbing of values shown from raw data.

    Register the values of every declared identifier column with :meth:`add`;
    :meth:`scrub` then redacts those values wherever they appear, as well as every
    pattern identifier (:data:`IDENTIFIER_RE`). A Scrubber with nothing registered
    still applies the patterns.

    Notes
    -----
    What :meth:`add` registers from each value:

    * each alphabetic word of two or more letters, case- and accent-free
      ("José María García-López" -> ``jose``, ``maria``, ``garcia``, ``lopez``);
      from an e-mail address only the part before the ``@``; none from a value that
      is a date;
    * the compact form (letters and digits only, case- and accent-free) of the whole
      value when it has four or more characters, so "07700 900123" also matches
      "07700-900-123" and "O'Brien" also matches "OBrien"; also a UK number without
      its trunk ``0``, an NI number without its suffix letter and the part of a value
      before a ``/`` (a Home Office reference without its ``/n``);
    * the calendar date of values that are dates (``datetime`` objects, or text read
      day-first or ISO as :func:`~noream_eval.ingest.normalise.parse_dates` does).

    Only 64-bit hashes of these forms are kept, in sorted NumPy arrays: about 8
    bytes per distinct form, and no Python object per value.

    :meth:`scrub` redacts, in text normalised to NFKC: every pattern identifier;
    every word (a run of letters within a token of letters, digits and combining
    marks) that is a registered word; every run of up to six consecutive tokens
    whose compact form is a registered compact value; every date-like token
    (``03/04/1985``, ``3-4-85``, ``1985-04-03``, ``3 March 1985``, ``03041985``)
    that is a registered date read day-first or month-first, with a two-digit year
    in either century.

    The redaction is deliberately over-inclusive. A registered word is redacted
    wherever it appears, whoever it belongs to: a surname that is also an English
    word ("Grant", "Young", "Will") or a particle ("da", "de", "al") is redacted in
    "Supermarket grant" as much as in a name, and a registered placeholder such as
    "Unknown" is redacted everywhere. Hash collisions (fewer than one in 10**12
    lookups at national scale) can only add redactions. Pattern identifiers are
    matched by shape, so a code that looks like an NI number or a postcode is
    redacted too.

    Examples
    --------
    >>> s = Scrubber()
    >>> s.add(pd.Series(["Adébáyọ̀ Okonkwo", "Ngozi Campbell-Lewis"]))
    >>> s.add(pd.Series(["07700 900123", "QQ 12 34 56 A"]))
    >>> s.add(pd.Series(["03/04/1985"]))
    >>> s.scrub("Food bank referral for adebayo and NGOZI")
    'Food bank referral for [redacted] and [redacted]'
    >>> s.scrub("Okonkwo 07700-900-123")
    '[redacted]'
    >>> s.scrub("Assessment 4/3/1985 overdue")
    'Assessment [redacted] overdue'
    >>> s.scrub(pd.Timestamp("1985-04-03")), s.scrub(pd.Timestamp("2021-03-04"))
    ('[redacted]', '2021-03-04')
    >>> s.scrub_series(pd.Series(["Lewis", None, "Walk-in"])).tolist()
    ['[redacted]', '', 'Walk-in']
    """

    def __init__(self) -> None:
        self._keys: dict[str, np.ndarray] = {
            "word": np.empty(0, dtype=np.uint64),
            "compact": np.empty(0, dtype=np.uint64),
            "date": np.empty(0, dtype=np.int64),
        }
        self._pending: dict[str, list[np.ndarray]] = {k: [] for k in self._keys}

    def __repr__(self) -> str:
        counts = ", ".join(f"{k}s={n}" for k, n in self.counts.items())
        return f"Scrubber({counts})"

    @property
    def counts(self) -> dict[str, int]:
        """Number of distinct registered forms of each kind: ``word``, ``compact``, ``date``."""
        self._freeze()
        return {kind: len(keys) for kind, keys in self._keys.items()}

    # ------------------------------------------------------------ registering

    def add(self, values: pd.Series | Sequence[Any], *, words: bool = True) -> None:
        """Register every value of a declared identifier column.

        Parameters
        ----------
        values : pandas.Series or sequence
            Raw cells of any dtype: ``str`` (Arrow-backed or not), object columns
            mixing text, numbers and dates from Excel, ``datetime64``, numbers,
            categoricals. Blank and missing cells are ignored.
        words : bool, default True
            Register the words of each value. Set False for reference columns whose
            letters are shared by every value (``NRPF-00123``), so that the prefix
            is not redacted from ordinary text; their compact forms are still
            registered.

        Notes
        -----
        Vectorised with Arrow compute on the distinct values; registering six
        million values takes seconds and keeps 8 bytes per distinct form.
        """
        series = values if isinstance(values, pd.Series) else pd.Series(list(values), dtype=object)
        texts, days = _texts_and_days(series)
        if len(days):
            self._pending["date"].append(_unique(days))
        if not len(texts):
            return
        for start in range(0, len(texts), _ADD_BATCH):  # bounds the memory of intermediates
            self._add_texts(texts.slice(start, _ADD_BATCH), words=words)

    def _add_texts(self, texts: pa.Array, *, words: bool) -> None:
        import pyarrow as pa
        import pyarrow.compute as pc

        is_date, text_days = _text_days(texts)
        if len(text_days):
            self._pending["date"].append(_unique(text_days))
        folded = _fold(texts)
        parts = pc.split_pattern_regex(folded, _NOT_ALNUM)
        compact = pc.binary_join(parts, _empty())
        self._pending["compact"].append(_unique(_hash(_compact_forms(folded, compact))))
        if not words:
            return
        email = np.asarray(pc.match_substring(folded, "@"), dtype=bool)
        if email.any() or is_date.any():
            source = folded
            if email.any():  # words of the local part only, not of the domain
                local = pc.replace_substring_regex(folded.filter(pa.array(email)), "@.*$", "")
                source = pc.replace_with_mask(source, pa.array(email), local)
            parts = pc.split_pattern_regex(source.filter(pa.array(~is_date)), _NOT_ALNUM)
        flat = pc.list_flatten(parts)
        flat = flat.filter(pc.match_substring_regex(flat, r"^\p{L}{2,}$"))
        self._pending["word"].append(_unique(_hash(flat)))

    def _freeze(self) -> None:
        for kind, pending in self._pending.items():
            if pending:
                self._keys[kind] = _unique(np.concatenate([self._keys[kind], *pending]))
                pending.clear()

    # --------------------------------------------------------------- scrubbing

    def _spans(self, texts: Sequence[str], *, words: bool = True) -> list[list[tuple[int, int]]]:
        """Merged spans to redact in each text (registered single words only if ``words``)."""
        self._freeze()
        found = [_pattern_spans(t) for t in texts]
        if (words and len(self._keys["word"])) or len(self._keys["compact"]):
            self._token_spans(texts, found, words=words)
        if len(self._keys["date"]):
            cands = [
                (i, m.start(1), m.end(1), _candidate_days(m.group(1)))
                for i, t in enumerate(texts)
                for m in _DATE_TOKEN_RE.finditer(t)
            ]
            days = np.array(sorted({d for *_, ds in cands for d in ds}), dtype=np.int64)
            hit = set(days[_member(self._keys["date"], days)].tolist())
            for i, start, end, ds in cands:
                if hit.intersection(ds):
                    found[i].append((start, end))
        return [_merge(t, f) for t, f in zip(texts, found, strict=True)]

    def _token_spans(
        self, texts: Sequence[str], found: list[list[tuple[int, int]]], *, words: bool = True
    ) -> None:
        """Add the spans of registered words and compact runs of tokens to ``found``."""
        import pyarrow as pa
        import pyarrow.compute as pc

        token_re = _token_re()
        tid: list[int] = []
        bounds: list[tuple[int, int]] = []
        raw: list[str] = []
        for i, text in enumerate(texts):
            for m in token_re.finditer(text):
                tid.append(i)
                bounds.append(m.span())
                raw.append(m.group())
        n = len(raw)
        if not n:
            return
        ids = np.array(tid, dtype=np.int64)
        span = np.array(bounds, dtype=np.int64).reshape(n, 2)
        encoded = pc.dictionary_encode(pa.array(raw, pa.large_string()))
        codes = np.asarray(encoded.indices)
        folded = _fold(encoded.dictionary)

        def add(first: np.ndarray, last: np.ndarray) -> None:
            for t, start, end in zip(ids[first], span[first, 0], span[last, 1], strict=True):
                found[t].append((int(start), int(end)))

        if words and len(self._keys["word"]):
            # letter runs of each distinct token; a token goes if any run is a registered word
            runs = pc.split_pattern_regex(folded, r"[^\p{L}]+")
            parent = np.asarray(pc.list_parent_indices(runs))
            flat = pc.list_flatten(runs)
            long = np.asarray(pc.greater_equal(pc.utf8_length(flat), 2), dtype=bool)
            hit = _member(self._keys["word"], _hash(flat.filter(pa.array(long))))
            word_hit = np.zeros(len(folded), dtype=bool)
            word_hit[parent[long][hit]] = True
            at = np.flatnonzero(word_hit[codes])
            add(at, at)
        if len(self._keys["compact"]):
            compact = pc.binary_join(pc.split_pattern_regex(folded, _NOT_ALNUM), _empty()).take(
                codes
            )
            run, same = compact, np.ones(n, dtype=bool)
            for k in range(1, min(_MAX_RUN, n) + 1):
                if k > 1:  # runs of k tokens = runs of k - 1 tokens + the next token
                    run = pc.binary_join_element_wise(
                        run.slice(0, n - k + 1), compact.slice(k - 1), _empty()
                    )
                    same = same[:-1] & (ids[k - 1 :] == ids[: n - k + 1])
                ok = same & np.asarray(pc.greater_equal(pc.utf8_length(run), 4), dtype=bool)
                if ok.any():
                    first = np.flatnonzero(ok)
                    cand = run.filter(pa.array(ok))
                    hit = _member(self._keys["compact"], _hash(cand))
                    # also without the leading zeros of a trailing number (registered so)
                    bare = pc.replace_substring_regex(cand, _LEADING_ZEROS, r"\1\2")
                    hit |= _member(self._keys["compact"], _hash(bare))
                    add(first[hit], first[hit] + k - 1)

    def _scrub_many(self, values: Sequence[object], max_len: int) -> list[str]:
        if max_len < 1:
            raise ValueError(f"max_len must be at least 1, got {max_len}")
        self._freeze()
        out: list[str | None] = [None] * len(values)
        todo: list[int] = []
        texts: list[str] = []
        for i, value in enumerate(values):
            if _is_missing(value):
                out[i] = ""
                continue
            shown = _as_text(value)
            if shown is _UNSAFE:
                out[i] = REDACTED
            elif isinstance(shown, dt.date):
                day = shown.toordinal() - _EPOCH_ORDINAL
                registered = _member(self._keys["date"], np.array([day], dtype=np.int64))[0]
                out[i] = REDACTED if registered else shown.isoformat()
            else:
                assert isinstance(shown, str)
                todo.append(i)
                texts.append(shown)
        for i, text, spans in zip(todo, texts, self._spans(texts), strict=True):
            redacted = sum(end - start for start, end in spans)
            out[i] = REDACTED if 2 * redacted > len(text) else _render(text, spans)
        return [s if len(s) <= max_len else s[: max_len - 1] + "…" for s in out]  # type: ignore[union-attr]

    def scrub(self, value: object, *, max_len: int = 80) -> str:
        """Return ``value`` as text safe to show.

        Parameters
        ----------
        value : object
            A raw cell: text, number, date or missing.
        max_len : int, default 80
            Longer results are cut to ``max_len`` characters ending in ``…``.

        Returns
        -------
        str
            ``""`` for a missing value; the ISO date for a date (``[redacted]`` if it
            is a registered date); otherwise the text (NFKC-normalised, control
            characters replaced by spaces, stripped) with every identifier replaced
            by ``[redacted]``, adjacent ones merged. A value that cannot be rendered
            as text, or whose characters are more than half redacted, is exactly
            ``[redacted]``.

        Raises
        ------
        ValueError
            If ``max_len`` is less than 1.
        """
        return self._scrub_many([value], max_len)[0]

    def scrub_series(self, values: pd.Series, *, max_len: int = 80) -> pd.Series:
        """:meth:`scrub` every value of a Series, each distinct value once.

        Parameters
        ----------
        values : pandas.Series
        max_len : int, default 80

        Returns
        -------
        pandas.Series
            ``str`` values on the same index, with the same name.
        """
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        shown = self._scrub_many(list(uniques), max_len)
        table = np.array([*shown, ""], dtype=object)
        return pd.Series(table[codes], index=values.index, name=values.name, dtype="str")

    def scrub_message(self, text: str, *, max_len: int = 5000) -> str:
        """Scrub a message written by the package (an error, a warning, a reason).

        Pattern identifiers, registered compact values (phones, references, ...)
        and registered dates are redacted; single registered words are not,
        because the package's own words ("family", "total", "case") may coincide
        with a registered name. Values taken from a file are put into a message
        only after :meth:`scrub`, which does redact registered words.

        Examples
        --------
        >>> s = Scrubber()
        >>> s.add(pd.Series(["Family Total", "07700 900123"]))
        >>> s.scrub_message("row 4 of families.csv: family rejected; call 07700900123")
        'row 4 of families.csv: family rejected; call [redacted]'
        """
        return self.scrub_messages([text], max_len=max_len)[0]

    def scrub_messages(self, texts: Sequence[str], *, max_len: int = 5000) -> list[str]:
        """:meth:`scrub_message` of many messages at once (one vectorised pass)."""
        clean = [" ".join(str(t).split("\x00")) for t in texts]
        out = [
            _render(t, spans)
            for t, spans in zip(clean, self._spans(clean, words=False), strict=True)
        ]
        return [m if len(m) <= max_len else m[: max_len - 1] + "…" for m in out]

    def contains_identifiers(self, values: Sequence[object]) -> np.ndarray:
        """:meth:`contains_identifier` of many values at once (one vectorised pass).

        Examples
        --------
        >>> Scrubber().contains_identifiers(["E09000012", "ring 020 7946 0123", None]).tolist()
        [False, True, False]
        """
        out = np.zeros(len(values), dtype=bool)
        todo: list[int] = []
        texts: list[str] = []
        for i, value in enumerate(values):
            if _is_missing(value):
                continue
            shown = _as_text(value)
            if shown is _UNSAFE:
                out[i] = True
            elif isinstance(shown, dt.date):
                day = np.array([shown.toordinal() - _EPOCH_ORDINAL], dtype=np.int64)
                out[i] = bool(_member(self._keys_now("date"), day)[0])
            else:
                todo.append(i)
                texts.append(str(shown))
        if texts:
            out[todo] = [bool(spans) for spans in self._spans(texts)]
        return out

    def contains_identifier(self, value: object) -> bool:
        """Whether :meth:`scrub` would redact anything in ``value``.

        Examples
        --------
        >>> Scrubber().contains_identifier("ring 020 7946 0123")
        True
        >>> Scrubber().contains_identifier("Supermarket vouchers")
        False
        """
        if _is_missing(value):
            return False
        shown = _as_text(value)
        if shown is _UNSAFE:
            return True
        if isinstance(shown, dt.date):
            day = np.array([shown.toordinal() - _EPOCH_ORDINAL], dtype=np.int64)
            return bool(_member(self._keys_now("date"), day)[0])
        assert isinstance(shown, str)
        return bool(self._spans([shown])[0])

    def _keys_now(self, kind: str) -> np.ndarray:
        self._freeze()
        return self._keys[kind]
