"""Report figures: the drawn data are the tables' cells, suppressed cells are never drawn."""

from __future__ import annotations

import math
import re
import sys
import warnings
from typing import ClassVar

import matplotlib
import numpy as np
import pandas as pd
import pytest
from matplotlib import colors as mcolors
from matplotlib import dates as mdates
from matplotlib.collections import Collection, LineCollection, PathCollection, PolyCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from matplotlib.text import Text

from noream_eval.errors import FigureError
from noream_eval.reports import figures as F
from noream_eval.reports.theme import COHORT_COLOURS, FULL_WIDTH, PALETTE, RC_PARAMS, theme

# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def results(sample, sample_config):
    """The sample's results under its own config (as `noream-eval metrics` computes them)."""
    from noream_eval.config import load_config
    from noream_eval.metrics import compute_all

    res = compute_all(sample, load_config(sample_config))
    assert res.plan["shocks"] and res.provenance["programme_start"] == "2021-02-01"
    return res


class FakePublished:
    """A disclosure-controlled stand-in for the published results.

    Count cells of 1 to 5 are suppressed ("c", value NaN), with the cells
    derived from them; some further cells are suppressed as a secondary
    suppression would. Per-person tables are not published. ``hidden`` keeps
    every suppressed cell's original value (for the tests only).
    """

    COUNTS: ClassVar[dict[str, tuple[str, ...]]] = {
        "its_referrals_counterfactual": ("observed",),
        "monthly_referrals": ("referrals", "rereferrals", "history_incomplete"),
        "s17_caseload": ("families_on_s17",),
        "s17_escalation_at_risk": ("n_at_risk",),
        "not_enrolled_reasons": ("n",),
    }

    def __init__(self, results) -> None:
        names = {t for spec in F.FIGURES.values() for t in spec.tables}
        self.plan = results.plan
        self.provenance = results.provenance
        self._values: dict[str, pd.DataFrame] = {}
        self._flags: dict[str, pd.DataFrame] = {}
        self.hidden: dict[str, list[tuple[int, str, object]]] = {}
        for name in sorted(names):
            values = results[name].reset_index(drop=True)
            flags = pd.DataFrame("", index=values.index, columns=values.columns, dtype=object)
            flags = flags.mask(values.isna(), "x")
            self._values[name], self._flags[name], self.hidden[name] = values, flags, []
            for col in self.COUNTS.get(name, ()):
                small = pd.to_numeric(values[col], errors="coerce").between(1, 5)
                for row in np.flatnonzero(small.to_numpy(dtype=bool)):
                    self.hide(name, int(row), col)
        self._rules()

    def hide(self, name: str, row: int, col: str) -> None:
        values, flags = self._values[name], self._flags[name]
        if flags.loc[row, col] == "c":
            return
        self.hidden[name].append((row, col, values.loc[row, col]))
        if pd.api.types.is_integer_dtype(values[col]) or pd.api.types.is_bool_dtype(values[col]):
            values[col] = values[col].astype("float64")
        values.loc[row, col] = np.nan
        flags.loc[row, col] = "c"

    def _row(self, name: str, **where) -> int:
        v = self._values[name]
        mask = np.ones(len(v), dtype=bool)
        for col, value in where.items():
            mask &= v[col].astype("string").eq(str(value)).fillna(False).to_numpy(dtype=bool)
        rows = np.flatnonzero(mask)
        assert len(rows), (name, where)
        return int(rows[0])

    def _rules(self) -> None:
        # Shares and means resting on fewer than 6 people.
        wb = self._values["wellbeing_paired_summary"]
        for row in np.flatnonzero(wb["n"].lt(6).to_numpy(dtype=bool)):
            for col in ("n", "mean", "sd", "ci_low", "ci_high", "p10", "p25", "median", "p75"):
                self.hide("wellbeing_paired_summary", int(row), col)
            self.hide("wellbeing_paired_summary", int(row), "p90")
        rc = self._values["wellbeing_reliable_change"]
        for row in np.flatnonzero(rc["n_pairs"].lt(6).to_numpy(dtype=bool)):
            for col in ("n", "share", "ci_low", "ci_high", "n_pairs"):
                self.hide("wellbeing_reliable_change", int(row), col)
        km = self._values["s17_escalation_km"]
        for row in np.flatnonzero(km["n_at_risk"].lt(6).to_numpy(dtype=bool)):
            for col in ("n_at_risk", "survival", "ci_low", "ci_high"):
                self.hide("s17_escalation_km", int(row), col)
        # Secondary suppressions of distinctive values.
        self.hide(
            "s17_escalation_at_risk",
            self._row("s17_escalation_at_risk", cohort="noream", months=3),
            "n_at_risk",
        )
        for col in ("n", "share_of_previous", "share_of_referred"):
            self.hide("participant_flow", self._row("participant_flow", stage="eligible"), col)
        self.hide(
            "not_enrolled_reasons", self._row("not_enrolled_reasons", reason="moved_away"), "n"
        )
        for col in ("mean_change", "ci_low", "ci_high"):
            self.hide("domain_distance", self._row("domain_distance", domain="housing"), col)
        self.hide(
            "domain_distance", self._row("domain_distance", domain="immigration"), "n_families"
        )
        self.hide(
            "meetings_monthly", self._row("meetings_monthly", month="2021-04"), "mean_agencies"
        )
        for col in ("mean_directorates", "ci_low", "ci_high"):
            self.hide(
                "directorates_by_quarter",
                self._row("directorates_by_quarter", quarter="2021Q3"),
                col,
            )
        self.hide(
            "s17_spend_monthly",
            self._row("s17_spend_monthly", month="2020-06", cohort="comparison"),
            "net",
        )
        for col in ("estimate", "ci_low", "ci_high"):
            self.hide(
                "evidence_of_promise",
                self._row("evidence_of_promise", indicator="referrals_its_slope_change"),
                col,
            )

    @property
    def table_names(self) -> tuple[str, ...]:
        return tuple(self._values)

    def __getitem__(self, name: str) -> pd.DataFrame:
        if name not in self._values:
            raise KeyError(name)
        return self._values[name].copy()

    def flags(self, name: str) -> pd.DataFrame:
        return self._flags[name].copy()


