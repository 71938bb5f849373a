"""Tests of noream_eval.stats.proportions against published results.

Every reference number below is quoted from the source named in the comment next
to it (a paper's table, or R output printed in a package's tests or a tutorial),
or computed in the test by an independent implementation that the comment names.
Published figures are rounded; the tolerance of each check is half a unit in the
last printed digit unless the comment says otherwise.
"""

from __future__ import annotations

import math
from dataclasses import FrozenInstanceError

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from noream_eval.errors import StatsInputError
from noream_eval.stats._base import RESULT_COLUMNS
from noream_eval.stats.proportions import proportion_ci, rate_ratio, risk_difference

FOUR_DP = 5e-5  # published to 4 decimal places
SEVEN_SIG = 5e-7  # R prints 7 significant digits


def _row(result, term: str) -> pd.Series:
    df = result.to_frame()
    return df.loc[df["term"] == term].iloc[0]


# --------------------------------------------------------------------------- proportion_ci

# Newcombe RG (1998). Two-sided confidence intervals for the single proportion:
# comparison of seven methods. Stat Med 17:857-872, Table I, method 3 (Wilson score,
# no continuity correction), 95%. 81/263 -> 0.2553-0.3662 as quoted in the propint R
# package tests (m-Py/propint, tests/testthat/test_Single_Proportion_CI.R); 15/148,
# 0/20, 1/29 as quoted in the ratesci R package tests (petelaud/ratesci,
# tests/testthat/test3.R, "Single proportion, Newcombe examples").
NEWCOMBE_WILSON = [
    (81, 263, 0.2553, 0.3662),
    (15, 148, 0.0624, 0.1605),
    (0, 20, 0.0000, 0.1611),
    (1, 29, 0.0061, 0.1718),
]

# Newcombe (1998) Table I, method 5 (Clopper-Pearson "exact"), 95%, as quoted in the
# ratesci tests (same file): 15/148, 0/20, 1/29.
NEWCOMBE_EXACT = [
    (15, 148, 0.0578, 0.1617),
    (0, 20, 0.0000, 0.1684),
    (1, 29, 0.0009, 0.1776),
]

# R package binom 1.x, binom.confint(x, n, tol = 1e-8), lower and upper limits of the
# rows "agresti-coull", "asymptotic" (Wald), "exact" (Clopper-Pearson) and "wilson",
# as recorded with the R commands in statsmodels'
# stats/tests/results/results_proportion.py. The Wald upper limit 1.031478381086487
# of 18/20 is clipped to 1 here (the interval is kept inside [0, 1]).
R_BINOM_CONFINT = {
    (18, 20): {
        "agresti_coull": (0.6867561125596077, 0.984343760998137),
        "wald": (0.768521618913513, 1.0),
        "clopper_pearson": (0.6830172859809176, 0.9876514728297052),
        "wilson": (0.6989663547715128, 0.972133518786232),
    },
    (4, 20): {
        "agresti_coull": (0.0749115102767071, 0.4217635845549845),
        "wald": (0.0246954918846837, 0.3753045081153163),
        "clopper_pearson": (0.05733399705003284, 0.436614002996668),
        "wilson": (0.0806576625797981, 0.4160174322518935),
    },
    (4, 200): {
        "agresti_coull": (0.005991954548218395, 0.0520995587739575),
        "wald": (0.000597346459104517, 0.0394026535408955),
        "clopper_pearson": (0.005475565879556443, 0.05041360908989634),
        "wilson": (0.00780442641634947, 0.05028708690582643),
    },
    (190, 200): {
        "agresti_coull": (0.909307307911624, 0.973731898348837),
        "wald": (0.919794926420966, 0.980205073579034),
        "clopper_pearson": (0.9099724622986486, 0.975765834527891),
        "wilson": (0.910421851861224, 0.972617354399236),
    },
}


@pytest.mark.parametrize(("k", "n", "low", "high"), NEWCOMBE_WILSON)
def test_wilson_matches_newcombe_1998_table_i(k, n, low, high):
    row = _row(proportion_ci(k, n), "proportion")
    assert row["estimate"] == k / n
    assert row["ci_low"] == pytest.approx(low, abs=FOUR_DP)
    assert row["ci_high"] == pytest.approx(high, abs=FOUR_DP)
    assert row["n"] == n and row["k"] == k


@pytest.mark.parametrize(("k", "n", "low", "high"), NEWCOMBE_EXACT)
def test_clopper_pearson_matches_newcombe_1998_table_i(k, n, low, high):
    row = _row(proportion_ci(k, n, method="clopper_pearson"), "proportion")
    assert row["ci_low"] == pytest.approx(low, abs=FOUR_DP)
    assert row["ci_high"] == pytest.approx(high, abs=FOUR_DP)


