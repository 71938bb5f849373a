"""Outcome 1: repeat referrals.

A *re-referral* (the Department for Education's definition) is a referral of a
family dated within ``window_days`` (default 365) after that family's previous
referral. :func:`flag_rereferrals` marks every referral; the indicators are
built on those marks:

- ``rereferral_rate`` and ``rereferral_rate_sensitivity``: the share of
  referrals that are re-referrals, by cohort, period and site
  (:func:`rereferral_rates`), with ``rereferral_rate_difference`` and
  ``rereferral_rate_ratio`` comparing the programme cohort with the comparison;
- ``rereferral_within_12m``: the share of families re-referred within twelve
  months of their index referral, by Kaplan-Meier (:func:`rereferral_within_12m`,
  :func:`rereferral_km`);
- ``referrals_its_level_change`` and ``referrals_its_slope_change``: an
  interrupted time series of the monthly number of referrals
  (:func:`monthly_referrals`, :func:`referrals_its`).

``docs/outcomes.md`` (Outcome 1) defines each indicator and supporting table.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from noream_eval._arrow import arrow_strings, hex_keys, is_arrow_text
from noream_eval.errors import StatsInputError, ValidationError
from noream_eval.metrics.core import Part, Settings, indicator, indicator_table

if TYPE_CHECKING:
    from noream_eval.data import EvaluationData
    from noream_eval.stats.its import ITSFit

__all__ = [
    "FLAG_COLUMNS",
    "compute",
    "flag_rereferrals",
    "monthly_referrals",
    "referrals_its",
    "rereferral_km",
    "rereferral_rates",
    "rereferral_within_12m",
]

#: Columns :func:`flag_rereferrals` adds to the referrals.
FLAG_COLUMNS: tuple[str, ...] = ("is_rereferral", "history_incomplete", "same_day_repeat")

OUTCOME = "1"
_COHORTS = ("noream", "comparison")
_HORIZON_DAYS = 365  # twelve months, for rereferral_within_12m
_KEY_BITS = 63  # bits of the single int64 sort key (family, day, row)
_NO_LIMIT = np.iinfo(np.int64).min  # also NaT as int64
_NS_PER_DAY = 86_400 * 10**9
_BLOCK = 1 << 16  # rows per pass where a full-length temporary is not needed

_MONTHLY_COLUMNS = (
    "month",
    "cohort",
    "days",
    "referrals",
    "rereferrals",
    "history_incomplete",
    "rate",
)
_KM_COLUMNS = (
    "group",
    "time",
    "n_at_risk",
    "n_events",
    "n_censored",
    "survival",
    "se",
    "ci_low",
    "ci_high",
)
_ITS_COLUMNS = (
    "term",
    "estimate",
    "ci_low",
    "ci_high",
    "p_value",
    "n",
    "method",
    "coef",
    "se",
    "statistic",
    "df",
    "dispersion",
    "family",
    "se_type",
    "hac_lags",
    "conf_level",
    "n_dropped",
)
_COUNTERFACTUAL_COLUMNS = (
    "month",
    "time",
    "post",
    "observed",
    "fitted",
    "fitted_ci_low",
    "fitted_ci_high",
    "counterfactual",
    "counterfactual_ci_low",
    "counterfactual_ci_high",
)
_AUTOCORRELATION_COLUMNS = ("lag", "statistic", "p_value", "df")
_BENCHMARK_COLUMNS = ("indicator", "rate", "description")


# --------------------------------------------------------------------------- inputs


def _require(frame: pd.DataFrame, columns: Sequence[str], table: str) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise ValidationError(f"{table} must be a pandas DataFrame, not {type(frame).__name__}.")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValidationError(
            f"the {table} table lacks the column(s) {missing}; give the canonical {table} "
            "table (docs/data_model.md)."
        )


def _check_window(window_days: Any) -> int:
    if isinstance(window_days, bool) or not isinstance(window_days, int | np.integer):
        raise StatsInputError(f"window_days must be a whole number of days, not {window_days!r}.")
    if not 1 <= int(window_days) <= 3660:
        raise StatsInputError(f"window_days = {window_days}; give a number of days from 1 to 3660.")
    return int(window_days)


def _days(values: pd.Series, what: str) -> np.ndarray:
    """Dates as int32 days since 1970-01-01; a missing or unreadable date is refused."""
    if not pd.api.types.is_datetime64_any_dtype(values.dtype):
        try:
            values = pd.to_datetime(values)
        except (TypeError, ValueError):
            raise ValidationError(f"{what} must hold dates.") from None
    ns = values.to_numpy(dtype="datetime64[ns]").view(np.int64)
    missing = int(np.count_nonzero(ns == _NO_LIMIT))  # NaT
    if missing:
        raise ValidationError(
            f"{what} is missing in {missing} row(s); every referral needs a date."
        )
    days = np.empty(len(ns), dtype=np.int32)
    np.floor_divide(ns, _NS_PER_DAY, out=days, casting="unsafe")
    return days


def _day(value: Any, what: str) -> int:
    """One date as int64 days since 1970-01-01."""
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError):
        raise StatsInputError(f"{what} = {value!r} is not a date.") from None
    if pd.isna(stamp):
        raise StatsInputError(f"{what} is missing; give a date.")
    return int(stamp.to_datetime64().astype("datetime64[D]").astype(np.int64))


def _is_date(value: Any) -> bool:
    return isinstance(value, str | dt.date | np.datetime64 | pd.Timestamp)


def _history_table(history: Any) -> tuple[pd.Series, np.ndarray] | None:
    """Family ids and their history-known-from days (NaT as no limit), or None for a date."""
    if isinstance(history, pd.DataFrame):
        _require(history, ("family_id", "history_known_from"), "families")
        ids = history["family_id"]
        dates = history["history_known_from"]
    elif isinstance(history, pd.Series):
        ids = pd.Series(history.index)
        dates = history
    else:
        return None
    ids = ids.reset_index(drop=True)
    if ids.isna().any():
        raise ValidationError("history_known_from has a family without a family_id.")
    if not pd.api.types.is_datetime64_any_dtype(dates.dtype):
        try:
            dates = pd.to_datetime(dates)
        except (TypeError, ValueError):
            raise ValidationError("history_known_from must hold dates.") from None
    ns = dates.to_numpy(dtype="datetime64[ns]").view(np.int64)
    return ids, np.where(ns == _NO_LIMIT, _NO_LIMIT, ns // _NS_PER_DAY)


def _numbers(ids: pd.Series) -> np.ndarray | None:
    """Canonical pseudonyms as 64-bit numbers (None when they are not all canonical)."""
    if not is_arrow_text(ids):
        return None
    native = getattr(ids.array, "_pa_array", None)  # Arrow's own (chunked) array, no copy
    return hex_keys(native if native is not None else arrow_strings(ids))


def _family_numbers(
    ids: pd.Series, other: pd.Series | None = None
) -> tuple[np.ndarray, np.ndarray | None]:
    """A uint64 number per referral's family (and per ``other`` id), equal for equal ids.

    Canonical pseudonyms are read as the numbers of their hex digits (no
    hashing); categorical ids use their codes; other ids are factorised.
    """
    if ids.isna().any():
        raise ValidationError(
            f"family_id is missing in {int(ids.isna().sum())} referral(s); every referral "
            "needs its family."
        )
    if isinstance(ids.dtype, pd.CategoricalDtype):
        codes = ids.cat.codes.to_numpy().astype(np.uint64)
        if other is None:
            return codes, None
        cats = ids.cat.categories
        found = cats.get_indexer(pd.Index(other.astype(object)))
        new = found < 0
        found[new] = len(cats) + np.arange(int(new.sum()))
        return codes, found.astype(np.uint64)
    if len(ids) == 0:
        return np.empty(0, dtype=np.uint64), (
            None if other is None else np.arange(len(other), dtype=np.uint64)
        )
    nums = _numbers(ids)
    if nums is not None and (other is None or len(other) == 0):
        return nums, (None if other is None else np.empty(0, dtype=np.uint64))
    other_nums = None if other is None or nums is None else _numbers(other)
    if nums is not None and other_nums is not None and str(ids.iloc[0])[0] == str(other.iloc[0])[0]:
        return nums, other_nums  # the same letter: equal numbers are equal ids
    n = len(ids)
    values = ids if other is None else pd.concat([ids, other], ignore_index=True)
    codes = pd.factorize(values)[0].astype(np.uint64)
    return codes[:n], (None if other is None else codes[n:])


def _sort_order(num: np.ndarray, day: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows in (family number, day, row) order, with the sorted numbers and days.

    One int64 key ``bucket | day | row`` is sorted in place, the bucket being the
    family number's top bits (all of it when it fits in the 63 bits): NumPy's
    SIMD sort of plain integers, no hashing. Rows of the few buckets that hold
    two families are then re-sorted by the full number. Without room for a
    bucket, ``np.lexsort``. Few full-length arrays are made (memory, not
    arithmetic, is what costs here).
    """
    n = len(num)
    d0 = int(day.min())
    dbits = (int(day.max()) - d0).bit_length()
    rbits = (n - 1).bit_length()
    kbits = _KEY_BITS - dbits - rbits
    if kbits < 1:
        order = np.lexsort((day, num))
        return order, num[order], day[order]
    shift = max(int(num.max()).bit_length() - kbits, 0)
    key = np.empty(n, dtype=np.int64)
    np.right_shift(num, np.uint64(shift), out=key.view(np.uint64))
    key <<= dbits
    key += day
    key -= d0
    key <<= rbits
    for i in range(0, n, _BLOCK):
        key[i : i + _BLOCK] |= np.arange(i, min(n, i + _BLOCK), dtype=np.int64)
    key.sort()
    order = np.empty(n, dtype=np.int64 if n > np.iinfo(np.int32).max else np.int32)
    np.bitwise_and(key, (1 << rbits) - 1, out=order, casting="unsafe")
    key >>= rbits
    day_s = np.empty(n, dtype=np.int32)
    np.bitwise_and(key, (1 << dbits) - 1, out=day_s, casting="unsafe")
    day_s += d0
    num_s = num[order]
    if shift:
        key >>= dbits  # the bucket
        mixed = key[1:] == key[:-1]
        mixed &= num_s[1:] != num_s[:-1]
        if mixed.any():
            # Buckets holding more than one family (the key is sorted, so each bucket's
            # rows are one stretch of it): re-sort their rows by the full number.
            bad = np.unique(key[1:][mixed])
            lo = np.searchsorted(key, bad, side="left")
            size = np.searchsorted(key, bad, side="right") - lo
            pos = np.repeat(lo, size) + _group_offsets(size)
            rows = order[pos]
            rows = rows[np.lexsort((rows, day[rows], num[rows]))]
            order[pos] = rows
            num_s[pos] = num[rows]
            day_s[pos] = day[rows]
    return order, num_s, day_s


