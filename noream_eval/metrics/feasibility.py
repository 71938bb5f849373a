"""Feasibility: participant flow, recruitment, retention and data completeness.

Whether a trial of NOREAM could be run: how families move from referral to
enrolment and follow-up (:func:`participant_flow`, a CONSORT-style flow, and
:func:`not_enrolled_reasons`), how enrolment kept pace with the plan's monthly
target (:func:`recruitment_monthly`), how many enrolled families gave the
follow-up wellbeing measure, and how complete the data are
(:func:`data_completeness`). :func:`feasibility_indicators` gives the headline
rows, three of which the progression criteria of
:mod:`noream_eval.metrics.promise` read: ``recruitment_vs_target``,
``retention_followup`` and ``primary_outcome_completeness``.
``docs/outcomes.md`` (Feasibility) defines every indicator and table.

The flow counts the families of every cohort except the comparison cohort
(``docs/data_model.md``, Participant flow). A stage whose field holds no value
for any family of the flow is read as not recorded: its count is unknown (not
zero) and every share that needs it is missing, with a note naming the field.
"""

from __future__ import annotations

import calendar
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from noream_eval.errors import ValidationError
from noream_eval.metrics.core import Part, indicator, indicator_table
from noream_eval.plan import AnalysisPlan
from noream_eval.schema import LEVELS, TABLES

if TYPE_CHECKING:
    from noream_eval.config import Instrument
    from noream_eval.data import EvaluationData
    from noream_eval.metrics.core import Settings

__all__ = [
    "COMPLETENESS_COLUMNS",
    "FLOW_COLUMNS",
    "RECRUITMENT_COLUMNS",
    "STAGES",
    "compute",
    "data_completeness",
    "feasibility_indicators",
    "not_enrolled_reasons",
    "participant_flow",
    "recruitment_monthly",
]

OUTCOME = "feasibility"
#: The respondent whose questionnaires count for the flow (the primary one).
PRIMARY_RESPONDENT = "parent_carer"

#: Stages of the participant flow in order, each with the stage it is a share of.
STAGES: tuple[tuple[str, str | None], ...] = (
    ("referred", None),
    ("eligibility_assessed", "referred"),
    ("eligible", "eligibility_assessed"),
    ("offered", "eligible"),
    ("enrolled", "offered"),
    ("baseline_wellbeing", "enrolled"),
    ("baseline_domains", "enrolled"),
    ("baseline_either", "enrolled"),
    ("followup_due", "baseline_wellbeing"),
    ("followup_completed", "followup_due"),
)
_PREVIOUS = dict(STAGES)

#: Columns of :func:`participant_flow`.
FLOW_COLUMNS: tuple[str, ...] = (
    "stage",
    "order",
    "previous",
    "n",
    "share_of_previous",
    "ci_low",
    "ci_high",
    "share_of_referred",
    "note",
)
#: Columns of :func:`recruitment_monthly`.
RECRUITMENT_COLUMNS: tuple[str, ...] = (
    "month",
    "enrolled",
    "target",
    "cumulative_enrolled",
    "cumulative_target",
)
#: Columns of :func:`data_completeness`.
COMPLETENESS_COLUMNS: tuple[str, ...] = (
    "table",
    "field",
    "timepoint",
    "population",
    "n_rows",
    "n_present",
    "share_present",
)
_ELIGIBILITY_KNOWN = ("eligible", "not_eligible")
#: families columns whose completeness is counted among the families of the flow.
_FLOW_FIELDS = ("eligibility_assessed_date", "eligibility", "offered_date", "enrolled_date")


# --------------------------------------------------------------------------- the flow


def _column(frame: pd.DataFrame, name: str, kind: str) -> pd.Series:
    """A column of ``frame``, or an empty one of the right kind when it is absent."""
    if name in frame.columns:
        col = frame[name]
        if kind == "date":
            return pd.to_datetime(col).astype("datetime64[ns]")
        return col.astype("string")
    if kind == "date":
        return pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]")
    return pd.Series(pd.NA, index=frame.index, dtype="string")


def _flow_mask(
    families: pd.DataFrame, comparison: str | None, programme_start: Any
) -> tuple[np.ndarray, dict[str, int]]:
    """True for the families of the flow; and counts of families left out."""
    missing = [c for c in ("family_id", "cohort") if c not in families.columns]
    if missing:
        raise ValidationError(
            f"families lacks the column(s) {missing}; pass the canonical table "
            "(data.families of an ingested evaluation)."
        )
    cohort = families["cohort"].astype("string")
    keep = (cohort.notna() & cohort.ne("unknown")).to_numpy(dtype=bool)
    left_out: dict[str, int] = {}
    if comparison is not None:
        comp = cohort.eq(comparison).fillna(False).to_numpy(dtype=bool)
        left_out["comparison_families"] = int((keep & comp).sum())
        keep &= ~comp
    elif programme_start is not None:
        # A single cohort: families first contacted before the programme, who reached no
        # stage of the flow, were referred before there was a programme to offer.
        first = _column(families, "first_contact_date", "date")
        before = (first < pd.Timestamp(programme_start)).fillna(False).to_numpy(dtype=bool)
        reached = np.zeros(len(families), dtype=bool)
        for name in ("eligibility_assessed_date", "offered_date", "enrolled_date"):
            reached |= _column(families, name, "date").notna().to_numpy(dtype=bool)
        elig = _column(families, "eligibility", "string")
        reached |= elig.isin(_ELIGIBILITY_KNOWN).fillna(False).to_numpy(dtype=bool)
        left_out["before_programme_start"] = int((keep & before & ~reached).sum())
        keep &= ~(before & ~reached)
    return keep, left_out


