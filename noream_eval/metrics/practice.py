"""Outcome 4: a scalable model of practice (deliverables, fidelity of delivery, dosage).

The model's outputs come from the ``deliverables`` tracker: the practice
manual, the training programme and working papers. Fidelity asks whether the
model was delivered as designed for every enrolled family: a baseline
assessment within the window after enrolment, a review at the planned
interval, a contact with the immigration advisor, and a SNAC or case
consultation for a case flagged complex. Dosage is the number of worker
contacts per family-month on the programme. ``docs/outcomes.md`` (outcome 4)
defines every indicator.

Some exports lack the tables or columns a fidelity indicator needs (an LA
that does not export worker contacts, a case system without a complex-case
flag); such an indicator is NaN with n = 0 and a method saying what is
missing, and ``fidelity_overall`` averages the others.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from noream_eval.metrics._reuse import reused
from noream_eval.metrics.core import Part, cut_date, indicator, indicator_table
from noream_eval.plan import AnalysisPlan

if TYPE_CHECKING:
    from noream_eval.data import EvaluationData
    from noream_eval.metrics.core import Settings

__all__ = [
    "COMPLEX_DUE_DAYS",
    "DAYS_PER_MONTH",
    "FIDELITY_INDICATORS",
    "compute",
    "deliverable_indicators",
    "deliverables_summary",
    "dosage",
    "fidelity",
    "fidelity_indicators",
]

OUTCOME = "4"
#: Days in a family-month (365.25 / 12).
DAYS_PER_MONTH = 365.25 / 12
#: A case flagged complex at least this many days before the data cut has had a
#: monthly SNAC in which to be discussed.
COMPLEX_DUE_DAYS = 31
#: The fidelity indicators, in order.
FIDELITY_INDICATORS: tuple[str, ...] = (
    "fidelity_baseline_assessment",
    "fidelity_review_on_time",
    "fidelity_immigration_advisor",
    "fidelity_complex_case_discussed",
)
_DELIVERED = ("complete", "published")
_KINDS = ("manual", "training_session", "working_paper", "map_strategy")
_STATUSES = ("planned", "in_progress", "complete", "published")


def _missing_table(table: pd.DataFrame | None, columns: tuple[str, ...]) -> str | None:
    """Why a table cannot be used (None when it can)."""
    if table is None:
        return "not in the data"
    absent = [c for c in columns if c not in table.columns]
    if absent:
        return f"without the column(s) {', '.join(absent)}"
    if table.empty:
        return "empty (read as not exported)"
    return None


# --------------------------------------------------------------------------- deliverables


def _delivered(d: pd.DataFrame, cut: pd.Timestamp) -> np.ndarray:
    """Delivered: status complete or published, or no status and dated by the cut."""
    status = d["status"].astype("string")
    done = status.isin(_DELIVERED).fillna(False).to_numpy(dtype=bool)
    no_status = (status.isna() | (status == "unknown")).to_numpy(dtype=bool)
    dated = (d["date"].notna() & (d["date"] <= cut)).to_numpy(dtype=bool)
    return done | (no_status & dated)


def deliverables_summary(deliverables: pd.DataFrame, *, data_cut: Any) -> pd.DataFrame:
    """Deliverables counted by kind and status.

    Parameters
    ----------
    deliverables
        The canonical ``deliverables`` table.
    data_cut
        The data cut date.

    Returns
    -------
    pandas.DataFrame
        One row per kind (``manual``, ``training_session``,
        ``working_paper``, ``map_strategy``): ``kind``, ``total``,
        ``planned``, ``in_progress``, ``complete``, ``published``,
        ``status_unknown`` (rows by status), ``delivered`` (complete or
        published, or without a status but dated on or before the data
        cut), ``attendees`` and ``las_reached`` (sums over delivered rows
        with the value recorded), ``first_date`` and ``last_date`` (of the
        delivered rows).
    """
    cut = cut_date(data_cut)
    rows = []
    d = deliverables if deliverables is not None else pd.DataFrame()
    for kind in _KINDS:
        part = d.loc[d["kind"].astype("string") == kind] if len(d) else d
        if len(part):
            status = part["status"].astype("string")
            done = _delivered(part, cut)
            dates = part.loc[done, "date"]
            counts = [int((status == s).sum()) for s in _STATUSES]
            unknown = int((status.isna() | ~status.isin(_STATUSES)).sum())
            att = int(part.loc[done, "attendees"].sum())
            las = int(part.loc[done, "las_reached"].sum())
            rows.append(
                (
                    kind,
                    len(part),
                    *counts,
                    unknown,
                    int(done.sum()),
                    att,
                    las,
                    dates.min(),
                    dates.max(),
                )
            )
        else:
            rows.append((kind, 0, 0, 0, 0, 0, 0, 0, 0, 0, pd.NaT, pd.NaT))
    cols = [
        "kind",
        "total",
        *_STATUSES,
        "status_unknown",
        "delivered",
        "attendees",
        "las_reached",
        "first_date",
        "last_date",
    ]
    out = pd.DataFrame(rows, columns=cols)
    out["first_date"] = pd.to_datetime(out["first_date"])
    out["last_date"] = pd.to_datetime(out["last_date"])
    ints = ["total", *_STATUSES, "status_unknown", "delivered", "attendees", "las_reached"]
    return out.astype({c: "int64" for c in ints} | {"kind": "string"})


def deliverable_indicators(deliverables: pd.DataFrame, *, data_cut: Any) -> pd.DataFrame:
    """The model-of-practice outputs: manual, training programme, working papers.

    Parameters
    ----------
    deliverables
        The canonical ``deliverables`` table.
    data_cut
        The data cut date.

    Returns
    -------
    pandas.DataFrame
        Indicator rows (group ``all``, no intervals: these are counts of
        what was produced, not estimates):

        - ``manual_published``: 1 when a manual has status ``published``,
          else 0; the earliest publication date is in ``params``; n = manual
          rows;
        - ``training_sessions``: training sessions delivered; n = sessions;
        - ``training_attendees``: attendees summed over delivered sessions
          with attendees recorded; n = those sessions;
        - ``training_las_reached``: local authorities reached, summed over
          delivered sessions with it recorded (an LA reached at two sessions
          counts twice; the largest single-session value is in ``params``);
          n = those sessions;
        - ``working_papers``: working papers or articles published; n =
          working-paper rows.

        An empty deliverables table gives NaN rows (read as not exported).

    Notes
    -----
    Delivered = status ``complete`` or ``published``, or no status and a
    date on or before the data cut (planned sessions are not counted).
    """
    cut = cut_date(data_cut)
    names = (
        "manual_published",
        "training_sessions",
        "training_attendees",
        "training_las_reached",
        "working_papers",
    )
    units = {
        "manual_published": "1 = practice manual published, 0 = not",
        "training_sessions": "training sessions delivered",
        "training_attendees": "people attending training sessions",
        "training_las_reached": "local authorities reached, summed over sessions",
        "working_papers": "working papers or articles published",
    }
    if deliverables is None or deliverables.empty:
        reason = "no deliverables in the data (an empty table is read as not exported)"
        return indicator_table(
            [indicator(OUTCOME, k, n=0, estimate=None, method=reason, unit=units[k]) for k in names]
        )
    d = deliverables
    kind = d["kind"].astype("string")
    status = d["status"].astype("string")
    rows = []

    manual = d.loc[(kind == "manual").fillna(False).to_numpy(dtype=bool)]
    pub = (manual["status"].astype("string") == "published").fillna(False).to_numpy(dtype=bool)
    date = pd.to_datetime(manual.loc[pub, "date"]).min() if pub.any() else None
    rows.append(
        indicator(
            OUTCOME,
            "manual_published",
            n=len(manual),
            estimate=1.0 if pub.any() else 0.0,
            method="1 when a manual deliverable has status published, else 0",
            unit=units["manual_published"],
            params={"date": None if date is None or pd.isna(date) else date},
        )
    )

    sess = d.loc[(kind == "training_session").fillna(False).to_numpy(dtype=bool)]
    done = sess.loc[_delivered(sess, cut)] if len(sess) else sess
    planned = int((status.loc[sess.index] == "planned").sum()) if len(sess) else 0
    rows.append(
        indicator(
            OUTCOME,
            "training_sessions",
            n=len(done),
            estimate=float(len(done)),
            method="training sessions with status complete or published (or no status and "
            "dated by the data cut)",
            unit=units["training_sessions"],
            params={"sessions_recorded": len(sess), "planned": planned, "data_cut": cut},
        )
    )
    for name, col in (("training_attendees", "attendees"), ("training_las_reached", "las_reached")):
        vals = done[col].dropna().astype("int64") if len(done) else pd.Series(dtype="int64")
        params: dict[str, Any] = {
            "sessions_delivered": len(done),
            "not_recorded": len(done) - len(vals),
        }
        if name == "training_las_reached":
            params["largest_single_session"] = int(vals.max()) if len(vals) else None
        rows.append(
            indicator(
                OUTCOME,
                name,
                n=len(vals),
                estimate=float(vals.sum()) if len(vals) else (0.0 if len(done) == 0 else None),
                method=f"sum of {col} over delivered training sessions with it recorded"
                + (
                    f"; {len(done) - len(vals)} session(s) without it"
                    if len(done) > len(vals)
                    else ""
                ),
                unit=units[name],
                params=params,
            )
        )

    papers = d.loc[(kind == "working_paper").fillna(False).to_numpy(dtype=bool)]
    p_status = papers["status"].astype("string")
    k = int((p_status == "published").sum())
    rows.append(
        indicator(
            OUTCOME,
            "working_papers",
            n=len(papers),
            estimate=float(k),
            method="working papers or articles with status published",
            unit=units["working_papers"],
            params={"recorded": len(papers), "not_yet_published": len(papers) - k},
        )
    )
    return indicator_table(rows)


# --------------------------------------------------------------------------- fidelity


def _share_row(
    name: str,
    k: int | None,
    n: int,
    *,
    definition: str,
    reason: str | None = None,
    params: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One fidelity row for the ``fidelity`` table."""
    from noream_eval.stats import proportion_ci

    if reason is not None or k is None or n == 0:
        why = reason or "no family in the denominator"
        return {
            "indicator": name,
            "numerator": None,
            "denominator": n if reason is None else 0,
            "share": math.nan,
            "ci_low": math.nan,
            "ci_high": math.nan,
            "definition": definition,
            "note": f"not estimable: {why}",
            "params": params or {},
        }
    ci = proportion_ci(k, n).to_frame().iloc[0]
    return {
        "indicator": name,
        "numerator": k,
        "denominator": n,
        "share": k / n,
        "ci_low": float(ci["ci_low"]),
        "ci_high": float(ci["ci_high"]),
        "definition": definition,
        "note": "",
        "params": params or {},
    }


