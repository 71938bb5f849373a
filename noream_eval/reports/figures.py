"""Figures of the evaluation report, drawn from the results tables.

Every figure function has the form ``fn(results, *, ax=None, **options) ->
matplotlib.axes.Axes``: it draws on ``ax`` (or on a new figure when ``ax`` is
None) and returns the axes. ``results`` is anything with ``results[name] ->
pandas.DataFrame`` and ``results.plan``: a :class:`noream_eval.metrics.Results`
or a published (disclosure-controlled) results object. When the object has
``flags(name)`` (a frame of the table's shape with ``""`` shown, ``"c"``
suppressed, ``"x"`` not available), a suppressed cell is never drawn: its point
is left out and a "c" marks where it would be. Figures draw only numbers that
are in a table; they compute no count of their own.

:data:`FIGURES` lists the report's figures in order, each with its title,
caption, source tables, size and a function drawing the whole (possibly
multi-panel) figure; :func:`figure` builds one with its caption beneath, in the
report theme (:mod:`noream_eval.reports.theme`), and :func:`save_figure`
writes it as PNG (300 dpi) and SVG (text kept as text).

In a notebook, draw a figure into your own axes, or in the report theme::

    from noream_eval.reports import figures, theme
    with theme.theme():
        ax = figures.referrals_its(results)

Without ``ax`` a function makes its figure with pyplot when pyplot is already
imported (so it shows in a notebook), otherwise as a plain Agg figure.

Examples
--------
>>> import pandas as pd
>>> class Tables(dict):
...     plan = {}
>>> results = Tables(domain_distance=pd.DataFrame({
...     "domain": ["all", "housing"], "n_families": [40, 38],
...     "mean_change": [0.4, 0.6], "ci_low": [0.2, 0.3], "ci_high": [0.6, 0.9]}))
>>> ax = domain_distance(results)
>>> [t.get_text() for t in ax.texts if t.get_gid() == "row_label"]
['All domains (n = 40)', 'Housing (n = 38)']
"""

from __future__ import annotations

import itertools
import math
import re
import sys
import textwrap
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd
from matplotlib import dates as mdates
from matplotlib import ticker, transforms
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from noream_eval.errors import FigureError, OutputError
from noream_eval.reports.theme import (
    COHORT_COLOURS,
    COHORT_LABELS,
    FULL_WIDTH,
    NEUTRAL,
    OKABE_ITO,
    RATING_COLOURS,
    theme,
)

__all__ = [
    "FIGURES",
    "FigureSpec",
    "domain_distance",
    "figure",
    "indicator_forest",
    "participant_flow",
    "referrals_its",
    "reliable_change",
    "s17_caseload",
    "s17_caseload_and_spend",
    "s17_spend",
    "s17_time_to_escalation",
    "save_figure",
    "snac_agencies",
    "wellbeing_change",
    "wellbeing_panels",
]

#: Days in an average month (the months of ``s17_escalation_at_risk``).
DAYS_PER_MONTH = 365.25 / 12

#: Marker of a suppressed value.
SUPPRESSED = "c"

BLACK = OKABE_ITO["black"]
_COHORT_ORDER = ("noream", "comparison", "not_enrolled", "all")
_COHORT_SHORT = {
    "noream": "Programme",
    "comparison": "Comparison",
    "not_enrolled": "Not enrolled",
    "all": "All",
}
_RESPONDENT_LABELS = {"parent_carer": "Parent/carers", "child": "Children"}
_RESPONDENT_COLOURS = {"parent_carer": OKABE_ITO["blue"], "child": OKABE_ITO["orange"]}
_MEASURE_LABELS = {
    "swemwbs": "SWEMWBS score (7 to 35)",
    "wemwbs": "WEMWBS score (14 to 70)",
}
_CATEGORIES = {
    "improved": ("Reliable improvement", OKABE_ITO["bluish_green"]),
    "no_reliable_change": ("No reliable change", NEUTRAL),
    "deteriorated": ("Reliable deterioration", OKABE_ITO["vermillion"]),
}
_DOMAIN_LABELS = {
    "all": "All domains",
    "education_training_leisure": "Education, training and leisure",
    "food_security": "Food security",
    "health_wellbeing": "Health and wellbeing",
    "housing": "Housing",
    "immigration": "Immigration",
    "income_employment": "Income and employment",
    "support_network": "Support network",
}
_STAGE_LABELS = {
    "referred": "Families referred",
    "eligibility_assessed": "Eligibility assessed",
    "eligible": "Eligible",
    "offered": "Offered the programme",
    "enrolled": "Enrolled",
    "baseline_wellbeing": "Wellbeing questionnaire",
    "baseline_domains": "Support domains assessment",
    "baseline_either": "Either",
    "followup_due": "Wellbeing follow-up due by the data cut",
    "followup_completed": "Wellbeing follow-up completed",
}
_STAGE_GROUPS = {"enrolled": "Baseline completed"}
_REASON_LABELS = {
    "declined": "Declined",
    "not_eligible": "Not eligible",
    "no_capacity": "No capacity",
    "moved_away": "Moved away",
    "other": "Other reason",
    "unknown": "Reason not recorded",
}
_INDICATOR_LABELS = {
    "rereferral_rate_ratio": "Re-referral rate ratio",
    "rereferral_rate_difference": "Re-referral rate difference",
    "s17_escalation_hazard_ratio": "s17 escalation hazard ratio",
    "referrals_its_level_change": "Referrals: level change (ITS)",
    "referrals_its_slope_change": "Referrals: slope change (ITS)",
    "domain_distance_travelled": "Domain distance travelled",
    "staff_multi_agency_change": "Staff: multi-agency working",
    "staff_coordination_change": "Staff: cross-directorate coordination",
    "directorates_per_meeting_trend": "Directorates per meeting, yearly trend",
}
_MEASURE_SUFFIXES = {
    "mean_change": "mean change",
    "mean_change_mi": "mean change (imputed)",
    "d_z": "change, d_z",
    "g_av": "change, Hedges' g_av",
    "wilcoxon": "change, Hodges-Lehmann",
}
_RATING_SHORT = {
    "Evidence of promise": "Evidence of promise",
    "Indicative": "Indicative",
    "No evidence of change": "No evidence of change",
    "Change in the unexpected direction": "Unexpected direction",
    "Insufficient data": "Insufficient data",
}


# --------------------------------------------------------------------------- tables


@dataclass(frozen=True)
class _Tab:
    """A table's columns as arrays, with where each cell is suppressed; rows kept aligned."""

    name: str
    cols: Mapping[str, np.ndarray]
    hide: Mapping[str, np.ndarray]

    @classmethod
    def of(cls, results: Any, name: str, columns: Sequence[str] = ()) -> _Tab:
        try:
            values = results[name]
        except KeyError:
            raise FigureError(
                f"the results hold no table {name!r}, which this figure draws; "
                "compute the metrics again or leave the figure out."
            ) from None
        missing = [c for c in columns if c not in values.columns]
        if missing:
            raise FigureError(f"the table {name!r} lacks the column(s) {missing}.")
        cols = {str(c): values[c].to_numpy() for c in values.columns}
        get = getattr(results, "flags", None)
        if callable(get):
            flags = get(name)
            if set(flags.columns) == set(values.columns):
                flags = flags[list(values.columns)]
            if flags.shape != values.shape:
                raise FigureError(
                    f"the flags of {name!r} have shape {flags.shape}, the table {values.shape}."
                )
            hide = {
                str(c): flags.iloc[:, j].to_numpy(dtype=object) == SUPPRESSED
                for j, c in enumerate(values.columns)
            }
        else:
            hide = {c: np.zeros(len(values), dtype=bool) for c in cols}
        return cls(name, cols, hide)

    def __len__(self) -> int:
        return len(next(iter(self.hide.values()), ()))

    def has(self, col: str) -> bool:
        return col in self.cols

    def take(self, rows: Any) -> _Tab:
        """The rows given as a boolean mask or as positions, in that order."""
        idx = np.asarray(rows)
        if idx.dtype != bool:
            idx = idx.astype(int)
        return _Tab(
            self.name,
            {c: a[idx] for c, a in self.cols.items()},
            {c: a[idx] for c, a in self.hide.items()},
        )

    where = take

    def equals(self, col: str, value: str) -> np.ndarray:
        return np.fromiter(
            (isinstance(v, str) and v == value for v in self.cols[col]), bool, len(self)
        )

    def hidden(self, col: str) -> np.ndarray:
        """True where the cell is suppressed."""
        return self.hide[col]

    def num(self, col: str) -> np.ndarray:
        """The column as floats, NaN where suppressed or missing."""
        a = self.cols[col]
        if a.dtype.kind in "fiub":
            out = np.array(a, dtype="float64")
        else:
            s = pd.to_numeric(pd.Series(a, dtype=object), errors="coerce")
            out = np.array(s.to_numpy(dtype="float64", na_value=np.nan), dtype="float64")
        out[self.hide[col]] = np.nan
        return out

    def flag(self, col: str) -> np.ndarray:
        """A true/false column (missing is false)."""
        return np.fromiter(
            (False if pd.isna(v) else bool(v) for v in self.cols[col]), bool, len(self)
        )

    def text(self, col: str) -> list[str]:
        return ["" if pd.isna(v) else str(v) for v in self.cols[col]]

    def dates(self, col: str, *, mid_month: bool = False) -> np.ndarray:
        """Matplotlib date numbers of a date or ``YYYY-MM`` column."""
        a = self.cols[col]
        if a.dtype.kind == "M":
            when = pd.DatetimeIndex(a)
        else:
            when = pd.DatetimeIndex(pd.to_datetime(pd.Series(self.text(col)), format="%Y-%m"))
        x = mdates.date2num(when.to_numpy())
        if mid_month:
            x = x + when.days_in_month.to_numpy(dtype="float64") / 2.0
        return x


def _count_text(value: float, hidden: bool, missing: str = "not recorded") -> str:
    if hidden:
        return SUPPRESSED
    if not math.isfinite(value):
        return missing
    return f"{round(value):,}"


# --------------------------------------------------------------------------- helpers


