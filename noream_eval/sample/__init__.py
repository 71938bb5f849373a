"""Synthetic sample data: a messy NRPF local-authority export with known truth.

:func:`generate_sample` writes the raw exports, the matching ``evaluation.toml``,
a documented demo key and ``truth.json``; :func:`load_sample` returns the
ingested :class:`~noream_eval.EvaluationData` of the shipped sample.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from noream_eval.data import EvaluationData
    from noream_eval.sample.generate import DEFAULT_SEED, generate_sample

__all__ = ["DEFAULT_SEED", "generate_sample", "load_sample"]


def load_sample(path: str | Path | None = None) -> EvaluationData:
    """Ingest the synthetic sample and return its canonical tables.

    Parameters
    ----------
    path
        A folder written by :func:`generate_sample` (holding ``evaluation.toml``).
        By default the sample at the default seed is generated afresh in a
        temporary folder; it is byte-identical to the shipped ``data/sample``.

    Returns
    -------
    EvaluationData

    Examples
    --------
    >>> import noream_eval as ne
    >>> data = ne.load_sample()
    >>> sorted(data.families["cohort"].unique())
    ['comparison', 'noream']
    """
    from noream_eval.ingest import load
    from noream_eval.sample.generate import generate_sample

    if path is not None:
        return load(Path(path) / "evaluation.toml")
    with tempfile.TemporaryDirectory(prefix="noream_sample_") as tmp:
        generate_sample(tmp, force=True)
        return load(Path(tmp) / "evaluation.toml")


def __getattr__(name: str) -> Any:
    if name in ("DEFAULT_SEED", "generate_sample"):
        from noream_eval.sample import generate

        return getattr(generate, name)
    raise AttributeError(f"module 'noream_eval.sample' has no attribute {name!r}")