@pytest.mark.parametrize("case", sorted(R_BINOM_CONFINT))
@pytest.mark.parametrize("method", ["agresti_coull", "wald", "clopper_pearson", "wilson"])
def test_matches_r_binom_confint(case, method):
    k, n = case
    low, high = R_BINOM_CONFINT[case][method]
    row = _row(proportion_ci(k, n, method=method), "proportion")
    # R binom.confint was run with tol = 1e-8; the closed forms agree to ~1e-15.
    assert row["ci_low"] == pytest.approx(low, abs=1e-8)
    assert row["ci_high"] == pytest.approx(high, abs=1e-8)


def test_clopper_pearson_matches_r_binom_test():
    # R: binom.test(51, 235, 1/6) -> 95 percent confidence interval
    # 0.1660633298083073 0.2752683640289254 (R output recorded in statsmodels'
    # stats/tests/test_proportion.py, test_binom_test).
    row = _row(proportion_ci(51, 235, method="clopper_pearson"), "proportion")
    assert row["ci_low"] == pytest.approx(0.1660633298083073, abs=1e-12)
    assert row["ci_high"] == pytest.approx(0.2752683640289254, abs=1e-12)


@pytest.mark.parametrize(("k", "n"), [(4, 20), (1, 29), (81, 263), (0, 30), (30, 30)])
def test_jeffreys_equals_beta_quantiles(k, n):
    # Independent implementation: the Jeffreys interval is the 2.5% and 97.5% quantiles
    # of Beta(k + 1/2, n - k + 1/2) (scipy.stats.beta), with 0 at k = 0 and 1 at k = n
    # (Brown, Cai & DasGupta 2001, Stat Sci 16:101, section 4.1.2).
    row = _row(proportion_ci(k, n, method="jeffreys"), "proportion")
    low = 0.0 if k == 0 else stats.beta.ppf(0.025, k + 0.5, n - k + 0.5)
    high = 1.0 if k == n else stats.beta.ppf(0.975, k + 0.5, n - k + 0.5)
    assert row["ci_low"] == pytest.approx(low, abs=1e-12)
    assert row["ci_high"] == pytest.approx(high, abs=1e-12)


def test_wilson_closed_form_at_other_levels():
    # Independent implementation: Wilson (1927) closed form evaluated here at 90% and 99%.
    for level in (0.90, 0.99):
        k, n = 81, 263
        z = stats.norm.ppf(1 - (1 - level) / 2)
        p = k / n
        centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
        half = z * math.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / (1 + z**2 / n)
        row = _row(proportion_ci(k, n, conf_level=level), "proportion")
        assert row["ci_low"] == pytest.approx(centre - half, abs=1e-12)
        assert row["ci_high"] == pytest.approx(centre + half, abs=1e-12)
        assert row["conf_level"] == level


def test_arrays_give_one_row_per_element_and_tidy_columns():
    res = proportion_ci([81, 15, 0], [263, 148, 20])
    df = res.to_frame()
    assert list(df.columns[: len(RESULT_COLUMNS)]) == list(RESULT_COLUMNS)
    assert list(df.columns[len(RESULT_COLUMNS) :]) == ["k", "conf_level", "n_dropped"]
    assert df["term"].tolist() == ["proportion[0]", "proportion[1]", "proportion[2]"]
    assert df["n"].tolist() == [263, 148, 20]
    assert df["p_value"].isna().all()
    assert df["method"].eq("Wilson score interval, 95%").all()
    # The same numbers as one call per element: rows are independent.
    for i, (k, n) in enumerate([(81, 263), (15, 148), (0, 20)]):
        single = _row(proportion_ci(k, n), "proportion")
        assert df.loc[i, ["estimate", "ci_low", "ci_high"]].tolist() == pytest.approx(
            single[["estimate", "ci_low", "ci_high"]].tolist(), abs=1e-15
        )


def test_scalar_n_is_broadcast_and_pandas_input_works():
    df = proportion_ci(pd.Series([1, 2, 3]), 10).to_frame()
    assert df["n"].tolist() == [10, 10, 10]
    assert df["estimate"].tolist() == pytest.approx([0.1, 0.2, 0.3])


def test_missing_elements_are_dropped_and_counted():
    k = pd.Series([81, None, 0, 5], dtype="Int64")
    n = [263, 100, 20, np.nan]
    res = proportion_ci(k, n)
    df = res.to_frame()
    assert df["term"].tolist() == ["proportion[0]", "proportion[2]"]
    assert (df["n_dropped"] == 2).all()
    assert "Dropped 2 of 4 elements with a missing k or n." in res.notes()
    assert "Dropped" in res.summary()