def _new_figure(size: tuple[float, float], *, pyplot: bool = True) -> Figure:
    if pyplot and "matplotlib.pyplot" in sys.modules:
        import matplotlib.pyplot as plt

        return plt.figure(figsize=size, layout="constrained")
    fig = Figure(figsize=size, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _axes(ax: Axes | None, size: tuple[float, float]) -> Axes:
    return ax if ax is not None else _new_figure(size).add_subplot()


def _plan(results: Any) -> Mapping[str, Any]:
    return getattr(results, "plan", None) or {}


def _programme_start(results: Any, given: Any) -> pd.Timestamp | None:
    if given is False:
        return None
    value = given
    if value is None:
        value = (getattr(results, "provenance", None) or {}).get("programme_start")
    if value is None:
        value = _plan(results).get("programme_start")
    return None if value in (None, "") else pd.Timestamp(value)


def _shock_label(name: str) -> str:
    text = re.sub(r"covid(_?19)?", "COVID-19", str(name), flags=re.IGNORECASE).replace("_", " ")
    return text[:1].upper() + text[1:]


def _cohorts(present: Sequence[str], given: Sequence[str] | None) -> list[str]:
    have = list(dict.fromkeys(c for c in present if c))
    if given is not None:
        return [c for c in given if c in have]
    known = [c for c in _COHORT_ORDER if c in have and c != "all"]
    return known + [c for c in have if c not in _COHORT_ORDER]


def _cohort_colour(cohort: str, i: int) -> str:
    spare = [OKABE_ITO[k] for k in ("reddish_purple", "orange", "sky_blue", "yellow")]
    return COHORT_COLOURS.get(cohort, spare[i % len(spare)])


def _mark_hidden(ax: Axes, xs: Sequence[float], *, row: int = 0, colour: str = BLACK) -> int:
    """Write "c" at the foot of the axes where a suppressed value would be."""
    tr = ax.get_xaxis_transform()
    for x in xs:
        ax.text(
            x,
            0.015 + 0.05 * row,
            SUPPRESSED,
            transform=tr,
            ha="center",
            va="bottom",
            fontsize=8,
            color=colour,
            clip_on=True,
            gid="suppressed",
        )
    return len(xs)


def _c_handle() -> Line2D:
    return Line2D(
        [],
        [],
        ls="none",
        marker="$c$",
        markersize=6,
        color=BLACK,
        label="c: not shown (small number)",
    )


def _date_axis(ax: Axes, *spans: np.ndarray) -> None:
    """Date ticks; the axis spans every row of the tables (suppressed ones too)."""
    xs = np.concatenate([np.asarray(s, dtype=float).ravel() for s in spans] or [np.empty(0)])
    xs = xs[np.isfinite(xs)]
    if len(xs):
        ax.set_xlim(xs.min() - 20.0, xs.max() + 20.0)
    locator = mdates.AutoDateLocator(minticks=3, maxticks=9)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator, show_offset=False))


def _legend_above(ax: Axes, handles: list[Any], *, ncols: int = 2) -> None:
    if handles:
        ax.legend(
            handles=handles,
            loc="lower left",
            bbox_to_anchor=(0.0, 1.01),
            ncols=ncols,
            borderaxespad=0.0,
            fontsize=8,
        )


def _start_line(ax: Axes, start: pd.Timestamp | None) -> Line2D | None:
    if start is None:
        return None
    return ax.axvline(
        mdates.date2num(start),
        color=BLACK,
        ls=":",
        lw=1.0,
        label="Programme start",
        gid="programme_start",
    )


def _row_labels(
    ax: Axes, ys: Sequence[float], labels: Sequence[str], bold: Sequence[bool] | None = None
) -> None:
    """Label rows at the left of the axes (plain texts, gid ``row_label``), no y axis."""
    tr = transforms.offset_copy(
        transforms.blended_transform_factory(ax.transAxes, ax.transData),
        fig=ax.figure,
        x=-4,
        units="points",
    )
    bold = bold if bold is not None else [False] * len(labels)
    for y, label, b in zip(ys, labels, bold, strict=True):
        ax.text(
            0.0,
            y,
            label,
            transform=tr,
            ha="right",
            va="center",
            fontsize=8,
            fontweight="bold" if b else "normal",
            gid="row_label",
        )
    ax.set_yticks([])
    ax.spines["left"].set_visible(False)


def _percent_axis(axis: Any) -> None:
    axis.set_major_formatter(ticker.PercentFormatter(xmax=1.0, decimals=0))


# --------------------------------------------------------------------------- outcome 1


def referrals_its(
    results: Any,
    *,
    ax: Axes | None = None,
    programme_start: Any = None,
    shocks: Mapping[str, Sequence[Any]] | None = None,
    rereferrals: bool = True,
    cohort: str = "all",
) -> Axes:
    """Monthly referrals with the interrupted time series fit and counterfactual.

    Parameters
    ----------
    results
        Results (``results[name]``, ``results.plan``, optional ``flags``).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; default: a new full-width figure.
    programme_start : date, optional
        Where the vertical programme-start line goes; default the results'
        ``provenance["programme_start"]`` (or ``plan["programme_start"]``);
        ``False`` draws none.
    shocks : mapping, optional
        Name -> (first day, last day) of periods to shade; default
        ``plan["shocks"]``.
    rereferrals : bool, default True
        Draw the monthly re-referrals as bars.
    cohort : str, default "all"
        Cohort of ``monthly_referrals`` whose re-referrals are drawn.

    Returns
    -------
    matplotlib.axes.Axes

    Notes
    -----
    Reads ``its_referrals_counterfactual`` (``month``, ``post``,
    ``observed`` as dots, ``fitted`` as a line, ``counterfactual`` with
    ``counterfactual_ci_low``/``_high`` as a dashed line and band over the
    months after the start) and ``monthly_referrals`` (``rereferrals`` of
    ``cohort``). Each month is drawn at its middle. A suppressed month's dot
    or bar is left out and "c" written at the foot of the axes.

    Examples
    --------
    >>> import pandas as pd
    >>> class Tables(dict):
    ...     plan = {"shocks": {"covid_lockdown": ["2020-03-01", "2020-07-31"]}}
    ...     provenance = {"programme_start": "2020-06-01"}
    >>> months = pd.date_range("2020-01-01", periods=12, freq="MS")
    >>> r = Tables(its_referrals_counterfactual=pd.DataFrame({
    ...     "month": months, "post": months >= "2020-06-01", "observed": range(12),
    ...     "fitted": range(12), "counterfactual": range(12),
    ...     "counterfactual_ci_low": range(12), "counterfactual_ci_high": range(1, 13)}))
    >>> ax = referrals_its(r, rereferrals=False)
    >>> ax.get_ylabel()
    'Referrals per month'
    """
    cf = _Tab.of(
        results,
        "its_referrals_counterfactual",
        (
            "month",
            "post",
            "observed",
            "fitted",
            "counterfactual",
            "counterfactual_ci_low",
            "counterfactual_ci_high",
        ),
    )
    ax = _axes(ax, (FULL_WIDTH, 3.4))
    x = cf.dates("month", mid_month=True)
    handles: list[Any] = []
    n_hidden = 0

    observed = cf.num("observed")
    ok = np.isfinite(observed)
    (h,) = ax.plot(
        x[ok],
        observed[ok],
        ls="none",
        marker="o",
        ms=3.0,
        color=BLACK,
        label="Referrals",
        gid="observed",
        zorder=3,
    )
    handles.append(h)
    n_hidden += _mark_hidden(ax, x[cf.hidden("observed")], row=0, colour=BLACK)

    if rereferrals:
        mr = _Tab.of(results, "monthly_referrals", ("month", "cohort", "rereferrals"))
        mr = mr.where(mr.equals("cohort", cohort))
        rx = mr.dates("month", mid_month=True)
        ry = mr.num("rereferrals")
        rok = np.isfinite(ry)
        colour = OKABE_ITO["orange"]
        bars = ax.bar(
            rx[rok],
            ry[rok],
            width=20.0,
            color=colour,
            lw=0,
            label="Re-referrals",
            gid="rereferrals",
            zorder=2,
        )
        handles.append(bars)
        n_hidden += _mark_hidden(ax, rx[mr.hidden("rereferrals")], row=1, colour=colour)

    (h,) = ax.plot(
        x,
        cf.num("fitted"),
        color=OKABE_ITO["blue"],
        label="Model fit",
        gid="fitted",
        zorder=4,
    )
    handles.append(h)
    post = cf.flag("post")
    if post.any():
        colour = OKABE_ITO["vermillion"]
        band = ax.fill_between(
            x[post],
            cf.num("counterfactual_ci_low")[post],
            cf.num("counterfactual_ci_high")[post],
            color=colour,
            alpha=0.18,
            lw=0,
            label="95% CI",
            gid="counterfactual_ci",
        )
        (h,) = ax.plot(
            x[post],
            cf.num("counterfactual")[post],
            color=colour,
            ls="--",
            label="Expected without the programme",
            gid="counterfactual",
            zorder=4,
        )
        handles += [h, band]
    line = _start_line(ax, _programme_start(results, programme_start))
    if line is not None:
        handles.append(line)
    periods = _plan(results).get("shocks", {}) if shocks is None else shocks
    for name, (first, last) in dict(periods or {}).items():
        span = ax.axvspan(
            mdates.date2num(pd.Timestamp(first)),
            mdates.date2num(pd.Timestamp(last) + pd.Timedelta(days=1)),
            color=NEUTRAL,
            alpha=0.25,
            lw=0,
            label=_shock_label(name),
            gid=f"shock:{name}",
            zorder=0,
        )
        handles.append(span)
    if n_hidden:
        handles.append(_c_handle())
    ax.set_ylabel("Referrals per month")
    ax.set_xlabel("Month")
    ax.set_ylim(bottom=0)
    _date_axis(ax, x)
    _legend_above(ax, handles, ncols=3)
    return ax


# --------------------------------------------------------------------------- outcome 2


