"""Outcome 2: dependence on section 17 support - escalation to s17 and s17 episodes.

Families with No Recourse to Public Funds can get council support only under
section 17 of the Children Act (accommodation and subsistence payments). This
module measures how soon families escalate to s17 support after first contact
and how long they stay on it:

- escalation (:func:`escalation_times`, :func:`escalation_indicators`,
  :func:`escalation_km`, :func:`escalation_at_risk`): time from first contact to
  the first s17 payment, by Kaplan-Meier, the log-rank test and Cox regression;
- episodes (:func:`episode_lengths`, :func:`episode_indicators`,
  :func:`episode_km`, :func:`caseload`): days on s17 support, the median episode
  length (ongoing episodes censored at the data cut) and the number of families
  on s17 at each month end.

The cost of s17 support, the programme's own cost and the cost-consequence
scenario are in :mod:`noream_eval.metrics.costs`; :func:`compute` returns both.
``docs/outcomes.md`` (Outcome 2) defines every indicator and table.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from noream_eval.errors import ConfigError, StatsInputError
from noream_eval.metrics.core import DEFAULT_COHORTS, Part, cut_date, indicator, indicator_table
from noream_eval.plan import AnalysisPlan

if TYPE_CHECKING:
    from noream_eval.data import EvaluationData
    from noream_eval.metrics.core import Settings
    from noream_eval.stats.survival import KaplanMeier

__all__ = [
    "AT_RISK_MONTHS",
    "BASELINE_COVARIATES",
    "DAYS_PER_MONTH",
    "STATUSES",
    "caseload",
    "compute",
    "episode_indicators",
    "episode_km",
    "episode_lengths",
    "escalation_at_risk",
    "escalation_indicators",
    "escalation_km",
    "escalation_times",
]

OUTCOME = "2"
#: Days in a month (a Julian year over 12): 6 months = 182.625 days, 12 = 365.25.
DAYS_PER_MONTH: float = 365.25 / 12
#: Months at which numbers at risk are tabulated under an escalation curve.
AT_RISK_MONTHS: tuple[int, ...] = (0, 3, 6, 9, 12, 18, 24)
#: Families columns a Cox model may adjust for: known at first contact.
BASELINE_COVARIATES: tuple[str, ...] = (
    "site",
    "n_children",
    "youngest_child_age_band",
    "immigration_status",
)
#: Status of a family in the escalation analysis (``escalation_times``).
STATUSES: tuple[str, ...] = (
    "escalated",
    "censored_data_cut",
    "censored_exit",
    "excluded_on_s17_before_first_contact",
    "excluded_first_contact_after_data_cut",
    "excluded_exit_before_first_contact",
)
_EXCLUDED = {s for s in STATUSES if s.startswith("excluded")}
_BCA = "bootstrap BCa"


# --------------------------------------------------------------------- helpers


def _cohort_list(cohorts: Sequence[str]) -> tuple[str, ...]:
    out = tuple(str(c) for c in cohorts)
    if not out:
        raise StatsInputError("give at least one cohort (the programme cohort first).")
    if len(set(out)) != len(out):
        raise StatsInputError(f"cohorts are listed more than once: {list(out)}.")
    return out


def _cohort_of(families: pd.DataFrame) -> pd.Series:
    """The families' cohort as plain text, indexed by family_id."""
    return pd.Series(
        families["cohort"].astype("string").to_numpy(),
        index=families["family_id"].astype("string").to_numpy(),
        dtype="string",
    )


