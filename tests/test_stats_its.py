"""Tests for noream_eval.stats.its: segmented regression for interrupted time series.

Reference data: the Sicily acute coronary events series, the worked example of
Lopez Bernal J, Cummins S, Gasparrini A (2017), "Interrupted time series regression for the
evaluation of public health interventions: a tutorial", Int J Epidemiol 46:348-355.
``tests/data/its_sicily.csv`` is ``sicily.csv`` of the authors' code-and-data repository
github.com/gasparrini/2017_lopezbernal_IJE_codedata (commit c88b53f), unchanged: 59 months
(January 2002 to November 2006) of ACE admissions aged 0-69 (``aces``), the smoking ban
indicator (``smokban``, 1 from January 2005 = time 37) and the age-standardised population
(``stdpop``).

The models are those of the repository's ``Rcode.R``:

    model1 <- glm(aces ~ offset(log(stdpop)) + smokban + time, family=poisson, data)
    model2 <- glm(aces ~ offset(log(stdpop)) + smokban + time, family=quasipoisson, data)
    model3 <- glm(aces ~ offset(log(stdpop)) + smokban + time + harmonic(month,2,12),
                  family=quasipoisson, data)
    model4 <- glm(aces ~ offset(log(stdpop)) + smokban + time + I(time-36):smokban +
                  harmonic(month,2,12), family=quasipoisson, data)

Reference values: (a) R's printed ``summary(model3)`` lines for the four seasonal terms
(quoted below); (b) for every other coefficient, standard error, dispersion, interval,
Newey-West standard error, negative binomial fit and Ljung-Box statistic, an independent
implementation written out in this file (Fisher scoring, the sandwich formula, the NB2
likelihood, the Ljung-Box formula), which shares no code with statsmodels; (c) R output
committed under tests/reference/ (each ``.R`` script beside its printed ``.out``):
``its_negbin_nw`` (MASS::glm.nb with sandwich::NeweyWest), ``its_quasipoisson_t``
(summary.glm of quasi-Poisson fits, t on the residual df) and ``its_covariate`` (a COVID-19
indicator as a covariate, glm and glm.nb, with the counterfactual from predict()).
"""

from __future__ import annotations

import io
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import optimize, special, stats

from noream_eval.errors import StatsInputError
from noream_eval.stats._base import RESULT_COLUMNS
from noream_eval.stats.its import ITSFit, its_fit

SICILY = Path(__file__).parent / "data" / "its_sicily.csv"
REFERENCE = Path(__file__).parent / "reference"
MONTHLY = REFERENCE / "its_negbin_nw.csv"


def r_block(name: str, block: str) -> pd.DataFrame:
    """The CSV block between ``BEGIN block`` and ``END block`` of tests/reference/name.out."""
    lines = (REFERENCE / f"{name}.out").read_text().splitlines()
    start, end = lines.index(f"BEGIN {block}"), lines.index(f"END {block}")
    return pd.read_csv(io.StringIO("\n".join(lines[start + 1 : end])), skipinitialspace=True)


@pytest.fixture(scope="module")
def sicily() -> pd.DataFrame:
    return pd.read_csv(SICILY)


# ----------------------------------------------------------------------------------------
# Independent implementations
# ----------------------------------------------------------------------------------------


def harmonic(x: np.ndarray, nfreq: int, period: float) -> np.ndarray:
    """tsModel::harmonic (R. D. Peng, tsModel): outer(x, k), k = (1..nfreq) 2 pi / period,
    all sines then all cosines (for nfreq <= 2 the same as tsModel's 2^(0..nfreq-1))."""
    k = np.arange(1, nfreq + 1) * 2 * np.pi / period
    m = np.outer(x, k)
    return np.column_stack([np.sin(m), np.cos(m)])


def fisher_scoring(y, x, off, weight=lambda mu: mu, var=lambda mu: mu):
    """Log-link GLM by Fisher scoring (IRLS); weight = (dmu/deta)^2 / V(mu)."""
    beta = np.zeros(x.shape[1])
    beta[0] = math.log(y.mean()) - off.mean()
    for _ in range(200):
        eta = x @ beta + off
        mu = np.exp(eta)
        w = weight(mu)
        zz = eta - off + (y - mu) / mu
        new = np.linalg.solve((x.T * w) @ x, (x.T * w) @ zz)
        done = np.max(np.abs(new - beta)) < 1e-14
        beta = new
        if done:
            break
    mu = np.exp(x @ beta + off)
    bread = np.linalg.inv((x.T * weight(mu)) @ x)
    pearson = (y - mu) / np.sqrt(var(mu))
    phi = float(np.sum(pearson**2) / (len(y) - x.shape[1]))
    return beta, bread, mu, pearson, phi


def bartlett_sandwich(x, score, bread, lags):
    """Newey-West (1987): bread (sum_{|l|<=L} w_l sum_t s_t s_{t-l}') bread, w_l = 1-l/(L+1)."""
    meat = score.T @ score
    for lag in range(1, lags + 1):
        g = score[lag:].T @ score[:-lag]
        meat += (1 - lag / (lags + 1)) * (g + g.T)
    return bread @ meat @ bread


def ljung_box(e: np.ndarray, lags: int) -> tuple[np.ndarray, np.ndarray]:
    """Ljung & Box (1978): Q(L) = n(n+2) sum_{k<=L} r_k^2 / (n-k), chi-squared on L df."""
    n = len(e)
    d = e - e.mean()
    r = np.array([np.sum(d[k:] * d[:-k]) for k in range(1, lags + 1)]) / np.sum(d**2)
    q = n * (n + 2) * np.cumsum(r**2 / (n - np.arange(1, lags + 1)))
    return q, stats.chi2.sf(q, np.arange(1, lags + 1))