def s17_time_to_escalation(
    results: Any,
    *,
    ax: Axes | None = None,
    cohorts: Sequence[str] | None = None,
    at_risk: bool = True,
    max_months: float | None = None,
) -> Axes:
    """Kaplan-Meier time from first contact to s17 support, by cohort.

    Parameters
    ----------
    results
        Results (``results[name]``, optional ``flags``).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; default: a new full-width figure.
    cohorts : sequence of str, optional
        Cohorts to draw, in order; default every cohort of the table.
    at_risk : bool, default True
        Write the numbers at risk (``s17_escalation_at_risk``) under the axis.
    max_months : float, optional
        Right end of the time axis; default the last month of the at-risk
        table (or of the curves).

    Returns
    -------
    matplotlib.axes.Axes

    Notes
    -----
    Reads ``s17_escalation_km`` (``cohort``, ``time`` in days, drawn in
    months of 365.25 / 12 days; ``survival`` as a step curve from 1 at time 0;
    ``ci_low``, ``ci_high`` as a band) and ``s17_escalation_at_risk``
    (``cohort``, ``months``, ``n_at_risk``, written as they are). A curve stops
    at its first suppressed or missing survival and a "c" marks the stop; a
    suppressed number at risk shows as "c".

    Examples
    --------
    >>> import pandas as pd
    >>> class Tables(dict):
    ...     plan = {}
    >>> r = Tables(s17_escalation_km=pd.DataFrame({
    ...     "cohort": ["noream"] * 3, "time": [30.0, 90.0, 200.0],
    ...     "survival": [0.9, 0.8, 0.7], "ci_low": [0.8, 0.7, 0.6],
    ...     "ci_high": [1.0, 0.9, 0.8]}))
    >>> ax = s17_time_to_escalation(r, at_risk=False)
    >>> ax.get_lines()[0].get_ydata().tolist()
    [1.0, 0.9, 0.8, 0.7]
    """
    km = _Tab.of(results, "s17_escalation_km", ("cohort", "time", "survival", "ci_low", "ci_high"))
    ax = _axes(ax, (FULL_WIDTH, 3.8))
    names = _cohorts(km.text("cohort"), cohorts)
    risk = None
    if at_risk:
        risk = _Tab.of(results, "s17_escalation_at_risk", ("cohort", "months", "n_at_risk"))
    ends: list[float] = []
    n_hidden = 0
    for i, c in enumerate(names):
        sub = km.where(km.equals("cohort", c))
        sub = sub.take(np.argsort(sub.num("time"), kind="stable"))
        t = sub.num("time") / DAYS_PER_MONTH
        s = sub.num("survival")
        bad = ~(np.isfinite(t) & np.isfinite(s))
        stop = int(np.argmax(bad)) if bad.any() else len(sub)
        t = np.concatenate([[0.0], t[:stop]])
        s = np.concatenate([[1.0], s[:stop]])
        lo = np.concatenate([[1.0], sub.num("ci_low")[:stop]])
        hi = np.concatenate([[1.0], sub.num("ci_high")[:stop]])
        colour = _cohort_colour(c, i)
        ax.fill_between(t, lo, hi, step="post", color=colour, alpha=0.15, lw=0, gid=f"km_ci:{c}")
        ax.step(t, s, where="post", color=colour, label=COHORT_LABELS.get(c, c), gid=f"km:{c}")
        ends.append(float(t[-1]))
        if stop < len(sub) and sub.hidden("survival")[stop]:
            n_hidden += 1
            ax.annotate(
                SUPPRESSED,
                (t[-1], s[-1]),
                xytext=(3, 0),
                textcoords="offset points",
                ha="left",
                va="center",
                fontsize=8,
                color=colour,
                gid="suppressed",
            )
    months = []
    if risk is not None and len(risk):
        months = sorted({float(m) for m in risk.num("months") if math.isfinite(m)})
    right = max_months or (max(months) if months else (max(ends) if ends else 12.0))
    ax.set_xlim(0, right)
    ax.set_ylim(0, 1.0)
    ax.set_xticks(
        [m for m in months if m <= right] or np.arange(0, right + 0.1, 3.0),
    )
    ax.xaxis.set_major_formatter(ticker.FormatStrFormatter("%g"))
    _percent_axis(ax.yaxis)
    ax.set_xlabel("Months since first contact")
    ax.set_ylabel("Share not yet on s17 support")
    handles: list[Any] = list(ax.get_legend_handles_labels()[0])
    if n_hidden:
        handles.append(_c_handle())
    ax.legend(handles=handles, loc="lower left", fontsize=8)
    if risk is not None:
        _at_risk_table(ax, risk, names, right)
    return ax


def _at_risk_table(ax: Axes, risk: _Tab, names: Sequence[str], right: float) -> None:
    fig = ax.figure
    data_x = transforms.blended_transform_factory(ax.transData, ax.transAxes)
    top = 34.0
    step = 11.0
    ax.text(
        0.0,
        0.0,
        "Number at risk",
        transform=transforms.offset_copy(ax.transAxes, fig=fig, x=-16, y=-top, units="points"),
        ha="right",
        va="top",
        fontsize=8,
        fontweight="bold",
        gid="at_risk_header",
    )
    for i, c in enumerate(names):
        sub = risk.where(risk.equals("cohort", c))
        y = -(top + step * (i + 1))
        ax.text(
            0.0,
            0.0,
            _COHORT_SHORT.get(c, c),
            transform=transforms.offset_copy(ax.transAxes, fig=fig, x=-16, y=y, units="points"),
            ha="right",
            va="top",
            fontsize=8,
            color=_cohort_colour(c, i),
            gid=f"at_risk_label:{c}",
        )
        tr = transforms.offset_copy(data_x, fig=fig, y=y, units="points")
        n = sub.num("n_at_risk")
        hidden = sub.hidden("n_at_risk")
        for m, v, h in zip(sub.num("months"), n, hidden, strict=True):
            if not math.isfinite(m) or m > right + 1e-9:
                continue
            ax.text(
                m,
                0.0,
                _count_text(v, h, "-"),
                transform=tr,
                ha="center",
                va="top",
                fontsize=8,
                gid=f"at_risk:{c}:{m:g}",
            )


def _monthly_lines(
    ax: Axes,
    tab: _Tab,
    *,
    x: np.ndarray,
    column: str,
    names: Sequence[str],
    gid: str,
) -> int:
    n_hidden = 0
    for i, c in enumerate(names):
        m = tab.equals("cohort", c)
        sub = tab.where(m)
        colour = _cohort_colour(c, i)
        ax.plot(
            x[m],
            sub.num(column),
            color=colour,
            label=COHORT_LABELS.get(c, c),
            gid=f"{gid}:{c}",
        )
        n_hidden += _mark_hidden(ax, x[m][sub.hidden(column)], row=i, colour=colour)
    return n_hidden


def _monthly_panel(
    results: Any,
    ax: Axes | None,
    *,
    table: str,
    when: tuple[str, bool],
    column: str,
    gid: str,
    ylabel: str,
    cohorts: Sequence[str] | None,
    programme_start: Any,
    legend: bool,
) -> Axes:
    """One line per cohort of a monthly column, with the programme start and "c" marks."""
    date_col, mid_month = when
    tab = _Tab.of(results, table, (date_col, "cohort", column))
    ax = _axes(ax, (FULL_WIDTH, 2.8))
    names = _cohorts(tab.text("cohort"), cohorts)
    x = tab.dates(date_col, mid_month=mid_month)
    n_hidden = _monthly_lines(ax, tab, x=x, column=column, names=names, gid=gid)
    _start_line(ax, _programme_start(results, programme_start))
    ax.set_ylabel(ylabel)
    ax.set_ylim(bottom=0)
    _date_axis(ax, x)
    if legend:
        handles = list(ax.get_legend_handles_labels()[0])
        if n_hidden:
            handles.append(_c_handle())
        _legend_above(ax, handles, ncols=3)
    return ax


def s17_caseload(
    results: Any,
    *,
    ax: Axes | None = None,
    cohorts: Sequence[str] | None = None,
    programme_start: Any = None,
    legend: bool = True,
) -> Axes:
    """Families on s17 support at each month end, by cohort.

    Parameters
    ----------
    results
        Results (``results[name]``, optional ``flags``).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; default: a new full-width figure.
    cohorts : sequence of str, optional
        Cohorts to draw; default every cohort of the table but ``all``.
    programme_start : date, optional
        As in :func:`referrals_its`.
    legend : bool, default True
        Draw the legend.

    Returns
    -------
    matplotlib.axes.Axes

    Notes
    -----
    Reads ``s17_caseload`` (``month_end``, ``cohort``, ``families_on_s17``).
    A suppressed month is a gap in its line with "c" at the foot of the axes.

    Examples
    --------
    >>> import pandas as pd
    >>> class Tables(dict):
    ...     plan = {}
    >>> r = Tables(s17_caseload=pd.DataFrame({
    ...     "month_end": pd.to_datetime(["2021-01-31", "2021-02-28"]),
    ...     "cohort": ["noream", "noream"], "families_on_s17": [7, 9]}))
    >>> s17_caseload(r).get_lines()[0].get_ydata().tolist()
    [7.0, 9.0]
    """
    return _monthly_panel(
        results,
        ax,
        table="s17_caseload",
        when=("month_end", False),
        column="families_on_s17",
        gid="caseload",
        ylabel="Families on s17 at month end",
        cohorts=cohorts,
        programme_start=programme_start,
        legend=legend,
    )


def s17_spend(
    results: Any,
    *,
    ax: Axes | None = None,
    cohorts: Sequence[str] | None = None,
    programme_start: Any = None,
    legend: bool = True,
) -> Axes:
    """Net s17 spend per month, by cohort.

    Parameters
    ----------
    results
        Results (``results[name]``, optional ``flags``).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; default: a new full-width figure.
    cohorts : sequence of str, optional
        Cohorts to draw; default every cohort of the table but ``all``.
    programme_start : date, optional
        As in :func:`referrals_its`.
    legend : bool, default True
        Draw the legend.

    Returns
    -------
    matplotlib.axes.Axes

    Notes
    -----
    Reads ``s17_spend_monthly`` (``month`` as ``YYYY-MM``, drawn at the
    month's middle; ``cohort``; ``net`` in GBP).

    Examples
    --------
    >>> import pandas as pd
    >>> class Tables(dict):
    ...     plan = {}
    >>> r = Tables(s17_spend_monthly=pd.DataFrame({
    ...     "month": ["2021-01", "2021-02"], "cohort": ["comparison"] * 2,
    ...     "net": [1200.0, 1500.0]}))
    >>> s17_spend(r).get_ylabel()
    'Net s17 spend per month'
    """
    ax = _monthly_panel(
        results,
        ax,
        table="s17_spend_monthly",
        when=("month", True),
        column="net",
        gid="spend",
        ylabel="Net s17 spend per month",
        cohorts=cohorts,
        programme_start=programme_start,
        legend=legend,
    )
    ax.yaxis.set_major_formatter(ticker.StrMethodFormatter("£{x:,.0f}"))
    return ax