def test_wald_degenerate_interval_is_flagged():
    res = proportion_ci(0, 20, method="wald")
    row = _row(res, "proportion")
    assert (row["ci_low"], row["ci_high"]) == (0.0, 0.0)
    assert any("zero width" in note for note in res.notes())


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"k": -1, "n": 10}, "negative"),
        ({"k": 11, "n": 10}, "larger than n"),
        ({"k": 0, "n": 0}, "at least one unit"),
        ({"k": 1.5, "n": 10}, "not a whole number"),
        ({"k": 1, "n": 10.2}, "not a whole number"),
        ({"k": [1, 2], "n": [10, 10, 10]}, "give one n per k"),
        ({"k": [np.nan], "n": [10]}, "all 1 values of k or n are missing"),
        ({"k": 1, "n": 10, "conf_level": 95}, "between 0 and 1"),
        ({"k": 1, "n": 10, "method": "exact"}, "method='exact' is not one of"),
        ({"k": ["a"], "n": [10]}, "must be numeric"),
    ],
)
def test_proportion_ci_errors_say_what_is_wrong(kwargs, message):
    with pytest.raises(StatsInputError, match=message):
        proportion_ci(**kwargs)


def test_error_names_the_element():
    with pytest.raises(StatsInputError, match=r"k\[2\] = 7 is larger than n\[2\] = 5"):
        proportion_ci([1, 2, 7], [5, 5, 5])


def test_result_object_contract():
    res = proportion_ci(3, 10)
    assert "Wilson score interval" in res.summary()
    assert res._repr_html_().startswith("<p><b>Proportion</b></p><table")
    assert str(res) == res.summary()
    with pytest.raises(FrozenInstanceError):
        res.title = "x"  # type: ignore[misc]
    # to_frame returns a copy
    frame = res.to_frame()
    frame.loc[0, "estimate"] = 99
    assert res.to_frame().loc[0, "estimate"] == 0.3


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(min_value=1, max_value=2000),
    frac=st.floats(min_value=0, max_value=1),
    method=st.sampled_from(["wilson", "clopper_pearson", "agresti_coull", "jeffreys", "wald"]),
)
def test_interval_is_ordered_inside_unit_and_covers_estimate(n, frac, method):
    k = round(frac * n)
    row = _row(proportion_ci(k, n, method=method), "proportion")
    assert 0.0 <= row["ci_low"] <= row["estimate"] <= row["ci_high"] <= 1.0


# --------------------------------------------------------------------------- risk_difference

# Newcombe RG (1998). Interval estimation for the difference between independent
# proportions: comparison of eleven methods. Stat Med 17:873-890, Table II, method 10
# (hybrid score, no continuity correction), 95%, examples (a)-(h). Examples (a) and (b)
# are also quoted in the propint R package tests (test_Two_Independent_Props_CI.R:
# 0.0524, 0.3339; 0.1705, 0.8090) and example (d) in the ratesci tests (test3.R,
# moverci type = "wilson": -0.0381, 0.1926).
NEWCOMBE_TABLE_II = [
    ((56, 70, 48, 80), (0.0524, 0.3339)),
    ((9, 10, 3, 10), (0.1705, 0.8090)),
    ((6, 7, 2, 7), (0.0582, 0.8062)),
    ((5, 56, 0, 29), (-0.0381, 0.1926)),
    ((0, 10, 0, 20), (-0.1611, 0.2775)),
    ((0, 10, 0, 10), (-0.2775, 0.2775)),
    ((10, 10, 0, 20), (0.6791, 1.0000)),
    ((10, 10, 0, 10), (0.6075, 1.0000)),
]

# Fagerland MW, Lydersen S, Laake P: R package contingencytables (companion to their
# 2017 book "Statistical Analysis of Contingency Tables"), tests/testthat/test-ch4.R,
# printed output for the RCT of high vs standard dose epinephrine (Perondi et al. 2004),
# 7/34 vs 1/34: estimate 0.1765; Wald 0.0292 to 0.3238; Agresti-Caffo 0.0116 to 0.3217;
# Newcombe hybrid score 0.0189 to 0.3404.
PERONDI = (7, 34, 1, 34)
PERONDI_DIFFERENCE = {
    "wald": (0.0292, 0.3238),
    "agresti_caffo": (0.0116, 0.3217),
    "newcombe": (0.0189, 0.3404),
}