def _not_estimated(
    name: str,
    *,
    group: str,
    unit: str,
    reason: str,
    n: int | None = None,
    params: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """An indicator row with no estimate, saying why in ``method``."""
    return indicator(
        OUTCOME,
        name,
        n=n,
        estimate=None,
        method=f"not estimable: {reason}",
        unit=unit,
        group=group,
        params=params,
    )


def _boot_mean(
    values: np.ndarray, *, seed: int, n_resamples: int
) -> tuple[float, float, float, str]:
    """Mean with a BCa bootstrap interval; no interval (and why) when it cannot be had."""
    from noream_eval.stats import bootstrap_ci

    est = float(np.mean(values))
    if len(values) < 2:
        return est, np.nan, np.nan, "mean; no interval (fewer than 2 families)"
    try:
        res = bootstrap_ci(np.mean, values, seed=seed, n_resamples=n_resamples, method="bca")
    except StatsInputError as err:
        return est, np.nan, np.nan, f"mean; no bootstrap interval ({err})"
    return est, res.ci_low, res.ci_high, f"mean, {res.method_label}"


def _month_ends(first: pd.Timestamp, data_cut: pd.Timestamp) -> pd.DatetimeIndex:
    """Month ends from the one on or after ``first`` to the last on or before the cut."""
    return pd.date_range(first.normalize(), data_cut.normalize(), freq="ME")


# ------------------------------------------------------------------ escalation


def escalation_times(
    families: pd.DataFrame,
    payments: pd.DataFrame,
    *,
    data_cut: Any,
    censor_at_exit: bool = False,
) -> pd.DataFrame:
    """Time from first contact to the first section 17 payment, one row per family.

    Parameters
    ----------
    families
        Canonical ``families`` (``family_id``, ``cohort``, ``first_contact_date``,
        ``exit_date``).
    payments
        Canonical ``payments`` (``family_id``, ``payment_date``, ``scheme``,
        ``amount_gbp``).
    data_cut
        The date the exports were taken.
    censor_at_exit
        False (the default): follow-up ends at the data cut for every family,
        whether or not its case was closed, because a closed case can come back
        and be supported under s17 (the payments ledger records every s17 payment
        of the council). True: a family whose case closed before any s17 payment
        is censored at its ``exit_date``, and later payments are ignored (a
        sensitivity analysis; see Notes).

    Returns
    -------
    pandas.DataFrame
        One row per family, in the order of ``families``:

        - ``family_id``, ``cohort`` (text);
        - ``first_contact_date`` (the time origin), ``first_s17_date`` (the first
          positive s17 payment on or before the data cut; NaT if none),
          ``exit_date``;
        - ``duration_days`` (float): days from first contact to the first s17
          payment, or to the censoring date; NaN for excluded families;
        - ``escalated`` (bool): the first s17 payment ends the follow-up;
        - ``status``: ``escalated``, ``censored_data_cut``, ``censored_exit``,
          ``excluded_on_s17_before_first_contact`` (the family was already on
          s17 at first contact: it cannot escalate and is left out),
          ``excluded_first_contact_after_data_cut`` or
          ``excluded_exit_before_first_contact`` (only with ``censor_at_exit``);
        - ``included`` (bool): the family enters the escalation analysis.

    Notes
    -----
    The event is the first s17 payment (``scheme == "s17"`` and a positive
    amount; refunds and NOREAM grants are not support). A referral outcome
    ``s17_assessment`` is not the event: an assessment need not lead to
    support, and the payments ledger is the record of support. A payment on the
    day of first contact is an escalation at day 0. A payment before first
    contact means the family was on s17 already: it is excluded (status above)
    and counted by the indicators.

    Censoring at exit would bias the estimate whenever closed cases can
    escalate later: the families censored at exit are then those that would
    have escalated late or never, and the remaining risk set is enriched with
    early escalators. In the shipped sample's generator (``escalation`` in
    ``noream_eval/sample/world.py``) escalation is independent of case closure,
    closed cases do escalate later, and comparison families on s17 have their
    exit reset to the end of their support, so censoring at exit
    raises the comparison cohort's 12-month escalation share from 0.31 to 0.48.

    Missing data: ``first_contact_date`` is required in the canonical table; a
    missing ``exit_date`` means the case was open at the data cut.

    Examples
    --------
    >>> fam = pd.DataFrame({
    ...     "family_id": ["f1", "f2", "f3"], "cohort": ["noream", "comparison", "noream"],
    ...     "first_contact_date": pd.to_datetime(["2021-01-01", "2021-01-01", "2021-03-01"]),
    ...     "exit_date": pd.to_datetime([None, "2021-02-01", None])})
    >>> pay = pd.DataFrame({
    ...     "family_id": ["f1", "f3"], "scheme": ["s17", "s17"], "amount_gbp": [300.0, 50.0],
    ...     "payment_date": pd.to_datetime(["2021-04-11", "2021-02-01"])})
    >>> escalation_times(fam, pay, data_cut="2021-12-31")[["duration_days", "status"]]
       duration_days                                status
    0          100.0                             escalated
    1          364.0                     censored_data_cut
    2            NaN  excluded_on_s17_before_first_contact
    """
    cut = cut_date(data_cut)
    amount = pd.to_numeric(payments["amount_gbp"], errors="coerce").to_numpy(dtype=float)
    pdate = pd.to_datetime(payments["payment_date"])
    paid = (
        (payments["scheme"].astype("string") == "s17").to_numpy(dtype=bool, na_value=False)
        & (amount > 0)
        & (pdate <= cut).to_numpy(dtype=bool, na_value=False)
    )
    first = (
        pd.DataFrame(
            {
                "family_id": payments["family_id"].astype("string").to_numpy()[paid],
                "d": pdate.to_numpy()[paid],
            }
        )
        .groupby("family_id")["d"]
        .min()
    )
    ids = families["family_id"].astype("string")
    fc = pd.to_datetime(families["first_contact_date"]).reset_index(drop=True)
    ex = pd.to_datetime(families["exit_date"]).reset_index(drop=True)
    first_pay = pd.Series(
        pd.to_datetime(first.reindex(ids.to_numpy())).to_numpy(dtype="datetime64[ns]")
    )
    has_pay = first_pay.notna().to_numpy()
    before = (first_pay < fc).to_numpy(dtype=bool)
    late = (fc > cut).to_numpy(dtype=bool)
    event = has_pay & ~before & ~late
    end = first_pay.where(event, cut)
    status = np.where(event, "escalated", "censored_data_cut").astype(object)
    if censor_at_exit:
        exited = (ex.notna() & (ex < end)).to_numpy(dtype=bool) & ~before & ~late
        end = end.where(~exited, ex)
        event &= ~exited
        status[exited] = "censored_exit"
        bad_exit = exited & (ex < fc).to_numpy(dtype=bool)
        status[bad_exit] = "excluded_exit_before_first_contact"
    status[before] = "excluded_on_s17_before_first_contact"
    status[late] = "excluded_first_contact_after_data_cut"
    included = ~np.isin(status, list(_EXCLUDED))
    duration = (end - fc).dt.days.to_numpy(dtype=float)
    duration[~included] = np.nan
    return pd.DataFrame(
        {
            "family_id": ids.reset_index(drop=True),
            "cohort": families["cohort"].astype("string").reset_index(drop=True),
            "first_contact_date": fc,
            "first_s17_date": first_pay,
            "exit_date": ex,
            "duration_days": duration,
            "escalated": event & included,
            "status": pd.Series(status, dtype="string"),
            "included": included,
        }
    )


def _analysed(esc: pd.DataFrame, cohorts: Sequence[str]) -> pd.DataFrame:
    """Included families of the named cohorts, cohort as an ordered categorical."""
    keep = esc["included"].to_numpy(dtype=bool) & esc["cohort"].isin(cohorts).to_numpy(
        dtype=bool, na_value=False
    )
    sub = esc.loc[keep].reset_index(drop=True)
    present = [c for c in cohorts if (sub["cohort"] == c).any()]
    sub["cohort"] = pd.Categorical(sub["cohort"].astype(object), categories=present)
    return sub


def _fit_km(sub: pd.DataFrame, duration: str, event: str) -> KaplanMeier | None:
    from noream_eval.stats import kaplan_meier

    if sub.empty:
        return None
    return kaplan_meier(
        sub[duration].to_numpy(dtype=float),
        sub[event].to_numpy(dtype=float),
        group=sub["cohort"],
    )


def _exclusions(esc: pd.DataFrame, cohorts: Sequence[str]) -> dict[str, int]:
    counts = esc["status"].value_counts()
    out = {s: int(counts.get(s, 0)) for s in sorted(_EXCLUDED)}
    other = ~esc["cohort"].isin(cohorts).to_numpy(dtype=bool, na_value=True)
    out["families_not_in_the_cohorts"] = int(other.sum())
    return out


def _escalation_rows(
    esc: pd.DataFrame,
    families: pd.DataFrame,
    *,
    cohorts: tuple[str, ...],
    months: Sequence[int],
    covariates: Sequence[str],
    censor_at_exit: bool,
) -> list[dict[str, Any]]:
    base = {
        "time_origin": "first_contact_date",
        "event": "first s17 payment",
        "censoring": "data cut and exit" if censor_at_exit else "data cut",
        **_exclusions(esc, cohorts),
    }
    sub = _analysed(esc, cohorts)
    km = _fit_km(sub, "duration_days", "escalated")
    rows: list[dict[str, Any]] = []
    horizons = [int(m) for m in months]
    at = (
        km.survival_at([m * DAYS_PER_MONTH for m in horizons]) if km is not None else pd.DataFrame()
    )
    for cohort in cohorts:
        in_c = sub[sub["cohort"] == cohort]
        n = len(in_c)
        for m in horizons:
            name = f"s17_escalation_{m}m"
            days = m * DAYS_PER_MONTH
            params = {**base, "months": m, "horizon_days": days}
            unit = f"share of families escalating to s17 within {m} months of first contact"
            if n == 0:
                rows.append(
                    _not_estimated(
                        name,
                        group=cohort,
                        unit=unit,
                        n=0,
                        params=params,
                        reason=f"no family of cohort {cohort!r} in the escalation analysis",
                    )
                )
                continue
            hit = at[(at["group"] == cohort) & np.isclose(at["time"], days)].iloc[0]
            events = int(in_c["escalated"].to_numpy()[in_c["duration_days"] <= days].sum())
            params["events_by_horizon"] = events
            if np.isnan(hit["survival"]):
                longest = float(in_c["duration_days"].max())
                rows.append(
                    _not_estimated(
                        name,
                        group=cohort,
                        unit=unit,
                        n=n,
                        params=params,
                        reason=f"no family of cohort {cohort!r} is followed for {m} months "
                        f"(longest follow-up {longest:g} days)",
                    )
                )
                continue
            method = "1 - Kaplan-Meier survival at the horizon; Greenwood log-scale 95% CI"
            lo, hi = 1.0 - hit["ci_high"], 1.0 - hit["ci_low"]
            if events == 0:
                lo = hi = np.nan
                method += (
                    "; no escalation by the horizon in this cohort, so the Greenwood "
                    "interval is degenerate and none is given"
                )
            rows.append(
                indicator(
                    OUTCOME,
                    name,
                    n=n,
                    estimate=1.0 - float(hit["survival"]),
                    ci_low=lo,
                    ci_high=hi,
                    method=method,
                    unit=unit,
                    group=cohort,
                    params=params,
                )
            )
    rows.append(_logrank_row(sub, cohorts, base))
    rows.append(_hazard_ratio_row(sub, families, cohorts, covariates, base))
    return rows


def _two_cohorts(sub: pd.DataFrame, cohorts: tuple[str, ...]) -> str | None:
    """Why the programme and comparison cohorts cannot be compared (None if they can)."""
    if len(cohorts) < 2:
        return "single-cohort design (no comparison cohort), so there is nothing to compare"
    for c in cohorts[:2]:
        if not (sub["cohort"] == c).any():
            return f"no family of cohort {c!r} in the escalation analysis"
    if not sub.loc[sub["cohort"].isin(cohorts[:2]), "escalated"].any():
        return "no family escalated to s17 in either cohort"
    return None


def _logrank_row(
    sub: pd.DataFrame, cohorts: tuple[str, ...], base: dict[str, Any]
) -> dict[str, Any]:
    from noream_eval.stats import logrank

    name, unit = "s17_escalation_logrank", "log-rank chi-square statistic (1 df)"
    why = _two_cohorts(sub, cohorts)
    if why is not None:
        return _not_estimated(name, group="all", unit=unit, reason=why, params=base)
    two = sub[sub["cohort"].isin(cohorts[:2])]
    res = logrank(
        two["duration_days"].to_numpy(dtype=float),
        two["escalated"].to_numpy(dtype=float),
        group=pd.Categorical(two["cohort"].astype(object), categories=list(cohorts[:2])),
    )
    row = res.to_frame().iloc[0]
    by = res.by_group.set_index("group")
    params = {
        **base,
        "cohorts": list(cohorts[:2]),
        "observed": {str(g): float(by.loc[g, "observed"]) for g in by.index},
        "expected": {str(g): float(by.loc[g, "expected"]) for g in by.index},
    }
    return indicator(
        OUTCOME,
        name,
        n=int(row["n"]),
        estimate=float(row["statistic"]),
        p_value=float(row["p_value"]),
        method=f"log-rank test of time to first s17 payment, {cohorts[0]} vs {cohorts[1]}; "
        f"{int(row['n_events'])} escalations",
        unit=unit,
        group="all",
        params=params,
    )


def _check_covariates(covariates: Sequence[str], families: pd.DataFrame) -> list[str]:
    covs = [str(c) for c in covariates]
    for c in covs:
        if c not in BASELINE_COVARIATES:
            raise ConfigError(
                f"[analysis] cox_covariates names {c!r}; the escalation model adjusts only "
                f"for families columns known at first contact: {list(BASELINE_COVARIATES)}."
            )
        if c not in families.columns:
            raise ConfigError(
                f"[analysis] cox_covariates names {c!r}, which is not a column of the "
                "families table."
            )
    if len(set(covs)) != len(covs):
        raise ConfigError(f"[analysis] cox_covariates lists a column twice: {covs}.")
    return covs


def _hazard_ratio_row(
    sub: pd.DataFrame,
    families: pd.DataFrame,
    cohorts: tuple[str, ...],
    covariates: Sequence[str],
    base: dict[str, Any],
) -> dict[str, Any]:
    from noream_eval.stats import cox

    name = "s17_escalation_hazard_ratio"
    covs = _check_covariates(covariates, families)
    params: dict[str, Any] = {**base, "covariates": covs, "ties": "efron"}
    why = _two_cohorts(sub, cohorts)
    if why is None:
        programme, comparison = cohorts[0], cohorts[1]
        unit = f"hazard ratio of escalation, {programme} vs {comparison}"
    else:
        unit = "hazard ratio of escalation, programme vs comparison cohort"
        return _not_estimated(name, group="all", unit=unit, reason=why, params=params)
    two = sub[sub["cohort"].isin(cohorts[:2])].reset_index(drop=True)
    term = "programme_cohort"
    frame = pd.DataFrame(
        {
            "duration": two["duration_days"].to_numpy(dtype=float),
            "event": two["escalated"].to_numpy(dtype=float),
            term: (two["cohort"] == programme).to_numpy(dtype=float),
        }
    )
    if covs:
        extra = families.set_index(families["family_id"].astype("string"))[covs]
        extra = extra.reindex(two["family_id"].astype("string").to_numpy()).reset_index(drop=True)
        for c in covs:
            col = extra[c]
            numeric = pd.api.types.is_numeric_dtype(col.dtype) or pd.api.types.is_bool_dtype(
                col.dtype
            )
            if numeric and not isinstance(col.dtype, pd.CategoricalDtype):
                frame[c] = col.astype("Float64").to_numpy(dtype=float, na_value=np.nan)
            else:
                frame[c] = col
    complete = frame.notna().all(axis=1)
    dropped: list[str] = []
    used: list[str] = []
    for c in covs:
        col = frame.loc[complete, c]
        if col.nunique(dropna=True) < 2:
            dropped.append(c)
        else:
            used.append(c)
    if dropped:
        frame = frame.drop(columns=dropped)
        complete = frame.notna().all(axis=1)
    params["covariates_used"] = used
    params["covariates_dropped_single_value"] = dropped
    try:
        fit = cox(frame, duration="duration", event="event", covariates=[term, *used])
    except StatsInputError as err:
        return _not_estimated(name, group="all", unit=unit, reason=str(err), params=params)
    row = fit.to_frame().set_index("term").loc[term]
    used_rows = complete.to_numpy(dtype=bool)
    events = {
        c: int(two.loc[used_rows & (two["cohort"] == c).to_numpy(), "escalated"].sum())
        for c in cohorts[:2]
    }
    params.update(
        {
            "n_events": fit.n_events,
            "events_by_cohort": events,
            "n_dropped_missing_covariate": fit.n_dropped,
            "coef": float(row["coef"]),
            "se": float(row["se"]),
            "lr_statistic": fit.lr_statistic,
        }
    )
    adjusted = f"adjusted for {', '.join(used)}" if used else "unadjusted"
    if dropped:
        adjusted += f" ({', '.join(dropped)} dropped: one value among the families used)"
    return indicator(
        OUTCOME,
        name,
        n=fit.n,
        estimate=float(row["estimate"]),
        ci_low=float(row["ci_low"]),
        ci_high=float(row["ci_high"]),
        p_value=float(row["p_value"]),
        method=f"Cox proportional hazards (Efron ties), Wald 95% CI and p-value, {adjusted}; "
        f"{fit.n} families, {fit.n_events} escalations",
        unit=unit,
        group="all",
        params=params,
    )


def escalation_indicators(
    families: pd.DataFrame,
    payments: pd.DataFrame,
    *,
    data_cut: Any,
    cohorts: Sequence[str] = DEFAULT_COHORTS,
    months: Sequence[int] = AnalysisPlan.escalation_months,
    covariates: Sequence[str] = AnalysisPlan.cox_covariates,
    censor_at_exit: bool = False,
) -> pd.DataFrame:
    """Escalation to s17: shares escalating by each horizon, log-rank test, hazard ratio.

    Parameters
    ----------
    families, payments
        Canonical tables.
    data_cut
        The date the exports were taken (end of follow-up).
    cohorts
        Cohort names, the programme cohort first and the comparison second
        (``[evaluation] cohorts``).
    months
        Horizons of the escalation shares (``[analysis] escalation_months``).
    covariates
        Families columns the Cox model adjusts for besides the cohort
        (``[analysis] cox_covariates``); only :data:`BASELINE_COVARIATES`.
    censor_at_exit
        See :func:`escalation_times` (False follows every family to the data cut).

    Returns
    -------
    pandas.DataFrame
        Indicator rows (:data:`~noream_eval.metrics.core.INDICATOR_COLUMNS`):

        - ``s17_escalation_{m}m`` per cohort and horizon: share of families
          with a first s17 payment within ``m`` months of first contact,
          ``1 - S(m * 365.25 / 12)`` from the Kaplan-Meier curve, Greenwood
          log-scale 95% CI (of S, transformed); n = families;
        - ``s17_escalation_logrank`` (group ``all``): log-rank chi-square
          statistic as the estimate, its p-value; n = families;
        - ``s17_escalation_hazard_ratio`` (group ``all``): Cox hazard ratio of
          the programme cohort vs the comparison, Efron ties, Wald CI and
          p-value, adjusted for ``covariates``; n = families used; events,
          events by cohort and dropped rows in ``params``.

        A row that cannot be estimated has an empty estimate and says why in
        ``method`` (a single cohort, a cohort without families, no family
        followed to the horizon, no escalation, a model that does not converge).

    Raises
    ------
    ConfigError
        A covariate that is not a baseline families column.

    Notes
    -----
    Kaplan-Meier: :math:`\\hat S(t) = \\prod_{t_j \\le t}(1 - d_j/n_j)`; the
    share escalating by :math:`h` days is :math:`1 - \\hat S(h)`, with the
    interval :math:`1 - [\\hat S e^{\\pm z\\,\\mathrm{se}(\\log \\hat S)}]`. Follow-up is
    in whole days, so the 12-month share (365.25 days) counts payments up to
    day 365. Cox: :math:`h(t) = h_0(t)\\exp(\\beta\\,\\text{programme} +
    \\gamma^\\top x)`; the estimate is :math:`e^{\\hat\\beta}`. Categorical
    covariates are dummy-coded against their first level (``unknown`` is a
    level of its own); a covariate with one value among the families used is
    dropped and named in ``method``.

    Missing data: families already on s17 at first contact are excluded and
    counted in ``params``; a family with a missing numeric covariate is left
    out of the Cox model (complete cases; ``n_dropped_missing_covariate``).

    References
    ----------
    Kaplan EL, Meier P (1958). JASA 53:457-481. Mantel N (1966). Cancer
    Chemotherapy Reports 50:163-170. Cox DR (1972). JRSS B 34:187-220.
    Efron B (1977). JASA 72:557-565.
    """
    esc = escalation_times(families, payments, data_cut=data_cut, censor_at_exit=censor_at_exit)
    rows = _escalation_rows(
        esc,
        families,
        cohorts=_cohort_list(cohorts),
        months=months,
        covariates=covariates,
        censor_at_exit=censor_at_exit,
    )
    return indicator_table(rows)


def _km_frame(km: KaplanMeier | None) -> pd.DataFrame:
    cols = ["cohort", "time", "n_at_risk", "n_events", "n_censored", "survival", "se"]
    if km is None:
        return pd.DataFrame(
            {c: pd.Series(dtype="string" if c == "cohort" else "float64") for c in cols}
            | {"ci_low": pd.Series(dtype="float64"), "ci_high": pd.Series(dtype="float64")}
        )
    out = km.table.rename(columns={"group": "cohort"})
    out["cohort"] = out["cohort"].astype("string")
    return out.reset_index(drop=True)


def escalation_km(
    families: pd.DataFrame,
    payments: pd.DataFrame,
    *,
    data_cut: Any,
    cohorts: Sequence[str] = DEFAULT_COHORTS,
    censor_at_exit: bool = False,
) -> pd.DataFrame:
    """Kaplan-Meier table of time to the first s17 payment, by cohort.

    Parameters
    ----------
    families, payments, data_cut, cohorts, censor_at_exit
        As for :func:`escalation_indicators`.

    Returns
    -------
    pandas.DataFrame
        One row per cohort and distinct follow-up time (days since first
        contact): ``cohort``, ``time``, ``n_at_risk``, ``n_events``,
        ``n_censored``, ``survival`` (share not yet escalated), ``se``
        (Greenwood), ``ci_low``, ``ci_high`` (log-scale 95% CI of survival).
        Empty (with these columns) when no family is analysed.

    Notes
    -----
    Events before censorings at tied times, as in R ``survfit``. Families
    already on s17 at first contact are left out.
    """
    esc = escalation_times(families, payments, data_cut=data_cut, censor_at_exit=censor_at_exit)
    sub = _analysed(esc, _cohort_list(cohorts))
    return _km_frame(_fit_km(sub, "duration_days", "escalated"))


def _at_risk_frame(km: KaplanMeier | None, months: Sequence[int]) -> pd.DataFrame:
    cols = {
        "cohort": "string",
        "months": "int64",
        "time_days": "float64",
        "n_at_risk": "int64",
        "n_events_cumulative": "int64",
        "n_censored_cumulative": "int64",
    }
    if km is None:
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in cols.items()})
    mm = [int(m) for m in months]
    tab = km.at_risk([m * DAYS_PER_MONTH for m in mm])
    out = pd.DataFrame(
        {
            "cohort": tab["group"].astype("string"),
            "months": np.tile(mm, len(km.groups)),
            "time_days": tab["time"].to_numpy(dtype=float),
            "n_at_risk": tab["n_at_risk"].to_numpy(dtype="int64"),
            "n_events_cumulative": tab["n_events_cumulative"].to_numpy(dtype="int64"),
            "n_censored_cumulative": tab["n_censored_cumulative"].to_numpy(dtype="int64"),
        }
    )
    return out.astype(cols)