def s17_caseload_and_spend(
    results: Any,
    *,
    fig: Figure | None = None,
    cohorts: Sequence[str] | None = None,
    programme_start: Any = None,
) -> Figure:
    """Two panels, one above the other: :func:`s17_caseload` and :func:`s17_spend`.

    Parameters
    ----------
    results
        Results (``results[name]``, optional ``flags``).
    fig : matplotlib.figure.Figure, optional
        An empty figure (or subfigure) to draw in; default a new one.
    cohorts, programme_start : optional
        As in :func:`s17_caseload`.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import pandas as pd
    >>> class Tables(dict):
    ...     plan = {}
    >>> r = Tables(
    ...     s17_caseload=pd.DataFrame({"month_end": pd.to_datetime(["2021-01-31"]),
    ...                                "cohort": ["noream"], "families_on_s17": [7]}),
    ...     s17_spend_monthly=pd.DataFrame({"month": ["2021-01"], "cohort": ["noream"],
    ...                                     "net": [900.0]}))
    >>> len(s17_caseload_and_spend(r).axes)
    2
    """
    fig = fig if fig is not None else _new_figure((FULL_WIDTH, 5.0))
    top, bottom = fig.subplots(2, 1, sharex=True)
    s17_caseload(results, ax=top, cohorts=cohorts, programme_start=programme_start)
    s17_spend(results, ax=bottom, cohorts=cohorts, programme_start=programme_start, legend=False)
    top.set_xlabel("")
    bottom.set_xlabel("Month")
    return fig


# --------------------------------------------------------------------------- outcome 3


def _measure(results: Any, tab: _Tab, measure: str | None) -> str:
    have = list(dict.fromkeys(m for m in tab.text("measure") if m))
    if measure is not None:
        if measure not in have:
            raise FigureError(f"no measure {measure!r} in {tab.name!r}; measures: {have}.")
        return measure
    wanted = str(_plan(results).get("wellbeing_instrument", ""))
    if wanted in have:
        return wanted
    if not have:
        raise FigureError(f"the table {tab.name!r} has no rows to draw.")
    return have[0]


def _respondents(tab: _Tab, respondent: str | None) -> list[str]:
    have = list(dict.fromkeys(r for r in tab.text("respondent") if r))
    if respondent is not None:
        return [respondent] if respondent in have else []
    first = [r for r in _RESPONDENT_LABELS if r in have]
    return first + [r for r in have if r not in first]


def _respondent_colour(respondent: str, i: int) -> str:
    spare = [OKABE_ITO[k] for k in ("reddish_purple", "bluish_green", "sky_blue")]
    return _RESPONDENT_COLOURS.get(respondent, spare[i % len(spare)])


def wellbeing_change(
    results: Any,
    *,
    ax: Axes | None = None,
    respondent: str | None = "parent_carer",
    measure: str | None = None,
) -> Axes:
    """Mean wellbeing score at baseline and follow-up, with the spread of scores.

    A slopegraph of the mean of the people with both scores (95% CI), with a
    box plot of each time point's scores beside it, drawn from the aggregate
    table ``wellbeing_paired_summary`` (no per-person score is needed).

    Parameters
    ----------
    results
        Results (``results[name]``, ``results.plan``, optional ``flags``).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; default: a new half-width figure.
    respondent : str or None, default "parent_carer"
        Respondent group to draw; None draws every group side by side.
    measure : str, optional
        Measure to draw; default the plan's ``wellbeing_instrument``.

    Returns
    -------
    matplotlib.axes.Axes

    Notes
    -----
    Reads ``wellbeing_paired_summary`` rows ``baseline`` and ``followup``:
    ``mean`` with ``ci_low``/``ci_high`` (points joined by the slope line,
    labelled with the mean), ``p25``, ``median``, ``p75`` (box) and ``p10``,
    ``p90`` (whiskers), ``n`` (legend). A suppressed mean or box is left out
    and "c" written at the foot of the axes.

    Examples
    --------
    >>> import pandas as pd
    >>> class Tables(dict):
    ...     plan = {"wellbeing_instrument": "swemwbs"}
    >>> row = {"measure": "swemwbs", "respondent": "parent_carer", "n": 30,
    ...        "p10": 15.0, "p25": 17.0, "median": 20.0, "p75": 23.0, "p90": 26.0}
    >>> r = Tables(wellbeing_paired_summary=pd.DataFrame([
    ...     {**row, "timepoint": "baseline", "mean": 20.1, "ci_low": 18.9, "ci_high": 21.3},
    ...     {**row, "timepoint": "followup", "mean": 22.0, "ci_low": 20.7, "ci_high": 23.3}]))
    >>> ax = wellbeing_change(r)
    >>> [t.get_text() for t in ax.get_xticklabels()]
    ['Baseline', 'Follow-up']
    """
    tab = _Tab.of(
        results,
        "wellbeing_paired_summary",
        (
            "measure",
            "respondent",
            "timepoint",
            "n",
            "mean",
            "ci_low",
            "ci_high",
            "p10",
            "p25",
            "median",
            "p75",
            "p90",
        ),
    )
    measure = _measure(results, tab, measure)
    tab = tab.where(tab.equals("measure", measure))
    groups = _respondents(tab, respondent)
    ax = _axes(ax, (FULL_WIDTH / 2, 3.2))
    width = 0.2 / max(len(groups), 1)
    n_hidden = 0
    handles: list[Any] = []
    for i, resp in enumerate(groups):
        colour = _respondent_colour(resp, i)
        dx = (i - (len(groups) - 1) / 2) * 0.12
        sub = tab.where(tab.equals("respondent", resp))
        xs, means, lo, hi = [], [], [], []
        n_text = SUPPRESSED
        for j, tp in enumerate(("baseline", "followup")):
            row = sub.where(sub.equals("timepoint", tp))
            if not len(row):
                continue
            x = j + dx
            mean = row.num("mean")[0]
            xs.append(x)
            means.append(mean)
            lo.append(row.num("ci_low")[0])
            hi.append(row.num("ci_high")[0])
            if row.hidden("mean")[0]:
                n_hidden += _mark_hidden(ax, [x], row=0, colour=colour)
            elif math.isfinite(mean):
                top = hi[-1] if math.isfinite(hi[-1]) else mean
                ax.annotate(
                    f"{mean:.1f}",
                    (x, top),
                    xytext=(0, 3),
                    textcoords="offset points",
                    ha="center",
                    va="bottom",
                    fontsize=8,
                    color=colour,
                    gid=f"mean_label:{resp}:{tp}",
                )
            n_text = _count_text(row.num("n")[0], bool(row.hidden("n")[0]), "n unknown")
            pos = x + (-0.5 if j == 0 else 0.5)
            cols = ("p10", "p25", "median", "p75", "p90")
            q = [row.num(c)[0] for c in cols]
            if all(math.isfinite(v) for v in q):
                drawn = ax.bxp(
                    [
                        {
                            "whislo": q[0],
                            "q1": q[1],
                            "med": q[2],
                            "q3": q[3],
                            "whishi": q[4],
                            "fliers": [],
                        }
                    ],
                    positions=[pos],
                    widths=width,
                    showfliers=False,
                    patch_artist=True,
                    manage_ticks=False,
                    boxprops={"facecolor": colour, "alpha": 0.3, "edgecolor": colour},
                    medianprops={"color": colour, "lw": 1.4},
                    whiskerprops={"color": colour},
                    capprops={"color": colour},
                )
                drawn["boxes"][0].set_gid(f"box:{resp}:{tp}")
            elif any(row.hidden(c)[0] for c in cols):
                n_hidden += _mark_hidden(ax, [pos], row=0, colour=colour)
        m = np.asarray(means, dtype=float)
        yerr = np.vstack([m - np.asarray(lo, dtype=float), np.asarray(hi, dtype=float) - m])
        container = ax.errorbar(
            xs,
            m,
            yerr=yerr,
            fmt="o-",
            color=colour,
            ms=5,
            lw=1.6,
            elinewidth=1.2,
            gid=f"means:{resp}",
            label=f"{_RESPONDENT_LABELS.get(resp, resp)} with both scores (n = {n_text})",
            zorder=3,
        )
        container.lines[0].set_gid(f"means:{resp}")
        handles.append(container)
    if n_hidden:
        handles.append(_c_handle())
    ax.set_xticks([0, 1], ["Baseline", "Follow-up"])
    ax.set_xlim(-0.8, 1.8)
    ax.set_ylabel(_MEASURE_LABELS.get(measure, f"{measure.upper()} score"))
    _legend_above(ax, handles, ncols=1)
    return ax


def reliable_change(
    results: Any,
    *,
    ax: Axes | None = None,
    respondent: str | None = "parent_carer",
    measure: str | None = None,
) -> Axes:
    """Shares with reliable improvement, no reliable change and reliable deterioration.

    Parameters
    ----------
    results
        Results (``results[name]``, ``results.plan``, optional ``flags``).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; default: a new half-width figure.
    respondent : str or None, default "parent_carer"
        Respondent group to draw; None draws every group.
    measure : str, optional
        Measure to draw; default the plan's ``wellbeing_instrument``.

    Returns
    -------
    matplotlib.axes.Axes

    Notes
    -----
    Reads ``wellbeing_reliable_change`` (``measure``, ``respondent``,
    ``category``, ``share`` as bars labelled with the percentage, ``ci_low``,
    ``ci_high`` as whiskers). A suppressed share shows "c" in place of its bar.

    Examples
    --------
    >>> import pandas as pd
    >>> class Tables(dict):
    ...     plan = {}
    >>> r = Tables(wellbeing_reliable_change=pd.DataFrame({
    ...     "measure": ["swemwbs"] * 3, "respondent": ["parent_carer"] * 3,
    ...     "category": ["improved", "no_reliable_change", "deteriorated"],
    ...     "share": [0.25, 0.7, 0.05], "ci_low": [0.1, 0.5, 0.0],
    ...     "ci_high": [0.4, 0.85, 0.2]}))
    >>> [float(p.get_width()) for p in reliable_change(r).patches]
    [0.25, 0.7, 0.05]
    """
    tab = _Tab.of(
        results,
        "wellbeing_reliable_change",
        ("measure", "respondent", "category", "share", "ci_low", "ci_high"),
    )
    measure = _measure(results, tab, measure)
    tab = tab.where(tab.equals("measure", measure))
    groups = _respondents(tab, respondent)
    ax = _axes(ax, (FULL_WIDTH / 2, 2.4))
    y = 0.0
    ticks: list[float] = []
    labels: list[str] = []
    n_hidden = 0
    for resp in groups:
        sub = tab.where(tab.equals("respondent", resp))
        for cat, (label, colour) in _CATEGORIES.items():
            row = sub.where(sub.equals("category", cat))
            if not len(row):
                continue
            share, lo, hi = (row.num(c)[0] for c in ("share", "ci_low", "ci_high"))
            ticks.append(y)
            labels.append(
                label if len(groups) == 1 else f"{_RESPONDENT_LABELS.get(resp, resp)}: {label}"
            )
            if math.isfinite(share):
                ax.barh(y, share, height=0.6, color=colour, lw=0, gid=f"share:{resp}:{cat}")
                end = share
                if math.isfinite(lo) and math.isfinite(hi):
                    ax.errorbar(
                        share,
                        y,
                        xerr=[[share - lo], [hi - share]],
                        fmt="none",
                        ecolor=BLACK,
                        elinewidth=0.9,
                        gid=f"share_ci:{resp}:{cat}",
                    )
                    end = hi
                ax.annotate(
                    f"{share:.0%}",
                    (end, y),
                    xytext=(3, 0),
                    textcoords="offset points",
                    ha="left",
                    va="center",
                    fontsize=8,
                    gid=f"share_label:{resp}:{cat}",
                )
            elif row.hidden("share")[0]:
                n_hidden += 1
                ax.annotate(
                    SUPPRESSED,
                    (0.0, y),
                    xytext=(3, 0),
                    textcoords="offset points",
                    ha="left",
                    va="center",
                    fontsize=8,
                    gid="suppressed",
                )
            y -= 1.0
        y -= 0.5
    ax.set_yticks(ticks, labels)
    if ticks:
        ax.set_ylim(min(ticks) - 0.6, max(ticks) + 0.6)
    ax.set_xlim(0, 1.0)
    _percent_axis(ax.xaxis)
    ax.set_xlabel("Share of people with both scores")
    ax.tick_params(axis="y", length=0)
    ax.spines["left"].set_visible(False)
    if n_hidden:
        _legend_above(ax, [_c_handle()], ncols=1)
    return ax


