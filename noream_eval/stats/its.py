"""Interrupted time series: segmented Poisson, quasi-Poisson and negative binomial regression.

One function, :func:`its_fit`, fits the segmented regression of Lopez Bernal, Cummins and
Gasparrini (2017) to a series of counts and returns an :class:`ITSFit` holding the level
change, the underlying trend and (optionally) the slope change on the ratio scale, with the
dispersion, a Ljung-Box autocorrelation check of the residuals and the counterfactual line.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from noream_eval.errors import StatsInputError
from noream_eval.stats._base import StatsResult, tidy
from noream_eval.stats._checks import (
    as_float_array,
    check_conf_level,
    check_frame,
    column,
    drop_missing,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["ITSFit", "its_fit"]

Family = Literal["poisson", "quasipoisson", "negbin"]
Inference = Literal["z", "t"]

_FAMILIES: tuple[str, ...] = ("poisson", "quasipoisson", "negbin")
_FAMILY_LABEL = {
    "poisson": "Poisson",
    "quasipoisson": "quasi-Poisson",
    "negbin": "negative binomial (NB2)",
}
# Bounds of the profile search for the negative binomial alpha (Var = mu + alpha * mu^2).
_ALPHA_MIN = 1e-8
_ALPHA_MAX = 1e4
_EFFECT_TERMS = ("level_change", "trend", "slope_change")
# Convergence tolerance of the IRLS fits (statsmodels' default 1e-8 leaves coefficients
# near zero with relative errors of about 1e-5).
_IRLS_TOL = 1e-12
_RESERVED_TERMS = ("intercept", *_EFFECT_TERMS)


def _default_hac_lags(n: int) -> int:
    """Newey-West (1994) rule of thumb floor(4 (n/100)^(2/9)), as statsmodels' ``cov_hac``."""
    return math.floor(4.0 * (n / 100.0) ** (2.0 / 9.0))


