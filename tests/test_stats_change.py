"""Tests of noream_eval.stats.change: paired change and reliable change.

Reference values come from published worked examples and from R output, each
quoted with its source next to the test that uses it. Where no published
figure exists, the expected value is computed in the test by an independent
route (the formula by hand, brute-force enumeration, or scipy's noncentral t).
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from scipy import stats

from noream_eval.errors import StatsInputError
from noream_eval.stats._base import RESULT_COLUMNS
from noream_eval.stats.change import (
    RELIABLE_CHANGE_CATEGORIES,
    PairedChange,
    ReliableChange,
    paired_change,
    reliable_change,
)

# Lakens (2013), Front Psychol 4:863, worked example: ten people rate two
# movies. Read here as a change from movie 2 (pre) to movie 1 (post), so the
# change is +1 on average.
MOVIE_1 = [9, 7, 8, 9, 8, 9, 9, 10, 9, 9]
MOVIE_2 = [9, 6, 7, 8, 7, 9, 8, 8, 8, 7]

# R's sleep data (Cushny & Peebles 1905): extra hours of sleep under two drugs.
SLEEP_1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0]
SLEEP_2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4]

# Hollander & Wolfe (1973, p. 29f), the example of R's ?wilcox.test: Hamilton
# depression scale factor IV of 9 patients at the first (x) and second (y) visit.
DEPRESSION_X = [1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.30]
DEPRESSION_Y = [0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29]

# One sample of differences used for R's signed-rank confidence intervals in
# the test suite of JuliaStats/HypothesisTests.jl (test/wilcoxon.jl).
HT_X = [-7.8, -6.9, -4.7, 3.7, 6.5, 8.7, 9.1, 10.1, 10.8, 13.6, 14.4, 16.6, 20.2, 22.4, 23.5]


def _rows(result: PairedChange) -> pd.DataFrame:
    return result.to_frame().set_index("term")


def _paired_from_differences(d) -> PairedChange:
    d = np.asarray(d, dtype=float)
    return paired_change(np.zeros_like(d), d)


# --------------------------------------------------------------------------- published examples


def test_lakens_2013_movie_ratings():
    # Lakens (2013), Frontiers in Psychology 4:863, within-subjects worked example
    # (movie ratings of 10 people): t(9) = 4.74, p = .001, d_z = 1.50 -- as also
    # asserted from the paper in the R package apa (dgromer/apa,
    # tests/testthat/test-t-apa.R: "t(9) = 4.74, p = .001, d = 1.50"); and
    # g_av = 1.08, r = .726 and the ESCI interval for d_av [0.42, 1.80] -- as
    # quoted from the paper in erenozen/opendose engine/tests/test_effectsize.py
    # (TestLakens2013.test_paired). Published figures are rounded, so the
    # tolerance is half a unit in their last digit.
    res = paired_change(MOVIE_2, MOVIE_1)
    rows = _rows(res)
    assert rows.loc["mean_diff", "statistic"] == pytest.approx(4.74, abs=0.005)
    assert rows.loc["mean_diff", "df"] == 9
    assert rows.loc["mean_diff", "p_value"] == pytest.approx(0.001, abs=0.0005)
    assert rows.loc["d_z", "estimate"] == pytest.approx(1.50, abs=0.005)
    assert rows.loc["g_av", "estimate"] == pytest.approx(1.08, abs=0.005)
    assert res.r == pytest.approx(0.726, abs=0.0005)
    # d_av by hand: mean difference 1 over the average of the two SDs.
    sd_1, sd_2 = np.std(MOVIE_1, ddof=1), np.std(MOVIE_2, ddof=1)
    assert res.d_av == pytest.approx(1.0 / ((sd_1 + sd_2) / 2.0), rel=1e-12)
    # ESCI standardises d_av by sqrt((s1^2 + s2^2) / 2); our g_av interval uses
    # Lakens' (s1 + s2) / 2 with the same Algina-Keselman construction, so
    # rescaling by the ratio of the two standardisers must give the published
    # interval.
    rescale = ((sd_1 + sd_2) / 2.0) / math.sqrt((sd_1**2 + sd_2**2) / 2.0)
    assert rows.loc["g_av", "ci_low"] * rescale == pytest.approx(0.42, abs=0.005)
    assert rows.loc["g_av", "ci_high"] * rescale == pytest.approx(1.80, abs=0.005)


def test_paired_t_matches_r_sleep_example():
    # R: t.test(extra ~ group, data = sleep, paired = TRUE) prints
    # "t = -4.0621, df = 9, p-value = 0.002833; 95 percent confidence interval:
    # -2.4598858 -0.7001142; mean of the differences -1.58" (output as printed in
    # Cookbook for R, "Comparing means with a t-test"). R's difference is group 1
    # minus group 2, i.e. post = group 1 and pre = group 2 here.
    rows = _rows(paired_change(SLEEP_2, SLEEP_1))
    m = rows.loc["mean_diff"]
    assert m["estimate"] == pytest.approx(-1.58, abs=1e-12)
    assert m["statistic"] == pytest.approx(-4.0621, abs=5e-5)
    assert m["df"] == 9
    assert m["p_value"] == pytest.approx(0.002833, abs=5e-7)
    assert m["ci_low"] == pytest.approx(-2.4598858, abs=5e-8)
    assert m["ci_high"] == pytest.approx(-0.7001142, abs=5e-8)


def test_paired_t_and_wilcoxon_match_r_with_a_zero_difference():
    # R output recorded in i-kiwamu/StatisticalTests.jl, test/runtests.jl:
    # t.test(x1, x2, paired = TRUE): t = 3.52842907954346, df = 11,
    # p = 0.0047278741207561; wilcox.test(x1, x2, paired = TRUE) (one zero
    # difference, so R uses the normal approximation with continuity
    # correction): V = 62, p = 0.011278190116074.
    x1 = [-2.0, -3.2, 1.2, 5.8, 19.6, 19.9, 28.9, 31.1, 27.9, 21.9, 8.8, 7.5]
    x2 = [-1.8, -2.9, 0.9, 1.5, 11.5, 18.8, 23.9, 24.9, 23.8, 19.4, 8.8, 4.8]
    rows = _rows(paired_change(x2, x1))
    assert rows.loc["mean_diff", "statistic"] == pytest.approx(3.52842907954346, abs=1e-12)
    assert rows.loc["mean_diff", "p_value"] == pytest.approx(0.0047278741207561, abs=1e-14)
    assert rows.loc["wilcoxon", "statistic"] == 62
    assert rows.loc["wilcoxon", "p_value"] == pytest.approx(0.011278190116074, abs=1e-13)
    assert "normal approximation" in rows.loc["wilcoxon", "method"]


def test_wilcoxon_depression_example_matches_r():
    # R's ?wilcox.test example (Hollander & Wolfe 1973, p. 29f):
    # wilcox.test(x, y, paired = TRUE, alternative = "greater") gives V = 40,
    # p-value = 0.01953; the two-sided exact p-value is 0.0390625 (R output
    # recorded in i-kiwamu/StatisticalTests.jl, test/runtests.jl).
    # V is the rank sum of the positive x - y, so pre = y and post = x.
    rows = _rows(paired_change(DEPRESSION_Y, DEPRESSION_X))
    assert rows.loc["wilcoxon", "statistic"] == 40
    assert rows.loc["wilcoxon", "p_value"] == pytest.approx(0.0390625, abs=1e-12)
    assert "exact" in rows.loc["wilcoxon", "method"]
    # In the natural direction (post = second visit) V is 9 * 10 / 2 - 40 = 5.
    rows = _rows(paired_change(DEPRESSION_X, DEPRESSION_Y))
    assert rows.loc["wilcoxon", "statistic"] == 5
    assert rows.loc["wilcoxon", "p_value"] == pytest.approx(0.0390625, abs=1e-12)


def test_wilcoxon_exact_p_value_by_enumeration():
    # Independent check: enumerate all 2^9 sign patterns of the ranks 1..9.
    d = np.subtract(DEPRESSION_Y, DEPRESSION_X)
    v_obs = stats.rankdata(np.abs(d))[d > 0].sum()
    sums = [
        sum(r for r, s in zip(range(1, 10), signs, strict=True) if s)
        for signs in itertools.product([0, 1], repeat=9)
    ]
    p_lower = np.mean(np.array(sums) <= v_obs)
    assert _rows(paired_change(DEPRESSION_X, DEPRESSION_Y)).loc[
        "wilcoxon", "p_value"
    ] == pytest.approx(2 * p_lower, abs=1e-15)


def test_hodges_lehmann_exact_interval_matches_r():
    # R, as recorded in JuliaStats/HypothesisTests.jl test/wilcoxon.jl:
    # wilcox.test(x, conf.int = TRUE, exact = TRUE) -> (3.3, 15.5), estimate 9.675;
    # wilcox.test(x, alternative = "greater") -> p = 0.001678466797, so the
    # two-sided exact p-value is twice that.
    row = _rows(_paired_from_differences(HT_X)).loc["wilcoxon"]
    assert row["estimate"] == pytest.approx(9.675, abs=1e-12)
    assert row["ci_low"] == pytest.approx(3.3, abs=1e-12)
    assert row["ci_high"] == pytest.approx(15.5, abs=1e-12)
    assert row["p_value"] == pytest.approx(2 * 0.001678466797, abs=1e-11)
    # Same source: z = (1.2, 2.3, 3.1, 4.4, 2.8, 3.9, 5.1, 2.2, 3.3, 4.0) - 3,
    # wilcox.test(z, conf.int = TRUE) -> (-0.7, 1.1).
    z = np.array([1.2, 2.3, 3.1, 4.4, 2.8, 3.9, 5.1, 2.2, 3.3, 4.0]) - 3
    row = _rows(_paired_from_differences(z)).loc["wilcoxon"]
    assert row["ci_low"] == pytest.approx(-0.7, abs=1e-12)
    assert row["ci_high"] == pytest.approx(1.1, abs=1e-12)


def test_hodges_lehmann_asymptotic_interval_matches_r():
    # R, as recorded in JuliaStats/HypothesisTests.jl test/wilcoxon.jl:
    # wilcox.test(x, conf.int = TRUE, exact = FALSE) -> (3.05004, 15.50001) and
    # wilcox.test(x, alternative = "greater", exact = FALSE, correct = TRUE)
    # -> p = 0.002938062707 (two-sided: twice that). R drops zero differences
    # before the interval, so adding one zero forces its normal-approximation
    # branch on the same non-zero values. R's root finder stops at tol 1e-4.
    row = _rows(_paired_from_differences([*HT_X, 0.0])).loc["wilcoxon"]
    assert row["ci_low"] == pytest.approx(3.05004, abs=1e-4)
    assert row["ci_high"] == pytest.approx(15.50001, abs=1e-4)
    assert row["estimate"] == pytest.approx(9.675, abs=1e-12)
    assert row["p_value"] == pytest.approx(2 * 0.002938062707, abs=1e-11)
    # Same source, with ties and zeros: wilcox.test(d, conf.int = TRUE,
    # conf.level = 0.9) -> (-0.24999, 0.75005), estimate 0.5.
    d = [0, 0, 0, 0.5, 0.5, 1, -0.5, -1, 1.5, -1.5, 0.5, 0, 1, -0.5, 2, 0, 0.5, -1, 1, 0.5]
    res = paired_change(np.zeros(len(d)), d, conf_level=0.9)
    row = _rows(res).loc["wilcoxon"]
    assert row["ci_low"] == pytest.approx(-0.24999, abs=1e-4)
    assert row["ci_high"] == pytest.approx(0.75005, abs=1e-4)
    assert row["estimate"] == pytest.approx(0.5, abs=1e-12)
    assert any("5 zero difference(s) dropped" in line for line in res.notes())


# --------------------------------------------------------------------------- interval construction


@pytest.mark.parametrize("conf_level", [0.9, 0.95, 0.99])
def test_d_z_interval_inverts_the_noncentral_t(conf_level):
    # The limits must put the observed t at the 1 - alpha/2 and alpha/2
    # quantiles of the noncentral t (Cumming & Finch 2001), checked with
    # scipy.stats.nct.
    res = paired_change(SLEEP_2, SLEEP_1, conf_level=conf_level)
    rows = _rows(res)
    t, n = rows.loc["mean_diff", "statistic"], res.n
    alpha = 1 - conf_level
    lam_lo = rows.loc["d_z", "ci_low"] * math.sqrt(n)
    lam_hi = rows.loc["d_z", "ci_high"] * math.sqrt(n)
    assert stats.nct.cdf(t, n - 1, lam_lo) == pytest.approx(1 - alpha / 2, abs=1e-9)
    assert stats.nct.cdf(t, n - 1, lam_hi) == pytest.approx(alpha / 2, abs=1e-9)


def test_d_z_interval_is_plus_minus_z_over_root_n_when_t_is_zero():
    # P(T <= 0) = Phi(-lambda) for a noncentral t, so at t = 0 the limits are
    # exactly -z and +z, i.e. d_z in (-1.96, 1.96) / sqrt(n).
    res = _paired_from_differences([-2.0, -1.0, 1.0, 2.0])
    row = _rows(res).loc["d_z"]
    z = stats.norm.ppf(0.975)
    assert row["estimate"] == 0
    assert row["ci_low"] == pytest.approx(-z / 2, abs=1e-10)
    assert row["ci_high"] == pytest.approx(z / 2, abs=1e-10)


def test_g_av_by_hand_on_sleep_data():
    # g_av = J * mean_diff / ((s_pre + s_post) / 2), J = 1 - 3 / (4 * 2n - 9)
    # (Lakens 2013); Algina & Keselman (2003) interval = d_z limits * s_D / s_av.
    res = paired_change(SLEEP_2, SLEEP_1)
    rows = _rows(res)
    pre, post = np.array(SLEEP_2), np.array(SLEEP_1)
    d = post - pre
    n = len(d)
    s_av = (pre.std(ddof=1) + post.std(ddof=1)) / 2
    j = 1 - 3 / (4 * 2 * n - 9)
    assert rows.loc["g_av", "estimate"] == pytest.approx(j * d.mean() / s_av, rel=1e-12)
    ratio = d.std(ddof=1) / s_av
    assert rows.loc["g_av", "ci_low"] == pytest.approx(rows.loc["d_z", "ci_low"] * ratio)
    assert rows.loc["g_av", "ci_high"] == pytest.approx(rows.loc["d_z", "ci_high"] * ratio)
    assert res.mean_pre == pytest.approx(pre.mean())
    assert res.sd_post == pytest.approx(post.std(ddof=1))
    assert res.r == pytest.approx(np.corrcoef(pre, post)[0, 1], rel=1e-12)


small_scores = st.lists(st.tuples(st.integers(7, 35), st.integers(7, 35)), min_size=3, max_size=14)


@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(small_scores)
def test_swapping_pre_and_post_mirrors_every_row(pairs):
    pre = np.array([p for p, _ in pairs], dtype=float)
    post = np.array([q for _, q in pairs], dtype=float)
    assume(np.ptp(post - pre) > 0)
    a, b = _rows(paired_change(pre, post)), _rows(paired_change(post, pre))
    for term in ("mean_diff", "d_z", "g_av", "wilcoxon"):
        assert b.loc[term, "estimate"] == pytest.approx(-a.loc[term, "estimate"], abs=1e-9)
        assert b.loc[term, "ci_low"] == pytest.approx(
            -a.loc[term, "ci_high"], abs=1e-8, nan_ok=True
        )
        assert b.loc[term, "ci_high"] == pytest.approx(
            -a.loc[term, "ci_low"], abs=1e-8, nan_ok=True
        )
        assert b.loc[term, "p_value"] == pytest.approx(a.loc[term, "p_value"], abs=1e-12)
        if term != "g_av" and not math.isnan(a.loc[term, "ci_low"]):
            assert a.loc[term, "ci_low"] <= a.loc[term, "estimate"] <= a.loc[term, "ci_high"]


# --------------------------------------------------------------------------- missing data and input


def test_missing_pairs_are_dropped_and_counted():
    pre = pd.Series([9, 6, 7, None, 8, 7, 9, 8, 8, 8, 7, 5], dtype="Float64")
    post = pd.Series([9, 7, 8, 9, 9, 8, 9, 9, 10, 9, 9, None], dtype="Float64")
    res = paired_change(pre, post)
    assert res.n == 10
    assert res.n_dropped == 2
    full = paired_change(MOVIE_2, MOVIE_1).to_frame()
    got = res.to_frame()
    assert (got["n_dropped"] == 2).all()
    assert (got["n"] == 10).all()
    pd.testing.assert_frame_equal(
        got.drop(columns="n_dropped"), full.drop(columns="n_dropped"), check_exact=False
    )
    assert "2 pair(s) dropped" in res.summary()


def test_series_with_different_indexes_are_refused():
    pre = pd.Series([1.0, 2.0, 3.0], index=["a", "b", "c"])
    post = pd.Series([1.0, 2.0, 4.0], index=["a", "b", "d"])
    with pytest.raises(StatsInputError, match="different indexes"):
        paired_change(pre, post)
    with pytest.raises(StatsInputError, match="different indexes"):
        reliable_change(pre, post, reliability=0.8)


@pytest.mark.parametrize(
    ("pre", "post", "match"),
    [
        ([1.0], [2.0], "at least 2 complete pairs"),
        ([1.0, np.nan, 3.0], [2.0, 3.0, np.nan], "at least 2 complete pairs"),
        ([1.0, 2.0, 3.0], [1.0, 2.0], "pre has 3 values and post has 2"),
        ([1.0, np.inf, 3.0], [1.0, 2.0, 3.0], "infinite"),
        (["a", "b"], [1.0, 2.0], "numeric"),
    ],
)
def test_paired_change_refuses_bad_input(pre, post, match):
    with pytest.raises(StatsInputError, match=match):
        paired_change(pre, post)


@pytest.mark.parametrize("level", [0, 1, 1.5, -0.1, "high", True])
def test_conf_level_is_checked(level):
    with pytest.raises(StatsInputError, match="conf_level"):
        paired_change(MOVIE_2, MOVIE_1, conf_level=level)


# --------------------------------------------------------------------------- degenerate data


def test_all_differences_zero_gives_the_documented_result():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = paired_change([1, 2, 3, 4, 5], [1, 2, 3, 4, 5])
    rows = _rows(res)
    m = rows.loc["mean_diff"]
    assert (m["estimate"], m["ci_low"], m["ci_high"]) == (0.0, 0.0, 0.0)
    assert rows["p_value"].isna().all()
    assert rows.loc["d_z", ["estimate", "ci_low", "ci_high"]].isna().all()
    # The scores vary, so g_av is a defined 0, without an interval.
    assert rows.loc["g_av", "estimate"] == 0.0
    assert rows.loc["g_av", ["ci_low", "ci_high"]].isna().all()
    assert rows.loc["wilcoxon", "estimate"] == 0.0
    assert any("no variation" in line for line in res.notes())


def test_constant_shift_gives_zero_width_mean_interval_and_no_d_z():
    pre = np.array([10.0, 12.0, 15.0, 11.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        rows = _rows(paired_change(pre, pre + 2))
    assert rows.loc["mean_diff", ["estimate", "ci_low", "ci_high"]].tolist() == [2.0, 2.0, 2.0]
    assert math.isnan(rows.loc["d_z", "estimate"])
    j = 1 - 3 / (4 * 2 * 4 - 9)
    assert rows.loc["g_av", "estimate"] == pytest.approx(j * 2 / pre.std(ddof=1))
    assert rows.loc["wilcoxon", "estimate"] == 2.0


def test_identical_baseline_scores():
    post = np.array([3.0, 5.0, 4.0, 6.0, 5.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = paired_change([4, 4, 4, 4, 4], post)
    assert math.isnan(res.r)
    assert res.sd_pre == 0
    assert res.d_av == pytest.approx((post.mean() - 4) / (post.std(ddof=1) / 2), rel=1e-12)
    rows = _rows(res)
    assert rows.loc["d_z", "estimate"] == pytest.approx(
        (post - 4).mean() / (post - 4).std(ddof=1), rel=1e-12
    )
    assert rows[["ci_low", "ci_high"]].notna().all().all()
    assert any("baseline scores are all equal" in line for line in res.notes())


def test_no_scores_vary_gives_nan_g_av():
    rows = _rows(paired_change([3, 3, 3], [3, 3, 3]))
    assert math.isnan(rows.loc["g_av", "estimate"])


def test_two_pairs_work_and_say_the_exact_interval_level_is_not_reachable():
    res = paired_change([1.0, 2.0], [2.0, 4.5])
    rows = _rows(res)
    assert res.n == 2
    assert rows.loc["wilcoxon", "ci_low"] == 1.0
    assert rows.loc["wilcoxon", "ci_high"] == 2.5
    assert any("cannot reach 0.95 confidence" in line for line in res.notes())


# --------------------------------------------------------------------------- result contract


def test_paired_change_result_contract(capsys):
    res = paired_change(MOVIE_2, MOVIE_1)
    df = res.to_frame()
    assert list(df.columns[: len(RESULT_COLUMNS)]) == list(RESULT_COLUMNS)
    assert {"statistic", "df", "n_dropped"} <= set(df.columns)
    assert df["term"].tolist() == ["mean_diff", "d_z", "g_av", "wilcoxon"]
    assert df["n"].dtype == "Int64"
    for col in ("estimate", "ci_low", "ci_high", "p_value", "statistic", "df"):
        assert df[col].dtype == "float64"
    assert all(c == c.lower() and " " not in c for c in df.columns)
    text = res.summary()
    assert text.startswith("Paired change")
    assert "r(pre, post)" in text
    assert "<table" in res._repr_html_()
    assert repr(res) == text
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.n = 3  # type: ignore[misc]
    df.loc[0, "estimate"] = 99.0
    assert res.to_frame().loc[0, "estimate"] == 1.0
    assert capsys.readouterr() == ("", "")


def test_importing_the_module_does_not_import_heavy_libraries():
    code = (
        "import sys, noream_eval.stats.change; "
        "print(any(m in sys.modules for m in ('statsmodels', 'matplotlib')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "False"


# --------------------------------------------------------------------------- reliable change


def test_jacobson_truax_1991_example_threshold():
    # Inputs SD = 7.5 and reliability .80: the values C. Evans's R package CECPfuns
    # documents as the Jacobson & Truax (1991) example ("getRCIfromSDandAlpha(7.5,
    # .8, conf = 0.95) # from Jacobson & Truax (1991)", R/getRCIfromSDandAlpha.R).
    # Expected values by the formulas of Jacobson & Truax (1991), evaluated here:
    # SE = SD * sqrt(1 - r), S_diff = sqrt(2 * SE^2), threshold = 1.96 * S_diff.
    rc = reliable_change([50.0, 60.0], [70.0, 61.0], reliability=0.80, sd=7.5)
    se = 7.5 * math.sqrt(1 - 0.80)
    s_diff = math.sqrt(2 * se**2)
    assert rc.sem == pytest.approx(se, rel=1e-12)
    assert rc.s_diff == pytest.approx(s_diff, rel=1e-12)
    assert rc.threshold == pytest.approx(1.96 * s_diff, rel=1e-12)
    assert rc.sd_source == "supplied"
    frame = rc.per_person()
    assert frame["rci"].tolist() == pytest.approx([20 / s_diff, 1 / s_diff], rel=1e-12)
    assert frame["category"].tolist() == ["improved", "no_reliable_change"]


def test_swemwbs_meaningful_change_is_about_three_points():
    # SWEMWBS user guidance (Warwick Medical School): a change of about 3 points
    # (2.77 x SEM, SEM ~ 1.03) is statistically meaningful. The threshold 1.96 * sqrt(2) * SEM
    # is 2.77 * SEM to the two decimals quoted (tolerance: half a unit of the
    # 2.77 factor times SEM).
    reliability = 0.84
    sd = 1.03 / math.sqrt(1 - reliability)
    rc = reliable_change([20.0, 21.0, 23.0], [23.0, 21.0, 19.0], reliability=reliability, sd=sd)
    assert rc.sem == pytest.approx(1.03, rel=1e-12)
    assert rc.threshold == pytest.approx(2.77 * 1.03, abs=0.005 * 1.03)
    assert round(rc.threshold) == 3
    assert rc.per_person()["category"].tolist() == [
        "improved",
        "no_reliable_change",
        "deteriorated",
    ]


def _wilson(k: int, n: int, z: float) -> tuple[float, float]:
    # Wilson (1927) score interval in closed form, as written by Newcombe (1998,
    # Stat Med 17:857, method 3).
    p = k / n
    centre = 2 * n * p + z**2
    half = z * math.sqrt(z**2 + 4 * n * p * (1 - p))
    return (centre - half) / (2 * (n + z**2)), (centre + half) / (2 * (n + z**2))


def test_jacobson_truax_table_2_data_with_estimated_sd():
    # Dyadic Adjustment Scale scores of 30 couples before and after therapy,
    # Jacobson & Truax (1991) Table 2, as transcribed in the JTRCI R package
    # (AWKruijt/JT-RCI, data/J&T 1991 table2 DAS data.csv; higher is better), with
    # the reliability .84 that package's README uses for these data. The SD
    # defaults to the baseline SD; every figure is recomputed here by hand.
    pre = [
        90.5,
        74,
        97,
        73.5,
        61,
        66.5,
        68.5,
        86.5,
        88.5,
        68.5,
        98,
        80.5,
        89.5,
        91.5,
        83.5,
        60.5,
        83,
        88,
        98.5,
        78.5,
        99.5,
        79.5,
        84.5,
        92.5,
        93,
        85,
        64,
        61,
        80,
        82.5,
    ]
    post = [
        97,
        124,
        97.5,
        88,
        96.5,
        62.5,
        112.5,
        103.5,
        90,
        82.5,
        105,
        99.5,
        112.5,
        101,
        99.5,
        79.5,
        88,
        100.5,
        119,
        116,
        116,
        129,
        113,
        118,
        92,
        114,
        68,
        52,
        60.5,
        104.5,
    ]
    rc = reliable_change(pre, post, reliability=0.84)
    sd = np.std(pre, ddof=1)
    s_diff = math.sqrt(2) * sd * math.sqrt(1 - 0.84)
    assert rc.sd == pytest.approx(sd, rel=1e-12)
    assert rc.sd_source == "estimated"
    assert rc.s_diff == pytest.approx(s_diff, rel=1e-12)
    change = np.subtract(post, pre)
    expected = np.where(
        change / s_diff > 1.96,
        "improved",
        np.where(change / s_diff < -1.96, "deteriorated", "no_reliable_change"),
    )
    assert rc.per_person()["category"].astype(str).tolist() == expected.tolist()
    shares = rc.to_frame()
    assert shares["term"].tolist() == list(RELIABLE_CHANGE_CATEGORIES)
    assert shares["k"].sum() == 30
    assert (shares["n"] == 30).all()
    z = stats.norm.ppf(0.975)
    for row in shares.itertuples(index=False):
        k = int((expected == row.term).sum())
        assert row.k == k
        assert row.estimate == pytest.approx(k / 30)
        lo, hi = _wilson(k, 30, z)
        assert row.ci_low == pytest.approx(lo, abs=1e-12)
        assert row.ci_high == pytest.approx(hi, abs=1e-12)


def test_lower_is_better_flips_the_direction():
    pre, post = [30.0, 30.0, 30.0], [20.0, 30.0, 40.0]
    up = reliable_change(pre, post, reliability=0.9, sd=5.0).per_person()["category"]
    down = reliable_change(pre, post, reliability=0.9, sd=5.0, higher_is_better=False)
    assert up.tolist() == ["deteriorated", "no_reliable_change", "improved"]
    assert down.per_person()["category"].tolist() == [
        "improved",
        "no_reliable_change",
        "deteriorated",
    ]
    assert "lower scores are better" in down.summary()


def test_change_at_the_threshold_is_not_reliable():
    rc = reliable_change([0.0, 0.0], [1.0, 1.0], reliability=0.5, sd=1.0)
    t = rc.threshold
    frame = reliable_change(
        [0.0, 0.0, 0.0],
        [t * (1 - 1e-9), t * (1 + 1e-9), -t * (1 + 1e-9)],
        reliability=0.5,
        sd=1.0,
    ).per_person()
    assert frame["category"].tolist() == ["no_reliable_change", "improved", "deteriorated"]


def test_rows_with_missing_scores_are_kept_but_not_classified():
    pre = pd.Series([20.0, 22.0, None, 25.0, 30.0], index=[101, 102, 103, 104, 105])
    post = pd.Series([26.0, 21.0, 24.0, 26.0, None], index=[101, 102, 103, 104, 105])
    rc = reliable_change(pre, post, reliability=0.9)
    frame = rc.per_person()
    assert frame.index.tolist() == [101, 102, 103, 104, 105]
    assert list(frame.columns) == ["pre", "post", "change", "rci", "category"]
    assert frame.loc[[103, 105], ["change", "rci"]].isna().all().all()
    assert frame.loc[[103, 105], "category"].isna().all()
    assert rc.n == 3
    assert rc.n_dropped == 2
    # The SD comes from the baseline scores of the complete pairs only (not 30.0).
    assert rc.sd == pytest.approx(np.std([20.0, 22.0, 25.0], ddof=1))
    shares = rc.to_frame()
    assert shares["k"].sum() == 3
    assert list(shares.columns[: len(RESULT_COLUMNS)]) == list(RESULT_COLUMNS)
    assert list(shares.columns[len(RESULT_COLUMNS) :]) == ["k", "conf_level", "n_dropped"]
    assert (shares["n"] == 3).all()
    assert (shares["n_dropped"] == 2).all()
    assert shares["p_value"].isna().all()
    assert "2 row(s) lacked pre or post" in rc.summary()


def test_reliable_change_summary_shows_shares_not_people(capsys):
    rc = reliable_change([11.0, 12.0, 13.0], [17.0, 12.5, 13.0], reliability=0.8)
    text = rc.summary()
    assert text.startswith("Reliable change")
    assert "improved" in text
    assert "12.5" not in text  # no individual scores
    assert "<table" in rc._repr_html_()
    assert repr(rc) == text
    assert isinstance(rc, ReliableChange)
    with pytest.raises(dataclasses.FrozenInstanceError):
        rc.sd = 2.0  # type: ignore[misc]
    assert capsys.readouterr() == ("", "")


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"reliability": 0.0}, "strictly between 0 and 1"),
        ({"reliability": 1.0}, "strictly between 0 and 1"),
        ({"reliability": 1.2}, "strictly between 0 and 1"),
        ({"reliability": -0.3}, "strictly between 0 and 1"),
        ({"reliability": float("nan")}, "strictly between 0 and 1"),
        ({"reliability": True}, "reliability must be a number"),
        ({"reliability": "high"}, "reliability must be a number"),
        ({"reliability": 0.8, "sd": 0.0}, "sd must be a positive"),
        ({"reliability": 0.8, "sd": -2.0}, "sd must be a positive"),
        ({"reliability": 0.8, "sd": float("inf")}, "sd must be a positive"),
        ({"reliability": 0.8, "higher_is_better": "yes"}, "higher_is_better"),
    ],
)
def test_reliable_change_refuses_bad_parameters(kwargs, match):
    with pytest.raises(StatsInputError, match=match):
        reliable_change([10.0, 12.0, 14.0], [11.0, 15.0, 9.0], **kwargs)


def test_reliable_change_needs_data_to_estimate_the_sd():
    with pytest.raises(StatsInputError, match="at least 2 complete pairs"):
        reliable_change([10.0, None], [12.0, 13.0], reliability=0.8)
    with pytest.raises(StatsInputError, match="all equal"):
        reliable_change([10.0, 10.0, 10.0], [12.0, 13.0, 9.0], reliability=0.8)
    with pytest.raises(StatsInputError, match="no complete pair"):
        reliable_change([None, 10.0], [12.0, None], reliability=0.8, sd=3.0)
    # With sd supplied, one complete pair is enough.
    rc = reliable_change([10.0, None], [20.0, 13.0], reliability=0.8, sd=3.0)
    assert rc.per_person()["category"].tolist()[0] == "improved"


def test_paired_change_takes_column_names_with_data():
    df = pd.DataFrame({"before": MOVIE_2, "after": MOVIE_1})
    df.loc[3, "after"] = np.nan
    by_name = paired_change("before", "after", data=df)
    by_value = paired_change(df["before"], df["after"])
    pd.testing.assert_frame_equal(by_name.to_frame(), by_value.to_frame())
    assert (by_name.n, by_name.n_dropped) == (9, 1)
    with pytest.raises(StatsInputError, match="'follow_up' \\(given as post\\) is not in the data"):
        paired_change("before", "follow_up", data=df)


def test_reliable_change_takes_column_names_with_data():
    df = pd.DataFrame(
        {"pre": [20.0, 22.0, 18.0, 25.0, None], "post": [26.0, 21.0, 14.0, 26.0, 24.0]},
        index=["a", "b", "c", "d", "e"],
    )
    by_name = reliable_change("pre", "post", reliability=0.9, sd=3.0, data=df)
    by_value = reliable_change(df["pre"], df["post"], reliability=0.9, sd=3.0)
    pd.testing.assert_frame_equal(by_name.to_frame(), by_value.to_frame())
    pd.testing.assert_frame_equal(by_name.per_person(), by_value.per_person())
    assert by_name.per_person().index.tolist() == ["a", "b", "c", "d", "e"]
    with pytest.raises(StatsInputError, match="available columns: 'pre', 'post'"):
        reliable_change("pre", "score", reliability=0.9, data=df)


def test_reliable_change_conf_level_sets_the_share_intervals():
    pre = [20.0, 22.0, 18.0, 25.0, 19.0, 30.0]
    post = [26.0, 21.0, 14.0, 26.0, 28.0, 31.0]
    rc = reliable_change(pre, post, reliability=0.9, sd=3.0, conf_level=0.8)
    frame = rc.to_frame()
    z = stats.norm.ppf(0.9)
    for row in frame.itertuples(index=False):
        lo, hi = _wilson(row.k, 6, z)
        assert (row.ci_low, row.ci_high) == pytest.approx((lo, hi), abs=1e-12)
    assert (frame["conf_level"] == 0.8).all() and "80%" in frame["method"].iloc[0]
    with pytest.raises(StatsInputError, match="conf_level"):
        reliable_change(pre, post, reliability=0.9, conf_level=1.5)


def test_per_person_is_a_copy():
    rc = reliable_change([20.0, 22.0], [26.0, 21.0], reliability=0.9, sd=3.0)
    people = rc.per_person()
    people.loc[0, "rci"] = 99.0
    assert rc.per_person().loc[0, "rci"] != 99.0
    assert not hasattr(rc, "shares") and not hasattr(rc, "counts")


# --------------------------------------------------------------------------- coverage (slow)

COVERAGE_SEED = 20240611
COVERAGE_REPS = 2000


@pytest.fixture(scope="module")
def paired_coverage():
    """Share of 95% intervals covering the truth: n = 30 pairs, r = 0.5, unit SDs.

    The true mean change is 0.5, so delta_z = 0.5 / sqrt(2 - 2r) = 0.5,
    delta_av = 0.5 / 1 = 0.5, and the pseudomedian of the (normal, symmetric)
    differences is 0.5.
    """
    rng = np.random.default_rng(COVERAGE_SEED)
    cov = [[1.0, 0.5], [0.5, 1.0]]
    hits = dict.fromkeys(("mean_diff", "d_z", "g_av", "wilcoxon"), 0)
    for _ in range(COVERAGE_REPS):
        scores = rng.multivariate_normal([0.0, 0.5], cov, size=30)
        rows = _rows(paired_change(scores[:, 0], scores[:, 1]))
        for term in hits:
            hits[term] += bool(rows.loc[term, "ci_low"] <= 0.5 <= rows.loc[term, "ci_high"])
    return {term: k / COVERAGE_REPS for term, k in hits.items()}


@pytest.mark.slow
@pytest.mark.parametrize("term", ["mean_diff", "d_z", "g_av", "wilcoxon"])
def test_paired_interval_coverage(paired_coverage, term):
    assert 0.93 <= paired_coverage[term] <= 0.97


@pytest.mark.slow
def test_reliable_change_share_interval_coverage():
    # Each person's change is N(1, 3^2) and S_diff is fixed (sd supplied), so
    # "improved" is Bernoulli with p = P(change > threshold), known exactly.
    rng = np.random.default_rng(COVERAGE_SEED + 1)
    rel, sd, n = 0.8, 4.0, 30
    threshold = 1.96 * math.sqrt(2) * sd * math.sqrt(1 - rel)
    p_true = stats.norm.sf(threshold, loc=1.0, scale=3.0)
    hits = 0
    for _ in range(COVERAGE_REPS):
        pre = rng.normal(20.0, 4.0, size=n)
        post = pre + rng.normal(1.0, 3.0, size=n)
        row = reliable_change(pre, post, reliability=rel, sd=sd).to_frame().iloc[0]
        hits += bool(row.ci_low <= p_true <= row.ci_high)
    assert 0.93 <= hits / COVERAGE_REPS <= 0.97


def test_effect_size_limit_beyond_the_noncentral_t_tail_is_missing_not_an_error():
    # Two pairs, t = -7 on 1 df: scipy's noncentral t CDF is NaN far in the tail, so
    # the upper limit cannot be computed; found by a hypothesis test of the staff survey.
    res = paired_change([1.75, 2.0], [1.0, 1.0]).to_frame().set_index("term")
    assert res.loc["d_z", "estimate"] == pytest.approx(-4.949747, rel=1e-6)
    assert np.isfinite(res.loc["d_z", "ci_low"]) and np.isnan(res.loc["d_z", "ci_high"])
    assert res.loc["mean_diff", "ci_low"] < -0.875 < res.loc["mean_diff", "ci_high"]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.integers(-6, 6), min_size=1, max_size=60),
    st.sampled_from([1.0, 2.0, 3.0]),
    st.floats(-4, 4, allow_nan=False),
)
def test_signed_rank_z_ranks_as_scipy_does(values, scale, shift):
    # The interval search evaluates z many times, so it ranks per tie group; the ranks
    # must be exactly scipy's average ranks (here with many ties and zeros).
    from noream_eval.stats.change import _signed_rank_z

    x = np.array(values, dtype=float) / scale
    xd = x - shift
    xd = xd[xd != 0]
    got = _signed_rank_z(x, shift)
    if len(xd) == 0:
        assert math.isnan(got)
        return
    ranks = stats.rankdata(np.abs(xd))
    n = len(xd)
    zd = float(ranks[xd > 0].sum()) - n * (n + 1) / 4.0
    _, ties = np.unique(ranks, return_counts=True)
    var = n * (n + 1) * (2 * n + 1) / 24.0 - float(np.sum(ties**3 - ties)) / 48.0
    want = math.nan if var <= 0 else (zd - math.copysign(0.5, zd) * (zd != 0)) / math.sqrt(var)
    assert (math.isnan(got) and math.isnan(want)) or got == want


@pytest.mark.parametrize("n", [12, 80])  # tied scores: the asymptotic interval
def test_without_the_hodges_lehmann_interval_only_that_interval_is_missing(n):
    # Domain summaries use only the Wilcoxon p-value and skip the interval's root search.
    from noream_eval.stats.change import _paired_change

    rng = np.random.default_rng(n)
    pre = rng.integers(1, 6, n).astype(float)
    post = pre + rng.integers(-1, 3, n)
    full = paired_change(pre, post).to_frame().set_index("term")
    short = _paired_change(pre, post, hodges_lehmann_interval=False).to_frame().set_index("term")
    cols = ["ci_low", "ci_high"]
    pd.testing.assert_frame_equal(short.drop(index="wilcoxon"), full.drop(index="wilcoxon"))
    pd.testing.assert_series_equal(
        short.loc["wilcoxon"].drop(cols), full.loc["wilcoxon"].drop(cols)
    )
    assert short.loc["wilcoxon", cols].isna().all() and full.loc["wilcoxon", cols].notna().all()