def wellbeing_panels(
    results: Any,
    *,
    fig: Figure | None = None,
    respondent: str | None = "parent_carer",
    measure: str | None = None,
) -> Figure:
    """Two panels side by side: :func:`wellbeing_change` and :func:`reliable_change`.

    Parameters
    ----------
    results
        Results (``results[name]``, ``results.plan``, optional ``flags``).
    fig : matplotlib.figure.Figure, optional
        An empty figure (or subfigure) to draw in; default a new one.
    respondent, measure : optional
        As in :func:`wellbeing_change`.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import pandas as pd
    >>> class Tables(dict):
    ...     plan = {}
    >>> row = {"measure": "swemwbs", "respondent": "parent_carer", "n": 30, "mean": 20.0,
    ...        "ci_low": 19.0, "ci_high": 21.0, "p10": 15.0, "p25": 17.0, "median": 20.0,
    ...        "p75": 23.0, "p90": 26.0}
    >>> r = Tables(
    ...     wellbeing_paired_summary=pd.DataFrame([{**row, "timepoint": "baseline"},
    ...                                            {**row, "timepoint": "followup"}]),
    ...     wellbeing_reliable_change=pd.DataFrame({
    ...         "measure": ["swemwbs"], "respondent": ["parent_carer"],
    ...         "category": ["improved"], "share": [0.3], "ci_low": [0.2], "ci_high": [0.4]}))
    >>> [ax.get_xlabel() for ax in wellbeing_panels(r).axes]
    ['', 'Share of people with both scores']
    """
    fig = fig if fig is not None else _new_figure((FULL_WIDTH, 3.2))
    left, right = fig.subplots(1, 2, width_ratios=(1.0, 1.25))
    wellbeing_change(results, ax=left, respondent=respondent, measure=measure)
    reliable_change(results, ax=right, respondent=respondent, measure=measure)
    return fig


def _label(mapping: Mapping[str, str], key: str) -> str:
    if key in mapping:
        return mapping[key]
    text = str(key).replace("_", " ")
    return text[:1].upper() + text[1:]


def domain_distance(results: Any, *, ax: Axes | None = None) -> Axes:
    """Mean change on each support domain, baseline to the latest follow-up.

    Parameters
    ----------
    results
        Results (``results[name]``, optional ``flags``).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; default: a new full-width figure.

    Returns
    -------
    matplotlib.axes.Axes

    Notes
    -----
    Reads ``domain_distance`` (``domain``, ``n_families`` in the label,
    ``mean_change`` as a dot, ``ci_low``, ``ci_high`` as whiskers): the
    families' average over domains (``all``) on top, then the domains from
    the largest mean change down. A dashed line marks no change. A suppressed
    mean shows "c".

    Examples
    --------
    >>> import pandas as pd
    >>> class Tables(dict):
    ...     plan = {}
    >>> r = Tables(domain_distance=pd.DataFrame({
    ...     "domain": ["all", "housing", "immigration"], "n_families": [40, 38, 39],
    ...     "mean_change": [0.4, 0.3, 0.6], "ci_low": [0.2, 0.1, 0.3],
    ...     "ci_high": [0.6, 0.5, 0.9]}))
    >>> [t.get_text() for t in domain_distance(r).texts if t.get_gid() == "row_label"]
    ['All domains (n = 40)', 'Immigration (n = 39)', 'Housing (n = 38)']
    """
    tab = _Tab.of(
        results, "domain_distance", ("domain", "n_families", "mean_change", "ci_low", "ci_high")
    )
    ax = _axes(ax, (FULL_WIDTH, 3.2))
    is_all = tab.equals("domain", "all")
    rest = tab.where(~is_all)
    change = rest.num("mean_change")
    order = sorted(range(len(rest)), key=lambda i: (not math.isfinite(change[i]), -change[i]))
    rows = tab.take([*np.flatnonzero(is_all), *np.flatnonzero(~is_all)[order]])
    overall = rows.equals("domain", "all")
    ys = -np.arange(len(rows), dtype=float) - np.where(overall, 0.0, 0.4)
    n = rows.num("n_families")
    n_hidden = rows.hidden("n_families")
    labels = [
        f"{_label(_DOMAIN_LABELS, d)} (n = {_count_text(v, h, '?')})"
        for d, v, h in zip(rows.text("domain"), n, n_hidden, strict=True)
    ]
    est, lo, hi = (rows.num(c) for c in ("mean_change", "ci_low", "ci_high"))
    ok = np.isfinite(est)
    ci = ok & np.isfinite(lo) & np.isfinite(hi)
    colours = np.where(overall, BLACK, COHORT_COLOURS["noream"])
    ax.hlines(ys[ci], lo[ci], hi[ci], colors=list(colours[ci]), lw=1.2, gid="domain_ci")
    for mask, marker, gid in ((overall, "D", "domain_all"), (~overall, "o", "domain_means")):
        ax.scatter(
            est[ok & mask],
            ys[ok & mask],
            s=30,
            marker=marker,
            color=colours[mask][0] if mask.any() else BLACK,
            zorder=3,
            gid=gid,
        )
    for k in np.flatnonzero(~ok & rows.hidden("mean_change")):
        ax.text(0.0, ys[k], SUPPRESSED, ha="center", va="center", fontsize=8, gid="suppressed")
    ax.axvline(0.0, color=NEUTRAL, ls="--", lw=0.8, zorder=0)
    _row_labels(ax, ys, labels, overall)
    ax.set_ylim(ys.min() - 0.6, ys.max() + 0.6)
    ax.set_xlabel("Mean change in domain score, baseline to latest (1 to 5 scale)")
    return ax


# --------------------------------------------------------------------------- outcomes 5 and 6


def snac_agencies(results: Any, *, ax: Axes | None = None, quarterly: bool = True) -> Axes:
    """Agencies and council directorates per multi-agency meeting, over time.

    Parameters
    ----------
    results
        Results (``results[name]``, optional ``flags``).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; default: a new full-width figure.
    quarterly : bool, default True
        Draw the quarterly mean directorates per meeting with its 95% CI
        (``directorates_by_quarter``) when the table is there.

    Returns
    -------
    matplotlib.axes.Axes

    Notes
    -----
    Reads ``meetings_monthly`` (``month``, ``mean_agencies`` and
    ``mean_directorates``: means per SNAC or case consultation with the list
    recorded, drawn at the month's middle; gaps where no meeting was held) and
    ``directorates_by_quarter`` (``quarter``, ``mean_directorates`` as a
    segment across the quarter, ``ci_low``, ``ci_high`` as a bar at its
    middle).

    Examples
    --------
    >>> import pandas as pd
    >>> class Tables(dict):
    ...     plan = {}
    >>> r = Tables(meetings_monthly=pd.DataFrame({
    ...     "month": ["2021-03", "2021-04"], "mean_agencies": [6.0, 3.5],
    ...     "mean_directorates": [2.0, 2.0]}))
    >>> snac_agencies(r).get_lines()[0].get_ydata().tolist()
    [6.0, 3.5]
    """
    mm = _Tab.of(results, "meetings_monthly", ("month", "mean_agencies", "mean_directorates"))
    ax = _axes(ax, (FULL_WIDTH, 3.0))
    x = mm.dates("month", mid_month=True)
    spans = [x]
    n_hidden = 0
    series = (
        ("mean_agencies", "Agencies (monthly mean)", OKABE_ITO["blue"], "o"),
        ("mean_directorates", "Directorates (monthly mean)", OKABE_ITO["orange"], "s"),
    )
    for row, (col, label, colour, marker) in enumerate(series):
        ax.plot(x, mm.num(col), marker=marker, ms=3.5, color=colour, label=label, gid=col)
        n_hidden += _mark_hidden(ax, x[mm.hidden(col)], row=row, colour=colour)
    if quarterly and _has(results, "directorates_by_quarter"):
        columns = ("quarter", "mean_directorates", "ci_low", "ci_high")
        dq = _Tab.of(results, "directorates_by_quarter", columns)
        periods = pd.PeriodIndex(dq.text("quarter"), freq="Q")
        start = mdates.date2num(periods.start_time.to_numpy())
        end = mdates.date2num((periods.end_time + pd.Timedelta(microseconds=1)).to_numpy())
        mid = (start + end) / 2
        spans += [start, end]
        mean, lo, hi = dq.num("mean_directorates"), dq.num("ci_low"), dq.num("ci_high")
        colour = OKABE_ITO["vermillion"]
        ok = np.isfinite(mean)
        ax.hlines(
            mean[ok],
            start[ok],
            end[ok],
            color=colour,
            lw=2.2,
            label="Directorates (quarterly mean, 95% CI)",
            gid="quarterly_mean",
        )
        ci = ok & np.isfinite(lo) & np.isfinite(hi)
        ax.vlines(mid[ci], lo[ci], hi[ci], color=colour, lw=1.0, gid="quarterly_ci")
        n_hidden += _mark_hidden(ax, mid[dq.hidden("mean_directorates")], row=2, colour=colour)
    ax.set_ylabel("Number per meeting")
    ax.set_ylim(bottom=0)
    _date_axis(ax, *spans)
    handles = list(ax.get_legend_handles_labels()[0])
    if n_hidden:
        handles.append(_c_handle())
    _legend_above(ax, handles, ncols=2)
    return ax