@dataclass
class _Flow:
    """Each family of the flow at each stage (None: the stage is not recorded)."""

    families: pd.DataFrame
    stages: dict[str, np.ndarray | None]
    notes: dict[str, list[str]]
    pair: np.ndarray | None
    enrolled_only: bool
    empty_note: str | None
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def referred(self) -> int:
        return len(self.families)

    def n(self, stage: str) -> int | None:
        arr = self.stages[stage]
        return None if arr is None else int(arr.sum())

    def previous(self, stage: str) -> str | None:
        """The nearest earlier stage of the chain whose count is known."""
        prev = _PREVIOUS[stage]
        while prev is not None and self.stages[prev] is None:
            prev = _PREVIOUS[prev]
        return prev


def _not_recorded(field_name: str, table: str = "families") -> str:
    return (
        f"not recorded: {field_name} holds no value for any family of the flow "
        f"(the {table} export lacks the field, or it was never filled)"
    )


def _wellbeing_by_family(
    items: pd.DataFrame | None,
    instrument: str | Instrument,
    registry: Mapping[str, Instrument] | None,
    followup_timepoint: str,
) -> dict[str, Any] | None:
    """Parent/carer completions of the instrument per family (None: none in the data)."""
    from noream_eval.metrics.wellbeing import _resolve, score_instrument

    inst = _resolve(instrument, registry)
    if items is None or items.empty:
        return None
    sc = score_instrument(items, inst).drop_duplicates("response_id")
    if sc.empty:
        return None
    sc = sc.assign(full=sc["n_items_answered"].astype("int64").eq(inst.n_items).to_numpy())
    parent = sc.loc[sc["respondent"].eq(PRIMARY_RESPONDENT).fillna(False)]
    base = parent.loc[parent["timepoint"].eq("baseline").fillna(False)]
    # The baseline analysed: the earliest complete completion, else the earliest one.
    first = base.sort_values(
        ["family_id", "full", "response_date", "response_id"],
        ascending=[True, False, True, True],
        kind="stable",
    ).drop_duplicates("family_id")
    fu = parent.loc[parent["timepoint"].eq(followup_timepoint).fillna(False)]
    return {
        "instrument": inst.name,
        "baseline_date": first.set_index("family_id")["response_date"],
        "baseline_complete": first.set_index("family_id")["full"],
        "followup_recorded": set(fu["family_id"].dropna()),
        "followup_complete": set(fu.loc[fu["full"], "family_id"].dropna()),
    }


def _flow(
    families: pd.DataFrame,
    wellbeing_items: pd.DataFrame | None,
    domain_scores: pd.DataFrame | None,
    *,
    comparison: str | None,
    programme_start: Any,
    data_cut: Any,
    instrument: str | Instrument,
    followup_timepoint: str,
    review_interval_days: int,
    review_tolerance_days: int,
    registry: Mapping[str, Instrument] | None,
) -> _Flow:
    from noream_eval.metrics.wellbeing import followup_due

    keep, left_out = _flow_mask(families, comparison, programme_start)
    fam = families.loc[keep].reset_index(drop=True)
    n = len(fam)
    stages: dict[str, np.ndarray | None] = {name: None for name, _ in STAGES}
    notes: dict[str, list[str]] = {name: [] for name, _ in STAGES}
    params: dict[str, Any] = dict(left_out)
    wb = _wellbeing_by_family(wellbeing_items, instrument, registry, followup_timepoint)
    params["instrument"] = wb["instrument"] if wb is not None else str(instrument)
    if n == 0:
        if families.empty:
            why = "no family in the families table"
        elif comparison is not None:
            why = f"no family outside the comparison cohort ({comparison})"
        else:
            why = "no family referred on or after the programme start"
        zero = np.zeros(0, dtype=bool)
        return _Flow(fam, dict.fromkeys(stages, zero), notes, zero, False, why, params)

    def flags(series: pd.Series) -> np.ndarray:
        return series.fillna(False).to_numpy(dtype=bool)

    stages["referred"] = np.ones(n, dtype=bool)
    assessed_date = _column(fam, "eligibility_assessed_date", "date").notna().to_numpy()
    elig = _column(fam, "eligibility", "string")
    elig_known = flags(elig.isin(_ELIGIBILITY_KNOWN))
    offered_date = _column(fam, "offered_date", "date").notna().to_numpy()
    enrolled_date = _column(fam, "enrolled_date", "date")
    has_enrolled = enrolled_date.notna().to_numpy()
    rec = {
        "assessed": bool(assessed_date.any()),
        "eligibility": bool(elig_known.any()),
        "offered": bool(offered_date.any()),
        "enrolled": bool(has_enrolled.any()),
    }
    none = np.zeros(n, dtype=bool)
    enrolled = has_enrolled if rec["enrolled"] else None
    later = enrolled if enrolled is not None else none
    if rec["offered"]:
        stages["offered"] = offered_date | later
        implied = int((later & ~offered_date).sum())
        if implied:
            notes["offered"].append(f"{implied} enrolled famil(ies) without an offered_date")
        later = stages["offered"]
    else:
        notes["offered"].append(_not_recorded("offered_date"))
    if rec["eligibility"]:
        is_eligible = flags(elig.eq("eligible"))
        stages["eligible"] = is_eligible | later
        implied = int((later & ~is_eligible).sum())
        if implied:
            notes["eligible"].append(
                f"{implied} famil(ies) offered or enrolled without eligibility 'eligible'"
            )
        later = stages["eligible"]
    else:
        notes["eligible"].append(_not_recorded("eligibility"))
    if rec["assessed"] or rec["eligibility"]:
        stages["eligibility_assessed"] = assessed_date | elig_known | later
        implied = int((~assessed_date & (elig_known | later)).sum())
        if not rec["assessed"]:
            notes["eligibility_assessed"].append(
                "eligibility_assessed_date not recorded: read from an eligibility outcome"
            )
        elif implied:
            notes["eligibility_assessed"].append(
                f"{implied} famil(ies) with an eligibility outcome or a later stage but no "
                "eligibility_assessed_date"
            )
    else:
        notes["eligibility_assessed"].append(
            "not recorded: neither eligibility_assessed_date nor eligibility holds a value for "
            "any family of the flow (the families export lacks the fields, or they were never "
            "filled)"
        )
    stages["enrolled"] = enrolled
    if enrolled is None:
        notes["enrolled"].append(_not_recorded("enrolled_date"))
    reasons = _column(fam, "not_enrolled_reason", "string")
    reason_known = bool(flags(reasons.notna() & reasons.ne("unknown")).any())
    enrolled_only = (
        enrolled is not None
        and bool(enrolled.all())
        and not (rec["assessed"] or rec["eligibility"] or rec["offered"] or reason_known)
    )

    # After enrolment: baseline measures and the follow-up of the wellbeing instrument.
    fid = fam["family_id"].astype("string")
    post = enrolled if enrolled is not None else np.ones(n, dtype=bool)
    post_note = [] if enrolled is not None else ["counted among every family of the flow"]
    base_any = none
    if wb is None:
        for s in ("baseline_wellbeing", "followup_due", "followup_completed"):
            notes[s].append(
                f"not recorded: no {params['instrument']} questionnaire in wellbeing_items "
                "(read as not exported)"
            )
        pair = None
    else:
        base_any = flags(fid.isin(wb["baseline_date"].index))
        stages["baseline_wellbeing"] = post & base_any
        notes["baseline_wellbeing"] += post_note
        bdate = pd.to_datetime(wb["baseline_date"].reindex(fid.to_numpy())).to_numpy()
        recorded = flags(fid.isin(wb["followup_recorded"]))
        due = stages["baseline_wellbeing"] & followup_due(
            bdate,
            _column(fam, "exit_date", "date"),
            recorded,
            followup_timepoint=followup_timepoint,
            data_cut=data_cut,
            review_interval_days=review_interval_days,
            review_tolerance_days=review_tolerance_days,
        )
        stages["followup_due"] = due
        stages["followup_completed"] = due & flags(fid.isin(wb["followup_complete"]))
        base_complete = (
            wb["baseline_complete"].reindex(fid.to_numpy()).eq(True).to_numpy(dtype=bool)
        )
        pair = stages["followup_completed"] & base_complete
        params["due_incomplete_baseline"] = int((due & ~base_complete).sum())
    ds = domain_scores
    dom_any = none
    if ds is None or ds.empty:
        notes["baseline_domains"].append(
            "not recorded: domain_scores is empty (read as not exported)"
        )
    else:
        tp = ds["timepoint"].astype("string").eq("baseline").fillna(False).to_numpy(dtype=bool)
        dom_any = flags(fid.isin(ds.loc[tp, "family_id"].astype("string")))
        stages["baseline_domains"] = post & dom_any
        notes["baseline_domains"] += post_note
    known = [s for s in ("baseline_wellbeing", "baseline_domains") if stages[s] is not None]
    if known:
        stages["baseline_either"] = np.logical_or.reduce([stages[s] for s in known])
        if len(known) == 1:
            notes["baseline_either"].append(f"{known[0]} only (the other is not recorded)")
    else:
        notes["baseline_either"].append("not recorded: neither baseline measure is in the data")
    if enrolled is not None:
        params["baseline_not_enrolled"] = int(((base_any | dom_any) & ~enrolled).sum())
    return _Flow(fam, stages, notes, pair, enrolled_only, None, params)