@pytest.mark.parametrize(("counts", "expected"), NEWCOMBE_TABLE_II)
def test_newcombe_difference_matches_newcombe_1998_table_ii(counts, expected):
    k1, n1, k0, n0 = counts
    row = _row(risk_difference(k1, n1, k0, n0), "risk_difference")
    assert row["estimate"] == pytest.approx(k1 / n1 - k0 / n0, abs=1e-15)
    assert row["ci_low"] == pytest.approx(expected[0], abs=FOUR_DP)
    assert row["ci_high"] == pytest.approx(expected[1], abs=FOUR_DP)
    assert row["n"] == n1 + n0


@pytest.mark.parametrize("method", sorted(PERONDI_DIFFERENCE))
def test_difference_intervals_match_contingencytables(method):
    row = _row(risk_difference(*PERONDI, method=method), "risk_difference")
    assert row["estimate"] == pytest.approx(0.1765, abs=FOUR_DP)
    low, high = PERONDI_DIFFERENCE[method]
    assert row["ci_low"] == pytest.approx(low, abs=FOUR_DP)
    assert row["ci_high"] == pytest.approx(high, abs=FOUR_DP)


def test_difference_p_value_is_pearson_chi_squared():
    # contingencytables test-ch4.R: Pearson_chi_squared_test_2x2(rbind(c(3,1), c(1,3)))
    # prints "P = 0.15730, T = 2.000 (df = 1)": 3/4 vs 1/4.
    row = _row(risk_difference(3, 4, 1, 4), "risk_difference")
    assert row["p_value"] == pytest.approx(0.15730, abs=5e-6)
    # Independent implementation: scipy's chi-squared test without continuity correction
    # on Newcombe's example (a).
    table = np.array([[56, 70 - 56], [48, 80 - 48]])
    expected = stats.chi2_contingency(table, correction=False)[1]
    row = _row(risk_difference(56, 70, 48, 80), "risk_difference")
    assert row["p_value"] == pytest.approx(expected, rel=1e-10)


def test_difference_without_variation_has_p_one_and_says_so():
    res = risk_difference(0, 10, 0, 20)
    assert _row(res, "risk_difference")["p_value"] == 1.0
    assert any("No variation" in note for note in res.notes())
    res = risk_difference(10, 10, 20, 20)
    assert _row(res, "risk_difference")["p_value"] == 1.0


def test_difference_group_rows_are_wilson():
    res = risk_difference(5, 56, 0, 29)
    df = res.to_frame()
    assert df["term"].tolist() == ["risk_difference", "risk_1", "risk_0"]
    assert list(df.columns[len(RESULT_COLUMNS) :]) == ["k1", "n1", "k0", "n0", "conf_level"]
    for term, (k, n) in (("risk_1", (5, 56)), ("risk_0", (0, 29))):
        got = _row(res, term)
        want = _row(proportion_ci(k, n), "proportion")
        assert got[["estimate", "ci_low", "ci_high"]].tolist() == pytest.approx(
            want[["estimate", "ci_low", "ci_high"]].tolist(), abs=1e-15
        )
        assert got["n"] == n and math.isnan(got["p_value"])


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        ((3, 2, 1, 5), {}, "k1 = 3 is larger than n1 = 2"),
        ((1, 5, -1, 5), {}, "k0 = -1 is negative"),
        ((1, 0, 1, 5), {}, "n1 = 0"),
        ((1.5, 5, 1, 5), {}, "not a whole number"),
        ((np.nan, 5, 1, 5), {}, "k1 is missing"),
        ((None, 5, 1, 5), {}, "k1 is missing"),
        ((1, 5, 1, 5), {"method": "score"}, "method='score' is not one of"),
        ((1, 5, 1, 5), {"conf_level": 1.0}, "between 0 and 1"),
    ],
)
def test_risk_difference_errors(args, kwargs, message):
    with pytest.raises(StatsInputError, match=message):
        risk_difference(*args, **kwargs)


@settings(max_examples=60, deadline=None)
@given(
    n1=st.integers(1, 300),
    n0=st.integers(1, 300),
    f1=st.floats(0, 1),
    f0=st.floats(0, 1),
    method=st.sampled_from(["newcombe", "wald", "agresti_caffo"]),
)
def test_difference_interval_is_ordered_and_inside(n1, n0, f1, f0, method):
    k1, k0 = round(f1 * n1), round(f0 * n0)
    row = _row(risk_difference(k1, n1, k0, n0, method=method), "risk_difference")
    assert -1.0 <= row["ci_low"] <= row["ci_high"] <= 1.0
    assert 0.0 <= row["p_value"] <= 1.0
    if method == "newcombe":  # the hybrid score interval always contains the estimate
        assert row["ci_low"] - 1e-12 <= row["estimate"] <= row["ci_high"] + 1e-12


# --------------------------------------------------------------------------- rate_ratio: risks