def _has(results: Any, name: str) -> bool:
    names = getattr(results, "table_names", None)
    if names is not None and name in names:
        return True
    try:
        results[name]
    except KeyError:
        return False
    return True


# --------------------------------------------------------------------------- summary


@dataclass(frozen=True)
class _Scale:
    key: str
    label: str
    log: bool = False
    percent: bool = False


_SCALES = (
    _Scale("ratio", "Ratio (log scale; 1 = no difference)", log=True),
    _Scale("share_difference", "Difference in shares (percentage points)", percent=True),
    _Scale("standardised", "Standardised mean change (SD units)"),
    _Scale("instrument", "Change in questionnaire score (points)"),
    _Scale("score_1_5", "Change in score on a 1 to 5 scale (points)"),
    _Scale("share", "Share", percent=True),
)


def _scale_of(unit: str, null: float) -> _Scale:
    u = unit.lower()
    if "ratio" in u or null == 1.0:
        return _SCALES[0]
    if "difference in shares" in u:
        return _SCALES[1]
    if "standardised" in u:
        return _SCALES[2]
    if "domain score" in u or "item score" in u:
        return _SCALES[4]
    match = re.match(r"([A-Z][A-Z0-9]+) (metric )?score points", unit)
    if match:
        return _Scale(f"instrument:{match.group(1)}", f"Change in {match.group(1)} score (points)")
    if u.startswith("share"):
        return _SCALES[5]
    return _Scale(f"unit:{unit}", _label({}, unit) or "Estimate")


def _indicator_label(indicator: str, group: str) -> str:
    if indicator in _INDICATOR_LABELS:
        text = _INDICATOR_LABELS[indicator]
    else:
        text = _label({}, indicator)
        for suffix, words in sorted(_MEASURE_SUFFIXES.items(), key=lambda kv: -len(kv[0])):
            if indicator.endswith("_" + suffix):
                text = f"{indicator[: -len(suffix) - 1].upper()} {words}"
                break
    if group in ("", "all"):
        return text
    kind, _, value = group.partition(":")
    if kind == "domain":
        return f"Domain: {_label(_DOMAIN_LABELS, value).lower()}"
    if kind == "respondent":
        detail = _RESPONDENT_LABELS.get(value, value).lower()
    else:
        detail = group.replace(":", " ").replace("_", " ")
    return f"{text} ({detail})"


def _rating_key(rating: str) -> str | None:
    for key in RATING_COLOURS:
        if rating.startswith(key):
            return key
    return None


def _forest_rows(results: Any) -> tuple[_Tab, list[_Scale]]:
    tab = _Tab.of(
        results,
        "evidence_of_promise",
        (
            "indicator",
            "group",
            "prespecified",
            "primary",
            "null_value",
            "estimate",
            "ci_low",
            "ci_high",
            "rating",
        ),
    )
    units: dict[tuple[str, str], str] = {}
    try:
        ind = results["indicators"]
    except KeyError:
        ind = None
    if ind is not None and {"indicator", "group", "unit"} <= set(ind.columns):
        for a, b, u in ind[["indicator", "group", "unit"]].itertuples(index=False):
            units.setdefault((str(a), str(b)), "" if pd.isna(u) else str(u))
    nulls = tab.num("null_value")
    scales = [
        _scale_of(units.get((a, b), ""), float(n))
        for a, b, n in zip(tab.text("indicator"), tab.text("group"), nulls, strict=True)
    ]
    return tab, scales


def _forest_panel(ax: Axes, rows: _Tab, scale: _Scale, *, legend: bool) -> None:
    n = len(rows)
    ys = np.arange(n, dtype=float)[::-1]
    est, lo, hi = (rows.num(c) for c in ("estimate", "ci_low", "ci_high"))
    null = rows.num("null_value")
    keys = [_rating_key(r) for r in rows.text("rating")]
    colours = np.array([RATING_COLOURS.get(k or "", NEUTRAL) for k in keys], dtype=object)
    pre = rows.flag("prespecified")
    bold = rows.flag("primary")
    indicators, groups = rows.text("indicator"), rows.text("group")
    labels = [_indicator_label(a, b) for a, b in zip(indicators, groups, strict=True)]
    ok = np.isfinite(est)
    ci = ok & np.isfinite(lo) & np.isfinite(hi)
    ax.hlines(ys[ci], lo[ci], hi[ci], colors=list(colours[ci]), lw=1.3, gid="forest_ci")
    ax.scatter(
        est[ok],
        ys[ok],
        s=26,
        facecolors=[c if p else "white" for c, p in zip(colours[ok], pre[ok], strict=True)],
        edgecolors=list(colours[ok]),
        linewidths=1.2,
        zorder=3,
        gid="forest_estimates",
    )
    hidden = rows.hidden("estimate")
    for k in np.flatnonzero(~ok):
        ax.text(
            null[k] if math.isfinite(null[k]) else 0.0,
            ys[k],
            SUPPRESSED if hidden[k] else "not estimable",
            ha="center",
            va="center",
            fontsize=8,
            gid="suppressed" if hidden[k] else "not_estimable",
        )
    right = transforms.blended_transform_factory(ax.transAxes, ax.transData)
    for k, rating in enumerate(rows.text("rating")):
        ax.text(
            1.02,
            ys[k],
            _RATING_SHORT.get(keys[k] or "", rating),
            transform=right,
            ha="left",
            va="center",
            fontsize=8,
            color=BLACK,
            gid=f"rating:{indicators[k]}:{groups[k]}",
        )
    ests = [*est[ok], *lo[ci], *hi[ci]]
    nulls = sorted({float(v) for v in rows.num("null_value") if math.isfinite(v)})
    for v in nulls:
        ax.axvline(v, color=NEUTRAL, ls="--", lw=0.8, zorder=0)
    _row_labels(ax, ys, labels, bold)
    ax.set_ylim(-0.7, n - 0.3)
    values = [v for v in ests + nulls if math.isfinite(v)]
    if scale.log:
        ax.set_xscale("log")
        positive = [v for v in values if v > 0]
        if positive:
            low, high = min(positive), max(positive)
            ax.set_xlim(low / 1.25, high * 1.25)
        ax.xaxis.set_major_locator(ticker.LogLocator(base=2.0, numticks=12))
        ax.xaxis.set_major_formatter(ticker.FormatStrFormatter("%g"))
        ax.xaxis.set_minor_locator(ticker.NullLocator())
    elif values:
        low, high = min(values), max(values)
        pad = (high - low) * 0.06 or 0.1
        ax.set_xlim(low - pad, high + pad)
    if scale.percent:
        _percent_axis(ax.xaxis)
    ax.set_xlabel(scale.label)
    if legend:
        ax.legend(
            handles=_forest_handles(),
            loc="lower left",
            bbox_to_anchor=(0.0, 1.02),
            ncols=2,
            borderaxespad=0.0,
            fontsize=8,
            handlelength=1.0,
        )


def _forest_handles() -> list[Any]:
    handles: list[Any] = [
        Line2D([], [], ls="none", marker="o", ms=5, color=BLACK, label="Pre-specified"),
        Line2D(
            [],
            [],
            ls="none",
            marker="o",
            ms=5,
            color=BLACK,
            mfc="white",
            mec=BLACK,
            label="Exploratory",
        ),
    ]
    handles += [Patch(color=c, label=_RATING_SHORT[k], lw=0) for k, c in RATING_COLOURS.items()]
    return handles


def _scale_rank(scale: _Scale) -> int:
    order = ["ratio", "share_difference", "instrument", "standardised", "score_1_5", "share"]
    head = scale.key.split(":", 1)[0]
    return order.index(head) if head in order else len(order)


def _forest_scales(results: Any) -> list[tuple[_Scale, np.ndarray]]:
    tab, scales = _forest_rows(results)
    out: list[tuple[_Scale, np.ndarray]] = []
    seen: dict[str, int] = {}
    for i, s in enumerate(scales):
        if s.key not in seen:
            seen[s.key] = len(out)
            out.append((s, np.zeros(len(tab), dtype=bool)))
        out[seen[s.key]][1][i] = True
    return sorted(out, key=lambda g: _scale_rank(g[0]))


def indicator_forest(
    results: Any,
    *,
    ax: Axes | None = None,
    scale: str | None = None,
) -> Axes:
    """Every rated indicator with its 95% CI and evidence-of-promise rating.

    Indicators are on different scales, so each scale has its own panel:
    ratios on a log axis with no difference at 1, differences in shares,
    standardised mean changes, questionnaire score changes and changes on the
    1 to 5 scales, each with its no-difference line.

    Parameters
    ----------
    results
        Results (``results[name]``, optional ``flags``).
    ax : matplotlib.axes.Axes, optional
        Axes to draw one scale's panel on (give ``scale`` unless the results
        have only one). Without it a new figure gets one panel per scale and
        the top panel is returned (the others are ``ax.figure.axes``).
    scale : str, optional
        Key of the one scale to draw: ``ratio``, ``share_difference``,
        ``standardised``, ``score_1_5``, ``share``, ``instrument:NAME``.

    Returns
    -------
    matplotlib.axes.Axes

    Notes
    -----
    Reads ``evidence_of_promise`` (``indicator``, ``group``, ``estimate``,
    ``ci_low``, ``ci_high``, ``null_value``, ``rating`` as the marker colour
    and the text at the right, ``prespecified`` filled markers, exploratory
    hollow, ``primary`` labels in bold) and the ``unit`` of each row in
    ``indicators``, which decides the scale. A suppressed estimate shows "c".

    Examples
    --------
    >>> import pandas as pd
    >>> class Tables(dict):
    ...     plan = {}
    >>> r = Tables(evidence_of_promise=pd.DataFrame({
    ...     "indicator": ["rereferral_rate_ratio"], "group": ["all"],
    ...     "prespecified": [True], "primary": [True], "null_value": [1.0],
    ...     "estimate": [0.45], "ci_low": [0.26], "ci_high": [0.79],
    ...     "rating": ["Evidence of promise"]}))
    >>> indicator_forest(r).get_xscale()
    'log'
    """
    groups = _forest_scales(results)
    if scale is not None:
        groups = [g for g in groups if g[0].key == scale]
        if not groups:
            raise FigureError(
                f"no indicator is on the scale {scale!r}; scales: "
                f"{[g[0].key for g in _forest_scales(results)]}."
            )
    if not groups:
        raise FigureError("the table 'evidence_of_promise' has no rows to draw.")
    tab, _ = _forest_rows(results)
    if ax is not None:
        if len(groups) > 1:
            raise FigureError(
                "one Axes holds one scale; give scale= one of "
                f"{[g[0].key for g in groups]}, or no ax for every panel."
            )
        _forest_panel(ax, tab.where(groups[0][1]), groups[0][0], legend=True)
        return ax
    fig = _new_figure((FULL_WIDTH, _forest_height(results)))
    _forest_into(fig, results, groups)
    return fig.axes[0]


