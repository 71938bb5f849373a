"""Tests of noream_eval.stats.imputation: Rubin's rules and chained-equation imputation.

Reference results:

- ``mice::pool`` output (R package mice, class ``mipo``, m = 5, dfcom = 95) printed at
  pastebin.com/qbiidQbt: for five regression terms it lists ubar, b, t, df, riv, lambda
  and fmi, so every derived quantity can be checked from ubar and b.
- SAS/STAT User's Guide, PROC MIANALYZE Example "Reading Means and Standard Errors from
  Variables in a DATA= Data Set" (Output 57.1.1 in SAS/STAT 9.22; 76.1.1 in 14.1): the
  means and standard errors of Oxygen, RunTime and RunPulse in 5 imputed Fitness data
  sets, combined with EDF=30. Its pooled table was not available to us, so these
  published inputs are pooled by the formulas written out independently in this file.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from noream_eval.errors import StatsInputError
from noream_eval.stats._base import Estimates
from noream_eval.stats.imputation import _mice_data, multiple_imputation, pool_rubin

# mice::pool printout (pastebin.com/qbiidQbt), class mipo, m = 5, dfcom = 95.
MICE_POOL = pd.read_csv(
    io.StringIO(
        """term,ubar,b,t,df,riv,lambda,fmi
(Intercept),1.142564e+05,4.113064e+04,1.636132e+05,26.22033,0.43198246,0.3016674,0.34946514
X_bmi5,1.029258e+02,3.885445e+01,1.495512e+02,25.05433,0.45299931,0.3117684,0.36083262
X_frutsum,4.033598e-01,3.798569e-01,8.591881e-01,10.72323,1.13007857,0.5305337,0.59895297
X_vegesum,4.089335e-01,4.024359e-02,4.572258e-01,67.55155,0.11809330,0.1056203,0.13097419
X_drnkmo4,1.389410e+01,8.912496e-01,1.496360e+01,77.82180,0.07697507,0.0714734,0.09445053
"""
    )
).set_index("term")

# SAS PROC MIANALYZE example, Output 57.1.1: means and standard errors per imputation.
SAS_MEANS = np.array(
    [
        [47.0120, 10.4441, 171.216],
        [47.2407, 10.5040, 171.244],
        [47.4995, 10.5922, 171.909],
        [47.1485, 10.5279, 171.146],
        [47.0042, 10.4913, 172.072],
    ]
)
SAS_SES = np.array(
    [
        [0.95984, 0.28520, 1.59910],
        [0.93540, 0.26661, 1.75638],
        [1.00766, 0.26302, 1.85795],
        [0.95439, 0.26405, 1.75011],
        [0.96528, 0.27275, 1.84807],
    ]
)


def with_moments(mean: float, between: float, m: int = 5) -> np.ndarray:
    """m estimates whose mean and sample variance (ddof=1) are exactly mean and between."""
    z = np.arange(m, dtype=float)
    z = (z - z.mean()) / z.std(ddof=1)
    return mean + np.sqrt(between) * z


# --- pool_rubin against published output ------------------------------------------------


@pytest.mark.parametrize("term", list(MICE_POOL.index))
def test_pool_reproduces_mice_pool_output(term):
    ubar, b, t, df, riv, lam, fmi = MICE_POOL.loc[term]
    res = pool_rubin(with_moments(1.0, b), np.full(5, ubar), df_complete=95, term=term)
    row = res.to_frame().iloc[0]
    # The printout has 7 significant digits, so ubar and b are themselves rounded:
    # relative tolerance 2e-6.
    assert row["within_var"] == pytest.approx(ubar, rel=1e-12)
    assert row["between_var"] == pytest.approx(b, rel=1e-12)
    assert row["total_var"] == pytest.approx(t, rel=2e-6)
    assert row["df"] == pytest.approx(df, rel=2e-6)
    assert row["riv"] == pytest.approx(riv, rel=2e-6)
    assert row["lambda_"] == pytest.approx(lam, rel=2e-6)
    assert row["fmi"] == pytest.approx(fmi, rel=2e-6)
    assert row["m"] == 5


def test_pool_sas_example_by_hand():
    # Rubin (1987) / Barnard & Rubin (1999) evaluated by hand in the parametrisation of the
    # R package mitml (r first, then lambda = r / (1 + r)), different from the module's.
    res = pool_rubin(
        SAS_MEANS,
        SAS_SES**2,
        df_complete=30,
        term=["Oxygen", "RunTime", "RunPulse"],
        n=31,
    )
    table = res.to_frame().set_index("term")
    m = 5
    for j, name in enumerate(["Oxygen", "RunTime", "RunPulse"]):
        q, u = SAS_MEANS[:, j], SAS_SES[:, j] ** 2
        qbar = sum(q) / m
        ubar = sum(u) / m
        b = sum((qi - qbar) ** 2 for qi in q) / (m - 1)
        t = ubar + (1 + 1 / m) * b
        r = (1 + 1 / m) * b / ubar
        v_m = (m - 1) * (1 + 1 / r) ** 2
        lam = r / (r + 1)
        v_obs = (1 - lam) * (30 + 1) / (30 + 3) * 30
        v = 1 / (1 / v_m + 1 / v_obs)
        fmi = (r + 2 / (v + 3)) / (r + 1)
        half = stats.t.ppf(0.975, v) * np.sqrt(t)
        row = table.loc[name]
        assert row["estimate"] == pytest.approx(qbar, rel=1e-12)
        assert row["within_var"] == pytest.approx(ubar, rel=1e-12)
        assert row["between_var"] == pytest.approx(b, rel=1e-12)
        assert row["total_var"] == pytest.approx(t, rel=1e-12)
        assert row["riv"] == pytest.approx(r, rel=1e-12)
        assert row["lambda_"] == pytest.approx(lam, rel=1e-12)
        assert row["df"] == pytest.approx(v, rel=1e-12)
        assert row["fmi"] == pytest.approx(fmi, rel=1e-12)
        assert row["se"] == pytest.approx(np.sqrt(t), rel=1e-12)
        assert (row["ci_low"], row["ci_high"]) == pytest.approx((qbar - half, qbar + half))
        p = 2 * stats.t.sf(qbar / np.sqrt(t), v)
        assert row["p_value"] == pytest.approx(p, rel=1e-9, abs=1e-300)
        assert row["n"] == 31
    # Oxygen by hand from the printed table: mean of the five means = 47.18098.
    assert table.loc["Oxygen", "estimate"] == pytest.approx(47.18098, abs=5e-6)
    assert table.loc["Oxygen", "method"] == "Rubin's rules (m = 5), Barnard-Rubin df"


def test_rubin_1987_df_without_complete_data_df():
    res = pool_rubin(SAS_MEANS[:, 0], SAS_SES[:, 0] ** 2)
    row = res.to_frame().iloc[0]
    r = row["riv"]
    assert row["df"] == pytest.approx(4 * (1 + 1 / r) ** 2, rel=1e-12)  # Rubin 1987 eq. 3.1.6
    assert row["method"] == "Rubin's rules (m = 5), Rubin (1987) df"
    assert row["term"] == "estimate"
    assert pd.isna(row["n"])


def test_two_dimensional_inputs_and_term_names():
    frame_est = pd.DataFrame(SAS_MEANS, columns=["oxygen", "runtime", "pulse"])
    frame_var = pd.DataFrame(SAS_SES**2, columns=["oxygen", "runtime", "pulse"])
    by_frame = pool_rubin(frame_est, frame_var, df_complete=[30, 30, 30]).to_frame()
    assert by_frame["term"].tolist() == ["oxygen", "runtime", "pulse"]
    numbered = pool_rubin(SAS_MEANS, SAS_SES**2, df_complete=30, term="mean").to_frame()
    assert numbered["term"].tolist() == ["mean_1", "mean_2", "mean_3"]
    np.testing.assert_allclose(by_frame["df"], numbered["df"])
    mixed = pool_rubin(SAS_MEANS, SAS_SES**2, df_complete=[30, np.inf, 30]).to_frame()
    assert mixed.loc[1, "df"] > numbered.loc[1, "df"]
    assert "Barnard-Rubin df where df_complete given" in mixed.loc[0, "method"]


def test_no_between_imputation_variance_returns_complete_data_inference():
    # Nothing missing: identical estimates. T = Ubar and df = df_complete (documented),
    # so the interval is the complete-data t interval.
    res = pool_rubin([2.0] * 5, [0.25] * 5, df_complete=30).to_frame().iloc[0]
    assert res["total_var"] == 0.25
    assert (res["df"], res["riv"], res["lambda_"], res["fmi"]) == (30, 0, 0, 0)
    half = stats.t.ppf(0.975, 30) * 0.5
    assert (res["ci_low"], res["ci_high"]) == pytest.approx((2 - half, 2 + half))
    large = pool_rubin([2.0] * 5, [0.25] * 5).to_frame().iloc[0]
    assert large["df"] == np.inf
    assert large["ci_high"] == pytest.approx(2 + stats.norm.ppf(0.975) * 0.5)


def test_missing_estimates_are_left_out_and_counted():
    est = SAS_MEANS[:, 0].copy()
    var = SAS_SES[:, 0] ** 2
    est[2] = np.nan
    res = pool_rubin(est, var, term="oxygen")
    row = res.to_frame().iloc[0]
    keep = [0, 1, 3, 4]
    assert row["m"] == 4
    assert row["estimate"] == pytest.approx(SAS_MEANS[keep, 0].mean())
    assert row["n_dropped"] == 1
    assert res.notes() == [
        "oxygen: 1 of 5 imputations had no estimate or variance and were left out."
    ]


def test_pool_takes_column_names_with_data():
    # One row per imputation: the SAS means and SEs as columns of a DataFrame give the
    # same pooled table as the arrays.
    fits = pd.DataFrame(
        {
            "oxygen": SAS_MEANS[:, 0],
            "oxygen_var": SAS_SES[:, 0] ** 2,
            "runtime": SAS_MEANS[:, 1],
            "runtime_var": SAS_SES[:, 1] ** 2,
        }
    )
    by_name = pool_rubin(
        ["oxygen", "runtime"], ["oxygen_var", "runtime_var"], data=fits, df_complete=30
    ).to_frame()
    by_value = pool_rubin(
        SAS_MEANS[:, :2], SAS_SES[:, :2] ** 2, df_complete=30, term=["oxygen", "runtime"]
    ).to_frame()
    pd.testing.assert_frame_equal(by_name, by_value)
    one = pool_rubin("oxygen", "oxygen_var", data=fits, term="O2").to_frame()
    assert one["term"].tolist() == ["O2"]
    with pytest.raises(StatsInputError, match="'pulse' \\(given as estimates\\) is not in"):
        pool_rubin("pulse", "oxygen_var", data=fits)
    with pytest.raises(StatsInputError, match="one variance column per estimate column"):
        pool_rubin(["oxygen", "runtime"], "oxygen_var", data=fits)


@pytest.mark.parametrize(
    ("est", "var", "kwargs", "message"),
    [
        ([1.0], [0.1], {}, "at least 2 imputations"),
        ([1.0, np.nan, 2.0], [0.1, 0.1, np.nan], {}, "at least 2 imputations"),
        ([1.0, 2.0], [0.1, 0.1, 0.1], {}, "give one variance"),
        ([1.0, 2.0], [0.1, -0.1], {}, "non-negative"),
        ([1.0, 2.0], [0.1, np.inf], {}, "non-negative"),
        ([1.0, np.inf], [0.1, 0.1], {}, "infinite"),
        ([1.0, 1.0], [0.0, 0.0], {}, "no uncertainty"),
        ([1.0, 2.0], [0.0, 0.0], {}, "within-imputation variance is zero"),
        ([1.0, 2.0], [0.1, 0.1], {"df_complete": 0}, "df_complete must be"),
        ([1.0, 2.0], [0.1, 0.1], {"df_complete": [10, 20]}, "df_complete must be"),
        ([1.0, 2.0], [0.1, 0.1], {"conf_level": 1.5}, "conf_level"),
        ([1.0, 2.0], [0.1, 0.1], {"term": ["a", "b"]}, "2 names for 1 columns"),
        ([1.0, 2.0], [0.1, 0.1], {"n": -3}, "n must be"),
        (np.ones((2, 2, 2)), np.ones((2, 2, 2)), {}, "1-D"),
        (["a", "b"], [0.1, 0.1], {}, "numeric"),
        (
            pd.DataFrame({"a": [1.0, 2.0]}),
            pd.DataFrame({"b": [0.1, 0.1]}),
            {},
            "different columns",
        ),
    ],
)
def test_pool_rejects_bad_input(est, var, kwargs, message):
    with pytest.raises(StatsInputError, match=message):
        pool_rubin(est, var, **kwargs)


# --- multiple_imputation ------------------------------------------------------------------


def mean_of(column: str):
    def analysis(d: pd.DataFrame) -> pd.DataFrame:
        x = d[column].to_numpy(dtype=float)
        return pd.DataFrame(
            {
                "term": [f"mean {column}"],
                "estimate": [x.mean()],
                "se": [x.std(ddof=1) / np.sqrt(len(x))],
                "df": [len(x) - 1],
            }
        )

    return analysis


def mar_data(n: int, seed: int, slope: float = 0.7) -> tuple[pd.DataFrame, np.ndarray]:
    """y = 1 + 0.8 x + e; y missing with probability logistic(-1 + slope * x) (about 30%)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    y = 1 + 0.8 * x + rng.normal(size=n)
    y_obs = np.where(rng.random(n) < 1 / (1 + np.exp(1 - slope * x)), np.nan, y)
    return pd.DataFrame({"x": x, "y": y_obs}), y