def _options(
    comparison: str | None,
    programme_start: Any,
    data_cut: Any,
    instrument: Any,
    followup_timepoint: str,
    review_interval_days: int,
    review_tolerance_days: int,
    registry: Mapping[str, Instrument] | None,
) -> dict[str, Any]:
    return {
        "comparison": comparison,
        "programme_start": None if programme_start is None else pd.Timestamp(programme_start),
        "data_cut": None if data_cut is None else pd.Timestamp(data_cut),
        "instrument": instrument,
        "followup_timepoint": followup_timepoint,
        "review_interval_days": int(review_interval_days),
        "review_tolerance_days": int(review_tolerance_days),
        "registry": registry,
    }


def _flow_of(data: Any, opts: Mapping[str, Any]) -> _Flow:
    return _flow(
        data.families,
        getattr(data, "wellbeing_items", None),
        getattr(data, "domain_scores", None),
        **opts,
    )


def _wilson(k: int, n: int) -> tuple[float, float, float]:
    from noream_eval.stats import proportion_ci

    ci = proportion_ci(k, n).to_frame().iloc[0]
    return k / n, float(ci["ci_low"]), float(ci["ci_high"])


def _flow_table(flow: _Flow) -> pd.DataFrame:
    rows = []
    shares: list[tuple[int, int, int]] = []  # (row, k, n) of the shares to compute
    n_ref = flow.referred
    for order, (stage, _) in enumerate(STAGES, start=1):
        arr = flow.stages[stage]
        notes = list(flow.notes[stage])
        prev = flow.previous(stage) if stage != "referred" else None
        n = None if arr is None else int(arr.sum())
        of_ref = math.nan
        if flow.empty_note is not None:
            notes.append(flow.empty_note)
        elif arr is not None:
            base = None if prev is None else flow.stages[prev]
            if base is None:
                pass
            elif prev == "referred" and flow.enrolled_only:
                notes.append("the families referred are not in the data (see referred)")
            elif bool((arr & ~base).any()):
                notes.append(f"not a share: some families of this stage did not reach {prev}")
            elif int(base.sum()) == 0:
                notes.append(f"no family at {prev}")
            else:
                shares.append((order - 1, int(arr.sum()), int(base.sum())))
                if prev != _PREVIOUS[stage]:
                    notes.append(f"share of {prev}, the nearest earlier stage recorded")
            if stage == "referred" and flow.enrolled_only:
                notes.append(
                    "every family of the flow is enrolled and no stage before enrolment is "
                    "recorded: the families referred but not enrolled are not in the data, so "
                    "no share of the referred is given"
                )
            elif not flow.enrolled_only and n_ref > 0:
                of_ref = n / n_ref
        rows.append(
            {
                "stage": stage,
                "order": order,
                "previous": prev,
                "n": n,
                "share_of_previous": math.nan,
                "ci_low": math.nan,
                "ci_high": math.nan,
                "share_of_referred": of_ref,
                "note": "; ".join(notes),
            }
        )
    out = pd.DataFrame(rows, columns=list(FLOW_COLUMNS))
    if shares:
        from noream_eval.stats import proportion_ci

        at, k, n = (list(x) for x in zip(*shares, strict=True))
        ci = proportion_ci(k, n).to_frame()
        out.loc[at, "share_of_previous"] = ci["estimate"].to_numpy()
        out.loc[at, "ci_low"] = ci["ci_low"].to_numpy()
        out.loc[at, "ci_high"] = ci["ci_high"].to_numpy()
    out["order"] = out["order"].astype("int64")
    out["n"] = pd.array(out["n"].tolist(), dtype="Int64")
    for c in ("stage", "previous", "note"):
        out[c] = out[c].astype("string")
    for c in ("share_of_previous", "ci_low", "ci_high", "share_of_referred"):
        out[c] = out[c].astype("float64")
    return out


