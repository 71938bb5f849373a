"""Outcome 5: multi-agency support (SNACs, case consultations, MAP strategies, staff survey).

Statutory Neglect Assessment Conferences (SNACs) are planned monthly in every
programme site; case consultations are held when needed. From the ``meetings``
and ``meeting_cases`` tables this module measures how many SNACs were held
against plan, how many cases and agencies each meeting brought together and
how many enrolled families were discussed; from ``deliverables`` the Migrant
Aware Practice (MAP) strategies published per borough; from the staff survey
the change in the multi-agency-working scale. ``docs/outcomes.md`` (outcome 5)
defines every indicator. The meeting helpers here are shared with
:mod:`noream_eval.metrics.coordination`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from noream_eval.metrics._reuse import reused
from noream_eval.metrics.core import Part, cut_date, indicator, indicator_table
from noream_eval.metrics.staff import (
    MIN_ITEMS,
    MIN_PAIRS,
    MULTI_AGENCY_ITEMS,
    STAFF_INSTRUMENT,
    scale_by_timepoint,
    scale_change,
    scale_scores,
)
from noream_eval.schema import UNKNOWN

if TYPE_CHECKING:
    from noream_eval.data import EvaluationData
    from noream_eval.metrics.core import Settings

__all__ = [
    "MEETING_KINDS",
    "agencies_per_family",
    "agencies_per_meeting",
    "cases_per_meeting",
    "compute",
    "families_discussed_share",
    "map_strategies",
    "map_strategy_published",
    "meeting_table",
    "meetings_monthly",
    "programme_sites",
    "snacs_by_site",
    "snacs_held_share",
    "staff_multi_agency_change",
]

OUTCOME = "5"
#: Meeting kinds, as in the ``meeting_kind`` levels.
MEETING_KINDS: tuple[str, ...] = ("snac", "case_consultation")
_STATUS_ORDER = ("planned", "in_progress", "complete", "published")
_NO_MEETINGS = (
    "no meetings in the data (an empty meetings table is read as not exported, "
    "not as no meetings held)"
)


# --------------------------------------------------------------------------- shared helpers


def _known_site(values: pd.Series) -> pd.Series:
    """Site codes as text, NA where blank or ``unknown``."""
    s = values.astype("string").str.strip()
    return s.mask(s.isna() | (s == "") | (s.str.lower() == UNKNOWN))


def programme_sites(families: pd.DataFrame, *, data_cut: Any) -> tuple[str, ...]:
    """Sites (LA codes) with at least one family enrolled by the data cut.

    Parameters
    ----------
    families
        The canonical ``families`` table.
    data_cut
        The data cut date.

    Returns
    -------
    tuple of str
        Sorted site codes; blank and ``unknown`` sites are left out.
    """
    if families is None or families.empty:
        return ()
    enrolled = families["enrolled_date"].notna() & (families["enrolled_date"] <= cut_date(data_cut))
    sites = _known_site(families.loc[enrolled, "site"]).dropna().unique()
    return tuple(sorted(str(s) for s in sites))


def _list_count(values: pd.Series) -> np.ndarray:
    """Distinct entries of each list cell; NaN for an empty or missing list."""
    out = np.full(len(values), np.nan)
    for i, v in enumerate(values):
        if isinstance(v, list | tuple | np.ndarray) and len(v):
            out[i] = len({str(x) for x in v})
    return out


@reused
def meeting_table(
    meetings: pd.DataFrame,
    meeting_cases: pd.DataFrame | None = None,
    *,
    data_cut: Any,
    sites: Sequence[str] = (),
) -> pd.DataFrame:
    """One row per meeting held by the data cut, with its counts (no identifiers).

    Parameters
    ----------
    meetings, meeting_cases
        The canonical tables (``meeting_cases`` may be None: no cases counted).
    data_cut
        Meetings after this date are left out.
    sites
        Programme sites: when there is exactly one, meetings without a site
        belong to it.

    Returns
    -------
    pandas.DataFrame
        Columns ``meeting_id``, ``site`` (NA when unknown), ``meeting_date``,
        ``month`` (``YYYY-MM``), ``quarter`` (``YYYYQn``), ``kind``,
        ``cases`` (families linked in ``meeting_cases``, 0 when none),
        ``agencies`` and ``directorates`` (distinct entries listed; NaN when
        the list is empty: not recorded).
    """
    cols = [
        "meeting_id",
        "site",
        "meeting_date",
        "month",
        "quarter",
        "kind",
        "cases",
        "agencies",
        "directorates",
    ]
    if meetings is None or meetings.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
    m = meetings.loc[
        meetings["meeting_date"].notna() & (meetings["meeting_date"] <= cut_date(data_cut))
    ]
    site = (
        _known_site(m["site"])
        if "site" in m.columns
        else pd.Series(pd.NA, index=m.index, dtype="string")
    )
    if len(sites) == 1:
        site = site.fillna(sites[0])
    dates = pd.to_datetime(m["meeting_date"])
    if meeting_cases is not None and len(meeting_cases):
        counts = meeting_cases.groupby("meeting_id")["family_id"].nunique()
        cases = m["meeting_id"].map(counts).fillna(0).astype("int64")
    else:
        cases = pd.Series(0, index=m.index, dtype="int64")
    out = pd.DataFrame(
        {
            "meeting_id": m["meeting_id"].astype("string"),
            "site": site.astype("string"),
            "meeting_date": dates,
            "month": dates.dt.to_period("M").astype(str),
            "quarter": dates.dt.to_period("Q").astype(str),
            "kind": m["kind"].astype("string"),
            "cases": cases,
            "agencies": _list_count(m["agencies"]),
            "directorates": _list_count(m["directorates"]),
        }
    )
    return out.sort_values(["meeting_date", "meeting_id"]).reset_index(drop=True)


def mean_t(values: Any) -> tuple[float, float, float]:
    """Mean of the non-missing values with its 95% t interval (NaN where undefined).

    Examples
    --------
    >>> [round(v, 4) for v in mean_t([2, 4, 6])]
    [4.0, -0.9683, 8.9683]
    """
    from scipy import stats

    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    if len(x) == 0:
        return math.nan, math.nan, math.nan
    m = float(x.mean())
    if len(x) < 2:
        return m, math.nan, math.nan
    half = float(stats.t.ppf(0.975, len(x) - 1)) * float(x.std(ddof=1)) / math.sqrt(len(x))
    return m, m - half, m + half


def mean_rows(
    outcome: str,
    name: str,
    table: pd.DataFrame,
    column: str,
    *,
    unit: str,
    what: str,
    empty_reason: str,
) -> list[dict[str, Any]]:
    """Mean of ``column`` per meeting with a t interval: groups all, snac, case_consultation.

    Meetings with a missing value are left out and counted in ``params``.
    """
    rows = []
    for group in ("all", *MEETING_KINDS):
        part = table if group == "all" else table.loc[table["kind"] == group]
        vals = part[column].to_numpy(dtype=float) if len(part) else np.array([])
        n_missing = int(np.isnan(vals).sum())
        n = len(vals) - n_missing
        params = {"meetings": len(vals), "meetings_not_recorded": n_missing}
        if len(table) == 0:
            rows.append(
                indicator(
                    outcome, name, group=group, n=0, estimate=None, method=empty_reason, unit=unit
                )
            )
            continue
        if n == 0:
            why = "no meeting of this kind" if len(vals) == 0 else f"no meeting with {what}"
            rows.append(
                indicator(
                    outcome,
                    name,
                    group=group,
                    n=0,
                    estimate=None,
                    method=f"not estimable: {why}",
                    unit=unit,
                    params=params,
                )
            )
            continue
        m, lo, hi = mean_t(vals)
        method = "mean per meeting, t interval"
        if n == 1:
            method = "mean per meeting (one meeting: no interval)"
        if n_missing:
            method += f"; {n_missing} meeting(s) without {what} left out"
        rows.append(
            indicator(
                outcome,
                name,
                group=group,
                n=n,
                estimate=m,
                ci_low=lo,
                ci_high=hi,
                method=method,
                unit=unit,
                params=params,
            )
        )
    return rows


# --------------------------------------------------------------------------- SNACs held


def _month_range(first: pd.Period, last: pd.Period) -> list[pd.Period]:
    if last < first:
        return []
    return list(pd.period_range(first, last, freq="M"))


def _snac_schedule(table: pd.DataFrame, *, data_cut: Any, sites: Sequence[str]) -> pd.DataFrame:
    """One row per site (or ``all``) and planned month: SNACs held that month."""
    cut = cut_date(data_cut)
    cut_month = cut.to_period("M")
    cut_complete = bool(cut.is_month_end)
    snac = table.loc[table["kind"] == "snac"]
    cols = ["site", "month", "planned", "sites_planned", "snacs_held", "held"]
    if snac.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
    first_all = pd.Period(snac["month"].min(), freq="M")
    per_site = bool(snac["site"].notna().all())
    rows = []
    if per_site:
        units = sorted(set(sites) | set(snac["site"].dropna().astype(str)))
        for unit in units:
            mine = snac.loc[snac["site"] == unit, "month"].value_counts()
            start = pd.Period(min(mine.index), freq="M") if len(mine) else first_all
            months = _month_range(start, cut_month - 1)
            if cut_complete or str(cut_month) in mine.index:
                months.append(cut_month)
            for p in months:
                k = int(mine.get(str(p), 0))
                rows.append((unit, str(p), 1, 1, k, int(k > 0)))
    else:
        n_sites = max(len(sites), 1)
        counts = snac["month"].value_counts()
        months = _month_range(first_all, cut_month - 1)
        if cut_complete or str(cut_month) in counts.index:
            months.append(cut_month)
        for p in months:
            k = int(counts.get(str(p), 0))
            rows.append(("all", str(p), n_sites, n_sites, k, min(k, n_sites)))
    out = pd.DataFrame(rows, columns=cols)
    return out.astype({"site": "string", "month": "string"})


@reused
def snacs_by_site(
    meetings: pd.DataFrame, *, data_cut: Any, sites: Sequence[str] = ()
) -> pd.DataFrame:
    """SNACs held against the monthly plan, by site.

    Parameters
    ----------
    meetings
        The canonical ``meetings`` table.
    data_cut
        The data cut date.
    sites
        Programme sites (:func:`programme_sites`); a site with no SNAC at all
        is listed with none held.

    Returns
    -------
    pandas.DataFrame
        One row per site (``all`` when meetings carry no site and there is
        more than one programme site): ``site``, ``first_month``,
        ``last_month`` (first and last planned month), ``months_planned``
        (SNACs planned: one per site and month), ``months_held`` (planned
        SNACs held: months with at least one SNAC, at most one per site),
        ``snacs_held`` (SNAC meetings, more than one a month counted),
        ``share`` (``months_held / months_planned``).

    Notes
    -----
    A site's plan runs from the month of its first SNAC (the programme's
    first SNAC month for a site that never held one) to the month of the
    data cut; the data cut's month counts only when the cut is its last day
    or a SNAC was already held in it. Without a site on the meetings and
    with several programme sites, the plan is one SNAC per programme site
    and month from the programme's first SNAC month.
    """
    table = meeting_table(meetings, data_cut=data_cut, sites=sites)
    sched = _snac_schedule(table, data_cut=data_cut, sites=sites)
    cols = [
        "site",
        "first_month",
        "last_month",
        "months_planned",
        "months_held",
        "snacs_held",
        "share",
    ]
    rows = []
    for site, part in sched.groupby("site", sort=True):
        planned = int(part["sites_planned"].sum())
        held = int(part["held"].sum())
        rows.append(
            (
                str(site),
                str(part["month"].min()),
                str(part["month"].max()),
                planned,
                held,
                int(part["snacs_held"].sum()),
                held / planned if planned else math.nan,
            )
        )
    out = pd.DataFrame(rows, columns=cols)
    return out.astype(
        {
            "site": "string",
            "first_month": "string",
            "last_month": "string",
            "months_planned": "int64",
            "months_held": "int64",
            "snacs_held": "int64",
            "share": "float64",
        }
    )


def snacs_held_share(
    meetings: pd.DataFrame, *, data_cut: Any, sites: Sequence[str] = ()
) -> pd.DataFrame:
    """Share of planned monthly SNACs that were held (indicator ``snacs_held_share``).

    Parameters
    ----------
    meetings
        The canonical ``meetings`` table.
    data_cut
        The data cut date.
    sites
        Programme sites (:func:`programme_sites`).

    Returns
    -------
    pandas.DataFrame
        Indicator rows: group ``all`` (every site) and, with more than one
        site, one row per site; n = SNACs planned (site-months).

    Notes
    -----
    Estimate = planned site-months with a SNAC held / planned site-months
    (:func:`snacs_by_site` gives the plan), with a Wilson interval. No
    meetings at all, or no SNAC at all, gives a NaN estimate with the reason.
    """
    from noream_eval.stats import proportion_ci

    unit = "share of planned monthly SNACs held"
    by_site = snacs_by_site(meetings, data_cut=data_cut, sites=sites)
    params: dict[str, Any] = {"data_cut": cut_date(data_cut), "plan": "one SNAC per site and month"}
    if meetings is None or meetings.empty:
        return indicator_table(
            [
                indicator(
                    OUTCOME,
                    "snacs_held_share",
                    n=0,
                    estimate=None,
                    method=_NO_MEETINGS,
                    unit=unit,
                    params=params,
                )
            ]
        )
    if by_site.empty:
        return indicator_table(
            [
                indicator(
                    OUTCOME,
                    "snacs_held_share",
                    n=0,
                    estimate=None,
                    method="no SNAC recorded: the first SNAC month (the start of the plan) "
                    "is unknown",
                    unit=unit,
                    params=params,
                )
            ]
        )
    method = (
        "planned site-months with a SNAC held / planned site-months (one SNAC per site and "
        "month from the site's first SNAC month to the data cut); Wilson interval"
    )
    parts = [("all", by_site)]
    if len(by_site) > 1:
        parts += [(str(s), by_site.loc[by_site["site"] == s]) for s in by_site["site"]]
    rows = []
    for group, part in parts:
        held, planned = int(part["months_held"].sum()), int(part["months_planned"].sum())
        ci = proportion_ci(held, planned).to_frame().iloc[0]
        note = ""
        if group != "all" and int(part["snacs_held"].sum()) == 0:
            note = "; no SNAC recorded for this site (planned from the programme's first SNAC)"
        rows.append(
            indicator(
                OUTCOME,
                "snacs_held_share",
                group=group,
                n=planned,
                estimate=held / planned,
                ci_low=ci["ci_low"],
                ci_high=ci["ci_high"],
                method=method + note,
                unit=unit,
                params=params
                | {
                    "months_held": held,
                    "months_planned": planned,
                    "first_month": str(part["first_month"].min()),
                    "last_month": str(part["last_month"].max()),
                },
            )
        )
    return indicator_table(rows)


def meetings_monthly(
    meetings: pd.DataFrame,
    meeting_cases: pd.DataFrame,
    *,
    data_cut: Any,
    sites: Sequence[str] = (),
) -> pd.DataFrame:
    """Meetings month by month, all sites together.

    Parameters
    ----------
    meetings, meeting_cases
        The canonical tables.
    data_cut
        The data cut date.
    sites
        Programme sites (:func:`programme_sites`).

    Returns
    -------
    pandas.DataFrame
        One row per month from the first meeting's month to the data cut's
        month: ``month`` (``YYYY-MM``), ``snacs_held`` (SNAC meetings),
        ``snacs_planned`` (sites whose SNAC plan includes the month, see
        :func:`snacs_by_site`), ``consultations`` (case consultations),
        ``cases_discussed`` (family discussions: a family discussed at two
        meetings counts twice), ``families_discussed`` (distinct families),
        ``mean_agencies`` and ``mean_directorates`` (per meeting with the
        list recorded; NaN when none). Empty without meetings.
    """
    table = meeting_table(meetings, meeting_cases, data_cut=data_cut, sites=sites)
    cols = [
        "month",
        "snacs_held",
        "snacs_planned",
        "consultations",
        "cases_discussed",
        "families_discussed",
        "mean_agencies",
        "mean_directorates",
    ]
    if table.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
    sched = _snac_schedule(table, data_cut=data_cut, sites=sites)
    planned = sched.groupby("month")["sites_planned"].sum() if len(sched) else pd.Series()
    first = pd.Period(table["month"].min(), freq="M")
    months = [str(p) for p in _month_range(first, cut_date(data_cut).to_period("M"))]
    fam_month = pd.Series(dtype=object)
    if meeting_cases is not None and len(meeting_cases):
        mc = meeting_cases.merge(table[["meeting_id", "month"]], on="meeting_id", how="inner")
        fam_month = mc.groupby("month")["family_id"].nunique()
    by = table.groupby("month")
    out = pd.DataFrame({"month": months})
    out["snacs_held"] = out["month"].map(by["kind"].apply(lambda k: int((k == "snac").sum())))
    out["snacs_planned"] = out["month"].map(planned)
    out["consultations"] = out["month"].map(
        by["kind"].apply(lambda k: int((k == "case_consultation").sum()))
    )
    out["cases_discussed"] = out["month"].map(by["cases"].sum())
    out["families_discussed"] = out["month"].map(fam_month)
    for col in ("snacs_held", "snacs_planned", "consultations", "cases_discussed"):
        out[col] = out[col].fillna(0).astype("int64")
    out["families_discussed"] = out["families_discussed"].fillna(0).astype("int64")
    out["mean_agencies"] = out["month"].map(by["agencies"].mean()).astype("float64")
    out["mean_directorates"] = out["month"].map(by["directorates"].mean()).astype("float64")
    out["month"] = out["month"].astype("string")
    return out[cols]


# --------------------------------------------------------------------------- cases and agencies


def cases_per_meeting(
    meetings: pd.DataFrame, meeting_cases: pd.DataFrame, *, data_cut: Any
) -> pd.DataFrame:
    """Families discussed per meeting (indicator ``cases_per_meeting``).

    Parameters
    ----------
    meetings, meeting_cases
        The canonical tables.
    data_cut
        The data cut date.

    Returns
    -------
    pandas.DataFrame
        Indicator rows, groups ``all``, ``snac`` and ``case_consultation``;
        n = meetings.

    Notes
    -----
    Mean over meetings of the families linked to each meeting in
    ``meeting_cases`` (a meeting with none linked counts 0), with a t
    interval.
    """
    table = meeting_table(meetings, meeting_cases, data_cut=data_cut)
    rows = mean_rows(
        OUTCOME,
        "cases_per_meeting",
        table,
        "cases",
        unit="families discussed per meeting",
        what="cases",
        empty_reason=_NO_MEETINGS,
    )
    return indicator_table(rows)


def agencies_per_meeting(meetings: pd.DataFrame, *, data_cut: Any) -> pd.DataFrame:
    """Distinct agencies present per meeting (indicator ``agencies_per_meeting``).

    Parameters
    ----------
    meetings
        The canonical ``meetings`` table.
    data_cut
        The data cut date.

    Returns
    -------
    pandas.DataFrame
        Indicator rows, groups ``all``, ``snac`` and ``case_consultation``;
        n = meetings with agencies recorded.

    Notes
    -----
    Mean over meetings of the distinct agencies listed, t interval. A meeting
    with no agency listed is read as not recorded (every meeting has at
    least its chair's agency) and left out; the count left out is in
    ``params`` and the method.
    """
    table = meeting_table(meetings, data_cut=data_cut)
    rows = mean_rows(
        OUTCOME,
        "agencies_per_meeting",
        table,
        "agencies",
        unit="distinct agencies per meeting",
        what="agencies listed",
        empty_reason=_NO_MEETINGS,
    )
    return indicator_table(rows)


def agencies_per_family(
    meetings: pd.DataFrame, meeting_cases: pd.DataFrame, *, data_cut: Any
) -> pd.DataFrame:
    """Distinct agencies that discussed each family (indicator ``agencies_per_family``).

    Parameters
    ----------
    meetings, meeting_cases
        The canonical tables.
    data_cut
        The data cut date.

    Returns
    -------
    pandas.DataFrame
        One indicator row (group ``all``); n = families discussed at a
        meeting with agencies recorded.

    Notes
    -----
    For each family discussed, the distinct agencies present at any meeting
    that discussed it (the union over its meetings); mean over families with
    a t interval. Meetings with no agency listed are left out; a family
    discussed only at such meetings is left out (counted in ``params``).
    """
    unit = "distinct agencies per family discussed"
    if meetings is None or meetings.empty:
        row = indicator(
            OUTCOME, "agencies_per_family", n=0, estimate=None, method=_NO_MEETINGS, unit=unit
        )
        return indicator_table([row])
    m = meetings.loc[
        meetings["meeting_date"].notna() & (meetings["meeting_date"] <= cut_date(data_cut))
    ]
    mc = (
        meeting_cases.loc[meeting_cases["meeting_id"].isin(m["meeting_id"])]
        if meeting_cases is not None
        else pd.DataFrame(columns=["meeting_id", "family_id"])
    )
    ag = m[["meeting_id", "agencies"]].explode("agencies").dropna(subset=["agencies"])
    pairs = mc.merge(ag, on="meeting_id", how="inner")
    per_family = pairs.groupby("family_id")["agencies"].nunique()
    families = mc["family_id"].nunique()
    left_out = families - len(per_family)
    params = {"families_discussed": families, "families_without_agencies": left_out}
    if len(per_family) == 0:
        why = "no family discussed" if families == 0 else "no meeting with agencies listed"
        row = indicator(
            OUTCOME,
            "agencies_per_family",
            n=0,
            estimate=None,
            method=f"not estimable: {why}",
            unit=unit,
            params=params,
        )
        return indicator_table([row])
    est, lo, hi = mean_t(per_family.to_numpy(dtype=float))
    method = "mean over families discussed of the distinct agencies at their meetings; t interval"
    if left_out:
        method += f"; {left_out} family(ies) discussed only at meetings without agencies left out"
    row = indicator(
        OUTCOME,
        "agencies_per_family",
        n=len(per_family),
        estimate=est,
        ci_low=lo,
        ci_high=hi,
        method=method,
        unit=unit,
        params=params,
    )
    return indicator_table([row])


def families_discussed_share(
    families: pd.DataFrame,
    meetings: pd.DataFrame,
    meeting_cases: pd.DataFrame,
    *,
    data_cut: Any,
) -> pd.DataFrame:
    """Share of enrolled families discussed at a multi-agency meeting.

    Parameters
    ----------
    families, meetings, meeting_cases
        The canonical tables.
    data_cut
        The data cut date.

    Returns
    -------
    pandas.DataFrame
        Indicator rows ``families_discussed_share``: group ``all`` and, with
        more than one site, one per site; n = families enrolled by the cut.

    Notes
    -----
    Numerator: enrolled families linked to at least one SNAC or case
    consultation held by the data cut. Denominator: families with an
    ``enrolled_date`` on or before the data cut. Wilson interval. No
    meetings at all gives NaN (read as meetings not exported); a site whose
    families were never discussed gives 0.
    """
    from noream_eval.stats import proportion_ci

    unit = "share of enrolled families"
    name = "families_discussed_share"
    cut = cut_date(data_cut)
    fam = families.loc[families["enrolled_date"].notna() & (families["enrolled_date"] <= cut)]
    if fam.empty:
        row = indicator(
            OUTCOME,
            name,
            n=0,
            estimate=None,
            method="no family enrolled by the data cut",
            unit=unit,
        )
        return indicator_table([row])
    if meetings is None or meetings.empty:
        row = indicator(OUTCOME, name, n=0, estimate=None, method=_NO_MEETINGS, unit=unit)
        return indicator_table([row])
    held = meetings.loc[meetings["meeting_date"].notna() & (meetings["meeting_date"] <= cut)]
    discussed = set(
        meeting_cases.loc[meeting_cases["meeting_id"].isin(held["meeting_id"]), "family_id"]
    )
    flag = fam["family_id"].isin(discussed).to_numpy()
    site = _known_site(fam["site"]).fillna(UNKNOWN).to_numpy()
    groups = [("all", np.ones(len(fam), dtype=bool))]
    if len(set(site)) > 1:
        groups += [(s, site == s) for s in sorted(set(site))]
    rows = []
    for group, sel in groups:
        k, n = int(flag[sel].sum()), int(sel.sum())
        ci = proportion_ci(k, n).to_frame().iloc[0]
        method = (
            "enrolled families discussed at a SNAC or case consultation / families enrolled "
            "by the data cut; Wilson interval"
        )
        if k == 0:
            method += "; none of these families was discussed at a meeting"
        rows.append(
            indicator(
                OUTCOME,
                name,
                group=group,
                n=n,
                estimate=k / n,
                ci_low=ci["ci_low"],
                ci_high=ci["ci_high"],
                method=method,
                unit=unit,
                params={"discussed": k, "enrolled": n, "data_cut": cut},
            )
        )
    return indicator_table(rows)


# --------------------------------------------------------------------------- MAP strategies


@reused
def map_strategies(deliverables: pd.DataFrame, *, sites: Sequence[str] = ()) -> pd.DataFrame:
    """Migrant Aware Practice strategies by borough.

    Parameters
    ----------
    deliverables
        The canonical ``deliverables`` table.
    sites
        Programme sites: listed even when they have no MAP strategy row.

    Returns
    -------
    pandas.DataFrame
        One row per borough (programme sites and sites of ``map_strategy``
        rows): ``site``, ``strategies`` (rows), ``status`` (the furthest
        status: published > complete > in_progress > planned; ``none`` when
        the site has no row), ``published`` (``yes``/``no``), ``date``
        (earliest publication date; NaT when unpublished or undated).
        ``map_strategy`` rows without a site are left out. A strategy counts
        as published by its ``status``.
    """
    cols = ["site", "strategies", "status", "published", "date"]
    rows = []
    if deliverables is not None and len(deliverables):
        d = deliverables.loc[deliverables["kind"].astype("string") == "map_strategy"]
    else:
        d = pd.DataFrame(columns=["site", "status", "date"])
    site = _known_site(d["site"]) if len(d) else pd.Series(dtype="string")
    d = d.assign(site=site).dropna(subset=["site"])
    for s in sorted(set(sites) | set(d["site"].astype(str))):
        part = d.loc[d["site"] == s]
        status = part["status"].astype("string")
        rank = [_STATUS_ORDER.index(x) if x in _STATUS_ORDER else -1 for x in status.fillna("")]
        best = (
            _STATUS_ORDER[max(rank)]
            if rank and max(rank) >= 0
            else (UNKNOWN if len(part) else "none")
        )
        pub = (status == "published").fillna(False).to_numpy(dtype=bool)
        date = pd.to_datetime(part.loc[pub, "date"]).min() if pub.any() else pd.NaT
        rows.append((s, len(part), best, "yes" if pub.any() else "no", date))
    out = pd.DataFrame(rows, columns=cols)
    out["date"] = pd.to_datetime(out["date"])
    return out.astype(
        {"site": "string", "strategies": "int64", "status": "string", "published": "string"}
    )


def map_strategy_published(
    deliverables: pd.DataFrame, *, sites: Sequence[str] = ()
) -> pd.DataFrame:
    """Share of boroughs with a published MAP strategy (indicator ``map_strategy_published``).

    Parameters
    ----------
    deliverables
        The canonical ``deliverables`` table.
    sites
        Programme sites (counted even without a MAP strategy row).

    Returns
    -------
    pandas.DataFrame
        One indicator row (group ``all``); n = boroughs.

    Notes
    -----
    Boroughs with a ``map_strategy`` deliverable of status ``published`` /
    boroughs (programme sites and every site with a ``map_strategy`` row).
    The boroughs are all those taking part, not a sample: no interval. An
    empty deliverables table gives NaN (not exported).
    """
    unit = "share of boroughs with a published MAP strategy"
    name = "map_strategy_published"
    if deliverables is None or deliverables.empty:
        row = indicator(
            OUTCOME,
            name,
            n=0,
            estimate=None,
            method="no deliverables in the data (an empty table is read as not exported)",
            unit=unit,
        )
        return indicator_table([row])
    table = map_strategies(deliverables, sites=sites)
    if table.empty:
        row = indicator(
            OUTCOME,
            name,
            n=0,
            estimate=None,
            method="no MAP strategy recorded and no programme site known",
            unit=unit,
        )
        return indicator_table([row])
    k = int((table["published"] == "yes").sum())
    n = len(table)
    none = int((table["status"] == "none").sum())
    method = "boroughs with a published MAP strategy / boroughs (a census: no interval)"
    if none:
        method += f"; {none} programme site(s) without a MAP strategy row count as not published"
    row = indicator(
        OUTCOME,
        name,
        n=n,
        estimate=k / n,
        method=method,
        unit=unit,
        params={"published": k, "boroughs": n, "without_strategy_row": none},
    )
    return indicator_table([row])


# --------------------------------------------------------------------------- staff survey


def staff_multi_agency_change(
    staff_responses: pd.DataFrame,
    *,
    instrument: str = STAFF_INSTRUMENT,
    baseline: str = "baseline",
    followup: str = "review",
    min_items: int = MIN_ITEMS,
    min_pairs: int = MIN_PAIRS,
) -> pd.DataFrame:
    """Change in the staff survey's multi-agency-working scale (items 1-4).

    Parameters
    ----------
    staff_responses
        The canonical ``staff_responses`` table.
    instrument
        Registry name of the staff survey.
    baseline, followup
        Survey waves compared.
    min_items
        Fewest of the 4 items answered for a completion to be scored.
    min_pairs
        Fewest linked respondents for the paired estimate to be the headline.

    Returns
    -------
    pandas.DataFrame
        Indicator rows ``staff_multi_agency_change``, groups ``all``
        (headline), ``paired`` and ``unpaired``: see
        :func:`noream_eval.metrics.staff.scale_change`.
    """
    return scale_change(
        staff_responses,
        outcome=OUTCOME,
        name="staff_multi_agency_change",
        items=MULTI_AGENCY_ITEMS,
        scale="multi-agency working",
        instrument=instrument,
        baseline=baseline,
        followup=followup,
        min_items=min_items,
        min_pairs=min_pairs,
    )


# --------------------------------------------------------------------------- compute


def compute(data: EvaluationData, settings: Settings) -> Part:
    """Every outcome-5 indicator and supporting table.

    Returns
    -------
    Part
        Indicators ``snacs_held_share``, ``cases_per_meeting``,
        ``agencies_per_meeting``, ``agencies_per_family``,
        ``families_discussed_share``, ``map_strategy_published``,
        ``staff_multi_agency_change``; tables ``meetings_monthly``,
        ``snacs_by_site``, ``map_strategies``,
        ``staff_multi_agency_by_timepoint``.
    """
    cut = settings.data_cut
    sites = programme_sites(data.families, data_cut=cut)
    frames = [
        snacs_held_share(data.meetings, data_cut=cut, sites=sites),
        cases_per_meeting(data.meetings, data.meeting_cases, data_cut=cut),
        agencies_per_meeting(data.meetings, data_cut=cut),
        agencies_per_family(data.meetings, data.meeting_cases, data_cut=cut),
        families_discussed_share(data.families, data.meetings, data.meeting_cases, data_cut=cut),
        map_strategy_published(data.deliverables, sites=sites),
        staff_multi_agency_change(data.staff_responses),
    ]
    rows = [r for f in frames for r in f.to_dict("records")]
    scores = scale_scores(data.staff_responses, items=MULTI_AGENCY_ITEMS)
    tables = {
        "meetings_monthly": meetings_monthly(
            data.meetings, data.meeting_cases, data_cut=cut, sites=sites
        ),
        "snacs_by_site": snacs_by_site(data.meetings, data_cut=cut, sites=sites),
        "map_strategies": map_strategies(data.deliverables, sites=sites),
        "staff_multi_agency_by_timepoint": scale_by_timepoint(scores, scale="multi_agency"),
    }
    return Part(indicators=rows, tables=tables)