def test_katz_interval_matches_contingencytables():
    # contingencytables test-ch4.R: Katz_log_CI_2x2(matrix(c(7,27,1,33), 2, byrow=TRUE))
    # prints "estimate = 7.0000 (95% CI 0.9096 to 53.8695)".
    res = rate_ratio(*PERONDI)
    row = _row(res, "rate_ratio")
    assert row["estimate"] == pytest.approx(7.0, abs=1e-12)
    assert row["ci_low"] == pytest.approx(0.9096, abs=FOUR_DP)
    assert row["ci_high"] == pytest.approx(53.8695, abs=FOUR_DP)
    assert row["n"] == 68
    assert row["method"] == "risk ratio, Katz log interval, 95%"


def test_katz_p_value_is_wald_on_log_scale():
    # Independent implementation: z = log(RR) / sqrt(1/k1 - 1/n1 + 1/k0 - 1/n0) evaluated
    # here (Katz et al. 1978), two-sided normal p-value.
    for k1, n1, k0, n0 in [(7, 34, 1, 34), (56, 70, 48, 80), (24, 73, 53, 65)]:
        se = math.sqrt(1 / k1 - 1 / n1 + 1 / k0 - 1 / n0)
        z = math.log((k1 / n1) / (k0 / n0)) / se
        row = _row(rate_ratio(k1, n1, k0, n0), "rate_ratio")
        assert row["p_value"] == pytest.approx(2 * stats.norm.sf(abs(z)), rel=1e-10)
        half = stats.norm.ppf(0.975) * se
        assert math.log(row["ci_low"]) == pytest.approx(math.log(row["estimate"]) - half)
        assert math.log(row["ci_high"]) == pytest.approx(math.log(row["estimate"]) + half)


def test_zero_events_use_the_adjusted_log_interval():
    # contingencytables test-ch4.R: Adjusted_log_CI_2x2(matrix(c(7,27,1,33), 2, byrow=TRUE))
    # prints "95% CI 0.9241 to 27.0523"; this adjusted log interval (0.5 added to the
    # events and the size of each group) is what rate_ratio uses when a group has no
    # events, computed by statsmodels' method "log-adjusted".
    from statsmodels.stats.proportion import confint_proportions_2indep

    low, high = confint_proportions_2indep(7, 34, 1, 34, method="log-adjusted", compare="ratio")
    assert (low, high) == pytest.approx((0.9241, 27.0523), abs=FOUR_DP)

    res = rate_ratio(3, 34, 0, 34)
    row = _row(res, "rate_ratio")
    # Hand computation with the adjusted counts: (3.5/34.5) / (0.5/34.5) = 7, and
    # SE = sqrt(1/3.5 - 1/34.5 + 1/0.5 - 1/34.5) (Fagerland et al. 2015).
    se = math.sqrt(1 / 3.5 - 1 / 34.5 + 1 / 0.5 - 1 / 34.5)
    assert row["estimate"] == pytest.approx(7.0)
    assert row["ci_low"] == pytest.approx(7 * math.exp(-stats.norm.ppf(0.975) * se))
    assert row["ci_high"] == pytest.approx(7 * math.exp(stats.norm.ppf(0.975) * se))
    assert row["p_value"] == pytest.approx(2 * stats.norm.sf(math.log(7) / se))
    assert math.isfinite(row["ci_high"])
    assert "adjusted log" in row["method"]
    assert any("No events in group 0" in note for note in res.notes())

    res = rate_ratio(0, 34, 3, 34)
    row = _row(res, "rate_ratio")
    assert row["estimate"] == pytest.approx(1 / 7)
    assert row["ci_low"] > 0 and math.isfinite(row["ci_high"])
    assert any("No events in group 1" in note for note in res.notes())


def test_all_events_in_both_groups_is_an_error_not_nan():
    with pytest.raises(StatsInputError, match="Every unit in both groups"):
        rate_ratio(34, 34, 20, 20)
    # One group with every unit having the event is fine: the Katz SE is finite.
    row = _row(rate_ratio(34, 34, 15, 20), "rate_ratio")
    assert row["ci_low"] < row["estimate"] < row["ci_high"]
    assert math.isfinite(row["p_value"])


def test_no_events_anywhere_is_an_error_pointing_to_risk_difference():
    with pytest.raises(StatsInputError, match="risk_difference"):
        rate_ratio(0, 10, 0, 20)
    with pytest.raises(StatsInputError, match="No events in either group"):
        rate_ratio(0, 10.0, 0, 20.0, kind="poisson")