@pytest.fixture(scope="module")
def published(results):
    return FakePublished(results)


@pytest.fixture()
def ax():
    fig = Figure(figsize=(FULL_WIDTH, 4.0), layout="constrained")
    return fig.add_subplot()


def _by_gid(ax, gid: str, kind=Line2D):
    found = [a for a in ax.findobj(kind) if a.get_gid() == gid]
    assert found, (gid, kind)
    return found[0]


def _texts(container, gid: str | None = None) -> list[Text]:
    out = [t for t in container.findobj(Text) if t.get_visible() and t.get_text()]
    return [t for t in out if gid is None or t.get_gid() == gid]


def _mid_month(months) -> np.ndarray:
    m = pd.to_datetime(pd.Series(months))
    return mdates.date2num(m.to_numpy()) + m.dt.days_in_month.to_numpy(dtype=float) / 2


# --------------------------------------------------------------------------- registry


def test_registry_lists_every_figure_in_report_order(results):
    assert list(F.FIGURES) == [
        "participant_flow",
        "referrals_its",
        "s17_time_to_escalation",
        "s17_caseload_spend",
        "wellbeing",
        "domain_distance",
        "snac_agencies",
        "indicator_forest",
    ]
    for name, spec in F.FIGURES.items():
        assert spec.name == name and spec.title and spec.caption and spec.alt
        assert all(t in results for t in spec.tables), (name, spec.tables)
        width, height = spec.size_for(results)
        assert width == FULL_WIDTH and 2.0 <= height <= 9.7


@pytest.mark.parametrize("name", list(F.FIGURES))
@pytest.mark.parametrize("which", ["results", "published"])
def test_every_figure_builds_with_its_caption(name, which, request):
    res = request.getfixturevalue(which)
    note = "Counts of 1 to 5 are not shown (c)."
    before = _pyplot_figures()
    fig = F.figure(name, res, note=note)
    assert _pyplot_figures() == before  # not managed by pyplot: nothing to leak
    assert isinstance(fig, Figure) and fig.get_size_inches()[0] == pytest.approx(FULL_WIDTH)
    assert any(a.has_data() or a.texts for a in fig.axes)
    spec = F.FIGURES[name]
    (caption,) = _texts(fig, "caption")
    body = caption.get_text().replace("\n", " ")
    assert body.startswith(spec.caption[:40]) and spec.title not in body
    assert f"Source: {', '.join(spec.tables)}." in body and body.endswith(note)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a layout that does not fit warns
        fig.canvas.draw()
    assert _min_font(fig) >= 8.0


