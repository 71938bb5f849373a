"""Outcome metrics: tidy results computed from :class:`~noream_eval.EvaluationData`.

One module per outcome family, each on top of :mod:`noream_eval.stats`. Every
metric returns rows with the columns of
:data:`~noream_eval.metrics.core.INDICATOR_COLUMNS`; :func:`compute_all` runs
them all and returns a read-only :class:`~noream_eval.metrics.results.Results`.
Nothing here renders. ``docs/outcomes.md`` defines every indicator.

Examples
--------
>>> import noream_eval as ne
>>> from noream_eval.metrics import compute_all
>>> results = compute_all(ne.load_sample())  # doctest: +SKIP
>>> results.indicator("rereferral_rate_ratio")  # doctest: +SKIP
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from noream_eval.config import EvaluationConfig
    from noream_eval.data import EvaluationData
    from noream_eval.metrics.core import Settings
    from noream_eval.metrics.results import Results

__all__ = ["MODULES", "Results", "Settings", "compute_all"]

#: Outcome modules run by :func:`compute_all`, in order; each has ``compute(data, settings)``.
MODULES: tuple[str, ...] = (
    "rereferrals",
    "s17",
    "wellbeing",
    "practice",
    "multiagency",
    "coordination",
    "feasibility",
)


def compute_all(
    data: EvaluationData,
    config: EvaluationConfig | Settings | None = None,
    *,
    progress: Callable[[str], None] | None = None,
) -> Results:
    """Compute every outcome indicator and supporting table of an evaluation.

    Parameters
    ----------
    data
        Canonical tables (from :func:`noream_eval.ingest.load` or
        :func:`noream_eval.load_sample`).
    config
        The evaluation config (or :class:`~noream_eval.metrics.core.Settings`);
        None uses defaults with the dates recorded in ``data.provenance``.
    progress
        Optional callable receiving a short message as each module starts.

    Returns
    -------
    Results
        ``.indicators`` holds every indicator (``prespecified`` set from the
        analysis plan); the supporting tables are listed in ``docs/outcomes.md``.
        Numerical warnings of the libraries underneath (a t-test on nearly
        identical values, say) are not shown: they are counted in the table
        ``computation_warnings`` (``module``, ``category``, ``message``, ``count``).

    Notes
    -----
    On Linux with two or more processors, some of the modules (wellbeing,
    coordination, feasibility) are computed in a forked second process while
    this one computes the others (``NOREAM_EVAL_PROCESSES=1`` keeps everything
    in one process); the results are the same either way. See
    :mod:`noream_eval.metrics._parallel`.
    """
    from noream_eval.metrics._reuse import run_scope
    from noream_eval.metrics.core import Settings

    if config is None:
        settings = Settings.from_data(data)
    elif isinstance(config, Settings):
        settings = config
    else:
        settings = Settings.from_config(config)
    with run_scope():  # tables several modules need are built once
        return _compute_all(data, settings, progress)


def _compute_all(
    data: EvaluationData, settings: Settings, progress: Callable[[str], None] | None
) -> Results:
    import numpy as np

    from noream_eval.metrics._parallel import compute_modules
    from noream_eval.metrics.core import indicator_table
    from noream_eval.metrics.results import Results

    rows: list[dict[str, Any]] = []
    tables: dict[str, Any] = {}
    caught: list[tuple[str, str, str]] = []
    # the modules are independent: two of them may be computed in a second process
    for name, (part, seen) in compute_modules(MODULES, data, settings, progress).items():
        caught += [(name, category, message) for category, message in seen]
        rows.extend(part.indicators)
        clash = set(part.tables) & set(tables)
        if clash:
            raise RuntimeError(f"tables computed twice: {sorted(clash)}")
        tables.update(part.tables)
    from noream_eval.metrics import promise

    if progress is not None:
        progress("rating evidence of promise and progression criteria")
    part = promise.compute(indicator_table(rows), tables, settings)
    rows.extend(part.indicators)
    tables.update(part.tables)
    tables["computation_warnings"] = _warning_table(caught)
    indicators = indicator_table(rows)
    specs = settings.plan.indicators
    indicators["prespecified"] = np.array(
        [
            name in specs and group == specs[name].group
            for name, group in zip(indicators["indicator"], indicators["group"], strict=True)
        ],
        dtype=bool,
    )
    return Results(indicators, tables, settings.plan.settings(), dict(data.provenance))


def _warning_table(caught: list[tuple[str, str, str]]) -> Any:
    """Numerical warnings raised while computing (scipy, statsmodels), counted by message."""
    import pandas as pd

    frame = pd.DataFrame(caught, columns=["module", "category", "message"])
    counts = frame.groupby(["module", "category", "message"], sort=False).size()
    out = counts.rename("count").reset_index()
    return out.astype({"module": "string", "category": "string", "message": "string"})


def __getattr__(name: str) -> Any:
    if name == "Results":
        return importlib.import_module("noream_eval.metrics.results").Results
    if name == "Settings":
        return importlib.import_module("noream_eval.metrics.core").Settings
    raise AttributeError(f"module 'noream_eval.metrics' has no attribute {name!r}")