def escalation_at_risk(
    families: pd.DataFrame,
    payments: pd.DataFrame,
    *,
    data_cut: Any,
    cohorts: Sequence[str] = DEFAULT_COHORTS,
    months: Sequence[int] = AT_RISK_MONTHS,
    censor_at_exit: bool = False,
) -> pd.DataFrame:
    """Numbers at risk of escalation by cohort at given months since first contact.

    Parameters
    ----------
    families, payments, data_cut, cohorts, censor_at_exit
        As for :func:`escalation_indicators`.
    months
        Months since first contact (``months * 365.25 / 12`` days).

    Returns
    -------
    pandas.DataFrame
        ``cohort``, ``months``, ``time_days``, ``n_at_risk`` (families followed
        at least that long without escalating), ``n_events_cumulative``,
        ``n_censored_cumulative`` (escalations and censorings up to then): the
        numbers drawn under a Kaplan-Meier plot.
    """
    esc = escalation_times(families, payments, data_cut=data_cut, censor_at_exit=censor_at_exit)
    sub = _analysed(esc, _cohort_list(cohorts))
    return _at_risk_frame(_fit_km(sub, "duration_days", "escalated"), months)


# -------------------------------------------------------------------- episodes


def episode_lengths(
    episodes: pd.DataFrame, families: pd.DataFrame, *, data_cut: Any
) -> pd.DataFrame:
    """Length of each s17 episode in days, ongoing episodes running to the data cut.

    Parameters
    ----------
    episodes
        Canonical ``s17_episodes`` (``end_date`` NaT = ongoing at the data cut).
    families
        Canonical ``families`` (for the cohort).
    data_cut
        The date the exports were taken.

    Returns
    -------
    pandas.DataFrame
        One row per episode: ``family_id``, ``cohort``, ``start_date``,
        ``end_date``, ``ongoing`` (bool), ``days`` (``end_date - start_date``,
        or ``data_cut - start_date`` when ongoing; an episode of a single
        payment lasts 0 days), ``ended`` (1 = the episode ended, 0 = censored
        at the data cut).

    Examples
    --------
    >>> eps = pd.DataFrame({"family_id": ["f1", "f1"],
    ...     "start_date": pd.to_datetime(["2021-01-01", "2021-06-01"]),
    ...     "end_date": pd.to_datetime(["2021-03-01", None])})
    >>> fam = pd.DataFrame({"family_id": ["f1"], "cohort": ["noream"]})
    >>> episode_lengths(eps, fam, data_cut="2021-12-31")[["days", "ongoing", "ended"]]
        days  ongoing  ended
    0   59.0    False      1
    1  213.0     True      0
    """
    cut = cut_date(data_cut)
    cohort = _cohort_of(families)
    start = pd.to_datetime(episodes["start_date"]).reset_index(drop=True)
    end = pd.to_datetime(episodes["end_date"]).reset_index(drop=True)
    ongoing = end.isna().to_numpy()
    stop = end.where(~end.isna(), cut)
    ids = episodes["family_id"].astype("string").reset_index(drop=True)
    return pd.DataFrame(
        {
            "family_id": ids,
            "cohort": pd.Series(ids.map(cohort).to_numpy(), dtype="string"),
            "start_date": start,
            "end_date": end,
            "ongoing": ongoing,
            "days": (stop - start).dt.days.to_numpy(dtype=float),
            "ended": (~ongoing).astype("int64"),
        }
    )


