"""noream_eval: analysis of pilot evaluations of NRPF social-work programmes.

Data flows one way: raw exports -> :mod:`noream_eval.ingest` ->
:class:`EvaluationData` -> :mod:`noream_eval.metrics` -> results ->
:mod:`noream_eval.reports`.

Examples
--------
>>> import noream_eval as ne
>>> data = ne.load_sample()  # doctest: +SKIP
>>> data.referrals.head()  # doctest: +SKIP
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from noream_eval.errors import (
    ConfigError,
    HeaderRowError,
    InputFileError,
    KeyMissingError,
    MissingColumnError,
    NoreamEvalError,
    OutputError,
    StatsInputError,
    ValidationError,
)

__version__ = "0.1.0"

__all__ = [
    "ConfigError",
    "EvaluationData",
    "HeaderRowError",
    "InputFileError",
    "KeyMissingError",
    "MissingColumnError",
    "NoreamEvalError",
    "OutputError",
    "StatsInputError",
    "ValidationError",
    "__version__",
    "generate_sample",
    "ingest",
    "load_sample",
    "stats",
]

if TYPE_CHECKING:
    from noream_eval import ingest, stats
    from noream_eval.data import EvaluationData
    from noream_eval.sample import generate_sample, load_sample

_LAZY = {
    "EvaluationData": ("noream_eval.data", "EvaluationData"),
    "generate_sample": ("noream_eval.sample", "generate_sample"),
    "load_sample": ("noream_eval.sample", "load_sample"),
    "ingest": ("noream_eval.ingest", None),
    "stats": ("noream_eval.stats", None),
}


def __getattr__(name: str) -> Any:
    # Heavy modules (pandas, pandera, matplotlib) load on first use only.
    if name in _LAZY:
        module, attr = _LAZY[name]
        mod = importlib.import_module(module)
        return mod if attr is None else getattr(mod, attr)
    raise AttributeError(f"module 'noream_eval' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