def participant_flow(
    data: EvaluationData,
    *,
    comparison: str | None = "comparison",
    programme_start: Any = None,
    data_cut: Any = None,
    instrument: str | Instrument = "swemwbs",
    followup_timepoint: str = "review",
    review_interval_days: int = AnalysisPlan.review_interval_days,
    review_tolerance_days: int = AnalysisPlan.review_tolerance_days,
    registry: Mapping[str, Instrument] | None = None,
) -> pd.DataFrame:
    """The participant flow from referral to follow-up (CONSORT-style).

    Parameters
    ----------
    data : EvaluationData
        Canonical tables; ``families``, ``wellbeing_items`` and
        ``domain_scores`` are read.
    comparison : str or None, default "comparison"
        The comparison cohort (``Settings.comparison``), left out of the
        flow; None for a single-cohort design.
    programme_start : date-like, optional
        In a single-cohort design, families first contacted before it who
        reached no stage are left out (referred before the programme).
    data_cut : date-like, optional
        The data cut; None: every follow-up counts as due.
    instrument : str or Instrument, default "swemwbs"
        The wellbeing instrument (``[analysis] wellbeing_instrument``).
    followup_timepoint, review_interval_days, review_tolerance_days : optional
        When a follow-up is due (``[analysis]``), as in
        :func:`noream_eval.metrics.wellbeing.followup_due`.
    registry : mapping, optional
        Instrument registry; default: the shipped ``instruments.toml``.

    Returns
    -------
    pandas.DataFrame
        One row per stage of :data:`STAGES` (``referred``,
        ``eligibility_assessed``, ``eligible``, ``offered``, ``enrolled``,
        ``baseline_wellbeing``, ``baseline_domains``, ``baseline_either``,
        ``followup_due``, ``followup_completed``):

        - ``stage``, ``order`` (1 to 10).
        - ``previous``: the stage ``share_of_previous`` is a share of: the
          stage before in the chain, or the nearest earlier one recorded.
        - ``n``: families at the stage; missing when the stage is not recorded.
        - ``share_of_previous``, ``ci_low``, ``ci_high``: n / n of
          ``previous`` with the Wilson score interval.
        - ``share_of_referred``: n / families referred (no interval).
        - ``note``: what a reader must know (a field not recorded, families
          counted by implication, no family in the flow).

    Notes
    -----
    The families of the flow are those of every cohort except
    ``comparison``. A family counts at a stage when its field says so
    (``docs/data_model.md``) or when it reached a later stage before
    enrolment (an enrolled family was offered NOREAM, an offered family was
    eligible, an eligible one assessed: a missing earlier date is a gap in
    the record, counted in the note), so the counts never rise along the
    chain. A field with no value for any family of the flow is not
    recorded: the stage's ``n`` is missing and later stages take their share
    of the nearest earlier stage recorded. Baseline stages count enrolled
    families with a ``baseline`` completion of the instrument by a
    parent/carer (any, complete or not) or a ``baseline`` domain
    assessment. ``followup_due``: families with a baseline completion whose
    follow-up was due by the data cut by
    :func:`~noream_eval.metrics.wellbeing.followup_due` (from the baseline
    analysed: the earliest complete completion, else the earliest), or who
    have a follow-up completion. ``followup_completed``: of them, those with
    a complete follow-up completion (every item answered).

    References
    ----------
    Eldridge SM, Chan CL, Campbell MJ, et al. (2016). CONSORT 2010 statement:
    extension to randomised pilot and feasibility trials. BMJ 355:i5239.
    """
    opts = _options(
        comparison,
        programme_start,
        data_cut,
        instrument,
        followup_timepoint,
        review_interval_days,
        review_tolerance_days,
        registry,
    )
    return _flow_table(_flow_of(data, opts))


def not_enrolled_reasons(
    families: pd.DataFrame,
    *,
    comparison: str | None = "comparison",
    programme_start: Any = None,
) -> pd.DataFrame:
    """Why the families of the flow who did not enrol left it.

    Parameters
    ----------
    families : pandas.DataFrame
        The canonical ``families`` table.
    comparison, programme_start : optional
        As in :func:`participant_flow`.

    Returns
    -------
    pandas.DataFrame
        One row per ``not_enrolled_reason`` level, ``unknown`` last:
        ``reason``, ``n`` (families of the flow without an
        ``enrolled_date``) and ``share`` (of those families; NaN when there
        is none). No rows when no family of the flow has an ``enrolled_date``
        (enrolment is not recorded, so who did not enrol is unknown).
    """
    keep, _ = _flow_mask(families, comparison, programme_start)
    fam = families.loc[keep]
    enrolled = _column(fam, "enrolled_date", "date").notna()
    levels = [*LEVELS["not_enrolled_reason"], "unknown"]
    rows = []
    if enrolled.any():
        reason = _column(fam.loc[~enrolled], "not_enrolled_reason", "string").fillna("unknown")
        total = len(reason)
        for level in levels:
            k = int(reason.eq(level).sum())
            rows.append({"reason": level, "n": k, "share": k / total if total else math.nan})
    out = pd.DataFrame(rows, columns=["reason", "n", "share"])
    return out.astype({"reason": "string", "n": "int64", "share": "float64"})