def test_mar_mean_recovered_where_complete_cases_are_biased():
    data, y_full = mar_data(2000, seed=1)
    res = multiple_imputation(data, analysis=mean_of("y"), m=10, seed=2)
    row = res.to_frame().iloc[0]
    complete_case = data["y"].mean()
    # Missingness rises with x, so complete cases underestimate the mean (by ~0.12 here)...
    assert y_full.mean() - complete_case > 3 * row["se"]
    # ...while the pooled estimate is within 2 SE of the full-data mean and its CI covers it.
    assert abs(row["estimate"] - y_full.mean()) < 2 * row["se"]
    assert row["ci_low"] <= y_full.mean() <= row["ci_high"]
    assert 0 < row["fmi"] < 1 and row["between_var"] > 0
    assert row["n"] == 2000 and row["m"] == 10
    assert res.notes()[0].startswith("Imputed values: y ")


def test_completed_data_passed_to_analysis():
    data, _ = mar_data(120, seed=3)
    data["family_id"] = [f"F{i:03d}" for i in range(120)]
    flag = pd.array(np.arange(120) % 2 == 0, dtype="boolean")
    flag[[5, 17]] = pd.NA
    data["flag"] = flag
    data = data.set_index(pd.Index(range(1000, 1120), name="row"))
    seen: list[pd.DataFrame] = []

    def capture(d: pd.DataFrame) -> pd.DataFrame:
        seen.append(d)
        return mean_of("y")(d)

    res = multiple_imputation(data, analysis=capture, m=3, seed=4, variables=["x", "y"])
    assert len(seen) == 3
    observed = set(data["y"].dropna())
    for d in seen:
        assert d.index.equals(data.index)
        assert d["family_id"].equals(data["family_id"])  # passed through unchanged
        assert d["flag"].isna().sum() == 2  # not in variables: not imputed
        assert not d["y"].isna().any()
        assert set(d["y"]) <= observed  # predictive mean matching imputes observed values
        np.testing.assert_array_equal(d["x"], data["x"])
    n_miss = int(data["y"].isna().sum())
    assert res.notes()[0] == f"Imputed values: y {n_miss} of 120 ({n_miss / 120:.1%})."
    assert "seed 4" in res.notes()[1] and "5 donors" in res.notes()[1]
    assert (
        res.to_frame()
        .loc[0, "method"]
        .startswith("multiple imputation (chained equations, PMM); Rubin's rules (m = 3)")
    )


