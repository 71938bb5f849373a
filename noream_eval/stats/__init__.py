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
