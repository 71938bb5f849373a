"""Proportions and rates: confidence intervals, ratios and differences.

Counts in, tidy :class:`~noream_eval.stats._base.Estimates` out. The intervals
come from statsmodels (``proportion_confint``, ``confint_proportions_2indep``,
``confint_poisson``); only the glue (input checks, zero-count rules, the
conditional exact interval for a ratio of Poisson rates) is written here.

Counts are given as values or, with ``data=``, as column names of a DataFrame:
:func:`proportion_ci` then works row by row; :func:`rate_ratio` and
:func:`risk_difference` compare two groups given as single counts, so their
``data`` must have exactly one row.
"""

from __future__ import annotations

import math
import warnings
from typing import Any, Literal

import numpy as np
import pandas as pd

from noream_eval.errors import StatsInputError
from noream_eval.stats._base import Estimates, tidy
from noream_eval.stats._checks import as_float_array, check_conf_level, drop_missing, from_data

__all__ = ["proportion_ci", "rate_ratio", "risk_difference"]

ProportionMethod = Literal["wilson", "clopper_pearson", "agresti_coull", "jeffreys", "wald"]
RatioKind = Literal["proportion", "poisson"]
DifferenceMethod = Literal["newcombe", "wald", "agresti_caffo"]

#: statsmodels ``proportion_confint`` method name for each of ours.
_SM_PROPORTION = {
    "wilson": "wilson",
    "clopper_pearson": "beta",
    "agresti_coull": "agresti_coull",
    "jeffreys": "jeffreys",
    "wald": "normal",
}
_PROPORTION_LABEL = {
    "wilson": "Wilson score interval",
    "clopper_pearson": "Clopper-Pearson exact interval",
    "agresti_coull": "Agresti-Coull interval",
    "jeffreys": "Jeffreys interval",
    "wald": "Wald interval",
}
#: statsmodels ``confint_proportions_2indep`` method name for each of ours.
_SM_DIFFERENCE = {"newcombe": "newcomb", "wald": "wald", "agresti_caffo": "agresti-caffo"}
_DIFFERENCE_LABEL = {
    "newcombe": "Newcombe hybrid score interval (method 10)",
    "wald": "Wald interval",
    "agresti_caffo": "Agresti-Caffo interval",
}


# --------------------------------------------------------------------------- checks


def _check_choice(value: Any, name: str, choices: Any) -> None:
    if value not in choices:
        allowed = ", ".join(repr(c) for c in choices)
        raise StatsInputError(f"{name}={value!r} is not one of {allowed}.")


def _scalar(x: Any, name: str) -> float:
    """One number as float; missing or non-numeric values are refused."""
    if isinstance(x, bool | np.bool_):
        raise StatsInputError(f"{name} must be a number, got the boolean {x!r}.")
    if x is None or x is pd.NA:
        x = math.nan
    try:
        value = float(x)
    except (TypeError, ValueError):
        raise StatsInputError(f"{name} must be a single number, got {x!r}.") from None
    if math.isnan(value):
        raise StatsInputError(
            f"{name} is missing (NaN); a comparison of two groups needs all four counts. "
            "Drop or fill the missing value first."
        )
    if math.isinf(value):
        raise StatsInputError(f"{name} must be finite, got {value}.")
    return value


def _whole(value: float, name: str) -> int:
    if value != math.floor(value):
        raise StatsInputError(f"{name} = {value:g} is not a whole number; counts must be integers.")
    return int(value)


def _count(x: Any, name: str) -> int:
    value = _whole(_scalar(x, name), name)
    if value < 0:
        raise StatsInputError(f"{name} = {value} is negative; a count cannot be below 0.")
    return value


def _single_row(data: pd.DataFrame | None, func: str, **args: Any) -> dict[str, Any]:
    """The four counts: as given, or the values of the named columns of one-row ``data``."""
    got = from_data(data, func, **args)
    if data is None:
        return got
    if len(data) != 1:
        raise StatsInputError(
            f"{func} compares two groups given as single counts, so data must have exactly "
            f"one row; it has {len(data)}. Select the row (e.g. df.loc[[label]]) or add up "
            "the counts first."
        )
    return {role: series.iloc[0] for role, series in got.items()}