def sicily_design(d: pd.DataFrame, seasonal: bool = False, slope_at: float | None = None):
    cols = [np.ones(len(d)), d["smokban"].to_numpy(float), d["time"].to_numpy(float)]
    if slope_at is not None:
        cols.append(d["smokban"].to_numpy(float) * (d["time"].to_numpy(float) - slope_at))
    x = np.column_stack(cols)
    if seasonal:
        x = np.column_stack([x, harmonic(d["month"].to_numpy(float), 2, 12)])
    y = d["aces"].to_numpy(float)
    off = np.log(d["stdpop"].to_numpy(float))
    return y, x, off


def row(fit: ITSFit, term: str) -> pd.Series:
    t = fit.to_frame().set_index("term")
    return t.loc[term]


Z975 = stats.norm.ppf(0.975)


# ----------------------------------------------------------------------------------------
# Sicily: the tutorial's models
# ----------------------------------------------------------------------------------------


def test_model3_seasonal_terms_match_r_summary(sicily):
    # R output of summary(model3) (quasipoisson, harmonic(month, 2, 12), offset log(stdpop)),
    # as printed by R and quoted in a comment of a public R simulation script that took the
    # tutorial's seasonal pattern as its input ("choose bernal paper on Its"):
    #   harmonic(month, 2, 12)1  0.0370967  0.0100241    3.701 0.000520 ***
    #   harmonic(month, 2, 12)2 -0.0182122  0.0096435   -1.889 0.064537 .
    #   harmonic(month, 2, 12)3  0.0381608  0.0096848    3.940 0.000244 ***
    #   harmonic(month, 2, 12)4  0.0147634  0.0097221    1.519 0.134935
    # tsModel's column order is sin1, sin2, cos1, cos2. Estimates and SEs are printed to 7
    # decimals (tolerance 1e-7 = 2 half-units); t to 3 decimals (tolerance 1e-3); R's
    # p-values use the t distribution on 59 - 7 = 52 df (tolerance 1e-6, printed to 6 dp).
    r_est = [0.0370967, -0.0182122, 0.0381608, 0.0147634]
    r_se = [0.0100241, 0.0096435, 0.0096848, 0.0097221]
    r_t = [3.701, -1.889, 3.940, 1.519]
    r_p = [0.000520, 0.064537, 0.000244, 0.134935]
    fit = its_fit(
        sicily,
        outcome="aces",
        time="time",
        post="smokban",
        offset="stdpop",
        family="quasipoisson",
        harmonics=2,
        period=12,
        season="month",
    )
    names = ["sin1", "sin2", "cos1", "cos2"]
    est = fit.params[names].to_numpy()
    se = np.sqrt(np.diag(fit.cov.loc[names, names]))
    np.testing.assert_allclose(est, r_est, atol=1e-7, rtol=0)
    np.testing.assert_allclose(se, r_se, atol=1e-7, rtol=0)
    np.testing.assert_allclose(est / se, r_t, atol=1e-3, rtol=0)
    np.testing.assert_allclose(2 * stats.t.sf(np.abs(est / se), 52), r_p, atol=1e-6, rtol=0)


@pytest.mark.parametrize(
    ("family", "seasonal"),
    [("poisson", False), ("quasipoisson", False), ("quasipoisson", True)],
    ids=["model1", "model2", "model3"],
)
def test_sicily_models_match_independent_fit(sicily, family, seasonal):
    # Models 1-3 of Rcode.R, refitted by the Fisher scoring above. The quasi-Poisson SE is the
    # Poisson SE x sqrt(phi), phi = sum(pearson^2) / (n - p) as R's quasipoisson. Wald CI
    # exp(b -/+ 1.959964 se) as Epi::ci.exp used in Rcode.R. Tolerance rtol 1e-8 (both are
    # converged to machine precision).
    y, x, off = sicily_design(sicily, seasonal=seasonal)
    beta, bread, _, _, phi = fisher_scoring(y, x, off)
    scale = phi if family == "quasipoisson" else 1.0
    se = np.sqrt(np.diag(bread) * scale)
    fit = its_fit(
        sicily,
        outcome="aces",
        time="time",
        post="smokban",
        offset="stdpop",
        family=family,
        harmonics=2 if seasonal else 0,
        season="month" if seasonal else None,
    )
    for term, j in (("level_change", 1), ("trend", 2)):
        r = row(fit, term)
        assert r["coef"] == pytest.approx(beta[j], rel=1e-8)
        assert r["se"] == pytest.approx(se[j], rel=1e-8)
        assert r["estimate"] == pytest.approx(math.exp(beta[j]), rel=1e-8)
        assert r["ci_low"] == pytest.approx(math.exp(beta[j] - Z975 * se[j]), rel=1e-8)
        assert r["ci_high"] == pytest.approx(math.exp(beta[j] + Z975 * se[j]), rel=1e-8)
        assert r["p_value"] == pytest.approx(2 * stats.norm.sf(abs(beta[j] / se[j])), rel=1e-6)
        assert r["n"] == 59
        assert r["dispersion"] == pytest.approx(scale, rel=1e-10)
    assert fit.pearson_dispersion == pytest.approx(phi, rel=1e-10)


def test_quasipoisson_dispersion_is_pearson_chi2_over_df(sicily):
    # phi = sum((y - mu)^2 / mu) / (n - p) with mu from the independent fit; p = 3 (model 2)
    y, x, off = sicily_design(sicily)
    _, _, mu, _, _ = fisher_scoring(y, x, off)
    phi = np.sum((y - mu) ** 2 / mu) / (59 - 3)
    fit = its_fit(
        sicily, outcome="aces", time="time", post="smokban", offset="stdpop", family="quasipoisson"
    )
    assert fit.dispersion == pytest.approx(phi, rel=1e-10)
    assert fit.to_frame()["dispersion"].tolist() == pytest.approx([phi, phi], rel=1e-10)
    assert any("Pearson chi2/df" in n for n in fit.notes())