# --------------------------------------------------------------------------- recruitment


def _month_fraction(
    month: pd.Period, start: pd.Timestamp | None, cut: pd.Timestamp | None
) -> float:
    """The share of the month's days from ``start`` to ``cut`` (both included)."""
    first, last = month.start_time.normalize(), month.end_time.normalize()
    lo = first if start is None else max(first, start)
    hi = last if cut is None else min(last, cut)
    days = calendar.monthrange(month.year, month.month)[1]
    return max((hi - lo).days + 1, 0) / days


@dataclass
class _Recruitment:
    table: pd.DataFrame
    reason: str | None
    params: dict[str, Any]


def _recruitment(
    families: pd.DataFrame,
    *,
    comparison: str | None,
    programme_start: Any,
    data_cut: Any,
    target_per_month: float | None,
) -> _Recruitment:
    keep, _ = _flow_mask(families, comparison, programme_start)
    dates = _column(families.loc[keep], "enrolled_date", "date").dropna()
    start = None if programme_start is None else pd.Timestamp(programme_start)
    cut = None if data_cut is None else pd.Timestamp(data_cut)
    empty = pd.DataFrame({c: [] for c in RECRUITMENT_COLUMNS})
    params: dict[str, Any] = {"target_per_month": target_per_month}
    reason = None
    if not keep.any():
        reason = "no family in the flow"
    elif dates.empty:
        reason = _not_recorded("enrolled_date")
    if reason is not None:
        return _Recruitment(_typed_recruitment(empty), reason, params)
    months = dates.dt.to_period("M")
    first = pd.Period(start, "M") if start is not None else months.min()
    last = max(months.max(), first)
    period = pd.period_range(first, last, freq="M")
    counts = months.where(months >= first, first).value_counts()
    enrolled = np.array([int(counts.get(m, 0)) for m in period], dtype="int64")
    table = pd.DataFrame(
        {"month": [str(m) for m in period], "enrolled": enrolled},
    )
    table["cumulative_enrolled"] = np.cumsum(enrolled)
    if target_per_month is None:
        table["target"] = math.nan
        table["cumulative_target"] = math.nan
    else:
        fractions = np.array([_month_fraction(m, start, cut) for m in period])
        table["target"] = float(target_per_month) * fractions
        table["cumulative_target"] = np.cumsum(table["target"].to_numpy())
    params.update(
        {
            "first_month": str(first),
            "last_month": str(last),
            "months": len(period),
            "enrolled": int(enrolled.sum()),
            "enrolled_before_programme_start": 0 if start is None else int((dates < start).sum()),
        }
    )
    if cut is not None:
        params["months_since_last_enrolment"] = (pd.Period(cut, "M") - months.max()).n
    return _Recruitment(_typed_recruitment(table), None, params)


def _typed_recruitment(table: pd.DataFrame) -> pd.DataFrame:
    out = table.reindex(columns=list(RECRUITMENT_COLUMNS))
    return out.astype(
        {
            "month": "string",
            "enrolled": "int64",
            "target": "float64",
            "cumulative_enrolled": "int64",
            "cumulative_target": "float64",
        }
    )


def recruitment_monthly(
    families: pd.DataFrame,
    *,
    comparison: str | None = "comparison",
    programme_start: Any = None,
    data_cut: Any = None,
    target_per_month: float | None = None,
) -> pd.DataFrame:
    """Families enrolled per month of the recruitment period, against the target.

    Parameters
    ----------
    families : pandas.DataFrame
        The canonical ``families`` table.
    comparison : str or None, default "comparison"
        The comparison cohort, left out (as in :func:`participant_flow`).
    programme_start : date-like, optional
        The first day of recruitment; None: the month of the first enrolment.
    data_cut : date-like, optional
        The data cut (a month it ends early has its target pro-rated).
    target_per_month : float, optional
        Families to enrol per month (``[progression]
        recruitment_target_per_month``); None: the target columns are empty.

    Returns
    -------
    pandas.DataFrame
        One row per month of the recruitment period: ``month`` (``YYYY-MM``),
        ``enrolled`` (families of the flow whose ``enrolled_date`` falls in
        it), ``target`` (the month's target), ``cumulative_enrolled`` and
        ``cumulative_target`` (sums up to and including the month). No rows
        when no family of the flow has an ``enrolled_date``.

    Notes
    -----
    The recruitment period runs from the month of ``programme_start`` (or of
    the first enrolment) to the month of the last enrolment. An
    ``enrolled_date`` with no value for any family of the flow reads as not
    recorded (as in :func:`participant_flow`): no rows. A month's target is the monthly target
    times the share of its days from ``programme_start`` to the data cut, so
    a programme starting mid-month or a data cut mid-month pro-rates it.
    Families enrolled before ``programme_start`` count in the first month.
    """
    rec = _recruitment(
        families,
        comparison=comparison,
        programme_start=programme_start,
        data_cut=data_cut,
        target_per_month=target_per_month,
    )
    return rec.table


# --------------------------------------------------------------------------- completeness


def _present(col: pd.Series, kind: str) -> np.ndarray:
    if kind == "list":
        return col.map(lambda v: v is not None and not np.isscalar(v) and len(v) > 0).to_numpy(
            dtype=bool
        )
    if kind in ("category", "str", "text", "key"):
        s = col.astype("string").str.strip()
        ok = s.notna() & s.ne("")
        if kind in ("category", "str"):
            ok &= s.ne("unknown")
        return ok.fillna(False).to_numpy(dtype=bool)
    return col.notna().to_numpy(dtype=bool)


def _row(
    table: str, field_name: str, timepoint: str, population: str, n: int, k: int
) -> dict[str, Any]:
    return {
        "table": table,
        "field": field_name,
        "timepoint": timepoint,
        "population": population,
        "n_rows": n,
        "n_present": k,
        "share_present": k / n if n else math.nan,
    }