def _forest_height(results: Any) -> float:
    groups = _forest_scales(results)
    rows = sum(int(m.sum()) for _, m in groups)
    return min(0.8 + 0.19 * rows + 0.6 * len(groups), 9.0)


def _forest_into(fig: Figure, results: Any, groups: list[tuple[_Scale, np.ndarray]]) -> None:
    tab, _ = _forest_rows(results)
    heights = [int(m.sum()) + 2.2 for _, m in groups]
    axes = fig.subplots(len(groups), 1, height_ratios=heights, squeeze=False)[:, 0]
    for (scale, mask), ax in zip(groups, axes, strict=True):
        _forest_panel(ax, tab.where(mask), scale, legend=False)
    fig.legend(
        handles=_forest_handles(),
        loc="outside upper center",
        ncols=4,
        fontsize=8,
        handlelength=1.0,
        columnspacing=1.2,
    )


# --------------------------------------------------------------------------- feasibility


def participant_flow(results: Any, *, ax: Axes | None = None) -> Axes:
    """CONSORT-style flow of families from referral to follow-up.

    Parameters
    ----------
    results
        Results (``results[name]``, optional ``flags``).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on (its axis is turned off); default: a new full-width
        figure.

    Returns
    -------
    matplotlib.axes.Axes

    Notes
    -----
    Reads ``participant_flow`` (``stage``, ``previous``, ``n``, ``note``):
    one box per stage, stages sharing their ``previous`` stage in one box
    (the baseline measures), arrows in stage order. The families referred but
    not enrolled are in a box at the side, by reason, from
    ``not_enrolled_reasons`` (``reason``, ``n``; a ``Total`` row, when
    published, goes in the box's heading) when there. No count is derived:
    differences between stages are not shown. A suppressed ``n``
    shows "c"; a stage not recorded shows "not recorded".

    Examples
    --------
    >>> import pandas as pd
    >>> class Tables(dict):
    ...     plan = {}
    >>> r = Tables(participant_flow=pd.DataFrame({
    ...     "stage": ["referred", "enrolled"], "previous": [None, "referred"],
    ...     "n": [50, 20], "note": ["", ""]}))
    >>> [t.get_text() for t in participant_flow(r).texts if t.get_gid() == "flow_box"]
    ['Families referred\\nn = 50', 'Enrolled\\nn = 20']
    """
    flow = _Tab.of(results, "participant_flow", ("stage", "previous", "n"))
    ax = _axes(ax, (FULL_WIDTH, 6.4))
    ax.set_axis_off()
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    stages = flow.text("stage")
    previous = flow.text("previous")
    notes = flow.text("note") if flow.has("note") else [""] * len(flow)
    n = flow.num("n")
    hidden = flow.hidden("n")
    boxes: list[tuple[list[int], str]] = []
    for i in range(len(flow)):
        if boxes and len(boxes[-1][0]) and previous[i] and previous[i] == previous[boxes[-1][0][0]]:
            boxes[-1][0].append(i)
        else:
            boxes.append(([i], previous[i]))
    texts: list[str] = []
    for members, prev in boxes:
        if len(members) == 1:
            i = members[0]
            lines = [_label(_STAGE_LABELS, stages[i]), f"n = {_count_text(n[i], hidden[i])}"]
            if notes[i]:
                lines += textwrap.wrap(f"({notes[i]})", 44)
        else:
            lines = [_STAGE_GROUPS.get(prev, "")] if _STAGE_GROUPS.get(prev) else []
            for i in members:
                lines.append(
                    f"{_label(_STAGE_LABELS, stages[i])}: n = {_count_text(n[i], hidden[i])}"
                )
                if notes[i]:
                    lines += textwrap.wrap(f"({notes[i]})", 44)
        texts.append("\n".join(lines))
    heights = [t.count("\n") + 1 + 1.2 for t in texts]
    gap = 1.4
    total = sum(heights) + gap * max(len(texts) - 1, 0)
    scale = 0.98 / max(total, 1e-9)
    centre_x = 0.36
    y = 0.99
    artists = []
    centres = []
    for text, h in zip(texts, heights, strict=True):
        cy = y - h * scale / 2
        centres.append(cy)
        artists.append(
            ax.text(
                centre_x,
                cy,
                text,
                ha="center",
                va="center",
                multialignment="center",
                fontsize=8,
                bbox={
                    "boxstyle": "square,pad=0.6",
                    "facecolor": "white",
                    "edgecolor": BLACK,
                    "linewidth": 0.7,
                },
                gid="flow_box",
            )
        )
        y -= (h + gap) * scale
    arrow = {"arrowstyle": "-|>", "color": BLACK, "lw": 0.8, "shrinkA": 6, "shrinkB": 6}
    for a, b in itertools.pairwise(artists):
        ax.annotate(
            "",
            xy=(0.5, 1.0),
            xycoords=b,
            xytext=(0.5, 0.0),
            textcoords=a,
            arrowprops=arrow,
        )
    if _has(results, "not_enrolled_reasons"):
        _not_enrolled_box(ax, results, stages, boxes, centres, centre_x)
    return ax


def _not_enrolled_box(
    ax: Axes,
    results: Any,
    stages: list[str],
    boxes: list[tuple[list[int], str]],
    centres: list[float],
    centre_x: float,
) -> None:
    reasons = _Tab.of(results, "not_enrolled_reasons", ("reason", "n"))
    if not len(reasons):
        return
    where = next((k for k, (m, _) in enumerate(boxes) if stages[m[0]] == "enrolled"), None)
    if not where:
        return
    y = (centres[where - 1] + centres[where]) / 2
    title = "Referred but not enrolled"
    lines = []
    n = reasons.num("n")
    hidden = reasons.hidden("n")
    for reason, v, h in zip(reasons.text("reason"), n, hidden, strict=True):
        if reason.strip().lower() == "total":  # a published total row
            title += f" (n = {_count_text(v, h)})"
        else:
            lines.append(f"{_label(_REASON_LABELS, reason)}: n = {_count_text(v, h)}")
    lines.insert(0, f"{title}, by reason")
    side = ax.text(
        0.80,
        y,
        "\n".join(lines),
        ha="center",
        va="center",
        multialignment="left",
        fontsize=8,
        bbox={
            "boxstyle": "square,pad=0.6",
            "facecolor": "white",
            "edgecolor": BLACK,
            "linewidth": 0.7,
        },
        gid="not_enrolled_box",
    )
    ax.annotate(
        "",
        xy=(0.0, 0.5),
        xycoords=side,
        xytext=(centre_x, y),
        textcoords="data",
        arrowprops={"arrowstyle": "-|>", "color": BLACK, "lw": 0.8, "shrinkA": 0, "shrinkB": 6},
    )


# --------------------------------------------------------------------------- registry


@dataclass(frozen=True)
class FigureSpec:
    """One figure of the report.

    Attributes
    ----------
    name : str
        Registry key and file name.
    title : str
        Short title, for the document's figure heading (not drawn).
    caption : str
        What the figure shows, in plain English.
    alt : str
        Alternative text for documents.
    tables : tuple of str
        Tables the figure reads (the caption's "Source").
    size : tuple of float or callable
        Width and height in inches of the drawing (the caption adds to the
        height), or a function of the results giving them.
    draw : callable
        ``draw(results, fig)`` draws the whole figure into an empty figure.
    """

    name: str
    title: str
    caption: str
    alt: str
    tables: tuple[str, ...]
    size: tuple[float, float] | Callable[[Any], tuple[float, float]]
    draw: Callable[[Any, Figure], Any]

    def size_for(self, results: Any) -> tuple[float, float]:
        """The drawing's size for these results, inches."""
        size = self.size(results) if callable(self.size) else self.size
        return float(size[0]), float(size[1])


def _single(fn: Callable[..., Axes]) -> Callable[[Any, Figure], Any]:
    def draw(results: Any, fig: Figure) -> Any:
        return fn(results, ax=fig.add_subplot())

    return draw


def _draw_forest(results: Any, fig: Figure) -> None:
    _forest_into(fig, results, _forest_scales(results))