def test_model4_slope_change_reparametrised(sicily):
    # Rcode.R's model4 centres the slope change at time 36 (last pre month): smokban:I(time-36).
    # its_fit centres it at the first post point (37), so slope coefficients agree and
    # level_change(37) = smokban(36) + slope. Reference: independent fit of model4 as written.
    y, x, off = sicily_design(sicily, seasonal=True, slope_at=36.0)
    beta, bread, _, _, phi = fisher_scoring(y, x, off)
    se = np.sqrt(np.diag(bread) * phi)
    fit = its_fit(
        sicily,
        outcome="aces",
        time="time",
        post="smokban",
        offset="stdpop",
        family="quasipoisson",
        harmonics=2,
        season="month",
        slope_change=True,
    )
    assert row(fit, "slope_change")["coef"] == pytest.approx(beta[3], rel=1e-7)
    assert row(fit, "slope_change")["se"] == pytest.approx(se[3], rel=1e-7)
    assert row(fit, "level_change")["coef"] == pytest.approx(beta[1] + beta[3], rel=1e-7)
    assert row(fit, "trend")["coef"] == pytest.approx(beta[2], rel=1e-7)
    assert fit.to_frame()["term"].tolist() == ["level_change", "trend", "slope_change"]
    assert fit.intervention_time == 37


@pytest.mark.parametrize(("family", "seasonal"), [("poisson", False), ("quasipoisson", True)])
@pytest.mark.parametrize("maxlags", [None, 6])
def test_newey_west_matches_independent_sandwich(sicily, family, seasonal, maxlags):
    # HAC covariance bread * meat * bread with Bartlett weights, scores x_t (y_t - mu_t), no
    # small-sample correction (Newey & West 1987). Default lag floor(4 (59/100)^(2/9)) = 3
    # (Newey & West 1994). The sandwich does not involve phi, so Poisson = quasi-Poisson.
    y, x, off = sicily_design(sicily, seasonal=seasonal)
    _, bread, mu, _, _ = fisher_scoring(y, x, off)
    lags = maxlags if maxlags is not None else math.floor(4 * (59 / 100) ** (2 / 9))
    assert lags in (3, 6)
    cov = bartlett_sandwich(x, x * (y - mu)[:, None], bread, lags)
    fit = its_fit(
        sicily,
        outcome="aces",
        time="time",
        post="smokban",
        offset="stdpop",
        family=family,
        harmonics=2 if seasonal else 0,
        season="month" if seasonal else None,
        newey_west=True,
        maxlags=maxlags,
    )
    assert fit.hac_lags == lags
    t = fit.to_frame().set_index("term")
    assert t["se"].tolist() == pytest.approx(np.sqrt(np.diag(cov))[1:3].tolist(), rel=1e-8)
    assert t["hac_lags"].tolist() == [lags, lags]
    assert set(t["se_type"]) == {"newey_west"}
    assert f"lag {lags}" in t["method"].iloc[0]
    assert any(f"maxlags = {lags}" in n for n in fit.notes())


def test_negbin_matches_independent_maximum_likelihood(sicily):
    # NB2 log-likelihood sum[lgamma(y + 1/a) - lgamma(1/a) - lgamma(y + 1)
    #   + (1/a) log(1/(1 + a mu)) + y log(a mu / (1 + a mu))], maximised over log a (Brent) with
    # beta by Fisher scoring at each a (weights mu / (1 + a mu)). SEs from the expected
    # information X' W X at a-hat, as MASS::glm.nb reports. Model 1's terms (trend, level).
    y, x, off = sicily_design(sicily)

    def fit_at(a):
        return fisher_scoring(
            y, x, off, weight=lambda mu: mu / (1 + a * mu), var=lambda mu: mu + a * mu**2
        )

    def negll(log_a):
        a = math.exp(log_a)
        mu = fit_at(a)[2]
        ll = (
            special.gammaln(y + 1 / a)
            - special.gammaln(1 / a)
            - special.gammaln(y + 1)
            + (1 / a) * np.log(1 / (1 + a * mu))
            + y * np.log(a * mu / (1 + a * mu))
        )
        return -float(np.sum(ll))

    opt = optimize.minimize_scalar(negll, bracket=(math.log(1e-4), math.log(1e-2)), tol=1e-12)
    a_hat = math.exp(opt.x)
    beta, bread, _, _, _ = fit_at(a_hat)
    se = np.sqrt(np.diag(bread))
    fit = its_fit(
        sicily, outcome="aces", time="time", post="smokban", offset="stdpop", family="negbin"
    )
    assert fit.dispersion == pytest.approx(a_hat, rel=1e-4)
    assert row(fit, "level_change")["dispersion"] == pytest.approx(a_hat, rel=1e-4)
    for term, j in (("level_change", 1), ("trend", 2)):
        assert row(fit, term)["coef"] == pytest.approx(beta[j], rel=1e-5)
        assert row(fit, term)["se"] == pytest.approx(se[j], rel=1e-5)
    assert any("alpha" in n for n in fit.notes())