def _table_rows(frame: pd.DataFrame | None, table: str, population: str) -> list[dict[str, Any]]:
    rows = []
    spec = TABLES[table]
    frame = frame if frame is not None else pd.DataFrame(columns=spec.columns)
    for fld in spec.fields:
        n = len(frame)
        k = int(_present(frame[fld.name], fld.kind).sum()) if fld.name in frame.columns else 0
        rows.append(_row(table, fld.name, "all", population, n, k))
    return rows


def _family_rows(families: pd.DataFrame, flow: np.ndarray) -> list[dict[str, Any]]:
    rows = []
    enrolled = _column(families, "enrolled_date", "date").notna().to_numpy(dtype=bool)
    exited = _column(families, "exit_date", "date").notna().to_numpy(dtype=bool)
    for fld in TABLES["families"].fields:
        if fld.name in _FLOW_FIELDS:
            mask, population = flow, "families of the flow"
        elif fld.name == "not_enrolled_reason":
            mask, population = flow & ~enrolled, "families of the flow not enrolled"
        elif fld.name == "exit_reason":
            mask, population = exited, "families with an exit_date"
        else:
            mask, population = np.ones(len(families), dtype=bool), "all families"
        col = families[fld.name] if fld.name in families.columns else None
        k = 0 if col is None else int((_present(col, fld.kind) & mask).sum())
        rows.append(_row("families", fld.name, "all", population, int(mask.sum()), k))
    return rows


def _wellbeing_rows(
    items: pd.DataFrame | None,
    instrument: str | Instrument,
    registry: Mapping[str, Instrument] | None,
    followup_timepoint: str,
) -> list[dict[str, Any]]:
    from noream_eval.metrics.wellbeing import _resolve, score_instrument

    inst = _resolve(instrument, registry)
    sc = (
        score_instrument(items, inst).drop_duplicates("response_id")
        if items is not None and not items.empty
        else None
    )
    groups: dict[tuple[str, str], tuple[int, int]] = {
        (PRIMARY_RESPONDENT, "baseline"): (0, 0),
        (PRIMARY_RESPONDENT, followup_timepoint): (0, 0),
    }
    if sc is not None and not sc.empty:
        full = sc["n_items_answered"].astype("int64").eq(inst.n_items)
        sc = sc.assign(full=full.to_numpy())
        for (resp, tp), g in sc.groupby(["respondent", "timepoint"], sort=True):
            groups[(str(resp), str(tp))] = (len(g), int(g["full"].sum()))
    order = {t: i for i, t in enumerate(LEVELS["timepoint"])}
    rows = []
    for resp, tp in sorted(
        groups, key=lambda k: (k[0] != PRIMARY_RESPONDENT, k[0], order.get(k[1], 9))
    ):
        n, k = groups[(resp, tp)]
        rows.append(_row("wellbeing_items", inst.name, tp, f"{resp} completions", n, k))
    return rows


def _domain_rows(domain_scores: pd.DataFrame | None) -> list[dict[str, Any]]:
    domains = LEVELS["domain"]
    ds = domain_scores
    timepoints = ["baseline"]
    if ds is not None and not ds.empty:
        present = set(ds["timepoint"].astype("string").dropna())
        timepoints += [t for t in (*LEVELS["timepoint"][1:], "unknown") if t in present]
    rows = []
    for tp in timepoints:
        n, k_all, per_domain = 0, 0, pd.Series(0, index=list(domains))
        if ds is not None and not ds.empty:
            sel = ds.loc[ds["timepoint"].astype("string").eq(tp).fillna(False)]
            sel = pd.DataFrame(
                {
                    "family_id": sel["family_id"].astype("string").to_numpy(),
                    "date": pd.to_datetime(sel["assessment_date"]).to_numpy(),
                    "domain": sel["domain"].astype("string").to_numpy(),
                }
            )
            n = int(sel["family_id"].nunique())
            first = sel.groupby("family_id")["date"].transform("min")
            sel = sel.loc[sel["date"].eq(first) & sel["domain"].isin(domains)]
            pairs = sel[["family_id", "domain"]].drop_duplicates()
            k_all = int(pairs.groupby("family_id").size().eq(len(domains)).sum())
            per_domain = pairs["domain"].value_counts().reindex(list(domains), fill_value=0)
        rows.append(_row("domain_scores", "all_domains", tp, "families assessed", n, k_all))
        for dom in domains:
            k = int(per_domain[dom])
            rows.append(_row("domain_scores", dom, tp, "families assessed", n, k))
    return rows