def test_risk_ratio_group_rows_and_columns():
    res = rate_ratio(24, 73, 53, 65)
    df = res.to_frame()
    assert df["term"].tolist() == ["rate_ratio", "rate_1", "rate_0"]
    assert df["n"].tolist() == [138, 73, 65]
    assert df.loc[1:, "p_value"].isna().all()
    assert df["k1"].eq(24).all() and df["n0"].eq(65).all()
    want = _row(proportion_ci(24, 73), "proportion")
    assert df.loc[1, "ci_low"] == pytest.approx(want["ci_low"], abs=1e-15)
    assert res.title.startswith("Risk ratio")


# --------------------------------------------------------------------------- rate_ratio: Poisson

# R stats::poisson.test printed output (two-sample "Comparison of Poisson rates"):
# - poisson.test(c(11, 21), c(800, 3011)) (the eba1977 example of R's help page):
#   95 percent CI 0.8584264 4.2772659, rate ratio 1.971488, p-value = 0.07967
#   (R output quoted in a poisson.test validation note, "Test 2: Two-Sample Rate
#   Comparison"; the same limits, 0.85842640 and 4.27726594, are the known answers of
#   another project's test computed by 60-digit bisection on the binomial CDF).
# - poisson.test(c(10, 2), c(20000, 17887)): CI 0.9529548 41.9743814, rate ratio
#   4.47175, p-value = 0.0421 (R output in a tutorial script's comments).
# - poisson.test(c(930, 619), T = 3) (pscl bioChemists articles by sex, Tidy Modeling
#   with R exercises): CI 1.355716 1.665905, rate ratio 1.502423.
# - poisson.test(c(909, 901), T = c(12, 14), conf.level = 0.99) (p53 expression,
#   healthy vs cancer; 901 = sum of the 14 cancer counts printed with the exercise):
#   99 percent CI 1.041626 1.330051, rate ratio 1.177026.
R_POISSON_TEST = [
    ((11, 800, 21, 3011), 0.95, (1.971488, 0.8584264, 4.2772659)),
    ((10, 20000, 2, 17887), 0.95, (4.47175, 0.9529548, 41.9743814)),
    ((930, 3, 619, 3), 0.95, (1.502423, 1.355716, 1.665905)),
    ((909, 12, 901, 14), 0.99, (1.177026, 1.041626, 1.330051)),
]


@pytest.mark.parametrize(("counts", "level", "expected"), R_POISSON_TEST)
def test_poisson_rate_ratio_matches_r_poisson_test(counts, level, expected):
    row = _row(rate_ratio(*counts, kind="poisson", conf_level=level), "rate_ratio")
    estimate, low, high = expected
    # R prints 7 significant digits: half a unit in the 7th digit, relative.
    assert row["estimate"] == pytest.approx(estimate, rel=5e-7)
    assert row["ci_low"] == pytest.approx(low, rel=5e-7)
    assert row["ci_high"] == pytest.approx(high, rel=5e-7)
    assert row["n"] == counts[0] + counts[2]


@pytest.mark.parametrize(("counts", "level", "expected"), R_POISSON_TEST)
def test_poisson_p_value_is_central_exact_conditional(counts, level, expected):
    # Independent implementation with scipy: k1 | k1 + k0 ~ Binomial(k1 + k0, t1/(t1 + t0))
    # under ratio 1; central two-sided p = min(1, 2 min(P(X >= k1), P(X <= k1))).
    k1, t1, k0, t0 = counts
    total, p = k1 + k0, t1 / (t1 + t0)
    want = min(1.0, 2 * min(stats.binom.sf(k1 - 1, total, p), stats.binom.cdf(k1, total, p)))
    row = _row(rate_ratio(*counts, kind="poisson", conf_level=level), "rate_ratio")
    assert row["p_value"] == pytest.approx(want, rel=1e-10)
    # Consistent with the interval: p < 1 - level exactly when the interval excludes 1.
    assert (row["p_value"] < 1 - level) == (not row["ci_low"] <= 1 <= row["ci_high"])


def test_poisson_p_value_differs_from_r_minlike_where_r_is_inconsistent():
    # R poisson.test(c(10, 2), c(20000, 17887)) prints p-value = 0.0421 (minimum likelihood
    # p) although its own 95% interval 0.9529548-41.9743814 contains 1. statsmodels'
    # exact-cond test gives R's value; rate_ratio reports the central p, which agrees
    # with the interval.
    from statsmodels.stats.rates import test_poisson_2indep

    minlike = test_poisson_2indep(10, 20000, 2, 17887, method="exact-cond").pvalue
    assert minlike == pytest.approx(0.0421, abs=5e-5)
    # And R's p-value = 0.07967 for the eba1977 example.
    minlike = test_poisson_2indep(11, 800, 21, 3011, method="exact-cond").pvalue
    assert minlike == pytest.approx(0.07967, abs=5e-6)
    row = _row(rate_ratio(10, 20000, 2, 17887, kind="poisson"), "rate_ratio")
    assert row["p_value"] > 0.05