def test_negbin_without_overdispersion_reduces_to_poisson():
    # Counts below Poisson variability: alpha-hat sits at the lower bound (1e-8) and the
    # estimates equal the Poisson ones (tolerance 1e-5 relative), with a note saying so.
    counts = [44, 37, 30, 39, 44, 33, 45, 37, 39, 38, 51, 40, 45, 56, 52, 46, 58, 42]
    counts += [48, 37, 37, 34, 44, 38, 36, 38, 36, 44, 41, 28, 44, 28, 30, 41, 54, 50]
    df = pd.DataFrame({"m": range(1, 37), "y": counts, "p": [0] * 18 + [1] * 18})
    df["y"] = (df["y"] * 0 + 40 + (df["m"] % 3) - 1 - 8 * df["p"]).astype(int)
    nb = its_fit(df, outcome="y", time="m", post="p", family="negbin")
    po = its_fit(df, outcome="y", time="m", post="p")
    assert nb.dispersion <= 1.0001e-8
    assert nb.to_frame()["coef"].tolist() == pytest.approx(po.to_frame()["coef"].tolist(), rel=1e-5)
    assert any("no overdispersion" in n for n in nb.notes())


def test_ljung_box_matches_formula(sicily):
    # Ljung & Box (1978) Q on the Pearson residuals of model 2, lags 1..min(10, 59 // 5) = 10.
    y, x, off = sicily_design(sicily)
    _, _, _, pearson, _ = fisher_scoring(y, x, off)
    q, pv = ljung_box(pearson, 10)
    fit = its_fit(
        sicily, outcome="aces", time="time", post="smokban", offset="stdpop", family="quasipoisson"
    )
    ac = fit.autocorrelation()
    assert ac.columns.tolist() == ["lag", "statistic", "p_value", "df"]
    assert ac["lag"].tolist() == list(range(1, 11))
    np.testing.assert_allclose(ac["statistic"], q, rtol=1e-9)
    np.testing.assert_allclose(ac["p_value"], pv, rtol=1e-7)
    assert any("Ljung-Box" in n and "Q(10)" in n for n in fit.notes())


def test_counterfactual_matches_delta_method(sicily):
    # Counterfactual = exp(x_cf b + log stdpop) with smokban set to 0; its CI is
    # exp(eta -/+ z sqrt(x' V x)), V = phi (X'WX)^-1 from the independent fit.
    y, x, off = sicily_design(sicily)
    beta, bread, mu, _, phi = fisher_scoring(y, x, off)
    v = bread * phi
    fit = its_fit(
        sicily, outcome="aces", time="time", post="smokban", offset="stdpop", family="quasipoisson"
    )
    cf = fit.counterfactual()
    assert cf.columns.tolist() == [
        "time",
        "post",
        "observed",
        "fitted",
        "fitted_ci_low",
        "fitted_ci_high",
        "counterfactual",
        "counterfactual_ci_low",
        "counterfactual_ci_high",
    ]
    np.testing.assert_allclose(cf["fitted"], mu, rtol=1e-8)
    x_cf = x.copy()
    x_cf[:, 1] = 0
    eta = x_cf @ beta + off
    se = np.sqrt(np.einsum("ij,jk,ik->i", x_cf, v, x_cf))
    np.testing.assert_allclose(cf["counterfactual"], np.exp(eta), rtol=1e-8)
    np.testing.assert_allclose(cf["counterfactual_ci_low"], np.exp(eta - Z975 * se), rtol=1e-7)
    np.testing.assert_allclose(cf["counterfactual_ci_high"], np.exp(eta + Z975 * se), rtol=1e-7)
    pre = ~cf["post"]
    np.testing.assert_allclose(cf.loc[pre, "counterfactual"], cf.loc[pre, "fitted"], rtol=1e-12)
    ratio = cf.loc[~pre, "fitted"] / cf.loc[~pre, "counterfactual"]
    np.testing.assert_allclose(ratio, row(fit, "level_change")["estimate"], rtol=1e-10)
    assert cf["observed"].tolist() == y.tolist()


def test_plot_draws_observed_fitted_and_counterfactual(sicily):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fit = its_fit(sicily, outcome="aces", time="time", post="smokban", offset="stdpop")
    ax = fit.plot()
    try:
        lines = ax.get_lines()
        fitted, counterfactual = lines[0], lines[1]
        assert fitted.get_xdata().tolist() == list(range(1, 60))
        assert counterfactual.get_linestyle() == "--"
        assert counterfactual.get_xdata().tolist() == list(range(37, 60))
        assert len(ax.collections[0].get_offsets()) == 59
        assert ax.get_xlabel() == "time" and ax.get_ylabel() == "aces"
        fig, other = plt.subplots()
        assert fit.plot(ax=other) is other
        plt.close(fig)
    finally:
        plt.close(ax.figure)


# ----------------------------------------------------------------------------------------
# The result contract
# ----------------------------------------------------------------------------------------


def test_result_contract(sicily, capsys):
    fit = its_fit(
        sicily, outcome="aces", time="time", post="smokban", offset="stdpop", family="quasipoisson"
    )
    df = fit.to_frame()
    assert df.columns.tolist()[: len(RESULT_COLUMNS)] == list(RESULT_COLUMNS)
    assert df.columns.tolist()[len(RESULT_COLUMNS) :] == [
        "coef",
        "se",
        "statistic",
        "df",
        "dispersion",
        "family",
        "se_type",
        "hac_lags",
        "conf_level",
        "n_dropped",
    ]
    assert str(df["n"].dtype) == "Int64" and str(df["hac_lags"].dtype) == "Int64"
    assert df["hac_lags"].isna().all() and df["df"].isna().all()
    assert fit.inference == "z" and "Wald z" in df["method"].iloc[0]
    assert df["estimate"].tolist() == pytest.approx(np.exp(df["coef"]).tolist(), rel=1e-15)
    text = fit.summary()
    assert text.startswith("Interrupted time series: segmented quasi-Poisson regression")
    assert "level_change" in text and "Ljung-Box" in text
    assert "<table" in fit._repr_html_()
    assert repr(fit) == text == str(fit)
    df.loc[0, "estimate"] = -1.0
    assert fit.to_frame().loc[0, "estimate"] > 0
    with pytest.raises(AttributeError):
        fit.dispersion = 2.0  # type: ignore[misc]
    assert capsys.readouterr().out == ""