def _episode_groups(ep: pd.DataFrame, cohorts: tuple[str, ...]) -> pd.DataFrame:
    """Episodes of the named cohorts with cohort as an ordered categorical."""
    sub = ep[ep["cohort"].isin(cohorts).to_numpy(dtype=bool, na_value=False)].reset_index(drop=True)
    present = [c for c in cohorts if (sub["cohort"] == c).any()]
    sub["cohort"] = pd.Categorical(sub["cohort"].astype(object), categories=present)
    return sub


def _family_days(ep: pd.DataFrame) -> pd.Series:
    """Days on s17 per family with support (sum over its episodes)."""
    return ep.groupby("family_id")["days"].sum()


def _month_end_counts(ep: pd.DataFrame, ends: pd.DatetimeIndex, cut: pd.Timestamp) -> np.ndarray:
    """Episodes covering each month end (start <= month end <= end, or the cut)."""
    if len(ends) == 0 or ep.empty:
        return np.zeros(len(ends), dtype="int64")
    stop = ep["end_date"].where(ep["end_date"].notna(), cut)
    first = np.searchsorted(ends.to_numpy(), ep["start_date"].to_numpy(), side="left")
    last = np.searchsorted(ends.to_numpy(), stop.to_numpy(), side="right")
    diff = np.zeros(len(ends) + 1, dtype="int64")
    ok = last > first
    np.add.at(diff, first[ok], 1)
    np.add.at(diff, last[ok], -1)
    return np.cumsum(diff[:-1])