def _enrolled(families: pd.DataFrame, cut: pd.Timestamp) -> pd.DataFrame:
    if families is None or families.empty:
        return pd.DataFrame(columns=["family_id", "enrolled_date", "exit_date"])
    sel = families["enrolled_date"].notna() & (families["enrolled_date"] <= cut)
    return families.loc[sel]


def _assessments(domain_scores: pd.DataFrame, timepoint: str) -> pd.DataFrame:
    """Distinct (family, date) assessments of a time point."""
    ds = domain_scores
    tp = ds["timepoint"].astype("string") == timepoint
    return (
        ds.loc[tp.fillna(False).to_numpy(dtype=bool), ["family_id", "assessment_date"]]
        .dropna()
        .drop_duplicates()
    )


@reused
def _fidelity_rows(
    families: pd.DataFrame,
    domain_scores: pd.DataFrame | None,
    contacts: pd.DataFrame | None,
    meetings: pd.DataFrame | None,
    meeting_cases: pd.DataFrame | None,
    *,
    cut: pd.Timestamp,
    baseline_window_days: int,
    review_interval_days: int,
    review_tolerance_days: int,
    complex_due_days: int,
) -> list[dict[str, Any]]:
    fam = _enrolled(families, cut)
    out = []
    no_fam = "no family enrolled by the data cut" if fam.empty else None
    enrolled = pd.to_datetime(fam["enrolled_date"])
    exit_date = pd.to_datetime(fam["exit_date"])

    # Baseline assessment within the window of enrolment.
    w = baseline_window_days
    definition = (
        f"enrolled families with a baseline domain assessment within {w} days of enrolment / "
        f"families enrolled at least {w} days before the data cut"
    )
    bad = _missing_table(domain_scores, ("family_id", "assessment_date", "timepoint"))
    reason = no_fam or (f"domain assessments {bad}" if bad else None)
    first_base = pd.Series(dtype="datetime64[ns]")
    if reason is None:
        base = _assessments(domain_scores, "baseline")
        first_base = base.groupby("family_id")["assessment_date"].min()
        due = (enrolled + pd.Timedelta(days=w)) <= cut
        fam_due = fam.loc[due.to_numpy(dtype=bool)]
        b = base.merge(fam_due[["family_id", "enrolled_date"]], on="family_id")
        gap = (b["assessment_date"] - b["enrolled_date"]).dt.days.abs()
        ok = set(b.loc[gap <= w, "family_id"])
        k = int(fam_due["family_id"].isin(ok).sum())
        out.append(
            _share_row(
                FIDELITY_INDICATORS[0],
                k,
                len(fam_due),
                definition=definition,
                params={"baseline_window_days": w, "not_yet_due": int((~due).sum())},
            )
        )
    else:
        out.append(
            _share_row(FIDELITY_INDICATORS[0], None, 0, definition=definition, reason=reason)
        )

    # Review at the planned interval after baseline.
    iv, tol = review_interval_days, review_tolerance_days
    definition = (
        f"families with a review assessment no later than {iv} + {tol} days after their "
        f"baseline (enrolment when there is none) / families for whom it was due by the data "
        f"cut and whose case was still open {iv} days after baseline"
    )
    if reason is None:
        review = _assessments(domain_scores, "review")
        anchor = fam["family_id"].map(first_base)
        anchor = pd.to_datetime(anchor).fillna(enrolled)
        due = (anchor + pd.Timedelta(days=iv + tol)) <= cut
        open_ = exit_date.isna() | (exit_date >= anchor + pd.Timedelta(days=iv))
        sel = (due & open_).to_numpy(dtype=bool)
        fam_due = pd.DataFrame({"family_id": fam["family_id"].to_numpy(), "anchor": anchor})
        fam_due = fam_due.loc[sel]
        r = review.merge(fam_due, on="family_id")
        gap = (r["assessment_date"] - r["anchor"]).dt.days
        ok = set(r.loc[(gap > 0) & (gap <= iv + tol), "family_id"])
        k = int(fam_due["family_id"].isin(ok).sum())
        out.append(
            _share_row(
                FIDELITY_INDICATORS[1],
                k,
                len(fam_due),
                definition=definition,
                params={
                    "review_interval_days": iv,
                    "review_tolerance_days": tol,
                    "not_yet_due": int((~due).sum()),
                    "closed_before_review": int((due & ~open_).sum()),
                },
            )
        )
    else:
        out.append(
            _share_row(FIDELITY_INDICATORS[1], None, 0, definition=definition, reason=reason)
        )

    # Contact with the immigration advisor.
    definition = (
        "enrolled families with at least one contact with the immigration advisor by the "
        "data cut / families enrolled by the data cut"
    )
    bad = _missing_table(contacts, ("family_id", "contact_date", "worker_role"))
    reason = no_fam or (f"the contacts table is {bad}" if bad else None)
    if reason is None:
        roles = contacts["worker_role"].astype("string")
        known = roles.notna() & (roles != "unknown")
        if not known.any():
            reason = "no contact has a worker role recorded"
    if reason is None:
        c = contacts.loc[
            (roles == "immigration_advisor").fillna(False).to_numpy(dtype=bool)
            & (contacts["contact_date"] <= cut).fillna(False).to_numpy(dtype=bool)
        ]
        k = int(fam["family_id"].isin(set(c["family_id"])).sum())
        out.append(
            _share_row(
                FIDELITY_INDICATORS[2],
                k,
                len(fam),
                definition=definition,
                params={"contacts_role_unknown": int((~known).sum())},
            )
        )
    else:
        out.append(
            _share_row(FIDELITY_INDICATORS[2], None, 0, definition=definition, reason=reason)
        )

    # Complex cases discussed at a SNAC or consultation.
    definition = (
        "enrolled families flagged complex at least "
        f"{complex_due_days} days before the data cut and discussed at a SNAC or case "
        "consultation on or after the flag date / such families"
    )
    reason = no_fam
    if reason is None and "complex_flag_date" not in fam.columns:
        reason = "the families table has no complex_flag_date column"
    if reason is None:
        bad = _missing_table(meetings, ("meeting_id", "meeting_date"))
        if bad:
            reason = f"meetings {bad}"
    if reason is None:
        flag = pd.to_datetime(fam["complex_flag_date"])
        flagged = fam.loc[
            (flag.notna() & (flag <= cut - pd.Timedelta(days=complex_due_days))).to_numpy(
                dtype=bool
            )
        ]
        if flag.notna().sum() == 0:
            reason = "no enrolled family has a complex_flag_date"
    if reason is None:
        held = meetings.loc[meetings["meeting_date"] <= cut, ["meeting_id", "meeting_date"]]
        if meeting_cases is None:
            meeting_cases = pd.DataFrame({"meeting_id": [], "family_id": []}, dtype="string")
        mc = meeting_cases.merge(held, on="meeting_id")
        mc = mc.merge(flagged[["family_id", "complex_flag_date"]], on="family_id")
        ok = set(mc.loc[mc["meeting_date"] >= mc["complex_flag_date"], "family_id"])
        k = int(flagged["family_id"].isin(ok).sum())
        out.append(
            _share_row(
                FIDELITY_INDICATORS[3],
                k,
                len(flagged),
                definition=definition,
                params={
                    "complex_due_days": complex_due_days,
                    "flagged_not_yet_due": int(flag.notna().sum()) - len(flagged),
                },
            )
        )
    else:
        out.append(
            _share_row(FIDELITY_INDICATORS[3], None, 0, definition=definition, reason=reason)
        )
    return out


