"""Outcome 2 costs: section 17 spend, NOREAM's own cost and the cost-consequence scenario.

- s17 spend (:func:`family_spend`, :func:`s17_spend_monthly`,
  :func:`s17_cost_indicators`): accommodation, subsistence and other s17
  payments, net of refunds, per family, per family-month on support, per
  cohort and per month;
- the programme's cost (:func:`programme_costs`,
  :func:`programme_cost_indicators`): NOREAM flexible grants from the payments
  plus the staff and other costs given in the analysis plan;
- the cost-consequence SCENARIO (:func:`cost_consequence`,
  :func:`cost_consequence_sensitivity`, :func:`cost_consequence_indicator`):
  what the s17 escalations avoided would be worth if the difference in
  12-month escalation risk between the cohorts were caused by the programme.
  It is a scenario, not an impact estimate.

:func:`noream_eval.metrics.s17.compute` returns these with the escalation and
episode indicators. ``docs/outcomes.md`` (Outcome 2) defines each.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from noream_eval.errors import StatsInputError
from noream_eval.metrics.core import DEFAULT_COHORTS, Part, cut_date, indicator, indicator_table
from noream_eval.metrics.s17 import (
    DAYS_PER_MONTH,
    OUTCOME,
    _boot_mean,
    _cohort_list,
    _cohort_of,
    _family_days,
    _not_estimated,
    episode_lengths,
    escalation_times,
)
from noream_eval.plan import AnalysisPlan

if TYPE_CHECKING:
    from noream_eval.data import EvaluationData
    from noream_eval.metrics.core import Settings

__all__ = [
    "SCENARIO_MONTHS",
    "compute",
    "cost_consequence",
    "cost_consequence_indicator",
    "cost_consequence_sensitivity",
    "family_spend",
    "programme_cost_indicators",
    "programme_costs",
    "s17_cost_indicators",
    "s17_spend_monthly",
]

#: Horizon of the escalation risks the scenario compares (months since first contact).
SCENARIO_MONTHS: int = 12
_SPEND_TYPES = ("accommodation", "subsistence")
_SCENARIO = "SCENARIO, not an impact estimate"


# ----------------------------------------------------------------- s17 spend


def _s17_rows(payments: pd.DataFrame) -> pd.DataFrame:
    """s17 payments with family, month, type group and amount (plain columns)."""
    s17 = (payments["scheme"].astype("string") == "s17").to_numpy(dtype=bool, na_value=False)
    amount = pd.to_numeric(payments["amount_gbp"], errors="coerce").to_numpy(dtype=float)[s17]
    kind = payments["type"].astype("string").to_numpy(dtype=object, na_value="unknown")[s17]
    group = np.where(np.isin(kind, _SPEND_TYPES), kind, "other").astype(object)
    group[amount < 0] = "refunds"
    date = pd.to_datetime(payments["payment_date"]).to_numpy()[s17]
    return pd.DataFrame(
        {
            "family_id": payments["family_id"].astype("string").to_numpy()[s17],
            "month": pd.DatetimeIndex(date).to_period("M").astype(str),
            "group": group,
            "amount": amount,
        }
    )


def family_spend(payments: pd.DataFrame, families: pd.DataFrame) -> pd.DataFrame:
    """s17 spend and NOREAM grants of each family.

    Parameters
    ----------
    payments
        Canonical ``payments`` (``family_id``, ``scheme``, ``amount_gbp``).
    families
        Canonical ``families`` (``family_id``, ``cohort``).

    Returns
    -------
    pandas.DataFrame
        One row per family of ``families``, in its order: ``family_id``,
        ``cohort``, ``s17_paid`` (positive s17 payments, GBP), ``s17_refunds``
        (refunds: negative s17 amounts, summed, 0 or below), ``s17_net``
        (their sum), ``s17_payments`` (number of positive s17 payments),
        ``received_s17`` (at least one positive s17 payment),
        ``refunds_exceed_payments`` (``s17_net`` below 0), ``grants_gbp``
        (NOREAM flexible grants, net).

    Notes
    -----
    Refunds are netted: a family refunded more than it was paid has a
    negative ``s17_net``, flagged by ``refunds_exceed_payments`` and counted by
    :func:`s17_cost_indicators`; it is not set to 0, so that the totals add up
    to the ledger.

    Examples
    --------
    >>> pay = pd.DataFrame({"family_id": ["f1", "f1", "f2"],
    ...     "scheme": ["s17", "s17", "noream_grant"], "amount_gbp": [100.0, -250.0, 75.0]})
    >>> fam = pd.DataFrame({"family_id": ["f1", "f2"], "cohort": ["noream", "noream"]})
    >>> family_spend(pay, fam)[["s17_net", "refunds_exceed_payments", "grants_gbp"]]
       s17_net  refunds_exceed_payments  grants_gbp
    0   -150.0                     True         0.0
    1      0.0                    False        75.0
    """
    scheme = payments["scheme"].astype("string")
    amount = pd.to_numeric(payments["amount_gbp"], errors="coerce").astype(float)
    ids = payments["family_id"].astype("string")
    s17 = (scheme == "s17").fillna(False).to_numpy(dtype=bool)
    grant = (scheme == "noream_grant").fillna(False).to_numpy(dtype=bool)
    pos = s17 & (amount > 0).to_numpy()
    neg = s17 & (amount < 0).to_numpy()
    frame = pd.DataFrame(
        {
            "family_id": ids.to_numpy(),
            "s17_paid": np.where(pos, amount, 0.0),
            "s17_refunds": np.where(neg, amount, 0.0),
            "s17_payments": pos.astype("int64"),
            "grants_gbp": np.where(grant, amount, 0.0),
        }
    )
    sums = frame.groupby("family_id").sum()
    fam_ids = families["family_id"].astype("string").reset_index(drop=True)
    out = sums.reindex(fam_ids.to_numpy()).fillna(0.0).reset_index(drop=True)
    net = out["s17_paid"].to_numpy() + out["s17_refunds"].to_numpy()
    return pd.DataFrame(
        {
            "family_id": fam_ids,
            "cohort": families["cohort"].astype("string").reset_index(drop=True),
            "s17_paid": out["s17_paid"].to_numpy(dtype=float),
            "s17_refunds": out["s17_refunds"].to_numpy(dtype=float),
            "s17_net": net,
            "s17_payments": out["s17_payments"].to_numpy(dtype="int64"),
            "received_s17": out["s17_payments"].to_numpy() > 0,
            "refunds_exceed_payments": net < 0,
            "grants_gbp": out["grants_gbp"].to_numpy(dtype=float),
        }
    )


def s17_spend_monthly(
    payments: pd.DataFrame,
    families: pd.DataFrame,
    *,
    cohorts: Sequence[str] = DEFAULT_COHORTS,
) -> pd.DataFrame:
    """s17 spend per calendar month, by type, for each cohort and for all families.

    Parameters
    ----------
    payments, families
        Canonical tables.
    cohorts
        Cohorts tabulated one by one (``all`` covers every family).

    Returns
    -------
    pandas.DataFrame
        One row per month and cohort (every month from the first to the last
        s17 payment, 0 where nothing was paid): ``month`` (``YYYY-MM``),
        ``cohort`` (a cohort or ``all``), ``accommodation``, ``subsistence``,
        ``other`` (positive s17 payments of any other or unknown type),
        ``refunds`` (negative s17 amounts, 0 or below), ``net`` (the sum of the
        four), all in GBP.

    Examples
    --------
    >>> pay = pd.DataFrame({"family_id": ["f1", "f1", "f1"], "scheme": "s17",
    ...     "type": ["accommodation", "subsistence", "subsistence"],
    ...     "amount_gbp": [800.0, 60.0, -60.0],
    ...     "payment_date": pd.to_datetime(["2021-01-04", "2021-01-04", "2021-02-01"])})
    >>> fam = pd.DataFrame({"family_id": ["f1"], "cohort": ["noream"]})
    >>> s17_spend_monthly(pay, fam, cohorts=["noream"]).query("cohort == 'all'")
         month cohort  accommodation  subsistence  other  refunds    net
    0  2021-01    all          800.0         60.0    0.0      0.0  860.0
    1  2021-02    all            0.0          0.0    0.0    -60.0  -60.0
    """
    cohort_list = _cohort_list(cohorts)
    rows = _s17_rows(payments)
    cols = ["accommodation", "subsistence", "other", "refunds"]
    empty = pd.DataFrame(
        {"month": pd.Series(dtype="string"), "cohort": pd.Series(dtype="string")}
        | {c: pd.Series(dtype="float64") for c in [*cols, "net"]}
    )
    if rows.empty:
        return empty
    cohort = rows["family_id"].map(_cohort_of(families)).astype("string")
    months = pd.period_range(rows["month"].min(), rows["month"].max(), freq="M").astype(str)
    m_idx = pd.Index(months).get_indexer(rows["month"])
    g_idx = pd.Index(cols).get_indexer(rows["group"])
    amount = rows["amount"].to_numpy(dtype=float)
    frames = []
    for label in ("all", *cohort_list):
        keep = (
            np.ones(len(rows), dtype=bool)
            if label == "all"
            else (cohort == label).to_numpy(dtype=bool, na_value=False)
        )
        sums = np.zeros((len(months), len(cols)))
        np.add.at(sums, (m_idx[keep], g_idx[keep]), amount[keep])
        part = pd.DataFrame(sums, columns=cols)
        part["net"] = sums.sum(axis=1)
        part.insert(0, "cohort", label)
        part.insert(0, "month", months)
        frames.append(part)
    out = pd.concat(frames, ignore_index=True)
    out["month"] = out["month"].astype("string")
    out["cohort"] = out["cohort"].astype("string")
    for c in [*cols, "net"]:
        out[c] = out[c].astype("float64")
    return out[list(empty.columns)]


def _ratio(net: np.ndarray, days: np.ndarray, axis: int = -1) -> np.ndarray:
    """Net spend per month on support (vectorised over resamples along ``axis``)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.sum(net, axis=axis) / (np.sum(days, axis=axis) / DAYS_PER_MONTH)


