"""Change between two measurements of the same people.

:func:`paired_change` summarises change at group level: the mean change with
its t interval and the paired t-test, the standardised effect sizes d_z and
Hedges' g_av (Lakens 2013) with confidence intervals, and the Wilcoxon
signed-rank test with the Hodges-Lehmann estimate. :func:`reliable_change`
classifies each person with the Jacobson-Truax reliable change index and
gives the shares improved, unchanged and deteriorated with Wilson intervals.

scipy supplies the t-test, the Wilcoxon test and the noncentral t
distribution; statsmodels supplies the Wilson interval. Written here: the
noncentral-t inversion for the effect-size intervals, the Hodges-Lehmann
interval (the same construction as R's ``wilcox.test``) and the glue.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from noream_eval.errors import StatsInputError
from noream_eval.stats._base import StatsResult, tidy
from noream_eval.stats._checks import as_float_array, check_conf_level, drop_missing, from_data

__all__ = [
    "RCI_CRITERION",
    "RELIABLE_CHANGE_CATEGORIES",
    "PairedChange",
    "ReliableChange",
    "paired_change",
    "reliable_change",
]

#: |RCI| above this value is reliable change (Jacobson & Truax 1991).
RCI_CRITERION = 1.96

#: Categories of :func:`reliable_change`, in display order.
RELIABLE_CHANGE_CATEGORIES: tuple[str, ...] = ("improved", "no_reliable_change", "deteriorated")

#: Above this many non-zero differences the Hodges-Lehmann estimate (which needs
#: all n(n+1)/2 Walsh averages in memory) is not computed.
_HL_MAX_N = 5_000

#: The exact signed-rank distribution is used below this many non-zero
#: differences when there are no ties and no zeros, as in R's ``wilcox.test``.
_EXACT_MAX_N = 50

_PAIRED_EXTRA = ("statistic", "df", "n_dropped")


# --------------------------------------------------------------------------- input checks


def _paired_arrays(pre: Any, post: Any) -> tuple[np.ndarray, np.ndarray, pd.Index]:
    """pre and post as float arrays of equal length, plus the index to report rows by."""
    if (
        isinstance(pre, pd.Series)
        and isinstance(post, pd.Series)
        and not pre.index.equals(post.index)
    ):
        raise StatsInputError(
            "pre and post are Series with different indexes, so it is not clear which "
            "values belong to the same person. Take both from one DataFrame, or align "
            "them first (e.g. post.reindex(pre.index))."
        )
    x = as_float_array(pre, "pre")
    y = as_float_array(post, "post")
    if len(x) != len(y):
        raise StatsInputError(
            f"pre has {len(x)} values and post has {len(y)}; give one value of each per "
            "person, in the same order (use NaN where a score is missing)."
        )
    for arr, name in ((x, "pre"), (y, "post")):
        if np.isinf(arr).any():
            raise StatsInputError(
                f"{name} contains infinite values; scores must be finite numbers or NaN "
                "for missing."
            )
    if isinstance(pre, pd.Series):
        index = pre.index
    elif isinstance(post, pd.Series):
        index = post.index
    else:
        index = pd.RangeIndex(len(x))
    return x, y, index


def _no_variation(values: np.ndarray, scale: float) -> bool:
    """True when the values are all equal up to floating-point noise."""
    if values.size == 0:
        return True
    return float(np.ptp(values)) <= 1e-12 * max(1.0, scale)


def _fmt(x: float) -> str:
    return "NaN" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.4g}"


# --------------------------------------------------------------------------- noncentral t


def _nct_limits(t: float, df: float, conf_level: float) -> tuple[float, float]:
    """Confidence limits for the noncentrality parameter of a noncentral t.

    The lower limit solves F(t; df, lambda) = 1 - alpha/2 and the upper limit
    F(t; df, lambda) = alpha/2, where F is the noncentral t CDF (decreasing in
    lambda); Steiger & Fouladi (1997), Cumming & Finch (2001).
    """
    from scipy import optimize, special, stats

    alpha = 1.0 - conf_level
    # Large-sample spread of the noncentrality estimate, to start the bracket near the root.
    spread = math.sqrt(1.0 + t * t / (2.0 * df))
    z = float(stats.norm.ppf(1.0 - alpha / 2.0))

    def solve(p: float, guess: float) -> float:
        def f(lam: float) -> float:
            return float(special.nctdtr(df, lam, t)) - p

        step = spread
        lo, hi = guess - step, guess + step
        for _ in range(200):
            if f(lo) >= 0:
                break
            lo -= step
            step *= 2.0
        step = spread
        for _ in range(200):
            if f(hi) <= 0:
                break
            hi += step
            step *= 2.0
        if not (f(lo) >= 0 >= f(hi)):
            return math.nan
        try:
            return float(optimize.brentq(f, lo, hi, xtol=1e-12, rtol=1e-14, maxiter=500))
        except ValueError:
            # scipy's noncentral t CDF returns NaN far in the tail at very small df:
            # the limit cannot be computed, so it is reported as missing.
            return math.nan

    return solve(1.0 - alpha / 2.0, t - z * spread), solve(alpha / 2.0, t + z * spread)


# --------------------------------------------------------------------------- Wilcoxon


def _signrank_counts(n: int) -> np.ndarray:
    """Number of sign patterns giving each value 0..n(n+1)/2 of the signed-rank sum."""
    counts = np.zeros(n * (n + 1) // 2 + 1, dtype=np.int64)
    counts[0] = 1
    for i in range(1, n + 1):
        counts[i:] = counts[i:] + counts[:-i]
    return counts


def _walsh_averages(x: np.ndarray) -> np.ndarray:
    i, j = np.triu_indices(len(x))
    return np.sort((x[i] + x[j]) / 2.0)


def _signed_rank_z(x: np.ndarray, shift: float) -> float:
    """R's continuity-corrected, tie-corrected signed-rank z of x - shift (zeros dropped).

    Called some fifty times by each interval's root search, so the average ranks
    are taken per tie group instead of through ``scipy.stats.rankdata``: every
    rank is a multiple of 1/2, so the sums are exact and equal to rankdata's.
    """
    xd = x - shift
    xd = xd[xd != 0]
    nx = len(xd)
    if nx == 0:
        return math.nan
    a = np.abs(xd)
    order = np.argsort(a, kind="stable")
    s = a[order]
    new = np.empty(nx, dtype=bool)
    new[0] = True
    np.not_equal(s[1:], s[:-1], out=new[1:])
    starts = np.flatnonzero(new)
    ends = np.append(starts[1:], nx)
    ties = ends - starts
    # Average rank of a tie group covering sorted positions starts..ends-1.
    avg = (starts + ends + 1) / 2.0
    positive = np.add.reduceat((xd[order] > 0).astype(np.int64), starts)
    zd = float(np.sum(avg * positive)) - nx * (nx + 1) / 4.0
    var = nx * (nx + 1) * (2 * nx + 1) / 24.0 - float(np.sum(ties**3 - ties)) / 48.0
    if var <= 0:
        return math.nan
    return (zd - math.copysign(0.5, zd) * (zd != 0)) / math.sqrt(var)


def _decreasing_root(f: Callable[[float], float], lo: float, hi: float, target: float) -> float:
    """Where the decreasing step function f crosses target on [lo, hi] (R's rule at the ends)."""
    from scipy import optimize

    f_lo, f_hi = f(lo) - target, f(hi) - target
    if math.isnan(f_lo) or math.isnan(f_hi):
        return math.nan
    if f_lo <= 0:
        return lo
    if f_hi >= 0:
        return hi
    return float(
        optimize.brentq(lambda s: f(s) - target, lo, hi, xtol=1e-12, rtol=1e-14, maxiter=500)
    )


@dataclass(frozen=True, eq=False)
class _Wilcoxon:
    estimate: float
    ci_low: float
    ci_high: float
    p_value: float
    statistic: float
    method: str
    notes: tuple[str, ...]


def _wilcoxon(d: np.ndarray, conf_level: float, *, interval: bool = True) -> _Wilcoxon:
    """Signed-rank test, Hodges-Lehmann estimate and interval of the differences d.

    With ``interval=False`` the asymptotic interval (a root search) is left NaN.
    """
    from scipy import stats

    alpha = 1.0 - conf_level
    nz = d[d != 0]
    n_zero = len(d) - len(nz)
    n = len(nz)
    notes: list[str] = []
    if n_zero:
        notes.append(
            f"wilcoxon: {n_zero} zero difference(s) dropped before ranking (Wilcoxon's "
            "convention, as R's wilcox.test)."
        )
    ranks = stats.rankdata(np.abs(nz))
    v = float(ranks[nz > 0].sum())
    ties = len(np.unique(np.abs(nz))) < n
    exact = n < _EXACT_MAX_N and not ties and n_zero == 0

    if exact:
        p = float(stats.wilcoxon(nz, method="exact").pvalue)
    else:
        p = float(
            stats.wilcoxon(d, zero_method="wilcox", correction=True, method="asymptotic").pvalue
        )

    if n > _HL_MAX_N:
        notes.append(
            f"wilcoxon: the Hodges-Lehmann estimate is not computed for more than {_HL_MAX_N} "
            "non-zero differences (it needs every pairwise average in memory)."
        )
        est = lo = hi = math.nan
    elif exact:
        walsh = _walsh_averages(nz)
        est = float(np.median(walsh))
        counts = _signrank_counts(n)
        cdf = np.cumsum(counts) / float(2**n)
        qu = int(np.argmax(cdf >= alpha / 2.0 - 10 * np.finfo(float).eps))
        qu = max(qu, 1)
        ql = n * (n + 1) // 2 - qu
        lo, hi = float(walsh[qu - 1]), float(walsh[ql])
        achieved = 2.0 * float(cdf[qu - 1])
        if achieved - alpha > alpha / 2.0:
            notes.append(
                f"wilcoxon: with {n} differences the exact Hodges-Lehmann interval cannot "
                f"reach {conf_level:.4g} confidence; the interval shown (the widest possible) "
                f"has confidence {1.0 - achieved:.4g}."
            )
    elif not interval:
        est = float(np.median(_walsh_averages(nz)))
        lo = hi = math.nan
    else:
        est = float(np.median(_walsh_averages(nz)))
        z = stats.norm.ppf(1.0 - alpha / 2.0)

        def w(shift: float) -> float:
            return _signed_rank_z(nz, shift)

        lo = _decreasing_root(w, float(nz.min()), float(nz.max()), z)
        hi = _decreasing_root(w, float(nz.min()), float(nz.max()), -z)
        if math.isnan(lo) or math.isnan(hi):
            lo = hi = math.nan
            notes.append(
                "wilcoxon: no Hodges-Lehmann interval, because the non-zero differences "
                "are all equal."
            )

    if exact:
        method = "Wilcoxon signed-rank test (exact); Hodges-Lehmann estimate, exact interval"
    else:
        method = (
            "Wilcoxon signed-rank test (normal approximation, tie and continuity "
            "corrected); Hodges-Lehmann estimate, asymptotic interval"
        )
    return _Wilcoxon(est, lo, hi, p, v, method, tuple(notes))


# --------------------------------------------------------------------------- paired change


@dataclass(frozen=True, repr=False, eq=False)
class PairedChange(StatsResult):
    """Group-level change between two measurements of the same people.

    Returned by :func:`paired_change`; see there for the table's columns.

    Attributes
    ----------
    table : pandas.DataFrame
        The tidy result table (rows ``mean_diff``, ``d_z``, ``g_av``, ``wilcoxon``).
    n : int
        Complete pairs used (people with both scores).
    n_dropped : int
        Pairs dropped because pre or post was missing.
    mean_pre, mean_post, sd_pre, sd_post : float
        Means and standard deviations (ddof=1) of the complete pairs.
    r : float
        Pearson correlation of pre and post (NaN when either does not vary).
    d_av : float
        Cohen's d_av before the small-sample correction.
    conf_level : float
        Confidence level of the intervals.
    details : tuple of str
        Method and data notes printed under the table.

    Examples
    --------
    >>> res = paired_change([10, 12, 9, 14, 11], [12, 15, 9, 16, 14])
    >>> res.n, res.mean_pre, res.mean_post
    (5, 11.2, 13.2)
    >>> res.to_frame()["term"].tolist()
    ['mean_diff', 'd_z', 'g_av', 'wilcoxon']
    >>> print(res.summary().splitlines()[0])
    Paired change (post - pre)
    """

    table: pd.DataFrame
    n: int
    n_dropped: int
    mean_pre: float
    mean_post: float
    sd_pre: float
    sd_post: float
    r: float
    d_av: float
    conf_level: float
    details: tuple[str, ...] = ()

    title = "Paired change (post - pre)"

    def to_frame(self) -> pd.DataFrame:
        """A copy of the tidy result table."""
        return self.table.copy()

    def notes(self) -> list[str]:
        """Data summary, methods and anything unusual about this result."""
        return [
            f"n = {self.n} complete pairs; {self.n_dropped} pair(s) dropped because pre or "
            f"post was missing.",
            f"mean_pre = {_fmt(self.mean_pre)}, mean_post = {_fmt(self.mean_post)}, "
            f"sd_pre = {_fmt(self.sd_pre)}, sd_post = {_fmt(self.sd_post)}, "
            f"r(pre, post) = {_fmt(self.r)}, d_av = {_fmt(self.d_av)}.",
            f"Intervals at {self.conf_level:.4g} confidence.",
            *self.details,
        ]

    def __repr__(self) -> str:
        return self.summary()


def paired_change(
    pre: Any,
    post: Any,
    *,
    data: pd.DataFrame | None = None,
    conf_level: float = 0.95,
) -> PairedChange:
    """Mean change, paired t-test, d_z, Hedges' g_av and Wilcoxon test for paired scores.

    Change is ``post - pre``, so a positive estimate means scores went up.

    Parameters
    ----------
    pre, post : array-like, pandas.Series, or str
        Scores of the same people at baseline and follow-up, one value per
        person in the same order (NaN where missing). Two Series must have
        the same index.
    data : pandas.DataFrame, optional
        When given, ``pre`` and ``post`` are column names of ``data`` (one row
        per person).
    conf_level : float, default 0.95
        Confidence level of every interval.

    Returns
    -------
    PairedChange
        ``.to_frame()`` has one row per ``term`` and the columns:

        - ``term``: ``mean_diff``, ``d_z``, ``g_av`` or ``wilcoxon``.
        - ``estimate``: mean of post - pre; Cohen's d_z; Hedges' g_av; the
          Hodges-Lehmann pseudomedian of post - pre.
        - ``ci_low``, ``ci_high``: confidence limits (see Notes).
        - ``p_value``: two-sided p-value of the paired t-test (rows
          ``mean_diff``, ``d_z`` and ``g_av``, which all test "no mean
          change") or of the Wilcoxon signed-rank test.
        - ``n``: complete pairs used (people with both scores), the same on
          every row.
        - ``method``: the estimator, test and interval used.
        - ``statistic``: the paired t statistic, or for ``wilcoxon`` the sum
          V of the ranks of the positive differences (R's ``V`` for
          ``wilcox.test(post, pre, paired = TRUE)``).
        - ``df``: degrees of freedom of the t-test (n - 1); NaN for
          ``wilcoxon``.
        - ``n_dropped``: pairs dropped because pre or post was missing.

        Attributes ``n``, ``n_dropped``, ``mean_pre``, ``mean_post``,
        ``sd_pre``, ``sd_post``, ``r`` (pre-post correlation) and ``d_av``
        are repeated in the notes.

    Raises
    ------
    StatsInputError
        If there are fewer than 2 complete pairs, the lengths differ, two
        Series are indexed differently, a score is infinite, a name is not a
        column of ``data`` or ``conf_level`` is not in (0, 1).

    Notes
    -----
    With differences :math:`d_i = post_i - pre_i`, mean :math:`\\bar d`,
    standard deviation :math:`s_D` and :math:`n` pairs:

    - ``mean_diff``: :math:`\\bar d \\pm t_{1-\\alpha/2,\\,n-1} s_D/\\sqrt n`;
      p-value from ``scipy.stats.ttest_rel``, :math:`t = \\bar d/(s_D/\\sqrt n)`.
    - ``d_z`` :math:`= \\bar d / s_D = t/\\sqrt n` (Cohen 1988). Interval: the
      noncentrality limits :math:`\\lambda_L, \\lambda_U` of a noncentral t
      with n - 1 degrees of freedom that put the observed t at its
      :math:`1-\\alpha/2` and :math:`\\alpha/2` quantiles, divided by
      :math:`\\sqrt n`; exact under normality (Steiger & Fouladi 1997;
      Cumming & Finch 2001; Goulet-Pelletier & Cousineau 2018).
    - ``g_av`` :math:`= J\\, d_{av}` with
      :math:`d_{av} = \\bar d / ((s_{pre} + s_{post})/2)` and
      :math:`J = 1 - 3/(4(n_1+n_2) - 9)` with :math:`n_1 = n_2 = n`, the
      correction Lakens (2013) and his spreadsheet apply, which reproduces
      his worked example (g_av = 1.08). Interval for the population
      :math:`\\delta_{av}`: Algina & Keselman (2003),
      :math:`[\\lambda_L, \\lambda_U]\\, s_D / (\\sqrt n\\, s_{av})` with the
      same :math:`\\lambda` limits as d_z; it is not multiplied by J
      (Cumming 2012), as Lakens (2013) reports it.
    - ``wilcoxon``: zero differences are dropped. With fewer than 50 non-zero
      differences and no ties the p-value is exact and the Hodges-Lehmann
      interval is the exact one from the ordered Walsh averages
      (Hollander & Wolfe 1973); otherwise the p-value uses the normal
      approximation with tie and continuity corrections and the interval
      inverts that statistic, as R's ``wilcox.test`` does. The estimate is
      the median of the Walsh averages of the non-zero differences.

    Missing data: a pair with pre or post missing is dropped from every row
    and counted in ``n_dropped``.

    Degenerate data: when all differences are equal (for instance all zero),
    ``mean_diff`` is that value with a zero-width interval; d_z, every
    p-value and the g_av and Wilcoxon intervals are NaN (there is no
    variation to standardise by or test against), g_av is given when the
    scores themselves vary, and a note says so. When the baseline (or
    follow-up) scores are all equal, r is NaN and d_av uses the other SD.

    References
    ----------
    Algina, J., & Keselman, H. J. (2003). Approximate confidence intervals
    for effect sizes. Educational and Psychological Measurement, 63(4),
    537-553.

    Cumming, G., & Finch, S. (2001). A primer on the understanding, use, and
    calculation of confidence intervals that are based on central and
    noncentral distributions. Educational and Psychological Measurement,
    61(4), 532-574.

    Goulet-Pelletier, J.-C., & Cousineau, D. (2018). A review of effect sizes
    and their confidence intervals, Part I: The Cohen's d family. The
    Quantitative Methods for Psychology, 14(4), 242-265.

    Hollander, M., & Wolfe, D. A. (1973). Nonparametric Statistical Methods.
    Wiley.

    Lakens, D. (2013). Calculating and reporting effect sizes to facilitate
    cumulative science: a practical primer for t-tests and ANOVAs. Frontiers
    in Psychology, 4, 863.

    Examples
    --------
    Lakens' (2013) movie ratings, read as a change from movie 2 to movie 1:

    >>> res = paired_change([9, 6, 7, 8, 7, 9, 8, 8, 8, 7], [9, 7, 8, 9, 8, 9, 9, 10, 9, 9])
    >>> df = res.to_frame()[["term", "estimate", "ci_low", "ci_high", "p_value"]]
    >>> print(df.round(3).to_string(index=False))
         term  estimate  ci_low  ci_high  p_value
    mean_diff     1.000   0.523    1.477    0.001
          d_z     1.500   0.561    2.403    0.001
         g_av     1.081   0.422    1.808    0.001
     wilcoxon     1.000   1.000    1.500    0.010
    >>> res.n, res.n_dropped, round(res.r, 3)
    (10, 0, 0.726)

    The same from a DataFrame:

    >>> import pandas as pd
    >>> df = pd.DataFrame({"pre": [9, 6, 7, 8, 7, 9, 8, 8, 8, 7],
    ...                    "post": [9, 7, 8, 9, 8, 9, 9, 10, 9, 9]})
    >>> paired_change("pre", "post", data=df).to_frame()["estimate"].round(3).tolist()
    [1.0, 1.5, 1.081, 1.0]
    """
    return _paired_change(pre, post, data=data, conf_level=conf_level)


def _paired_change(
    pre: Any,
    post: Any,
    *,
    data: pd.DataFrame | None = None,
    conf_level: float = 0.95,
    hodges_lehmann_interval: bool = True,
) -> PairedChange:
    """:func:`paired_change`; ``hodges_lehmann_interval=False`` leaves the Wilcoxon row's
    asymptotic interval NaN (for callers that use only its p-value)."""
    from scipy import stats

    level = check_conf_level(conf_level)
    args = from_data(data, "paired_change", pre=pre, post=post)
    x, y, _ = _paired_arrays(args["pre"], args["post"])
    (x, y), n_dropped = drop_missing(x, y)
    n = len(x)
    if n < 2:
        raise StatsInputError(
            f"paired_change needs at least 2 complete pairs (pre and post both present); "
            f"found {n} after dropping {n_dropped} pair(s) with a missing score. Check that "
            "the follow-up scores are matched to the right people."
        )

    d = y - x
    scale = float(np.max(np.abs(np.concatenate([x, y]))))
    mean_pre, mean_post = float(x.mean()), float(y.mean())
    sd_pre, sd_post = float(x.std(ddof=1)), float(y.std(ddof=1))
    pre_flat = _no_variation(x, scale)
    post_flat = _no_variation(y, scale)
    if pre_flat:
        sd_pre = 0.0
    if post_flat:
        sd_post = 0.0
    diff_flat = _no_variation(d, scale)
    mean_diff = float(d.mean())
    sd_diff = 0.0 if diff_flat else float(d.std(ddof=1))
    details: list[str] = []

    if pre_flat or post_flat:
        r = math.nan
        which = "baseline" if pre_flat else "follow-up"
        if pre_flat and post_flat:
            which = "baseline and follow-up"
        details.append(
            f"The {which} scores are all equal, so the pre-post correlation r is undefined (NaN)."
        )
    else:
        r = float(np.sum((x - mean_pre) * (y - mean_post)) / ((n - 1) * sd_pre * sd_post))

    s_av = (sd_pre + sd_post) / 2.0
    d_av = mean_diff / s_av if s_av > 0 else math.nan
    hedges_j = 1.0 - 3.0 / (4.0 * (2 * n) - 9.0)
    g_av = hedges_j * d_av
    df_t = float(n - 1)

    m_mean = "mean of post - pre; paired t-test; t interval"
    m_dz = "Cohen's d_z; paired t-test; noncentral-t interval (exact)"
    m_gav = "Hedges' g_av (Lakens 2013); paired t-test; Algina-Keselman noncentral-t interval"

    if diff_flat:
        details.append(
            f"Every pair changed by the same amount ({_fmt(mean_diff)}): the differences "
            "have no variation, so mean_diff has a zero-width interval, d_z is undefined "
            "(NaN), and the p-values and the g_av and Wilcoxon intervals are NaN."
        )
        if s_av == 0:
            details.append("g_av is undefined (NaN): neither pre nor post scores vary.")
        rows = [
            {
                "term": "mean_diff",
                "estimate": mean_diff,
                "ci_low": mean_diff,
                "ci_high": mean_diff,
                "method": m_mean,
                "df": df_t,
            },
            {"term": "d_z", "method": m_dz, "df": df_t},
            {"term": "g_av", "estimate": g_av, "method": m_gav, "df": df_t},
        ]
        nz = d[d != 0]
        v = float(len(nz) * (len(nz) + 1) / 2.0) if mean_diff > 0 else 0.0
        rows.append(
            {
                "term": "wilcoxon",
                "estimate": mean_diff,
                "statistic": v,
                "method": "Wilcoxon signed-rank test; Hodges-Lehmann estimate",
            }
        )
    else:
        ttest = stats.ttest_rel(y, x)
        t_stat = float(ttest.statistic)
        p_t = float(ttest.pvalue)
        ci_t = ttest.confidence_interval(confidence_level=level)
        lam_lo, lam_hi = _nct_limits(t_stat, df_t, level)
        if math.isnan(lam_lo) or math.isnan(lam_hi):
            details.append(
                "The noncentral-t limits could not be found for this t statistic, so the "
                "d_z and g_av intervals are NaN."
            )
        root_n = math.sqrt(n)
        k_av = sd_diff / (root_n * s_av)
        wil = _wilcoxon(d, level, interval=hodges_lehmann_interval)
        details.extend(wil.notes)
        common = {"p_value": p_t, "statistic": t_stat, "df": df_t}
        rows = [
            {
                "term": "mean_diff",
                "estimate": mean_diff,
                "ci_low": float(ci_t.low),
                "ci_high": float(ci_t.high),
                "method": m_mean,
                **common,
            },
            {
                "term": "d_z",
                "estimate": mean_diff / sd_diff,
                "ci_low": lam_lo / root_n,
                "ci_high": lam_hi / root_n,
                "method": m_dz,
                **common,
            },
            {
                "term": "g_av",
                "estimate": g_av,
                "ci_low": lam_lo * k_av,
                "ci_high": lam_hi * k_av,
                "method": m_gav,
                **common,
            },
            {
                "term": "wilcoxon",
                "estimate": wil.estimate,
                "ci_low": wil.ci_low,
                "ci_high": wil.ci_high,
                "p_value": wil.p_value,
                "statistic": wil.statistic,
                "method": wil.method,
            },
        ]

    details.append(
        f"g_av = J * d_av with d_av = mean_diff / ((sd_pre + sd_post) / 2) and "
        f"J = 1 - 3 / (4 * 2n - 9) = {hedges_j:.4g} (Lakens 2013); its interval is the "
        "Algina-Keselman (2003) interval for the population d_av, not multiplied by J."
    )
    for row in rows:
        row["n"] = n
        row["n_dropped"] = n_dropped
    table = tidy(rows, extra=_PAIRED_EXTRA)
    table["df"] = table["df"].astype("float64")
    table["statistic"] = table["statistic"].astype("float64")
    return PairedChange(
        table=table,
        n=n,
        n_dropped=n_dropped,
        mean_pre=mean_pre,
        mean_post=mean_post,
        sd_pre=sd_pre,
        sd_post=sd_post,
        r=r,
        d_av=d_av,
        conf_level=level,
        details=tuple(details),
    )


# --------------------------------------------------------------------------- reliable change


@dataclass(frozen=True, repr=False, eq=False)
class ReliableChange(StatsResult):
    """Jacobson-Truax reliable change, per category and per person.

    Returned by :func:`reliable_change`. ``to_frame()`` is the tidy table of
    the categories (shares with Wilson intervals); ``per_person()`` gives each
    person's change, RCI and category. ``summary()`` shows the categories,
    never individual rows.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per person (see :meth:`per_person`).
    n : int
        Complete pairs (people with both scores, the people classified).
    n_dropped : int
        Rows with pre or post missing (kept in the per-person table, not
        classified).
    sd : float
        Standard deviation used for the standard error of measurement.
    sd_source : str
        ``"estimated"`` (from the baseline scores of complete pairs) or
        ``"supplied"``.
    reliability : float
        Reliability of the measure.
    sem : float
        Standard error of measurement, sd * sqrt(1 - reliability).
    s_diff : float
        Standard error of the difference, sqrt(2) * sem.
    threshold : float
        Minimum reliable change, 1.96 * s_diff, in score points.
    higher_is_better : bool
        Direction of improvement.
    conf_level : float
        Confidence level of the Wilson intervals of the shares.

    Examples
    --------
    >>> rc = reliable_change([20, 22, 18, 25], [26, 21, 14, 26], reliability=0.9, sd=3.0)
    >>> rc.n, rc.n_dropped
    (4, 0)
    >>> print(rc.to_frame()[["term", "estimate", "k", "n"]].to_string(index=False))
                  term  estimate  k  n
              improved      0.25  1  4
    no_reliable_change      0.50  2  4
          deteriorated      0.25  1  4
    """

    table: pd.DataFrame
    n: int
    n_dropped: int
    sd: float
    sd_source: Literal["estimated", "supplied"]
    reliability: float
    sem: float
    s_diff: float
    threshold: float
    higher_is_better: bool
    conf_level: float = 0.95

    title = "Reliable change (Jacobson & Truax 1991)"

    def to_frame(self) -> pd.DataFrame:
        """One row per category, its share of the people classified and a Wilson interval.

        Returns
        -------
        pandas.DataFrame
            One row per category, in the order ``improved``,
            ``no_reliable_change``, ``deteriorated`` (zeros included), with
            columns ``term`` (the category), ``estimate`` (share of the complete
            pairs, k / n), ``ci_low``, ``ci_high`` (Wilson score interval,
            statsmodels ``proportion_confint``), ``p_value`` (NaN: no test),
            ``n`` (complete pairs, the denominator, the same on every row),
            ``method``, ``k`` (people in the category), ``conf_level`` and
            ``n_dropped`` (rows with pre or post missing, not classified).
        """
        from statsmodels.stats.proportion import proportion_confint

        cats = self.table["category"]
        k = np.array([int((cats == c).sum()) for c in RELIABLE_CHANGE_CATEGORIES])
        lo, hi = proportion_confint(k, self.n, alpha=1.0 - self.conf_level, method="wilson")
        method = f"share of complete pairs; Wilson score interval, {self.conf_level:.0%}"
        rows = [
            {
                "term": cat,
                "estimate": kk / self.n,
                "ci_low": float(low),
                "ci_high": float(high),
                "n": self.n,
                "method": method,
                "k": int(kk),
                "conf_level": self.conf_level,
                "n_dropped": self.n_dropped,
            }
            for cat, kk, low, high in zip(
                RELIABLE_CHANGE_CATEGORIES, k, np.atleast_1d(lo), np.atleast_1d(hi), strict=True
            )
        ]
        return tidy(rows, extra=("k", "conf_level", "n_dropped"))

    def per_person(self) -> pd.DataFrame:
        """Each person's scores, change, RCI and category (a copy; the input index kept).

        Returns
        -------
        pandas.DataFrame
            One row per input row with columns ``pre``, ``post``, ``change``
            (post - pre), ``rci`` (change / S_diff) and ``category``
            (categorical: ``improved``, ``no_reliable_change`` or
            ``deteriorated``; missing for rows lacking pre or post).
        """
        return self.table.copy()

    def notes(self) -> list[str]:
        """The parameters used and the missing-data rule."""
        source = (
            f"estimated from the baseline scores of the {self.n} complete pairs"
            if self.sd_source == "estimated"
            else "supplied"
        )
        direction = "higher" if self.higher_is_better else "lower"
        return [
            f"S_diff = sqrt(2) * sd * sqrt(1 - reliability) = {_fmt(self.s_diff)}, with "
            f"sd = {_fmt(self.sd)} ({source}) and reliability = {_fmt(self.reliability)}; "
            f"SEM = {_fmt(self.sem)}.",
            f"Reliable change when |RCI| > {RCI_CRITERION}, i.e. a change of more than "
            f"{_fmt(self.threshold)} points; {direction} scores are better.",
            f"{self.n_dropped} row(s) lacked pre or post: kept in per_person() with NaN "
            "change and RCI and no category, and left out of the shares.",
        ]

    def __repr__(self) -> str:
        return self.summary()


def _check_reliability(reliability: Any) -> float:
    if isinstance(reliability, bool | np.bool_) or reliability is None:
        raise StatsInputError(
            f"reliability must be a number strictly between 0 and 1 (e.g. Cronbach's alpha "
            f"or a test-retest correlation), got {reliability!r}."
        )
    try:
        rel = float(reliability)
    except (TypeError, ValueError):
        raise StatsInputError(
            f"reliability must be a number strictly between 0 and 1, got {reliability!r}."
        ) from None
    if not 0.0 < rel < 1.0:
        raise StatsInputError(
            f"reliability must be strictly between 0 and 1, got {reliability!r}: at 1 every "
            "change would be reliable and at 0 none could be. Use the instrument's published "
            "reliability (e.g. Cronbach's alpha)."
        )
    return rel


def _check_sd(sd: Any) -> float:
    if isinstance(sd, bool | np.bool_):
        raise StatsInputError(f"sd must be a positive number, got {sd!r}.")
    try:
        value = float(sd)
    except (TypeError, ValueError):
        raise StatsInputError(f"sd must be a positive number, got {sd!r}.") from None
    if not (math.isfinite(value) and value > 0):
        raise StatsInputError(
            f"sd must be a positive, finite number (the standard deviation of the scores, "
            f"e.g. from the instrument's norms), got {sd!r}."
        )
    return value


def reliable_change(
    pre: Any,
    post: Any,
    *,
    reliability: float,
    sd: float | None = None,
    higher_is_better: bool = True,
    data: pd.DataFrame | None = None,
    conf_level: float = 0.95,
) -> ReliableChange:
    """Jacobson-Truax reliable change index for each person, and the shares per category.

    Parameters
    ----------
    pre, post : array-like, pandas.Series, or str
        Each person's baseline and follow-up score, in the same order (NaN
        where missing). Two Series must have the same index; the index of a
        Series (or of ``data``) is kept in the per-person table.
    reliability : float
        Reliability of the measure, strictly between 0 and 1 (Cronbach's
        alpha or a test-retest correlation).
    sd : float, optional
        Standard deviation for the standard error of measurement. Default:
        the SD (ddof=1) of the baseline scores of the complete pairs.
    higher_is_better : bool, default True
        Whether an increase is an improvement (False for symptom scales or
        the ONS4 anxiety item).
    data : pandas.DataFrame, optional
        When given, ``pre`` and ``post`` are column names of ``data`` (one row
        per person).
    conf_level : float, default 0.95
        Confidence level of the Wilson intervals of the shares.

    Returns
    -------
    ReliableChange
        ``.to_frame()`` is tidy, one row per category (``improved``,
        ``no_reliable_change``, ``deteriorated``): ``term`` (the category),
        ``estimate`` (its share of the complete pairs), ``ci_low``,
        ``ci_high`` (Wilson interval), ``p_value`` (NaN), ``n`` (complete
        pairs: the people classified, the denominator), ``method``, ``k``
        (people in the category), ``conf_level``, ``n_dropped`` (rows with
        pre or post missing).

        ``.per_person()`` has one row per input row (index kept) with columns
        ``pre``, ``post``, ``change`` (post - pre), ``rci`` (change / S_diff)
        and ``category`` (categorical; missing for rows lacking pre or post).
        Attributes ``sd``, ``reliability``, ``sem``, ``s_diff``,
        ``threshold``, ``n`` and ``n_dropped``.

    Raises
    ------
    StatsInputError
        If reliability is not strictly between 0 and 1; sd is not positive;
        sd must be estimated and there are fewer than 2 complete pairs or
        their baseline scores do not vary; there is no complete pair; the
        lengths or Series indexes differ; a name is not a column of ``data``;
        higher_is_better is not a bool; or conf_level is not in (0, 1).

    Notes
    -----
    Jacobson & Truax (1991), with the Christensen & Mendoza (1986)
    correction: :math:`SE = s\\sqrt{1 - r_{xx}}`, :math:`S_{diff} = \\sqrt 2\\, SE`,
    :math:`RCI = (post - pre) / S_{diff}`. Change is reliable when
    :math:`|RCI| > 1.96`, i.e. when the change exceeds the threshold
    :math:`1.96\\, S_{diff}` (:math:`= 2.77\\, SE`); its sign and
    ``higher_is_better`` give improved or deteriorated. A change of exactly
    the threshold is not reliable.

    Missing data: rows with pre or post missing stay in the per-person table
    with NaN ``change`` and ``rci`` and no category; they are counted in
    ``n_dropped`` and left out of the SD estimate and the shares (whose
    denominator is the complete pairs).

    References
    ----------
    Jacobson, N. S., & Truax, P. (1991). Clinical significance: A statistical
    approach to defining meaningful change in psychotherapy research.
    Journal of Consulting and Clinical Psychology, 59(1), 12-19.

    Christensen, L., & Mendoza, J. L. (1986). A method of assessing change in
    a single subject: An alteration of the RC index. Behavior Therapy, 17,
    305-308.

    Evans, C., Margison, F., & Barkham, M. (1998). The contribution of
    reliable and clinically significant change methods to evidence-based
    mental health. Evidence-Based Mental Health, 1, 70-72.

    Wilson, E. B. (1927). Probable inference, the law of succession, and
    statistical inference. Journal of the American Statistical Association,
    22, 209-212.

    Examples
    --------
    >>> import pandas as pd
    >>> scores = pd.DataFrame(
    ...     {"pre": [20.0, 22.0, 18.0, 25.0, None], "post": [26.0, 21.0, 14.0, 26.0, 24.0]},
    ...     index=["a", "b", "c", "d", "e"],
    ... )
    >>> rc = reliable_change("pre", "post", reliability=0.9, sd=3.0, data=scores)
    >>> print(f"{rc.threshold:.4f}")
    2.6296
    >>> rc.per_person()["category"].tolist()
    ['improved', 'no_reliable_change', 'deteriorated', 'no_reliable_change', nan]
    >>> frame = rc.to_frame()[["term", "k", "n", "estimate", "ci_low", "ci_high", "n_dropped"]]
    >>> print(frame.round(3).to_string(index=False))
                  term  k  n  estimate  ci_low  ci_high  n_dropped
              improved  1  4      0.25   0.046    0.699          1
    no_reliable_change  2  4      0.50   0.150    0.850          1
          deteriorated  1  4      0.25   0.046    0.699          1
    """
    rel = _check_reliability(reliability)
    level = check_conf_level(conf_level)
    if not isinstance(higher_is_better, bool | np.bool_):
        raise StatsInputError(f"higher_is_better must be True or False, got {higher_is_better!r}.")
    args = from_data(data, "reliable_change", pre=pre, post=post)
    x, y, index = _paired_arrays(args["pre"], args["post"])
    complete = ~(np.isnan(x) | np.isnan(y))
    n = int(complete.sum())
    n_dropped = len(x) - n
    if sd is None:
        if n < 2:
            raise StatsInputError(
                f"reliable_change needs at least 2 complete pairs to estimate the baseline "
                f"SD, found {n}. Pass sd= (e.g. the SD from the instrument's norms) instead."
            )
        sd_value = float(x[complete].std(ddof=1))
        if _no_variation(x[complete], float(np.max(np.abs(x[complete])))):
            raise StatsInputError(
                "The baseline scores of the complete pairs are all equal (SD 0), so the SD "
                "cannot be estimated from them. Pass sd= (e.g. the SD from the instrument's "
                "norms)."
            )
        sd_source: Literal["estimated", "supplied"] = "estimated"
    else:
        sd_value = _check_sd(sd)
        sd_source = "supplied"
        if n == 0:
            raise StatsInputError(
                "reliable_change found no complete pair (pre and post both present); there "
                "is nobody to classify."
            )
    sem = sd_value * math.sqrt(1.0 - rel)
    s_diff = math.sqrt(2.0) * sem
    change = y - x
    rci = change / s_diff
    up = rci > RCI_CRITERION
    down = rci < -RCI_CRITERION
    better, worse = (up, down) if higher_is_better else (down, up)
    labels = np.where(better, "improved", np.where(worse, "deteriorated", "no_reliable_change"))
    category = pd.Categorical(
        np.where(complete, labels, None), categories=list(RELIABLE_CHANGE_CATEGORIES)
    )
    table = pd.DataFrame(
        {"pre": x, "post": y, "change": change, "rci": rci, "category": category},
        index=index,
    )
    return ReliableChange(
        table=table,
        n=n,
        n_dropped=n_dropped,
        sd=sd_value,
        sd_source=sd_source,
        reliability=rel,
        sem=sem,
        s_diff=s_diff,
        threshold=RCI_CRITERION * s_diff,
        higher_is_better=bool(higher_is_better),
        conf_level=level,
    )