def test_poisson_group_rows_are_exact_garwood_intervals():
    # Independent implementation: Garwood (1936) limits from chi-squared quantiles,
    # chi2(alpha/2; 2k)/2 and chi2(1 - alpha/2; 2k + 2)/2, divided by the exposure
    # (scipy.stats.chi2), for the Welsh nickel workers example of R's poisson.test help
    # page (137 events, 24.19893 expected).
    res = rate_ratio(137, 24.19893, 20, 10.0, kind="poisson")
    row = _row(res, "rate_1")
    assert row["estimate"] == pytest.approx(137 / 24.19893, rel=1e-15)
    assert row["ci_low"] == pytest.approx(stats.chi2.ppf(0.025, 274) / 2 / 24.19893, rel=1e-10)
    assert row["ci_high"] == pytest.approx(stats.chi2.ppf(0.975, 276) / 2 / 24.19893, rel=1e-10)
    assert row["n"] == 137
    assert "Garwood" in row["method"]
    row = _row(rate_ratio(3, 10.0, 0, 5.0, kind="poisson"), "rate_0")
    assert row["ci_low"] == 0.0
    assert row["ci_high"] == pytest.approx(stats.chi2.ppf(0.975, 2) / 2 / 5.0, rel=1e-10)
    assert res.title.startswith("Rate ratio")


def test_poisson_zero_events_are_documented_not_silent():
    res = rate_ratio(3, 10.5, 0, 34.0, kind="poisson")
    row = _row(res, "rate_ratio")
    assert row["estimate"] == math.inf and row["ci_high"] == math.inf
    # Lower limit: p_low = 0.025 ** (1/3) (Clopper-Pearson with k = n = 3), mapped to ratio.
    p_low = 0.025 ** (1 / 3)
    assert row["ci_low"] == pytest.approx(p_low / (1 - p_low) * 34.0 / 10.5, rel=1e-10)
    assert any("infinite" in note for note in res.notes())

    res = rate_ratio(0, 10.5, 3, 34.0, kind="poisson")
    row = _row(res, "rate_ratio")
    assert row["estimate"] == 0.0 and row["ci_low"] == 0.0 and math.isfinite(row["ci_high"])
    assert any("No events in group 1" in note for note in res.notes())


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        ((1, 10.0, 2, 0.0), {"kind": "poisson"}, "n0 = 0: the exposure"),
        ((1, -3.0, 2, 5.0), {"kind": "poisson"}, "n1 = -3: the exposure"),
        ((1.5, 10.0, 2, 5.0), {"kind": "poisson"}, "k1 = 1.5 is not a whole number"),
        ((1, 10, 2, 5), {"kind": "rates"}, "kind='rates' is not one of"),
        ((1, 10, 2, 5.5), {}, "n0 = 5.5 is not a whole number"),
        ((1, 10, np.nan, 5), {}, "k0 is missing"),
        ((True, 10, 2, 5), {}, "boolean"),
    ],
)
def test_rate_ratio_errors(args, kwargs, message):
    with pytest.raises(StatsInputError, match=message):
        rate_ratio(*args, **kwargs)


def test_poisson_accepts_fractional_exposure():
    row = _row(rate_ratio(12, 103.25, 7, 98.5, kind="poisson"), "rate_ratio")
    assert row["estimate"] == pytest.approx((12 / 103.25) / (7 / 98.5))


def test_proportion_ci_takes_column_names_row_by_row():
    cohorts = pd.DataFrame({"rereferred": [81, 15, None, 0], "referred": [263, 148, 30, 20]})
    by_name = proportion_ci("rereferred", "referred", data=cohorts)
    by_value = proportion_ci(cohorts["rereferred"], cohorts["referred"])
    pd.testing.assert_frame_equal(by_name.to_frame(), by_value.to_frame())
    df = by_name.to_frame()
    assert df["term"].tolist() == ["proportion[0]", "proportion[1]", "proportion[3]"]
    assert (df["n_dropped"] == 1).all()
    with pytest.raises(StatsInputError, match="'n_referred' \\(given as n\\) is not in the data"):
        proportion_ci("rereferred", "n_referred", data=cohorts)