def _pyplot_figures() -> int:
    if "matplotlib.pyplot" not in sys.modules:
        return 0
    import matplotlib.pyplot as plt

    return len(plt.get_fignums())


def _min_font(fig: Figure) -> float:
    return min(t.get_fontsize() for t in _texts(fig))


def test_figure_without_caption_and_unknown_names(results):
    fig = F.figure("domain_distance", results, caption=False)
    assert not _texts(fig, "caption") and not fig.texts
    with pytest.raises(FigureError, match="no figure 'nope'"):
        F.figure("nope", results)


def test_a_missing_table_is_a_plain_error(results):
    class Partial(dict):
        plan: ClassVar[dict] = {}

    with pytest.raises(FigureError, match="no table 'domain_distance'"):
        F.domain_distance(Partial())
    with pytest.raises(FigureError, match="lacks the column"):
        F.domain_distance(Partial(domain_distance=pd.DataFrame({"domain": ["all"]})))


FUNCTIONS = [
    (F.referrals_its, {}),
    (F.s17_time_to_escalation, {}),
    (F.s17_caseload, {}),
    (F.s17_spend, {}),
    (F.wellbeing_change, {}),
    (F.reliable_change, {}),
    (F.domain_distance, {}),
    (F.snac_agencies, {}),
    (F.indicator_forest, {"scale": "ratio"}),
    (F.participant_flow, {}),
]


@pytest.mark.parametrize(("fn", "options"), FUNCTIONS, ids=[f.__name__ for f, _ in FUNCTIONS])
@pytest.mark.parametrize("which", ["results", "published"])
def test_functions_draw_on_the_axes_given(fn, options, which, request, ax):
    res = request.getfixturevalue(which)
    assert fn(res, ax=ax, **options) is ax
    assert len(ax.figure.axes) == 1


@pytest.mark.parametrize(("fn", "options"), FUNCTIONS, ids=[f.__name__ for f, _ in FUNCTIONS])
def test_functions_make_a_figure_without_axes(fn, options, results):
    made = fn(results, **options)
    assert made.figure is not None and made in made.figure.axes
    _close(made.figure)


def _close(fig) -> None:
    if "matplotlib.pyplot" in sys.modules:
        import matplotlib.pyplot as plt

        plt.close(fig)


def test_forest_without_axes_draws_one_panel_per_scale(results):
    top = F.indicator_forest(results)
    panels = top.figure.axes
    assert top is panels[0] and len(panels) == 5
    assert [p.get_xscale() for p in panels] == ["log", "linear", "linear", "linear", "linear"]
    with pytest.raises(FigureError, match="one Axes holds one scale"):
        F.indicator_forest(results, ax=Figure().add_subplot())
    with pytest.raises(FigureError, match="no indicator is on the scale 'nope'"):
        F.indicator_forest(results, scale="nope")
    _close(top.figure)


def test_two_panel_helpers(results):
    fig = F.s17_caseload_and_spend(results, fig=Figure())
    assert [a.get_ylabel() for a in fig.axes] == [
        "Families on s17 at month end",
        "Net s17 spend per month",
    ]
    fig = F.wellbeing_panels(results, fig=Figure())
    assert [a.get_xlabel() for a in fig.axes] == ["", "Share of people with both scores"]


# --------------------------------------------------------------------------- outcome 1


