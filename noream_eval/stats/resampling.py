"""Nonparametric bootstrap confidence intervals (percentile, BCa, basic).

The resampling and the interval arithmetic are :func:`scipy.stats.bootstrap`;
this module adds what an evaluation needs around it: DataFrames resampled by
row, stratified resampling (e.g. within cohort), missing values dropped and
counted, a recorded seed, and a tidy result.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from noream_eval.errors import StatsInputError
from noream_eval.stats._base import StatsResult, tidy
from noream_eval.stats._checks import as_float_array, check_conf_level, column

__all__ = ["BootstrapResult", "bootstrap_ci"]

BootstrapMethod = Literal["percentile", "bca", "basic"]

_METHOD_LABEL = {"percentile": "percentile", "bca": "BCa", "basic": "basic"}
_MIN_RESAMPLES = 100


@dataclass(frozen=True, repr=False, eq=False)
class BootstrapResult(StatsResult):
    """A bootstrap confidence interval for one statistic.

    Attributes
    ----------
    term : str
        Name of the statistic.
    estimate : float
        ``func`` applied to the data (after missing values were dropped).
    ci_low, ci_high : float
        Limits of the two-sided interval.
    se : float
        Bootstrap standard error: standard deviation (``ddof=1``) of the
        bootstrap distribution.
    bias : float
        Bootstrap estimate of bias: mean of the bootstrap distribution minus
        ``estimate``.
    n : int
        Units (values, pairs or rows) resampled, after dropping missing values.
    n_dropped : int
        Units dropped because a value (or the stratum label) was missing.
    method : {"percentile", "bca", "basic"}
        Interval method.
    n_resamples : int
        Number of bootstrap resamples.
    seed : int
        Seed of the random generator; passing it back reproduces the result.
    conf_level : float
        Confidence level of the interval.
    strata : tuple of str
        Stratum labels when resampling was stratified, else empty.
    bootstrap_distribution : numpy.ndarray
        The statistic on each resample (length ``n_resamples``).
    """

    term: str
    estimate: float
    ci_low: float
    ci_high: float
    se: float
    bias: float
    n: int
    n_dropped: int
    method: BootstrapMethod
    n_resamples: int
    seed: int
    conf_level: float
    strata: tuple[str, ...] = ()
    bootstrap_distribution: np.ndarray = field(default_factory=lambda: np.empty(0))

    title = "Bootstrap confidence interval"

    @property
    def method_label(self) -> str:
        """The ``method`` column text, e.g. ``"bootstrap BCa, 2000 resamples, seed 7"``."""
        label = (
            f"bootstrap {_METHOD_LABEL[self.method]}, {self.n_resamples} resamples, "
            f"seed {self.seed}"
        )
        if self.strata:
            label += f", stratified ({len(self.strata)} strata)"
        return label

    def to_frame(self) -> pd.DataFrame:
        """One-row tidy table.

        Columns: ``term``, ``estimate``, ``ci_low``, ``ci_high``, ``p_value``
        (always NaN: no test is made), ``n`` (units resampled), ``method``,
        ``se``, ``bias``, ``conf_level``, ``n_dropped``, ``n_resamples``,
        ``seed``.
        """
        row = {
            "term": self.term,
            "estimate": self.estimate,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "p_value": np.nan,
            "n": self.n,
            "method": self.method_label,
            "se": self.se,
            "bias": self.bias,
            "conf_level": self.conf_level,
            "n_dropped": self.n_dropped,
            "n_resamples": self.n_resamples,
            "seed": self.seed,
        }
        return tidy([row])

    def notes(self) -> list[str]:
        """Method, missing-data and stratification notes."""
        lines = [
            f"{self.conf_level:.0%} {_METHOD_LABEL[self.method]} bootstrap interval from "
            f"{self.n_resamples} resamples of {self.n} units (seed {self.seed})."
        ]
        if self.method == "bca":
            lines.append(
                "BCa: bias correction from the bootstrap distribution, acceleration from "
                "the jackknife over units (Efron 1987)."
            )
        if self.strata:
            lines.append(
                "Resampled within strata (sizes kept fixed): " + ", ".join(self.strata) + "."
            )
        if self.n_dropped:
            lines.append(f"{self.n_dropped} units with a missing value were dropped.")
        return lines

    def __repr__(self) -> str:
        return self.summary()


def bootstrap_ci(
    func: Callable[..., Any],
    data: Any,
    *,
    n_resamples: int = 2000,
    seed: int | None = None,
    method: BootstrapMethod = "bca",
    conf_level: float = 0.95,
    strata: Any = None,
    term: str = "statistic",
) -> BootstrapResult:
    """Nonparametric bootstrap confidence interval for any statistic.

    Parameters
    ----------
    func : callable
        The statistic, returning one number. How it is called depends on
        ``data``: ``func(x)`` for a 1-D array, ``func(x, y, ...)`` for a tuple
        of arrays, ``func(df)`` for a DataFrame. For arrays, a ``func`` that
        accepts an ``axis`` keyword (``np.mean``, ``np.median``) is called once
        on all resamples (scipy's vectorised convention), which is much faster.
    data : array_like, tuple of array_like, or pandas.DataFrame
        What is resampled: a 1-D array of values; a tuple of equal-length 1-D
        arrays resampled together as pairs (e.g. baseline and follow-up
        scores); or a DataFrame whose rows are resampled together (``func``
        reads its columns by name). A resampled DataFrame keeps its index
        labels, so labels repeat when a row is drawn twice.
    n_resamples : int, default 2000
        Number of bootstrap resamples (at least 100).
    seed : int, optional
        Seed for :func:`numpy.random.default_rng`. When omitted, one is drawn
        from fresh entropy and recorded in the result (``seed`` column) so the
        run can be repeated exactly.
    method : {"bca", "percentile", "basic"}, default "bca"
        Interval method: bias-corrected and accelerated, percentile, or basic
        (reverse percentile).
    conf_level : float, default 0.95
        Confidence level, between 0 and 1.
    strata : array_like or str, optional
        Stratum label of each unit (or, for a DataFrame, the name of a column
        holding it). Units are resampled within strata, keeping each stratum's
        size fixed, e.g. to keep the cohort sizes of a comparison.
    term : str, default "statistic"
        Name of the statistic in the result.

    Returns
    -------
    BootstrapResult
        ``.to_frame()`` gives one row with columns:

        - ``term``: the ``term`` argument.
        - ``estimate``: ``func`` on the data after missing values were dropped.
        - ``ci_low``, ``ci_high``: interval limits.
        - ``p_value``: NaN (the bootstrap interval makes no test).
        - ``n``: units resampled (values, pairs or rows), after dropping
          missing values.
        - ``method``: e.g. ``"bootstrap BCa, 2000 resamples, seed 7"``.
        - ``se``: bootstrap standard error (SD of the replicates, ``ddof=1``).
        - ``bias``: mean of the replicates minus ``estimate``.
        - ``conf_level``: the confidence level.
        - ``n_dropped``: units dropped for missing values.
        - ``n_resamples``, ``seed``: what reproduces the run.

    Raises
    ------
    StatsInputError
        Bad arguments; fewer than two units (or a stratum with fewer than
        two); infinite values; ``func`` not returning one finite number on the
        data or on some resample; every resample giving the same value (the
        bootstrap then cannot measure uncertainty); a BCa interval that is
        undefined because the estimate lies outside the bootstrap distribution.

    Notes
    -----
    With :math:`\\hat\\theta^*_b` the statistic on resample :math:`b` of
    :math:`B`, and :math:`\\alpha = 1 - \\text{conf\\_level}`:

    - percentile: :math:`[\\hat G^{-1}(\\alpha/2), \\hat G^{-1}(1-\\alpha/2)]`,
      :math:`\\hat G` the empirical distribution of the :math:`\\hat\\theta^*_b`
      (quantiles by linear interpolation);
    - basic: :math:`[2\\hat\\theta - \\hat G^{-1}(1-\\alpha/2),
      2\\hat\\theta - \\hat G^{-1}(\\alpha/2)]`;
    - BCa: percentile limits at
      :math:`\\alpha_{1,2} = \\Phi\\big(\\hat z_0 + (\\hat z_0 + z_{\\alpha/2,
      1-\\alpha/2}) / (1 - \\hat a(\\hat z_0 + z_{\\alpha/2, 1-\\alpha/2}))\\big)`
      with bias correction :math:`\\hat z_0 = \\Phi^{-1}(\\#\\{\\hat\\theta^*_b <
      \\hat\\theta\\}/B)` (ties counted half) and acceleration
      :math:`\\hat a = \\sum U_i^3 / (6 (\\sum U_i^2)^{3/2})` from the jackknife
      values :math:`U_i = (n-1)(\\hat\\theta_{(\\cdot)} - \\hat\\theta_{(i)})`
      (Efron & Tibshirani 1993, section 14.3). The jackknife leaves out
      one unit (value, pair or row) at a time; with strata it is done within
      each stratum and combined as for k independent samples (ibid. eq. 15.36).

    Resampling, quantiles and the BCa constants are computed by
    :func:`scipy.stats.bootstrap`. DataFrames and stratified data are handled
    by resampling row indices, so ``func`` sees real rows.

    Bootstrap standard error :math:`\\sqrt{\\sum_b (\\hat\\theta^*_b -
    \\bar\\theta^*)^2/(B-1)}`; bias :math:`\\bar\\theta^* - \\hat\\theta`. For a
    mean the ideal bootstrap SE is :math:`s\\sqrt{(n-1)/n}/\\sqrt n`, slightly
    smaller than the usual :math:`s/\\sqrt n`.

    Bootstrap intervals undercover in small samples, especially for skewed
    data (Hesterberg 2015); BCa is second-order accurate and preferred.

    Missing data: units with a missing value anywhere in ``data`` (any array
    of a tuple, any column of a DataFrame) or a missing stratum label are
    dropped before resampling and counted in ``n_dropped``. Pass a DataFrame
    holding only the columns ``func`` needs, so that gaps in other columns do
    not drop rows.

    References
    ----------
    .. [1] Efron B (1987). Better bootstrap confidence intervals. Journal of
       the American Statistical Association 82:171-185.
    .. [2] Efron B, Tibshirani RJ (1993). An Introduction to the Bootstrap.
       Chapman & Hall, chapters 6, 13 and 14.
    .. [3] Davison AC, Hinkley DV (1997). Bootstrap Methods and their
       Application. Cambridge University Press, section 5.2 (basic interval)
       and 3.2 (stratified resampling).
    .. [4] Hesterberg TC (2015). What teachers should know about the
       bootstrap. The American Statistician 69:371-386.

    Examples
    --------
    >>> import numpy as np
    >>> from noream_eval.stats.resampling import bootstrap_ci
    >>> scores = np.array([3.0, 5, 4, 6, 2, 7, 5, 4, 8, 3, np.nan])
    >>> res = bootstrap_ci(np.mean, scores, seed=1, term="mean score")
    >>> res.n, res.n_dropped, res.estimate
    (10, 1, 4.7)
    >>> res.ci_low < res.estimate < res.ci_high
    True
    >>> res.to_frame().columns.tolist()  # doctest: +NORMALIZE_WHITESPACE
    ['term', 'estimate', 'ci_low', 'ci_high', 'p_value', 'n', 'method', 'se', 'bias',
     'conf_level', 'n_dropped', 'n_resamples', 'seed']
    >>> res.to_frame().loc[0, "method"]
    'bootstrap BCa, 2000 resamples, seed 1'

    Rows of a DataFrame are resampled together, here within cohort:

    >>> import pandas as pd
    >>> df = pd.DataFrame({"cohort": ["a"] * 6 + ["b"] * 6,
    ...                    "escalated": [1, 0, 0, 1, 0, 0, 1, 1, 0, 1, 1, 0]})
    >>> def diff(d):
    ...     rates = d.groupby("cohort")["escalated"].mean()
    ...     return rates["b"] - rates["a"]
    >>> res = bootstrap_ci(diff, df, strata="cohort", method="percentile", seed=3)
    >>> round(res.estimate, 4), res.strata
    (0.3333, ('a', 'b'))
    """
    from scipy import stats

    if not callable(func):
        raise StatsInputError("func must be a function returning one number from the data.")
    if method not in _METHOD_LABEL:
        raise StatsInputError(f"method must be one of {sorted(_METHOD_LABEL)}, got {method!r}.")
    if isinstance(n_resamples, bool) or not isinstance(n_resamples, int | np.integer):
        raise StatsInputError(f"n_resamples must be a whole number, got {n_resamples!r}.")
    if n_resamples < _MIN_RESAMPLES:
        raise StatsInputError(
            f"n_resamples must be at least {_MIN_RESAMPLES} (got {n_resamples}); "
            "confidence intervals need 1000 or more."
        )
    conf_level = check_conf_level(conf_level)
    seed = _resolve_seed(seed)

    kind, payload, labels, n_dropped = _prepare(data, strata)
    n = _length(kind, payload)
    if n < 2:
        raise StatsInputError(
            f"the bootstrap needs at least 2 units after dropping missing values; got {n}."
        )

    estimate = _call(func, kind, payload, None)
    estimate = _check_scalar(estimate, "func(data)")

    rng = np.random.default_rng(seed)
    options: dict[str, Any] = {
        "n_resamples": int(n_resamples),
        "method": "BCa" if method == "bca" else method,
        "confidence_level": float(conf_level),
        "rng": rng,
    }
    strata_names: tuple[str, ...] = ()
    if labels is None and kind == "array":
        samples: tuple[np.ndarray, ...] = (payload,)
        statistic: Callable[..., Any] = func
    elif labels is None and kind == "pairs":
        samples = tuple(payload)
        statistic = func
        options["paired"] = True
    else:
        if labels is None:
            groups = [np.arange(n)]
        else:
            uniques = pd.unique(labels)
            groups = [np.flatnonzero(labels == u) for u in uniques]
            small = [str(u) for u, g in zip(uniques, groups, strict=True) if len(g) < 2]
            if small:
                raise StatsInputError(
                    f"stratified resampling needs at least 2 units in every stratum; "
                    f"stratum {', '.join(small)} has fewer. Merge small strata or drop strata."
                )
            strata_names = tuple(str(u) for u in uniques)
        samples = tuple(groups)
        many = func.many if isinstance(func, _Batched) else None

        if many is None:

            def statistic(*index_groups: np.ndarray) -> float:
                idx = np.concatenate(index_groups).astype(np.intp, copy=False)
                return float(_call(func, kind, payload, idx))

            options["vectorized"] = False
        else:
            # scipy draws the same indices either way; here each call gets all
            # resamples (or jackknife samples) at once, one per row.
            def statistic(*index_groups: np.ndarray, axis: int = -1) -> Any:
                idx = np.concatenate(index_groups, axis=-1).astype(np.intp, copy=False)
                if idx.ndim == 1:
                    return float(_call(func, kind, payload, idx))
                flat = idx.reshape(-1, idx.shape[-1])
                out = np.asarray(many(payload, flat), dtype=float)
                return out.reshape(idx.shape[:-1])

            options["vectorized"] = True

    with warnings.catch_warnings():
        # Degenerate or undefined intervals are turned into clear errors below.
        warnings.simplefilter("ignore", stats.DegenerateDataWarning)
        warnings.filterwarnings("ignore", category=RuntimeWarning, module="scipy.stats")
        res = stats.bootstrap(samples, statistic, **options)

    boot = np.asarray(res.bootstrap_distribution, dtype=float)
    if boot.shape != (int(n_resamples),):
        raise StatsInputError(
            f"func must return one number per resample; got output of shape {boot.shape[:-1]}."
        )
    bad = int((~np.isfinite(boot)).sum())
    if bad:
        raise StatsInputError(
            f"func gave a missing or infinite value on {bad} of {n_resamples} bootstrap "
            "resamples (e.g. a rate with an empty denominator in some resample). Make func "
            "return a number for every resample, or stratify so each group is always present."
        )
    if np.ptp(boot) == 0:
        raise StatsInputError(
            f"every bootstrap resample gave the same value ({boot[0]!r}), so the bootstrap "
            "cannot measure uncertainty (typically constant data, e.g. all 0 or all 1). "
            "Use an exact or score interval instead."
        )
    low = float(res.confidence_interval.low)
    high = float(res.confidence_interval.high)
    if not (np.isfinite(low) and np.isfinite(high)):
        raise StatsInputError(
            "the BCa interval is undefined here: the estimate lies outside the bootstrap "
            "distribution (as for a minimum or maximum). Use method='percentile'."
        )
    return BootstrapResult(
        term=term,
        estimate=estimate,
        ci_low=low,
        ci_high=high,
        se=float(np.std(boot, ddof=1)),
        bias=float(boot.mean() - estimate),
        n=n,
        n_dropped=n_dropped,
        method=method,
        n_resamples=int(n_resamples),
        seed=seed,
        conf_level=float(conf_level),
        strata=strata_names,
        bootstrap_distribution=boot,
    )


@dataclass(frozen=True)
class _Batched:
    """A statistic of resampled rows that can also be computed for many resamples at once.

    ``one(frame)`` is the statistic of a DataFrame (or of the rows given for
    ``data`` otherwise); ``many(frame, idx)`` must return, for each row of the
    2-D integer array ``idx`` (resamples by units), the statistic of
    ``frame.iloc[row]``, the same numbers ``one`` gives up to rounding.
    :func:`bootstrap_ci` calls ``many`` on all resamples together instead of
    calling the statistic once per resample when it resamples rows (a
    DataFrame, or stratified data); the random draws are the same.
    """

    one: Callable[[Any], float]
    many: Callable[[Any, np.ndarray], np.ndarray]

    def __call__(self, data: Any) -> float:
        return self.one(data)


def _resolve_seed(seed: int | None) -> int:
    if seed is None:
        return int(np.random.SeedSequence().generate_state(1)[0])
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise StatsInputError(f"seed must be a non-negative whole number or None, got {seed!r}.")
    return int(seed)


def _prepare(data: Any, strata: Any) -> tuple[str, Any, np.ndarray | None, int]:
    """Normalise ``data``; drop units with missing values; return kind, data, labels, dropped."""
    if isinstance(data, pd.DataFrame):
        kind = "frame"
        n_all = len(data)
        missing = data.isna().any(axis=1).to_numpy()
    elif isinstance(data, tuple) and data and all(np.ndim(a) >= 1 for a in data):
        kind = "pairs"
        arrays = [as_float_array(a, f"data[{i}]") for i, a in enumerate(data)]
        lengths = {len(a) for a in arrays}
        if len(lengths) > 1:
            raise StatsInputError(
                f"the arrays in data have different lengths {sorted(lengths)}; paired "
                "resampling needs one value per unit in each."
            )
        n_all = len(arrays[0])
        missing = np.zeros(n_all, dtype=bool)
        for a in arrays:
            missing |= np.isnan(a)
        if any(np.isinf(a).any() for a in arrays):
            raise StatsInputError("data contains infinite values; remove or recode them.")
    else:
        kind = "array"
        x = as_float_array(data, "data")
        n_all = len(x)
        missing = np.isnan(x)
        if np.isinf(x).any():
            raise StatsInputError("data contains infinite values; remove or recode them.")

    labels = None
    if strata is not None:
        if isinstance(strata, str):
            if kind != "frame":
                raise StatsInputError(
                    f"strata={strata!r} is a column name, but data is not a DataFrame; pass "
                    "the labels themselves."
                )
            raw = column(data, strata, "strata", func="bootstrap_ci")
        else:
            raw = strata
        labels_all = pd.Series(np.asarray(raw, dtype=object).ravel())
        if len(labels_all) != n_all:
            raise StatsInputError(
                f"strata has {len(labels_all)} labels but data has {n_all} units."
            )
        missing = missing | labels_all.isna().to_numpy()
        labels = labels_all.to_numpy()[~missing]

    keep = ~missing
    if kind == "frame":
        payload: Any = data.loc[keep]
    elif kind == "pairs":
        payload = [a[keep] for a in arrays]
    else:
        payload = x[keep]
    return kind, payload, labels, int(missing.sum())


def _length(kind: str, payload: Any) -> int:
    return len(payload[0]) if kind == "pairs" else len(payload)


def _call(func: Callable[..., Any], kind: str, payload: Any, idx: np.ndarray | None) -> Any:
    if kind == "frame":
        return func(payload if idx is None else payload.iloc[idx])
    if kind == "pairs":
        return func(*(payload if idx is None else [a[idx] for a in payload]))
    return func(payload if idx is None else payload[idx])


def _check_scalar(value: Any, what: str) -> float:
    if np.ndim(value) != 0:
        raise StatsInputError(
            f"{what} must return one number; got an array of shape {np.shape(value)}."
        )
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise StatsInputError(f"{what} must return a number, got {value!r}.") from None
    if not np.isfinite(value):
        raise StatsInputError(f"{what} returned {value}; the statistic must be a finite number.")
    return value