def data_completeness(
    data: EvaluationData,
    *,
    comparison: str | None = "comparison",
    programme_start: Any = None,
    instrument: str | Instrument = "swemwbs",
    followup_timepoint: str = "review",
    registry: Mapping[str, Instrument] | None = None,
) -> pd.DataFrame:
    """How complete each field of the key tables is, per time point for the outcomes.

    Parameters
    ----------
    data : EvaluationData
        Canonical tables; ``families``, ``referrals``, ``payments``,
        ``wellbeing_items`` and ``domain_scores`` are read.
    comparison, programme_start : optional
        The flow's families (as in :func:`participant_flow`), the population
        of the flow fields.
    instrument : str or Instrument, default "swemwbs"
        The wellbeing instrument whose completions are counted.
    followup_timepoint : {"review", "exit"}, default "review"
        The follow-up time point (always listed for parent/carers).
    registry : mapping, optional
        Instrument registry; default: the shipped ``instruments.toml``.

    Returns
    -------
    pandas.DataFrame
        One row per table x field x time point:

        - ``table``: ``families``, ``referrals``, ``payments``,
          ``wellbeing_items`` or ``domain_scores``.
        - ``field``: the canonical column; for ``wellbeing_items`` the
          instrument (a complete questionnaire); for ``domain_scores``
          ``all_domains`` (all seven domains scored) or a domain.
        - ``timepoint``: ``all`` for the first three tables, else the time point.
        - ``population``: the rows counted (``all families``, ``families of
          the flow``, ``families of the flow not enrolled``, ``families with
          an exit_date``, ``all referrals``, ``all payments``,
          ``parent_carer completions``, ``child completions``, ``families
          assessed``).
        - ``n_rows``: rows (families, referrals, payments, completions,
          families assessed) in the population.
        - ``n_present``: of them, with the field present.
        - ``share_present``: n_present / n_rows (NaN when n_rows is 0).

    Notes
    -----
    A value is present when it is not missing; a category ``unknown``, a
    ``site`` ``unknown``, a blank text and an empty list count as missing.
    Empty values that are answers (``exit_date`` of an open case,
    ``complex_flag_date`` of a case never flagged) count as missing too:
    read those rows as the share recorded, not as data quality. The flow
    fields are counted among the families of the flow,
    ``not_enrolled_reason`` among those of them not enrolled,
    ``exit_reason`` among families with an ``exit_date``. A wellbeing
    completion is complete when every item is answered; a family's domain
    assessment at a time point is its earliest one there.
    """
    keep, _ = _flow_mask(data.families, comparison, programme_start)
    rows = _family_rows(data.families, keep)
    rows += _table_rows(getattr(data, "referrals", None), "referrals", "all referrals")
    rows += _table_rows(getattr(data, "payments", None), "payments", "all payments")
    rows += _wellbeing_rows(
        getattr(data, "wellbeing_items", None), instrument, registry, followup_timepoint
    )
    rows += _domain_rows(getattr(data, "domain_scores", None))
    out = pd.DataFrame(rows, columns=list(COMPLETENESS_COLUMNS))
    for c in ("table", "field", "timepoint", "population"):
        out[c] = out[c].astype("string")
    return out.astype({"n_rows": "int64", "n_present": "int64", "share_present": "float64"})


# --------------------------------------------------------------------------- indicators


def _share_indicator(
    name: str,
    k: int | None,
    n: int | None,
    *,
    definition: str,
    unit: str,
    why: str | None,
    params: Mapping[str, Any],
) -> dict[str, Any]:
    if why is None and (n is None or n == 0):
        why = "no family in the denominator"
    if why is not None or k is None or n is None:
        return indicator(
            OUTCOME,
            name,
            n=n or 0,
            estimate=None,
            method=f"not estimable: {why}; {definition}",
            unit=unit,
            params=params,
        )
    est, lo, hi = _wilson(k, n)
    return indicator(
        OUTCOME,
        name,
        n=n,
        estimate=est,
        ci_low=lo,
        ci_high=hi,
        method=f"{definition}; Wilson score interval",
        unit=unit,
        params={**params, "k": k},
    )


def _stage_missing(flow: _Flow, *stages: str) -> str | None:
    if flow.empty_note is not None:
        return flow.empty_note
    for s in stages:
        if flow.stages[s] is None:
            return f"{s} {flow.notes[s][0]}"
    return None


def _indicator_rows(
    flow: _Flow, rec: _Recruitment, opts: Mapping[str, Any]
) -> list[dict[str, Any]]:
    rows = []
    common = {k: opts[k] for k in ("comparison", "data_cut")}
    # Enrolment.
    why = _stage_missing(flow, "enrolled")
    if why is None and flow.enrolled_only:
        why = (
            "every family of the flow is enrolled and no stage before enrolment is "
            "recorded: the families referred but not enrolled are not in the data"
        )
    rows.append(
        _share_indicator(
            "enrolment_rate",
            flow.n("enrolled"),
            flow.referred,
            definition="families enrolled / families referred (every cohort but the comparison)",
            unit="share of families referred",
            why=why,
            params={**common, **flow.params},
        )
    )
    why = _stage_missing(flow, "offered", "enrolled")
    rows.append(
        _share_indicator(
            "conversion_offered_to_enrolled",
            flow.n("enrolled"),
            flow.n("offered"),
            definition="families enrolled / families offered NOREAM",
            unit="share of families offered",
            why=why,
            params=common,
        )
    )
    rows += _recruitment_rows(rec)
    # Retention and completeness of the primary outcome.
    timing = {
        "instrument": flow.params["instrument"],
        "respondent": PRIMARY_RESPONDENT,
        "followup_timepoint": opts["followup_timepoint"],
        "review_interval_days": opts["review_interval_days"],
        "review_tolerance_days": opts["review_tolerance_days"],
        "data_cut": opts["data_cut"],
    }
    why = _stage_missing(flow, "followup_due")
    n_due = flow.n("followup_due")
    if why is None and n_due == 0:
        why = "no follow-up due by the data cut yet"
    rows.append(
        _share_indicator(
            "retention_followup",
            flow.n("followup_completed"),
            n_due,
            definition=(
                "families with a complete follow-up completion / enrolled families with a "
                "baseline completion whose follow-up was due"
            ),
            unit="share of families whose follow-up was due",
            why=why,
            params=timing,
        )
    )
    k_pair = None if flow.pair is None else int(flow.pair.sum())
    rows.append(
        _share_indicator(
            "primary_outcome_completeness",
            k_pair,
            n_due,
            definition=(
                "families with a complete primary outcome questionnaire at baseline and at "
                "follow-up / enrolled families with a baseline completion whose follow-up "
                "was due"
            ),
            unit="share of families whose follow-up was due",
            why=why,
            params={
                **timing,
                "due_incomplete_baseline": flow.params.get("due_incomplete_baseline"),
            },
        )
    )
    return rows