def _cost_rows(
    spend: pd.DataFrame,
    ep_days: pd.Series,
    *,
    cohorts: tuple[str, ...],
    seed: int,
    n_resamples: int,
) -> list[dict[str, Any]]:
    from noream_eval.stats import bootstrap_ci

    rows: list[dict[str, Any]] = []
    for label in (*cohorts, "all"):
        in_group = spend if label == "all" else spend[(spend["cohort"] == label).fillna(False)]
        paid = in_group[in_group["received_s17"]]
        refund_only = in_group[~in_group["received_s17"] & (in_group["s17_refunds"] < 0)]
        negative = int(paid["refunds_exceed_payments"].sum())
        params = {
            "families_negative_net": negative,
            "refund_only_families_excluded": len(refund_only),
            "refund_only_gbp_excluded": float(refund_only["s17_refunds"].sum()),
            "seed": seed,
            "n_resamples": n_resamples,
        }
        note = (
            f"; {negative} famil{'y' if negative == 1 else 'ies'} refunded more than paid "
            "(negative net, kept)"
            if negative
            else ""
        )
        unit = "GBP net s17 spend per family supported"
        if paid.empty:
            rows.append(
                _not_estimated(
                    "s17_cost_per_family",
                    group=label,
                    unit=unit,
                    n=0,
                    params=params,
                    reason="no family of this group received s17 support",
                )
            )
        else:
            est, lo, hi, how = _boot_mean(
                paid["s17_net"].to_numpy(dtype=float), seed=seed, n_resamples=n_resamples
            )
            rows.append(
                indicator(
                    OUTCOME,
                    "s17_cost_per_family",
                    n=len(paid),
                    estimate=est,
                    ci_low=lo,
                    ci_high=hi,
                    method=f"{how}; s17 payments net of refunds, to the data cut{note}",
                    unit=unit,
                    group=label,
                    params=params,
                )
            )
        unit = "GBP net s17 spend per family-month on support"
        days = ep_days.reindex(paid["family_id"].to_numpy()).fillna(0.0).to_numpy(dtype=float)
        frame = pd.DataFrame({"net": paid["s17_net"].to_numpy(dtype=float), "days": days})
        months = float(days.sum()) / DAYS_PER_MONTH
        params_m = {**params, "family_months": months}
        if paid.empty or months == 0:
            rows.append(
                _not_estimated(
                    "s17_cost_per_family_month",
                    group=label,
                    unit=unit,
                    n=len(paid),
                    params=params_m,
                    reason="no time on s17 support in this group (no family, or only "
                    "single-payment episodes)",
                )
            )
            continue

        est = _ratio(frame["net"].to_numpy(), frame["days"].to_numpy())
        lo = hi = np.nan
        how = "ratio of sums"
        if len(frame) < 2:
            how += "; no interval (fewer than 2 families)"
        else:
            try:
                with np.errstate(divide="ignore", invalid="ignore"):  # reported below
                    res = bootstrap_ci(
                        _ratio,
                        (frame["net"].to_numpy(), frame["days"].to_numpy()),
                        seed=seed,
                        n_resamples=n_resamples,
                        method="bca",
                    )
                lo, hi, how = res.ci_low, res.ci_high, f"{how}, {res.method_label} over families"
            except StatsInputError as err:
                how += f"; no bootstrap interval ({err})"
        rows.append(
            indicator(
                OUTCOME,
                "s17_cost_per_family_month",
                n=len(paid),
                estimate=est,
                ci_low=lo,
                ci_high=hi,
                method=f"{how}: net s17 spend over months on support (days / 30.4375, first "
                f"to last payment of each episode, to the data cut if ongoing){note}",
                unit=unit,
                group=label,
                params=params_m,
            )
        )
    return rows