def test_complete_imputation_variables_reach_the_analysis_as_numbers():
    # Complete variables are passed on as float64 (their values unchanged), whatever
    # their dtype; a complete float64 column is passed on as it is.
    data, _ = mar_data(80, seed=5)
    data["k"] = np.arange(80) % 4  # int64, complete
    data["b"] = np.arange(80) % 3 == 0  # bool, complete
    seen: list[pd.DataFrame] = []

    def capture(d: pd.DataFrame) -> pd.DataFrame:
        seen.append(d)
        return mean_of("y")(d)

    multiple_imputation(data, analysis=capture, m=2, seed=1, variables=["x", "y", "k", "b"])
    for d in seen:
        assert d[["x", "y", "k", "b"]].dtypes.tolist() == [np.float64] * 4
        np.testing.assert_array_equal(d["k"], data["k"].astype(float))
        np.testing.assert_array_equal(d["b"], data["b"].astype(float))
        np.testing.assert_array_equal(d["x"], data["x"])


def test_seed_reproduces_and_is_recorded():
    data, _ = mar_data(100, seed=5)
    a = multiple_imputation(data, analysis=mean_of("y"), m=4, seed=7).to_frame()
    b = multiple_imputation(data, analysis=mean_of("y"), m=4, seed=7).to_frame()
    pd.testing.assert_frame_equal(a, b)
    drawn = multiple_imputation(data, analysis=mean_of("y"), m=4)
    seed = int(drawn.notes()[1].split("seed ")[1].rstrip("."))
    again = multiple_imputation(data, analysis=mean_of("y"), m=4, seed=seed)
    pd.testing.assert_frame_equal(drawn.to_frame(), again.to_frame())