@pytest.mark.parametrize(("fn", "name"), [(rate_ratio, "rate_ratio"), (risk_difference, "")])
def test_two_group_functions_take_one_row_of_data(fn, name):
    one = pd.DataFrame({"k1": [56], "n1": [70], "k0": [48], "n0": [80]})
    by_name = fn("k1", "n1", "k0", "n0", data=one).to_frame()
    by_value = fn(56, 70, 48, 80).to_frame()
    pd.testing.assert_frame_equal(by_name, by_value)
    two = pd.concat([one, one], ignore_index=True)
    with pytest.raises(StatsInputError, match="exactly one row; it has 2"):
        fn("k1", "n1", "k0", "n0", data=two)
    with pytest.raises(StatsInputError, match="'x' \\(given as k0\\) is not in the data"):
        fn("k1", "n1", "x", "n0", data=one)
    missing = one.astype("Int64")
    missing.loc[0, "k0"] = pd.NA
    with pytest.raises(StatsInputError, match="k0 is missing"):
        fn("k1", "n1", "k0", "n0", data=missing)


# --------------------------------------------------------------------------- coverage (slow)


def _coverage_two_groups(fn, truth, n1, n0, draw, reps, seed):
    """Share of simulated intervals containing ``truth``; each distinct table is
    computed once (the interval depends on the counts only)."""
    rng = np.random.default_rng(seed)
    k1, k0 = draw(rng, reps)
    pairs, counts = np.unique(np.column_stack([k1, k0]), axis=0, return_counts=True)
    covered = 0
    for (a, b), c in zip(pairs, counts, strict=True):
        row = fn(int(a), n1, int(b), n0)
        covered += c * (row["ci_low"] <= truth <= row["ci_high"])
    return covered / reps


@pytest.mark.slow
def test_wilson_coverage_near_nominal():
    # Brown, Cai & DasGupta (2001, Stat Sci 16:101) show that Wilson coverage oscillates
    # around 0.95 as n and p vary (at n = 100, p = 0.3 it is 0.937); n = 200, p = 0.3 is
    # a setting where the exact coverage, computed below from the binomial
    # distribution, is near nominal (0.947).
    n, p, reps = 200, 0.3, 40_000
    rng = np.random.default_rng(20240601)
    k = rng.binomial(n, p, size=reps)
    df = proportion_ci(k, n).to_frame()
    coverage = ((df["ci_low"] <= p) & (p <= df["ci_high"])).mean()
    assert 0.93 <= coverage <= 0.97
    all_k = np.arange(n + 1)
    grid = proportion_ci(all_k, n).to_frame()
    inside = ((grid["ci_low"] <= p) & (p <= grid["ci_high"])).to_numpy()
    exact = stats.binom.pmf(all_k, n, p)[inside].sum()
    assert 0.93 <= exact <= 0.97
    assert coverage == pytest.approx(exact, abs=0.005)  # simulation SE ~ 0.0011


@pytest.mark.slow
def test_newcombe_difference_coverage_near_nominal():
    # Moderate n where the hybrid score interval is expected to be near nominal:
    # n = 100 per group, p1 = 0.35, p0 = 0.25.
    n, p1, p0 = 100, 0.35, 0.25

    def draw(rng, reps):
        return rng.binomial(n, p1, reps), rng.binomial(n, p0, reps)

    coverage = _coverage_two_groups(
        lambda a, m, b, w: _row(risk_difference(a, m, b, w), "risk_difference"),
        p1 - p0,
        n,
        n,
        draw,
        reps=20_000,
        seed=11,
    )
    assert 0.93 <= coverage <= 0.97


@pytest.mark.slow
def test_katz_risk_ratio_coverage_near_nominal():
    # n = 150 per group, p1 = 0.30, p0 = 0.20 (true ratio 1.5): about 45 and 30 events,
    # enough for the log-normal approximation of Katz et al. (1978).
    n, p1, p0 = 150, 0.30, 0.20

    def draw(rng, reps):
        return rng.binomial(n, p1, reps), rng.binomial(n, p0, reps)

    coverage = _coverage_two_groups(
        lambda a, m, b, w: _row(rate_ratio(a, m, b, w), "rate_ratio"),
        p1 / p0,
        n,
        n,
        draw,
        reps=20_000,
        seed=12,
    )
    assert 0.93 <= coverage <= 0.97


@pytest.mark.slow
def test_exact_poisson_rate_ratio_coverage_near_nominal():
    # Exposure 200 in each group, rates 0.5 and 0.4 (about 100 and 80 events; true ratio
    # 1.25). The conditional exact interval is conservative (coverage >= 0.95) but close to
    # nominal with this many events.
    t, r1, r0 = 200.0, 0.5, 0.4

    def draw(rng, reps):
        return rng.poisson(r1 * t, reps), rng.poisson(r0 * t, reps)

    coverage = _coverage_two_groups(
        lambda a, m, b, w: _row(rate_ratio(a, m, b, w, kind="poisson"), "rate_ratio"),
        r1 / r0,
        t,
        t,
        draw,
        reps=20_000,
        seed=13,
    )
    assert 0.95 - 0.005 <= coverage <= 0.97