def _group_offsets(sizes: np.ndarray) -> np.ndarray:
    """0..k-1 within each group, for groups of the given sizes laid end to end."""
    starts = np.repeat(np.cumsum(sizes) - sizes, sizes)
    return np.arange(int(sizes.sum())) - starts


def _first_by_id(order: np.ndarray, repeats: np.ndarray, ids: pd.Series) -> np.ndarray:
    """The sorted position standing for each family-day with repeats, and its group's start.

    ``repeats`` are the sorted positions of the second and later referrals of a
    family on a day; the day's referrals are that stretch and the position before
    it. Returns ``(start, winner)``: per such day, the first position and the
    position of the referral with the smallest referral_id.
    """
    run = np.r_[True, repeats[1:] != repeats[:-1] + 1]
    start = repeats[run] - 1
    sizes = np.diff(np.flatnonzero(np.r_[run, True])) + 1
    group = np.repeat(np.arange(len(start)), sizes)
    pos = np.repeat(start, sizes) + _group_offsets(sizes)
    rows = order[pos]
    sub = ids.take(rows)
    number = _numbers(sub)  # canonical ids sort as their numbers
    if number is not None:
        first = np.lexsort((rows, number, group))
        first = first[np.r_[True, group[first][1:] != group[first][:-1]]]
    else:
        first = (
            pd.DataFrame({"group": group, "id": sub.to_numpy(), "row": rows})
            .sort_values(["group", "id", "row"], na_position="last", kind="stable")
            .drop_duplicates("group")
            .index.to_numpy()
        )
    return np.stack([start, pos[first]])