def test_nothing_missing_gives_complete_data_result():
    data, _ = mar_data(50, seed=6)
    data["y"] = data["y"].fillna(0.0)
    res = multiple_imputation(data, analysis=mean_of("y"), m=5, seed=1)
    row = res.to_frame().iloc[0]
    direct = mean_of("y")(data).iloc[0]
    assert row["estimate"] == pytest.approx(direct["estimate"])
    assert row["total_var"] == pytest.approx(direct["se"] ** 2)
    assert (row["between_var"], row["df"], row["fmi"]) == (0, 49, 0)
    assert res.notes()[0] == "Imputed values: none (no values missing)."


def test_engine_design_matches_statsmodels_formulas():
    # The numpy design matrices equal those MICEData builds from its default formula
    # "v ~ <all other columns>", so the conditional models are statsmodels' own.
    from statsmodels.imputation.mice import MICEData

    rng = np.random.default_rng(8)
    block = pd.DataFrame(rng.normal(size=(40, 3)), columns=["v0", "v1", "v2"])
    block.iloc[[1, 5, 9], 1] = np.nan
    block.iloc[[2, 7], 2] = np.nan
    ours = _mice_data(block, k_pmm=5, seed=1)
    theirs = MICEData(block, k_pmm=5, rng=1)
    for v in ("v1", "v2"):
        for a, b in zip(ours.get_fitting_data(v)[:2], theirs.get_fitting_data(v)[:2], strict=True):
            np.testing.assert_allclose(a, b)
        for a, b in zip(ours.get_split_data(v)[:3], theirs.get_split_data(v)[:3], strict=True):
            np.testing.assert_allclose(np.squeeze(a), np.squeeze(b))