def _group(k: Any, n: Any, kname: str, nname: str) -> tuple[int, int]:
    """A binomial group: k events out of n units, 0 <= k <= n, n > 0."""
    kk = _count(k, kname)
    nn = _count(n, nname)
    if nn == 0:
        raise StatsInputError(f"{nname} = 0: a proportion needs at least one unit.")
    if kk > nn:
        raise StatsInputError(
            f"{kname} = {kk} is larger than {nname} = {nn}; events cannot exceed the units."
        )
    return kk, nn


# --------------------------------------------------------------------------- proportions


def _proportion_bounds(
    k: np.ndarray, n: np.ndarray, method: str, alpha: float
) -> tuple[np.ndarray, np.ndarray]:
    """Interval for each k/n from statsmodels, with the exact end points at 0 and n."""
    from statsmodels.stats.proportion import proportion_confint

    low, high = proportion_confint(k, n, alpha=alpha, method=_SM_PROPORTION[method])
    low = np.clip(np.asarray(low, dtype="float64"), 0.0, 1.0)
    high = np.clip(np.asarray(high, dtype="float64"), 0.0, 1.0)
    # At k = 0 every interval here starts at 0 and at k = n it ends at 1 (the Jeffreys
    # interval with the modification of Brown, Cai & DasGupta 2001; the others up to
    # floating-point error).
    low = np.where(k == 0, 0.0, low)
    high = np.where(k == n, 1.0, high)
    return low, high


def _as_count_array(x: Any, name: str) -> np.ndarray:
    if np.ndim(x) == 0:
        if isinstance(x, bool | np.bool_):
            raise StatsInputError(f"{name} must be a count, got the boolean {x!r}.")
        return as_float_array([np.nan if x is None else x], name)
    return as_float_array(x, name)