def _flags(
    num: np.ndarray,
    day: np.ndarray,
    window: int,
    ids: pd.Series,
    history: tuple[np.ndarray, np.ndarray] | None,
    floor: int | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """is_rereferral, history_incomplete and same_day_repeat of every row (input order).

    ``history`` holds the family numbers of a history table, sorted, with their
    first known days; ``floor`` a date that limits everyone's history.
    """
    n = len(num)
    if n == 0:
        empty = np.zeros(0, dtype=bool)
        return empty, empty.copy(), empty.copy()
    order, num_s, day_s = _sort_order(num, day)
    # In sorted order each row is compared with the row before it: same family and
    # same day is a repeat; same family within the window a re-referral (the row before
    # is then the last of the family's previous day).
    same = np.empty(n, dtype=bool)
    same[0] = False
    np.equal(num_s[1:], num_s[:-1], out=same[1:])
    gap = np.empty(n, dtype=np.int32)
    gap[0] = 0
    np.subtract(day_s[1:], day_s[:-1], out=gap[1:])
    code = (gap <= window).view(np.uint8)  # 1: re-referral, 2: incomplete, 4: repeat
    code &= same.view(np.uint8)
    repeat = same
    repeat &= gap == 0
    del gap
    code[repeat] = 4
    repeats = np.flatnonzero(repeat)
    del repeat
    if history is not None or floor is not None:
        # Not a re-referral, and the look-back window [day - window, day - 1] starts
        # before the family's history is known.
        cand = np.flatnonzero(code == 0)
        limit = np.full(len(cand), _NO_LIMIT if floor is None else floor, dtype=np.int64)
        if history is not None and len(history[0]):
            fam, fam_days = history
            first = np.flatnonzero(np.r_[True, num_s[1:] != num_s[:-1]])  # families
            u = num_s[first]
            pos = np.minimum(np.searchsorted(fam, u), len(fam) - 1)
            known = np.where(fam[pos] == u, fam_days[pos], _NO_LIMIT)
            np.maximum(limit, known[np.searchsorted(first, cand, side="right") - 1], out=limit)
        late = day_s[cand] - window < limit
        code[cand[late]] = 2
    del num_s, day_s
    if len(repeats):
        start, winner = _first_by_id(order, repeats, ids)
        value = code[start]
        code[start] = 4
        code[winner] = value
    out = np.empty(n, dtype=np.uint8)
    out[order] = code
    return out == 1, out == 2, out == 4


# --------------------------------------------------------------------------- flags


def flag_rereferrals(
    referrals: pd.DataFrame,
    *,
    window_days: int = 365,
    history_known_from: pd.Series | pd.DataFrame | Any = None,
    data_start: Any = None,
) -> pd.DataFrame:
    """Mark each referral that follows its family's previous referral within the window.

    Parameters
    ----------
    referrals
        The canonical referrals table (``referral_id``, ``family_id``,
        ``referral_date``; other columns are kept).
    window_days
        The re-referral window in days (``[parameters]`` ``window_days``).
    history_known_from
        From when each family's referral history is complete: a Series of dates
        indexed by ``family_id``, a DataFrame with ``family_id`` and
        ``history_known_from`` (the canonical families table), one date for
        everyone, or None for no limit (a referral with no earlier referral in
        its window is then simply not a re-referral). Families missing from a
        Series or DataFrame, or with no date, have no limit but ``data_start``.
    data_start
        The date before which no family's history is known (``[evaluation]``
        ``data_start``); None for none. Combined with ``history_known_from``
        by taking the later date.

    Returns
    -------
    pandas.DataFrame
        The referrals, same index, rows and order, with three boolean columns
        added (replacing any of the same name):

        - ``is_rereferral``: the family's previous referral (on an earlier day)
          is at most ``window_days`` days before this one;
        - ``history_incomplete``: not a re-referral as far as the records go,
          but the look-back window starts before the family's history is
          known, so an unrecorded earlier referral may lie in it;
        - ``same_day_repeat``: the family has another referral on the same
          day with a smaller ``referral_id``; such a referral is neither a
          re-referral nor incomplete, and is left out of every rate.

    Raises
    ------
    ValidationError
        If a column is missing, or a referral has no family or no date, or
        ``history_known_from`` names a family twice.
    StatsInputError
        If ``window_days`` is not a whole number from 1 to 3660 or a date
        cannot be read.

    Notes
    -----
    Referrals of a family on one day count once: the one with the smallest
    ``referral_id`` stands for the day. For such a referral on day :math:`d`
    of a family whose previous referral day is :math:`d_p` (days since the
    epoch), with :math:`w` = ``window_days`` and :math:`K` the later of the
    family's ``history_known_from`` and ``data_start``:

    - ``is_rereferral`` = :math:`d - d_p \\le w` (false without a previous day);
    - ``history_incomplete`` = not ``is_rereferral`` and :math:`d - w < K`:
      the window :math:`[d - w, d - 1]` reaches before the known history.

    A recorded referral always counts, even one dated before :math:`K`: it
    proves a re-referral; only the absence of one proves nothing there.

    The computation is vectorised: families become 64-bit numbers (canonical
    pseudonyms are read as the number of their hex digits, other ids are
    factorised), dates integer days, and one int64 key (family, day, row) is
    sorted; no Python loop runs over families.

    References
    ----------
    Department for Education. Characteristics of children in need: re-referrals
    (a referral within 12 months of a previous referral), annual statistics and
    the children in need census guide.

    Examples
    --------
    >>> import pandas as pd
    >>> refs = pd.DataFrame({
    ...     "referral_id": ["r1", "r2", "r3", "r4"],
    ...     "family_id": ["f1", "f1", "f1", "f2"],
    ...     "referral_date": pd.to_datetime(
    ...         ["2021-01-10", "2021-06-01", "2021-06-01", "2021-03-01"]),
    ... })
    >>> flags = flag_rereferrals(refs, history_known_from="2020-06-01")
    >>> flags[["is_rereferral", "history_incomplete", "same_day_repeat"]].to_numpy().tolist()
    [[False, True, False], [True, False, False], [False, False, True], [False, True, False]]
    """
    window = _check_window(window_days)
    _require(referrals, ("referral_id", "family_id", "referral_date"), "referrals")
    day = _days(referrals["referral_date"], "referral_date")
    table = _history_table(history_known_from)
    if table is None and history_known_from is not None and not _is_date(history_known_from):
        raise StatsInputError(
            "history_known_from must be a Series indexed by family_id, the families table, "
            f"a date or None; got {type(history_known_from).__name__}."
        )
    num, other = _family_numbers(referrals["family_id"], None if table is None else table[0])
    history: tuple[np.ndarray, np.ndarray] | None = None
    if table is not None and other is not None:
        by = np.argsort(other)
        fam = other[by]
        twice = int(np.count_nonzero(fam[1:] == fam[:-1]))
        if twice:
            raise ValidationError(
                f"history_known_from names {twice} family(ies) more than once; give one "
                "date per family."
            )
        history = (fam, table[1][by])
    floor = None
    if table is None and history_known_from is not None:
        floor = _day(history_known_from, "history_known_from")
    if data_start is not None:
        start = _day(data_start, "data_start")
        floor = start if floor is None else max(floor, start)
    is_re, incomplete, repeat = _flags(
        num, day, window, referrals["referral_id"].reset_index(drop=True), history, floor
    )
    out = referrals.copy(deep=False)
    out["is_rereferral"] = is_re
    out["history_incomplete"] = incomplete
    out["same_day_repeat"] = repeat
    return out


# --------------------------------------------------------------------------- rates


def _cohort_of(referrals: pd.DataFrame, families: pd.DataFrame) -> pd.Series:
    """Each referral's cohort (through its family) as text; NaN when the family is unknown."""
    _require(families, ("family_id", "cohort"), "families")
    cohort = families.set_index("family_id")["cohort"].astype(object)
    return referrals["family_id"].map(cohort).astype(object)


def _labels(values: pd.Series) -> list[str]:
    return sorted({str(v) for v in values.dropna().unique()})


def _timestamp(value: Any) -> pd.Timestamp | None:
    return None if value is None else pd.Timestamp(value).normalize()


def _rate_rows(
    flags: pd.DataFrame,
    cohort: pd.Series,
    sites: Sequence[str],
    *,
    window: int,
    programme_start: pd.Timestamp | None,
    cohorts: Sequence[str],
) -> tuple[list[dict[str, Any]], dict[str, tuple[int, int]]]:
    """The two rate indicators by group, and the primary counts (k, n) by cohort."""
    from noream_eval.stats import proportion_ci

    is_re = flags["is_rereferral"].to_numpy(dtype=bool)
    inc = flags["history_incomplete"].to_numpy(dtype=bool)
    once = ~flags["same_day_repeat"].to_numpy(dtype=bool)
    coh = cohort.to_numpy(dtype=object)
    groups: list[tuple[str, np.ndarray, dict[str, Any]]] = [
        ("all", np.ones(len(flags), dtype=bool), {})
    ]
    extra = [c for c in _labels(cohort) if c not in cohorts]
    for c in [*cohorts, *extra]:
        groups.append((c, coh == c, {}))
    if programme_start is not None:
        date = flags["referral_date"].to_numpy(dtype="datetime64[ns]")
        after = date >= programme_start.to_datetime64()
        since = {"programme_start": programme_start}
        groups += [("period:before", ~after, since), ("period:after", after, since)]
    if sites:
        site = flags["site"].astype(object).to_numpy() if "site" in flags else None
        for s in sites:
            groups.append(
                (f"site:{s}", np.zeros(len(flags), bool) if site is None else site == s, {})
            )

    rows: list[dict[str, Any]] = []
    counts: dict[str, tuple[int, int]] = {}
    for name, rule, counted, text in (
        ("rereferral_rate", "left out", once & ~inc, "left out"),
        ("rereferral_rate_sensitivity", "not re-referred", once, "counted as not re-referred"),
    ):
        k = np.array([int((m & counted & is_re).sum()) for _, m, _ in groups])
        n = np.array([int((m & counted).sum()) for _, m, _ in groups])
        m_inc = np.array([int((m & once & inc).sum()) for _, m, _ in groups])
        ok = n > 0
        ci = (
            proportion_ci(k[ok], n[ok]).to_frame()
            if ok.any()
            else pd.DataFrame(columns=["ci_low", "ci_high"])
        )
        lo = np.full(len(groups), np.nan)
        hi = np.full(len(groups), np.nan)
        lo[ok] = ci["ci_low"].to_numpy(dtype=float)
        hi[ok] = ci["ci_high"].to_numpy(dtype=float)
        for i, (group, _, more) in enumerate(groups):
            history = f"{m_inc[i]} referral(s) with incomplete history {text}"
            if n[i]:
                method = f"Wilson score interval, 95%; {history}"
                estimate: float | None = k[i] / n[i]
            else:
                method = f"no estimate: no referral to classify in this group (n = 0); {history}"
                estimate = None
            rows.append(
                indicator(
                    OUTCOME,
                    name,
                    group=group,
                    n=int(n[i]),
                    estimate=estimate,
                    ci_low=lo[i],
                    ci_high=hi[i],
                    method=method,
                    unit="share of referrals",
                    params={
                        "window_days": window,
                        "history_incomplete": rule,
                        "rereferrals": int(k[i]),
                        **more,
                    },
                )
            )
            if name == "rereferral_rate" and i <= len(cohorts):
                counts[group] = (int(k[i]), int(n[i]))
    return rows, counts


def _comparison_rows(
    counts: Mapping[str, tuple[int, int]], programme: str, comparison: str, window: int
) -> list[dict[str, Any]]:
    """rereferral_rate_difference and rereferral_rate_ratio, programme vs comparison."""
    from noream_eval.stats import rate_ratio, risk_difference

    k1, n1 = counts.get(programme, (0, 0))
    k0, n0 = counts.get(comparison, (0, 0))
    params = {
        "window_days": window,
        "history_incomplete": "left out",
        "programme": programme,
        "comparison": comparison,
        "k1": k1,
        "n1": n1,
        "k0": k0,
        "n0": n0,
    }
    specs = (
        ("rereferral_rate_difference", "difference in shares of referrals", risk_difference),
        ("rereferral_rate_ratio", "ratio of shares of referrals (risk ratio)", rate_ratio),
    )
    rows = []
    for name, unit, fn in specs:
        empty = [c for c, n in ((programme, n1), (comparison, n0)) if n == 0]
        values: dict[str, Any] = {"estimate": None}
        if empty:
            method = "not estimable: no referral classified in the " + " or the ".join(
                f"{c} cohort" for c in empty
            )
        else:
            try:
                res = fn(k1, n1, k0, n0)
            except StatsInputError as err:
                method = f"not estimable: {err}"
            else:
                top = res.to_frame().iloc[0]
                values = {k: float(top[k]) for k in ("estimate", "ci_low", "ci_high", "p_value")}
                notes = [d for d in res.details[1:]]
                method = "; ".join([f"{top['method']} ({programme} vs {comparison})", *notes])
        rows.append(
            indicator(
                OUTCOME,
                name,
                group="all",
                n=n1 + n0,
                method=method,
                unit=unit,
                params=params,
                **values,
            )
        )
    return rows


def rereferral_rates(
    referrals: pd.DataFrame,
    families: pd.DataFrame,
    *,
    window_days: int = 365,
    data_start: Any = None,
    programme_start: Any = None,
    cohorts: Sequence[str] = _COHORTS,
) -> pd.DataFrame:
    """The referral-based re-referral rates and the programme-comparison contrasts.

    Parameters
    ----------
    referrals, families
        Canonical tables; a referral's cohort is its family's ``cohort``, its
        site the referral's ``site``; each family's ``history_known_from``
        (with ``data_start``) limits what can be classified.
    window_days
        The re-referral window in days.
    data_start
        Date before which no history is known (None: only the families' dates).
    programme_start
        Splits the referrals into ``period:before`` and ``period:after``; None:
        no period groups.
    cohorts
        Cohort names, the programme cohort first and the comparison second
        (a single name: no contrasts).

    Returns
    -------
    pandas.DataFrame
        Indicator rows (:data:`~noream_eval.metrics.core.INDICATOR_COLUMNS`):

        - ``rereferral_rate`` (primary; referrals with incomplete history left
          out) and ``rereferral_rate_sensitivity`` (they count as not
          re-referred), each for the groups ``all``, every cohort,
          ``period:before``/``period:after`` and ``site:CODE`` for every site
          of the families or referrals; ``n`` = referrals classified;
        - ``rereferral_rate_difference`` and ``rereferral_rate_ratio``
          (programme cohort vs comparison, group ``all``, primary rule),
          ``n`` = referrals classified in the two cohorts; no rows when there
          is a single cohort.

    Notes
    -----
    For a group with :math:`n` referrals classified (same-day repeats left
    out; in the primary rate also those with incomplete history) of which
    :math:`k` are re-referrals, the rate is :math:`k/n` with the Wilson score
    interval. The difference :math:`k_1/n_1 - k_0/n_0` has Newcombe's hybrid
    score interval and the pooled z test; the ratio
    :math:`(k_1/n_1)/(k_0/n_0)` the Katz log interval (0.5 added to each
    count when a cohort has no re-referral), from :mod:`noream_eval.stats`.

    Missing data: a group with no referral to classify has ``n`` = 0 and no
    estimate (the method says so); a contrast with an empty cohort, or with no
    re-referral in either cohort, has no estimate and its method says why.
    The primary rule leaves out only referrals *not proved* to be
    re-referrals, so it leans upwards when many are left out; the
    sensitivity rate is a lower bound (see ``docs/outcomes.md``).

    References
    ----------
    Wilson EB (1927). JASA 22:209-212. Newcombe RG (1998). Stat Med
    17:873-890. Katz D et al. (1978). Biometrics 34:469-474.
    """
    _require(families, ("family_id", "cohort"), "families")
    window = _check_window(window_days)
    flags = flag_rereferrals(
        referrals,
        window_days=window,
        history_known_from=_family_history(families),
        data_start=data_start,
    )
    return indicator_table(
        _rates(flags, families, window, _timestamp(programme_start), tuple(cohorts))
    )


def _family_history(families: pd.DataFrame) -> pd.DataFrame | None:
    return families if "history_known_from" in families.columns else None


def _sites(flags: pd.DataFrame, families: pd.DataFrame) -> list[str]:
    values = set()
    for frame in (flags, families):
        if "site" in frame.columns:
            values |= set(_labels(frame["site"]))
    return sorted(values)


def _rates(
    flags: pd.DataFrame,
    families: pd.DataFrame,
    window: int,
    programme_start: pd.Timestamp | None,
    cohorts: tuple[str, ...],
) -> list[dict[str, Any]]:
    cohort = _cohort_of(flags, families)
    rows, counts = _rate_rows(
        flags,
        cohort,
        _sites(flags, families),
        window=window,
        programme_start=programme_start,
        cohorts=cohorts,
    )
    if len(cohorts) > 1:
        rows += _comparison_rows(counts, cohorts[0], cohorts[1], window)
    return rows


# --------------------------------------------------------------------------- Kaplan-Meier


def _km_families(
    flags: pd.DataFrame,
    families: pd.DataFrame,
    *,
    data_cut: pd.Timestamp,
    data_start: pd.Timestamp | None,
) -> tuple[pd.DataFrame, dict[str, int]]:
    """One row per family with an index referral and complete history: cohort, time, event."""
    _require(families, ("family_id", "cohort", "first_contact_date"), "families")
    fam = families.set_index("family_id")
    if not fam.index.is_unique:
        raise ValidationError("the families table names a family more than once.")
    refs = flags.loc[~flags["same_day_repeat"].to_numpy(dtype=bool), ["family_id", "referral_date"]]
    refs = refs.reset_index(drop=True).merge(
        families[["family_id", "first_contact_date"]], on="family_id", how="inner"
    )
    keep = (refs["referral_date"] >= refs["first_contact_date"]) & (
        refs["referral_date"] <= data_cut
    )
    refs = refs.loc[keep].sort_values(["family_id", "referral_date"], kind="stable")
    pos = refs.groupby("family_id", sort=False).cumcount().to_numpy()
    index_date = refs.loc[pos == 0].set_index("family_id")["referral_date"]
    next_date = refs.loc[pos == 1].set_index("family_id")["referral_date"]
    known = (
        fam["history_known_from"]
        if "history_known_from" in fam.columns
        else pd.Series(pd.NaT, index=fam.index, dtype="datetime64[ns]")
    )
    if data_start is not None:
        known = known.where(known >= data_start, data_start)
    first = pd.to_datetime(index_date.reindex(fam.index))
    nxt = pd.to_datetime(next_date.reindex(fam.index))
    has_index = first.notna().to_numpy()
    complete = (known.isna() | (fam["first_contact_date"] >= known)).to_numpy()
    use = has_index & complete
    event = nxt.notna().to_numpy()[use]
    end = nxt.where(nxt.notna(), data_cut)[use]
    time = (end - first[use]).dt.days.to_numpy(dtype=float)
    table = pd.DataFrame(
        {
            "cohort": fam["cohort"].astype(object).to_numpy()[use],
            "time": time,
            "event": event,
        }
    )
    excluded = {
        "families_without_index_referral": int((~has_index).sum()),
        "families_history_incomplete": int((has_index & ~complete).sum()),
    }
    return table, excluded


def _km_results(
    table: pd.DataFrame, excluded: Mapping[str, int], cohorts: Sequence[str], horizon: int
) -> tuple[list[dict[str, Any]], pd.DataFrame]:
    from noream_eval.stats import kaplan_meier

    method = (
        f"Kaplan-Meier, 1 - S({horizon} days), Greenwood SE, log-scale CI (as R survival::"
        "survfit); families without a re-referral censored at the data cut"
    )
    params = {"horizon_days": horizon, **excluded}
    rows = []
    km_table = pd.DataFrame({c: pd.Series(dtype=float) for c in _KM_COLUMNS})
    km_table["group"] = km_table["group"].astype(object)
    groups = ["all", *cohorts]
    fits = {}
    if len(table):
        fits["all"] = kaplan_meier(table["time"], table["event"])
        in_cohorts = table["cohort"].isin(list(cohorts)).to_numpy()
        if in_cohorts.any():
            sub = table.loc[in_cohorts]
            by = kaplan_meier(
                sub["time"],
                sub["event"],
                group=pd.Categorical(sub["cohort"], categories=list(cohorts)),
            )
            km_table = by.table.loc[:, list(_KM_COLUMNS)].reset_index(drop=True)
            km_table["group"] = km_table["group"].astype(str).astype(object)
            for c in by.groups:
                fits[str(c)] = by
    for g in groups:
        n = len(table) if g == "all" else int((table["cohort"] == g).sum())
        values: dict[str, Any] = {"estimate": None}
        text = method
        if g not in fits:
            text = "no estimate: no family with an index referral and complete history (n = 0)"
        else:
            at = fits[g].survival_at([horizon])
            at = at.loc[at["group"].astype(str) == g].iloc[0]
            if np.isnan(at["survival"]):
                text = (
                    f"no estimate: no family in this group was followed for {horizon} days "
                    "(the Kaplan-Meier curve ends earlier)"
                )
            else:
                values = {
                    "estimate": 1.0 - float(at["survival"]),
                    "ci_low": 1.0 - float(at["ci_high"]),
                    "ci_high": 1.0 - float(at["ci_low"]),
                }
                if not np.isfinite(values["ci_low"]):
                    values["ci_low"] = values["ci_high"] = None
        rows.append(
            indicator(
                OUTCOME,
                "rereferral_within_12m",
                group=g,
                n=n,
                method=text,
                unit="share of families",
                params=params,
                **values,
            )
        )
    return rows, km_table


def rereferral_within_12m(
    referrals: pd.DataFrame,
    families: pd.DataFrame,
    *,
    data_cut: Any,
    data_start: Any = None,
    cohorts: Sequence[str] = _COHORTS,
) -> pd.DataFrame:
    """Share of families re-referred within twelve months of their index referral (Kaplan-Meier).

    Parameters
    ----------
    referrals, families
        Canonical tables (families: ``family_id``, ``cohort``,
        ``first_contact_date``, ``history_known_from``).
    data_cut
        The date the exports were taken: families not re-referred are
        censored there.
    data_start
        Date before which no history is known (None: only the families' dates).
    cohorts
        Cohort names (one row each, plus ``all``).

    Returns
    -------
    pandas.DataFrame
        Indicator rows ``rereferral_within_12m`` for ``all`` and every cohort:
        ``estimate`` = :math:`1 - \\hat S(365)`, ``ci_low``/``ci_high`` from the
        log-scale Greenwood interval of :math:`\\hat S`, ``n`` = families
        analysed; ``params`` counts the families left out.

    Notes
    -----
    A family's *index referral* is its first referral on or after its
    ``first_contact_date`` (same-day repeats count once; referrals after the
    data cut are ignored). Time runs from the index referral to the family's
    next referral (the event) or to the data cut (censored), in days;
    :math:`\\hat S(t) = \\prod_{t_j \\le t}(1 - d_j/n_j)`, and the estimate is
    :math:`1 - \\hat S(365)`: families followed for less than a year count
    while they are followed instead of being dropped.

    Missing data: a family with no referral on or after its first contact has
    no index referral, and a family first contacted before its history is
    known (``history_known_from`` or ``data_start``) may have lost its index
    referral or re-referrals; both are left out and counted in ``params``
    (``families_without_index_referral``, ``families_history_incomplete``).
    A group with no family has ``n`` = 0 and no estimate; a group whose
    longest follow-up is under 365 days has no estimate (the curve is not
    defined there); the method says which.

    References
    ----------
    Kaplan EL, Meier P (1958). JASA 53:457-481. Greenwood M (1926). Reports on
    Public Health and Medical Subjects 33.
    """
    flags = flag_rereferrals(
        referrals, history_known_from=_family_history(families), data_start=data_start
    )
    table, excluded = _km_families(
        flags, families, data_cut=pd.Timestamp(data_cut), data_start=_timestamp(data_start)
    )
    rows, _ = _km_results(table, excluded, tuple(cohorts), _HORIZON_DAYS)
    return indicator_table(rows)


def rereferral_km(
    referrals: pd.DataFrame,
    families: pd.DataFrame,
    *,
    data_cut: Any,
    data_start: Any = None,
    cohorts: Sequence[str] = _COHORTS,
) -> pd.DataFrame:
    """The Kaplan-Meier curves of time to re-referral by cohort, with numbers at risk.

    Parameters
    ----------
    referrals, families, data_cut, data_start, cohorts
        As for :func:`rereferral_within_12m`.

    Returns
    -------
    pandas.DataFrame
        One row per cohort and distinct follow-up time (days): ``group`` (the
        cohort), ``time``, ``n_at_risk``, ``n_events``, ``n_censored``,
        ``survival`` (share not yet re-referred), ``se`` (Greenwood),
        ``ci_low``, ``ci_high`` (log-scale 95% interval); empty without families.

    Notes
    -----
    The curves of :func:`rereferral_within_12m` (same families, same rules).
    """
    flags = flag_rereferrals(
        referrals, history_known_from=_family_history(families), data_start=data_start
    )
    table, excluded = _km_families(
        flags, families, data_cut=pd.Timestamp(data_cut), data_start=_timestamp(data_start)
    )
    return _km_results(table, excluded, tuple(cohorts), _HORIZON_DAYS)[1]


# --------------------------------------------------------------------------- monthly series


def _monthly(
    flags: pd.DataFrame,
    cohort: pd.Series,
    cohorts: Sequence[str],
    data_start: pd.Timestamp | None,
    data_cut: pd.Timestamp | None,
) -> pd.DataFrame:
    date = flags["referral_date"].to_numpy(dtype="datetime64[ns]")
    keep = ~flags["same_day_repeat"].to_numpy(dtype=bool)
    if data_start is not None:
        keep &= date >= data_start.to_datetime64()
    if data_cut is not None:
        keep &= date <= data_cut.to_datetime64()
    labels = ["all", *cohorts]
    if not keep.any():
        empty = pd.DataFrame({c: pd.Series(dtype="int64") for c in _MONTHLY_COLUMNS})
        empty["month"] = empty["month"].astype("datetime64[ns]")
        empty["cohort"] = empty["cohort"].astype(object)
        empty["rate"] = empty["rate"].astype(float)
        return empty
    month = date[keep].astype("datetime64[M]").astype(np.int64)
    first = int(month.min())
    last = int(np.datetime64(data_cut, "M").astype(np.int64)) if data_cut is not None else None
    last = int(month.max()) if last is None else max(last, int(month.max()))
    n_months = last - first + 1
    code = np.full(len(flags), -1, dtype=np.int64)
    coh = cohort.to_numpy(dtype=object)
    for i, c in enumerate(cohorts, start=1):
        code[coh == c] = i
    code = code[keep]
    counts = {}
    for name, values in (
        ("referrals", np.ones(int(keep.sum()), dtype=bool)),
        ("rereferrals", flags["is_rereferral"].to_numpy(dtype=bool)[keep]),
        ("history_incomplete", flags["history_incomplete"].to_numpy(dtype=bool)[keep]),
    ):
        m = month - first
        total = np.bincount(m, weights=values, minlength=n_months)
        inside = code > 0
        by = np.bincount(
            (code[inside] - 1) * n_months + m[inside],
            weights=values[inside],
            minlength=len(cohorts) * n_months,
        )
        counts[name] = np.concatenate([total, by]).astype(np.int64)
    starts = np.arange(first, last + 1).astype("datetime64[M]")
    month_start = starts.astype("datetime64[D]")
    month_end = (starts + 1).astype("datetime64[D]")  # exclusive
    lo = month_start if data_start is None else np.maximum(month_start, data_start.to_datetime64())
    hi = (
        month_end
        if data_cut is None
        else np.minimum(month_end, (data_cut + pd.Timedelta(days=1)).to_datetime64())
    )
    days = np.maximum((hi - lo).astype("timedelta64[D]").astype(np.int64), 0)
    classified = counts["referrals"] - counts["history_incomplete"]
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(classified > 0, counts["rereferrals"] / classified, np.nan)
    return pd.DataFrame(
        {
            "month": np.tile(month_start.astype("datetime64[ns]"), len(labels)),
            "cohort": np.repeat(np.array(labels, dtype=object), n_months),
            "days": np.tile(days, len(labels)),
            "referrals": counts["referrals"],
            "rereferrals": counts["rereferrals"],
            "history_incomplete": counts["history_incomplete"],
            "rate": rate,
        }
    )


def monthly_referrals(
    referrals: pd.DataFrame,
    families: pd.DataFrame,
    *,
    window_days: int = 365,
    data_start: Any = None,
    data_cut: Any = None,
    cohorts: Sequence[str] = _COHORTS,
) -> pd.DataFrame:
    """Referrals and re-referrals per calendar month, for everyone and by cohort.

    Parameters
    ----------
    referrals, families
        Canonical tables.
    window_days
        The re-referral window in days.
    data_start, data_cut
        The months run from the first month with a referral on or after
        ``data_start`` to the month of ``data_cut`` (None: of the last referral).
    cohorts
        Cohort names.

    Returns
    -------
    pandas.DataFrame
        One row per cohort (``all`` first, then each cohort) and month:
        ``month`` (its first day), ``cohort``, ``days`` (days of the month from
        ``data_start`` to ``data_cut``: the exposure of the time series),
        ``referrals`` (family-days referred: same-day repeats count once),
        ``rereferrals``, ``history_incomplete`` and ``rate`` =
        rereferrals / (referrals - history_incomplete), NaN when nothing is
        classified. Months without referrals are rows of zeros.

    Notes
    -----
    Referrals before ``data_start`` or after ``data_cut`` are left out of the
    table (they still count as earlier referrals when flagging). A referral
    whose family has no cohort counts in ``all`` only.
    """
    window = _check_window(window_days)
    flags = flag_rereferrals(
        referrals,
        window_days=window,
        history_known_from=_family_history(families),
        data_start=data_start,
    )
    return _monthly(
        flags,
        _cohort_of(flags, families),
        tuple(cohorts),
        _timestamp(data_start),
        _timestamp(data_cut),
    )


# --------------------------------------------------------------------------- ITS


def _its_frame(
    monthly: pd.DataFrame,
    programme_start: pd.Timestamp,
    shocks: Mapping[str, tuple[Any, Any]],
) -> tuple[pd.DataFrame, list[str], list[str]]:
    """The series of the time-series model; shock columns; shocks left out (no month)."""
    _require(monthly, ("month", "referrals", "days"), "monthly referrals")
    series = monthly
    if "cohort" in monthly.columns:
        series = monthly.loc[monthly["cohort"] == "all"]
    series = series.sort_values("month").reset_index(drop=True)
    month = pd.to_datetime(series["month"]).dt.to_period("M")
    frame = pd.DataFrame(
        {
            "month": month.dt.to_timestamp(),
            "time": np.arange(1, len(series) + 1, dtype=np.int64),
            "referrals": series["referrals"].to_numpy(dtype=np.int64),
            "days": series["days"].to_numpy(dtype=float),
            "post": (month >= programme_start.to_period("M")).astype(np.int64).to_numpy(),
            "calendar_month": month.dt.month.to_numpy(dtype=np.int64),
        }
    )
    frame = frame.loc[frame["days"] > 0].reset_index(drop=True)
    columns, unused = [], []
    first_day = frame["month"]
    last_day = first_day + pd.offsets.MonthEnd(0)
    for name, (start, end) in shocks.items():
        col = f"shock_{name}"
        hit = (first_day <= pd.Timestamp(end)) & (last_day >= pd.Timestamp(start))
        if not hit.any() or hit.all():
            unused.append(name)
            continue
        frame[col] = hit.astype(np.int64).to_numpy()
        columns.append(col)
    return frame, columns, unused


def referrals_its(
    monthly: pd.DataFrame,
    *,
    programme_start: Any,
    its_family: str = "quasipoisson",
    harmonics: int = 1,
    slope_change: bool = True,
    newey_west: bool = True,
    shocks: Mapping[str, tuple[Any, Any]] | None = None,
) -> ITSFit:
    """Interrupted time series of the monthly number of referrals (all cohorts).

    Parameters
    ----------
    monthly
        :func:`monthly_referrals` (its ``all`` rows are used) or any table
        with ``month``, ``referrals`` and ``days``.
    programme_start
        The interruption: months from the one holding this date on are *post*.
    its_family, harmonics, slope_change, newey_west
        The model of the analysis plan (``[its]``): quasi-Poisson, one
        Fourier pair of the calendar month, a slope change and Newey-West
        standard errors by default.
    shocks
        Known shocks, name -> (first day, last day): a 0/1 column
        ``shock_NAME`` marks every month with a day in the shock. A shock
        touching no month, or every month, is left out (it cannot be fitted).

    Returns
    -------
    ITSFit
        From :func:`noream_eval.stats.its_fit`; ``.to_frame()``,
        ``.counterfactual()`` and ``.autocorrelation()`` give the tables.

    Raises
    ------
    StatsInputError
        When the series cannot support the model (too few months before or
        after the programme start, collinear terms, ...).

    Notes
    -----
    :math:`\\log E[Y_t] = \\log D_t + \\beta_0 + \\beta_1 t + \\beta_2 X_t +
    \\beta_3 X_t (t - t_0) + \\sum_k [\\gamma_k \\sin(2\\pi k m_t/12) +
    \\delta_k \\cos(2\\pi k m_t/12)] + \\sum_s \\eta_s Z_{st}` with
    :math:`Y_t` the referrals of month :math:`t` (1, 2, ...), :math:`D_t` its
    days observed, :math:`X_t` the post indicator, :math:`m_t` the calendar
    month and :math:`Z_{st}` the shock indicators: estimates are rate ratios
    of referrals per day. Months with no day observed are left out.

    References
    ----------
    Lopez Bernal J, Cummins S, Gasparrini A (2017). Interrupted time series
    regression for the evaluation of public health interventions: a tutorial.
    Int J Epidemiol 46:348-355.
    """
    from noream_eval.stats import its_fit

    start = _timestamp(programme_start)
    if start is None:
        raise StatsInputError("the time series needs programme_start (the interruption).")
    frame, columns, _ = _its_frame(monthly, start, dict(shocks or {}))
    return its_fit(
        frame,
        outcome="referrals",
        time="time",
        post="post",
        offset="days",
        covariates=columns,
        family=its_family,  # type: ignore[arg-type]
        harmonics=harmonics,
        period=12,
        season="calendar_month" if harmonics else None,
        slope_change=slope_change,
        newey_west=newey_west,
    )


def _empty(columns: Sequence[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})


def _its_part(
    monthly: pd.DataFrame, settings: Settings
) -> tuple[list[dict[str, Any]], dict[str, pd.DataFrame]]:
    plan = settings.plan
    tables = {
        "its_referrals": _empty(_ITS_COLUMNS),
        "its_referrals_counterfactual": _empty(_COUNTERFACTUAL_COLUMNS),
        "its_referrals_autocorrelation": _empty(_AUTOCORRELATION_COLUMNS),
    }
    start = settings.programme_start
    if start is None or monthly.empty:
        return [], tables
    params = {
        "programme_start": start,
        "family": plan.its_family,
        "harmonics": plan.its_harmonics,
        "slope_change": plan.its_slope_change,
        "newey_west": plan.its_newey_west,
        "shocks": {k: list(v) for k, v in plan.shocks.items()},
    }
    names = ["referrals_its_level_change"]
    if plan.its_slope_change:
        names.append("referrals_its_slope_change")
    unit = "rate ratio (referrals per day)"
    _, _, unused = _its_frame(monthly, start, plan.shocks)
    try:
        fit = referrals_its(
            monthly,
            programme_start=start,
            its_family=plan.its_family,
            harmonics=plan.its_harmonics,
            slope_change=plan.its_slope_change,
            newey_west=plan.its_newey_west,
            shocks=plan.shocks,
        )
    except StatsInputError as err:
        return [
            indicator(
                OUTCOME,
                name,
                n=int((monthly["cohort"] == "all").sum()) if "cohort" in monthly else None,
                estimate=None,
                method=f"not estimable: {err}",
                unit=unit,
                params=params,
            )
            for name in names
        ], tables
    effects = fit.to_frame()
    note = "; offset log(days observed in the month)"
    if plan.shocks:
        fitted = [k for k in plan.shocks if k not in unused]
        note += f"; shock terms: {', '.join(fitted) or 'none'}"
        if unused:
            note += f" (left out, touching no month or every month: {', '.join(unused)})"
    rows = []
    for name, term in zip(names, ("level_change", "slope_change"), strict=False):
        row = effects.loc[effects["term"] == term].iloc[0]
        rows.append(
            indicator(
                OUTCOME,
                name,
                n=int(row["n"]),
                estimate=float(row["estimate"]),
                ci_low=float(row["ci_low"]),
                ci_high=float(row["ci_high"]),
                p_value=float(row["p_value"]),
                method=str(row["method"]) + note,
                unit=unit,
                params=params,
            )
        )
    cf = fit.counterfactual()
    months = monthly.loc[monthly["cohort"] == "all"] if "cohort" in monthly else monthly
    by_time = pd.Series(
        pd.to_datetime(months.sort_values("month")["month"]).to_numpy(),
        index=np.arange(1, len(months) + 1, dtype=float),
    )
    cf.insert(0, "month", by_time.reindex(cf["time"].to_numpy()).to_numpy())
    tables["its_referrals"] = effects
    tables["its_referrals_counterfactual"] = cf
    tables["its_referrals_autocorrelation"] = fit.autocorrelation()
    return rows, tables


# --------------------------------------------------------------------------- compute


def _benchmark(rate: float | None) -> pd.DataFrame:
    if rate is None:
        frame = _empty(_BENCHMARK_COLUMNS)
        frame["rate"] = frame["rate"].astype(float)
        return frame
    return pd.DataFrame(
        {
            "indicator": ["rereferral_rate"],
            "rate": [float(rate)],
            "description": [
                "England: share of referrals to children's social care within 12 months of "
                "a previous referral (analysis plan benchmark_rereferral_rate)"
            ],
        }
    )


def compute(data: EvaluationData, settings: Settings) -> Part:
    """Every Outcome 1 indicator and supporting table of an evaluation.

    Parameters
    ----------
    data
        The canonical tables (referrals and families are used).
    settings
        Dates, cohorts, ``window_days`` and the analysis plan's time-series
        options, shocks and benchmark.

    Returns
    -------
    Part
        Indicators ``rereferral_rate``, ``rereferral_rate_sensitivity``,
        ``rereferral_rate_difference``, ``rereferral_rate_ratio`` (not with a
        single cohort), ``rereferral_within_12m``, ``referrals_its_level_change``
        and ``referrals_its_slope_change`` (with a programme start; the slope
        only when the plan fits one); tables ``monthly_referrals``,
        ``its_referrals``, ``its_referrals_counterfactual``,
        ``its_referrals_autocorrelation`` (empty without a programme start),
        ``rereferral_km`` and ``rereferral_benchmark`` (empty when the plan
        sets no benchmark). ``docs/outcomes.md`` lists their columns.
    """
    window = _check_window(int(settings.parameters["window_days"]))
    families = data.families
    cohorts = tuple(settings.cohorts)
    flags = flag_rereferrals(
        data.referrals,
        window_days=window,
        history_known_from=_family_history(families),
        data_start=settings.data_start,
    )
    rows = _rates(flags, families, window, settings.programme_start, cohorts)
    km_input, excluded = _km_families(
        flags, families, data_cut=settings.data_cut, data_start=settings.data_start
    )
    km_rows, km_table = _km_results(km_input, excluded, cohorts, _HORIZON_DAYS)
    rows += km_rows
    monthly = _monthly(
        flags, _cohort_of(flags, families), cohorts, settings.data_start, settings.data_cut
    )
    its_rows, its_tables = _its_part(monthly, settings)
    rows += its_rows
    tables = {
        "monthly_referrals": monthly,
        **its_tables,
        "rereferral_km": km_table,
        "rereferral_benchmark": _benchmark(settings.plan.benchmark_rereferral_rate),
    }
    return Part(indicators=rows, tables=tables)
