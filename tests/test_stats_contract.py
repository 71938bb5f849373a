"""Every public statistical method honours the result contract of noream_eval.stats.

The contract is written in the docstring of noream_eval/stats/__init__.py: values or
column names of ``data``, ``duration`` for follow-up time, ``statistic`` for the test
statistic, ``n_dropped`` for rows dropped for missing values, results that compare by
identity.
"""

from __future__ import annotations

import importlib
import inspect

import numpy as np
import pandas as pd
import pytest

from noream_eval import stats
from noream_eval.errors import StatsInputError
from noream_eval.stats._base import RESULT_COLUMNS, StatsResult

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
PEOPLE = pd.DataFrame({"pre": PRE, "post": POST})
SUBJECTS = pd.DataFrame({"days": TIME, "escalated": EVENT, "cohort": GROUP})
COUNTS = pd.DataFrame({"k": [30, 12, 7], "n": [120, 80, 40]})
TWO_GROUPS = pd.DataFrame({"k1": [20], "n1": [120], "k0": [35], "n0": [150]})
IMPUTED = pd.DataFrame({"est": [1.0, 1.2, 0.9, 1.1], "var": [0.04, 0.05, 0.04, 0.05]})


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

#: The same analysis given as values and as column names of ``data``.
BY_NAME = {
    "proportion_ci": (
        lambda: stats.proportion_ci(COUNTS["k"], COUNTS["n"]),
        lambda: stats.proportion_ci("k", "n", data=COUNTS),
    ),
    "rate_ratio": (
        lambda: stats.rate_ratio(20, 120, 35, 150),
        lambda: stats.rate_ratio("k1", "n1", "k0", "n0", data=TWO_GROUPS),
    ),
    "risk_difference": (
        lambda: stats.risk_difference(20, 120, 35, 150),
        lambda: stats.risk_difference("k1", "n1", "k0", "n0", data=TWO_GROUPS),
    ),
    "paired_change": (
        lambda: stats.paired_change(PRE, POST),
        lambda: stats.paired_change("pre", "post", data=PEOPLE),
    ),
    "reliable_change": (
        lambda: stats.reliable_change(PRE, POST, reliability=0.84),
        lambda: stats.reliable_change("pre", "post", reliability=0.84, data=PEOPLE),
    ),
    "kaplan_meier": (
        lambda: stats.kaplan_meier(TIME, EVENT, group=GROUP),
        lambda: stats.kaplan_meier("days", "escalated", group="cohort", data=SUBJECTS),
    ),
    "logrank": (
        lambda: stats.logrank(TIME, EVENT, GROUP),
        lambda: stats.logrank("days", "escalated", "cohort", data=SUBJECTS),
    ),
    "pool_rubin": (
        lambda: stats.pool_rubin(IMPUTED["est"], IMPUTED["var"], term="est"),
        lambda: stats.pool_rubin("est", "var", data=IMPUTED),
    ),
}

#: A call with a misspelt column name, for every function that reads columns.
BAD_COLUMN = {
    "proportion_ci": lambda: stats.proportion_ci("k", "size", data=COUNTS),
    "rate_ratio": lambda: stats.rate_ratio("k1", "n1", "k0", "size", data=TWO_GROUPS),
    "risk_difference": lambda: stats.risk_difference("k1", "size", "k0", "n0", data=TWO_GROUPS),
    "paired_change": lambda: stats.paired_change("pre", "size", data=PEOPLE),
    "reliable_change": lambda: stats.reliable_change("size", "post", reliability=0.8, data=PEOPLE),
    "its_fit": lambda: stats.its_fit(MONTHLY, outcome="size", time="t", post="post"),
    "kaplan_meier": lambda: stats.kaplan_meier("days", "escalated", group="size", data=SUBJECTS),
    "logrank": lambda: stats.logrank("days", "size", "cohort", data=SUBJECTS),
    "cox": lambda: stats.cox(SUBJECTS, duration="size", event="escalated", covariates="cohort"),
    "bootstrap_ci": lambda: stats.bootstrap_ci(len, SUBJECTS, strata="size", seed=1),
    "pool_rubin": lambda: stats.pool_rubin("est", "size", data=IMPUTED),
    "multiple_imputation": lambda: stats.multiple_imputation(
        MISSING, analysis=_ols_slope, variables=["x", "size"], seed=1
    ),
}