def test_conf_level_changes_interval_width(sicily):
    kw = dict(outcome="aces", time="time", post="smokban", offset="stdpop")
    r90 = row(its_fit(sicily, conf_level=0.90, **kw), "level_change")
    z = stats.norm.ppf(0.95)
    assert r90["ci_low"] == pytest.approx(math.exp(r90["coef"] - z * r90["se"]), rel=1e-12)
    assert r90["conf_level"] == 0.90


def test_importing_the_module_stays_light():
    code = (
        "import sys, noream_eval.stats.its;"
        "print(','.join(m for m in ('statsmodels', 'matplotlib') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


# ----------------------------------------------------------------------------------------
# Input handling
# ----------------------------------------------------------------------------------------

KW = dict(outcome="aces", time="time", post="smokban", offset="stdpop")


def test_unsorted_rows_are_sorted_with_a_note(sicily):
    shuffled = sicily.sample(frac=1.0, random_state=3)
    a = its_fit(shuffled, **KW)
    b = its_fit(sicily, **KW)
    pd.testing.assert_frame_equal(a.to_frame(), b.to_frame(), rtol=1e-10)
    assert any("sorted" in n for n in a.notes())
    assert not any("sorted" in n for n in b.notes())


@settings(max_examples=15, deadline=None)
@given(st.permutations(list(range(59))))
def test_estimates_do_not_depend_on_row_order(perm):
    d = pd.read_csv(SICILY)
    ref = its_fit(d, **KW, family="quasipoisson").to_frame()
    fit = its_fit(d.iloc[perm], **KW, family="quasipoisson").to_frame()
    assert fit["coef"].tolist() == pytest.approx(ref["coef"].tolist(), rel=1e-9)
    assert fit["se"].tolist() == pytest.approx(ref["se"].tolist(), rel=1e-9)


def test_missing_values_are_dropped_and_counted(sicily):
    d = sicily.copy()
    d["aces"] = d["aces"].astype("Int64")
    d.loc[[3, 40], "aces"] = pd.NA
    d.loc[10, "stdpop"] = np.nan
    fit = its_fit(d, **KW)
    assert fit.n == 56 and fit.n_dropped == 3
    assert fit.to_frame()["n"].tolist() == [56, 56]
    assert fit.to_frame()["n_dropped"].tolist() == [3, 3]
    assert any("dropped for missing values: 3" in n for n in fit.notes())
    ref = its_fit(sicily.drop(index=[3, 10, 40]), **KW)
    assert fit.to_frame()["coef"].tolist() == pytest.approx(ref.to_frame()["coef"].tolist())


def test_boolean_post_column(sicily):
    d = sicily.assign(smokban=sicily["smokban"].astype(bool))
    assert its_fit(d, **KW).to_frame()["coef"].tolist() == pytest.approx(
        its_fit(sicily, **KW).to_frame()["coef"].tolist()
    )


def test_harmonics_default_to_time_as_season(sicily):
    # time 1..59 and month 1..12 are congruent mod 12, so the Fourier terms coincide.
    a = its_fit(sicily, **KW, harmonics=2)
    b = its_fit(sicily, **KW, harmonics=2, season="month")
    assert a.to_frame()["coef"].tolist() == pytest.approx(b.to_frame()["coef"].tolist(), rel=1e-9)


@pytest.mark.parametrize(
    ("change", "kwargs", "message"),
    [
        (lambda d: d.assign(time=d["time"].where(d["time"] != 5, 4)), {}, "repeated"),
        (lambda d: d.assign(smokban=0), {}, "no post-intervention period"),
        (lambda d: d.assign(smokban=1), {}, "no pre-intervention period"),
        (lambda d: d.assign(smokban=d["smokban"] * 2), {}, "must be 0 .* or 1"),
        (lambda d: d.assign(smokban=(d["time"].between(37, 50)).astype(int)), {}, "goes back"),
        (lambda d: d.assign(aces=d["aces"].where(d["time"] != 7, -1)), {}, "counts"),
        (lambda d: d.assign(aces=d["aces"] + 0.5), {}, "whole numbers"),
        (lambda d: d.assign(aces=0), {}, "0 at every time point"),
        (lambda d: d.assign(aces=d["aces"] * d["smokban"]), {}, "every time point before"),
        (lambda d: d.assign(aces=d["aces"] * (1 - d["smokban"])), {}, "every time point from"),
        (lambda d: d.assign(stdpop=d["stdpop"].where(d["time"] != 9, 0)), {}, "positive"),
        (lambda d: d.assign(smokban=(d["time"] >= 2).astype(int)), {}, "at least 2"),
        (
            lambda d: d.assign(smokban=(d["time"] >= 59).astype(int)),
            {"slope_change": True},
            "slope change needs",
        ),
        (lambda d: d.iloc[33:38], {"harmonics": 2, "season": "month"}, "too few"),
        (lambda d: d.assign(month=1), {"harmonics": 1, "season": "month"}, "collinear"),
        (lambda d: d.drop(columns="stdpop"), {}, "'stdpop' .* not in the data"),
        (
            lambda d: d.assign(time=pd.date_range("2002-01-01", periods=59, freq="MS")),
            {},
            "dates",
        ),
        (lambda d: d.assign(aces="many"), {}, "numeric"),
        (lambda d: d.assign(aces=np.nan), {}, "no complete rows"),
    ],
)
def test_bad_data_raise_clear_errors(sicily, change, kwargs, message):
    with pytest.raises(StatsInputError, match=message):
        its_fit(change(sicily), **{**KW, **kwargs})


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"family": "gaussian"}, "family must be one of"),
        ({"harmonics": -1}, "harmonics must be"),
        ({"harmonics": 6}, "2 \\* harmonics < period"),
        ({"season": "month"}, "harmonics=0"),
        ({"maxlags": 2}, "only applies with newey_west"),
        ({"newey_west": True, "maxlags": -1}, "maxlags must be"),
        ({"newey_west": True, "maxlags": 59}, "smaller than n"),
        ({"conf_level": 95}, "conf_level"),
        ({"period": 0}, "period"),
        ({"inference": "normal"}, "inference must be"),
    ],
)
def test_bad_options_raise_clear_errors(sicily, kwargs, message):
    with pytest.raises(StatsInputError, match=message):
        its_fit(sicily, **{**KW, **kwargs})


