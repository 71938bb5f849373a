"""Statistical methods validated against published results.

Generic methods, arrays or DataFrames in, tidy results out. Every result object
has ``.to_frame()`` (columns ``term``, ``estimate``, ``ci_low``, ``ci_high``,
``p_value``, ``n``, ``method`` and what the method needs), ``.summary()`` and
``_repr_html_``. statsmodels and scipy are used wherever they implement a method;
each function's References name the method and its tests the published results
it reproduces.

========================  ==============================================
proportions               ``proportion_ci``, ``rate_ratio``, ``risk_difference``
change                    ``paired_change``, ``reliable_change``
interrupted time series   ``its_fit``
survival                  ``kaplan_meier``, ``logrank``, ``cox``
resampling                ``bootstrap_ci``
missing data              ``multiple_imputation``, ``pool_rubin``
trial design              ``trial_sample_size``, ``minimum_detectable_effect``
========================  ==============================================

Inputs
------
* Functions whose inputs are a few vectors (``proportion_ci``, ``rate_ratio``,
  ``risk_difference``, ``paired_change``, ``reliable_change``, ``kaplan_meier``,
  ``logrank``, ``pool_rubin``) take them as values (numbers, lists, arrays,
  Series) or, with the keyword ``data=DataFrame``, as column names of ``data``:
  ``kaplan_meier("days", "escalated", group="cohort", data=df)``,
  ``paired_change("pre", "post", data=df)``, ``proportion_ci("k", "n", data=df)``
  (one proportion per row). With ``data`` every such argument must be a column
  name. ``rate_ratio`` and ``risk_difference`` compare two groups given as single
  counts, so their ``data`` has one row.
* Functions that fit a model on several columns (``its_fit``, ``cox``,
  ``multiple_imputation``) take the DataFrame first and column names as keywords
  (build a DataFrame from arrays with ``pd.DataFrame({...})``). ``bootstrap_ci``
  resamples ``data`` itself (values, a tuple of arrays or a DataFrame's rows); its
  ``strata`` may name a column. ``trial_sample_size`` and
  ``minimum_detectable_effect`` take design parameters, no data.
* A name that is not a column raises ``StatsInputError`` naming it and the
  columns available. Every error is a ``StatsInputError``.
* Follow-up time in survival analysis is ``duration``; every other option is
  keyword-only.

Vocabulary of the results
-------------------------
* ``n``: the units the row's estimate rests on, after dropping missing values;
  each function's Returns section says what they are (people, pairs, subjects,
  time points, units of a proportion). ``n`` is missing (<NA>) for a design
  (``trial_sample_size``) and for ``pool_rubin`` unless given.
* ``n_dropped``: rows (units) dropped because a value was missing; a column of
  every result whose function drops missing values, and an attribute where the
  result has attributes.
* ``statistic``: the test statistic (z, t, chi-square, V); ``df`` its degrees of
  freedom where it has them. ``k``: events or people counted in the row's
  category.
* Results compare by identity: ``res == res`` is True, ``==`` between two
  results is False unless they are the same object, and it never raises.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_WHERE = {
    "proportion_ci": "proportions",
    "rate_ratio": "proportions",
    "risk_difference": "proportions",
    "paired_change": "change",
    "reliable_change": "change",
    "its_fit": "its",
    "kaplan_meier": "survival",
    "logrank": "survival",
    "cox": "survival",
    "bootstrap_ci": "resampling",
    "multiple_imputation": "imputation",
    "pool_rubin": "imputation",
    "trial_sample_size": "power",
    "minimum_detectable_effect": "power",
}

__all__ = [
    "bootstrap_ci",
    "cox",
    "its_fit",
    "kaplan_meier",
    "logrank",
    "minimum_detectable_effect",
    "multiple_imputation",
    "paired_change",
    "pool_rubin",
    "proportion_ci",
    "rate_ratio",
    "reliable_change",
    "risk_difference",
    "trial_sample_size",
]

if TYPE_CHECKING:
    from noream_eval.stats.change import paired_change, reliable_change
    from noream_eval.stats.imputation import multiple_imputation, pool_rubin
    from noream_eval.stats.its import its_fit
    from noream_eval.stats.power import minimum_detectable_effect, trial_sample_size
    from noream_eval.stats.proportions import proportion_ci, rate_ratio, risk_difference
    from noream_eval.stats.resampling import bootstrap_ci
    from noream_eval.stats.survival import cox, kaplan_meier, logrank


def __getattr__(name: str) -> Any:
    # Submodules (and statsmodels behind them) load on first use.
    if name in _WHERE:
        module = importlib.import_module(f"noream_eval.stats.{_WHERE[name]}")
        return getattr(module, name)
    raise AttributeError(f"module 'noream_eval.stats' has no attribute {name!r}")


def __dir__() -> list[str]:
    return __all__