def proportion_ci(
    k: Any,
    n: Any,
    *,
    data: pd.DataFrame | None = None,
    method: ProportionMethod = "wilson",
    conf_level: float = 0.95,
) -> Estimates:
    """Proportion k/n with a confidence interval, for one or many groups.

    Parameters
    ----------
    k : int, array-like of int, or str
        Number of units with the event (e.g. re-referrals).
    n : int, array-like of int, or str
        Number of units (e.g. referrals). ``k`` and ``n`` are scalars or
        equal-length arrays; a scalar is broadcast against an array.
    data : pandas.DataFrame, optional
        When given, ``k`` and ``n`` are column names of ``data`` and there is
        one proportion per row.
    method : {"wilson", "clopper_pearson", "agresti_coull", "jeffreys", "wald"}
        Interval method (default Wilson score).
    conf_level : float
        Confidence level, strictly between 0 and 1 (default 0.95).

    Returns
    -------
    Estimates
        ``.to_frame()`` has one row per group with columns

        - ``term``: ``"proportion"`` for scalar input, ``"proportion[i]"`` (``i``
          the position in the input, or the row position in ``data``) for array
          input;
        - ``estimate``: k/n;
        - ``ci_low``, ``ci_high``: the interval, within [0, 1];
        - ``p_value``: NaN (no test is made);
        - ``n``: the number of units n of that row (the denominator);
        - ``method``: interval name and level;
        - ``k``: the number of events;
        - ``conf_level``: the confidence level;
        - ``n_dropped``: elements (rows) dropped because k or n was missing, the
          same on every row.

    Raises
    ------
    StatsInputError
        If a count is negative, not a whole number, ``k > n``, ``n <= 0``, the
        arrays differ in length, every element is missing, a name is not a
        column of ``data``, or ``conf_level`` is not in (0, 1).

    Notes
    -----
    With :math:`\\hat p = k/n` and :math:`z = \\Phi^{-1}(1 - \\alpha/2)`, the
    Wilson score interval (Wilson 1927; method 3 of Newcombe 1998) is

    .. math::

        \\frac{\\hat p + z^2/(2n) \\pm z\\sqrt{\\hat p(1-\\hat p)/n + z^2/(4n^2)}}{1 + z^2/n}.

    Clopper-Pearson inverts two one-sided binomial tests (beta quantiles
    :math:`B(\\alpha/2; k, n-k+1)` and :math:`B(1-\\alpha/2; k+1, n-k)`);
    Agresti-Coull is the Wald interval around :math:`(k + z^2/2)/(n + z^2)`;
    Jeffreys takes the :math:`\\alpha/2` and :math:`1-\\alpha/2` quantiles of
    Beta(k + 1/2, n - k + 1/2), with the lower limit set to 0 when k = 0 and the
    upper to 1 when k = n (Brown, Cai & DasGupta 2001); Wald is
    :math:`\\hat p \\pm z\\sqrt{\\hat p(1-\\hat p)/n}` clipped to [0, 1], and is
    degenerate (zero width) at k = 0 and k = n, so it is offered only for
    comparison. All limits are computed by statsmodels' ``proportion_confint``.

    Missing data: an element whose ``k`` or ``n`` is missing (NaN, None, pandas
    NA) is dropped and counted in ``n_dropped`` and the notes; the remaining
    rows keep their original positions in ``term``.

    References
    ----------
    Wilson EB (1927). Probable inference, the law of succession, and statistical
    inference. JASA 22:209-212.
    Clopper CJ, Pearson ES (1934). The use of confidence or fiducial limits
    illustrated in the case of the binomial. Biometrika 26:404-413.
    Agresti A, Coull BA (1998). Approximate is better than "exact" for interval
    estimation of binomial proportions. Am Stat 52:119-126.
    Newcombe RG (1998). Two-sided confidence intervals for the single
    proportion: comparison of seven methods. Stat Med 17:857-872.
    Brown LD, Cai TT, DasGupta A (2001). Interval estimation for a binomial
    proportion. Stat Sci 16:101-133.

    Examples
    --------
    >>> from noream_eval.stats.proportions import proportion_ci
    >>> res = proportion_ci(81, 263)
    >>> res.to_frame()[["term", "estimate", "ci_low", "ci_high", "n"]].round(4)
             term  estimate  ci_low  ci_high    n
    0  proportion     0.308  0.2553   0.3662  263
    >>> proportion_ci([0, 15], [20, 148], method="clopper_pearson").to_frame()[
    ...     ["term", "ci_low", "ci_high"]].round(4)
                term  ci_low  ci_high
    0  proportion[0]  0.0000   0.1684
    1  proportion[1]  0.0578   0.1617
    >>> import pandas as pd
    >>> cohorts = pd.DataFrame({"rereferred": [0, 15], "referred": [20, 148]})
    >>> proportion_ci("rereferred", "referred", data=cohorts).to_frame()["n"].tolist()
    [20, 148]
    """
    _check_choice(method, "method", _SM_PROPORTION)
    level = check_conf_level(conf_level)
    args = from_data(data, "proportion_ci", k=k, n=n)
    k, n = args["k"], args["n"]
    scalar_input = np.ndim(k) == 0 and np.ndim(n) == 0
    k_arr = _as_count_array(k, "k")
    n_arr = _as_count_array(n, "n")
    if len(k_arr) != len(n_arr):
        if len(k_arr) == 1:
            k_arr = np.repeat(k_arr, len(n_arr))
        elif len(n_arr) == 1:
            n_arr = np.repeat(n_arr, len(k_arr))
        else:
            raise StatsInputError(
                f"k has {len(k_arr)} values but n has {len(n_arr)}; give one n per k "
                "(or a single n for all)."
            )
    total = len(k_arr)
    if total == 0:
        raise StatsInputError("k and n are empty; give at least one count.")
    position = np.arange(total)
    missing = np.isnan(k_arr) | np.isnan(n_arr)
    (k_arr, n_arr), dropped = drop_missing(k_arr, n_arr)
    position = position[~missing]
    if len(k_arr) == 0:
        raise StatsInputError(
            f"all {total} values of k or n are missing; there is nothing to estimate."
        )
    for name, arr in (("k", k_arr), ("n", n_arr)):
        bad = ~np.isfinite(arr) | (arr != np.floor(arr))
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise StatsInputError(
                f"{name}[{position[i]}] = {arr[i]:g} is not a whole number; "
                "counts must be integers."
            )
        if (arr < 0).any():
            i = int(np.flatnonzero(arr < 0)[0])
            raise StatsInputError(
                f"{name}[{position[i]}] = {arr[i]:g} is negative; a count cannot be below 0."
            )
    if (n_arr <= 0).any():
        i = int(np.flatnonzero(n_arr <= 0)[0])
        raise StatsInputError(
            f"n[{position[i]}] = {n_arr[i]:g}: a proportion needs at least one unit (n > 0)."
        )
    if (k_arr > n_arr).any():
        i = int(np.flatnonzero(k_arr > n_arr)[0])
        raise StatsInputError(
            f"k[{position[i]}] = {k_arr[i]:g} is larger than n[{position[i]}] = {n_arr[i]:g}; "
            "events cannot exceed the units."
        )

    low, high = _proportion_bounds(k_arr, n_arr, method, 1.0 - level)
    label = f"{_PROPORTION_LABEL[method]}, {level:.0%}"
    rows = [
        {
            "term": "proportion" if scalar_input else f"proportion[{pos}]",
            "estimate": kk / nn,
            "ci_low": lo,
            "ci_high": hi,
            "n": int(nn),
            "method": label,
            "k": int(kk),
            "conf_level": level,
            "n_dropped": dropped,
        }
        for pos, kk, nn, lo, hi in zip(position, k_arr, n_arr, low, high, strict=True)
    ]
    details = [f"{label} for k/n (statsmodels proportion_confint)."]
    if dropped:
        details.append(f"Dropped {dropped} of {total} elements with a missing k or n.")
    if method == "wald" and ((k_arr == 0) | (k_arr == n_arr)).any():
        details.append(
            "The Wald interval has zero width where k = 0 or k = n; use the Wilson interval."
        )
    return Estimates(
        table=tidy(rows, extra=("k", "conf_level", "n_dropped")),
        title="Proportion",
        details=tuple(details),
    )