def s17_cost_indicators(
    payments: pd.DataFrame,
    families: pd.DataFrame,
    episodes: pd.DataFrame,
    *,
    data_cut: Any,
    cohorts: Sequence[str] = DEFAULT_COHORTS,
    seed: int = AnalysisPlan.seed,
    n_resamples: int = AnalysisPlan.bootstrap_resamples,
) -> pd.DataFrame:
    """Net s17 spend per family supported and per family-month on support.

    Parameters
    ----------
    payments, families, episodes
        Canonical ``payments``, ``families`` and ``s17_episodes``.
    data_cut
        The date the exports were taken (ongoing episodes run to it).
    cohorts
        Cohorts reported one by one (then ``all``).
    seed, n_resamples
        Bootstrap seed and resamples (``[analysis] seed``,
        ``bootstrap_resamples``).

    Returns
    -------
    pandas.DataFrame
        Indicator rows per cohort and ``all``:

        - ``s17_cost_per_family``: mean net s17 spend (accommodation,
          subsistence and other s17 payments, minus refunds) per family with
          at least one s17 payment; BCa bootstrap 95% CI; n = families
          supported;
        - ``s17_cost_per_family_month``: total net s17 spend over total
          months on support of the same families (a ratio of sums); BCa
          bootstrap 95% CI resampling families; n = families supported.

        ``params`` counts families refunded more than they were paid
        (``families_negative_net``, kept with their negative net) and families
        with refunds but no payment (left out, with their total).

    Notes
    -----
    Months on support = days from each episode's first to its last payment
    (to the data cut while ongoing), summed per family, over 30.4375. The
    spend runs to the data cut, so it understates the final cost of support
    still going, most for the later (programme) cohort.

    References
    ----------
    Efron B (1987). Better bootstrap confidence intervals. JASA 82:171-185.
    """
    cut = cut_date(data_cut)
    spend = family_spend(payments, families)
    ep_days = _family_days(episode_lengths(episodes, families, data_cut=cut))
    rows = _cost_rows(
        spend, ep_days, cohorts=_cohort_list(cohorts), seed=seed, n_resamples=n_resamples
    )
    return indicator_table(rows)


# ------------------------------------------------------------ programme costs


@dataclass(frozen=True)
class _ProgrammeCost:
    grants: float
    n_grants: int
    grants_to_other_cohorts: float
    staff: float
    other: float
    enrolled: int
    programme_families: int
    denominator: str

    @property
    def total(self) -> float:
        return self.grants + self.staff + self.other


def _programme_cost(
    payments: pd.DataFrame,
    families: pd.DataFrame,
    *,
    programme: str,
    staff_cost_gbp: float,
    other_cost_gbp: float,
) -> _ProgrammeCost:
    grant = (payments["scheme"].astype("string") == "noream_grant").fillna(False).to_numpy(bool)
    amount = pd.to_numeric(payments["amount_gbp"], errors="coerce").to_numpy(dtype=float)
    cohort = payments["family_id"].astype("string").map(_cohort_of(families))
    elsewhere = grant & (cohort != programme).fillna(True).to_numpy(dtype=bool)
    in_prog = (families["cohort"].astype("string") == programme).fillna(False).to_numpy(bool)
    has_date = families["enrolled_date"].notna().to_numpy(dtype=bool)
    enrolled = int((in_prog & has_date).sum())
    denominator = "families of the programme cohort with an enrolment date"
    if enrolled == 0 and in_prog.any():
        enrolled = int(in_prog.sum())
        denominator = "families of the programme cohort (no enrolment dates recorded)"
    return _ProgrammeCost(
        grants=float(amount[grant].sum()),
        n_grants=int(grant.sum()),
        grants_to_other_cohorts=float(amount[elsewhere].sum()),
        staff=float(staff_cost_gbp),
        other=float(other_cost_gbp),
        enrolled=enrolled,
        programme_families=int(in_prog.sum()),
        denominator=denominator,
    )