def fidelity(
    families: pd.DataFrame,
    domain_scores: pd.DataFrame | None,
    *,
    data_cut: Any,
    contacts: pd.DataFrame | None = None,
    meetings: pd.DataFrame | None = None,
    meeting_cases: pd.DataFrame | None = None,
    baseline_window_days: int = AnalysisPlan.baseline_window_days,
    review_interval_days: int = AnalysisPlan.review_interval_days,
    review_tolerance_days: int = AnalysisPlan.review_tolerance_days,
    complex_due_days: int = COMPLEX_DUE_DAYS,
) -> pd.DataFrame:
    """Fidelity of delivery: one row per fidelity indicator.

    Parameters
    ----------
    families, domain_scores
        The canonical tables.
    data_cut
        The data cut date.
    contacts
        The canonical ``contacts`` table, or None when the data have none.
    meetings, meeting_cases
        The canonical tables (for complex cases discussed).
    baseline_window_days, review_interval_days, review_tolerance_days
        The analysis plan's fidelity windows (``[analysis]``).
    complex_due_days
        A case flagged complex at least this many days before the data cut
        is in the denominator of complex cases discussed.

    Returns
    -------
    pandas.DataFrame
        One row per :data:`FIDELITY_INDICATORS` entry: ``indicator``,
        ``numerator``, ``denominator`` (Int64; numerator empty and
        denominator 0 when not computed), ``share``, ``ci_low``, ``ci_high``
        (Wilson), ``definition`` and ``note`` (why a share is missing).

    Notes
    -----
    All four use the families enrolled by the data cut (``enrolled_date``
    on or before it):

    - baseline assessment: a ``baseline`` domain assessment dated within
      ``baseline_window_days`` of enrolment (before or after); families
      enrolled fewer than ``baseline_window_days`` days before the cut are
      not yet due and left out;
    - review on time: a ``review`` assessment after the family's first
      baseline assessment (its enrolment date when it has none) and no
      later than ``review_interval_days + review_tolerance_days`` after it
      (an early review counts); due when that deadline is on or before the
      data cut; a family whose case closed before ``review_interval_days``
      after baseline is left out (no review was due while it was open);
    - immigration advisor: at least one contact with ``worker_role``
      ``immigration_advisor`` on or before the cut; contacts of unknown role
      count for nothing, and with no role recorded at all the share is not
      computed;
    - complex case discussed: families with ``complex_flag_date`` at least
      ``complex_due_days`` before the cut, discussed at a SNAC or case
      consultation dated on or after the flag.

    Missing data: a table or column the indicator needs that is absent or
    empty gives a NaN share with the reason in ``note``.
    """
    rows = _fidelity_rows(
        families,
        domain_scores,
        contacts,
        meetings,
        meeting_cases,
        cut=cut_date(data_cut),
        baseline_window_days=baseline_window_days,
        review_interval_days=review_interval_days,
        review_tolerance_days=review_tolerance_days,
        complex_due_days=complex_due_days,
    )
    out = pd.DataFrame([{k: v for k, v in r.items() if k != "params"} for r in rows])
    out["numerator"] = pd.array(out["numerator"].tolist(), dtype="Int64")
    out["denominator"] = pd.array(out["denominator"].tolist(), dtype="Int64")
    for c in ("share", "ci_low", "ci_high"):
        out[c] = out[c].astype("float64")
    for c in ("indicator", "definition", "note"):
        out[c] = out[c].astype("string")
    return out