# --------------------------------------------------------------------------- ratios


def _risk_ratio(
    k1: int, n1: int, k0: int, n0: int, alpha: float
) -> tuple[float, float, float, float, str, list[str]]:
    from statsmodels.stats.proportion import (
        confint_proportions_2indep,
        test_proportions_2indep,
    )

    adjust = k1 == 0 or k0 == 0
    sm_method = "log-adjusted" if adjust else "log"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        low, high = confint_proportions_2indep(
            k1, n1, k0, n0, method=sm_method, compare="ratio", alpha=alpha
        )
        test = test_proportions_2indep(k1, n1, k0, n0, method=sm_method, compare="ratio")
    notes: list[str] = []
    if adjust:
        estimate = ((k1 + 0.5) / (n1 + 0.5)) / ((k0 + 0.5) / (n0 + 0.5))
        method = "risk ratio, adjusted log interval (0.5 added to events and group sizes)"
        which = "group 1" if k1 == 0 else "group 0"
        notes.append(
            f"No events in {which}: the Katz log interval is undefined, so 0.5 was added to "
            "the number of events and to the size of each group (the 'adjusted log' "
            "interval of Fagerland et al. 2015); the ratio, interval and p-value are "
            "those of the adjusted counts."
        )
    else:
        estimate = (k1 / n1) / (k0 / n0)
        method = "risk ratio, Katz log interval"
    notes.append(
        "Risk ratio p-value: Wald test of log(ratio) = 0 with the same standard error "
        "as the interval (statsmodels test_proportions_2indep), so p < alpha exactly "
        "when the interval excludes 1."
    )
    return estimate, float(low), float(high), float(test.pvalue), method, notes


