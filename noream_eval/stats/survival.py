"""Survival analysis: Kaplan–Meier curves, the log-rank test and Cox regression.

Time-to-event outcomes of the evaluation (time to re-referral, time to the first
section 17 payment, length of an s17 episode) are right-censored: families
without the event by the data cut are followed for different lengths of time.
The three methods here are the standard toolkit for such data:

* :func:`kaplan_meier` — survival curves with Greenwood standard errors, pointwise
  confidence intervals and median survival with the confidence interval that R's
  ``survival::survfit`` prints;
* :func:`logrank` — the log-rank test and its weighted variants (Gehan–Breslow,
  Tarone–Ware, Fleming–Harrington), with observed and expected events by group;
* :func:`cox` — Cox proportional hazards regression (statsmodels ``PHReg``) with
  hazard ratios, Wald confidence intervals and dummy-coded categorical covariates.

Conventions shared by all three: ``duration`` (the follow-up time) is
non-negative, ``event`` is 1 for an event and 0 for a censored observation
(booleans are accepted), and when an event and a censoring share a time the
event is taken to happen first (the censored subject is still at risk at that
time), as in R. Rows with a missing value in any input are dropped and counted
in ``n_dropped``. :func:`kaplan_meier` and :func:`logrank` take values, or column
names with ``data=``; :func:`cox` fits a model on several columns and takes a
DataFrame and column names.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import numpy as np
import pandas as pd
from scipy import special

from noream_eval.errors import StatsInputError
from noream_eval.stats._base import Estimates, StatsResult, tidy
from noream_eval.stats._checks import (
    as_float_array,
    check_conf_level,
    check_frame,
    column,
    drop_missing,
    from_data,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["CoxFit", "KaplanMeier", "LogRank", "cox", "kaplan_meier", "logrank"]

ConfType = Literal["log", "log-log", "plain"]
LogRankWeights = Literal["logrank", "gehan-breslow", "tarone-ware", "fleming-harrington"]

#: Label of the single curve when ``kaplan_meier`` is called without groups.
ALL_GROUP = "all"

# Tolerance R's print.survfit uses to decide that a curve sits exactly on 0.5.
_TOL = float(np.sqrt(np.finfo(float).eps))


# ---------------------------------------------------------------------------
# input checks
# ---------------------------------------------------------------------------


def _z(conf_level: float) -> float:
    conf_level = check_conf_level(conf_level)
    return float(special.ndtri(0.5 + float(conf_level) / 2.0))


def _labels(values: Any, n: int, name: str) -> tuple[np.ndarray, list[Any]]:
    """Integer codes (NaN where missing) and the ordered list of labels.

    Categorical input keeps its category order; other labels are sorted when they
    can be, else kept in order of appearance.
    """
    try:
        s = values.reset_index(drop=True) if isinstance(values, pd.Series) else pd.Series(values)
    except (TypeError, ValueError):
        raise StatsInputError(f"{name} must be a one-dimensional list of labels.") from None
    if len(s) != n:
        raise StatsInputError(
            f"{name} must be one label per observation: got {len(s)} labels for {n} durations."
        )
    if isinstance(s.dtype, pd.CategoricalDtype):
        cat = pd.Categorical(s)
    else:
        try:
            cat = pd.Categorical(s)
        except TypeError:
            cat = pd.Categorical(s, categories=pd.unique(s.dropna()))
    codes = cat.codes.astype("float64")
    codes[codes < 0] = np.nan
    return codes, list(cat.categories)


def _check_time_event(t: np.ndarray, e: np.ndarray) -> None:
    if len(t) == 0:
        raise StatsInputError(
            "no complete observations: every row has a missing duration, event or group. "
            "Check the input columns."
        )
    if not np.all(np.isfinite(t)):
        raise StatsInputError("duration contains infinite values; give finite follow-up times.")
    if np.any(t < 0):
        bad = int(np.flatnonzero(t < 0)[0])
        raise StatsInputError(
            f"duration must be non-negative; found {t[bad]!r} (first at complete-case "
            f"position {bad}). Check that start and end dates are not swapped."
        )
    if not np.all((e == 0) | (e == 1)):
        bad = sorted({float(x) for x in e if x not in (0.0, 1.0)})[:5]
        raise StatsInputError(
            f"event must be 0 (censored) or 1 (event), or boolean; found values {bad}. "
            "Recode the event indicator (e.g. status == 2 for R's 1/2 coding)."
        )


def _time_event(duration: Any, event: Any) -> tuple[np.ndarray, np.ndarray]:
    t = as_float_array(duration, "duration")
    e = as_float_array(event, "event")
    if len(t) != len(e):
        raise StatsInputError(
            f"duration and event have different lengths ({len(t)} and {len(e)}); "
            "give one event indicator per duration."
        )
    return t, e


# ---------------------------------------------------------------------------
# Kaplan–Meier
# ---------------------------------------------------------------------------


def _km_curve(t: np.ndarray, e: np.ndarray) -> dict[str, np.ndarray]:
    """Kaplan–Meier estimate at every distinct time of one sample (vectorised)."""
    times, inv = np.unique(t, return_inverse=True)
    d = np.bincount(inv, weights=e, minlength=len(times))
    c = np.bincount(inv, weights=1.0 - e, minlength=len(times))
    n = np.cumsum((d + c)[::-1])[::-1]
    surv = np.cumprod(1.0 - d / n)
    with np.errstate(divide="ignore", invalid="ignore"):
        term = np.where(d > 0, d / (n * (n - d)), 0.0)
        se_log = np.sqrt(np.cumsum(term))  # Greenwood SE of log S (inf once S hits 0)
        se = np.where(surv > 0, surv * se_log, np.nan)
    return {
        "time": times,
        "n_at_risk": n,
        "n_events": d,
        "n_censored": c,
        "survival": surv,
        "se_log": se_log,
        "se": se,
    }


def _confint(surv: np.ndarray, se_log: np.ndarray, z: float, conf_type: str):
    """Pointwise CI of S(t), as R's ``survfit_confint`` (survival 3.x)."""
    surv = np.asarray(surv, dtype=float)
    se_log = np.asarray(se_log, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        if conf_type == "log":
            ok = surv > 0
            lo = np.where(ok, surv * np.exp(-z * se_log), np.nan)
            hi = np.where(ok, np.minimum(surv * np.exp(z * se_log), 1.0), np.nan)
        elif conf_type == "log-log":
            ok = (surv > 0) & (surv < 1)
            xx = np.where(ok, surv, 0.5)
            se2 = z * se_log / np.log(xx)
            lo = np.where(ok, np.exp(-np.exp(np.log(-np.log(xx)) - se2)), np.nan)
            hi = np.where(ok, np.exp(-np.exp(np.log(-np.log(xx)) + se2)), np.nan)
        elif conf_type == "plain":
            ok = surv > 0
            half = z * se_log * surv
            lo = np.where(ok, np.maximum(surv - half, 0.0), np.nan)
            hi = np.where(ok, np.minimum(surv + half, 1.0), np.nan)
        else:  # pragma: no cover - validated by the caller
            raise StatsInputError(f"unknown conf_type {conf_type!r}.")
    return lo, hi


def _first_below_half(y: np.ndarray, x: np.ndarray) -> float:
    """First time a decreasing step curve reaches 0.5 (R ``print.survfit``'s ``minmin``).

    ``y`` is the curve (S or a confidence band) at times ``x``; NaN values
    (undefined limits) are skipped. The answer is the first time with
    ``y <= 0.5`` (within an absolute tolerance of 1.5e-8); when the curve sits
    exactly on 0.5 there and drops later, the midpoint between that time and the
    time of the next drop. NaN when the curve never reaches 0.5.
    """
    keep = ~np.isnan(y) & (y < 0.5 + _TOL)
    if not keep.any():
        return np.nan
    xk, yk = x[keep], y[keep]
    if abs(yk[0] - 0.5) < _TOL and np.any(yk < yk[0]):
        return float((xk[0] + xk[np.flatnonzero(yk < yk[0])[0]]) / 2.0)
    return float(xk[0])


@dataclass(frozen=True, repr=False, eq=False)
class KaplanMeier(StatsResult):
    """Kaplan–Meier survival curves (one per group); see :func:`kaplan_meier`.

    Attributes
    ----------
    table : pandas.DataFrame
        The curve at every distinct time (event or censoring) of each group:
        ``group``, ``time``, ``n_at_risk``, ``n_events``, ``n_censored``,
        ``survival``, ``se`` (Greenwood SE of S), ``ci_low``, ``ci_high``.
    median : pandas.DataFrame
        ``group``, ``median``, ``ci_low``, ``ci_high`` (NaN = not reached).
    groups : tuple
        Group labels in display order.
    conf_level, conf_type : float, str
        The pointwise confidence intervals' level and scale.
    n_dropped : int
        Rows dropped because duration, event or group was missing.
    """

    table: pd.DataFrame
    median: pd.DataFrame
    groups: tuple[Any, ...]
    conf_level: float
    conf_type: str
    n_dropped: int

    title: ClassVar[str] = "Kaplan–Meier survival"

    def _group_tables(self):
        for g in self.groups:
            yield g, self.table[self.table["group"] == g]

    def to_frame(self) -> pd.DataFrame:
        """Median survival, one row per group.

        Columns: ``term`` (``"median"``), ``estimate`` (median survival time, NaN
        when the curve does not reach 0.5), ``ci_low``, ``ci_high`` (R survfit's
        median CI), ``p_value`` (NaN), ``n`` (subjects in the group), ``method``,
        ``group``, ``n_events``, ``n_dropped`` (rows of the whole input dropped for a
        missing value, the same on every row).
        """
        rows = []
        for (g, tab), (_, med) in zip(self._group_tables(), self.median.iterrows(), strict=True):
            rows.append(
                {
                    "term": "median",
                    "estimate": med["median"],
                    "ci_low": med["ci_low"],
                    "ci_high": med["ci_high"],
                    "n": int(tab["n_at_risk"].iloc[0]),
                    "method": f"Kaplan-Meier, Greenwood SE, {self.conf_type} CI",
                    "group": g,
                    "n_events": int(tab["n_events"].sum()),
                    "n_dropped": self.n_dropped,
                }
            )
        return tidy(rows, extra=["group", "n_events", "n_dropped"])

    def notes(self) -> list[str]:
        """Method, confidence interval and missing-data lines."""
        pct = f"{100 * self.conf_level:g}%"
        lines = [
            f"Pointwise {pct} CI of S(t) on the {self.conf_type} scale with Greenwood "
            "variance (R survival::survfit).",
            f"Median CI: times where the {pct} confidence band of S(t) crosses 0.5 "
            "(Brookmeyer & Crowley 1982, as printed by R survfit); NaN = not reached.",
        ]
        if self.n_dropped:
            lines.append(
                f"{self.n_dropped} row(s) with a missing duration, event or group dropped."
            )
        return lines

    def __repr__(self) -> str:
        return self.summary()

    def at_risk(self, times: Sequence[float] | np.ndarray) -> pd.DataFrame:
        """Numbers at risk, events and censorings so far, at the given times.

        Parameters
        ----------
        times : sequence of float
            Non-negative times (need not be observed times).

        Returns
        -------
        pandas.DataFrame
            ``group``, ``time``, ``n_at_risk`` (subjects with follow-up time ≥
            ``time``), ``n_events_cumulative`` and ``n_censored_cumulative``
            (events and censorings at or before ``time``); one row per group and
            time. These are the numbers :meth:`plot` draws under the curves.
        """
        tt = _check_times(times)
        rows = []
        for g, tab in self._group_tables():
            tg = tab["time"].to_numpy()
            n = tab["n_at_risk"].to_numpy()
            cum_d = np.cumsum(tab["n_events"].to_numpy())
            cum_c = np.cumsum(tab["n_censored"].to_numpy())
            first_ge = np.searchsorted(tg, tt, side="left")
            last_le = np.searchsorted(tg, tt, side="right") - 1
            at_risk = np.where(first_ge < len(tg), n[np.minimum(first_ge, len(tg) - 1)], 0)
            ev = np.where(last_le >= 0, cum_d[np.maximum(last_le, 0)], 0)
            ce = np.where(last_le >= 0, cum_c[np.maximum(last_le, 0)], 0)
            rows.append(
                pd.DataFrame(
                    {
                        "group": [g] * len(tt),
                        "time": tt,
                        "n_at_risk": at_risk.astype("int64"),
                        "n_events_cumulative": ev.astype("int64"),
                        "n_censored_cumulative": ce.astype("int64"),
                    }
                )
            )
        return pd.concat(rows, ignore_index=True)

    def survival_at(self, times: Sequence[float] | np.ndarray) -> pd.DataFrame:
        """The estimated curve and its confidence interval at the given times.

        Parameters
        ----------
        times : sequence of float
            Non-negative times.

        Returns
        -------
        pandas.DataFrame
            ``group``, ``time``, ``survival``, ``se``, ``ci_low``, ``ci_high``.
            Before the first observed time S = 1 (SE 0). After a group's last
            follow-up time the curve is undefined (NaN) unless it has reached 0,
            in which case it stays 0 (CI NaN).
        """
        tt = _check_times(times)
        z = _z(self.conf_level)
        frames = []
        for g, tab in self._group_tables():
            tg = tab["time"].to_numpy()
            pos = np.searchsorted(tg, tt, side="right") - 1
            s_all = tab["survival"].to_numpy()
            se_log_all = _se_log(tab)
            surv = np.where(pos >= 0, s_all[np.maximum(pos, 0)], 1.0)
            se_log = np.where(pos >= 0, se_log_all[np.maximum(pos, 0)], 0.0)
            beyond = tt > tg[-1]
            surv = np.where(beyond & (s_all[-1] > 0), np.nan, surv)
            lo, hi = _confint(surv, se_log, z, self.conf_type)
            with np.errstate(invalid="ignore"):
                se = np.where(surv > 0, surv * se_log, np.nan)
            frames.append(
                pd.DataFrame(
                    {
                        "group": [g] * len(tt),
                        "time": tt,
                        "survival": surv,
                        "se": se,
                        "ci_low": lo,
                        "ci_high": hi,
                    }
                )
            )
        return pd.concat(frames, ignore_index=True)

    def plot(
        self,
        ax: Axes | None = None,
        times: Sequence[float] | np.ndarray | None = None,
        *,
        conf_int: bool = True,
    ) -> Axes:
        """Step curves with censoring ticks and a numbers-at-risk table underneath.

        Parameters
        ----------
        ax : matplotlib Axes, optional
            Axes to draw on; a new figure (with room for the table) if omitted.
        times : sequence of float, optional
            Times for the x ticks and the numbers-at-risk table; default about six
            round values from 0 to the last follow-up time.
        conf_int : bool, default True
            Shade the pointwise confidence intervals.

        Returns
        -------
        matplotlib.axes.Axes
            The axes. The numbers drawn under it are ``self.at_risk(times)``.

        Notes
        -----
        When ``ax`` is given the figure layout is left alone; save with
        ``bbox_inches="tight"`` so the table is not cut off.
        """
        import matplotlib.pyplot as plt
        from matplotlib.ticker import MaxNLocator
        from matplotlib.transforms import blended_transform_factory

        tmax = float(self.table["time"].max())
        if times is None:
            ticks = MaxNLocator(nbins=6).tick_values(0.0, tmax if tmax > 0 else 1.0)
            times = ticks[(ticks >= 0) & (ticks <= max(tmax, 0.0) + 1e-12)]
        tt = _check_times(times)
        ngroups = len(self.groups)
        if ax is None:
            fig, ax = plt.subplots(figsize=(7.0, 4.5 + 0.3 * ngroups))
            fig.subplots_adjust(bottom=0.2 + 0.06 * ngroups, left=0.2)
        grouped = not (ngroups == 1 and self.groups[0] == ALL_GROUP)
        for g, tab in self._group_tables():
            x = np.r_[0.0, tab["time"].to_numpy()]
            y = np.r_[1.0, tab["survival"].to_numpy()]
            (line,) = ax.step(x, y, where="post", label=str(g) if grouped else None)
            color = line.get_color()
            if conf_int:
                lo = np.r_[1.0, tab["ci_low"].to_numpy()]
                hi = np.r_[1.0, tab["ci_high"].to_numpy()]
                ax.fill_between(x, lo, hi, step="post", color=color, alpha=0.15, linewidth=0)
            cens = tab[tab["n_censored"] > 0]
            ax.plot(
                cens["time"],
                cens["survival"],
                linestyle="none",
                marker="|",
                markersize=8,
                color=color,
            )
        ax.set_ylim(0.0, 1.05)
        ax.set_xlim(left=0.0, right=max(tmax, float(tt.max(initial=0.0))) * 1.02 or 1.0)
        ax.set_xticks(tt)
        ax.set_xlabel("Time")
        ax.set_ylabel("Survival probability")
        if grouped:
            ax.legend(loc="best", frameon=False)
        risk = self.at_risk(tt)
        trans = blended_transform_factory(ax.transData, ax.transAxes)
        top = -0.22
        ax.text(
            0.0,
            top,
            "Number at risk",
            transform=ax.transAxes,
            ha="left",
            va="center",
            fontsize="small",
            fontweight="bold",
        )
        for i, g in enumerate(self.groups):
            yy = top - 0.08 * (i + 1)
            ax.text(
                -0.08, yy, str(g), transform=ax.transAxes, ha="right", va="center", fontsize="small"
            )
            sub = risk[risk["group"] == g]
            for t_i, n_i in zip(sub["time"], sub["n_at_risk"], strict=True):
                ax.text(
                    t_i,
                    yy,
                    str(int(n_i)),
                    transform=trans,
                    ha="center",
                    va="center",
                    fontsize="small",
                    clip_on=False,
                )
        return ax


def _se_log(tab: pd.DataFrame) -> np.ndarray:
    d = tab["n_events"].to_numpy(dtype=float)
    n = tab["n_at_risk"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        term = np.where(d > 0, d / (n * (n - d)), 0.0)
    return np.sqrt(np.cumsum(term))


def _check_times(times: Any) -> np.ndarray:
    tt = np.atleast_1d(np.asarray(times, dtype="float64"))
    if tt.ndim != 1 or np.any(~np.isfinite(tt)) or np.any(tt < 0):
        raise StatsInputError("times must be finite, non-negative numbers.")
    return tt


def kaplan_meier(
    duration: Any,
    event: Any,
    *,
    group: Any = None,
    data: pd.DataFrame | None = None,
    conf_level: float = 0.95,
    conf_type: ConfType = "log",
) -> KaplanMeier:
    """Kaplan–Meier estimate of the survival function, optionally by group.

    Parameters
    ----------
    duration : array_like of float, or str
        Follow-up time of each subject (≥ 0), to the event or to censoring.
    event : array_like of {0, 1} or bool, or str
        1 (True) if the event was observed at ``duration``, 0 (False) if censored.
    group : array_like or str, optional
        Group label of each subject; one curve per group. Categorical labels keep
        their category order, other labels are sorted. Without groups there is one
        curve labelled ``"all"``.
    data : pandas.DataFrame, optional
        When given, ``duration``, ``event`` and ``group`` are column names of
        ``data`` (one row per subject).
    conf_level : float, default 0.95
        Level of the pointwise confidence intervals and of the median's CI.
    conf_type : {"log", "log-log", "plain"}, default "log"
        Scale on which the pointwise interval is symmetric: ``"log"`` (R survfit's
        default), ``"log-log"`` (complementary log-log, Kalbfleisch & Prentice) or
        ``"plain"`` (linear, clipped to [0, 1]).

    Returns
    -------
    KaplanMeier
        ``.table`` — one row per group and distinct time (event or censoring):
        ``group``, ``time``, ``n_at_risk``, ``n_events``, ``n_censored``,
        ``survival``, ``se`` (Greenwood SE of S), ``ci_low``, ``ci_high``.
        ``.median`` — ``group``, ``median``, ``ci_low``, ``ci_high``.
        ``.to_frame()`` — one row per group: ``term`` (``"median"``),
        ``estimate`` (median), ``ci_low``, ``ci_high``, ``p_value`` (NaN), ``n``
        (subjects in the group, after dropping missing values), ``method``,
        ``group``, ``n_events`` (events in the group), ``n_dropped`` (rows of the
        whole input dropped for a missing value).
        ``.at_risk(times)``, ``.survival_at(times)`` and ``.plot()`` as documented
        on :class:`KaplanMeier`.

    Raises
    ------
    StatsInputError
        Negative or infinite durations, event values other than 0/1, non-numeric
        durations or events, mismatched lengths (including ``group``), no complete
        rows, a name that is not a column of ``data``, an unknown ``conf_type`` or
        a ``conf_level`` outside (0, 1).

    Notes
    -----
    At each distinct time :math:`t_j` with :math:`n_j` subjects at risk (follow-up
    :math:`\\ge t_j`) and :math:`d_j` events,

    .. math::

        \\hat S(t) = \\prod_{t_j \\le t} (1 - d_j / n_j), \\qquad
        \\widehat{\\mathrm{Var}}\\{\\log \\hat S(t)\\} =
        \\sum_{t_j \\le t} \\frac{d_j}{n_j (n_j - d_j)}

    (Greenwood); ``se`` is :math:`\\hat S(t)` times the square root of the latter.
    With :math:`z = \\Phi^{-1}(1 - \\alpha/2)` and :math:`s` the SE of
    :math:`\\log \\hat S`, the intervals are :math:`\\hat S e^{\\pm z s}` (upper
    limit capped at 1) for ``"log"``, :math:`\\hat S^{\\exp(\\pm z s / \\log \\hat S)}`
    for ``"log-log"`` and :math:`\\hat S (1 \\pm z s)` clipped to [0, 1] for
    ``"plain"`` — R's ``survfit_confint``. Where :math:`\\hat S = 0` the SE and CI
    are NaN (R prints NaN/NA); on the log-log scale they are also NaN where
    :math:`\\hat S = 1`.

    Ties: events at a time are counted before censorings at the same time, so a
    subject censored at :math:`t_j` is in the risk set at :math:`t_j`.

    Median: the first time with :math:`\\hat S(t) \\le 0.5`; if the curve is exactly
    0.5 there and drops later, the midpoint between that time and the next drop.
    Its CI (Brookmeyer & Crowley 1982) applies the same rule to the lower and
    upper confidence bands: the first time each band is at or below 0.5. This is
    what R ``survival``'s ``print(survfit(...))`` shows (``survmean``). NaN means
    "not reached" (e.g. no events, or the upper band never falls to 0.5). R's
    ``quantile(fit)`` interpolates the bands instead and can differ when a band
    rises again after dropping below 0.5 (``survival::aml`` pooled: print 45,
    quantile 48).

    No events: the curve is flat at 1 with SE 0 and CI [1, 1] (NaN on the log-log
    scale) and the median and its CI are NaN; this is a result, not an error.

    Missing data: a row with a missing duration, event or group is dropped; the
    count is in ``n_dropped`` and the notes.

    References
    ----------
    Kaplan, E. L. and Meier, P. (1958). Nonparametric estimation from incomplete
    observations. *JASA* 53, 457–481.
    Greenwood, M. (1926). The natural duration of cancer. *Reports on Public
    Health and Medical Subjects* 33. HMSO.
    Brookmeyer, R. and Crowley, J. (1982). A confidence interval for the median
    survival time. *Biometrics* 38, 29–41.
    Therneau, T. M. (2024). *survival: Survival Analysis*. R package (``survfit``,
    ``print.survfit``).

    Examples
    --------
    >>> km = kaplan_meier([6, 6, 6, 7, 10, 13, 16, 22, 23], [1, 1, 0, 1, 0, 1, 1, 0, 1])
    >>> km.table[["time", "n_at_risk", "n_events", "n_censored", "survival"]]
    ... # doctest: +NORMALIZE_WHITESPACE
       time  n_at_risk  n_events  n_censored  survival
    0   6.0          9         2           1  0.777778
    1   7.0          6         1           0  0.648148
    2  10.0          5         0           1  0.648148
    3  13.0          4         1           0  0.486111
    4  16.0          3         1           0  0.324074
    5  22.0          2         0           1  0.324074
    6  23.0          1         1           0  0.000000
    >>> float(km.median["median"].iloc[0])
    13.0
    >>> km.at_risk([0, 10, 20])["n_at_risk"].tolist()
    [9, 5, 2]

    The same from a DataFrame:

    >>> df = pd.DataFrame({"days": [6, 6, 6, 7, 10, 13, 16, 22, 23],
    ...                    "escalated": [1, 1, 0, 1, 0, 1, 1, 0, 1]})
    >>> kaplan_meier("days", "escalated", data=df).to_frame()[["estimate", "n", "n_events"]]
       estimate  n  n_events
    0      13.0  9         6
    """
    z = _z(conf_level)
    if conf_type not in ("log", "log-log", "plain"):
        raise StatsInputError(f"conf_type must be 'log', 'log-log' or 'plain', got {conf_type!r}.")
    args = from_data(data, "kaplan_meier", duration=duration, event=event, group=group)
    duration, event, group = args["duration"], args["event"], args["group"]
    t, e = _time_event(duration, event)
    if group is None:
        codes, levels = np.zeros(len(t)), [ALL_GROUP]
    else:
        codes, levels = _labels(group, len(t), "group")
    (t, e, codes), n_dropped = drop_missing(t, e, codes)
    _check_time_event(t, e)

    tables, medians, groups = [], [], []
    for k, label in enumerate(levels):
        m = codes == k
        if not m.any():
            continue
        cur = _km_curve(t[m], e[m])
        lo, hi = _confint(cur["survival"], cur["se_log"], z, conf_type)
        tables.append(
            pd.DataFrame(
                {
                    "group": [label] * len(cur["time"]),
                    "time": cur["time"],
                    "n_at_risk": cur["n_at_risk"].astype("int64"),
                    "n_events": cur["n_events"].astype("int64"),
                    "n_censored": cur["n_censored"].astype("int64"),
                    "survival": cur["survival"],
                    "se": cur["se"],
                    "ci_low": lo,
                    "ci_high": hi,
                }
            )
        )
        medians.append(
            {
                "group": label,
                "median": _first_below_half(cur["survival"], cur["time"]),
                "ci_low": _first_below_half(lo, cur["time"]),
                "ci_high": _first_below_half(hi, cur["time"]),
            }
        )
        groups.append(label)
    table = pd.concat(tables, ignore_index=True)
    table["group"] = table["group"].astype(object)
    median = pd.DataFrame(medians, columns=["group", "median", "ci_low", "ci_high"])
    median["group"] = median["group"].astype(object)
    return KaplanMeier(
        table=table,
        median=median,
        groups=tuple(groups),
        conf_level=float(conf_level),
        conf_type=conf_type,
        n_dropped=n_dropped,
    )


# ---------------------------------------------------------------------------
# log-rank test
# ---------------------------------------------------------------------------


@dataclass(frozen=True, repr=False, eq=False)
class LogRank(Estimates):
    """Result of :func:`logrank`: the test row plus events by group.

    Attributes
    ----------
    table : pandas.DataFrame
        One row (see :func:`logrank`).
    by_group : pandas.DataFrame
        ``group``, ``n``, ``observed``, ``expected``, ``o_minus_e``, ``score``,
        ``variance``.
    n_dropped : int
        Rows dropped because duration, event or group was missing.
    """

    by_group: pd.DataFrame = field(default_factory=pd.DataFrame)
    n_dropped: int = 0


_WEIGHT_NAMES = {
    None: "logrank",
    "logrank": "logrank",
    "gehan-breslow": "gehan-breslow",
    "tarone-ware": "tarone-ware",
    "fleming-harrington": "fleming-harrington",
}


def logrank(
    duration: Any,
    event: Any,
    group: Any,
    *,
    data: pd.DataFrame | None = None,
    weights: LogRankWeights | None = None,
    rho: float = 1.0,
) -> LogRank:
    """Log-rank test (and weighted variants) that survival is the same in all groups.

    Parameters
    ----------
    duration : array_like of float, or str
        Follow-up time (≥ 0).
    event : array_like of {0, 1} or bool, or str
        1 if the event was observed, 0 if censored.
    group : array_like or str
        Group label of each subject; at least two groups.
    data : pandas.DataFrame, optional
        When given, ``duration``, ``event`` and ``group`` are column names of
        ``data`` (one row per subject).
    weights : {None, "logrank", "gehan-breslow", "tarone-ware", "fleming-harrington"}
        Weight of each event time: 1 (log-rank, the default), the number at risk
        (Gehan–Breslow generalised Wilcoxon), its square root (Tarone–Ware), or
        :math:`\\hat S(t-)^\\rho` of the pooled Kaplan–Meier curve
        (Fleming–Harrington :math:`G^\\rho`; R ``survdiff(rho = rho)``).
    rho : float, default 1.0
        Exponent for ``"fleming-harrington"`` (ignored otherwise). ``rho = 1`` is
        the Peto–Peto modification of the Gehan–Wilcoxon test.

    Returns
    -------
    LogRank
        ``.to_frame()`` — one row: ``term`` (``"logrank"`` or the weighting's
        name), ``estimate``/``ci_low``/``ci_high`` (NaN: a test, not an
        estimate — use :func:`cox` for a hazard ratio), ``p_value``, ``n``
        (subjects compared, after dropping missing values), ``method``,
        ``statistic`` (chi-square), ``df``, ``n_events`` (events among them),
        ``n_dropped`` (rows dropped for a missing value).
        ``.by_group`` — ``group``, ``n``, ``observed`` and ``expected`` events
        (unweighted, as R prints for the log-rank), ``o_minus_e``, ``score``
        (weighted O − E) and ``variance`` (its variance, so R's "(O-E)^2/V" column
        is ``score**2 / variance``).

    Raises
    ------
    StatsInputError
        Fewer than two groups, no events, no event time at which two groups are
        both at risk, invalid duration/event values, or a name that is not a
        column of ``data``.

    Notes
    -----
    At each distinct event time :math:`t` with :math:`d` events among :math:`n` at
    risk (:math:`d_g`, :math:`n_g` in group :math:`g`) and weight :math:`w_t`,

    .. math::

        U_g = \\sum_t w_t (d_{g} - n_{g} d / n), \\qquad
        V_{gh} = \\sum_t w_t^2 \\frac{d (n - d)}{n^2 (n - 1)}
                 (n\\,\\delta_{gh} n_g - n_g n_h),

    and :math:`X^2 = U^\\top V^- U` over all groups but the first, with degrees of
    freedom the rank of that block of :math:`V` (the number of groups minus one
    unless some group has no one at risk at any event time). Ties between events
    and censorings: events first. The p-value is from the chi-square distribution.

    Missing data: rows with a missing duration, event or group are dropped; the
    count is in ``n_dropped`` and the notes.

    References
    ----------
    Mantel, N. (1966). Evaluation of survival data and two new rank order
    statistics arising in its consideration. *Cancer Chemotherapy Reports* 50,
    163–170.
    Peto, R. and Peto, J. (1972). Asymptotically efficient rank invariant test
    procedures. *JRSS A* 135, 185–207.
    Harrington, D. P. and Fleming, T. R. (1982). A class of rank test procedures
    for censored survival data. *Biometrika* 69, 553–566.
    Tarone, R. E. and Ware, J. (1977). On distribution-free tests for equality of
    survival distributions. *Biometrika* 64, 156–160.

    Examples
    --------
    >>> res = logrank([1, 2, 3, 4, 5, 6, 7, 8], [1, 1, 1, 0, 1, 1, 1, 0],
    ...               ["a", "a", "a", "a", "b", "b", "b", "b"])
    >>> res.to_frame()[["term", "statistic", "df", "n", "n_events"]]
          term  statistic  df  n  n_events
    0  logrank   4.212648   1  8         6
    >>> res.by_group[["group", "observed", "expected"]]
      group  observed  expected
    0     a       3.0  1.261905
    1     b       3.0  4.738095
    >>> df = pd.DataFrame({"days": [1, 2, 3, 4, 5, 6, 7, 8],
    ...                    "escalated": [1, 1, 1, 0, 1, 1, 1, 0],
    ...                    "cohort": ["a", "a", "a", "a", "b", "b", "b", "b"]})
    >>> res = logrank("days", "escalated", "cohort", data=df)
    >>> print(f"{res.to_frame().loc[0, 'statistic']:.6f}")
    4.212648
    """
    if weights not in _WEIGHT_NAMES:
        raise StatsInputError(
            "weights must be None, 'logrank', 'gehan-breslow', 'tarone-ware' or "
            f"'fleming-harrington', got {weights!r}."
        )
    args = from_data(data, "logrank", duration=duration, event=event, group=group)
    t, e = _time_event(args["duration"], args["event"])
    codes, levels = _labels(args["group"], len(t), "group")
    (t, e, codes), n_dropped = drop_missing(t, e, codes)
    _check_time_event(t, e)
    present = np.unique(codes).astype(int)
    if len(present) < 2:
        found = [levels[i] for i in present]
        raise StatsInputError(
            f"the log-rank test compares groups, but the complete data hold only {found}. "
            "Give at least two groups."
        )
    if e.sum() == 0:
        raise StatsInputError(
            "no events in the data: every subject is censored, so the log-rank test is "
            "undefined. Report the follow-up instead."
        )
    labels = [levels[i] for i in present]
    gidx = np.searchsorted(present, codes.astype(int))
    k = len(present)
    times, inv = np.unique(t, return_inverse=True)
    d = np.zeros((len(times), k))
    cnt = np.zeros((len(times), k))
    np.add.at(d, (inv, gidx), e)
    np.add.at(cnt, (inv, gidx), 1.0)
    nrisk = np.cumsum(cnt[::-1], axis=0)[::-1]
    tot_d, tot_n = d.sum(axis=1), nrisk.sum(axis=1)
    ev = tot_d > 0
    d, nrisk, tot_d, tot_n = d[ev], nrisk[ev], tot_d[ev], tot_n[ev]

    name = _WEIGHT_NAMES[weights]
    if name == "logrank":
        w = np.ones_like(tot_n)
    elif name == "gehan-breslow":
        w = tot_n.copy()
    elif name == "tarone-ware":
        w = np.sqrt(tot_n)
    else:
        s = np.cumprod(1.0 - tot_d / tot_n)
        w = np.r_[1.0, s[:-1]] ** float(rho)
        name = f"fleming-harrington(rho={float(rho):g})"

    expected = nrisk * (tot_d / tot_n)[:, None]
    score = (w[:, None] * (d - expected)).sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        c = np.where(tot_n > 1, w**2 * tot_d * (tot_n - tot_d) / (tot_n**2 * (tot_n - 1)), 0.0)
    var = np.diag((c * tot_n) @ nrisk) - np.einsum("t,ti,tj->ij", c, nrisk, nrisk)
    v_sub, u_sub = var[1:, 1:], score[1:]
    df = int(np.linalg.matrix_rank(v_sub, tol=1e-10 * max(1.0, float(np.abs(v_sub).max()))))
    if df == 0:
        raise StatsInputError(
            "the groups are never at risk together at an event time, so they cannot be "
            "compared. Check the group labels and follow-up."
        )
    stat = float(u_sub @ np.linalg.pinv(v_sub) @ u_sub)
    p = float(special.chdtrc(df, stat))
    n_by = np.bincount(gidx, minlength=k)
    by_group = pd.DataFrame(
        {
            "group": pd.Series(labels, dtype=object),
            "n": n_by.astype("int64"),
            "observed": d.sum(axis=0),
            "expected": expected.sum(axis=0),
            "o_minus_e": d.sum(axis=0) - expected.sum(axis=0),
            "score": score,
            "variance": np.diag(var),
        }
    )
    method = "log-rank test" if name == "logrank" else f"weighted log-rank test ({name})"
    table = tidy(
        [
            {
                "term": name,
                "p_value": p,
                "n": len(t),
                "method": method,
                "statistic": stat,
                "df": df,
                "n_events": int(e.sum()),
                "n_dropped": n_dropped,
            }
        ],
        extra=["statistic", "df", "n_events", "n_dropped"],
    )
    details = [f"Chi-square on {df} df comparing {k} groups; events before censorings at ties."]
    if n_dropped:
        details.append(f"{n_dropped} row(s) with a missing duration, event or group dropped.")
    return LogRank(
        table=table,
        title="Log-rank test",
        details=tuple(details),
        by_group=by_group,
        n_dropped=n_dropped,
    )


# ---------------------------------------------------------------------------
# Cox regression
# ---------------------------------------------------------------------------


@dataclass(frozen=True, repr=False, eq=False)
class CoxFit(StatsResult):
    """A fitted Cox proportional hazards model; see :func:`cox`.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per covariate term (see :func:`cox`).
    n, n_events, n_dropped : int
        Subjects used (rows of ``data`` after dropping missing values), events
        among them, rows dropped for missing values.
    ties : str
        ``"efron"`` or ``"breslow"``.
    strata : str or None
        Stratification column.
    conf_level : float
        Level of the hazard ratios' confidence intervals.
    loglik, loglik_null : float
        Log partial likelihood at the estimates and at all coefficients 0.
    lr_statistic, lr_df, lr_p_value : float, int, float
        Likelihood-ratio test of all coefficients being 0.
    reference : dict
        For each categorical covariate, its reference level.
    """

    table: pd.DataFrame
    n: int
    n_events: int
    n_dropped: int
    ties: str
    strata: str | None
    conf_level: float
    loglik: float
    loglik_null: float
    lr_statistic: float
    lr_df: int
    lr_p_value: float
    reference: dict[str, Any]

    title: ClassVar[str] = "Cox proportional hazards regression"

    def to_frame(self) -> pd.DataFrame:
        """A copy of the per-term table (hazard ratios)."""
        return self.table.copy()

    def notes(self) -> list[str]:
        """Model, ties, strata, reference levels and missing-data lines."""
        pct = f"{100 * self.conf_level:g}%"
        lines = [
            f"{self.n} subjects, {self.n_events} events; {self.ties.capitalize()} "
            f"ties; Wald {pct} CI; estimate = hazard ratio exp(coef).",
            f"Likelihood-ratio test: chi-square {self.lr_statistic:.4g} on {self.lr_df} df, "
            f"p = {self.lr_p_value:.4g}.",
        ]
        if self.strata is not None:
            lines.append(f"Baseline hazard stratified by {self.strata!r}.")
        for col, ref in self.reference.items():
            lines.append(f"{col}: reference level {ref!r}.")
        if self.n_dropped:
            lines.append(f"{self.n_dropped} row(s) with a missing value dropped.")
        return lines

    def __repr__(self) -> str:
        return self.summary()


def _design(data: pd.DataFrame, covariates: Sequence[str]) -> tuple[pd.DataFrame, dict]:
    cols: dict[str, np.ndarray] = {}
    reference: dict[str, Any] = {}
    for col in covariates:
        s = data[col]
        if pd.api.types.is_bool_dtype(s.dtype) or (
            pd.api.types.is_numeric_dtype(s.dtype) and not isinstance(s.dtype, pd.CategoricalDtype)
        ):
            x = s.astype("float64").to_numpy()
            if np.nanstd(x) == 0:
                raise StatsInputError(
                    f"covariate {col!r} has the same value for every subject used, so its "
                    "effect cannot be estimated. Drop it from covariates."
                )
            cols[col] = x
        elif (
            isinstance(s.dtype, pd.CategoricalDtype)
            or pd.api.types.is_object_dtype(s.dtype)
            or pd.api.types.is_string_dtype(s.dtype)
        ):
            if isinstance(s.dtype, pd.CategoricalDtype):
                cat = pd.Categorical(s).remove_unused_categories()
            else:
                try:
                    cat = pd.Categorical(s)
                except TypeError:
                    cat = pd.Categorical(s, categories=pd.unique(s))
            levels = list(cat.categories)
            if len(levels) < 2:
                raise StatsInputError(
                    f"categorical covariate {col!r} has a single level {levels} among the "
                    "subjects used, so its effect cannot be estimated. Drop it."
                )
            reference[col] = levels[0]
            for lev in levels[1:]:
                cols[f"{col}[{lev}]"] = (cat.codes == levels.index(lev)).astype("float64")
        else:
            raise StatsInputError(
                f"covariate {col!r} has dtype {s.dtype}; give numbers, booleans or "
                "categories (convert dates to durations first)."
            )
    return pd.DataFrame(cols, index=data.index), reference


def cox(
    data: pd.DataFrame,
    *,
    duration: str,
    event: str,
    covariates: Sequence[str],
    ties: Literal["efron", "breslow"] = "efron",
    conf_level: float = 0.95,
    strata: str | None = None,
) -> CoxFit:
    """Cox proportional hazards regression with hazard ratios and Wald intervals.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per subject. Cox regression fits a model on several columns, so it
        takes a DataFrame and column names only (as :func:`its_fit` and
        :func:`multiple_imputation`); build one with ``pd.DataFrame({...})`` from
        arrays.
    duration : str
        Column of follow-up times (≥ 0).
    event : str
        Column of event indicators: 1/True = event, 0/False = censored.
    covariates : sequence of str
        Columns entered in the model. Numeric and boolean columns enter as they
        are; object, string and category columns are dummy-coded with the first
        level as reference (category order for categoricals, sorted order
        otherwise; levels absent after dropping missing rows are ignored). A dummy
        is named ``col[level]``.
    ties : {"efron", "breslow"}, default "efron"
        Approximation of the partial likelihood for tied event times. Efron's is
        R ``coxph``'s default; Breslow's is Stata's and SAS's.
    conf_level : float, default 0.95
        Level of the confidence intervals.
    strata : str, optional
        Column whose levels get separate baseline hazards (a stratified model).

    Returns
    -------
    CoxFit
        ``.to_frame()`` — one row per term: ``term``, ``estimate`` (hazard ratio
        exp(coef)), ``ci_low``, ``ci_high`` (exp(coef ± z·se)), ``p_value`` (Wald),
        ``n`` (subjects used, after dropping missing values; the same on every
        row), ``method``, ``coef`` (log hazard ratio), ``se``, ``statistic`` (the
        Wald z, coef / se), ``n_events`` (events among the subjects used),
        ``n_dropped`` (rows dropped for a missing value). Attributes as documented
        on :class:`CoxFit`.

    Raises
    ------
    StatsInputError
        Missing columns, no events, invalid durations or events, a covariate with
        a single value or level, collinear covariates, or a fit that does not
        converge to finite estimates (e.g. a covariate level with no events, where
        the hazard ratio is 0 or infinite).

    Notes
    -----
    The hazard of subject :math:`i` is :math:`h_0(t) \\exp(x_i^\\top\\beta)`
    (:math:`h_{0s}` per stratum); :math:`\\beta` maximises the partial likelihood
    (Breslow's or Efron's version for ties), fitted with statsmodels ``PHReg``.
    The standard errors come from the inverse information; the Wald test of term
    :math:`j` uses :math:`z = \\hat\\beta_j / \\mathrm{se}_j`. The likelihood-ratio
    statistic is :math:`2\\{\\ell(\\hat\\beta) - \\ell(0)\\}`.

    Missing data: rows with a missing duration, event, covariate or stratum are
    dropped (complete-case analysis); the count is in ``n_dropped`` and the notes.

    References
    ----------
    Cox, D. R. (1972). Regression models and life-tables. *JRSS B* 34, 187–220.
    Breslow, N. (1974). Covariance analysis of censored survival data.
    *Biometrics* 30, 89–99.
    Efron, B. (1977). The efficiency of Cox's likelihood function for censored
    data. *JASA* 72, 557–565.

    Examples
    --------
    >>> df = pd.DataFrame({
    ...     "weeks": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
    ...     "relapse": [1, 1, 1, 0, 1, 1, 0, 1, 1, 0],
    ...     "arm": ["control", "treated", "control", "control", "treated",
    ...             "control", "treated", "control", "treated", "treated"],
    ... })
    >>> fit = cox(df, duration="weeks", event="relapse", covariates=["arm"])
    >>> fit.to_frame()[["term", "estimate", "n", "n_events"]]
               term  estimate   n  n_events
    0  arm[treated]   0.35251  10         7
    >>> fit.reference
    {'arm': 'control'}
    """
    check_frame(data, "cox")
    if ties not in ("efron", "breslow"):
        raise StatsInputError(f"ties must be 'efron' or 'breslow', got {ties!r}.")
    z_crit = _z(conf_level)
    covariates = [covariates] if isinstance(covariates, str) else list(covariates)
    if not covariates:
        raise StatsInputError("give at least one covariate (a column name) for the Cox model.")
    if len(set(covariates)) != len(covariates):
        raise StatsInputError(f"covariates are listed more than once: {covariates}.")
    roles = [("duration", duration), ("event", event)]
    roles += [("covariate", c) for c in covariates]
    roles += [("strata", strata)] if strata is not None else []
    for role, name in roles:
        column(data, name, role, func="cox")
    needed = [name for _, name in roles]
    if len(set(needed)) != len(needed):
        raise StatsInputError(
            f"cox: a column is used twice among duration, event, covariates and strata: {needed}."
        )
    sub = data[needed]
    complete = ~sub.isna().any(axis=1).to_numpy()
    n_dropped = int((~complete).sum())
    sub = sub.loc[complete]
    t, e = _time_event(sub[duration], sub[event])
    _check_time_event(t, e)
    if e.sum() == 0:
        raise StatsInputError(
            "no events among the subjects used: hazard ratios cannot be estimated. "
            "Report the follow-up instead."
        )
    X, reference = _design(sub, covariates)
    xm = X.to_numpy(dtype="float64")
    if np.linalg.matrix_rank(xm - xm.mean(axis=0)) < xm.shape[1]:
        raise StatsInputError(
            f"the covariates {list(X.columns)} are collinear (one is a combination of "
            "others); drop or merge some."
        )
    strata_codes = None
    if strata is not None:
        strata_codes = pd.factorize(sub[strata])[0]

    import warnings

    from statsmodels.duration.hazard_regression import PHReg

    model = PHReg(t, xm, status=e, ties=ties, strata=strata_codes)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = model.fit()
    coef = np.asarray(res.params, dtype=float)
    se = np.asarray(res.bse, dtype=float)
    # Scale-free checks: per-SD log hazard ratios beyond 12 (HR > 160 000), absurd
    # per-SD standard errors, or a gradient left at the solution all mean that the
    # partial likelihood has no finite maximum or the iterations stopped early.
    sd = xm.std(axis=0)
    with np.errstate(invalid="ignore"):
        grad = np.asarray(model.score(coef), dtype=float) / sd
    if (
        not np.all(np.isfinite(coef))
        or not np.all(np.isfinite(se))
        or np.any(np.abs(coef) * sd > 12)
        or np.any(se * sd > 50)
        or np.any(~np.isfinite(grad) | (np.abs(grad) > 1e-4 * max(1.0, float(e.sum()))))
    ):
        raise StatsInputError(
            "the Cox model did not converge to finite estimates (monotone likelihood): "
            "typically a covariate level or group with no events, or a covariate that "
            "perfectly orders the event times. Check events per level; use logrank() or "
            "merge sparse levels."
        )
    zstat = coef / se
    p = 2.0 * special.ndtr(-np.abs(zstat))
    ll = float(model.loglike(coef))
    ll0 = float(model.loglike(np.zeros_like(coef)))
    lr = 2.0 * (ll - ll0)
    method = f"Cox proportional hazards ({ties.capitalize()} ties), Wald CI"
    if strata is not None:
        method += f", stratified by {strata}"
    # A covariate in tiny units can have a per-unit hazard ratio beyond float range;
    # it is then reported as inf (coef and se stay finite).
    with np.errstate(over="ignore"):
        hr, hr_lo, hr_hi = np.exp(coef), np.exp(coef - z_crit * se), np.exp(coef + z_crit * se)
    rows = [
        {
            "term": term,
            "estimate": float(h),
            "ci_low": float(lo),
            "ci_high": float(hi),
            "p_value": float(pv),
            "n": len(t),
            "method": method,
            "coef": float(b),
            "se": float(s),
            "statistic": float(zz),
            "n_events": int(e.sum()),
            "n_dropped": n_dropped,
        }
        for term, h, lo, hi, b, s, zz, pv in zip(
            X.columns, hr, hr_lo, hr_hi, coef, se, zstat, p, strict=True
        )
    ]
    return CoxFit(
        table=tidy(rows, extra=["coef", "se", "statistic", "n_events", "n_dropped"]),
        n=len(t),
        n_events=int(e.sum()),
        n_dropped=n_dropped,
        ties=ties,
        strata=strata,
        conf_level=float(conf_level),
        loglik=ll,
        loglik_null=ll0,
        lr_statistic=float(lr),
        lr_df=len(coef),
        lr_p_value=float(special.chdtrc(len(coef), lr)),
        reference=reference,
    )