def test_referrals_its_draws_the_table(results, ax):
    F.referrals_its(results, ax=ax)
    cf = results["its_referrals_counterfactual"]
    x = _mid_month(cf["month"])
    obs = _by_gid(ax, "observed")
    np.testing.assert_allclose(obs.get_xdata(), x)
    np.testing.assert_array_equal(obs.get_ydata(), cf["observed"])
    np.testing.assert_allclose(_by_gid(ax, "fitted").get_ydata(), cf["fitted"])
    post = cf["post"].to_numpy(dtype=bool)
    counterfactual = _by_gid(ax, "counterfactual")
    np.testing.assert_allclose(counterfactual.get_xdata(), x[post])
    np.testing.assert_allclose(counterfactual.get_ydata(), cf["counterfactual"][post])
    band = _by_gid(ax, "counterfactual_ci", PolyCollection)
    ys = band.get_paths()[0].vertices[:, 1]
    assert ys.min() == pytest.approx(cf["counterfactual_ci_low"][post].min())
    assert ys.max() == pytest.approx(cf["counterfactual_ci_high"][post].max())
    start = _by_gid(ax, "programme_start")
    assert start.get_xdata()[0] == mdates.date2num(pd.Timestamp("2021-02-01"))
    shock = _by_gid(ax, "shock:covid_lockdown", Rectangle)
    assert shock.get_x() == mdates.date2num(pd.Timestamp("2020-03-01"))
    assert shock.get_x() + shock.get_width() == mdates.date2num(pd.Timestamp("2020-08-01"))
    mr = results["monthly_referrals"]
    mr = mr[mr["cohort"] == "all"]
    (bars,) = ax.containers
    assert [p.get_height() for p in bars] == mr["rereferrals"].tolist()
    assert [p.get_x() + p.get_width() / 2 for p in bars] == pytest.approx(_mid_month(mr["month"]))
    assert "COVID-19 lockdown" in [t.get_text() for t in ax.get_legend().get_texts()]
    assert not _texts(ax, "suppressed")


def test_referrals_its_leaves_out_suppressed_months(published, ax):
    F.referrals_its(published, ax=ax)
    cf, flags = (
        published["its_referrals_counterfactual"],
        published.flags("its_referrals_counterfactual"),
    )
    hidden = flags["observed"].eq("c").to_numpy()
    assert hidden.sum() > 5
    obs = _by_gid(ax, "observed")
    x = _mid_month(cf["month"])
    np.testing.assert_allclose(obs.get_xdata(), x[~hidden])
    assert not set(np.round(x[hidden], 6)) & set(np.round(obs.get_xdata(), 6))
    mr_flags = published.flags("monthly_referrals")
    all_rows = published["monthly_referrals"]["cohort"].eq("all").to_numpy()
    n_hidden = int(hidden.sum() + mr_flags.loc[all_rows, "rereferrals"].eq("c").sum())
    marks = _texts(ax, "suppressed")
    assert len(marks) == n_hidden and {t.get_text() for t in marks} == {"c"}
    heights = [p.get_height() for p in ax.containers[0]]
    assert all(h == 0 or h > 5 for h in heights)
    assert "c: not shown (small number)" in [t.get_text() for t in ax.get_legend().get_texts()]


# --------------------------------------------------------------------------- outcome 2


def test_km_curves_and_numbers_at_risk_are_the_tables(results, ax):
    F.s17_time_to_escalation(results, ax=ax)
    km = results["s17_escalation_km"]
    for cohort in ("noream", "comparison", "not_enrolled"):
        sub = km[km["cohort"] == cohort].sort_values("time", kind="stable")
        line = _by_gid(ax, f"km:{cohort}")
        np.testing.assert_allclose(line.get_ydata(), [1.0, *sub["survival"]])
        np.testing.assert_allclose(line.get_xdata(), [0.0, *(sub["time"] / (365.25 / 12))])
        assert line.get_drawstyle() == "steps-post"
        assert mcolors.same_color(line.get_color(), COHORT_COLOURS[cohort])
    risk = results["s17_escalation_at_risk"]
    for row in risk.itertuples():
        (text,) = _texts(ax, f"at_risk:{row.cohort}:{row.months:g}")
        assert text.get_text() == f"{row.n_at_risk:,}"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0", "3", "6", "9", "12", "18", "24"]


def test_km_curve_stops_at_a_suppressed_estimate(published, ax):
    F.s17_time_to_escalation(published, ax=ax)
    km, flags = published["s17_escalation_km"], published.flags("s17_escalation_km")
    stopped = 0
    for cohort in ("noream", "comparison", "not_enrolled"):
        rows = km["cohort"].eq(cohort).to_numpy()
        sub, f = km[rows], flags[rows]
        order = np.argsort(sub["time"].to_numpy(), kind="stable")
        sub, f = sub.iloc[order], f.iloc[order]
        hidden = f["survival"].eq("c").to_numpy()
        stop = int(np.argmax(hidden)) if hidden.any() else len(sub)
        line = _by_gid(ax, f"km:{cohort}")
        np.testing.assert_allclose(line.get_ydata(), [1.0, *sub["survival"].iloc[:stop]])
        assert np.isfinite(line.get_ydata()).all()
        stopped += bool(hidden.any())
    assert stopped >= 1 and len(_texts(ax, "suppressed")) == stopped
    (c,) = _texts(ax, "at_risk:noream:3")
    assert c.get_text() == "c"