def _default_lb_lags(n: int) -> int:
    """Ljung-Box maximum lag min(10, n // 5), statsmodels' ``acorr_ljungbox`` default (>= 1)."""
    return max(1, min(10, n // 5))


def _ljung_box(x: np.ndarray, lags: int) -> tuple[np.ndarray, np.ndarray]:
    """Ljung-Box Q statistics and p-values at lags 1..lags, as statsmodels' ``acorr_ljungbox``.

    The same arithmetic as ``acorr_ljungbox(x, lags=lags)`` (biased autocorrelations
    from ``np.correlate``, chi-squared with ``lag`` degrees of freedom), written here
    because importing it loads statsmodels' time-series module and scipy.signal
    (a tenth of a second or more on every run).
    """
    from scipy import stats

    x = np.asarray(x, dtype=float)
    nobs = len(x)
    xo = x - x.mean()
    d = nobs * np.ones(2 * nobs - 1)
    avf = np.correlate(xo, xo, "full")[nobs - 1 :] / d[nobs - 1 :]
    sacf = avf[: lags + 1] / avf[0]
    lag = np.arange(1, lags + 1)
    sacf2 = sacf[1 : lags + 1] ** 2 / (nobs - np.arange(1, lags + 1))
    q = nobs * (nobs + 2) * np.cumsum(sacf2)[lag - 1]
    return q, stats.chi2.sf(q, lag)


@dataclass(frozen=True, repr=False, eq=False)
class ITSFit(StatsResult):
    """Result of :func:`its_fit`: a fitted segmented regression for an interrupted time series.

    Attributes
    ----------
    table : pandas.DataFrame
        The tidy effect table returned by :meth:`to_frame`.
    params : pandas.Series
        Coefficients on the log scale, indexed by design column (``intercept``,
        ``level_change``, ``trend``, ``slope_change``, the ``covariates``, ``sin1``..,
        ``cos1``..).
    cov : pandas.DataFrame
        Covariance matrix of ``params`` (model-based, or Newey-West when requested).
    design : pandas.DataFrame
        The design matrix, one row per time point used, in time order.
    data : pandas.DataFrame
        Per time point: ``time``, ``observed``, ``post``, ``log_offset``, ``fitted``,
        ``resid_pearson``.
    family : str
        ``"poisson"``, ``"quasipoisson"`` or ``"negbin"``.
    dispersion : float
        1 for Poisson (fixed); Pearson chi-squared / residual df for quasi-Poisson; the
        maximum-likelihood ``alpha`` (Var = mu + alpha mu^2) for the negative binomial,
        i.e. 1 / theta of R's ``MASS::glm.nb``.
    pearson_dispersion : float
        Pearson chi-squared / residual df of the fitted model, for every family (a check
        of the variance assumption: about 1 when it holds).
    n : int
        Number of time points used (rows of ``data`` after dropping missing values).
    n_dropped : int
        Rows dropped because a used column was missing.
    df_resid : int
        Residual degrees of freedom, n minus the number of coefficients (the df of the
        t distribution with ``inference="t"``).
    hac_lags : int or None
        Newey-West lag when HAC standard errors were requested, else None.
    conf_level : float
        Confidence level of the intervals.
    intervention_time : float
        Time of the first post-intervention point.
    ljung_box : pandas.DataFrame
        Ljung-Box tests of the Pearson residuals (see :meth:`autocorrelation`).
    labels : tuple of str
        Names of the outcome and time columns (used to label the plot).
    details : tuple of str
        Notes printed under the table.
    inference : {"z", "t"}
        Reference distribution of the p-values and intervals: normal, or t on
        ``df_resid`` degrees of freedom.
    covariates : tuple of str
        Extra columns in the model (e.g. a known shock), held at their observed values
        in the counterfactual.

    Examples
    --------
    >>> import pandas as pd
    >>> from noream_eval.stats.its import its_fit
    >>> counts = [44, 37, 30, 39, 44, 33, 45, 37, 39, 38, 51, 40, 45, 56, 52, 46, 58, 42,
    ...           48, 37, 37, 34, 44, 38, 36, 38, 36, 44, 41, 28, 44, 28, 30, 41, 54, 50]
    >>> df = pd.DataFrame({"month": range(1, 37), "referrals": counts,
    ...                    "post": [0] * 18 + [1] * 18})
    >>> fit = its_fit(df, outcome="referrals", time="month", post="post",
    ...               family="quasipoisson")
    >>> round(fit.dispersion, 3), fit.n, fit.intervention_time
    (1.14, 36, 19.0)
    >>> fit.to_frame()["term"].tolist()
    ['level_change', 'trend']
    """

    table: pd.DataFrame
    params: pd.Series
    cov: pd.DataFrame
    design: pd.DataFrame
    data: pd.DataFrame
    family: str
    dispersion: float
    pearson_dispersion: float
    n: int
    n_dropped: int
    hac_lags: int | None
    conf_level: float
    intervention_time: float
    ljung_box: pd.DataFrame
    df_resid: int
    labels: tuple[str, str] = ("outcome", "time")
    details: tuple[str, ...] = ()
    inference: str = "z"
    covariates: tuple[str, ...] = ()

    @property
    def title(self) -> str:  # type: ignore[override]
        """Name of the analysis."""
        return f"Interrupted time series: segmented {_FAMILY_LABEL[self.family]} regression"

    def to_frame(self) -> pd.DataFrame:
        """The tidy effect table (a copy); see :func:`its_fit` for the columns."""
        return self.table.copy()

    def notes(self) -> list[str]:
        """Lines printed under the table: data, model, standard errors, autocorrelation."""
        return list(self.details)

    def __repr__(self) -> str:
        return self.summary()

    def autocorrelation(self) -> pd.DataFrame:
        """Ljung-Box tests of the Pearson residuals for lags 1..L.

        Returns
        -------
        pandas.DataFrame
            ``lag`` (int), ``statistic`` (Ljung-Box Q up to that lag), ``p_value``
            (chi-squared with ``lag`` degrees of freedom), ``df``.

        Examples
        --------
        >>> import pandas as pd
        >>> from noream_eval.stats.its import its_fit
        >>> counts = [44, 37, 30, 39, 44, 33, 45, 37, 39, 38, 51, 40, 45, 56, 52, 46, 58, 42,
        ...           48, 37, 37, 34, 44, 38, 36, 38, 36, 44, 41, 28, 44, 28, 30, 41, 54, 50]
        >>> df = pd.DataFrame({"month": range(1, 37), "referrals": counts,
        ...                    "post": [0] * 18 + [1] * 18})
        >>> fit = its_fit(df, outcome="referrals", time="month", post="post",
        ...               family="quasipoisson")
        >>> fit.autocorrelation().head(3).round(3)
           lag  statistic  p_value  df
        0    1      0.022    0.883   1
        1    2      0.166    0.920   2
        2    3      0.287    0.962   3
        """
        return self.ljung_box.copy()

    def counterfactual(self) -> pd.DataFrame:
        """Observed, fitted and counterfactual counts at every time point used.

        The counterfactual sets ``post`` (and the slope change) to 0 and keeps the trend,
        the seasonal terms, the covariates (at their observed values) and the offset, i.e.
        the pre-intervention trend projected over the post period. Both lines are on the
        count scale of ``observed`` (divide by the offset for rates).

        Returns
        -------
        pandas.DataFrame
            ``time``, ``post`` (bool), ``observed``, ``fitted``, ``fitted_ci_low``,
            ``fitted_ci_high``, ``counterfactual``, ``counterfactual_ci_low``,
            ``counterfactual_ci_high``. Intervals are Wald intervals on the log scale,
            ``exp(eta +/- q se(eta))``, with the same covariance matrix and the same
            quantile q (normal, or t with ``inference="t"``) as the effects.

        Examples
        --------
        >>> import pandas as pd
        >>> from noream_eval.stats.its import its_fit
        >>> counts = [44, 37, 30, 39, 44, 33, 45, 37, 39, 38, 51, 40, 45, 56, 52, 46, 58, 42,
        ...           48, 37, 37, 34, 44, 38, 36, 38, 36, 44, 41, 28, 44, 28, 30, 41, 54, 50]
        >>> df = pd.DataFrame({"month": range(1, 37), "referrals": counts,
        ...                    "post": [0] * 18 + [1] * 18})
        >>> fit = its_fit(df, outcome="referrals", time="month", post="post",
        ...               family="quasipoisson")
        >>> cf = fit.counterfactual()
        >>> cf.loc[[17, 18, 35], ["time", "observed", "fitted", "counterfactual"]].round(1)
            time  observed  fitted  counterfactual
        17  18.0      42.0    47.9            47.9
        18  19.0      48.0    35.2            48.5
        35  36.0      50.0    43.7            60.2
        """
        z = _quantile(self.conf_level, self.inference, self.df_resid)
        x = self.design.to_numpy(dtype=float)
        x_cf = self.design.copy()
        for term in ("level_change", "slope_change"):
            if term in x_cf:
                x_cf[term] = 0.0
        b = self.params.to_numpy(dtype=float)
        v = self.cov.to_numpy(dtype=float)
        off = self.data["log_offset"].to_numpy(dtype=float)
        out = pd.DataFrame(
            {
                "time": self.data["time"].to_numpy(),
                "post": self.data["post"].to_numpy() == 1,
                "observed": self.data["observed"].to_numpy(),
            }
        )
        for name, mat in (("fitted", x), ("counterfactual", x_cf.to_numpy(dtype=float))):
            eta = mat @ b + off
            se = np.sqrt(np.einsum("ij,jk,ik->i", mat, v, mat))
            out[name] = np.exp(eta)
            out[f"{name}_ci_low"] = np.exp(eta - z * se)
            out[f"{name}_ci_high"] = np.exp(eta + z * se)
        return out

    def plot(self, ax: Axes | None = None) -> Axes:
        """Observed points, fitted line and the dashed counterfactual over the post period.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw on; a new figure is created when omitted.

        Returns
        -------
        matplotlib.axes.Axes
            The axes drawn on. Every value drawn is in :meth:`counterfactual`.

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import pandas as pd
        >>> from noream_eval.stats.its import its_fit
        >>> counts = [44, 37, 30, 39, 44, 33, 45, 37, 39, 38, 51, 40, 45, 56, 52, 46, 58, 42,
        ...           48, 37, 37, 34, 44, 38, 36, 38, 36, 44, 41, 28, 44, 28, 30, 41, 54, 50]
        >>> df = pd.DataFrame({"month": range(1, 37), "referrals": counts,
        ...                    "post": [0] * 18 + [1] * 18})
        >>> fit = its_fit(df, outcome="referrals", time="month", post="post",
        ...               family="quasipoisson")
        >>> ax = fit.plot()
        >>> [line.get_label() for line in ax.get_lines()][:2]
        ['fitted', 'counterfactual (no intervention)']
        >>> import matplotlib.pyplot as plt
        >>> plt.close(ax.figure)
        """
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots()
        cf = self.counterfactual()
        post = cf["post"].to_numpy()
        ax.scatter(cf["time"], cf["observed"], s=14, color="0.35", label="observed", zorder=3)
        ax.plot(cf["time"], cf["fitted"], color="C0", label="fitted")
        ax.plot(
            cf["time"][post],
            cf["counterfactual"][post],
            color="C0",
            linestyle="--",
            label="counterfactual (no intervention)",
        )
        ax.fill_between(
            cf["time"][post],
            cf["counterfactual_ci_low"][post],
            cf["counterfactual_ci_high"][post],
            color="C0",
            alpha=0.12,
            linewidth=0,
        )
        pre_times = cf["time"][~post]
        cut = (float(pre_times.max()) + self.intervention_time) / 2.0
        ax.axvline(cut, color="0.5", linestyle=":", linewidth=1)
        ax.set_xlabel(self.labels[1])
        ax.set_ylabel(self.labels[0])
        ax.set_title(self.title, fontsize="medium")
        ax.legend(frameon=False, fontsize="small")
        return ax


def _quantile(conf_level: float, inference: str, df_resid: int) -> float:
    """Two-sided critical value: normal, or t on the residual degrees of freedom."""
    from scipy import stats

    if inference == "t":
        return float(stats.t.ppf(0.5 + conf_level / 2.0, df_resid))
    return float(stats.norm.ppf(0.5 + conf_level / 2.0))


def _newey_west(
    x: np.ndarray, y: np.ndarray, mu: np.ndarray, alpha: float, lags: int
) -> np.ndarray:
    """Newey-West HAC covariance of a log-link GLM, as R's ``sandwich::NeweyWest`` on a
    ``glm`` or ``glm.nb`` fit with ``prewhite = FALSE`` (``adjust = FALSE``, its default).

    Bread: the expected information X'WX, W = mu^2 / V(mu), V(mu) = mu + alpha mu^2
    (alpha = 0: Poisson). Scores s_t = x_t mu_t (y_t - mu_t) / V(mu_t). Meat: Bartlett
    weights 1 - l / (lags + 1) on the lag-l cross-products, no n / (n - k) factor.
    """
    v = mu + alpha * mu**2
    w = mu**2 / v
    bread = np.linalg.inv((x.T * w) @ x)
    score = x * (mu * (y - mu) / v)[:, None]
    meat = score.T @ score
    for lag in range(1, lags + 1):
        g = score[lag:].T @ score[:-lag]
        meat += (1.0 - lag / (lags + 1.0)) * (g + g.T)
    cov = bread @ meat @ bread
    return (cov + cov.T) / 2.0


def _column(data: pd.DataFrame, name: str, role: str) -> np.ndarray:
    series = column(data, name, role)
    if pd.api.types.is_datetime64_any_dtype(series):
        raise StatsInputError(
            f"column {name!r} ({role}) holds dates; give a numeric time index instead "
            "(e.g. months since the start: 1, 2, 3, ...)."
        )
    if series.dtype == bool:
        series = series.astype("int64")
    try:
        return as_float_array(series, f"column {name!r} ({role})")
    except (TypeError, ValueError):
        raise StatsInputError(
            f"column {name!r} ({role}) must be numeric; found dtype {series.dtype}."
        ) from None


def _check_options(
    family: str,
    harmonics: int,
    period: float,
    season: str | None,
    newey_west: bool,
    maxlags: int | None,
    inference: str,
    conf_level: float,
) -> None:
    if family not in _FAMILIES:
        raise StatsInputError(f"family must be one of {', '.join(_FAMILIES)}; got {family!r}.")
    if inference not in ("z", "t"):
        raise StatsInputError(
            f"inference must be 'z' (normal) or 't' (t on the residual df, as R's "
            f"summary.glm for quasi-Poisson); got {inference!r}."
        )
    if isinstance(harmonics, bool) or not isinstance(harmonics, int | np.integer) or harmonics < 0:
        raise StatsInputError(f"harmonics must be a whole number >= 0; got {harmonics!r}.")
    if not isinstance(period, int | float | np.integer | np.floating) or not period > 0:
        raise StatsInputError(f"period must be a positive number; got {period!r}.")
    if harmonics > 0 and 2 * harmonics >= period:
        raise StatsInputError(
            f"harmonics={harmonics} needs 2 * harmonics < period ({period}); "
            "the highest pairs would be constant or duplicate lower ones. Use fewer harmonics."
        )
    if season is not None and harmonics == 0:
        raise StatsInputError(
            f"season={season!r} was given but harmonics=0, so no seasonal terms would be "
            "fitted; set harmonics (e.g. 2) or leave season out."
        )
    if maxlags is not None:
        if not newey_west:
            raise StatsInputError("maxlags only applies with newey_west=True; set both or neither.")
        if isinstance(maxlags, bool) or not isinstance(maxlags, int | np.integer) or maxlags < 0:
            raise StatsInputError(f"maxlags must be a whole number >= 0; got {maxlags!r}.")
    check_conf_level(conf_level)


def _check_covariates(
    covariates: Any,
    outcome: str,
    time: str,
    post: str,
    offset: str | None,
    season: str | None,
    harmonics: int,
) -> tuple[str, ...]:
    if isinstance(covariates, str):
        covariates = [covariates]
    try:
        covs = tuple(covariates)
    except TypeError:
        raise StatsInputError(
            f"covariates must be a list of column names; got {covariates!r}."
        ) from None
    seasonal = {f"{kind}{j}" for kind in ("sin", "cos") for j in range(1, harmonics + 1)}
    used = {outcome: "outcome", time: "time", post: "post"}
    if offset is not None:
        used[offset] = "offset"
    if season is not None:
        used[season] = "season"
    for c in covs:
        if not isinstance(c, str):
            raise StatsInputError(f"covariates must be column names (text); got {c!r}.")
        if c in used:
            raise StatsInputError(
                f"covariate {c!r} is already in the model as {used[c]}; leave it out of covariates."
            )
        if c in _RESERVED_TERMS or c in seasonal:
            raise StatsInputError(
                f"covariate {c!r} has the name of a term of the segmented model; rename the "
                "column (e.g. data.rename(columns={...}))."
            )
    if len(set(covs)) != len(covs):
        raise StatsInputError(f"covariates are listed more than once: {list(covs)}.")
    return covs


def _refit(model: Any, res: Any, **kw: Any) -> Any:
    """One more IRLS pass from the converged estimates, so that the covariance is computed
    from the weights at the final estimates (not those of the last-but-one iteration)."""
    return model.fit(start_params=res.params, tol=_IRLS_TOL, **kw)


def _fit_negbin(y: np.ndarray, x: np.ndarray, off: np.ndarray) -> tuple[Any, float]:
    """ML negative binomial (NB2): profile the log-likelihood over alpha, GLM for beta."""
    from scipy import optimize
    from statsmodels.genmod import families
    from statsmodels.genmod.generalized_linear_model import GLM

    def nb_model(alpha: float) -> Any:
        return GLM(y, x, family=families.NegativeBinomial(alpha=alpha), offset=off)

    start: list[Any] = [None]

    def negll(log_alpha: float) -> float:
        # Warnings at trial values of alpha far from the optimum say nothing about the fit.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = nb_model(math.exp(log_alpha)).fit(start_params=start[0], tol=_IRLS_TOL)
        if np.all(np.isfinite(res.params)):
            start[0] = res.params
        return -float(res.llf)

    lo, hi = math.log(_ALPHA_MIN), math.log(_ALPHA_MAX)
    opt = optimize.minimize_scalar(
        negll, bounds=(lo, hi), method="bounded", options={"xatol": 1e-10}
    )
    log_alpha = float(opt.x)
    # A bounded search on an almost flat likelihood near alpha = 0 can stop short of the edge.
    if negll(lo) <= opt.fun:
        log_alpha = lo
    alpha = math.exp(log_alpha)
    model = nb_model(alpha)
    return _refit(model, model.fit(tol=_IRLS_TOL)), alpha


def its_fit(
    data: pd.DataFrame,
    *,
    outcome: str,
    time: str,
    post: str,
    offset: str | None = None,
    covariates: Sequence[str] = (),
    family: Family = "poisson",
    harmonics: int = 0,
    period: int = 12,
    season: str | None = None,
    slope_change: bool = False,
    newey_west: bool = False,
    maxlags: int | None = None,
    inference: Inference = "z",
    conf_level: float = 0.95,
) -> ITSFit:
    r"""Segmented regression for an interrupted time series of counts.

    Fits

    .. math::

        \log E[Y_t] = \log(\text{offset}_t) + \beta_0 + \beta_1 t + \beta_2 X_t
        + \beta_3 X_t (t - t_0) + \sum_j \theta_j c_{jt} + \sum_{k=1}^{K}
        \left[\gamma_k \sin\frac{2\pi k s_t}{P} + \delta_k \cos\frac{2\pi k s_t}{P}\right]

    where :math:`X_t` is ``post`` (0 before, 1 from the interruption), :math:`t_0` the
    time of the first post point, :math:`c_{jt}` the ``covariates`` (e.g. a 0/1 column
    for the COVID-19 months), :math:`s_t` the position in the seasonal cycle and
    :math:`P` the ``period`` (Lopez Bernal, Cummins & Gasparrini 2017). The slope-change
    term is included only with ``slope_change=True`` and the Fourier pairs only with
    ``harmonics=K > 0``.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per time point.
    outcome : str
        Column of counts (non-negative integers), e.g. referrals per month.
    time : str
        Numeric time index (e.g. months since start). Rows are sorted by it.
    post : str
        0/1 (or boolean) column: 0 before the intervention, 1 from it on; it must switch
        from 0 to 1 exactly once.
    offset : str, optional
        Column whose log is the offset (e.g. population, number of open cases); must be
        positive. Estimates are then rate ratios per unit of the offset.
    covariates : sequence of str, default ()
        Extra numeric (or boolean) columns entered as they are, e.g. a 0/1 indicator of
        the COVID-19 months, which then gets a level shift of its own instead of being
        read as part of the intervention effect. Each has its own row in
        ``to_frame()`` and is held at its observed values in the counterfactual. A
        single string names one column.
    family : {"poisson", "quasipoisson", "negbin"}
        ``"poisson"``: variance = mean. ``"quasipoisson"``: variance = phi * mean, phi =
        Pearson chi-squared / residual df (R's ``quasipoisson``). ``"negbin"``: NB2,
        variance = mean + alpha * mean^2, alpha by maximum likelihood.
    harmonics : int
        Number K of sine/cosine pairs for seasonality (0 = none).
    period : int
        Length of the seasonal cycle in units of ``season`` (12 for months).
    season : str, optional
        Column giving the position in the seasonal cycle (e.g. calendar month 1..12).
        When omitted and ``harmonics > 0``, ``time`` is used (right when time counts the
        same units as the cycle, e.g. months).
    slope_change : bool
        Add the change in slope after the intervention, post x (time - t0).
    newey_west : bool
        Use Newey-West (HAC, Bartlett kernel) standard errors instead of model-based ones.
    maxlags : int, optional
        Newey-West lag; default floor(4 (n/100)^(2/9)). Only with ``newey_west=True``.
    inference : {"z", "t"}, default "z"
        Reference distribution of the p-values and intervals: ``"z"`` the normal
        distribution (Wald z, as ``Epi::ci.lin`` and R's ``summary`` for Poisson and
        ``glm.nb`` fits); ``"t"`` the t distribution on the residual degrees of freedom
        n - p, as R's ``summary.glm`` reports a quasi-Poisson fit (whose dispersion is
        estimated). The notes and the ``method`` column say which was used.
    conf_level : float
        Confidence level of the Wald intervals.

    Returns
    -------
    ITSFit
        ``.to_frame()`` has one row per effect, ``level_change``, ``trend``, (with
        ``slope_change=True``) ``slope_change``, then one row per covariate, with columns:

        - ``term``: the effect, or the covariate's column name.
        - ``estimate``: exp(coef), a ratio. ``level_change``: ratio of the expected count
          at the first post point to the pre-intervention trend projected there;
          ``trend``: ratio per one unit of time before the intervention;
          ``slope_change``: ratio of the post to the pre trend, per unit of time;
          a covariate: ratio per unit of the covariate (for a 0/1 indicator, of the
          flagged periods to the others).
        - ``ci_low``, ``ci_high``: Wald interval exp(coef -/+ q se), q the normal
          quantile (or the t quantile with ``inference="t"``).
        - ``p_value``: two-sided Wald test of coef = 0 (z, or t on ``df``).
        - ``n``: number of time points used (rows of ``data`` after dropping missing
          values), the same on every row.
        - ``method``: model, standard-error type and reference distribution.
        - ``coef``, ``se``: coefficient and standard error on the log scale.
        - ``statistic``: coef / se (z, or t).
        - ``df``: residual degrees of freedom with ``inference="t"``; NaN with ``"z"``.
        - ``dispersion``: see :attr:`ITSFit.dispersion` (1 for Poisson, phi for
          quasi-Poisson, alpha for the negative binomial).
        - ``family``: the family.
        - ``se_type``: ``"model"`` or ``"newey_west"``.
        - ``hac_lags``: Newey-West lag (missing without HAC).
        - ``conf_level``: the confidence level.
        - ``n_dropped``: rows dropped for missing values.

        The object also has ``.autocorrelation()``, ``.counterfactual()``, ``.plot()``,
        ``.params``, ``.cov`` and ``.summary()``.

    Raises
    ------
    StatsInputError
        Missing columns; dates as time; duplicated time points; covariates that are not
        numeric, constant, or that repeat another column of the model; ``post`` not 0/1 or not a
        single switch from 0 to 1; no pre or no post period (or fewer than 2 pre points,
        or fewer than 2 post points with a slope change); counts that are negative or not
        whole numbers, or all zero before or after the intervention; an offset <= 0; too
        few time points for the parameters; collinear terms; a model that does not
        converge; inconsistent options.

    Notes
    -----
    *Estimation.* statsmodels ``GLM`` with a log link and ``log(offset)`` as offset.
    Poisson: maximum likelihood, dispersion fixed at 1. Quasi-Poisson: the Poisson fit
    with ``scale="X2"``, i.e. :math:`\hat\phi = \sum_t r_t^2/(n - p)` with Pearson
    residuals :math:`r_t = (y_t - \hat\mu_t)/\sqrt{\hat\mu_t}`, and standard errors
    multiplied by :math:`\sqrt{\hat\phi}`, as R's ``glm(family = quasipoisson)``.
    Negative binomial: :math:`\hat\alpha` maximises the profile log-likelihood
    (bounded search over log alpha in [1e-8, 1e4]); the coefficients and standard errors
    are those of the NB2 GLM at :math:`\hat\alpha`, as R's ``MASS::glm.nb`` reports them.
    An :math:`\hat\alpha` at the lower bound means no overdispersion (the fit equals the
    Poisson fit); the notes say so.

    *Intervals and p-values.* Wald intervals on the log scale, exponentiated:
    :math:`\exp(\hat\beta \pm q\,\mathrm{se})`. By default (``inference="z"``)
    :math:`q = z_{1-a/2}` and the p-values are normal (as the ``Epi::ci.lin``/``ci.exp``
    output of the tutorial's R code, and R's ``summary`` of Poisson and ``glm.nb``
    fits). R's ``summary.glm`` of a quasi-Poisson fit uses the t distribution on the
    residual df instead; ``inference="t"`` does the same (:math:`q = t_{n-p,\,1-a/2}`,
    p-values from :math:`t_{n-p}`) and reproduces R's p-values. The notes say which was
    used.

    *Newey-West.* With ``newey_west=True`` the covariance is the HAC sandwich
    :math:`B^{-1} S B^{-1}`, :math:`B = X^\top W X` the expected information
    (:math:`W = \hat\mu^2 / V(\hat\mu)`), :math:`S = \sum_{|l| \le L} w_l
    \sum_t s_t s_{t-l}^\top`, Bartlett weights :math:`w_l = 1 - |l|/(L+1)`, score
    contributions :math:`s_t = x_t \hat\mu_t (y_t - \hat\mu_t) / V(\hat\mu_t)`, no
    small-sample correction: R's ``sandwich::NeweyWest(fit, lag = L, prewhite = FALSE)``
    (``adjust = FALSE`` is its default) on a ``glm`` or ``MASS::glm.nb`` fit. For the
    negative binomial, whose log link is not canonical, the expected information
    differs from the observed one that statsmodels' ``cov_type="HAC"`` would use, so the
    sandwich is computed here. The default lag is
    :math:`L = \lfloor 4 (n/100)^{2/9} \rfloor` (Newey & West 1994; statsmodels'
    ``cov_hac`` default; R's ``NeweyWest`` chooses its lag otherwise, so give ``lag``
    there to compare). The sandwich does not use :math:`\hat\phi`, so quasi-Poisson
    and Poisson give the same HAC standard errors. HAC intervals are too narrow in short
    series: with independent Poisson counts and a level change at mid-series, simulated
    coverage of nominal 95% intervals was about 0.87 at 60, 0.93 at 300 and 0.95 at 1000
    time points (the residuals of a segmented fit sum to zero within each segment, which
    biases the lagged cross-products downwards). For short series prefer quasi-Poisson
    with a Ljung-Box check, and read HAC intervals as a lower bound on the uncertainty.

    *Small samples.* Simulated coverage of nominal 95% level-change intervals (2000 or
    more series, RR 0.8 at mid-series): Poisson 0.95 and quasi-Poisson 0.95 at 60 months;
    negative binomial 0.93 at 60 and 0.95 at 120 months (the ML alpha is too small on
    average in short series).

    *Seasonality.* Fourier terms :math:`\sin(2\pi k s/P)`, :math:`\cos(2\pi k s/P)`,
    k = 1..K, all sines then all cosines, as ``tsModel::harmonic(s, K, P)`` for K <= 2
    (recent tsModel versions use frequencies 1, 2, 4, ... for K >= 3; here they are
    1, 2, 3, ...).

    *Autocorrelation.* Ljung-Box tests (statsmodels ``acorr_ljungbox``) of the Pearson
    residuals in time order for lags 1..L, L = min(10, n // 5) (at least 1); the notes
    report the test at the largest lag and the smallest p-value. Residual
    autocorrelation makes model-based standard errors too small: use
    ``newey_west=True`` or model the correlation.

    *Covariates.* Entered as they are (no centring); a 0/1 indicator of a known shock
    (e.g. the COVID-19 lockdown months) estimates the shock's level shift so that it is
    not attributed to the intervention. The counterfactual keeps them at their observed
    values: it is the series without the intervention, shock included.

    *Missing data.* A row missing any used column (outcome, time, post, offset, season,
    covariates) is dropped; the count is in ``n_dropped`` and the notes. Time points are sorted
    (with a note when they were not in order); a repeated time point is an error.

    References
    ----------
    Lopez Bernal J, Cummins S, Gasparrini A (2017). Interrupted time series regression for
    the evaluation of public health interventions: a tutorial. Int J Epidemiol 46:348-355.

    Wagner AK, Soumerai SB, Zhang F, Ross-Degnan D (2002). Segmented regression analysis of
    interrupted time series studies in medication use research. J Clin Pharm Ther
    27:299-309.

    McCullagh P, Nelder JA (1989). Generalized Linear Models, 2nd ed., section 4.5
    (quasi-likelihood, Pearson estimate of dispersion).

    Newey WK, West KD (1987). A simple, positive semi-definite, heteroskedasticity and
    autocorrelation consistent covariance matrix. Econometrica 55:703-708; (1994)
    Automatic lag selection in covariance matrix estimation. Rev Econ Stud 61:631-653.

    Ljung GM, Box GEP (1978). On a measure of lack of fit in time series models.
    Biometrika 65:297-303.

    Examples
    --------
    >>> import pandas as pd
    >>> counts = [44, 37, 30, 39, 44, 33, 45, 37, 39, 38, 51, 40, 45, 56, 52, 46, 58, 42,
    ...           48, 37, 37, 34, 44, 38, 36, 38, 36, 44, 41, 28, 44, 28, 30, 41, 54, 50]
    >>> df = pd.DataFrame({"month": range(1, 37), "referrals": counts,
    ...                    "post": [0] * 18 + [1] * 18})
    >>> fit = its_fit(df, outcome="referrals", time="month", post="post")
    >>> fit.to_frame()[["term", "estimate", "ci_low", "ci_high", "n"]].round(3)
               term  estimate  ci_low  ci_high   n
    0  level_change     0.726   0.592    0.891  36
    1         trend     1.013   1.003    1.023  36
    >>> fit.autocorrelation().columns.tolist()
    ['lag', 'statistic', 'p_value', 'df']
    >>> fit.counterfactual().columns.tolist()  # doctest: +NORMALIZE_WHITESPACE
    ['time', 'post', 'observed', 'fitted', 'fitted_ci_low', 'fitted_ci_high',
     'counterfactual', 'counterfactual_ci_low', 'counterfactual_ci_high']
    """
    check_frame(data, "its_fit")
    _check_options(family, harmonics, period, season, newey_west, maxlags, inference, conf_level)
    covs = _check_covariates(covariates, outcome, time, post, offset, season, harmonics)
    if harmonics > 0 and season is None:
        season_col: str | None = time
    else:
        season_col = season

    y = _column(data, outcome, "outcome")
    t = _column(data, time, "time")
    p = _column(data, post, "post")
    arrays = [y, t, p]
    if offset is not None:
        arrays.append(_column(data, offset, "offset"))
    if season is not None:
        arrays.append(_column(data, season, "season"))
    arrays.extend(_column(data, c, "covariate") for c in covs)
    kept, n_dropped = drop_missing(*arrays)
    y, t, p = kept[0], kept[1], kept[2]
    exposure = kept[3] if offset is not None else None
    s_raw = kept[3 + (offset is not None)] if season is not None else None
    cov_values = kept[len(kept) - len(covs) :]
    n = len(y)
    notes: list[str] = []

    if n == 0:
        raise StatsInputError(
            "no complete rows: every row misses the outcome, time, post"
            + (", offset" if offset is not None else "")
            + (", season" if season is not None else "")
            + (", or a covariate" if covs else "")
            + "; check the column names and the data."
        )
    if not np.all(np.isfinite(t)):
        raise StatsInputError(f"time ({time!r}) has infinite values; give finite numbers.")
    uniq, counts = np.unique(t, return_counts=True)
    if np.any(counts > 1):
        dup = ", ".join(f"{v:g}" for v in uniq[counts > 1][:5])
        raise StatsInputError(
            f"time points are repeated in {time!r} (e.g. {dup}); an interrupted time series "
            "needs one row per time point: aggregate the counts per period first."
        )
    order = np.argsort(t, kind="stable")
    if np.any(order != np.arange(n)):
        notes.append(f"Rows were not in time order; they were sorted by {time!r}.")
        y, t, p = y[order], t[order], p[order]
        exposure = exposure[order] if exposure is not None else None
        s_raw = s_raw[order] if s_raw is not None else None
        cov_values = [c[order] for c in cov_values]

    bad_post = ~np.isin(p, (0.0, 1.0))
    if np.any(bad_post):
        raise StatsInputError(
            f"post ({post!r}) must be 0 (before) or 1 (from the intervention on); "
            f"found {p[bad_post][0]:g} at time {t[bad_post][0]:g}."
        )
    n_pre, n_post = int(np.sum(p == 0)), int(np.sum(p == 1))
    if n_post == 0:
        raise StatsInputError(
            f"post ({post!r}) is 0 at every time point: there is no post-intervention period "
            "to compare with the pre-intervention trend."
        )
    if n_pre == 0:
        raise StatsInputError(
            f"post ({post!r}) is 1 at every time point: there is no pre-intervention period "
            "to estimate the underlying trend from."
        )
    if np.any(np.diff(p) < 0):
        back = t[1:][np.diff(p) < 0][0]
        raise StatsInputError(
            f"post ({post!r}) goes back from 1 to 0 at time {back:g}; it must switch from 0 "
            "to 1 once (a single interruption). Split the series or recode post."
        )
    if n_pre < 2:
        raise StatsInputError(
            f"only {n_pre} pre-intervention time point; at least 2 are needed to estimate the "
            "underlying trend."
        )
    if slope_change and n_post < 2:
        raise StatsInputError(
            f"only {n_post} post-intervention time point; a slope change needs at least 2. "
            "Use slope_change=False or add data."
        )

    if not np.all(np.isfinite(y)) or np.any(y < 0) or np.any(y != np.round(y)):
        bad = ~(np.isfinite(y) & (y >= 0) & (y == np.round(y)))
        raise StatsInputError(
            f"outcome ({outcome!r}) must hold counts (whole numbers >= 0) for the "
            f"{_FAMILY_LABEL[family]} model; found {y[bad][0]:g} at time {t[bad][0]:g}."
        )
    if np.all(y == 0):
        raise StatsInputError(
            f"outcome ({outcome!r}) is 0 at every time point; rates and their changes cannot "
            "be estimated."
        )
    for flag, label in ((0.0, "before"), (1.0, "from")):
        if np.all(y[p == flag] == 0):
            raise StatsInputError(
                f"outcome ({outcome!r}) is 0 at every time point {label} the intervention; "
                "the level change is a ratio to or from zero and has no Wald interval. "
                "Report the counts instead, or aggregate to longer periods."
            )
    if exposure is not None:
        bad = ~(np.isfinite(exposure) & (exposure > 0))
        if np.any(bad):
            raise StatsInputError(
                f"offset ({offset!r}) must be positive (it enters as log(offset)); found "
                f"{exposure[bad][0]:g} at time {t[bad][0]:g}. Drop those periods or fix them."
            )
        log_off = np.log(exposure)
    else:
        log_off = np.zeros(n)

    t0 = float(t[p == 1].min())
    cols: dict[str, np.ndarray] = {
        "intercept": np.ones(n),
        "level_change": p.copy(),
        "trend": t.copy(),
    }
    if slope_change:
        cols["slope_change"] = p * (t - t0)
    for name, values in zip(covs, cov_values, strict=True):
        if not np.all(np.isfinite(values)):
            raise StatsInputError(f"covariate {name!r} has infinite values; give finite numbers.")
        if np.ptp(values) == 0:
            raise StatsInputError(
                f"covariate {name!r} has the same value ({values[0]:g}) at every time point "
                "used, so its effect cannot be told from the intercept. Leave it out."
            )
        cols[name] = values
    if harmonics > 0:
        s = s_raw if s_raw is not None else t
        if not np.all(np.isfinite(s)):
            raise StatsInputError(f"season ({season_col!r}) has infinite values.")
        k = np.arange(1, harmonics + 1) * 2.0 * np.pi / float(period)
        m = np.outer(s, k)
        for j in range(harmonics):
            cols[f"sin{j + 1}"] = np.sin(m[:, j])
        for j in range(harmonics):
            cols[f"cos{j + 1}"] = np.cos(m[:, j])
    design = pd.DataFrame(cols)
    x = design.to_numpy(dtype=float)
    n_par = x.shape[1] + (1 if family == "negbin" else 0)
    if n - n_par < 1:
        raise StatsInputError(
            f"{n} time points are too few for {n_par} parameters (intercept, level change, "
            f"trend{', slope change' if slope_change else ''}"
            f"{f', {len(covs)} covariate(s)' if covs else ''}"
            f"{f', {2 * harmonics} seasonal terms' if harmonics else ''}"
            f"{', alpha' if family == 'negbin' else ''}); at least {n_par + 1} are needed. "
            "Add time points or drop terms."
        )
    if np.linalg.matrix_rank(x) < x.shape[1]:
        raise StatsInputError(
            "the model terms are collinear (e.g. the seasonal position does not vary, "
            "season repeats the level change, or a covariate repeats post or another "
            "covariate); check season, period, harmonics and covariates."
        )

    hac_lags: int | None = None
    if newey_west:
        hac_lags = int(maxlags) if maxlags is not None else _default_hac_lags(n)
        if hac_lags >= n:
            raise StatsInputError(f"maxlags={hac_lags} must be smaller than n={n} time points.")

    from statsmodels.genmod import families
    from statsmodels.genmod.generalized_linear_model import GLM

    caught: list[str] = []
    with warnings.catch_warnings(record=True) as wlist:
        warnings.simplefilter("always")
        if family == "negbin":
            res, alpha = _fit_negbin(y, x, log_off)
            dispersion = alpha
        else:
            model = GLM(y, x, family=families.Poisson(), offset=log_off)
            scale = "X2" if family == "quasipoisson" else None
            res = _refit(model, model.fit(scale=scale, tol=_IRLS_TOL), scale=scale)
            alpha = float("nan")
        for w in wlist:
            msg = f"statsmodels: {w.message}"
            if msg not in caught:
                caught.append(msg)
    if not bool(getattr(res, "converged", True)):
        raise StatsInputError(
            "the model did not converge; check for extreme counts or offsets, or try "
            "family='quasipoisson'."
        )

    params = pd.Series(np.asarray(res.params, dtype=float), index=design.columns)
    mu = np.asarray(res.fittedvalues, dtype=float)
    alpha_var = alpha if family == "negbin" else 0.0
    if hac_lags is not None:
        cov_matrix = _newey_west(x, y, mu, alpha_var, hac_lags)
    else:
        cov_matrix = np.asarray(res.cov_params(), dtype=float)
    cov = pd.DataFrame(cov_matrix, index=design.columns, columns=design.columns)
    var = mu + alpha_var * mu**2
    resid = (y - mu) / np.sqrt(var)
    df_resid = n - x.shape[1]
    pearson_disp = float(np.sum(resid**2) / df_resid)
    if family == "poisson":
        dispersion = 1.0
    elif family == "quasipoisson":
        dispersion = float(res.scale)

    from scipy import stats

    lb_lags = _default_lb_lags(n)
    lb_stat, lb_pvalue = _ljung_box(resid, lb_lags)
    lag = np.arange(1, lb_lags + 1, dtype="int64")
    ljung_box = pd.DataFrame(
        {"lag": lag, "statistic": lb_stat, "p_value": lb_pvalue, "df": lag.copy()}
    )

    q = _quantile(conf_level, inference, df_resid)
    se_type = "newey_west" if newey_west else "model"
    se_label = f"Newey-West HAC SE (lag {hac_lags})" if newey_west else "model-based SE"
    dist_label = (
        "Wald z CI and p-value" if inference == "z" else f"t CI and p-value on {df_resid} df"
    )
    method = f"segmented {_FAMILY_LABEL[family]} regression, {se_label}, {dist_label}"
    rows = []
    for term in (*_EFFECT_TERMS, *covs):
        if term not in params.index:
            continue
        b = float(params[term])
        se = float(math.sqrt(cov.loc[term, term]))
        stat = b / se if se > 0 else float("nan")
        if inference == "t":
            p_val = float(2.0 * stats.t.sf(abs(stat), df_resid))
        else:
            p_val = float(2.0 * stats.norm.sf(abs(stat)))
        rows.append(
            {
                "term": term,
                "estimate": math.exp(b),
                "ci_low": math.exp(b - q * se),
                "ci_high": math.exp(b + q * se),
                "p_value": p_val,
                "n": n,
                "method": method,
                "coef": b,
                "se": se,
                "statistic": stat,
                "df": float(df_resid) if inference == "t" else float("nan"),
                "dispersion": dispersion,
                "family": family,
                "se_type": se_type,
                "hac_lags": hac_lags,
                "conf_level": conf_level,
                "n_dropped": n_dropped,
            }
        )
    table = tidy(rows)
    table["hac_lags"] = pd.array(table["hac_lags"].tolist(), dtype="Int64")
    table["n_dropped"] = table["n_dropped"].astype("int64")

    notes.insert(
        0,
        f"{n} time points: {n_pre} before and {n_post} from the intervention "
        f"(first post time {t0:g}); rows dropped for missing values: {n_dropped}.",
    )
    if offset is not None:
        notes.append(f"Offset log({offset}): estimates are rate ratios.")
    if family == "poisson":
        notes.append(
            f"Poisson: dispersion fixed at 1; Pearson chi2/df = {pearson_disp:.4g} "
            "(well above 1 means overdispersion and too narrow intervals: consider "
            "family='quasipoisson')."
        )
    elif family == "quasipoisson":
        notes.append(
            f"Quasi-Poisson: dispersion phi = Pearson chi2/df = {dispersion:.4g} "
            f"(df = {df_resid}); model-based SEs are Poisson SEs x sqrt(phi)."
        )
    else:
        at_bound = alpha <= _ALPHA_MIN * (1 + 1e-6)
        notes.append(
            f"Negative binomial (NB2): Var = mu + alpha mu^2, alpha = {alpha:.4g} by maximum "
            f"likelihood (theta = 1/alpha = {1.0 / alpha:.4g}, as R's MASS::glm.nb)"
            + (
                "; at the lower bound: no overdispersion, the fit equals the Poisson fit."
                if at_bound
                else "."
            )
        )
    if inference == "z":
        notes.append(
            "p-values and intervals are z-based (normal distribution)"
            + (
                f"; R's summary.glm uses t on the residual df ({df_resid}) for quasi-Poisson: "
                "inference='t' gives its p-values."
                if family == "quasipoisson"
                else "."
            )
        )
    else:
        notes.append(
            f"p-values and intervals are t-based, t distribution on the residual df "
            f"({df_resid}), as R's summary.glm for quasi-Poisson."
        )
    if covs:
        notes.append(
            f"Covariates {', '.join(covs)}: in the model as they are; held at their observed "
            "values in the counterfactual."
        )
    if harmonics > 0:
        notes.append(
            f"Seasonality: {harmonics} sine/cosine pair(s), period {period:g}, position from "
            f"{season_col!r}."
        )
    if slope_change:
        notes.append(f"slope_change: post x ({time} - {t0:g}); level_change is at {time} {t0:g}.")
    if newey_west:
        notes.append(
            f"Newey-West HAC standard errors, Bartlett kernel, maxlags = {hac_lags}"
            + (" (default floor(4(n/100)^(2/9)))." if maxlags is None else ".")
            + " HAC intervals are too narrow in short series (simulated coverage of nominal "
            "95% intervals with independent Poisson counts: about 87% at 60, 93% at 300 and "
            "95% at 1000 time points)."
        )
    last = ljung_box.iloc[-1]
    worst = ljung_box.loc[ljung_box["p_value"].idxmin()]
    lb_note = (
        f"Ljung-Box test of Pearson residuals, lags 1-{lb_lags}: Q({lb_lags}) = "
        f"{last['statistic']:.4g}, p = {last['p_value']:.4g}; smallest p = "
        f"{worst['p_value']:.4g} at lag {int(worst['lag'])}."
    )
    if last["p_value"] < 0.05:
        lb_note += " Residual autocorrelation: model-based SEs are too small" + (
            ", consider newey_west=True." if not newey_west else "; HAC SEs are used."
        )
    notes.append(lb_note)
    notes.extend(caught)

    frame = pd.DataFrame(
        {
            "time": t,
            "observed": y,
            "post": p.astype("int64"),
            "log_offset": log_off,
            "fitted": mu,
            "resid_pearson": resid,
        }
    )
    return ITSFit(
        table=table,
        params=params,
        cov=cov,
        design=design,
        data=frame,
        family=family,
        dispersion=float(dispersion),
        pearson_dispersion=pearson_disp,
        n=n,
        n_dropped=n_dropped,
        hac_lags=hac_lags,
        conf_level=float(conf_level),
        intervention_time=t0,
        ljung_box=ljung_box,
        df_resid=int(df_resid),
        labels=(outcome, time),
        details=tuple(notes),
        inference=inference,
        covariates=covs,
    )