def _poisson_ratio(
    k1: int, t1: float, k0: int, t0: float, alpha: float
) -> tuple[float, float, float, float, str, list[str]]:
    from statsmodels.stats.proportion import proportion_confint
    from statsmodels.stats.rates import test_poisson_2indep

    total = k1 + k0
    p_low, p_high = proportion_confint(k1, total, alpha=alpha, method="beta")
    p_low = 0.0 if k1 == 0 else float(p_low)
    p_high = 1.0 if k0 == 0 else float(p_high)
    scale = t0 / t1
    low = p_low / (1.0 - p_low) * scale
    high = math.inf if p_high >= 1.0 else p_high / (1.0 - p_high) * scale
    estimate = math.inf if k0 == 0 else (k1 / t1) / (k0 / t0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        one_sided = [
            float(test_poisson_2indep(k1, t1, k0, t0, method="exact-cond", alternative=alt).pvalue)
            for alt in ("larger", "smaller")
        ]
    p_value = min(1.0, 2.0 * min(one_sided))
    notes = [
        "Rate ratio conditional on the total number of events: k1 ~ Binomial(k1 + k0, "
        "p) with p = R t1 / (R t1 + t0); the interval maps the Clopper-Pearson "
        "interval for p (as R's poisson.test does) and the p-value is the central "
        "two-sided exact conditional test, 2 x the smaller one-sided p (capped at 1), "
        "so p < alpha exactly when the interval excludes 1."
    ]
    if k0 == 0:
        notes.append(
            "No events in group 0: the rate ratio and its upper limit are infinite (inf); "
            "the lower limit is still a valid exact bound."
        )
    if k1 == 0:
        notes.append("No events in group 1: the rate ratio is 0 and its lower limit is 0.")
    return estimate, low, high, p_value, "rate ratio, exact conditional interval", notes


def rate_ratio(
    k1: Any,
    n1: Any,
    k0: Any,
    n0: Any,
    *,
    data: pd.DataFrame | None = None,
    kind: RatioKind = "proportion",
    conf_level: float = 0.95,
) -> Estimates:
    """Ratio of the rate in group 1 to the rate in group 0 (the reference).

    Parameters
    ----------
    k1, n1 : int, int or float
        Group 1: number of events and, for ``kind="proportion"``, number of
        units (whole numbers) or, for ``kind="poisson"``, the exposure
        (person-time, any positive number).
    k0, n0 : int, int or float
        The same for the reference group 0.
    data : pandas.DataFrame, optional
        When given, ``k1``, ``n1``, ``k0`` and ``n0`` are column names of a
        one-row ``data``.
    kind : {"proportion", "poisson"}
        ``"proportion"``: risks k/n compared by a risk ratio; ``"poisson"``:
        event counts over person-time compared by an incidence rate ratio.
    conf_level : float
        Confidence level, strictly between 0 and 1 (default 0.95).

    Returns
    -------
    Estimates
        ``.to_frame()`` has three rows, ``term`` = ``"rate_ratio"``,
        ``"rate_1"`` and ``"rate_0"``, with columns

        - ``estimate``: (k1/n1) / (k0/n0), or the group's rate k/n;
        - ``ci_low``, ``ci_high``: the interval (see Notes);
        - ``p_value``: test of ratio = 1 on the ``rate_ratio`` row, NaN on the
          group rows;
        - ``n``: for ``kind="proportion"`` the number of units (n1 + n0, n1,
          n0); for ``kind="poisson"`` the number of events the row rests on
          (k1 + k0, k1, k0), since exposure is person-time, not units;
        - ``method``: the interval used;
        - ``k1``, ``n1``, ``k0``, ``n0``: the inputs (on every row);
        - ``conf_level``: the confidence level.

    Raises
    ------
    StatsInputError
        If a count is missing, negative or not a whole number, an exposure is
        not positive, ``k > n`` for a proportion, both groups have no events
        or (for proportions) every unit in both groups had the event (no
        ratio or no variation can be estimated: use :func:`risk_difference`),
        ``data`` does not have exactly one row or lacks a named column, or
        ``conf_level`` is not in (0, 1).

    Notes
    -----
    ``kind="proportion"``: the Katz log interval (Katz et al. 1978)

    .. math::

        \\exp\\Big(\\log\\frac{\\hat p_1}{\\hat p_0} \\pm z
        \\sqrt{\\tfrac{1}{k_1} - \\tfrac{1}{n_1} + \\tfrac{1}{k_0} - \\tfrac{1}{n_0}}\\Big)

    and a Wald z test of log ratio = 0 with the same standard error. When one
    group has no events the standard error is infinite; then 0.5 is added to
    each group's number of events and size,
    :math:`\\hat p_i = (k_i + 0.5)/(n_i + 0.5)` with
    :math:`\\mathrm{SE} = \\sqrt{\\sum_i 1/(k_i + 0.5) - 1/(n_i + 0.5)}` (the
    "adjusted log" interval of Fagerland, Lydersen & Laake 2015), and the
    estimate, interval and p-value all come from the adjusted counts, as the
    notes say. The group rows carry Wilson intervals.

    ``kind="poisson"``: conditional on :math:`k_1 + k_0`, :math:`k_1` is
    binomial with :math:`p = R t_1/(R t_1 + t_0)`; the Clopper-Pearson limits
    for :math:`p` are mapped to :math:`R = p t_0/((1-p) t_1)` (the interval of
    R's ``poisson.test``), and the two-sided p-value is twice the smaller exact
    one-sided conditional p-value (statsmodels ``test_poisson_2indep``,
    ``method="exact-cond"``), capped at 1, which agrees with the interval
    (Fay 2010). R's ``poisson.test`` reports instead the "minimum likelihood"
    p-value, which can fall below 0.05 while the interval contains 1. With no
    events in group 0 the ratio and upper limit are ``inf`` (said in the notes);
    with none in group 1 the ratio is 0. The group rows carry exact (Garwood)
    Poisson intervals.

    Missing data: the counts are single numbers, so a missing value cannot be
    dropped; it raises :class:`StatsInputError` (and there is no ``n_dropped``).

    References
    ----------
    Katz D, Baptista J, Azen SP, Pike MC (1978). Obtaining confidence intervals
    for the risk ratio in cohort studies. Biometrics 34:469-474.
    Fagerland MW, Lydersen S, Laake P (2015). Recommended confidence intervals
    for two independent binomial proportions. Stat Methods Med Res 24:224-254.
    Garwood F (1936). Fiducial limits for the Poisson distribution. Biometrika
    28:437-442.
    Fay MP (2010). Two-sided exact tests and matching confidence intervals for
    discrete data. R Journal 2:53-58.

    Examples
    --------
    >>> from noream_eval.stats.proportions import rate_ratio
    >>> rate_ratio(7, 34, 1, 34).to_frame()[["term", "estimate", "ci_low", "ci_high"]].round(4)
             term  estimate  ci_low  ci_high
    0  rate_ratio    7.0000  0.9096  53.8695
    1      rate_1    0.2059  0.1035   0.3680
    2      rate_0    0.0294  0.0052   0.1492
    >>> res = rate_ratio(11, 800, 21, 3011, kind="poisson")
    >>> res.to_frame().loc[0, ["estimate", "ci_low", "ci_high"]].astype(float).round(4).tolist()
    [1.9715, 0.8584, 4.2773]
    """
    _check_choice(kind, "kind", ("proportion", "poisson"))
    level = check_conf_level(conf_level)
    got = _single_row(data, "rate_ratio", k1=k1, n1=n1, k0=k0, n0=n0)
    k1, n1, k0, n0 = got["k1"], got["n1"], got["k0"], got["n0"]
    alpha = 1.0 - level
    if kind == "proportion":
        a, m = _group(k1, n1, "k1", "n1")
        b, w = _group(k0, n0, "k0", "n0")
    else:
        a = _count(k1, "k1")
        b = _count(k0, "k0")
        m = _scalar(n1, "n1")
        w = _scalar(n0, "n0")
        for name, t in (("n1", m), ("n0", w)):
            if t <= 0:
                raise StatsInputError(
                    f"{name} = {t:g}: the exposure (person-time) must be positive."
                )
    if a == 0 and b == 0:
        raise StatsInputError(
            "No events in either group, so a ratio cannot be estimated. Report the two "
            "rates, or their difference with risk_difference(), which handles zero counts."
        )
    if kind == "proportion" and a == m and b == w:
        raise StatsInputError(
            "Every unit in both groups had the event: the risk ratio is exactly 1 and its "
            "sampling variation cannot be estimated. Report the two proportions, or their "
            "difference with risk_difference(), which handles this case."
        )

    if kind == "proportion":
        estimate, low, high, p_value, method, notes = _risk_ratio(a, m, b, w, alpha)
        (lo1, lo0), (hi1, hi0) = _proportion_bounds(
            np.array([a, b], dtype="float64"), np.array([m, w], dtype="float64"), "wilson", alpha
        )
        group_method = f"risk, Wilson score interval, {level:.0%}"
        ns = (m + w, m, w)
    else:
        from statsmodels.stats.rates import confint_poisson

        estimate, low, high, p_value, method, notes = _poisson_ratio(a, m, b, w, alpha)
        lo1, hi1 = (float(v) for v in confint_poisson(a, m, method="exact-c", alpha=alpha))
        lo0, hi0 = (float(v) for v in confint_poisson(b, w, method="exact-c", alpha=alpha))
        group_method = f"rate, exact Poisson (Garwood) interval, {level:.0%}"
        ns = (a + b, a, b)

    inputs = {"k1": a, "n1": m, "k0": b, "n0": w, "conf_level": level}
    rows = [
        {
            "term": "rate_ratio",
            "estimate": estimate,
            "ci_low": low,
            "ci_high": high,
            "p_value": p_value,
            "n": ns[0],
            "method": f"{method}, {level:.0%}",
            **inputs,
        },
        {
            "term": "rate_1",
            "estimate": a / m,
            "ci_low": lo1,
            "ci_high": hi1,
            "n": ns[1],
            "method": group_method,
            **inputs,
        },
        {
            "term": "rate_0",
            "estimate": b / w,
            "ci_low": lo0,
            "ci_high": hi0,
            "n": ns[2],
            "method": group_method,
            **inputs,
        },
    ]
    title = "Risk ratio (group 1 / group 0)" if kind == "proportion" else "Rate ratio"
    if kind == "poisson":
        title += " (group 1 / group 0, events per unit of exposure)"
    return Estimates(
        table=tidy(rows, extra=("k1", "n1", "k0", "n0", "conf_level")),
        title=title,
        details=tuple(notes),
    )


# --------------------------------------------------------------------------- differences


def risk_difference(
    k1: Any,
    n1: Any,
    k0: Any,
    n0: Any,
    *,
    data: pd.DataFrame | None = None,
    method: DifferenceMethod = "newcombe",
    conf_level: float = 0.95,
) -> Estimates:
    """Difference between two independent proportions, k1/n1 - k0/n0.

    Parameters
    ----------
    k1, n1 : int
        Group 1: number of units with the event, number of units.
    k0, n0 : int
        The reference group 0.
    data : pandas.DataFrame, optional
        When given, ``k1``, ``n1``, ``k0`` and ``n0`` are column names of a
        one-row ``data``.
    method : {"newcombe", "wald", "agresti_caffo"}
        Interval for the difference (default Newcombe's hybrid score interval).
    conf_level : float
        Confidence level, strictly between 0 and 1 (default 0.95).

    Returns
    -------
    Estimates
        ``.to_frame()`` has three rows, ``term`` = ``"risk_difference"``,
        ``"risk_1"`` and ``"risk_0"``, with columns

        - ``estimate``: p1 - p0, or the group's proportion;
        - ``ci_low``, ``ci_high``: the interval for the difference (within
          [-1, 1]) or the Wilson interval of the group;
        - ``p_value``: two-proportion z test (pooled variance) on the
          ``risk_difference`` row, NaN on the group rows;
        - ``n``: number of units (n1 + n0, n1, n0);
        - ``method``: the interval used;
        - ``k1``, ``n1``, ``k0``, ``n0``: the inputs (on every row);
        - ``conf_level``: the confidence level.

    Raises
    ------
    StatsInputError
        If a count is missing, negative or not a whole number, ``k > n``,
        ``n <= 0``, ``data`` does not have exactly one row or lacks a named
        column, or ``conf_level`` is not in (0, 1).

    Notes
    -----
    Newcombe's hybrid score interval (method 10 of Newcombe 1998) combines the
    Wilson limits :math:`(l_i, u_i)` of each proportion:

    .. math::

        \\big(\\hat d - \\sqrt{(\\hat p_1 - l_1)^2 + (u_0 - \\hat p_0)^2},\\;
        \\hat d + \\sqrt{(u_1 - \\hat p_1)^2 + (\\hat p_0 - l_0)^2}\\big),

    with :math:`\\hat d = \\hat p_1 - \\hat p_0`. It stays inside [-1, 1] and
    needs no special rule for zero counts. Wald is
    :math:`\\hat d \\pm z\\sqrt{\\hat p_1\\hat q_1/n_1 + \\hat p_0\\hat q_0/n_0}`;
    Agresti-Caffo is the Wald interval after adding one success and one failure
    to each group. Limits come from statsmodels ``confint_proportions_2indep``.

    The p-value is the two-proportion z test with the pooled proportion
    :math:`\\bar p = (k_1 + k_0)/(n_1 + n_0)`,
    :math:`z = \\hat d / \\sqrt{\\bar p(1-\\bar p)(1/n_1 + 1/n_0)}` (statsmodels
    ``proportions_ztest``), identical to Pearson's chi-squared test without
    continuity correction (R ``prop.test(correct = FALSE)``). Because it is a
    different construction from the interval, p and the interval can disagree
    at the margin. When no unit, or every unit, in both groups had the event
    the pooled variance is zero and the p-value is reported as 1 (the value of
    Fisher's exact test for such a table), as the notes say.

    Missing data: the counts are single numbers, so a missing value cannot be
    dropped; it raises :class:`StatsInputError` (and there is no ``n_dropped``).

    References
    ----------
    Newcombe RG (1998). Interval estimation for the difference between
    independent proportions: comparison of eleven methods. Stat Med
    17:873-890.
    Agresti A, Caffo B (2000). Simple and effective confidence intervals for
    proportions and differences of proportions result from adding two
    successes and two failures. Am Stat 54:280-288.
    Fagerland MW, Lydersen S, Laake P (2015). Recommended confidence intervals
    for two independent binomial proportions. Stat Methods Med Res 24:224-254.

    Examples
    --------
    >>> from noream_eval.stats.proportions import risk_difference
    >>> res = risk_difference(56, 70, 48, 80)
    >>> res.to_frame().loc[0, ["estimate", "ci_low", "ci_high"]].astype(float).round(4).tolist()
    [0.2, 0.0524, 0.3339]
    """
    _check_choice(method, "method", _SM_DIFFERENCE)
    level = check_conf_level(conf_level)
    got = _single_row(data, "risk_difference", k1=k1, n1=n1, k0=k0, n0=n0)
    k1, n1, k0, n0 = got["k1"], got["n1"], got["k0"], got["n0"]
    alpha = 1.0 - level
    a, m = _group(k1, n1, "k1", "n1")
    b, w = _group(k0, n0, "k0", "n0")

    from statsmodels.stats.proportion import (
        confint_proportions_2indep,
        proportions_ztest,
    )

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        low, high = confint_proportions_2indep(
            a, m, b, w, method=_SM_DIFFERENCE[method], compare="diff", alpha=alpha
        )
    low = max(-1.0, float(low))
    high = min(1.0, float(high))
    notes = [
        f"{_DIFFERENCE_LABEL[method]} for p1 - p0 (statsmodels confint_proportions_2indep); "
        "p-value from the two-proportion z test with pooled variance (= Pearson "
        "chi-squared without continuity correction)."
    ]
    pooled = (a + b) / (m + w)
    if pooled in (0.0, 1.0):
        p_value = 1.0
        notes.append(
            "No variation: every unit in both groups had the same outcome, so the z "
            "statistic is undefined and the p-value is reported as 1 (Fisher's exact test)."
        )
    else:
        _, p_value = proportions_ztest(np.array([a, b]), np.array([m, w]))
        p_value = float(p_value)
    (lo1, lo0), (hi1, hi0) = _proportion_bounds(
        np.array([a, b], dtype="float64"), np.array([m, w], dtype="float64"), "wilson", alpha
    )
    group_method = f"risk, Wilson score interval, {level:.0%}"
    inputs = {"k1": a, "n1": m, "k0": b, "n0": w, "conf_level": level}
    rows = [
        {
            "term": "risk_difference",
            "estimate": a / m - b / w,
            "ci_low": low,
            "ci_high": high,
            "p_value": p_value,
            "n": m + w,
            "method": f"risk difference, {_DIFFERENCE_LABEL[method]}, {level:.0%}",
            **inputs,
        },
        {
            "term": "risk_1",
            "estimate": a / m,
            "ci_low": lo1,
            "ci_high": hi1,
            "n": m,
            "method": group_method,
            **inputs,
        },
        {
            "term": "risk_0",
            "estimate": b / w,
            "ci_low": lo0,
            "ci_high": hi0,
            "n": w,
            "method": group_method,
            **inputs,
        },
    ]
    return Estimates(
        table=tidy(rows, extra=("k1", "n1", "k0", "n0", "conf_level")),
        title="Risk difference (group 1 - group 0)",
        details=tuple(notes),
    )
