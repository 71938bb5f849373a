"""Outcome 3, support domains: distance travelled from baseline to the latest follow-up.

Families are scored on each support domain (``domain_scores``: immigration,
housing, food security, ...) at baseline, review and exit, on the scale
``[parameters] score_min`` to ``score_max`` (higher is better). Distance
travelled is the latest follow-up score minus the baseline score, per domain
and averaged over a family's domains. Run by
:func:`noream_eval.metrics.wellbeing.compute`; ``docs/outcomes.md`` (Outcome 3)
defines the indicator and tables.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from noream_eval.errors import ValidationError
from noream_eval.metrics.core import indicator, indicator_table

__all__ = [
    "CHANGE_COLUMNS",
    "domain_changes",
    "domain_distance",
    "domain_distance_by_family",
    "domain_distance_travelled",
]

OUTCOME = "3"
_FOLLOWUPS = ("review", "exit")
_COLUMNS = ("family_id", "assessment_date", "timepoint", "domain", "score")

#: Columns of :func:`domain_changes`.
CHANGE_COLUMNS: tuple[str, ...] = (
    "family_id",
    "domain",
    "status",
    "baseline_date",
    "baseline",
    "latest_date",
    "latest_timepoint",
    "latest",
    "change",
)


def domain_changes(
    domain_scores: pd.DataFrame, *, score_min: int = 1, score_max: int = 5
) -> pd.DataFrame:
    """Baseline and latest follow-up score of every family on every domain.

    Parameters
    ----------
    domain_scores : pandas.DataFrame
        The canonical ``domain_scores`` table (family x assessment x domain).
    score_min, score_max : int, default 1 and 5
        The score scale (``[parameters] score_min`` and ``score_max``).

    Returns
    -------
    pandas.DataFrame
        One row per family x domain scored at any of its assessments used:

        - ``family_id``, ``domain``.
        - ``status``: ``pair`` (a baseline and a later follow-up assessment),
          ``no_followup`` (a baseline only) or ``no_baseline`` (follow-up
          assessments only); the same for all domains of a family.
        - ``baseline_date``, ``baseline``: the family's first baseline
          assessment and the domain's score there.
        - ``latest_date``, ``latest_timepoint``, ``latest``: the family's
          latest review or exit assessment after the baseline (for
          ``no_baseline`` families, the latest one) and the domain's score there.
        - ``change``: latest minus baseline, when the domain was scored at both.

    Raises
    ------
    ValidationError
        If a column is missing or a score is outside ``score_min`` to ``score_max``.

    Notes
    -----
    The baseline is the earliest assessment with time point ``baseline``; the
    latest follow-up is the latest assessment with time point ``review`` or
    ``exit`` dated after it (on the same date, exit counts as later). A domain
    left blank at either assessment is not scored at both and has no change.
    Assessments with time point ``unknown`` are ignored.
    """
    missing = [c for c in _COLUMNS if c not in domain_scores.columns]
    if missing:
        raise ValidationError(
            f"domain_scores lacks the column(s) {missing}; pass the canonical table "
            "(data.domain_scores of an ingested evaluation)."
        )
    ds = pd.DataFrame(
        {
            "family_id": domain_scores["family_id"].astype("string").to_numpy(),
            "date": pd.to_datetime(domain_scores["assessment_date"]).to_numpy(),
            "timepoint": domain_scores["timepoint"].astype("string").to_numpy(),
            "domain": domain_scores["domain"].astype("string").to_numpy(),
            "score": pd.to_numeric(domain_scores["score"]).astype("float64").to_numpy(),
        }
    )
    bad = ds["score"].isna() | (ds["score"] < score_min) | (ds["score"] > score_max)
    if bad.any():
        raise ValidationError(
            f"{int(bad.sum())} domain score(s) are missing or outside the scale {score_min} "
            f"to {score_max} ([parameters] score_min and score_max)."
        )
    ds = ds.loc[ds["timepoint"].isin(["baseline", *_FOLLOWUPS]).fillna(False)]
    rank = ds["timepoint"].map({"baseline": 0, "review": 1, "exit": 2}).astype("int64")
    ds = ds.assign(rank=rank.to_numpy())
    visits = ds[["family_id", "date", "timepoint", "rank"]].drop_duplicates(
        ["family_id", "date", "timepoint"]
    )
    base = (
        visits.loc[visits["timepoint"].eq("baseline")]
        .sort_values(["family_id", "date"], kind="stable")
        .drop_duplicates("family_id")[["family_id", "date"]]
        .rename(columns={"date": "baseline_date"})
    )
    fu = visits.loc[visits["rank"] > 0].merge(base, on="family_id", how="left")
    fu = fu.loc[fu["baseline_date"].isna() | (fu["date"] > fu["baseline_date"])]
    latest = (
        fu.sort_values(["family_id", "date", "rank"], kind="stable")
        .drop_duplicates("family_id", keep="last")[["family_id", "date", "timepoint"]]
        .rename(columns={"date": "latest_date", "timepoint": "latest_timepoint"})
    )
    fams = base.merge(latest, on="family_id", how="outer")
    b_scores = ds.merge(
        base.rename(columns={"baseline_date": "date"}), on=["family_id", "date"]
    ).loc[lambda d: d["timepoint"].eq("baseline")][["family_id", "domain", "score"]]
    l_scores = ds.merge(
        latest.rename(columns={"latest_date": "date", "latest_timepoint": "timepoint"}),
        on=["family_id", "date", "timepoint"],
    )[["family_id", "domain", "score"]]
    b_scores = b_scores.drop_duplicates(["family_id", "domain"]).rename(
        columns={"score": "baseline"}
    )
    l_scores = l_scores.drop_duplicates(["family_id", "domain"]).rename(columns={"score": "latest"})
    out = b_scores.merge(l_scores, on=["family_id", "domain"], how="outer").merge(
        fams, on="family_id", how="left"
    )
    has_b = out["baseline_date"].notna().to_numpy()
    has_l = out["latest_date"].notna().to_numpy()
    out["status"] = pd.array(
        np.select([has_b & has_l, has_b], ["pair", "no_followup"], default="no_baseline"),
        dtype="string",
    )
    out["change"] = out["latest"] - out["baseline"]
    for c in ("family_id", "domain", "latest_timepoint"):
        out[c] = out[c].astype("string")
    for c in ("baseline", "latest", "change"):
        out[c] = out[c].astype("float64")
    for c in ("baseline_date", "latest_date"):
        out[c] = out[c].astype("datetime64[ns]")
    out = out.sort_values(["family_id", "domain"], kind="stable")
    return out[list(CHANGE_COLUMNS)].reset_index(drop=True)


def _family_means(changes: pd.DataFrame) -> pd.DataFrame:
    both = changes.loc[changes["change"].notna()]
    g = both.groupby("family_id", sort=True)
    out = g.agg(
        baseline_date=("baseline_date", "first"),
        latest_date=("latest_date", "first"),
        latest_timepoint=("latest_timepoint", "first"),
        n_domains=("domain", "size"),
        mean_baseline=("baseline", "mean"),
        mean_latest=("latest", "mean"),
        mean_change=("change", "mean"),
    ).reset_index()
    out["days"] = (out["latest_date"] - out["baseline_date"]).dt.days.astype("int64")
    cols = [
        "family_id",
        "baseline_date",
        "latest_date",
        "latest_timepoint",
        "days",
        "n_domains",
        "mean_baseline",
        "mean_latest",
        "mean_change",
    ]
    out["n_domains"] = out["n_domains"].astype("int64")
    out["family_id"] = out["family_id"].astype("string")
    out["latest_timepoint"] = out["latest_timepoint"].astype("string")
    return out[cols]


def _counts(changes: pd.DataFrame) -> dict[str, int]:
    fam = changes.drop_duplicates("family_id")
    st = fam["status"]
    paired = changes.loc[changes["change"].notna(), "family_id"].nunique()
    return {
        "n_with_baseline": int(st.isin(["pair", "no_followup"]).sum()),
        "n_pairs": int(paired),
        "n_no_followup": int(st.eq("no_followup").sum()),
        "n_followup_without_baseline": int(st.eq("no_baseline").sum()),
    }


def _cc_text(c: Mapping[str, int], k: int) -> str:
    return (
        f"complete cases ({k} of {c['n_with_baseline']} with baseline; "
        f"{c['n_no_followup']} without a follow-up assessment, "
        f"{c['n_followup_without_baseline']} follow-up(s) without a baseline not paired)"
    )


def _summaries(changes: pd.DataFrame) -> list[dict[str, Any]]:
    """Per domain and for the family average: n, means, t interval, p-values, shares."""
    from noream_eval.stats.change import _paired_change

    fams = _family_means(changes)
    parts = [("all", fams["mean_baseline"], fams["mean_latest"], fams["mean_change"])]
    both = changes.loc[changes["change"].notna()]
    for d in sorted(changes["domain"].dropna().unique()):
        sub = both.loc[both["domain"].eq(d)]
        parts.append((str(d), sub["baseline"], sub["latest"], sub["change"]))
    rows = []
    for domain, pre, post, diff in parts:
        pre_a = pre.to_numpy(dtype="float64")
        post_a = post.to_numpy(dtype="float64")
        # The change itself (not mean latest - mean baseline), so that equal family
        # averages tie exactly in the signed-rank test.
        change = diff.to_numpy(dtype="float64")
        k = len(change)
        row: dict[str, Any] = {
            "domain": domain,
            "n_families": k,
            "mean_baseline": float(pre_a.mean()) if k else math.nan,
            "mean_latest": float(post_a.mean()) if k else math.nan,
            "mean_change": float(change.mean()) if k else math.nan,
            "ci_low": math.nan,
            "ci_high": math.nan,
            "p_value_t": math.nan,
            "p_value_wilcoxon": math.nan,
            "improved": int((change > 0).sum()),
            "same": int((change == 0).sum()),
            "worse": int((change < 0).sum()),
            "method": "",
        }
        if k >= 2:
            # only the Wilcoxon p-value is used: its interval is not searched for
            res = (
                _paired_change(np.zeros(k), change, hodges_lehmann_interval=False)
                .to_frame()
                .set_index("term")
            )
            row.update(
                ci_low=float(res.loc["mean_diff", "ci_low"]),
                ci_high=float(res.loc["mean_diff", "ci_high"]),
                p_value_t=float(res.loc["mean_diff", "p_value"]),
                p_value_wilcoxon=float(res.loc["wilcoxon", "p_value"]),
                method=f"{res.loc['mean_diff', 'method']}; {res.loc['wilcoxon', 'method']}",
            )
        for key in ("improved", "same", "worse"):
            row[f"share_{key}"] = row[key] / k if k else math.nan
        rows.append(row)
    return rows


def _summary_frame(
    changes: pd.DataFrame, *, summaries: list[dict[str, Any]] | None = None
) -> pd.DataFrame:
    """The domain_distance table (``summaries``: :func:`_summaries` of ``changes``, if at hand)."""
    cols = [
        "domain",
        "n_families",
        "mean_baseline",
        "mean_latest",
        "mean_change",
        "ci_low",
        "ci_high",
        "p_value_t",
        "p_value_wilcoxon",
        "improved",
        "same",
        "worse",
        "share_improved",
        "share_same",
        "share_worse",
    ]
    if summaries is None:
        summaries = _summaries(changes)
    out = pd.DataFrame(summaries, columns=[*cols, "method"])[cols]
    out["domain"] = out["domain"].astype("string")
    for c in ("n_families", "improved", "same", "worse"):
        out[c] = out[c].astype("int64")
    return out


def _indicator_rows(
    changes: pd.DataFrame,
    *,
    score_min: int,
    score_max: int,
    summaries: list[dict[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    """Indicator rows (``summaries``: :func:`_summaries` of ``changes``, if at hand)."""
    if summaries is None:
        summaries = _summaries(changes)
    c = _counts(changes)
    base = {"score_min": score_min, "score_max": score_max, **c}
    rows = []
    for s in summaries:
        k = s["n_families"]
        group = "all" if s["domain"] == "all" else f"domain:{s['domain']}"
        cc = _cc_text(c, k)
        what = (
            "mean over families of their average change across the domains scored at both "
            "baseline and the latest follow-up (review or exit)"
            if group == "all"
            else f"mean change on the {s['domain']} domain from baseline to the latest "
            "follow-up (review or exit)"
        )
        params = {**base, "mean_baseline": s["mean_baseline"], "mean_latest": s["mean_latest"]}
        unit = f"domain score points ({score_min} to {score_max}; latest follow-up minus baseline)"
        if k < 2:
            rows.append(
                indicator(
                    OUTCOME,
                    "domain_distance_travelled",
                    group=group,
                    n=k,
                    estimate=s["mean_change"] if k else None,
                    method=f"not estimable: {k} famil{'y' if k == 1 else 'ies'} scored at "
                    f"both, at least 2 needed for an interval; {what}; {cc}",
                    unit=unit,
                    params=params,
                )
            )
            continue
        rows.append(
            indicator(
                OUTCOME,
                "domain_distance_travelled",
                group=group,
                n=k,
                estimate=s["mean_change"],
                ci_low=s["ci_low"],
                ci_high=s["ci_high"],
                p_value=s["p_value_wilcoxon"],
                method=f"{what}; paired t interval; p-value of the Wilcoxon signed-rank test "
                f"(paired t-test p in params); {cc}",
                unit=unit,
                params={**params, "p_value_t": s["p_value_t"]},
            )
        )
    return rows


def domain_distance(
    domain_scores: pd.DataFrame, *, score_min: int = 1, score_max: int = 5
) -> pd.DataFrame:
    """Distance travelled per support domain and on the family average.

    Parameters
    ----------
    domain_scores : pandas.DataFrame
        The canonical ``domain_scores`` table.
    score_min, score_max : int, default 1 and 5
        The score scale (``[parameters] score_min`` and ``score_max``).

    Returns
    -------
    pandas.DataFrame
        One row for ``all`` (each family's average over the domains scored at
        both) and one per domain, with columns ``domain``, ``n_families``
        (scored at both), ``mean_baseline``, ``mean_latest``, ``mean_change``,
        ``ci_low``, ``ci_high`` (paired t interval of the mean change),
        ``p_value_t`` (paired t-test), ``p_value_wilcoxon`` (Wilcoxon
        signed-rank test), ``improved``, ``same``, ``worse`` (families whose
        change is above, at or below 0) and ``share_improved``,
        ``share_same``, ``share_worse``.

    Notes
    -----
    See :func:`domain_changes` for the baseline and latest follow-up. Missing
    data: a family counts for a domain only when the domain was scored at both
    assessments; its average is over those domains. Intervals and p-values need
    at least 2 families (NaN otherwise).
    """
    return _summary_frame(domain_changes(domain_scores, score_min=score_min, score_max=score_max))


def domain_distance_by_family(
    domain_scores: pd.DataFrame, *, score_min: int = 1, score_max: int = 5
) -> pd.DataFrame:
    """Each family's average distance travelled across its support domains.

    Parameters
    ----------
    domain_scores : pandas.DataFrame
        The canonical ``domain_scores`` table.
    score_min, score_max : int, default 1 and 5
        The score scale.

    Returns
    -------
    pandas.DataFrame
        One row per family with a domain scored at both baseline and the
        latest follow-up: ``family_id``, ``baseline_date``, ``latest_date``,
        ``latest_timepoint`` (``review`` or ``exit``), ``days`` between them,
        ``n_domains`` scored at both, ``mean_baseline``, ``mean_latest`` and
        ``mean_change`` (averages over those domains).
    """
    return _family_means(domain_changes(domain_scores, score_min=score_min, score_max=score_max))


def domain_distance_travelled(
    domain_scores: pd.DataFrame, *, score_min: int = 1, score_max: int = 5
) -> pd.DataFrame:
    """The ``domain_distance_travelled`` indicator rows.

    Parameters
    ----------
    domain_scores : pandas.DataFrame
        The canonical ``domain_scores`` table.
    score_min, score_max : int, default 1 and 5
        The score scale (``[parameters] score_min`` and ``score_max``).

    Returns
    -------
    pandas.DataFrame
        Indicator rows (columns of
        :data:`~noream_eval.metrics.core.INDICATOR_COLUMNS`): group ``all``,
        the mean over families of their average change across domains, and
        one row per domain (group ``domain:housing``, ...), the mean change on
        that domain. ``n`` is families scored at both; ``ci_low``/``ci_high``
        the paired t interval; ``p_value`` the Wilcoxon signed-rank test (the
        paired t-test p is in ``params``).

    Notes
    -----
    Latest follow-up minus baseline, higher is better (:func:`domain_changes`).
    For ``all`` the analysis is of each family's average change over the
    domains scored at both (the paired t and signed-rank tests of the changes
    against 0). Complete cases: the method text
    says how many families with a baseline had no follow-up assessment.
    Fewer than 2 families: no interval or p-value, and ``method`` says so.

    References
    ----------
    Wilcoxon F (1945). Individual comparisons by ranking methods. Biometrics
    Bulletin 1:80-83.
    """
    changes = domain_changes(domain_scores, score_min=score_min, score_max=score_max)
    return indicator_table(_indicator_rows(changes, score_min=score_min, score_max=score_max))