def programme_costs(
    payments: pd.DataFrame,
    families: pd.DataFrame,
    *,
    programme: str = DEFAULT_COHORTS[0],
    staff_cost_gbp: float = AnalysisPlan.staff_cost_gbp,
    other_cost_gbp: float = AnalysisPlan.other_cost_gbp,
) -> pd.DataFrame:
    """NOREAM's own cost by component.

    Parameters
    ----------
    payments, families
        Canonical tables.
    programme
        The programme cohort.
    staff_cost_gbp, other_cost_gbp
        The programme's staff and other costs (``[costs]``).

    Returns
    -------
    pandas.DataFrame
        One row per component - ``flexible_grants``, ``staff``, ``other``,
        ``total``, ``per_enrolled_family`` - with ``component``, ``value_gbp``,
        ``source`` (``payments``, ``config`` or ``derived``), ``n_payments``
        (grants paid), ``families`` (enrolled families, for the per-family
        row) and ``note``.

    Notes
    -----
    Flexible grants are every payment with ``scheme == "noream_grant"``, net
    of negative amounts, whichever family received it; grants to families
    outside the programme cohort are named in the note.
    """
    pc = _programme_cost(
        payments,
        families,
        programme=programme,
        staff_cost_gbp=staff_cost_gbp,
        other_cost_gbp=other_cost_gbp,
    )
    grants_note = "payments with scheme noream_grant"
    if pc.grants_to_other_cohorts:
        grants_note += f"; GBP {pc.grants_to_other_cohorts:,.2f} of it to families outside it"
    per = pc.total / pc.enrolled if pc.enrolled else np.nan
    return pd.DataFrame(
        {
            "component": pd.Series(
                ["flexible_grants", "staff", "other", "total", "per_enrolled_family"],
                dtype="string",
            ),
            "value_gbp": [pc.grants, pc.staff, pc.other, pc.total, per],
            "source": pd.Series(
                ["payments", "config", "config", "derived", "derived"], dtype="string"
            ),
            "n_payments": pd.array([pc.n_grants, 0, 0, pc.n_grants, pc.n_grants], dtype="Int64"),
            "families": pd.array([None, None, None, None, pc.enrolled], dtype="Int64"),
            "note": pd.Series(
                [
                    grants_note,
                    "[costs] staff_cost_gbp",
                    "[costs] other_cost_gbp",
                    "grants + staff + other",
                    f"total / {pc.denominator}"
                    if pc.enrolled
                    else "no family in the programme cohort",
                ],
                dtype="string",
            ),
        }
    )


def _programme_rows(pc: _ProgrammeCost, programme: str) -> list[dict[str, Any]]:
    params = {
        "flexible_grants_gbp": pc.grants,
        "grants_paid": pc.n_grants,
        "grants_to_other_cohorts_gbp": pc.grants_to_other_cohorts,
        "staff_cost_gbp": pc.staff,
        "other_cost_gbp": pc.other,
        "denominator": pc.denominator,
    }
    method = "sum: flexible grants (payments, scheme noream_grant) + staff + other costs (config)"
    rows = [
        indicator(
            OUTCOME,
            "noream_programme_cost",
            n=pc.enrolled,
            estimate=pc.total,
            method=method,
            unit="GBP (programme cost)",
            group=programme,
            params=params,
        )
    ]
    unit = "GBP programme cost per enrolled family"
    if pc.enrolled == 0:
        rows.append(
            _not_estimated(
                "noream_cost_per_family",
                group=programme,
                unit=unit,
                n=0,
                params=params,
                reason="no family in the programme cohort",
            )
        )
    else:
        rows.append(
            indicator(
                OUTCOME,
                "noream_cost_per_family",
                n=pc.enrolled,
                estimate=pc.total / pc.enrolled,
                method=f"programme cost / {pc.denominator}; no interval (an accounting total)",
                unit=unit,
                group=programme,
                params=params,
            )
        )
    return rows


def programme_cost_indicators(
    payments: pd.DataFrame,
    families: pd.DataFrame,
    *,
    programme: str = DEFAULT_COHORTS[0],
    staff_cost_gbp: float = AnalysisPlan.staff_cost_gbp,
    other_cost_gbp: float = AnalysisPlan.other_cost_gbp,
) -> pd.DataFrame:
    """NOREAM's own cost in total and per enrolled family.

    Parameters
    ----------
    payments, families, programme, staff_cost_gbp, other_cost_gbp
        As for :func:`programme_costs`.

    Returns
    -------
    pandas.DataFrame
        Indicator rows (group = the programme cohort):
        ``noream_programme_cost`` (GBP; flexible grants + staff + other; n =
        enrolled families) and ``noream_cost_per_family`` (the total over
        enrolled families). No interval: these are accounting totals.
    """
    pc = _programme_cost(
        payments,
        families,
        programme=programme,
        staff_cost_gbp=staff_cost_gbp,
        other_cost_gbp=other_cost_gbp,
    )
    return indicator_table(_programme_rows(pc, programme))


# ------------------------------------------------------- cost-consequence scenario


def _risk_at(duration: np.ndarray, event: np.ndarray, horizon: float) -> float:
    """1 - Kaplan-Meier survival at ``horizon`` (NaN if nobody is followed that long)."""
    if len(duration) == 0:
        return np.nan
    times, inv = np.unique(duration, return_inverse=True)
    d = np.bincount(inv, weights=event, minlength=len(times))
    n = np.cumsum(np.bincount(inv, minlength=len(times))[::-1])[::-1]
    keep = times <= horizon
    surv = float(np.prod(1.0 - d[keep] / n[keep]))
    if times[-1] < horizon and surv > 0:
        return np.nan
    return 1.0 - surv


def _risk_at_many(
    duration: np.ndarray, event: np.ndarray, counts: np.ndarray, horizon: float
) -> np.ndarray:
    """:func:`_risk_at` of many resamples: row r holds unit i ``counts[r, i]`` times."""
    risk = np.full(counts.shape[0], np.nan)
    if len(duration) == 0:
        return risk
    times = np.unique(duration)
    order = np.argsort(duration, kind="stable")
    starts = np.searchsorted(duration[order], times)
    c = counts[:, order]
    at_time = np.add.reduceat(c, starts, axis=1)  # units at each distinct time
    events = np.add.reduceat(c * event[order], starts, axis=1)
    at_risk = np.cumsum(at_time[:, ::-1], axis=1)[:, ::-1]
    keep = times <= horizon
    present = at_time[:, keep] > 0  # times that occur in the resample
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(present, 1.0 - events[:, keep] / at_risk[:, keep], 1.0)
    surv = np.prod(factor, axis=1)
    seen = at_time > 0
    last = times[len(times) - 1 - np.argmax(seen[:, ::-1], axis=1)]  # longest time drawn
    any_seen = seen.any(axis=1)
    ok = any_seen & ~((last < horizon) & (surv > 0))
    risk[ok] = 1.0 - surv[ok]
    return risk