def test_caseload_and_spend_lines(results, published):
    for res in (results, published):
        for fn, table, col in (
            (F.s17_caseload, "s17_caseload", "families_on_s17"),
            (F.s17_spend, "s17_spend_monthly", "net"),
        ):
            ax = fn(res, ax=Figure().add_subplot())
            tab = res[table]
            n_hidden = 0
            for cohort in ("noream", "comparison", "not_enrolled"):
                rows = tab["cohort"].eq(cohort).to_numpy()
                line = _by_gid(ax, f"{'caseload' if fn is F.s17_caseload else 'spend'}:{cohort}")
                np.testing.assert_array_equal(line.get_ydata(), tab.loc[rows, col].astype(float))
                assert mcolors.same_color(line.get_color(), COHORT_COLOURS[cohort])
                if res is published:
                    n_hidden += int(published.flags(table).loc[rows, col].eq("c").sum())
            assert len(_texts(ax, "suppressed")) == n_hidden
            assert not any(line.get_gid() == "caseload:all" for line in ax.lines)
    assert n_hidden == 1  # the one suppressed spend month


# --------------------------------------------------------------------------- outcome 3


def test_wellbeing_change_is_drawn_from_the_aggregate_table(results, ax):
    F.wellbeing_change(results, ax=ax)
    tab = results["wellbeing_paired_summary"]
    rows = tab[tab["respondent"] == "parent_carer"].set_index("timepoint")
    means = _by_gid(ax, "means:parent_carer")
    np.testing.assert_allclose(means.get_ydata(), rows.loc[["baseline", "followup"], "mean"])
    labels = [t.get_text() for t in _texts(ax) if (t.get_gid() or "").startswith("mean_label")]
    assert labels == [f"{v:.1f}" for v in rows.loc[["baseline", "followup"], "mean"]]
    for tp in ("baseline", "followup"):
        box = _by_gid(ax, f"box:parent_carer:{tp}", Patch)
        ys = box.get_path().vertices[:, 1]
        assert ys.min() == pytest.approx(rows.loc[tp, "p25"])
        assert ys.max() == pytest.approx(rows.loc[tp, "p75"])
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == [f"Parent/carers with both scores (n = {rows.loc['baseline', 'n']})"]
    assert "wellbeing_change" not in FakePublished.COUNTS  # the figure never reads per-person rows


def test_wellbeing_figures_suppress_small_groups(published):
    assert "wellbeing_change" not in published.table_names
    ax = F.wellbeing_change(published, ax=Figure().add_subplot(), respondent=None)
    means = _by_gid(ax, "means:child")
    assert np.isnan(means.get_ydata()).all()
    assert len(_texts(ax, "suppressed")) == 4  # two means and two boxes
    assert not [a for a in ax.patches if a.get_gid() == "box:child:baseline"]
    assert "Children with both scores (n = c)" in [
        t.get_text() for t in ax.get_legend().get_texts()
    ]
    ax = F.reliable_change(published, ax=Figure().add_subplot(), respondent=None)
    rc = published["wellbeing_reliable_change"]
    shown = rc[rc["respondent"] == "parent_carer"]
    assert [p.get_width() for p in ax.patches] == pytest.approx(shown["share"].tolist())
    assert len(_texts(ax, "suppressed")) == 3
    labels = [t.get_text() for t in _texts(ax) if (t.get_gid() or "").startswith("share_label")]
    assert labels == [f"{v:.0%}" for v in shown["share"]]


def test_reliable_change_bars_and_intervals(results, ax):
    F.reliable_change(results, ax=ax)
    rc = results["wellbeing_reliable_change"]
    rows = rc[rc["respondent"] == "parent_carer"].set_index("category")
    order = ["improved", "no_reliable_change", "deteriorated"]
    assert [p.get_width() for p in ax.patches] == pytest.approx(rows.loc[order, "share"].tolist())
    assert [t.get_text() for t in ax.get_yticklabels()] == [
        "Reliable improvement",
        "No reliable change",
        "Reliable deterioration",
    ]
    for cat in order:
        ci = _by_gid(ax, f"share_ci:parent_carer:{cat}", LineCollection)
        (seg,) = ci.get_segments()
        assert seg[:, 0].tolist() == pytest.approx(rows.loc[cat, ["ci_low", "ci_high"]].tolist())