def caseload(
    episodes: pd.DataFrame,
    families: pd.DataFrame,
    *,
    data_cut: Any,
    cohorts: Sequence[str] = DEFAULT_COHORTS,
) -> pd.DataFrame:
    """Families on s17 support at each month end, by cohort and for all families.

    Parameters
    ----------
    episodes, families, data_cut
        As for :func:`episode_lengths`.
    cohorts
        Cohorts tabulated one by one (``all`` counts every family).

    Returns
    -------
    pandas.DataFrame
        ``month_end`` (date), ``cohort`` (a cohort or ``all``),
        ``families_on_s17``: families with an episode that started on or before
        the month end and had not ended before it (an ongoing episode runs to the
        data cut). Month ends run from the one on or after the earliest first
        contact or episode start to the last one on or before the data cut.

    Notes
    -----
    An episode ends at its last payment, so a family whose last payment falls
    a few days before a month end is not counted at that month end. The
    canonical episodes of a family never overlap, so counting episodes counts
    families.
    """
    cut = cut_date(data_cut)
    cohort_list = _cohort_list(cohorts)
    ep = episode_lengths(episodes, families, data_cut=cut)
    dates = [pd.to_datetime(families["first_contact_date"]).min(), ep["start_date"].min()]
    dates = [d for d in dates if pd.notna(d)]
    ends = _month_ends(min(dates), cut) if dates else pd.DatetimeIndex([])
    frames = []
    for label in ("all", *cohort_list):
        part = ep if label == "all" else ep[(ep["cohort"] == label).fillna(False)]
        frames.append(
            pd.DataFrame(
                {
                    "month_end": ends,
                    "cohort": pd.Series([label] * len(ends), dtype="string"),
                    "families_on_s17": _month_end_counts(part, ends, cut),
                }
            )
        )
    out = pd.concat(frames, ignore_index=True)
    out["month_end"] = pd.to_datetime(out["month_end"]).astype("datetime64[ns]")
    out["families_on_s17"] = out["families_on_s17"].astype("int64")
    return out


