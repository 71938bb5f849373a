"""Raw cells of a source -> typed canonical values, with a reason for every problem.

Each mapped column is read by its field's kind (see :mod:`noream_eval.sources`):
references are normalised and pseudonymised, dates parsed within the plausible
range (1900-01-01 to the data cut; five years after it for planned events),
codes mapped through value maps, numbers and money parsed within the schema's
bounds. A problem in a required field rejects the row; in an optional field it
drops the value (or sets a category to ``unknown``) and is recorded. A date
equal to the row's date of birth is never kept. Raw cells are freed as soon as
they have served.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd

from noream_eval.config import EvaluationConfig, SourceProfile
from noream_eval.ingest import normalise as nz
from noream_eval.ingest.ledger import RowLedger
from noream_eval.ingest.pseudonymise import Pseudonymiser, fast_categories
from noream_eval.schema import UNKNOWN

__all__ = ["EARLIEST_DATE", "normalise_fields"]

#: Earliest plausible date of any event or birth.
EARLIEST_DATE = pd.Timestamp("1900-01-01")

#: How far after the data cut a planned event (a deliverable) may lie.
_FUTURE_YEARS = 5

_REDACTED_KINDS = {"ref", "id", "person", "dob", "reflist"}


def _cell_text(value: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return " ".join(str(value).split())


def _text(s: pd.Series) -> pd.Series:
    return s.map(_cell_text).replace("", np.nan).astype(object)


def _joined_text(frame: pd.DataFrame, cols: list[str]) -> pd.Series:
    """Several free-text columns in one: ``Header: text | Header: text``."""
    parts = [_text(frame[c]).map(lambda t, c=c: f"{c}: {t}", na_action="ignore") for c in cols]
    joined = pd.concat(parts, axis=1).apply(lambda r: " | ".join(r.dropna()), axis=1)
    return joined.replace("", np.nan).astype(object)


def normalise_fields(
    profile: SourceProfile,
    frame: pd.DataFrame,
    ledger: RowLedger,
    cfg: EvaluationConfig,
    pseudo: Pseudonymiser,
) -> tuple[pd.DataFrame, dict[str, str]]:
    spec = profile.spec
    cut = pd.Timestamp(cfg.data_cut)
    work = pd.DataFrame(index=pd.RangeIndex(len(frame)))
    birth_dates = _birth_dates(profile, frame)
    text_cols: dict[str, list[str]] = {}
    for raw_col, fld in profile.columns.items():
        if spec.kind(fld) == "text":
            text_cols.setdefault(fld, []).append(raw_col)
    for fld, cols in text_cols.items():
        work[spec.target(fld)] = (
            _text(frame[cols[0]]) if len(cols) == 1 else _joined_text(frame, cols)
        )
    for raw_col, fld in profile.columns.items():
        f = spec.field(fld)
        kind = spec.kind(fld)
        if kind == "text":
            continue
        target = spec.target(fld) or fld
        canon = spec.canonical(fld)
        s = frame[raw_col]
        redact = f.identifier or kind in _REDACTED_KINDS or raw_col in profile.identifiers
        problems: pd.Series | None = None
        if kind == "ref":
            domain = f.domain or "family"
            vals = _map_uniques(
                s, lambda u, d=domain: pseudo.hash_values(nz.normalise_reference(u), domain=d)
            )
            work[target] = vals
        elif kind == "id":
            # pseudonymised once the wide columns are done (below)
            vals = (
                _map_uniques(s, nz.normalise_reference)
                if isinstance(s.dtype, pd.CategoricalDtype)
                else nz.normalise_reference(s)
            )
            work[fld] = vals
        elif kind == "person":
            domain = f.domain or "staff"
            vals = _map_uniques(
                s,
                lambda u, d=domain: pseudo.hash_values(
                    u.map(_cell_text).str.casefold().replace("", np.nan), domain=d
                ),
            )
            work[target] = vals
        elif kind in ("date", "dob"):
            latest = cut + pd.DateOffset(years=_FUTURE_YEARS) if f.future_ok else cut
            res = nz.parse_dates(
                s, dayfirst=profile.dayfirst, min_date=EARLIEST_DATE, max_date=latest
            )
            vals, problems = res.values, res.problems
            if kind == "date" and birth_dates:
                vals, problems = _not_a_birth_date(vals, problems, birth_dates)
            work[fld] = vals
        elif kind == "category":
            levels = cfg.cohorts if fld == "cohort" else spec.levels(fld)
            res = nz.map_codes(s, profile.values.get(fld, {}), levels)
            vals, problems = res.values, res.problems
            work[target] = vals.where(vals.notna() | f.required, UNKNOWN)
        elif kind == "list":
            res = nz.map_code_lists(
                s, profile.values.get(fld, {}), spec.levels(fld), sep=profile.list_separator
            )
            vals, problems = res.values, res.problems
            work[target] = vals
        elif kind == "int":
            res = nz.parse_int(
                s,
                min_value=None if canon is None else canon.min_value,
                max_value=None if canon is None else canon.max_value,
            )
            vals, problems = res.values, res.problems
            work[target] = vals
        elif kind == "money":
            res = nz.parse_money(
                s,
                min_value=None if canon is None else canon.min_value,
                max_value=None if canon is None else canon.max_value,
            )
            vals, problems = res.values, res.problems
            work[target] = vals
        elif kind == "reflist":
            vals = _ref_lists(s, profile.list_separator)
            work[fld] = vals
        else:  # str: a short code
            vals = _text(s)
            if fld == "site":
                vals = vals.str.upper()
            work[target] = vals
        bad = np.zeros(len(s), dtype=bool) if problems is None else problems.astype(bool).to_numpy()
        shown = {"values": s, "redact": redact, "dates": kind == "date"}
        if f.required:
            if bad.any():
                ledger.reject(bad, field=raw_col, reason=problems, **shown)
            ledger.reject(
                ~bad & _missing(vals),
                field=raw_col,
                reason=f"required value missing (mapped to {fld!r})",
                **shown,
            )
        elif bad.any():
            action = "set_unknown" if kind == "category" else "value_dropped"
            ledger.note(bad, field=raw_col, reason=problems, action=action, **shown)
        del frame[raw_col], s, vals, shown  # raw cells have served: free them
    wide: dict[str, str] = {}
    if spec.wide == "domains":
        lo, hi = int(cfg.parameters["score_min"]), int(cfg.parameters["score_max"])
        _normalise_wide(
            frame,
            work,
            ledger,
            profile.domains,
            lambda s: nz.parse_int(s, min_value=lo, max_value=hi),
            prefix="_d_",
            empty_reason="no valid domain score in the row",
            wide=wide,
        )
    elif spec.wide == "items":
        inst = cfg.instruments[profile.instrument or ""]
        _normalise_wide(
            frame,
            work,
            ledger,
            profile.items,
            lambda s: nz.parse_likert(
                s, inst.anchors, min_value=inst.item_min, max_value=inst.item_max
            ),
            prefix="_i_",
            empty_reason="no answered item in the row",
            wide=wide,
        )
    for fld in profile.columns.values():
        f = spec.field(fld)
        if spec.kind(fld) == "id" and fld in work:
            work[fld] = pseudo.hash_values(work[fld], domain=f.domain or fld)
    return work, wide


#: Rows on which a column is recognised as holding dates of birth.
_HEAD = 1000


def _birth_dates(profile: SourceProfile, frame: pd.DataFrame) -> dict[str, pd.Series]:
    """Dates of birth in the row's identifier columns, by raw column.

    A declared identifier column counts when most of its filled cells are dates
    (a "Parent DOB" column), as does a mapped date of birth.
    """
    spec = profile.spec
    cols = [c for c in profile.identifiers if c in frame.columns]
    cols += [c for c, f in profile.columns.items() if spec.kind(f) == "dob"]
    out = {}
    for col in dict.fromkeys(cols):
        s = frame[col]
        blank = nz.is_blank(s).to_numpy()
        filled = s[~blank]
        if not len(filled):
            continue
        if len(filled) <= _HEAD:
            # the first rows are all the rows: the column is parsed once (each cell's
            # date depends on that cell only)
            parsed = nz.parse_dates(s, dayfirst=profile.dayfirst).values
            if parsed[~blank].isna().mean() > 0.5:
                continue
        else:
            # a names or phones column is recognised on its first rows (as plain values:
            # a categorical would bring every category of the column along)
            head = pd.Series(filled.iloc[:_HEAD].to_numpy(dtype=object), dtype=object)
            if nz.parse_dates(head, dayfirst=profile.dayfirst).values.isna().mean() > 0.5:
                continue
            parsed = nz.parse_dates(s, dayfirst=profile.dayfirst).values
        if parsed.notna().sum() > len(filled) / 2:
            out[col] = parsed
    return out


def _not_a_birth_date(
    vals: pd.Series, problems: pd.Series, birth_dates: Mapping[str, pd.Series]
) -> tuple[pd.Series, pd.Series]:
    """Drop an event date that equals a date of birth in the same row (typed in error)."""
    for col, born in birth_dates.items():
        same = (vals.notna() & (vals == born)).to_numpy()
        if same.any():
            vals = vals.mask(same)
            problems = problems.astype(object).copy()
            problems[same] = (
                f"the same date as the date of birth in {col!r} of this row; a date of birth "
                "is not kept, so the value was removed"
            )
    return vals, problems


def _map_uniques(col: pd.Series, fn: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """Apply ``fn`` to the distinct values of ``col`` only; a categorical of the results.

    ``fn`` takes and returns a Series of the distinct values (positional index);
    equal results share a category, and a missing result is a missing cell.
    """
    if isinstance(col.dtype, pd.CategoricalDtype):
        codes = col.cat.codes.to_numpy()
        uniques = pd.Series(col.cat.categories)
    else:
        codes, found = pd.factorize(col)
        uniques = pd.Series(found)
    mapped = fn(uniques.reset_index(drop=True))
    merged, categories = pd.factorize(mapped)
    out = np.append(merged, -1)[codes]
    return pd.Series(
        pd.Categorical.from_codes(out, dtype=fast_categories(categories), validate=False),
        index=col.index,
        name=col.name,
    )


def _missing(values: pd.Series) -> np.ndarray:
    if values.dtype == object and len(values) and isinstance(values.iloc[0], list):
        return (values.map(len) == 0).to_numpy()
    return values.isna().to_numpy()


def _ref_lists(s: pd.Series, sep: str) -> pd.Series:
    text = s.map(_cell_text)
    parts = text.str.split(sep).explode()
    refs = nz.normalise_reference(parts)
    refs = refs[refs.notna()]
    grouped = refs.groupby(level=0).agg(lambda x: list(dict.fromkeys(x)))
    return grouped.reindex(s.index).map(lambda v: v if isinstance(v, list) else [])


def _normalise_wide(
    frame: pd.DataFrame,
    work: pd.DataFrame,
    ledger: RowLedger,
    columns: Mapping[str, object],
    parse: Callable[[pd.Series], nz.Normalised],
    *,
    prefix: str,
    empty_reason: str,
    wide: dict[str, str],
) -> None:
    """Normalise one-column-per-domain or per-item cells into ``prefix + label`` columns.

    A bad cell loses only its value; a row without any valid cell is rejected.
    """
    any_value = np.zeros(len(frame), dtype=bool)
    for raw_col, label in columns.items():
        res = parse(frame[raw_col])
        col = f"{prefix}{label}"
        work[col] = res.values
        wide[col] = raw_col
        bad = res.problems.astype(bool).to_numpy()
        if bad.any():
            ledger.note(bad, field=raw_col, reason=res.problems, values=frame[raw_col])
        any_value |= res.values.notna().to_numpy()
    ledger.reject(~any_value, field="", reason=empty_reason)