def test_domain_distance_points(results, published):
    ax = F.domain_distance(results, ax=Figure().add_subplot())
    dd = results["domain_distance"]
    rest = dd[dd["domain"] != "all"].sort_values("mean_change", ascending=False)
    points = _by_gid(ax, "domain_means", PathCollection).get_offsets()
    np.testing.assert_allclose(points[:, 0], rest["mean_change"])
    overall = _by_gid(ax, "domain_all", PathCollection).get_offsets()
    assert overall[0, 0] == pytest.approx(dd.loc[dd["domain"] == "all", "mean_change"].item())
    labels = [t.get_text() for t in _texts(ax, "row_label")]
    assert labels[0] == f"All domains (n = {dd.loc[dd['domain'] == 'all', 'n_families'].item()})"
    assert labels[1].startswith("Immigration")
    ax = F.domain_distance(published, ax=Figure().add_subplot())
    points = _by_gid(ax, "domain_means", PathCollection).get_offsets()
    housing = dd.loc[dd["domain"] == "housing", "mean_change"].item()
    assert len(points) == len(rest) - 1 and housing not in points[:, 0]
    assert [t.get_text() for t in _texts(ax, "suppressed")] == ["c"]
    labels = [t.get_text() for t in _texts(ax, "row_label")]
    assert "Immigration (n = c)" in labels and labels[-1].startswith("Housing")


# --------------------------------------------------------------------------- outcomes 5, 6


def test_snac_agencies_lines_and_quarters(results, published):
    ax = F.snac_agencies(results, ax=Figure().add_subplot())
    mm = results["meetings_monthly"]
    for col in ("mean_agencies", "mean_directorates"):
        np.testing.assert_array_equal(_by_gid(ax, col).get_ydata(), mm[col])
    dq = results["directorates_by_quarter"]
    segments = _by_gid(ax, "quarterly_mean", LineCollection).get_segments()
    assert [s[0, 1] for s in segments] == pytest.approx(dq["mean_directorates"].tolist())
    ax = F.snac_agencies(published, ax=Figure().add_subplot())
    ag = _by_gid(ax, "mean_agencies").get_ydata()
    assert np.isnan(ag[1]) and mm["mean_agencies"].iloc[1] == 3.5
    segments = _by_gid(ax, "quarterly_mean", LineCollection).get_segments()
    assert len(segments) == len(dq) - 1
    assert len(_texts(ax, "suppressed")) == 2


# --------------------------------------------------------------------------- summary


def test_forest_draws_every_rated_indicator(results):
    top = F.indicator_forest(results)
    eop = results["evidence_of_promise"]
    estimates = np.concatenate(
        [
            _by_gid(a, "forest_estimates", PathCollection).get_offsets()[:, 0]
            for a in top.figure.axes
        ]
    )
    assert sorted(estimates) == pytest.approx(sorted(eop["estimate"]))
    ratings = [
        t.get_text()
        for a in top.figure.axes
        for t in _texts(a)
        if (t.get_gid() or "").startswith("rating:")
    ]
    assert len(ratings) == len(eop) and "Unexpected direction" in ratings
    ratio = top.figure.axes[0]
    assert ratio.get_xscale() == "log"
    labels = _texts(ratio, "row_label")
    bold = [t.get_text() for t in labels if t.get_fontweight() == "bold"]
    assert bold == ["Re-referral rate ratio", "s17 escalation hazard ratio"]
    # pre-specified markers are filled, exploratory hollow
    pts = _by_gid(ratio, "forest_estimates", PathCollection)
    faces = [mcolors.to_hex(c) for c in pts.get_facecolors()]
    assert faces.count("#ffffff") == 2
    _close(top.figure)


def test_forest_shows_c_for_a_suppressed_estimate(published):
    ax = F.indicator_forest(published, ax=Figure().add_subplot(), scale="ratio")
    pts = _by_gid(ax, "forest_estimates", PathCollection).get_offsets()
    assert len(pts) == 3
    assert [t.get_text() for t in _texts(ax, "suppressed")] == ["c"]