def test_not_a_dataframe():
    with pytest.raises(StatsInputError, match="DataFrame"):
        its_fit([1, 2, 3], outcome="y", time="t", post="p")  # type: ignore[arg-type]


# ----------------------------------------------------------------------------------------
# R reference output (tests/reference/*.R and their printed *.out)
# ----------------------------------------------------------------------------------------

NB_KW = dict(
    outcome="referrals",
    time="month",
    post="post",
    harmonics=1,
    season="calendar_month",
    slope_change=True,
)
NB_TERMS = ["intercept", "level_change", "trend", "slope_change", "sin1", "cos1"]


@pytest.fixture(scope="module")
def monthly() -> pd.DataFrame:
    return pd.read_csv(MONTHLY)


def test_negbin_theta_and_model_se_match_glm_nb(monthly):
    # tests/reference/its_negbin_nw.R: MASS::glm.nb(referrals ~ post + month + slope + sin1
    # + cos1), theta by ML (epsilon 1e-12). theta = 1/alpha; model SEs from X'WX.
    # Tolerance 1e-6 relative (both are maximum-likelihood fits converged far beyond it).
    lines = (REFERENCE / "its_negbin_nw.out").read_text().splitlines()
    kv = dict(
        line.split(",")
        for line in lines[lines.index("BEGIN VALUES") + 1 : lines.index("END VALUES")]
    )
    fit = its_fit(monthly, **NB_KW, family="negbin")
    assert 1.0 / fit.dispersion == pytest.approx(float(kv["theta"]), rel=1e-6)
    assert fit.n == int(kv["n"]) == 72
    r = r_block("its_negbin_nw", "TABLE").query("lag == 3").set_index("term")
    np.testing.assert_allclose(fit.params[NB_TERMS], r.loc[NB_TERMS, "coef"], rtol=1e-6)
    se = np.sqrt(np.diag(fit.cov.loc[NB_TERMS, NB_TERMS]))
    np.testing.assert_allclose(se, r.loc[NB_TERMS, "se_model"], rtol=1e-6)
    assert any("theta = 1/alpha = 5.156" in n for n in fit.notes())


@pytest.mark.parametrize("lag", [3, 6])
def test_negbin_newey_west_matches_sandwich_neweywest(monthly, lag):
    # tests/reference/its_negbin_nw.R: sandwich::NeweyWest(glm.nb fit, lag, prewhite=FALSE)
    # (adjust=FALSE by default): bread X'WX (expected information), Bartlett weights. The
    # default lag floor(4 (72/100)^(2/9)) = 3. Coefficients, NW SEs, z and p-values to
    # 1e-5 relative (the brief's target was 1e-4).
    r = r_block("its_negbin_nw", "TABLE").query("lag == @lag").set_index("term")
    fit = its_fit(
        monthly, **NB_KW, family="negbin", newey_west=True, maxlags=None if lag == 3 else lag
    )
    assert fit.hac_lags == lag
    se = np.sqrt(np.diag(fit.cov.loc[NB_TERMS, NB_TERMS]))
    np.testing.assert_allclose(se, r.loc[NB_TERMS, "se_nw"], rtol=1e-5)
    t = fit.to_frame().set_index("term")
    effects = ["level_change", "trend", "slope_change"]
    np.testing.assert_allclose(t.loc[effects, "se"], r.loc[effects, "se_nw"], rtol=1e-5)
    np.testing.assert_allclose(t.loc[effects, "statistic"], r.loc[effects, "z_nw"], rtol=1e-5)
    np.testing.assert_allclose(t.loc[effects, "p_value"], r.loc[effects, "p_nw"], rtol=1e-5)
    assert set(t["se_type"]) == {"newey_west"}


def test_negbin_newey_west_differs_from_observed_information_bread(monthly):
    # The sandwich with the observed-information bread (statsmodels' GLM cov_type="HAC")
    # is not R's NeweyWest for NB2 with a log link; this guards against going back to it.
    import statsmodels.api as sm

    fit = its_fit(monthly, **NB_KW, family="negbin", newey_west=True)
    model = sm.GLM(
        fit.data["observed"].to_numpy(),
        fit.design.to_numpy(),
        family=sm.families.NegativeBinomial(alpha=fit.dispersion),
    )
    hac = model.fit(start_params=fit.params.to_numpy(), cov_type="HAC", cov_kwds={"maxlags": 3})
    r = r_block("its_negbin_nw", "TABLE").query("lag == 3").set_index("term")
    observed_se = np.asarray(hac.bse)[1:4]
    assert not np.allclose(observed_se, r.loc[NB_TERMS[1:4], "se_nw"], rtol=1e-3)