def episode_km(
    episodes: pd.DataFrame,
    families: pd.DataFrame,
    *,
    data_cut: Any,
    cohorts: Sequence[str] = DEFAULT_COHORTS,
) -> pd.DataFrame:
    """Kaplan-Meier table of s17 episode length, ongoing episodes censored at the cut.

    Parameters
    ----------
    episodes, families, data_cut, cohorts
        As for :func:`caseload`.

    Returns
    -------
    pandas.DataFrame
        As :func:`escalation_km` with ``time`` = days since the episode's first
        payment and ``survival`` = share of episodes still going: ``cohort``
        (each cohort, then ``all``), ``time``, ``n_at_risk``, ``n_events``
        (episodes ending), ``n_censored`` (ongoing at the data cut),
        ``survival``, ``se``, ``ci_low``, ``ci_high``.
    """
    cut = cut_date(data_cut)
    ep_all = episode_lengths(episodes, families, data_cut=cut)
    ep = _episode_groups(ep_all, _cohort_list(cohorts))
    return pd.concat([_km_frame(k) for k in _episode_kms(ep, ep_all)], ignore_index=True)


def _episode_kms(ep: pd.DataFrame, ep_all: pd.DataFrame) -> list[KaplanMeier | None]:
    """Kaplan-Meier curves of episode length by cohort (``ep``) and of every episode."""
    by_cohort = _fit_km(ep, "days", "ended")
    pooled = None
    if not ep_all.empty:
        pooled = _fit_km(
            ep_all.assign(cohort=pd.Categorical(["all"] * len(ep_all), categories=["all"])),
            "days",
            "ended",
        )
    return [by_cohort, pooled]