def test_type_1_matching_varies_donors_between_imputations():
    # One predictor and one donor: with type 2 matching every imputation would pick the
    # same donor (the order of predictions does not depend on the drawn slope); type 1
    # matching compares drawn predictions with fitted ones, so imputations differ.
    data, _ = mar_data(200, seed=9)
    imputed = []

    def capture(d: pd.DataFrame) -> pd.DataFrame:
        imputed.append(d.loc[data["y"].isna(), "y"].to_numpy())
        return mean_of("y")(d)

    res = multiple_imputation(data, analysis=capture, m=5, seed=3, k_pmm=1)
    assert any(not np.array_equal(imputed[0], other) for other in imputed[1:])
    assert res.to_frame().loc[0, "between_var"] > 0


def test_analysis_may_return_result_objects_and_missing_results_are_counted():
    data, _ = mar_data(80, seed=10)
    calls = {"n": 0}

    def analysis(d: pd.DataFrame) -> Estimates:
        calls["n"] += 1
        table = mean_of("y")(d)
        if calls["n"] == 2:
            table["se"] = np.nan  # e.g. a model that failed on one completed data set
        return Estimates(table=table)

    res = multiple_imputation(data, analysis=analysis, m=4, seed=2)
    assert res.to_frame().loc[0, "m"] == 3
    assert any("1 of 4 imputations" in line for line in res.notes())