@pytest.mark.parametrize("model", ["model2", "model4"])
def test_quasipoisson_t_inference_matches_summary_glm(sicily, model):
    # tests/reference/its_quasipoisson_t.R: summary.glm(family = quasipoisson) on the Sicily
    # series: t = coef/se, p from t on the residual df (56 and 51), and the interval
    # exp(coef -/+ qt(0.975, df) se). R's IRLS stops at epsilon 1e-8, so 1e-6 relative.
    r = r_block("its_quasipoisson_t", "TABLE").query("model == @model").set_index("term")
    seasonal = model == "model4"
    fit = its_fit(
        sicily,
        **KW,
        family="quasipoisson",
        harmonics=2 if seasonal else 0,
        season="month" if seasonal else None,
        slope_change=seasonal,
        inference="t",
    )
    names = {"smokban": "level_change", "time": "trend", "slope": "slope_change"}
    t = fit.to_frame().set_index("term")
    for r_term, term in names.items():
        if r_term not in r.index:
            continue
        row_r = r.loc[r_term]
        assert t.loc[term, "coef"] == pytest.approx(row_r["coef"], rel=1e-6)
        assert t.loc[term, "se"] == pytest.approx(row_r["se"], rel=1e-6)
        assert t.loc[term, "statistic"] == pytest.approx(row_r["t"], rel=1e-6)
        assert t.loc[term, "p_value"] == pytest.approx(row_r["p"], rel=1e-5)
        assert t.loc[term, "df"] == row_r["df"] == fit.df_resid
        assert t.loc[term, "ci_low"] == pytest.approx(row_r["ci_low"], rel=1e-6)
        assert t.loc[term, "ci_high"] == pytest.approx(row_r["ci_high"], rel=1e-6)
    # R's summary.glm computes phi with the working weights of the last IRLS iteration.
    assert fit.dispersion == pytest.approx(r["dispersion"].iloc[0], rel=1e-5)
    assert "t CI and p-value on" in t["method"].iloc[0]
    assert any("t-based" in n for n in fit.notes())


def test_quasipoisson_z_inference_is_stated(sicily):
    fit = its_fit(sicily, **KW, family="quasipoisson")
    assert fit.inference == "z"
    assert any("z-based" in n and "inference='t'" in n for n in fit.notes())
    t = its_fit(sicily, **KW, family="quasipoisson", inference="t").to_frame()
    z = fit.to_frame()
    assert t["coef"].tolist() == z["coef"].tolist() and t["se"].tolist() == z["se"].tolist()
    assert (t["p_value"] > z["p_value"]).all()
    assert (t["ci_high"] - t["ci_low"] > z["ci_high"] - z["ci_low"]).all()


def test_t_inference_widens_the_counterfactual_interval(sicily):
    z = its_fit(sicily, **KW, family="quasipoisson").counterfactual()
    t = its_fit(sicily, **KW, family="quasipoisson", inference="t").counterfactual()
    q = stats.t.ppf(0.975, 56) / Z975
    log_half_z = np.log(z["counterfactual_ci_high"] / z["counterfactual"])
    log_half_t = np.log(t["counterfactual_ci_high"] / t["counterfactual"])
    np.testing.assert_allclose(log_half_t, q * log_half_z, rtol=1e-10)


@pytest.mark.parametrize("family", ["quasipoisson", "negbin"])
def test_covariate_matches_r_glm_with_the_same_dummy(monthly, family):
    # tests/reference/its_covariate.R: glm(quasipoisson) and glm.nb with covid (1 from month
    # 40 to 51) as a term of its own. Every coefficient, SE and z to 1e-5 relative (R's glm
    # IRLS tolerance is 1e-8).
    r = r_block("its_covariate", "TABLE").query("family == @family").set_index("term")
    fit = its_fit(monthly, **NB_KW, covariates=["covid"], family=family)
    assert fit.covariates == ("covid",)
    terms = ["intercept", "level_change", "trend", "slope_change", "covid", "sin1", "cos1"]
    assert fit.params.index.tolist() == terms
    np.testing.assert_allclose(fit.params[terms], r.loc[terms, "coef"], rtol=1e-5)
    se = np.sqrt(np.diag(fit.cov.loc[terms, terms]))
    np.testing.assert_allclose(se, r.loc[terms, "se"], rtol=1e-5)
    t = fit.to_frame().set_index("term")
    assert t.index.tolist() == ["level_change", "trend", "slope_change", "covid"]
    assert t.loc["covid", "estimate"] == pytest.approx(math.exp(r.loc["covid", "coef"]), rel=1e-5)
    np.testing.assert_allclose(t["statistic"], r.loc[t.index, "statistic"], rtol=1e-5)
    if family == "negbin":
        assert 1.0 / fit.dispersion == pytest.approx(r["theta"].iloc[0], rel=1e-6)
        # glm.nb's summary is z-based, as its_fit's default
        np.testing.assert_allclose(t["p_value"], r.loc[t.index, "p"], rtol=1e-5)
    assert any("held at their observed values" in n for n in fit.notes())


@pytest.mark.parametrize("family", ["quasipoisson", "negbin"])
def test_counterfactual_keeps_the_covariate_as_observed(monthly, family):
    # R: predict(fit, newdata with post = slope = 0, covid as observed, se.fit = TRUE);
    # counterfactual exp(eta), interval exp(eta -/+ qnorm(0.975) se). 1e-5 relative.
    r = r_block("its_covariate", "COUNTERFACTUAL").query("family == @family")
    fit = its_fit(monthly, **NB_KW, covariates=["covid"], family=family)
    cf = fit.counterfactual()
    assert cf["time"].tolist() == r["month"].tolist()
    np.testing.assert_allclose(cf["counterfactual"], r["counterfactual"], rtol=1e-5)
    np.testing.assert_allclose(cf["counterfactual_ci_low"], r["ci_low"], rtol=1e-5)
    np.testing.assert_allclose(cf["counterfactual_ci_high"], r["ci_high"], rtol=1e-5)
    shock = monthly["covid"].to_numpy() == 1
    ratio = (cf["counterfactual"] / cf["fitted"]).to_numpy()
    # Outside the intervention nothing differs; in the shock months the covid effect stays.
    np.testing.assert_allclose(ratio[~cf["post"].to_numpy()], 1.0, rtol=1e-12)
    assert shock.any() and not np.allclose(ratio[shock], 1.0)