def episode_indicators(
    episodes: pd.DataFrame,
    families: pd.DataFrame,
    *,
    data_cut: Any,
    cohorts: Sequence[str] = DEFAULT_COHORTS,
    seed: int = AnalysisPlan.seed,
    n_resamples: int = AnalysisPlan.bootstrap_resamples,
) -> pd.DataFrame:
    """Days on s17 support, median episode length and families on s17 now.

    Parameters
    ----------
    episodes, families, data_cut, cohorts
        As for :func:`caseload`.
    seed, n_resamples
        Bootstrap seed and resamples (``[analysis] seed``,
        ``bootstrap_resamples``).

    Returns
    -------
    pandas.DataFrame
        Indicator rows, one per cohort and for ``all``:

        - ``s17_days_on_support``: mean days on s17 (summed over a family's
          episodes, ongoing episodes counted to the data cut) per family with
          at least one episode; BCa bootstrap 95% CI over families; n =
          families with support;
        - ``s17_median_episode_days``: Kaplan-Meier median episode length in
          days, ongoing episodes censored at the data cut; Brookmeyer-Crowley
          95% CI (log scale, as R ``survfit`` prints); n = episodes; empty with
          the reason when the curve does not fall to 0.5 ("not reached");
        - ``s17_families_on_support``: families on s17 at the latest month end
          on or before the data cut (``params.month_end``); n = families of the
          group.

    Notes
    -----
    Days on support are observed up to the data cut, so a cohort with shorter
    follow-up (a later cohort) shows fewer days; the median episode length
    handles this by censoring. Families without any s17 episode are not in
    the denominator of ``s17_days_on_support``; they are counted in
    ``params.families_without_support``.

    References
    ----------
    Efron B (1987). Better bootstrap confidence intervals. JASA 82:171-185.
    Brookmeyer R, Crowley J (1982). Biometrics 38:29-41.
    """
    rows = _episode_rows(
        episodes,
        families,
        data_cut=data_cut,
        cohorts=_cohort_list(cohorts),
        seed=seed,
        n_resamples=n_resamples,
    )
    return indicator_table(rows)