def test_flow_boxes_are_the_table(results, published):
    ax = F.participant_flow(results, ax=Figure().add_subplot())
    boxes = [t.get_text() for t in _texts(ax, "flow_box")]
    flow = results["participant_flow"].set_index("stage")
    assert boxes[0] == f"Families referred\nn = {flow.loc['referred', 'n']}"
    assert len(boxes) == 8
    assert "Wellbeing questionnaire: n = 111" in boxes[5] and boxes[5].startswith("Baseline")
    (side,) = _texts(ax, "not_enrolled_box")
    reasons = results["not_enrolled_reasons"]
    for row in reasons.itertuples():
        assert f": n = {row.n}" in side.get_text()
    numbers = {int(n) for t in boxes for n in re.findall(r"n = (\d+)", t)}
    assert numbers == set(flow["n"].astype(int))  # no derived count (e.g. 261 - 226)
    ax = F.participant_flow(published, ax=Figure().add_subplot())
    boxes = [t.get_text() for t in _texts(ax, "flow_box")]
    assert "Eligible\nn = c" in boxes and not any("168" in b for b in boxes)
    (side,) = _texts(ax, "not_enrolled_box")
    assert "Moved away: n = c" in side.get_text()


# --------------------------------------------------------------------------- disclosure


def _forms(value) -> set[str]:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return set()
    if not math.isfinite(v):
        return set()
    out = set()
    if v == int(v):
        out |= {str(int(v)), f"{int(v):,}"}
    else:
        out |= {f"{v:.1f}", f"{v:.2f}"}
    if 0 < abs(v) <= 1 and v != int(v):
        out.add(f"{v:.0%}")
    return out


@pytest.mark.parametrize("name", list(F.FIGURES))
def test_no_text_shows_a_suppressed_number(published, name):
    fig = F.figure(name, published, caption=False)
    fig.canvas.draw()
    tokens = set()
    for ax in fig.axes:
        pieces = list(ax.texts)
        pieces += [
            t
            for t in ax.get_yticklabels() + ax.get_xticklabels()
            if re.search("[A-Za-z]", t.get_text())
        ]
        if ax.get_legend() is not None:
            pieces += ax.get_legend().get_texts()
        for t in pieces:
            tokens |= set(re.findall(r"\d[\d,]*(?:\.\d+)?%?", t.get_text()))
    hidden, shown = set(), set()
    for table in F.FIGURES[name].tables:
        if table not in published.table_names:
            continue
        for _, _, value in published.hidden[table]:
            hidden |= _forms(value)
        values, flags = published[table], published.flags(table)
        for col in values.columns:
            for v, f in zip(values[col], flags[col], strict=True):
                if f == "":
                    shown |= _forms(v)
    distinctive = hidden - shown
    assert not distinctive & tokens
    assert name != "participant_flow" or "168" in distinctive


# --------------------------------------------------------------------------- theme


def _colours(fig: Figure) -> set[str]:
    out: set[str] = set()

    def add(c) -> None:
        for rgba in np.atleast_2d(mcolors.to_rgba_array(c)):
            if rgba[3] > 0:
                out.add(mcolors.to_hex(rgba, keep_alpha=False))

    backgrounds = [fig.patch, *(ax.patch for ax in fig.axes)]
    for a in fig.findobj():
        if not a.get_visible() or any(a is b for b in backgrounds):
            continue
        if isinstance(a, Line2D):
            add(a.get_color())
            for c in (a.get_markerfacecolor(), a.get_markeredgecolor()):
                if not (isinstance(c, str) and c == "none"):
                    add(c)
        elif isinstance(a, Collection):
            add(a.get_facecolor())
            add(a.get_edgecolor())
        elif isinstance(a, Patch):
            if a.get_fill():
                add(a.get_facecolor())
            add(a.get_edgecolor())
        elif isinstance(a, Text) and a.get_text():
            add(a.get_color())
    return out


@pytest.mark.parametrize("name", list(F.FIGURES))
def test_colours_come_from_the_palette(results, published, name):
    allowed = {c.lower() for c in PALETTE} | {"#ffffff"}
    for res in (results, published):
        fig = F.figure(name, res)
        assert _colours(fig) <= allowed, _colours(fig) - allowed


def test_theme_is_scoped():
    before = dict(matplotlib.rcParams)
    with theme():
        assert matplotlib.rcParams["svg.fonttype"] == "none"
        assert matplotlib.rcParams["font.size"] == RC_PARAMS["font.size"] >= 8
    assert dict(matplotlib.rcParams) == before


# --------------------------------------------------------------------------- files