def _net_many(frame: pd.DataFrame, inp: _Inputs, idx: np.ndarray) -> np.ndarray:
    """``_net(frame.iloc[row], inp)["net"]`` for each row of ``idx`` (resamples by families)."""
    horizon = SCENARIO_MONTHS * DAYS_PER_MONTH
    arr = frame.to_numpy(dtype=float)  # columns as in _FRAME
    prog = arr[:, 0] == 1
    dur, ev, net, grants = arr[:, 1], arr[:, 2], arr[:, 3], arr[:, 4]
    r, n = idx.shape[0], len(arr)
    # counts[r, i]: how often resample r drew family i
    flat = (np.arange(r)[:, None] * n + idx).ravel()
    counts = np.bincount(flat, minlength=r * n).reshape(r, n).astype(float)
    risk_comparison = _risk_at_many(dur[~prog], ev[~prog], counts[:, ~prog], horizon)
    risk_programme = _risk_at_many(dur[prog], ev[prog], counts[:, prog], horizon)
    risk_difference = risk_comparison - risk_programme
    escalations_avoided = risk_difference * counts[:, prog].sum(axis=1)
    if inp.cost_source == "data":
        escalated = ~prog & (ev == 1)
        k = counts[:, escalated].sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            case_cost = np.where(k > 0, counts[:, escalated] @ net[escalated] / k, np.nan)
    else:
        case_cost = np.full(r, inp.case_cost_config)
    gross_saving = escalations_avoided * case_cost
    paid = counts[:, prog] @ grants[prog] + inp.grants_outside
    return gross_saving - (paid + inp.staff + inp.other)


#: Columns of the scenario's per-family frame, in this order.
_FRAME = ("programme", "duration", "event", "net", "grants")


@dataclass(frozen=True)
class _Inputs:
    """Per-family data of the scenario and its fixed inputs."""

    frame: pd.DataFrame  # columns _FRAME
    programme: str
    comparison: str
    case_cost_config: float
    cost_source: str
    staff: float
    other: float
    grants_outside: float  # grants not paid to analysed programme-cohort families


def _net(frame: pd.DataFrame, inp: _Inputs, **override: float) -> dict[str, float]:
    """The scenario's components on ``frame`` (overrides replace a component)."""
    horizon = SCENARIO_MONTHS * DAYS_PER_MONTH
    arr = frame.to_numpy(dtype=float)  # columns as in _FRAME
    prog = arr[:, 0] == 1
    dur, ev, net, grants = arr[:, 1], arr[:, 2], arr[:, 3], arr[:, 4]
    out: dict[str, float] = {}
    out["risk_comparison"] = _risk_at(dur[~prog], ev[~prog], horizon)
    out["risk_programme"] = _risk_at(dur[prog], ev[prog], horizon)
    out["risk_difference"] = override.get(
        "risk_difference", out["risk_comparison"] - out["risk_programme"]
    )
    out["programme_families"] = float(prog.sum())
    out["escalations_avoided"] = out["risk_difference"] * out["programme_families"]
    escalated = ~prog & (ev == 1)
    out["case_cost_data"] = float(net[escalated].mean()) if escalated.any() else np.nan
    out["case_cost_config"] = inp.case_cost_config
    source = inp.cost_source
    case = out["case_cost_data"] if source == "data" else out["case_cost_config"]
    out["case_cost"] = override.get("case_cost", case)
    out["gross_saving"] = out["escalations_avoided"] * out["case_cost"]
    paid = float(grants[prog].sum()) + inp.grants_outside
    out["programme_cost"] = override.get("programme_cost", paid + inp.staff + inp.other)
    out["net"] = out["gross_saving"] - out["programme_cost"]
    return out


def _inputs(
    esc: pd.DataFrame,
    spend: pd.DataFrame,
    *,
    cohorts: tuple[str, ...],
    s17_annual_cost_gbp: float,
    s17_years: float,
    cost_source: str,
    staff_cost_gbp: float,
    other_cost_gbp: float,
) -> _Inputs | str:
    """The scenario's inputs, or why there is no scenario."""
    if cost_source not in ("data", "config"):
        raise StatsInputError(f'cost_source must be "data" or "config", got {cost_source!r}.')
    if len(cohorts) < 2:
        return "single-cohort design (no comparison cohort): no escalation risk to compare"
    programme, comparison = cohorts[0], cohorts[1]
    keep = esc["included"].to_numpy(dtype=bool) & esc["cohort"].isin(cohorts[:2]).to_numpy(
        dtype=bool, na_value=False
    )
    sub = esc.loc[keep].reset_index(drop=True)
    for c in (programme, comparison):
        if not (sub["cohort"] == c).any():
            return f"no family of cohort {c!r} in the escalation analysis"
    by_id = spend.set_index("family_id")
    ids = sub["family_id"].to_numpy()
    frame = pd.DataFrame(
        {
            "programme": (sub["cohort"] == programme).to_numpy(dtype="int64"),
            "duration": sub["duration_days"].to_numpy(dtype=float),
            "event": sub["escalated"].to_numpy(dtype=float),
            "net": by_id["s17_net"].reindex(ids).fillna(0.0).to_numpy(dtype=float),
            "grants": by_id["grants_gbp"].reindex(ids).fillna(0.0).to_numpy(dtype=float),
        },
        columns=list(_FRAME),
    )
    analysed_grants = float(frame.loc[frame["programme"] == 1, "grants"].sum())
    return _Inputs(
        frame=frame,
        programme=programme,
        comparison=comparison,
        case_cost_config=float(s17_annual_cost_gbp) * float(s17_years),
        cost_source=cost_source,
        staff=float(staff_cost_gbp),
        other=float(other_cost_gbp),
        grants_outside=float(spend["grants_gbp"].sum()) - analysed_grants,
    )


def _why_no_net(parts: dict[str, float], inp: _Inputs) -> str | None:
    if np.isnan(parts["risk_comparison"]) or np.isnan(parts["risk_programme"]):
        who = inp.comparison if np.isnan(parts["risk_comparison"]) else inp.programme
        return f"no family of cohort {who!r} is followed for {SCENARIO_MONTHS} months"
    if np.isnan(parts["case_cost"]):
        return (
            f"no family of cohort {inp.comparison!r} escalated, so the case cost cannot come "
            'from the data; set [costs] cost_source = "config"'
        )
    return None