def fidelity_indicators(
    families: pd.DataFrame,
    domain_scores: pd.DataFrame | None,
    *,
    data_cut: Any,
    contacts: pd.DataFrame | None = None,
    meetings: pd.DataFrame | None = None,
    meeting_cases: pd.DataFrame | None = None,
    baseline_window_days: int = AnalysisPlan.baseline_window_days,
    review_interval_days: int = AnalysisPlan.review_interval_days,
    review_tolerance_days: int = AnalysisPlan.review_tolerance_days,
    complex_due_days: int = COMPLEX_DUE_DAYS,
) -> pd.DataFrame:
    """The fidelity indicators and ``fidelity_overall`` as indicator rows.

    Parameters
    ----------
    families, domain_scores, data_cut, contacts, meetings, meeting_cases
        As for :func:`fidelity`.
    baseline_window_days, review_interval_days, review_tolerance_days, complex_due_days
        As for :func:`fidelity`.

    Returns
    -------
    pandas.DataFrame
        One row per fidelity indicator (share of families, Wilson interval;
        n = families in the denominator) and ``fidelity_overall``: the
        unweighted mean of the shares that could be computed (named in
        ``params``; n = number of shares averaged; no interval).
    """
    rows = _fidelity_rows(
        families,
        domain_scores,
        contacts,
        meetings,
        meeting_cases,
        cut=cut_date(data_cut),
        baseline_window_days=baseline_window_days,
        review_interval_days=review_interval_days,
        review_tolerance_days=review_tolerance_days,
        complex_due_days=complex_due_days,
    )
    out = []
    for r in rows:
        computed = not math.isnan(r["share"])
        out.append(
            indicator(
                OUTCOME,
                r["indicator"],
                n=r["denominator"] if computed else 0,
                estimate=r["share"],
                ci_low=r["ci_low"],
                ci_high=r["ci_high"],
                method=(f"{r['definition']}; Wilson interval" if computed else r["note"]),
                unit="share of enrolled families",
                params=r["params"] | ({"numerator": r["numerator"]} if computed else {}),
            )
        )
    used = [r["indicator"] for r in rows if not math.isnan(r["share"])]
    left = [r["indicator"] for r in rows if math.isnan(r["share"])]
    shares = [r["share"] for r in rows if not math.isnan(r["share"])]
    out.append(
        indicator(
            OUTCOME,
            "fidelity_overall",
            n=len(used),
            estimate=float(np.mean(shares)) if shares else None,
            method=(
                f"unweighted mean of the {len(used)} fidelity share(s) that could be computed"
                if used
                else "not estimable: no fidelity share could be computed"
            ),
            unit="mean share of fidelity indicators met",
            params={"included": used, "not_computed": left},
        )
    )
    return indicator_table(out)