def _recruitment_rows(rec: _Recruitment) -> list[dict[str, Any]]:
    table, params = rec.table, rec.params
    target = params.get("target_per_month")
    months = len(table)
    why = rec.reason
    if why is None and target is None:
        why = "the analysis plan sets no recruitment target ([progression] " + (
            "recruitment_target_per_month)"
        )
    rows = []
    if why is not None:
        for name, unit in (
            ("recruitment_vs_target", "families enrolled / target (ratio)"),
            ("recruitment_months_on_target", "share of recruitment months"),
        ):
            rows.append(
                indicator(
                    OUTCOME,
                    name,
                    n=months,
                    estimate=None,
                    method=f"not estimable: {why}",
                    unit=unit,
                    params=params,
                )
            )
        return rows
    enrolled = int(table["enrolled"].sum())
    total = float(table["target"].sum())
    on_target = int((table["enrolled"] >= table["target"] - 1e-9).sum())
    period = f"{params['first_month']} to {params['last_month']}"
    rows.append(
        indicator(
            OUTCOME,
            "recruitment_vs_target",
            n=months,
            estimate=enrolled / total if total > 0 else None,
            method=(
                f"families enrolled / recruitment target over the recruitment period ({period}, "
                f"{months} month(s), ending with the last enrolment); a ratio of counts, no "
                "interval"
            ),
            unit="families enrolled / target (ratio)",
            params={**params, "target_total": total},
        )
    )
    rows.append(
        indicator(
            OUTCOME,
            "recruitment_months_on_target",
            n=months,
            estimate=on_target / months,
            method=(
                f"months of the recruitment period ({period}) enrolling at least the month's "
                "target / months; no interval"
            ),
            unit="share of recruitment months",
            params={**params, "months_on_target": on_target},
        )
    )
    return rows


def feasibility_indicators(
    data: EvaluationData,
    *,
    comparison: str | None = "comparison",
    programme_start: Any = None,
    data_cut: Any = None,
    instrument: str | Instrument = "swemwbs",
    followup_timepoint: str = "review",
    review_interval_days: int = AnalysisPlan.review_interval_days,
    review_tolerance_days: int = AnalysisPlan.review_tolerance_days,
    recruitment_target_per_month: float | None = None,
    registry: Mapping[str, Instrument] | None = None,
) -> pd.DataFrame:
    """The feasibility indicators: enrolment, recruitment, retention, completeness.

    Parameters
    ----------
    data : EvaluationData
        Canonical tables (``families``, ``wellbeing_items``, ``domain_scores``).
    comparison, programme_start, data_cut, instrument, followup_timepoint : optional
        As in :func:`participant_flow`.
    review_interval_days, review_tolerance_days, registry : optional
        As in :func:`participant_flow`.
    recruitment_target_per_month : float, optional
        ``[progression] recruitment_target_per_month``; None: recruitment is
        not rated.

    Returns
    -------
    pandas.DataFrame
        Indicator rows (columns of
        :data:`~noream_eval.metrics.core.INDICATOR_COLUMNS`, group ``all``):

        - ``enrolment_rate``: families enrolled / referred, Wilson interval;
          n = families referred.
        - ``conversion_offered_to_enrolled``: enrolled / offered, Wilson;
          n = families offered.
        - ``recruitment_vs_target``: families enrolled / the target summed
          over the recruitment period (see :func:`recruitment_monthly`); no
          interval; n = months.
        - ``recruitment_months_on_target``: share of the months enrolling at
          least their target; n = months.
        - ``retention_followup``: families with a complete follow-up
          completion / families whose follow-up was due, Wilson; n =
          families due.
        - ``primary_outcome_completeness``: families with a complete
          questionnaire at baseline and at follow-up / families whose
          follow-up was due, Wilson; n = families due.

    Notes
    -----
    The stages are those of :func:`participant_flow`. A row that cannot be
    estimated (no family in the flow, a stage not recorded, no follow-up
    due yet, no recruitment target) has no estimate and a method starting
    ``not estimable:`` that says why. ``retention_followup``,
    ``recruitment_vs_target`` and ``primary_outcome_completeness`` are the
    values of the progression criteria retention, recruitment and data
    completeness (:mod:`noream_eval.metrics.promise`).

    References
    ----------
    Avery KNL, Williamson PR, Gamble C, et al. (2017). Informing efficient
    randomised controlled trials: exploration of challenges in developing
    progression criteria for internal pilot studies. BMJ Open 7:e013537.
    """
    opts = _options(
        comparison,
        programme_start,
        data_cut,
        instrument,
        followup_timepoint,
        review_interval_days,
        review_tolerance_days,
        registry,
    )
    flow = _flow_of(data, opts)
    rec = _recruitment(
        data.families,
        comparison=comparison,
        programme_start=opts["programme_start"],
        data_cut=opts["data_cut"],
        target_per_month=recruitment_target_per_month,
    )
    return indicator_table(_indicator_rows(flow, rec, opts))


# --------------------------------------------------------------------------- compute


def compute(data: EvaluationData, settings: Settings) -> Part:
    """Every feasibility indicator and supporting table.

    Parameters
    ----------
    data : EvaluationData
        Canonical tables.
    settings : Settings
        Dates, cohorts, instrument registry and analysis plan.

    Returns
    -------
    Part
        The indicators of :func:`feasibility_indicators` and the tables
        ``participant_flow``, ``not_enrolled_reasons``,
        ``recruitment_monthly`` and ``data_completeness``.
    """
    plan = settings.plan
    opts = _options(
        settings.comparison,
        settings.programme_start,
        settings.data_cut,
        plan.wellbeing_instrument,
        plan.followup_timepoint,
        plan.review_interval_days,
        plan.review_tolerance_days,
        settings.instruments,
    )
    flow = _flow_of(data, opts)
    rec = _recruitment(
        data.families,
        comparison=settings.comparison,
        programme_start=opts["programme_start"],
        data_cut=opts["data_cut"],
        target_per_month=plan.recruitment_target_per_month,
    )
    tables = {
        "participant_flow": _flow_table(flow),
        "not_enrolled_reasons": not_enrolled_reasons(
            data.families,
            comparison=settings.comparison,
            programme_start=opts["programme_start"],
        ),
        "recruitment_monthly": rec.table,
        "data_completeness": data_completeness(
            data,
            comparison=settings.comparison,
            programme_start=opts["programme_start"],
            instrument=plan.wellbeing_instrument,
            followup_timepoint=plan.followup_timepoint,
            registry=settings.instruments,
        ),
    }
    return Part(indicators=_indicator_rows(flow, rec, opts), tables=tables)