_COMPONENTS: tuple[tuple[str, str, str], ...] = (
    ("risk_comparison", "share", "data: 1 - Kaplan-Meier survival at 12 months, comparison"),
    ("risk_programme", "share", "data: 1 - Kaplan-Meier survival at 12 months, programme"),
    ("risk_difference", "share", "derived: comparison risk - programme risk"),
    ("programme_families", "families", "data: programme-cohort families analysed"),
    ("escalations_avoided", "families", "SCENARIO: risk difference x programme families"),
    ("case_cost_data", "GBP per case", "data: mean net s17 spend per escalated comparison family"),
    ("case_cost_config", "GBP per case", "config: s17_annual_cost_gbp x s17_years"),
    ("case_cost", "GBP per case", ""),
    ("gross_saving", "GBP", "SCENARIO: escalations avoided x case cost"),
    ("programme_cost", "GBP", "data + config: flexible grants + staff + other costs"),
    ("net", "GBP", "SCENARIO: gross saving - programme cost"),
)


def _components_frame(parts: dict[str, float] | None, inp: _Inputs | None) -> pd.DataFrame:
    cols = {"component": "string", "value": "float64", "unit": "string", "source": "string"}
    if parts is None or inp is None:
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in cols.items()})
    rows = []
    for name, unit, source in _COMPONENTS:
        if name == "case_cost":
            source = f"{inp.cost_source} (cost_source)"
        rows.append({"component": name, "value": parts[name], "unit": unit, "source": source})
    return pd.DataFrame(rows).astype(cols)


def _risk_difference_ci(
    inp: _Inputs,
) -> tuple[float, float]:
    """Wald 95% CI of the 12-month risk difference from the Greenwood SEs."""
    from noream_eval.stats import kaplan_meier

    fr = inp.frame
    km = kaplan_meier(
        fr["duration"].to_numpy(dtype=float),
        fr["event"].to_numpy(dtype=float),
        group=np.where(fr["programme"] == 1, "p", "c"),
    )
    at = km.survival_at([SCENARIO_MONTHS * DAYS_PER_MONTH]).set_index("group")
    se = np.sqrt(np.nansum(np.square(at["se"].to_numpy(dtype=float))))
    rd = float(at.loc["p", "survival"] - at.loc["c", "survival"])
    return rd - 1.959963984540054 * se, rd + 1.959963984540054 * se


def _sensitivity_frame(
    inp: _Inputs | None,
    parts: dict[str, float] | None,
    *,
    s17_annual_cost_gbp: float,
    s17_years: float,
) -> pd.DataFrame:
    cols = {
        "parameter": "string",
        "unit": "string",
        "base_value": "float64",
        "low_value": "float64",
        "high_value": "float64",
        "low_label": "string",
        "high_label": "string",
        "net_base": "float64",
        "net_low": "float64",
        "net_high": "float64",
    }
    if inp is None or parts is None:
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in cols.items()})
    fr = inp.frame
    base = parts["net"]
    rows = []

    def add(
        param: str,
        unit: str,
        values: tuple[float, float, float],
        labels: tuple[str, str],
        key: str,
        used: tuple[float, float] | None = None,
    ) -> None:
        """One row; ``used`` are the values of component ``key`` (default: the values)."""
        bv, lo, hi = values
        use_lo, use_hi = used if used is not None else (lo, hi)
        net_lo = _net(fr, inp, **{key: use_lo})["net"] if np.isfinite(use_lo) else np.nan
        net_hi = _net(fr, inp, **{key: use_hi})["net"] if np.isfinite(use_hi) else np.nan
        rows.append(
            {
                "parameter": param,
                "unit": unit,
                "base_value": bv,
                "low_value": lo,
                "high_value": hi,
                "low_label": labels[0],
                "high_label": labels[1],
                "net_base": base,
                "net_low": net_lo,
                "net_high": net_hi,
            }
        )

    rd_lo, rd_hi = _risk_difference_ci(inp)
    rd = parts["risk_difference"]
    add(
        "risk_difference",
        "share",
        (rd, rd_lo, rd_hi),
        ("95% CI lower limit", "95% CI upper limit"),
        "risk_difference",
    )
    cc = parts["case_cost"]
    add("case_cost", "GBP per case", (cc, 0.75 * cc, 1.25 * cc), ("-25%", "+25%"), "case_cost")
    add(
        "case_cost_source",
        "GBP per case",
        (cc, parts["case_cost_data"], parts["case_cost_config"]),
        ("data: mean spend per escalated comparison family", "config: annual cost x years"),
        "case_cost",
    )
    pcost = parts["programme_cost"]
    add(
        "programme_cost",
        "GBP",
        (pcost, 0.75 * pcost, 1.25 * pcost),
        ("-25%", "+25%"),
        "programme_cost",
    )
    add(
        "s17_years",
        "years",
        (s17_years, 1.0, 2.0),
        ("1 year x s17_annual_cost_gbp", "2 years x s17_annual_cost_gbp"),
        "case_cost",
        used=(s17_annual_cost_gbp, 2.0 * s17_annual_cost_gbp),
    )
    return pd.DataFrame(rows).astype(cols)