# --------------------------------------------------------------------------- dosage


def dosage(families: pd.DataFrame, contacts: pd.DataFrame | None, *, data_cut: Any) -> pd.DataFrame:
    """Worker contacts per family-month on the programme (``dosage_contacts_per_family_month``).

    Parameters
    ----------
    families
        The canonical ``families`` table.
    contacts
        The canonical ``contacts`` table, or None when the data have none.
    data_cut
        The data cut date.

    Returns
    -------
    pandas.DataFrame
        One indicator row (group ``all``); n = families enrolled by the cut.
        ``params`` holds the contacts and family-months summed, the standard
        error of the log rate and the Pearson dispersion (above 1: counts
        vary more between families than Poisson).

    Notes
    -----
    Each enrolled family's time on the programme runs from ``enrolled_date``
    to ``exit_date`` or the data cut, whichever is first, both days
    included; a family-month is 365.25 / 12 days. Contacts of any worker
    role dated within that time are counted. Rate
    :math:`r = \\sum y_i / \\sum T_i`: the intercept of a Poisson model
    with log exposure offset. Interval: the Wald interval on the log scale
    with the robust (sandwich, HC1) standard error
    :math:`se = \\sqrt{n/(n-1)\\, \\sum (y_i - r T_i)^2} / \\sum y_i`, which
    stays valid whatever the families' contact rates vary by (families
    differ in their own rate, so counts are overdispersed, more so the
    longer they stay); :math:`r \\exp(\\pm 1.96\\, se)`. It is the
    linearised variance of a ratio estimator with families as the sampling
    units. With no contacts at all the rate is 0 without an interval. A
    missing or empty contacts table gives NaN (read as not exported).

    References
    ----------
    Zeileis, A. (2006). Object-oriented computation of sandwich estimators.
    Journal of Statistical Software 16(9).

    Cameron, A. C., & Trivedi, P. K. (2013). Regression Analysis of Count
    Data (2nd ed.), section 3.2.3 (Poisson with robust standard errors).
    """
    name = "dosage_contacts_per_family_month"
    unit = "worker contacts per family-month on the programme"
    cut = cut_date(data_cut)
    fam = _enrolled(families, cut)
    bad = _missing_table(contacts, ("family_id", "contact_date"))
    if bad or fam.empty:
        why = f"the contacts table is {bad}" if bad else "no family enrolled by the data cut"
        return indicator_table(
            [
                indicator(
                    OUTCOME, name, n=0, estimate=None, method=f"not estimable: {why}", unit=unit
                )
            ]
        )
    start = pd.to_datetime(fam["enrolled_date"]).to_numpy()
    ex = pd.to_datetime(fam["exit_date"])
    end = ex.where(ex.notna() & (ex < cut), cut).to_numpy()
    days = (end - start) / np.timedelta64(1, "D") + 1.0
    days = np.maximum(days, 1.0)
    months = days / DAYS_PER_MONTH
    spans = pd.DataFrame({"family_id": fam["family_id"].to_numpy(), "start": start, "end": end})
    c = contacts[["family_id", "contact_date"]].dropna().merge(spans, on="family_id")
    inside = (c["contact_date"] >= c["start"]) & (c["contact_date"] <= c["end"])
    y_by = c.loc[inside].groupby("family_id").size()
    y = spans["family_id"].map(y_by).fillna(0).to_numpy(dtype=float)
    total_y, total_t = float(y.sum()), float(months.sum())
    rate = total_y / total_t
    params: dict[str, Any] = {
        "contacts": int(total_y),
        "family_months": total_t,
        "contacts_outside_programme_time": int((~inside).sum()),
        "days_per_month": DAYS_PER_MONTH,
    }
    n = len(fam)
    if total_y == 0 or n < 2:
        why = "no contact in the families' programme time" if total_y == 0 else "one family only"
        row = indicator(
            OUTCOME,
            name,
            n=n,
            estimate=rate,
            method=f"contacts / family-months; no interval ({why})",
            unit=unit,
            params=params,
        )
        return indicator_table([row])
    mu = rate * months
    se = math.sqrt(n / (n - 1) * float(np.sum((y - mu) ** 2))) / total_y
    z = 1.959963984540054
    params["se_log_rate"] = se
    params["pearson_dispersion"] = float(np.sum((y - mu) ** 2 / mu) / (n - 1))
    row = indicator(
        OUTCOME,
        name,
        n=n,
        estimate=rate,
        ci_low=rate * math.exp(-z * se),
        ci_high=rate * math.exp(z * se),
        method="contacts / family-months on the programme; Poisson rate with robust "
        "(sandwich HC1) standard error, Wald interval on the log scale",
        unit=unit,
        params=params,
    )
    return indicator_table([row])