_SPECS = (
    FigureSpec(
        "participant_flow",
        "Flow of families through the pilot",
        "Families at each stage from referral to the wellbeing follow-up, and the reasons "
        "recorded for families referred but not enrolled.",
        "Flow diagram of families from referral through eligibility, offer and enrolment to "
        "baseline and follow-up measures, with a side box of reasons for not enrolling.",
        ("participant_flow", "not_enrolled_reasons"),
        (FULL_WIDTH, 6.4),
        _single(participant_flow),
    ),
    FigureSpec(
        "referrals_its",
        "Referrals per month before and after the programme started",
        "Dots: families referred each month. Solid line: the interrupted time series model's "
        "fit. Dashed line and band: the referrals expected had the pre-programme trend "
        "continued, with its 95% confidence interval. Bars: re-referrals each month. Shaded: "
        "periods the model treats as shocks. Dotted line: programme start.",
        "Line chart of monthly referrals with the fitted trend, the expected trend without the "
        "programme after its start, and monthly re-referrals as bars.",
        ("its_referrals_counterfactual", "monthly_referrals"),
        (FULL_WIDTH, 3.6),
        _single(referrals_its),
    ),
    FigureSpec(
        "s17_time_to_escalation",
        "Time from first contact to s17 support, by cohort",
        "Kaplan-Meier estimates of the share of families not yet on s17 support, with 95% "
        "confidence bands, and the number of families still followed up (at risk) under the "
        "axis. A curve stops where its estimate is not published.",
        "Step curves of the share of families not yet on s17 support over the months since "
        "first contact, one per cohort, with numbers at risk.",
        ("s17_escalation_km", "s17_escalation_at_risk"),
        (FULL_WIDTH, 4.0),
        _single(s17_time_to_escalation),
    ),
    FigureSpec(
        "s17_caseload_spend",
        "Families on s17 support and s17 spend, by month",
        "Top: families on s17 support at each month end, by cohort. Bottom: net s17 spend per "
        "month (payments less refunds), by cohort. Dotted line: programme start.",
        "Two line charts over time: families on s17 support at month end and net s17 spend "
        "per month, one line per cohort.",
        ("s17_caseload", "s17_spend_monthly"),
        (FULL_WIDTH, 5.0),
        lambda results, fig: s17_caseload_and_spend(results, fig=fig),
    ),
    FigureSpec(
        "wellbeing",
        "Parent/carers' wellbeing at baseline and follow-up",
        "Left: mean wellbeing score with its 95% confidence interval for the parent/carers with "
        "both scores, with box plots of their scores (box: middle half, line: median, whiskers: "
        "10th to 90th percentile). Right: shares whose change is a reliable improvement, no "
        "reliable change or a reliable deterioration (Jacobson-Truax reliable change index), "
        "with 95% confidence intervals.",
        "Slopegraph of mean wellbeing from baseline to follow-up with box plots, and a bar "
        "chart of the shares with reliable improvement, no reliable change and deterioration.",
        ("wellbeing_paired_summary", "wellbeing_reliable_change"),
        (FULL_WIDTH, 3.2),
        lambda results, fig: wellbeing_panels(results, fig=fig),
    ),
    FigureSpec(
        "domain_distance",
        "Change on the support domains",
        "Mean change in each support domain's score (1 to 5) from baseline to the latest "
        "follow-up, with 95% confidence intervals; top: each family's average over domains. "
        "Right of the dashed line is improvement.",
        "Dot-and-whisker chart of the mean change on each support domain with confidence "
        "intervals, against a line of no change.",
        ("domain_distance",),
        (FULL_WIDTH, 3.2),
        _single(domain_distance),
    ),
    FigureSpec(
        "snac_agencies",
        "Agencies and council directorates at multi-agency meetings",
        "Monthly mean number of agencies and of council directorates per meeting (SNACs and "
        "case consultations with attendance recorded), and the quarterly mean of directorates "
        "per meeting with its 95% confidence interval.",
        "Line chart over time of agencies and council directorates per multi-agency meeting, "
        "with quarterly means of directorates.",
        ("meetings_monthly", "directorates_by_quarter"),
        (FULL_WIDTH, 3.2),
        _single(snac_agencies),
    ),
    FigureSpec(
        "indicator_forest",
        "Indicators with their 95% confidence intervals and ratings",
        "Each rated indicator's estimate and 95% confidence interval, one panel per scale, "
        "with the evidence-of-promise rating at the right. Filled markers: pre-specified; "
        "hollow: exploratory; bold: primary. Dashed line: no difference.",
        "Forest plot of every rated indicator with confidence intervals, grouped by scale, "
        "coloured by evidence-of-promise rating.",
        ("evidence_of_promise", "indicators"),
        lambda results: (FULL_WIDTH, _forest_height(results)),
        _draw_forest,
    ),
)

#: The report's figures in report order, by name.
FIGURES: Mapping[str, FigureSpec] = MappingProxyType({s.name: s for s in _SPECS})

_CAPTION_PT = 8.0
_LINE = 1.3


def _caption_lines(spec: FigureSpec, note: str, width_in: float) -> list[str]:
    body = f"{spec.caption} Source: {', '.join(spec.tables)}."
    if note:
        body += f" {note.strip()}"
    chars = max(int(width_in * 72 / (_CAPTION_PT * 0.58)), 20)
    return textwrap.wrap(body, chars)


def figure(name: str, results: Any, *, note: str = "", caption: bool = True) -> Figure:
    """Build one report figure, in the report theme, with its caption beneath.

    Parameters
    ----------
    name : str
        A key of :data:`FIGURES`.
    results
        Results (``results[name]``, ``results.plan``, optional ``flags``).
    note : str, optional
        Disclosure note appended to the caption.
    caption : bool, default True
        Draw the caption beneath the figure (caption, "Source:" and the
        tables, the note); False for documents that set the caption as text
        (it also saves a third of the drawing time). The title is not drawn:
        documents set it (``FIGURES[name].title``).

    Returns
    -------
    matplotlib.figure.Figure
        A figure with the Agg canvas, not managed by pyplot.

    Raises
    ------
    FigureError
        If ``name`` is not a figure, or a table it needs is missing.

    Examples
    --------
    >>> import pandas as pd
    >>> class Tables(dict):
    ...     plan = {}
    >>> r = Tables(domain_distance=pd.DataFrame({
    ...     "domain": ["all"], "n_families": [40], "mean_change": [0.4],
    ...     "ci_low": [0.2], "ci_high": [0.6]}))
    >>> fig = figure("domain_distance", r, note="Counts of 1 to 5 are not shown.")
    >>> text = " ".join(fig.texts[0].get_text().split())
    >>> text.endswith("Source: domain_distance. Counts of 1 to 5 are not shown.")
    True
    """
    if name not in FIGURES:
        raise FigureError(f"no figure {name!r}; figures: {list(FIGURES)}.")
    spec = FIGURES[name]
    width, height = spec.size_for(results)
    with theme():
        lines = _caption_lines(spec, note, width - 0.1) if caption else []
        cap = len(lines) * _CAPTION_PT * _LINE / 72 + 0.1 if caption else 0.0
        fig = Figure(figsize=(width, height + cap), layout="constrained")
        FigureCanvasAgg(fig)
        if caption:
            frac = cap / (height + cap)
            fig.get_layout_engine().set(rect=(0.0, frac, 1.0, 1.0 - frac))
            fig.text(
                0.05 / width,
                frac - 0.04 / (height + cap),
                "\n".join(lines),
                ha="left",
                va="top",
                fontsize=_CAPTION_PT,
                linespacing=_LINE,
                gid="caption",
            )
        spec.draw(results, fig)
    return fig


def save_figure(fig: Figure, folder: str | Path, name: str, *, close: bool = True) -> dict:
    """Write a figure as ``name.png`` (300 dpi) and ``name.svg``.

    The PNG is drawn with the Agg renderer on a white background; the SVG
    keeps text as text (``svg.fonttype`` "none"). Neither file carries a
    date, so the same figure gives the same files. The layout is computed
    once, for the PNG, and reused for the SVG.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure.
    folder : str or pathlib.Path
        Destination folder (created when missing).
    name : str
        File name without extension: letters, digits, ``_``, ``-``, ``.``.
    close : bool, default True
        Close the figure afterwards (frees its memory; pyplot forgets it).

    Returns
    -------
    dict
        ``{"png": Path, "svg": Path}``.

    Raises
    ------
    OutputError
        If the name is unusable or a file cannot be written.

    Examples
    --------
    >>> import tempfile
    >>> from matplotlib.figure import Figure
    >>> fig = Figure(figsize=(2, 1))
    >>> _ = fig.add_subplot().plot([0, 1])
    >>> with tempfile.TemporaryDirectory() as d:
    ...     paths = save_figure(fig, d, "line")
    ...     sorted(p.name for p in paths.values())
    ['line.png', 'line.svg']
    """
    import matplotlib

    if not re.fullmatch(r"[A-Za-z0-9_.-]+", name) or name.startswith("."):
        raise OutputError(f"figure name {name!r}: use letters, digits, '_', '-' or '.' only.")
    out = Path(folder)
    paths = {"png": out / f"{name}.png", "svg": out / f"{name}.svg"}
    try:
        out.mkdir(parents=True, exist_ok=True)
        with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "noream_eval"}):
            _write_png(fig, paths["png"], dpi=PNG_DPI)
            engine = fig.get_layout_engine()
            if engine is not None:
                fig.set_layout_engine("none")
            try:
                fig.savefig(paths["svg"], format="svg", facecolor="white", metadata={"Date": None})
            finally:
                if engine is not None:
                    fig.set_layout_engine(engine)
    except OSError as err:
        raise OutputError(f"could not write figure {name!r} to {out}: {err}") from err
    finally:
        if close:
            _close(fig)
    return paths


#: Resolution of the PNG files.
PNG_DPI = 300


def _write_png(fig: Figure, path: Path, *, dpi: int) -> None:
    """Draw with Agg at ``dpi`` on white and write an RGB PNG carrying that resolution."""
    canvas, old_dpi, face = fig.canvas, fig.dpi, fig.patch.get_facecolor()
    agg = FigureCanvasAgg(fig)
    try:
        fig.patch.set_facecolor("white")
        fig.dpi = dpi
        agg.draw()
        rgb = np.asarray(agg.buffer_rgba())[:, :, :3]
    finally:
        fig.dpi = old_dpi
        fig.patch.set_facecolor(face)
        fig.set_canvas(canvas)
    path.write_bytes(_png_bytes(rgb, dpi))


def _png_bytes(rgb: np.ndarray, dpi: float) -> bytes:
    """A PNG of an 8-bit RGB image (rows unfiltered, zlib level 3) with its pHYs resolution.

    Unfiltered rows compress well for flat-coloured figures and are quick to
    write; the file holds no time or software chunk.
    """
    import struct
    import zlib

    height, width, _ = rgb.shape
    rows = np.zeros((height, 1 + 3 * width), dtype=np.uint8)  # filter byte 0 on each row
    rows[:, 1:] = rgb.reshape(height, -1)

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(data, zlib.crc32(kind))
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    per_metre = round(dpi / 0.0254)
    return b"".join(
        [
            b"\x89PNG\r\n\x1a\n",
            chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)),
            chunk(b"pHYs", struct.pack(">IIB", per_metre, per_metre, 1)),
            chunk(b"IDAT", zlib.compress(rows.tobytes(), 3)),
            chunk(b"IEND", b""),
        ]
    )


def _close(fig: Figure) -> None:
    """Let go of a figure: pyplot forgets it and its axes and texts are removed."""
    if "matplotlib.pyplot" in sys.modules:
        import matplotlib.pyplot as plt

        plt.close(fig)
    for ax in list(fig.axes):
        fig.delaxes(ax)
    fig.texts.clear()
    fig.legends.clear()