@pytest.mark.parametrize(
    ("make", "kwargs", "message"),
    [
        (lambda d: d.assign(z=np.nan), {}, "'z' have no observed values"),
        (
            lambda d: d.assign(
                y=np.where(np.arange(len(d)) < 3, np.nan, d["y"]),
                x=np.where(np.arange(len(d)) < 3, np.nan, d["x"]),
            ),
            {},
            "3 row",
        ),
        (lambda d: d.assign(group="a"), {"variables": ["x", "group"]}, "'group' is not numeric"),
        (lambda d: d, {"variables": ["x", "nope"]}, "'nope' \\(given as variables\\) is not in"),
        (lambda d: d, {"variables": ["x", "x"]}, "twice"),
        (lambda d: d, {"m": 1}, "m must be a whole number of at least 2"),
        (lambda d: d, {"n_burnin": -1}, "n_burnin"),
        (lambda d: d, {"seed": 1.5}, "seed must be"),
        (lambda d: d, {"conf_level": 0}, "conf_level"),
        (lambda d: d.head(1), {}, "1 rows"),
        (lambda d: d.assign(y=np.where(np.arange(len(d)) < 3, 1.0, np.nan)), {}, "only 3 observed"),
        (lambda d: d.drop(columns=["x", "y"]).assign(s="a"), {}, "no numeric columns"),
        (lambda d: d.assign(x=np.inf), {}, "infinite"),
    ],
)
def test_multiple_imputation_rejects_bad_input(make, kwargs, message):
    data, _ = mar_data(60, seed=11)
    data["y"] = data["y"].astype(float)
    with pytest.raises(StatsInputError, match=message):
        multiple_imputation(make(data), analysis=mean_of("y"), **({"seed": 1} | kwargs))


def test_bad_analysis_results_raise_clear_errors():
    data, _ = mar_data(60, seed=12)
    with pytest.raises(StatsInputError, match="lacks column"):
        multiple_imputation(
            data, analysis=lambda d: pd.DataFrame({"term": ["a"], "estimate": [1.0]}), m=2, seed=1
        )
    with pytest.raises(StatsInputError, match="must return a DataFrame"):
        multiple_imputation(data, analysis=lambda d: 1.0, m=2, seed=1)
    counter = iter(range(10))

    def changing(d: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame({"term": [f"t{next(counter)}"], "estimate": [1.0], "se": [0.1]})

    with pytest.raises(StatsInputError, match="same terms in the same order"):
        multiple_imputation(data, analysis=changing, m=2, seed=1)
    with pytest.raises(StatsInputError, match="data must be a pandas DataFrame; got ndarray"):
        multiple_imputation(data.to_numpy(), analysis=mean_of("y"), seed=1)


# --- coverage -----------------------------------------------------------------------------


@pytest.mark.slow
def test_rubins_rules_coverage_under_mar():
    # 700 data sets of n = 200 with about 30% of y missing at random given x (missingness
    # rises with x, so complete cases are biased); m = 20 imputations each; target the
    # population mean of y (1.0). Monte Carlo SD of the coverage is 0.008, so the band
    # [0.93, 0.97] is about 2.5 SD either side of 0.95.
    reps, hits, estimates = 700, 0, []
    for i in range(reps):
        data, _ = mar_data(200, seed=10_000 + i)
        row = multiple_imputation(data, analysis=mean_of("y"), m=20, seed=i).to_frame().iloc[0]
        hits += row["ci_low"] <= 1.0 <= row["ci_high"]
        estimates.append(row["estimate"])
    assert 0.93 <= hits / reps <= 0.97
    # PMM cannot impute beyond the observed donors, so a small bias toward the observed
    # values can remain (-0.004 in this simulation); complete cases are off by about -0.12.
    assert abs(np.mean(estimates) - 1.0) < 0.03