def _episode_rows(
    episodes: pd.DataFrame,
    families: pd.DataFrame,
    *,
    data_cut: Any,
    cohorts: tuple[str, ...],
    seed: int,
    n_resamples: int,
) -> list[dict[str, Any]]:
    cut = cut_date(data_cut)
    cohort_list = cohorts
    ep_all = episode_lengths(episodes, families, data_cut=cut)
    ep = _episode_groups(ep_all, cohort_list)
    cohort = _cohort_of(families)
    rows: list[dict[str, Any]] = []
    days = _family_days(ep_all)
    latest = cut if cut.is_month_end else cut - pd.offsets.MonthEnd(1)
    for label in (*cohort_list, "all"):
        fam_ids = cohort.index if label == "all" else cohort.index[(cohort == label).fillna(False)]
        d = days[days.index.isin(fam_ids)].to_numpy(dtype=float)
        params = {
            "families": len(fam_ids),
            "families_without_support": int(len(fam_ids) - len(d)),
            "to": "data cut",
        }
        unit = "days on s17 per family supported"
        if len(d) == 0:
            rows.append(
                _not_estimated(
                    "s17_days_on_support",
                    group=label,
                    unit=unit,
                    n=0,
                    params=params,
                    reason="no family of this group had s17 support",
                )
            )
        else:
            est, lo, hi, how = _boot_mean(d, seed=seed, n_resamples=n_resamples)
            rows.append(
                indicator(
                    OUTCOME,
                    "s17_days_on_support",
                    n=len(d),
                    estimate=est,
                    ci_low=lo,
                    ci_high=hi,
                    method=f"{how}; days from each episode's first to last payment "
                    "(to the data cut if ongoing), summed per family",
                    unit=unit,
                    group=label,
                    params={**params, "seed": seed, "n_resamples": n_resamples},
                )
            )
        part = ep_all if label == "all" else ep_all[(ep_all["cohort"] == label).fillna(False)]
        count = int(_month_end_counts(part, pd.DatetimeIndex([latest]), cut)[0])
        rows.append(
            indicator(
                OUTCOME,
                "s17_families_on_support",
                n=len(fam_ids),
                estimate=count,
                method="families with an s17 episode covering the latest month end on or "
                "before the data cut (ongoing episodes run to the data cut)",
                unit="families on s17 at the month end",
                group=label,
                params={"month_end": latest},
            )
        )
    by_cohort, pooled = _episode_kms(ep, ep_all)
    for label in (*cohort_list, "all"):
        km = pooled if label == "all" else by_cohort
        unit = "days (median s17 episode length)"
        n_ep = len(ep_all) if label == "all" else int((ep["cohort"] == label).sum())
        if km is None or label not in km.groups:
            rows.append(
                _not_estimated(
                    "s17_median_episode_days",
                    group=label,
                    unit=unit,
                    n=0,
                    reason="no s17 episode in this group",
                )
            )
            continue
        med = km.median.set_index("group").loc[label]
        tab = km.table[km.table["group"] == label]
        params = {
            "episodes_ended": int(tab["n_events"].sum()),
            "episodes_ongoing_censored": int(tab["n_censored"].sum()),
        }
        method = (
            "Kaplan-Meier median, ongoing episodes censored at the data cut; "
            "Brookmeyer-Crowley 95% CI (log scale, R survfit)"
        )
        if np.isnan(med["median"]):
            rows.append(
                _not_estimated(
                    "s17_median_episode_days",
                    group=label,
                    unit=unit,
                    n=n_ep,
                    params=params,
                    reason="median not reached: more than half of the episodes are still "
                    "going at their longest follow-up",
                )
            )
            continue
        if np.isnan(med["ci_high"]):
            method += "; upper limit not reached"
        rows.append(
            indicator(
                OUTCOME,
                "s17_median_episode_days",
                n=n_ep,
                estimate=float(med["median"]),
                ci_low=float(med["ci_low"]),
                ci_high=float(med["ci_high"]),
                method=method,
                unit=unit,
                group=label,
                params=params,
            )
        )
    return rows


# --------------------------------------------------------------------- compute


def compute(data: EvaluationData, settings: Settings) -> Part:
    """Every Outcome 2 indicator and supporting table (escalation, episodes, costs).

    Parameters
    ----------
    data
        Canonical tables.
    settings
        Data cut, cohorts and the analysis plan.

    Returns
    -------
    Part
        Indicators of :func:`escalation_indicators`, :func:`episode_indicators`
        and :mod:`noream_eval.metrics.costs`; tables ``s17_escalation_km``,
        ``s17_escalation_at_risk``, ``s17_episodes`` (:func:`episode_lengths`:
        every episode with its family's cohort and length), ``s17_episode_km``,
        ``s17_caseload``,
        ``s17_spend_monthly``, ``programme_costs``, ``cost_consequence`` and
        ``cost_consequence_sensitivity``.
    """
    from noream_eval.metrics import costs

    plan = settings.plan
    cohorts = _cohort_list(settings.cohorts)
    cut = settings.data_cut
    esc = escalation_times(data.families, data.payments, data_cut=cut)
    rows = _escalation_rows(
        esc,
        data.families,
        cohorts=cohorts,
        months=plan.escalation_months,
        covariates=plan.cox_covariates,
        censor_at_exit=False,
    )
    sub = _analysed(esc, cohorts)
    km = _fit_km(sub, "duration_days", "escalated")
    tables: dict[str, pd.DataFrame] = {
        "s17_escalation_km": _km_frame(km),
        "s17_escalation_at_risk": _at_risk_frame(km, AT_RISK_MONTHS),
    }
    boot = {"seed": plan.seed, "n_resamples": plan.bootstrap_resamples}
    rows += _episode_rows(data.s17_episodes, data.families, data_cut=cut, cohorts=cohorts, **boot)
    tables["s17_episodes"] = episode_lengths(data.s17_episodes, data.families, data_cut=cut)
    tables["s17_episode_km"] = episode_km(
        data.s17_episodes, data.families, data_cut=cut, cohorts=cohorts
    )
    tables["s17_caseload"] = caseload(
        data.s17_episodes, data.families, data_cut=cut, cohorts=cohorts
    )
    cost_part = costs.compute(data, settings, escalation=esc)
    tables.update(cost_part.tables)
    return Part(
        indicators=rows + cost_part.indicators,
        tables=tables,
    )