def _scenario(
    esc: pd.DataFrame,
    spend: pd.DataFrame,
    *,
    cohorts: tuple[str, ...],
    s17_annual_cost_gbp: float,
    s17_years: float,
    cost_source: str,
    staff_cost_gbp: float,
    other_cost_gbp: float,
    seed: int,
    n_resamples: int,
    bootstrap: bool = True,
) -> tuple[list[dict[str, Any]], pd.DataFrame, pd.DataFrame]:
    """The scenario's indicator row, components table and sensitivity table."""
    name = "cost_consequence_net_gbp"
    unit = f"GBP ({_SCENARIO}): escalations avoided x case cost - programme cost"
    params: dict[str, Any] = {
        "horizon_months": SCENARIO_MONTHS,
        "cost_source": cost_source,
        "s17_annual_cost_gbp": s17_annual_cost_gbp,
        "s17_years": s17_years,
        "staff_cost_gbp": staff_cost_gbp,
        "other_cost_gbp": other_cost_gbp,
    }
    inp = _inputs(
        esc,
        spend,
        cohorts=cohorts,
        s17_annual_cost_gbp=s17_annual_cost_gbp,
        s17_years=s17_years,
        cost_source=cost_source,
        staff_cost_gbp=staff_cost_gbp,
        other_cost_gbp=other_cost_gbp,
    )
    if isinstance(inp, str):
        row = _not_estimated(name, group="all", unit=unit, reason=inp, params=params)
        return (
            [row],
            _components_frame(None, None),
            _sensitivity_frame(None, None, s17_annual_cost_gbp=0.0, s17_years=0.0),
        )
    parts = _net(inp.frame, inp)
    params.update({k: parts[k] for k in ("risk_difference", "escalations_avoided", "case_cost")})
    params["programme_cost_gbp"] = parts["programme_cost"]
    n = len(inp.frame)
    why = _why_no_net(parts, inp)
    if why is not None:
        row = _not_estimated(name, group="all", unit=unit, n=n, reason=why, params=params)
        return (
            [row],
            _components_frame(parts, inp),
            _sensitivity_frame(None, None, s17_annual_cost_gbp=0.0, s17_years=0.0),
        )
    method = (
        f"{_SCENARIO}: (12-month escalation risk {inp.comparison} - {inp.programme}) x "
        f"{inp.programme} families x case cost ({cost_source}) - programme cost"
    )
    lo = hi = np.nan
    if bootstrap:
        from noream_eval.stats.resampling import _Batched, bootstrap_ci

        try:
            res = bootstrap_ci(
                _Batched(lambda d: _net(d, inp)["net"], lambda d, idx: _net_many(d, inp, idx)),
                inp.frame,
                strata="programme",
                seed=seed,
                n_resamples=n_resamples,
                method="percentile",
            )
            lo, hi = res.ci_low, res.ci_high
            method += (
                f"; {res.method_label}: families resampled within cohort, whole scenario recomputed"
            )
        except StatsInputError as err:
            method += f"; no bootstrap interval ({err})"
        params.update({"seed": seed, "n_resamples": n_resamples})
    row = indicator(
        OUTCOME,
        name,
        n=n,
        estimate=parts["net"],
        ci_low=lo,
        ci_high=hi,
        method=method,
        unit=unit,
        group="all",
        params=params,
    )
    return (
        [row],
        _components_frame(parts, inp),
        _sensitivity_frame(
            inp, parts, s17_annual_cost_gbp=s17_annual_cost_gbp, s17_years=s17_years
        ),
    )


def _scenario_from_tables(
    families: pd.DataFrame,
    payments: pd.DataFrame,
    *,
    data_cut: Any,
    cohorts: Sequence[str],
    s17_annual_cost_gbp: float,
    s17_years: float,
    cost_source: str,
    staff_cost_gbp: float,
    other_cost_gbp: float,
    seed: int,
    n_resamples: int,
    bootstrap: bool,
) -> tuple[list[dict[str, Any]], pd.DataFrame, pd.DataFrame]:
    esc = escalation_times(families, payments, data_cut=data_cut)
    return _scenario(
        esc,
        family_spend(payments, families),
        cohorts=_cohort_list(cohorts),
        s17_annual_cost_gbp=s17_annual_cost_gbp,
        s17_years=s17_years,
        cost_source=cost_source,
        staff_cost_gbp=staff_cost_gbp,
        other_cost_gbp=other_cost_gbp,
        seed=seed,
        n_resamples=n_resamples,
        bootstrap=bootstrap,
    )


def cost_consequence(
    families: pd.DataFrame,
    payments: pd.DataFrame,
    *,
    data_cut: Any,
    cohorts: Sequence[str] = DEFAULT_COHORTS,
    s17_annual_cost_gbp: float = AnalysisPlan.s17_annual_cost_gbp,
    s17_years: float = AnalysisPlan.s17_years,
    cost_source: Literal["data", "config"] = AnalysisPlan.cost_source,
    staff_cost_gbp: float = AnalysisPlan.staff_cost_gbp,
    other_cost_gbp: float = AnalysisPlan.other_cost_gbp,
) -> pd.DataFrame:
    """The cost-consequence SCENARIO, component by component.

    Parameters
    ----------
    families, payments
        Canonical tables.
    data_cut
        The date the exports were taken.
    cohorts
        Programme cohort first, comparison second.
    s17_annual_cost_gbp, s17_years
        The cost of a year of s17 support and its length (``[costs]``); their
        product is the config case cost.
    cost_source
        ``"data"``: the case cost is the mean net s17 spend per escalated
        comparison family; ``"config"``: ``s17_annual_cost_gbp * s17_years``.
    staff_cost_gbp, other_cost_gbp
        The programme's staff and other costs (``[costs]``).

    Returns
    -------
    pandas.DataFrame
        ``component``, ``value``, ``unit``, ``source`` (where the value comes
        from, ``SCENARIO`` for the assumed parts), one row each for
        ``risk_comparison``, ``risk_programme``, ``risk_difference``,
        ``programme_families``, ``escalations_avoided``, ``case_cost_data``,
        ``case_cost_config``, ``case_cost`` (the one used), ``gross_saving``,
        ``programme_cost`` and ``net``. Empty for a single-cohort design or a
        cohort without families (the indicator row says why).

    Notes
    -----
    A SCENARIO, not an impact estimate: it supposes that the whole difference
    in 12-month escalation risk between the cohorts is caused by the
    programme. With risks :math:`r_c, r_p` (1 - Kaplan-Meier survival at
    365.25 days), :math:`N_p` programme families, case cost :math:`C` and
    programme cost :math:`P`:

    .. math:: \\text{net} = (r_c - r_p) N_p C - P.

    The data case cost is the mean net s17 spend of the comparison families
    that escalated (the comparison cohort stands for what would have happened
    without the programme), over their support up to the data cut: support
    still going at the cut is not yet fully paid, so it understates the cost
    of a case. The programme cost is every NOREAM grant plus the staff and
    other costs.
    """
    _, comp, _ = _scenario_from_tables(
        families,
        payments,
        data_cut=data_cut,
        cohorts=cohorts,
        s17_annual_cost_gbp=s17_annual_cost_gbp,
        s17_years=s17_years,
        cost_source=cost_source,
        staff_cost_gbp=staff_cost_gbp,
        other_cost_gbp=other_cost_gbp,
        seed=0,
        n_resamples=0,
        bootstrap=False,
    )
    return comp


