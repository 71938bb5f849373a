"""The staff survey: scale scores and their change from baseline to follow-up.

The NOREAM staff survey (instrument ``noream_staff`` in ``instruments.toml``)
has two scales: multi-agency working (items 1-4, outcome 5) and
cross-directorate coordination (items 5-8, outcome 6). Both outcome modules
score them and estimate their change the same way, here.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from noream_eval.metrics._reuse import reused
from noream_eval.metrics.core import indicator, indicator_table

__all__ = [
    "COORDINATION_ITEMS",
    "MIN_ITEMS",
    "MIN_PAIRS",
    "MULTI_AGENCY_ITEMS",
    "STAFF_INSTRUMENT",
    "scale_by_timepoint",
    "scale_change",
    "scale_scores",
]

#: Registry name of the staff survey.
STAFF_INSTRUMENT = "noream_staff"
#: Items of the multi-agency-working scale (outcome 5).
MULTI_AGENCY_ITEMS: tuple[int, ...] = (1, 2, 3, 4)
#: Items of the cross-directorate coordination scale (outcome 6).
COORDINATION_ITEMS: tuple[int, ...] = (5, 6, 7, 8)
#: Fewest answered items of a four-item scale for a completion to be scored.
MIN_ITEMS = 3
#: Fewest linked respondents (answering at both time points) for the paired
#: estimate to be the headline (group ``all``) row.
MIN_PAIRS = 10

#: Columns of :func:`scale_scores`.
SCORE_COLUMNS: tuple[str, ...] = (
    "respondent_id",
    "timepoint",
    "items_answered",
    "score",
)


@reused
def scale_scores(
    staff_responses: pd.DataFrame,
    *,
    items: Sequence[int],
    instrument: str = STAFF_INSTRUMENT,
    min_items: int = MIN_ITEMS,
) -> pd.DataFrame:
    """Score one scale of the staff survey for every completion.

    Parameters
    ----------
    staff_responses
        The canonical ``staff_responses`` table (one row per completion x item).
    items
        Item numbers of the scale.
    instrument
        Registry name of the questionnaire; rows of other instruments are ignored.
    min_items
        Fewest answered items of the scale for a completion to be scored.

    Returns
    -------
    pandas.DataFrame
        One row per respondent and time point with at least ``min_items`` of
        the scale's items answered:

        - ``respondent_id``: the staff member (pseudonym);
        - ``timepoint``: the survey wave (text);
        - ``items_answered``: items of the scale answered;
        - ``score``: the mean of the answered items (on the item scale).

    Notes
    -----
    Score = mean of the answered items of the scale. Missing-data rule: a
    completion answering fewer than ``min_items`` of the scale's items is not
    scored (prorating beyond one missing item of four would rest on too
    little).
    """
    if min_items < 1 or min_items > len(items):
        raise ValueError(f"min_items must be from 1 to {len(items)}, not {min_items}")
    empty = pd.DataFrame(
        {
            "respondent_id": pd.Series(dtype="string"),
            "timepoint": pd.Series(dtype="string"),
            "items_answered": pd.Series(dtype="int64"),
            "score": pd.Series(dtype="float64"),
        }
    )
    if staff_responses is None or staff_responses.empty:
        return empty
    df = staff_responses
    keep = (df["instrument"].astype("string") == instrument).fillna(False)
    keep &= df["item"].isin(list(items)).fillna(False) & df["value"].notna()
    df = df.loc[keep.to_numpy(dtype=bool), ["respondent_id", "timepoint", "item", "value"]]
    if df.empty:
        return empty
    df = df.assign(
        timepoint=df["timepoint"].astype("string"),
        value=df["value"].astype("float64"),
    )
    grouped = df.groupby(["respondent_id", "timepoint"], observed=True, sort=True)["value"]
    out = grouped.agg(items_answered="count", score="mean").reset_index()
    out = out.loc[out["items_answered"] >= min_items].reset_index(drop=True)
    out["respondent_id"] = out["respondent_id"].astype("string")
    out["timepoint"] = out["timepoint"].astype("string")
    out["items_answered"] = out["items_answered"].astype("int64")
    out["score"] = out["score"].astype("float64")
    return out[list(SCORE_COLUMNS)]


def scale_by_timepoint(scores: pd.DataFrame, *, scale: str) -> pd.DataFrame:
    """Mean scale score by survey wave.

    Parameters
    ----------
    scores
        Output of :func:`scale_scores`.
    scale
        Name of the scale (``multi_agency`` or ``coordination``), put in the table.

    Returns
    -------
    pandas.DataFrame
        One row per time point: ``scale``, ``timepoint``, ``respondents``
        (scored completions), ``linked`` (of them, respondents scored at
        another time point too), ``mean``, ``sd`` (ddof 1), ``ci_low``,
        ``ci_high`` (t interval of the mean).
    """
    rows = []
    waves = scores.groupby("respondent_id")["timepoint"].transform("size") if len(scores) else []
    linked = pd.Series(np.asarray(waves) > 1, index=scores.index, dtype=bool)
    for tp, part in scores.groupby("timepoint", sort=True):
        m, lo, hi, sd = _mean_t(part["score"].to_numpy(dtype=float))
        rows.append(
            {
                "scale": scale,
                "timepoint": str(tp),
                "respondents": len(part),
                "linked": int(linked.loc[part.index].sum()),
                "mean": m,
                "sd": sd,
                "ci_low": lo,
                "ci_high": hi,
            }
        )
    cols = ["scale", "timepoint", "respondents", "linked", "mean", "sd", "ci_low", "ci_high"]
    out = pd.DataFrame(rows, columns=cols)
    return out.astype(
        {
            "scale": "string",
            "timepoint": "string",
            "respondents": "int64",
            "linked": "int64",
            "mean": "float64",
            "sd": "float64",
            "ci_low": "float64",
            "ci_high": "float64",
        }
    )


def _mean_t(x: np.ndarray) -> tuple[float, float, float, float]:
    """Mean, t-interval limits and SD of ``x`` (NaN where undefined)."""
    from scipy import stats

    n = len(x)
    if n == 0:
        return math.nan, math.nan, math.nan, math.nan
    m = float(x.mean())
    if n < 2:
        return m, math.nan, math.nan, math.nan
    sd = float(x.std(ddof=1))
    half = float(stats.t.ppf(0.975, n - 1)) * sd / math.sqrt(n)
    return m, m - half, m + half, sd


def scale_change(
    staff_responses: pd.DataFrame,
    *,
    outcome: str,
    name: str,
    items: Sequence[int],
    scale: str,
    instrument: str = STAFF_INSTRUMENT,
    baseline: str = "baseline",
    followup: str = "review",
    min_items: int = MIN_ITEMS,
    min_pairs: int = MIN_PAIRS,
) -> pd.DataFrame:
    """Change of a staff-survey scale from baseline to follow-up: paired and unpaired.

    Parameters
    ----------
    staff_responses
        The canonical ``staff_responses`` table.
    outcome, name
        Outcome and indicator name of the rows.
    items, scale
        Items of the scale and its name in words (``multi-agency working``).
    instrument
        Registry name of the questionnaire.
    baseline, followup
        The two survey waves compared (``timepoint`` values).
    min_items
        Fewest answered items for a completion to be scored.
    min_pairs
        Fewest linked respondents for the paired estimate to be the headline.

    Returns
    -------
    pandas.DataFrame
        Indicator rows (:data:`~noream_eval.metrics.core.INDICATOR_COLUMNS`),
        three groups, in this order:

        - ``all``: the headline: the ``paired`` row when there are at least
          ``min_pairs`` linked respondents, otherwise the ``unpaired`` row;
          its method says which and why;
        - ``paired``: mean within-person change of respondents scored at both
          waves, paired t-test and t interval; n = linked respondents;
        - ``unpaired``: follow-up mean minus baseline mean of every scored
          completion, Welch's t-test and interval; n = scored completions
          (both waves).

        A row that cannot be estimated has a NaN estimate and a method saying
        why (no responses, a single time point, too few respondents).

    Notes
    -----
    Paired: :math:`\\bar d \\pm t_{0.975,\\,n-1} s_d/\\sqrt n` with
    :math:`d = post - pre` (``scipy.stats.ttest_rel``; all differences equal:
    the mean without interval).
    Unpaired: :math:`\\bar y_{post} - \\bar y_{pre} \\pm t_{0.975,\\nu}
    \\sqrt{s^2_{post}/n_{post} + s^2_{pre}/n_{pre}}` with the
    Welch-Satterthwaite :math:`\\nu` (``scipy.stats.ttest_ind`` with
    ``equal_var=False``). The unpaired comparison treats the waves as
    independent samples although linked respondents appear in both; with a
    positive within-person correlation its interval is conservative.

    References
    ----------
    Welch, B. L. (1947). The generalization of "Student's" problem when
    several different population variances are involved. Biometrika 34,
    28-35.
    """
    from scipy import stats

    scores = scale_scores(staff_responses, items=items, instrument=instrument, min_items=min_items)
    params: dict[str, Any] = {
        "instrument": instrument,
        "items": list(items),
        "min_items": min_items,
        "baseline": baseline,
        "followup": followup,
        "min_pairs": min_pairs,
    }
    unit = (
        f"change in the mean {scale} item score ({instrument} items "
        f"{min(items)}-{max(items)}), follow-up - baseline"
    )
    pre = scores.loc[scores["timepoint"] == baseline].set_index("respondent_id")["score"]
    post = scores.loc[scores["timepoint"] == followup].set_index("respondent_id")["score"]
    linked = pre.index.intersection(post.index)
    params |= {"respondents_baseline": len(pre), "respondents_followup": len(post)}
    params["linked_pairs"] = len(linked)

    def row(group: str, **kw: Any) -> dict[str, Any]:
        return indicator(outcome, name, group=group, unit=unit, params=params, **kw)

    reason = None
    if scores.empty:
        reason = f"not estimable: no scored {scale} completions in the staff survey ({instrument})"
    elif len(pre) == 0 or len(post) == 0:
        have = baseline if len(pre) else followup if len(post) else "neither wave"
        reason = (
            f"not estimable: a single time point only: the staff survey has scored completions at "
            f"{have} only, so no change from {baseline} to {followup} can be estimated"
        )
    if reason is not None:
        rows = [row(g, n=0, estimate=None, method=reason) for g in ("all", "paired", "unpaired")]
        return indicator_table(rows)

    if len(linked) >= 2:
        d = post.loc[linked].to_numpy() - pre.loc[linked].to_numpy()
        method = (
            f"paired: mean within-person change of the {len(linked)} respondents linked "
            "across waves (same respondent_id)"
        )
        if np.ptp(d) == 0:
            paired = row(
                "paired",
                n=len(linked),
                estimate=float(d.mean()),
                method=f"{method}; no interval or test: every linked respondent changed by "
                "the same amount",
            )
        else:
            res = stats.ttest_rel(post.loc[linked].to_numpy(), pre.loc[linked].to_numpy())
            ci = res.confidence_interval(confidence_level=0.95)
            paired = row(
                "paired",
                n=len(linked),
                estimate=float(d.mean()),
                ci_low=float(ci.low),
                ci_high=float(ci.high),
                p_value=float(res.pvalue),
                method=f"{method}; paired t-test, t interval",
            )
    else:
        why = "no respondent" if len(linked) == 0 else "only one respondent"
        paired = row(
            "paired",
            n=len(linked),
            estimate=None,
            method=f"paired: not estimable, {why} answered at both {baseline} and {followup} "
            "(no linked respondents: see the unpaired row)",
        )

    n_all = len(pre) + len(post)
    flat = len(pre) >= 2 and len(post) >= 2 and np.ptp(pre) == 0 and np.ptp(post) == 0
    if flat:
        unpaired = row(
            "unpaired",
            n=n_all,
            estimate=float(post.mean() - pre.mean()),
            method=f"unpaired: mean of {len(post)} {followup} minus mean of {len(pre)} "
            f"{baseline} completions; no interval or test: every score within each wave is "
            "the same",
        )
    elif len(pre) >= 2 and len(post) >= 2:
        with warnings.catch_warnings():
            # scipy warns of "precision loss" when one wave's scores are all equal; their
            # variance is then exactly 0 and the Welch test is still right.
            warnings.simplefilter("ignore", RuntimeWarning)
            welch = stats.ttest_ind(post.to_numpy(), pre.to_numpy(), equal_var=False)
        ci = welch.confidence_interval(confidence_level=0.95)
        diff = float(post.mean() - pre.mean())
        unpaired = row(
            "unpaired",
            n=n_all,
            estimate=diff,
            ci_low=float(ci.low),
            ci_high=float(ci.high),
            p_value=float(welch.pvalue),
            method=f"unpaired: mean of {len(post)} {followup} minus mean of {len(pre)} "
            f"{baseline} completions, all respondents (Welch t-test and interval, "
            f"df {float(welch.df):.1f}; linked respondents counted in both waves)",
        )
    else:
        unpaired = row(
            "unpaired",
            n=n_all,
            estimate=None,
            method=f"unpaired: not estimable, Welch's t-test needs at least 2 scored "
            f"completions per wave ({len(pre)} at {baseline}, {len(post)} at {followup})",
        )

    if len(linked) >= min_pairs:
        headline = dict(paired, group="all")
        headline["method"] = f"{paired['method']} (headline: at least {min_pairs} linked pairs)"
    else:
        headline = dict(unpaired, group="all")
        headline["method"] = (
            f"{unpaired['method']} (headline: only {len(linked)} linked pair(s), fewer than "
            f"{min_pairs}, so the unpaired comparison)"
        )
    return indicator_table([headline, paired, unpaired])