# --------------------------------------------------------------------------- compute


def compute(data: EvaluationData, settings: Settings) -> Part:
    """Every outcome-4 indicator and supporting table.

    Returns
    -------
    Part
        Indicators ``manual_published``, ``training_sessions``,
        ``training_attendees``, ``training_las_reached``,
        ``working_papers``, the four fidelity shares, ``fidelity_overall``
        and ``dosage_contacts_per_family_month``; tables
        ``deliverables_summary`` and ``fidelity``.
    """
    cut = settings.data_cut
    plan = settings.plan
    contacts = getattr(data, "contacts", None)
    windows = {
        "baseline_window_days": plan.baseline_window_days,
        "review_interval_days": plan.review_interval_days,
        "review_tolerance_days": plan.review_tolerance_days,
    }
    common = {
        "data_cut": cut,
        "contacts": contacts,
        "meetings": data.meetings,
        "meeting_cases": data.meeting_cases,
        **windows,
    }
    frames = [
        deliverable_indicators(data.deliverables, data_cut=cut),
        fidelity_indicators(data.families, data.domain_scores, **common),
        dosage(data.families, contacts, data_cut=cut),
    ]
    rows = [r for f in frames for r in f.to_dict("records")]
    tables = {
        "deliverables_summary": deliverables_summary(data.deliverables, data_cut=cut),
        "fidelity": fidelity(data.families, data.domain_scores, **common),
    }
    return Part(indicators=rows, tables=tables)
