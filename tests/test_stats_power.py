"""Tests of noream_eval.stats.power against published sample sizes.

Every reference number is quoted from the source named in the comment next to it
(R or Stata output, a package's documented example, a published table), or
computed in the test by an independent implementation that the comment names.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from noream_eval.errors import StatsInputError
from noream_eval.stats._base import RESULT_COLUMNS
from noream_eval.stats.power import minimum_detectable_effect, trial_sample_size


def _values(result) -> pd.Series:
    return result.to_frame().set_index("term")["estimate"]


def _unrounded(result) -> pd.Series:
    return result.to_frame().set_index("term")["unrounded"]


# --------------------------------------------------------------------------- continuous

# R package pwr, pwr.t.test(d = ..., sig.level = 0.05, power = 0.8, type = "two.sample",
# alternative = "two.sided") printed "n = 175.3847" (d = 0.3), "n = 63.76561" (d = 0.5)
# and "n = 25.52458" (d = 0.8) per group (output printed in an R tutorial; 63.76561 is
# also printed by several other tutorials, "NOTE: n is number in *each* group").
PWR_T_TEST = [(0.3, 175.3847, 176), (0.5, 63.76561, 64), (0.8, 25.52458, 26)]


@pytest.mark.parametrize(("d", "n_exact", "n_per_arm"), PWR_T_TEST)
def test_continuous_matches_r_pwr_t_test(d, n_exact, n_per_arm):
    res = trial_sample_size(effect_size=d)
    # pwr prints 7 significant digits; the root finders differ by < 1e-4.
    assert _unrounded(res)["n_per_arm_individual"] == pytest.approx(n_exact, abs=1e-4)
    values = _values(res)
    assert values["n_per_arm"] == n_per_arm
    assert values["n_total"] == 2 * n_per_arm
    assert values["design_effect"] == 1.0
    assert math.isnan(values["clusters_per_arm"])


def test_raw_difference_with_sd_matches_stata_power_twomeans():
    # Stata 15: power twomeans 80 70, sd1(20) sd2(20) alpha(0.05) power(0.80) printed
    # "N = 128, N per group = 64" (output recorded in an RStata comparison script).
    res = trial_sample_size(effect_size=10, sd=20)
    values = _values(res)
    assert values["n_per_arm"] == 64 and values["n_total"] == 128
    frame = res.to_frame()
    assert frame["standardised_effect"].eq(0.5).all()
    assert frame["effect_size"].eq(10).all() and frame["sd"].eq(20).all()
    # The sign of the difference does not matter.
    assert _values(trial_sample_size(effect_size=-10, sd=20))["n_per_arm"] == 64


def test_one_sided_is_close_to_normal_approximation():
    # Independent implementation: normal approximation 2 (z_{1-alpha} + z_{1-beta})^2 / d^2
    # (scipy.stats.norm); the t-test solution exceeds it by about one person per arm.
    d = 0.5
    approx = 2 * (stats.norm.ppf(0.95) + stats.norm.ppf(0.8)) ** 2 / d**2
    exact = _unrounded(trial_sample_size(effect_size=d, sides=1))["n_per_arm_individual"]
    assert approx < exact < approx + 1.5
    two_sided = _unrounded(trial_sample_size(effect_size=d))["n_per_arm_individual"]
    assert exact < two_sided


# --------------------------------------------------------------------------- binary


def test_binary_matches_r_power_prop_test_example():
    # R documentation of stats::power.prop.test, examples:
    # "power.prop.test(p1 = .50, p2 = .75, power = .90)  ## =>  n = 76.7".
    res = trial_sample_size(outcome="binary", p0=0.5, p1=0.75, power=0.9)
    assert _unrounded(res)["n_per_arm_individual"] == pytest.approx(76.7, abs=0.05)
    assert _values(res)["n_per_arm"] == 77
    frame = res.to_frame()
    assert frame["effect_size"].eq(0.25).all()
    assert "pooled variance" in frame.loc[0, "method"]


def test_binary_formula_by_hand():
    # Independent implementation: Fleiss' formula evaluated here with scipy quantiles,
    # for a NOREAM-like question (re-referral 22% vs 15%), two- and one-sided.
    p0, p1 = 0.22, 0.15
    pbar = (p0 + p1) / 2
    for sides in (2, 1):
        za = stats.norm.ppf(1 - 0.05 / sides)
        zb = stats.norm.ppf(0.8)
        want = (
            za * math.sqrt(2 * pbar * (1 - pbar)) + zb * math.sqrt(p0 * (1 - p0) + p1 * (1 - p1))
        ) ** 2 / (p1 - p0) ** 2
        res = trial_sample_size(outcome="binary", p0=p0, p1=p1, sides=sides)
        assert _unrounded(res)["n_per_arm_individual"] == pytest.approx(want, rel=1e-12)
        assert _values(res)["n_per_arm_individual"] == math.ceil(want)
    # Swapping the arms does not change the size.
    a = trial_sample_size(outcome="binary", p0=0.22, p1=0.15)
    b = trial_sample_size(outcome="binary", p0=0.15, p1=0.22)
    assert _values(a)["n_per_arm"] == _values(b)["n_per_arm"]


# --------------------------------------------------------------------------- clusters, attrition


def test_design_effect_matches_published_table():
    # Annals of Family Medicine table (k = 4 physicians, rho = 0.017): design effect
    # DE = 1.153, 1.323, 1.663, 2.343 for m = 10, 20, 40, 80 patients per physician.
    for m, de in [(10, 1.153), (20, 1.323), (40, 1.663), (80, 2.343)]:
        res = trial_sample_size(effect_size=0.5, icc=0.017, cluster_size=m)
        assert _values(res)["design_effect"] == pytest.approx(de, abs=5e-4)


def test_inflation_matches_published_trial_report():
    # BMJ 1999;319:683 (trial report, methods): "A sample size of 93 patients in each
    # group was required ... inflation factor = 1 + (n - 1) rho ... rho = 0.05 was
    # selected. The estimate of 93 was inflated by 1.3." With 1.3 = 1 + (m - 1) 0.05,
    # m = 7, and 93 x 1.3 = 120.9 -> 121 analysed per arm. An effect of d = 0.415 gives
    # 93 per arm under individual randomisation (pwr-style t-test solution).
    res = trial_sample_size(effect_size=0.415, icc=0.05, cluster_size=7)
    values = _values(res)
    assert values["n_per_arm_individual"] == 93
    assert values["design_effect"] == pytest.approx(1.3)
    assert values["n_per_arm_analysed"] == 121
    assert values["clusters_per_arm"] == 18  # ceil(121 / 7)


def test_clusters_match_crtsize_n4means():
    # CRTSize::n4means(delta = 0.1, sigma = 1, m = 40, ICC = 0.1, alpha = 0.05, power = 0.8)
    # as run in an R training script: "192 are the number of clusters in each group,
    # 7692 are the total individuals in each group" (n4means uses the normal
    # approximation, 192.3 clusters unrounded). The t-test solution here needs 1571
    # rather than 1570 people before the design effect, so one more cluster after
    # rounding up: 1571 x 4.9 = 7697.9 -> 7698 -> 192.45 -> 193 clusters.
    res = trial_sample_size(effect_size=0.1, icc=0.1, cluster_size=40)
    values, unrounded = _values(res), _unrounded(res)
    assert values["design_effect"] == pytest.approx(4.9)
    assert unrounded["clusters_per_arm"] == pytest.approx(192.3, rel=2e-3)
    assert values["n_per_arm_analysed"] == pytest.approx(7692, rel=2e-3)
    assert values["clusters_per_arm"] == 193
    assert values["clusters_total"] == 386


def test_rounding_up_happens_at_each_stage():
    # Hand computation: binary 0.5 vs 0.75, power 0.9 -> 77 (R: 76.7); x DE 1.95 =
    # 150.15 -> 151; / 0.9 = 167.8 -> 168; / 20 = 8.4 -> 9 clusters per arm.
    res = trial_sample_size(
        outcome="binary", p0=0.5, p1=0.75, power=0.9, icc=0.05, cluster_size=20, attrition=0.1
    )
    values, unrounded = _values(res), _unrounded(res)
    assert values.tolist() == pytest.approx([77, 1.95, 151, 168, 336, 9, 18], abs=1e-12)
    assert unrounded["n_per_arm_analysed"] == pytest.approx(77 * 1.95)
    assert unrounded["n_per_arm"] == pytest.approx(151 / 0.9)
    assert unrounded["clusters_per_arm"] == pytest.approx(168 / 20)
    notes = " ".join(res.notes())
    assert "151 analysed per arm" in notes and "9 clusters of 20 per arm" in notes


def test_floating_point_products_are_not_rounded_up_by_error():
    # 100 x 1.1 is 110.00000000000001 in floating point: 110 people, not 111.
    assert 100 * 1.1 > 110
    res = trial_sample_size(effect_size=0.3985, icc=0.1, cluster_size=2)
    values = _values(res)
    assert values["n_per_arm_individual"] == 100
    assert values["n_per_arm_analysed"] == 110


def test_table_columns_and_notes():
    res = trial_sample_size(effect_size=0.5)
    frame = res.to_frame()
    assert list(frame.columns[: len(RESULT_COLUMNS)]) == list(RESULT_COLUMNS)
    assert frame["term"].tolist() == [
        "n_per_arm_individual",
        "design_effect",
        "n_per_arm_analysed",
        "n_per_arm",
        "n_total",
        "clusters_per_arm",
        "clusters_total",
    ]
    assert frame["n"].isna().all() and frame["ci_low"].isna().all()
    for col in ("outcome", "alpha", "power", "sides", "icc", "cluster_size", "attrition"):
        assert col in frame.columns
    assert any("no clusters" in note for note in res.notes())
    assert "TTestIndPower" in res.summary()
    assert res._repr_html_().startswith("<p><b>Sample size")


def test_tiny_samples_are_at_least_two_per_arm():
    res = trial_sample_size(effect_size=5)
    assert _values(res)["n_per_arm_individual"] >= 2


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"effect_size": 0.5, "alpha": 0}, "alpha must be strictly between 0 and 1"),
        ({"effect_size": 0.5, "alpha": 1.2}, "alpha must be strictly between 0 and 1"),
        ({"effect_size": 0.5, "power": 1}, "power must be strictly between 0 and 1"),
        ({"effect_size": 0.5, "icc": 1}, "icc must be at least 0 and below 1"),
        ({"effect_size": 0.5, "icc": -0.1}, "icc must be at least 0 and below 1"),
        ({"effect_size": 0.5, "attrition": 1}, "attrition must be at least 0 and below 1"),
        ({"effect_size": 0.5, "cluster_size": 0}, "cluster_size must be at least 1"),
        ({"effect_size": 0.5, "sides": 3}, "sides must be 1 or 2"),
        ({"effect_size": 0}, "effect_size is 0"),
        ({"effect_size": 0.5, "sd": 0}, "sd must be positive"),
        ({"effect_size": math.nan}, "effect_size must be a finite number"),
        ({}, "effect_size is required"),
        ({"effect_size": 0.5, "p0": 0.2}, "p0 and p1 are for outcome='binary'"),
        ({"outcome": "binary", "p0": 0.2, "p1": 0.2}, "p0 and p1 are both 0.2"),
        ({"outcome": "binary", "p0": 0.0, "p1": 0.2}, "p0 must be strictly between 0 and 1"),
        ({"outcome": "binary", "p0": 0.2, "p1": 1.0}, "p1 must be strictly between 0 and 1"),
        ({"outcome": "binary", "p0": 0.2}, "p0 and p1 are required"),
        ({"outcome": "binary", "p0": 0.2, "p1": 0.1, "sd": 1}, "are for outcome='continuous'"),
        ({"outcome": "ordinal", "effect_size": 0.5}, "outcome='ordinal' is not one of"),
    ],
)
def test_trial_sample_size_errors(kwargs, message):
    with pytest.raises(StatsInputError, match=message):
        trial_sample_size(**kwargs)


# --------------------------------------------------------------------------- detectable effect


def test_binary_mde_matches_r_power_prop_test_example():
    # R documentation of stats::power.prop.test, examples:
    # "power.prop.test(n = 50, p1 = .5, power = .90)  ## =>  p2 = 0.8026".
    res = minimum_detectable_effect(outcome="binary", n_per_arm=50, p0=0.5, power=0.9)
    values = _values(res)
    assert values["p1_above"] == pytest.approx(0.8026, abs=5e-5)
    # p0 = 0.5 is the centre of the scale, so the detectable p1 below is symmetric.
    assert values["p1_below"] == pytest.approx(1 - values["p1_above"], abs=1e-9)
    assert values["difference_above"] == pytest.approx(values["p1_above"] - 0.5)
    assert values["difference_below"] < 0
    assert values["n_per_arm_effective"] == 50


def test_binary_mde_without_a_detectable_side_is_nan_with_a_note():
    res = minimum_detectable_effect(outcome="binary", n_per_arm=15, p0=0.05)
    values = _values(res)
    assert math.isnan(values["p1_below"]) and math.isnan(values["difference_below"])
    assert 0.05 < values["p1_above"] < 1
    assert any("No proportion below p0 = 0.05" in note for note in res.notes())


@pytest.mark.parametrize("n_per_arm", [20, 64, 150, 1000])
def test_continuous_mde_round_trip(n_per_arm):
    res = minimum_detectable_effect(n_per_arm=n_per_arm, sd=4)
    d = _values(res)["mde_standardised"]
    assert _values(res)["mde_raw"] == pytest.approx(4 * d)
    back = trial_sample_size(effect_size=d)
    assert _unrounded(back)["n_per_arm_individual"] == pytest.approx(n_per_arm, rel=1e-6)
    assert _values(back)["n_per_arm"] == n_per_arm


def test_continuous_mde_matches_pwr_at_64():
    # Inverse of pwr.t.test(d = 0.5, power = 0.8) -> n = 63.76561 (see PWR_T_TEST): at 64
    # per arm the detectable d is just below 0.5.
    d = _values(minimum_detectable_effect(n_per_arm=64))["mde_standardised"]
    assert 0.498 < d < 0.5


@pytest.mark.parametrize(("p0", "n"), [(0.22, 120), (0.5, 50), (0.1, 400)])
def test_binary_mde_round_trip(p0, n):
    res = minimum_detectable_effect(outcome="binary", n_per_arm=n, p0=p0)
    for term in ("p1_above", "p1_below"):
        p1 = _values(res)[term]
        back = trial_sample_size(outcome="binary", p0=p0, p1=p1)
        assert _unrounded(back)["n_per_arm_individual"] == pytest.approx(n, rel=1e-8)


def test_cluster_mde_round_trip_through_clusters():
    # 10 local authorities per arm of 20 families, ICC 0.05, 10% attrition: the detectable
    # effect fed back into trial_sample_size needs about the same number of clusters.
    res = minimum_detectable_effect(
        n_clusters_per_arm=10, cluster_size=20, icc=0.05, attrition=0.1, sd=8
    )
    values = _values(res)
    assert values["design_effect"] == pytest.approx(1.95)
    assert values["n_per_arm_effective"] == pytest.approx(200 * 0.9 / 1.95)
    back = trial_sample_size(
        effect_size=values["mde_raw"], sd=8, icc=0.05, cluster_size=20, attrition=0.1
    )
    # Rounding up at each stage adds at most one cluster.
    assert _values(back)["clusters_per_arm"] in (10, 11)
    frame = res.to_frame()
    assert frame["n_per_arm"].eq(200).all() and frame["n_clusters_per_arm"].eq(10).all()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "give exactly one of n_per_arm"),
        ({"n_per_arm": 50, "n_clusters_per_arm": 5}, "give exactly one of n_per_arm"),
        ({"n_per_arm": 50.5}, "n_per_arm must be a positive whole number"),
        ({"n_per_arm": 0}, "n_per_arm must be a positive whole number"),
        ({"n_clusters_per_arm": 2.5, "cluster_size": 10}, "n_clusters_per_arm must be"),
        ({"n_per_arm": 3, "attrition": 0.5}, "at least 2 are needed"),
        ({"n_per_arm": 50, "p0": 0.3}, "p0 is for outcome='binary'"),
        ({"outcome": "binary", "n_per_arm": 50}, "p0 is required"),
        ({"outcome": "binary", "n_per_arm": 50, "p0": 0.3, "sd": 2}, "sd is for outcome="),
        ({"n_per_arm": 50, "sd": -1}, "sd must be positive"),
        ({"n_per_arm": 50, "power": 0}, "power must be strictly between 0 and 1"),
    ],
)
def test_minimum_detectable_effect_errors(kwargs, message):
    with pytest.raises(StatsInputError, match=message):
        minimum_detectable_effect(**kwargs)


# --------------------------------------------------------------------------- power (slow)


@pytest.mark.slow
def test_simulated_power_of_t_test_at_computed_size():
    # At the computed 64 per arm, simulated two-sample t-tests (equal variances) for
    # d = 0.5 reject at 5% in about 80% of trials (exact power 0.8015, statsmodels).
    rng = np.random.default_rng(2024)
    n = int(_values(trial_sample_size(effect_size=0.5))["n_per_arm"])
    reps = 20_000
    x = rng.normal(0.5, 1.0, size=(reps, n))
    y = rng.normal(0.0, 1.0, size=(reps, n))
    p = stats.ttest_ind(x, y, axis=1).pvalue
    power = (p < 0.05).mean()
    assert power == pytest.approx(0.8015, abs=0.01)  # simulation SE ~ 0.003


@pytest.mark.slow
def test_simulated_power_of_pooled_z_test_at_computed_size():
    # At the computed 77 per arm for 0.5 vs 0.75 (power 0.9), the pooled two-proportion
    # z test (Pearson chi-squared) rejects in about 90% of simulated trials.
    rng = np.random.default_rng(2025)
    n = int(_values(trial_sample_size(outcome="binary", p0=0.5, p1=0.75, power=0.9))["n_per_arm"])
    reps = 40_000
    k1 = rng.binomial(n, 0.75, reps)
    k0 = rng.binomial(n, 0.5, reps)
    pooled = (k1 + k0) / (2 * n)
    z = (k1 - k0) / n / np.sqrt(pooled * (1 - pooled) * 2 / n)
    power = (np.abs(z) > stats.norm.ppf(0.975)).mean()
    assert power == pytest.approx(0.90, abs=0.015)  # normal approximation + SE ~ 0.0015