def test_save_figure_writes_png_at_300_dpi_and_svg_with_text(results, tmp_path):
    from PIL import Image

    fig = F.figure("referrals_its", results)
    width, height = fig.get_size_inches()
    paths = F.save_figure(fig, tmp_path / "figs", "referrals_its")
    assert paths == {
        "png": tmp_path / "figs" / "referrals_its.png",
        "svg": tmp_path / "figs" / "referrals_its.svg",
    }
    with Image.open(paths["png"]) as png:
        assert png.info["dpi"] == pytest.approx((300, 300), abs=0.01)
        assert png.size == pytest.approx((width * 300, height * 300), abs=1)
    svg = paths["svg"].read_text("utf-8")
    for text in ("Referrals per month", "Month", "Programme start", "COVID-19 lockdown"):
        assert f">{text}</text>" in svg, text
    assert "<dc:date>" not in svg
    assert not fig.axes  # closed


def test_saved_files_are_reproducible(results, tmp_path):
    a = F.save_figure(F.figure("s17_time_to_escalation", results), tmp_path / "a", "km")
    b = F.save_figure(F.figure("s17_time_to_escalation", results), tmp_path / "b", "km")
    for kind in ("png", "svg"):
        assert a[kind].read_bytes() == b[kind].read_bytes(), kind


def test_a_saved_figure_is_freed(results, tmp_path):
    import gc
    import weakref

    fig = F.figure("s17_caseload_spend", results)
    ref = weakref.ref(fig)
    F.save_figure(fig, tmp_path, "s17")
    del fig
    gc.collect()
    assert ref() is None


def test_flags_are_matched_by_column_name(published):
    class Reordered:
        plan = published.plan
        provenance = published.provenance

        def __getitem__(self, name):
            return published[name]

        def flags(self, name):
            return published.flags(name).iloc[:, ::-1]

    ax = F.domain_distance(Reordered(), ax=Figure().add_subplot())
    assert [t.get_text() for t in _texts(ax, "suppressed")] == ["c"]


def test_save_keeps_the_figure_when_asked(results, tmp_path):
    fig = F.figure("domain_distance", results)
    F.save_figure(fig, tmp_path, "dd", close=False)
    assert fig.axes and fig.get_layout_engine() is not None
    assert fig.dpi == pytest.approx(100)
    from noream_eval.errors import OutputError

    with pytest.raises(OutputError, match="figure name"):
        F.save_figure(fig, tmp_path, "../dd")


def test_every_figure_and_table_is_documented():
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "docs" / "report.md").read_text("utf-8")
    for name, spec in F.FIGURES.items():
        assert f"| `{name}` |" in text, name
        for table in spec.tables:
            assert f"`{table}`" in text, (name, table)
    for fn in F.__all__:
        if fn[0].islower() and fn not in ("figure", "save_figure"):
            assert f"`{fn}`" in text, fn


# --------------------------------------------------------------------------- real disclosure


@pytest.fixture(scope="module")
def controlled(results):
    """The sample's results after the report's own disclosure control."""
    from noream_eval.reports.disclosure import DisclosurePolicy
    from noream_eval.reports.run import published_results

    return published_results(results, DisclosurePolicy())[0]


@pytest.mark.parametrize("name", list(F.FIGURES))
def test_figures_build_from_the_disclosure_controlled_results(controlled, name):
    fig = F.figure(name, controlled, note=controlled.policy.describe())
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # e.g. a layout collapsed by marks off the axis
        fig.canvas.draw()
    for ax in fig.axes:
        for t in _texts(ax, "suppressed"):
            x, _ = t.get_position()
            lo, hi = sorted(ax.get_xlim())
            assert t.get_transform() is not ax.get_xaxis_transform() or lo <= x <= hi


def test_controlled_referrals_and_flow(controlled):
    ax = F.referrals_its(controlled, ax=Figure().add_subplot())
    flags = controlled.flags("its_referrals_counterfactual")
    shown = flags["observed"].eq("").to_numpy()
    assert len(_by_gid(ax, "observed").get_xdata()) == int(shown.sum()) > 0
    ax = F.participant_flow(controlled, ax=Figure().add_subplot())
    (side,) = _texts(ax, "not_enrolled_box")
    reasons = controlled["not_enrolled_reasons"]
    total = reasons.loc[reasons["reason"] == "Total", "n"]
    if len(total):
        assert side.get_text().startswith(f"Referred but not enrolled (n = {total.item()})")
        assert "Total" not in side.get_text()