def test_covariate_rows_dropped_when_missing_and_boolean_accepted(monthly):
    d = monthly.assign(covid=monthly["covid"].astype(bool))
    ref = its_fit(d, **NB_KW, covariates="covid")
    d = d.astype({"covid": "boolean"})
    d.loc[[5, 60], "covid"] = pd.NA
    fit = its_fit(d, **NB_KW, covariates=["covid"])
    assert (fit.n, fit.n_dropped) == (70, 2)
    assert ref.to_frame()["term"].tolist()[-1] == "covid"


@pytest.mark.parametrize(
    ("covariates", "change", "message"),
    [
        (["lockdown"], lambda d: d, "'lockdown' .* not in the data; available columns"),
        (["post"], lambda d: d, "already in the model as post"),
        (["trend"], lambda d: d.assign(trend=1), "name of a term"),
        (["sin1"], lambda d: d.assign(sin1=1), "name of a term"),
        (["covid", "covid"], lambda d: d, "more than once"),
        (["covid"], lambda d: d.assign(covid=1), "same value"),
        (["covid"], lambda d: d.assign(covid="yes"), "numeric"),
        (["covid", "c2"], lambda d: d.assign(c2=2 * d["covid"]), "collinear"),
        ([3], lambda d: d, "column names"),
    ],
)
def test_bad_covariates_raise_clear_errors(monthly, covariates, change, message):
    with pytest.raises(StatsInputError, match=message):
        its_fit(change(monthly), **NB_KW, covariates=covariates)


# ----------------------------------------------------------------------------------------
# Coverage of nominal 95% intervals (slow)
# ----------------------------------------------------------------------------------------


def _simulate_coverage(draw, family, nsim, seed, n=60, newey_west=False):
    """Share of nominal 95% CIs covering the true level change (RR 0.8) and the true
    counterfactual mean at month 0.75 n."""
    rng = np.random.default_rng(seed)
    t = np.arange(1, n + 1)
    post = (t > n // 2).astype(int)
    base = 50.0 * np.exp(0.24 * t / n)  # 27% rise over the series
    mu = base * np.where(post == 1, 0.8, 1.0)
    k = int(0.75 * n) - 1
    hit_level = hit_cf = 0
    for _ in range(nsim):
        df = pd.DataFrame({"t": t, "y": draw(rng, mu), "p": post})
        fit = its_fit(df, outcome="y", time="t", post="p", family=family, newey_west=newey_west)
        r = fit.table.iloc[0]
        hit_level += r["ci_low"] <= 0.8 <= r["ci_high"]
        cf = fit.counterfactual().iloc[k]
        hit_cf += cf["counterfactual_ci_low"] <= base[k] <= cf["counterfactual_ci_high"]
    return hit_level / nsim, hit_cf / nsim


@pytest.mark.slow
def test_coverage_poisson():
    level, cf = _simulate_coverage(lambda rng, mu: rng.poisson(mu), "poisson", 2000, seed=101)
    assert 0.93 <= level <= 0.97
    assert 0.93 <= cf <= 0.97


@pytest.mark.slow
def test_coverage_quasipoisson_overdispersed():
    # Var = 3 mu exactly: negative binomial with size mu / (phi - 1), phi = 3.
    def draw(rng, mu, phi=3.0):
        size = mu / (phi - 1)
        return rng.negative_binomial(size, size / (size + mu))

    level, cf = _simulate_coverage(draw, "quasipoisson", 2000, seed=202)
    assert 0.93 <= level <= 0.97
    assert 0.93 <= cf <= 0.97


@pytest.mark.slow
def test_coverage_negbin():
    # NB2 counts, alpha = 0.05 (Var = mu + 0.05 mu^2, about 3.5 x mu at mu = 50), 120 months.
    # With 60 months the ML alpha is too small on average and coverage was about 0.933.
    def draw(rng, mu, alpha=0.05):
        return rng.negative_binomial(1 / alpha, 1 / (1 + alpha * mu))

    level, cf = _simulate_coverage(draw, "negbin", 600, seed=303, n=120)
    assert 0.93 <= level <= 0.97
    assert 0.93 <= cf <= 0.97


@pytest.mark.slow
def test_coverage_newey_west():
    # Independent Poisson counts, 1000 time points, default lag floor(4 (1000/100)^(2/9)) = 6.
    # HAC intervals are too narrow in short series (simulated coverage about 0.87 at 60 and
    # 0.93 at 300 points); the docstring and the result's notes say so.
    level, cf = _simulate_coverage(
        lambda rng, mu: rng.poisson(mu), "poisson", 1200, seed=404, n=1000, newey_west=True
    )
    assert 0.93 <= level <= 0.97
    assert 0.93 <= cf <= 0.97


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(-50, 50, allow_nan=False), min_size=5, max_size=120),
    st.integers(1, 10),
)
def test_ljung_box_is_statsmodels_acorr_ljungbox_exactly(values, lags):
    # its_fit computes the test itself (importing statsmodels' time-series module costs
    # a tenth of a second); the numbers must be statsmodels' to the last bit.
    from statsmodels.stats.diagnostic import acorr_ljungbox

    from noream_eval.stats.its import _ljung_box

    x = np.array(values) + np.linspace(0, 1, len(values))  # never constant
    lags = min(lags, len(x) - 1)
    want = acorr_ljungbox(x, lags=lags, return_df=True)
    q, p = _ljung_box(x, lags)
    assert want.index.tolist() == list(range(1, lags + 1))
    assert np.array_equal(q, want["lb_stat"].to_numpy())
    assert np.array_equal(p, want["lb_pvalue"].to_numpy(), equal_nan=True)
