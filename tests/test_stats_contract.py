"""Every public statistical method honours the result contract of noream_eval.stats."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from noream_eval import stats
from noream_eval.stats._base import RESULT_COLUMNS

RNG = np.random.default_rng(20210201)
PRE = RNG.normal(20, 4, 40)
POST = PRE + RNG.normal(2, 3, 40)
TIME = RNG.exponential(10, 60).round(1) + 0.1
EVENT = (RNG.random(60) < 0.7).astype(int)
GROUP = np.repeat(["noream", "comparison"], 30)
MONTHLY = pd.DataFrame(
    {
        "t": np.arange(1, 49),
        "month": np.tile(np.arange(1, 13), 4),
        "post": (np.arange(1, 49) > 30).astype(int),
        "y": RNG.poisson(40, 48),
    }
)
MISSING = pd.DataFrame({"x": RNG.normal(size=80), "y": RNG.normal(size=80)})
MISSING.loc[::5, "y"] = np.nan


def _ols_slope(df: pd.DataFrame) -> pd.DataFrame:
    x, y = df["x"].to_numpy(), df["y"].to_numpy()
    b = np.cov(x, y)[0, 1] / np.var(x, ddof=1)
    resid = y - y.mean() - b * (x - x.mean())
    se = np.sqrt(resid.var(ddof=2) / ((len(x) - 1) * np.var(x, ddof=1)))
    return pd.DataFrame({"term": ["slope"], "estimate": [b], "se": [se]})


CALLS = {
    "proportion_ci": lambda: stats.proportion_ci(30, 120),
    "rate_ratio": lambda: stats.rate_ratio(20, 120, 35, 150),
    "risk_difference": lambda: stats.risk_difference(20, 120, 35, 150),
    "paired_change": lambda: stats.paired_change(PRE, POST),
    "reliable_change": lambda: stats.reliable_change(PRE, POST, reliability=0.84),
    "its_fit": lambda: stats.its_fit(
        MONTHLY, outcome="y", time="t", post="post", season="month", harmonics=1
    ),
    "kaplan_meier": lambda: stats.kaplan_meier(TIME, EVENT, group=GROUP),
    "logrank": lambda: stats.logrank(TIME, EVENT, GROUP),
    "cox": lambda: stats.cox(
        pd.DataFrame({"t": TIME, "e": EVENT, "g": GROUP}),
        duration="t",
        event="e",
        covariates=["g"],
    ),
    "bootstrap_ci": lambda: stats.bootstrap_ci(np.mean, PRE, n_resamples=200, seed=1),
    "pool_rubin": lambda: stats.pool_rubin([1.0, 1.2, 0.9, 1.1], [0.04, 0.05, 0.04, 0.05]),
    "multiple_imputation": lambda: stats.multiple_imputation(
        MISSING, analysis=_ols_slope, m=3, seed=1
    ),
    "trial_sample_size": lambda: stats.trial_sample_size(effect_size=0.4),
    "minimum_detectable_effect": lambda: stats.minimum_detectable_effect(n_per_arm=100),
}


def test_every_public_function_is_exercised():
    assert sorted(CALLS) == sorted(stats.__all__)


@pytest.mark.parametrize("name", sorted(CALLS))
def test_result_contract(name):
    result = CALLS[name]()
    df = result.to_frame()
    assert isinstance(df, pd.DataFrame) and len(df) > 0
    if name != "reliable_change":  # one row per person by design; its shares() is tidy
        assert list(df.columns[: len(RESULT_COLUMNS)]) == list(RESULT_COLUMNS), name
    else:
        shares = result.shares()
        assert list(shares.columns[: len(RESULT_COLUMNS)]) == list(RESULT_COLUMNS)
    assert all(c == c.lower() and " " not in c for c in df.columns), name
    text = result.summary()
    assert isinstance(text, str) and len(text) > 20
    html = result._repr_html_()
    assert isinstance(html, str) and "<table" in html