#: Functions whose results drop rows with a missing value (and so report n_dropped).
DROPS_MISSING = {
    "proportion_ci",
    "paired_change",
    "reliable_change",
    "its_fit",
    "kaplan_meier",
    "logrank",
    "cox",
    "bootstrap_ci",
    "pool_rubin",
    "multiple_imputation",
}
#: Functions without data: design parameters only.
NO_DATA = {"trial_sample_size", "minimum_detectable_effect"}
#: Model-fitting functions and the bootstrap: the DataFrame (or what is resampled) first.
DATA_FIRST = {"its_fit", "cox", "multiple_imputation", "bootstrap_ci"}


def test_every_public_function_is_exercised():
    assert sorted(CALLS) == sorted(stats.__all__)
    assert set(BY_NAME) | DATA_FIRST | NO_DATA == set(stats.__all__)
    assert set(BAD_COLUMN) == set(stats.__all__) - NO_DATA


@pytest.mark.parametrize("name", sorted(CALLS))
def test_result_contract(name):
    result = CALLS[name]()
    df = result.to_frame()
    assert isinstance(df, pd.DataFrame) and len(df) > 0
    assert list(df.columns[: len(RESULT_COLUMNS)]) == list(RESULT_COLUMNS), name
    assert all(c == c.lower() and " " not in c for c in df.columns), name
    assert str(df["n"].dtype) == "Int64"
    text = result.summary()
    assert isinstance(text, str) and len(text) > 20
    html = result._repr_html_()
    assert isinstance(html, str) and "<table" in html


@pytest.mark.parametrize("name", sorted(CALLS))
def test_one_vocabulary_of_columns(name):
    columns = set(CALLS[name]().to_frame().columns)
    # the test statistic is "statistic"; dropped rows are "n_dropped"
    assert not columns & {"z", "t", "chi2", "chisq", "n_missing", "n_excluded", "count"}
    assert ("n_dropped" in columns) == (name in DROPS_MISSING)


@pytest.mark.parametrize("name", sorted(CALLS))
def test_results_compare_by_identity(name):
    result = CALLS[name]()
    other = CALLS[name]()
    assert result == result
    assert not (result == other)
    assert result != other
    assert result != "result" and result is not None
    assert len({result, other}) == 2  # hashable, by identity


def test_every_result_class_is_covered_and_declared_without_field_equality():
    modules = ["its", "survival", "change", "proportions", "resampling", "imputation", "power"]
    classes = {StatsResult}
    for m in modules:
        module = importlib.import_module(f"noream_eval.stats.{m}")
        classes |= {
            obj
            for obj in vars(module).values()
            if inspect.isclass(obj) and issubclass(obj, StatsResult)
        }
    concrete = {c for c in classes if c is not StatsResult}
    returned = {type(call()) for call in CALLS.values()}
    assert concrete == returned
    for cls in concrete:
        assert cls.__eq__ is object.__eq__, cls.__name__  # eq=False: identity


@pytest.mark.parametrize("name", sorted(BY_NAME))
def test_column_names_with_data_give_the_same_result(name):
    by_value, by_name = BY_NAME[name]
    pd.testing.assert_frame_equal(by_value().to_frame(), by_name().to_frame())


@pytest.mark.parametrize("name", sorted(BAD_COLUMN))
def test_missing_column_error_names_the_column_and_the_columns_available(name):
    with pytest.raises(StatsInputError) as err:
        BAD_COLUMN[name]()
    message = str(err.value)
    assert "'size'" in message and "is not in the data" in message
    assert "available columns:" in message


@pytest.mark.parametrize("name", sorted(set(CALLS) - NO_DATA))
def test_signatures_follow_the_input_rule(name):
    params = inspect.signature(getattr(stats, name)).parameters
    assert "data" in params
    if name in DATA_FIRST:
        assert list(params)[0 if name != "bootstrap_ci" else 1] == "data"
    else:
        assert params["data"].kind is inspect.Parameter.KEYWORD_ONLY
        assert params["data"].default is None
    for option in ("conf_level", "method", "weights", "ties", "seed"):
        if option in params:
            assert params[option].kind is inspect.Parameter.KEYWORD_ONLY, (name, option)


@pytest.mark.parametrize("name", ["kaplan_meier", "logrank", "cox"])
def test_follow_up_time_is_duration(name):
    params = inspect.signature(getattr(stats, name)).parameters
    assert "duration" in params and "time" not in params


def test_with_data_values_are_refused_where_names_are_expected():
    with pytest.raises(StatsInputError, match="pre must be a column name of data"):
        stats.paired_change(PRE.tolist(), "post", data=PEOPLE)