def cost_consequence_sensitivity(
    families: pd.DataFrame,
    payments: pd.DataFrame,
    *,
    data_cut: Any,
    cohorts: Sequence[str] = DEFAULT_COHORTS,
    s17_annual_cost_gbp: float = AnalysisPlan.s17_annual_cost_gbp,
    s17_years: float = AnalysisPlan.s17_years,
    cost_source: Literal["data", "config"] = AnalysisPlan.cost_source,
    staff_cost_gbp: float = AnalysisPlan.staff_cost_gbp,
    other_cost_gbp: float = AnalysisPlan.other_cost_gbp,
) -> pd.DataFrame:
    """One-way sensitivity of the scenario's net value (a tornado-ready table).

    Parameters
    ----------
    families, payments, data_cut, cohorts, s17_annual_cost_gbp, s17_years, cost_source, \
staff_cost_gbp, other_cost_gbp
        As for :func:`cost_consequence`.

    Returns
    -------
    pandas.DataFrame
        One row per input varied alone, the others at their base values:
        ``parameter``, ``unit``, ``base_value``, ``low_value``, ``high_value``,
        ``low_label``, ``high_label`` (what the two values are), ``net_base``,
        ``net_low``, ``net_high`` (net value with the input at its low and high
        value). Parameters:

        - ``risk_difference``: its Wald 95% CI limits (Greenwood SEs of the
          two 12-month risks);
        - ``case_cost``: -25% and +25%;
        - ``case_cost_source``: the data case cost and the config case cost
          (NaN where the data give none);
        - ``programme_cost``: -25% and +25%;
        - ``s17_years``: the config case cost for 1 and for 2 years of s17.

        Empty when there is no scenario (see :func:`cost_consequence`).
    """
    _, _, sens = _scenario_from_tables(
        families,
        payments,
        data_cut=data_cut,
        cohorts=cohorts,
        s17_annual_cost_gbp=s17_annual_cost_gbp,
        s17_years=s17_years,
        cost_source=cost_source,
        staff_cost_gbp=staff_cost_gbp,
        other_cost_gbp=other_cost_gbp,
        seed=0,
        n_resamples=0,
        bootstrap=False,
    )
    return sens


def cost_consequence_indicator(
    families: pd.DataFrame,
    payments: pd.DataFrame,
    *,
    data_cut: Any,
    cohorts: Sequence[str] = DEFAULT_COHORTS,
    s17_annual_cost_gbp: float = AnalysisPlan.s17_annual_cost_gbp,
    s17_years: float = AnalysisPlan.s17_years,
    cost_source: Literal["data", "config"] = AnalysisPlan.cost_source,
    staff_cost_gbp: float = AnalysisPlan.staff_cost_gbp,
    other_cost_gbp: float = AnalysisPlan.other_cost_gbp,
    seed: int = AnalysisPlan.seed,
    n_resamples: int = AnalysisPlan.bootstrap_resamples,
) -> pd.DataFrame:
    """The scenario's net value with a bootstrap interval (indicator row).

    Parameters
    ----------
    families, payments, data_cut, cohorts, s17_annual_cost_gbp, s17_years, cost_source, \
staff_cost_gbp, other_cost_gbp
        As for :func:`cost_consequence`.
    seed, n_resamples
        Bootstrap seed and resamples (``[analysis]``).

    Returns
    -------
    pandas.DataFrame
        One indicator row ``cost_consequence_net_gbp`` (group ``all``; n =
        families of the two cohorts analysed): the net value (GBP, a
        SCENARIO), with a percentile bootstrap 95% interval: families are
        resampled within cohort and the whole scenario (both risks, the data
        case cost, the grants) is recomputed. Empty estimate with the reason
        when there is no scenario.

    References
    ----------
    Drummond MF, Sculpher MJ, Claxton K, Stoddart GL, Torrance GW (2015).
    Methods for the Economic Evaluation of Health Care Programmes, 4th ed.,
    chapter 4 (cost-consequence analysis). Davison AC, Hinkley DV (1997).
    Bootstrap Methods and their Application, section 3.2 (stratified
    resampling).
    """
    rows, _, _ = _scenario_from_tables(
        families,
        payments,
        data_cut=data_cut,
        cohorts=cohorts,
        s17_annual_cost_gbp=s17_annual_cost_gbp,
        s17_years=s17_years,
        cost_source=cost_source,
        staff_cost_gbp=staff_cost_gbp,
        other_cost_gbp=other_cost_gbp,
        seed=seed,
        n_resamples=n_resamples,
        bootstrap=True,
    )
    return indicator_table(rows)


# --------------------------------------------------------------------- compute


def compute(
    data: EvaluationData, settings: Settings, *, escalation: pd.DataFrame | None = None
) -> Part:
    """The cost indicators and tables of Outcome 2 (called by ``s17.compute``).

    Parameters
    ----------
    data, settings
        Canonical tables and settings.
    escalation
        :func:`~noream_eval.metrics.s17.escalation_times` already computed
        (computed here when None).

    Returns
    -------
    Part
        Indicators ``s17_cost_per_family``, ``s17_cost_per_family_month``,
        ``noream_programme_cost``, ``noream_cost_per_family``,
        ``cost_consequence_net_gbp``; tables ``s17_spend_monthly``,
        ``programme_costs``, ``cost_consequence``,
        ``cost_consequence_sensitivity``.
    """
    plan = settings.plan
    cohorts = _cohort_list(settings.cohorts)
    cut = settings.data_cut
    esc = (
        escalation
        if escalation is not None
        else escalation_times(data.families, data.payments, data_cut=cut)
    )
    spend = family_spend(data.payments, data.families)
    ep_days = _family_days(episode_lengths(data.s17_episodes, data.families, data_cut=cut))
    boot = {"seed": plan.seed, "n_resamples": plan.bootstrap_resamples}
    rows = _cost_rows(spend, ep_days, cohorts=cohorts, **boot)
    costs = {
        "staff_cost_gbp": plan.staff_cost_gbp,
        "other_cost_gbp": plan.other_cost_gbp,
    }
    pc = _programme_cost(data.payments, data.families, programme=cohorts[0], **costs)
    rows += _programme_rows(pc, cohorts[0])
    scen_rows, comp, sens = _scenario(
        esc,
        spend,
        cohorts=cohorts,
        s17_annual_cost_gbp=plan.s17_annual_cost_gbp,
        s17_years=plan.s17_years,
        cost_source=plan.cost_source,
        **costs,
        **boot,
    )
    rows += scen_rows
    tables = {
        "s17_spend_monthly": s17_spend_monthly(data.payments, data.families, cohorts=cohorts),
        "programme_costs": programme_costs(
            data.payments, data.families, programme=cohorts[0], **costs
        ),
        "cost_consequence": comp,
        "cost_consequence_sensitivity": sens,
    }
    return Part(indicators=rows, tables=tables)
