"""Outcome 6: coordination across council directorates.

How many council directorates SNACs and case consultations bring together,
and whether that grows over time (a Poisson regression of the count on time);
which directorates the case consultations involve; and the change in the
staff survey's cross-directorate coordination scale. ``docs/outcomes.md``
(outcome 6) defines every indicator.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from noream_eval.metrics.core import Part, indicator, indicator_table
from noream_eval.metrics.multiagency import mean_rows, mean_t, meeting_table
from noream_eval.metrics.staff import (
    COORDINATION_ITEMS,
    MIN_ITEMS,
    MIN_PAIRS,
    STAFF_INSTRUMENT,
    scale_by_timepoint,
    scale_change,
    scale_scores,
)
from noream_eval.schema import LEVELS, UNKNOWN

if TYPE_CHECKING:
    from noream_eval.data import EvaluationData
    from noream_eval.metrics.core import Settings

__all__ = [
    "compute",
    "consultations_by_directorate",
    "directorates_by_quarter",
    "directorates_per_meeting",
    "directorates_per_meeting_trend",
    "staff_coordination_change",
]

OUTCOME = "6"
_NO_MEETINGS = (
    "no meetings in the data (an empty meetings table is read as not exported, "
    "not as no meetings held)"
)
#: Days per year of the trend's time axis.
_YEAR_DAYS = 365.25


def directorates_per_meeting(meetings: pd.DataFrame, *, data_cut: Any) -> pd.DataFrame:
    """Council directorates represented per meeting (indicator ``directorates_per_meeting``).

    Parameters
    ----------
    meetings
        The canonical ``meetings`` table.
    data_cut
        Meetings after this date are left out.

    Returns
    -------
    pandas.DataFrame
        Indicator rows, groups ``all``, ``snac`` and ``case_consultation``;
        n = meetings with directorates recorded.

    Notes
    -----
    Mean over meetings of the distinct directorates listed, t interval. A
    meeting with no directorate listed is read as not recorded and left out
    (counted in ``params`` and the method).
    """
    table = meeting_table(meetings, data_cut=data_cut)
    rows = mean_rows(
        OUTCOME,
        "directorates_per_meeting",
        table,
        "directorates",
        unit="distinct council directorates per meeting",
        what="directorates listed",
        empty_reason=_NO_MEETINGS,
    )
    return indicator_table(rows)


def directorates_by_quarter(meetings: pd.DataFrame, *, data_cut: Any) -> pd.DataFrame:
    """Directorates per meeting, quarter by quarter.

    Parameters
    ----------
    meetings
        The canonical ``meetings`` table.
    data_cut
        Meetings after this date are left out.

    Returns
    -------
    pandas.DataFrame
        One row per calendar quarter from the first meeting's to the data
        cut's, columns ``quarter`` (``2021Q3``), ``meetings``, ``snacs``,
        ``consultations``, ``meetings_recorded`` (meetings with directorates
        listed), ``mean_directorates``, ``ci_low``, ``ci_high`` (t interval
        over meetings of the quarter), ``mean_directorates_snac`` and
        ``mean_directorates_consultation``. Empty without meetings.
    """
    cols = [
        "quarter",
        "meetings",
        "snacs",
        "consultations",
        "meetings_recorded",
        "mean_directorates",
        "ci_low",
        "ci_high",
        "mean_directorates_snac",
        "mean_directorates_consultation",
    ]
    table = meeting_table(meetings, data_cut=data_cut)
    if table.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
    first = pd.Period(table["quarter"].min(), freq="Q")
    last = pd.Timestamp(data_cut).to_period("Q")
    rows = []
    for q in pd.period_range(first, max(first, last), freq="Q"):
        part = table.loc[table["quarter"] == str(q)]
        vals = part["directorates"].to_numpy(dtype=float)
        m, lo, hi = mean_t(vals)
        snac = part.loc[part["kind"] == "snac", "directorates"].to_numpy(dtype=float)
        cc = part.loc[part["kind"] == "case_consultation", "directorates"].to_numpy(dtype=float)
        rows.append(
            (
                str(q),
                len(part),
                len(snac),
                len(cc),
                int((~np.isnan(vals)).sum()),
                m,
                lo,
                hi,
                mean_t(snac)[0],
                mean_t(cc)[0],
            )
        )
    out = pd.DataFrame(rows, columns=cols)
    ints = ("meetings", "snacs", "consultations", "meetings_recorded")
    return out.astype({c: "int64" for c in ints} | {"quarter": "string"})


def _poisson_trend(y: np.ndarray, years: np.ndarray, consult: np.ndarray | None) -> dict:
    """Poisson GLM log E[y] = a + b years (+ c consultation), HC1 sandwich errors."""
    from scipy import stats
    from statsmodels.genmod import families
    from statsmodels.genmod.generalized_linear_model import GLM

    cols = [np.ones_like(years), years] + ([consult] if consult is not None else [])
    x = np.column_stack(cols)
    fit = GLM(y, x, family=families.Poisson()).fit(cov_type="HC0")
    n, k = x.shape
    # HC1 = HC0 * n / (n - k), as sandwich::vcovHC(type = "HC1"); statsmodels' GLM "HC1"
    # does not rescale.
    se = float(fit.bse[1]) * math.sqrt(n / (n - k))
    b = float(fit.params[1])
    p = float(2 * stats.norm.sf(abs(b / se)))
    return {"b": b, "se": se, "p": p}


def directorates_per_meeting_trend(meetings: pd.DataFrame, *, data_cut: Any) -> pd.DataFrame:
    """Trend of directorates per meeting: rate ratio per year (``directorates_per_meeting_trend``).

    Parameters
    ----------
    meetings
        The canonical ``meetings`` table.
    data_cut
        Meetings after this date are left out.

    Returns
    -------
    pandas.DataFrame
        Indicator rows: group ``all`` (every meeting, adjusted for meeting
        kind) and ``snac`` (SNACs only); n = meetings with directorates
        recorded. ``estimate`` is the rate ratio per year, with its 95%
        interval and the p-value of no trend.

    Notes
    -----
    Poisson regression of the number of directorates :math:`y_i` at meeting
    :math:`i` on its date :math:`t_i` in years since the first meeting,
    :math:`\\log E[y_i] = \\alpha + \\beta t_i\\,(+\\,\\gamma\\,
    \\text{consultation}_i)`; estimate :math:`e^{\\beta}` with the Wald
    interval :math:`e^{\\beta \\pm 1.96\\,se}` and z-test, where *se* is the
    HC1 sandwich (robust) standard error (the HC0 sandwich times n / (n - k),
    k the number of coefficients): the count is bounded by the seven
    directorates, so its variance is not the Poisson one, and the sandwich
    keeps the interval valid for the log-linear mean whatever the variance
    (Zeileis 2006). Meetings without directorates listed are left out. Fewer
    than 3 meetings, or all on one day, give NaN with the reason.

    References
    ----------
    Zou, G. (2004). A modified Poisson regression approach to prospective
    studies with binary data. American Journal of Epidemiology 159, 702-706.

    Zeileis, A. (2006). Object-oriented computation of sandwich estimators.
    Journal of Statistical Software 16(9).
    """
    unit = "rate ratio of directorates per meeting, per year"
    name = "directorates_per_meeting_trend"
    table = meeting_table(meetings, data_cut=data_cut)
    if table.empty:
        rows = [
            indicator(OUTCOME, name, group=g, n=0, estimate=None, method=_NO_MEETINGS, unit=unit)
            for g in ("all", "snac")
        ]
        return indicator_table(rows)
    rec = table.loc[table["directorates"].notna()]
    t0 = rec["meeting_date"].min() if len(rec) else pd.NaT
    rows = []
    for group in ("all", "snac"):
        part = rec if group == "all" else rec.loc[rec["kind"] == "snac"]
        n = len(part)
        params: dict[str, Any] = {
            "time_origin": t0,
            "meetings_not_recorded": int(
                (table["directorates"].isna() & ((table["kind"] == group) | (group == "all"))).sum()
            ),
        }
        years = ((part["meeting_date"] - t0).dt.days / _YEAR_DAYS).to_numpy(dtype=float)
        if n < 3 or np.ptp(years) == 0:
            why = "fewer than 3 meetings" if n < 3 else "all meetings on one day"
            rows.append(
                indicator(
                    OUTCOME,
                    name,
                    group=group,
                    n=n,
                    estimate=None,
                    method=f"not estimable: {why} with directorates recorded",
                    unit=unit,
                    params=params,
                )
            )
            continue
        consult = None
        kinds = set(part["kind"])
        if group == "all" and len(kinds) > 1:
            consult = (part["kind"] == "case_consultation").to_numpy(dtype=float)
        fit = _poisson_trend(part["directorates"].to_numpy(dtype=float), years, consult)
        adj = " adjusted for meeting kind" if consult is not None else ""
        params["covariates"] = ["years"] + (["case_consultation"] if consult is not None else [])
        params["log_rate_ratio"] = fit["b"]
        params["se"] = fit["se"]
        rows.append(
            indicator(
                OUTCOME,
                name,
                group=group,
                n=n,
                estimate=math.exp(fit["b"]),
                ci_low=math.exp(fit["b"] - 1.959963984540054 * fit["se"]),
                ci_high=math.exp(fit["b"] + 1.959963984540054 * fit["se"]),
                p_value=fit["p"],
                method=f"Poisson regression of directorates per meeting on time (years){adj}; "
                "HC1 sandwich standard errors, Wald interval and z-test",
                unit=unit,
                params=params,
            )
        )
    return indicator_table(rows)


def consultations_by_directorate(meetings: pd.DataFrame, *, data_cut: Any) -> pd.DataFrame:
    """Case consultations (and SNACs) by council directorate represented.

    Parameters
    ----------
    meetings
        The canonical ``meetings`` table.
    data_cut
        Meetings after this date are left out.

    Returns
    -------
    pandas.DataFrame
        One row per directorate (the ``directorate`` levels, ``unknown``
        only when listed): ``directorate``, ``consultations`` (case
        consultations it was represented at), ``share_of_consultations``
        (of consultations with directorates recorded), ``snacs``,
        ``share_of_snacs`` (likewise). Shares are NaN when no meeting of the
        kind has directorates recorded. Empty without meetings.

    Notes
    -----
    The meetings table records who was present, not who asked for the
    consultation; a directorate represented at a consultation is the
    nearest measure of the directorates drawn into case work.
    """
    cols = ["directorate", "consultations", "share_of_consultations", "snacs", "share_of_snacs"]
    if meetings is None or meetings.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
    cut = pd.Timestamp(data_cut).normalize()
    m = meetings.loc[meetings["meeting_date"].notna() & (meetings["meeting_date"] <= cut)]
    sets = [
        {str(x) for x in v} if isinstance(v, list | tuple | np.ndarray) else set()
        for v in m["directorates"]
    ]
    kind = m["kind"].astype("string").to_numpy()
    listed = set().union(*sets) if sets else set()
    levels = list(LEVELS["directorate"]) + ([UNKNOWN] if UNKNOWN in listed else [])
    levels += sorted(listed - set(levels))
    rows = []
    recorded = np.array([len(s) > 0 for s in sets], dtype=bool)
    n_cc = int((recorded & (kind == "case_consultation")).sum())
    n_snac = int((recorded & (kind == "snac")).sum())
    for d in levels:
        has = np.array([d in s for s in sets], dtype=bool)
        cc = int((has & (kind == "case_consultation")).sum())
        sn = int((has & (kind == "snac")).sum())
        rows.append(
            (
                d,
                cc,
                cc / n_cc if n_cc else math.nan,
                sn,
                sn / n_snac if n_snac else math.nan,
            )
        )
    out = pd.DataFrame(rows, columns=cols)
    return out.astype(
        {
            "directorate": "string",
            "consultations": "int64",
            "share_of_consultations": "float64",
            "snacs": "int64",
            "share_of_snacs": "float64",
        }
    )


def staff_coordination_change(
    staff_responses: pd.DataFrame,
    *,
    instrument: str = STAFF_INSTRUMENT,
    baseline: str = "baseline",
    followup: str = "review",
    min_items: int = MIN_ITEMS,
    min_pairs: int = MIN_PAIRS,
) -> pd.DataFrame:
    """Change in the staff survey's cross-directorate coordination scale (items 5-8).

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
        Indicator rows ``staff_coordination_change``, groups ``all``
        (headline), ``paired`` and ``unpaired``: see
        :func:`noream_eval.metrics.staff.scale_change`.
    """
    return scale_change(
        staff_responses,
        outcome=OUTCOME,
        name="staff_coordination_change",
        items=COORDINATION_ITEMS,
        scale="cross-directorate coordination",
        instrument=instrument,
        baseline=baseline,
        followup=followup,
        min_items=min_items,
        min_pairs=min_pairs,
    )


def compute(data: EvaluationData, settings: Settings) -> Part:
    """Every outcome-6 indicator and supporting table.

    Returns
    -------
    Part
        Indicators ``directorates_per_meeting``,
        ``directorates_per_meeting_trend``, ``staff_coordination_change``;
        tables ``directorates_by_quarter``, ``consultations_by_directorate``,
        ``staff_coordination_by_timepoint``.
    """
    cut = settings.data_cut
    frames = [
        directorates_per_meeting(data.meetings, data_cut=cut),
        directorates_per_meeting_trend(data.meetings, data_cut=cut),
        staff_coordination_change(data.staff_responses),
    ]
    rows = [r for f in frames for r in f.to_dict("records")]
    scores = scale_scores(data.staff_responses, items=COORDINATION_ITEMS)
    tables = {
        "directorates_by_quarter": directorates_by_quarter(data.meetings, data_cut=cut),
        "consultations_by_directorate": consultations_by_directorate(data.meetings, data_cut=cut),
        "staff_coordination_by_timepoint": scale_by_timepoint(scores, scale="coordination"),
    }
    return Part(indicators=rows, tables=tables)
