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
        A folder written by :func:`generate_sample` (holding ``evaluation.toml``),
        ingested afresh. By default, the sample at the default seed (byte-identical to
        the shipped ``data/sample``), served from a cache when possible (see Notes).

    Returns
    -------
    EvaluationData
        Each call returns a copy of its own, which the caller may change.

    Notes
    -----
    Without ``path``, the first call on a machine generates the sample in a temporary
    folder and ingests it (a few seconds); later calls take well under a second:

    - In one Python process, the result is kept in memory, so repeat calls only copy it.
    - Across processes, the canonical tables, rejects, ingest report and provenance
      are kept as Parquet files (:meth:`EvaluationData.to_parquet`, which
      :meth:`EvaluationData.from_parquet` reads back exactly) in the folder
      ``$NOREAM_EVAL_CACHE``, else ``$XDG_CACHE_HOME/noream_eval``, else
      ``~/.cache/noream_eval``, under ``sample/<key>``. The key combines the package
      version with a hash of the source files that determine the result (the
      ``.py`` and ``.toml`` files of ``noream_eval/ingest`` and
      ``noream_eval/sample``, ``schema.py``, ``config.py``, ``data.py`` and
      ``instruments.toml``) and the versions of Python, NumPy, pandas and pyarrow,
      so a code change never serves an old result. An entry is written in a
      temporary folder and renamed into place, with a manifest of file hashes that
      is checked on every read; a missing, partial or corrupted entry is recomputed
      and rewritten. The few most recently used entries are kept.
    - The cache never causes an error: when its folder cannot be written or read,
      the sample is computed as without it.
    - The key is computed from the files on disk once per process. A process whose
      package files changed after it started (an edited or upgraded install) does
      not store results, as the code it runs may be the older one.

    To empty the cache, delete the folder. The sample holds no real person's data.

    Examples
    --------
    >>> import noream_eval as ne
    >>> data = ne.load_sample()
    >>> sorted(data.families["cohort"].unique())
    ['comparison', 'noream', 'not_enrolled']
    """
    if path is not None:
        from noream_eval.ingest import load

        return load(Path(path) / "evaluation.toml")
    from noream_eval.sample.cache import cached_sample

    return cached_sample(_ingest_default_sample)


def _ingest_default_sample() -> EvaluationData:
    """Generate the default sample in a temporary folder and ingest it."""
    from noream_eval.ingest import load
    from noream_eval.sample.generate import generate_sample

    with tempfile.TemporaryDirectory(prefix="noream_sample_") as tmp:
        generate_sample(tmp, force=True)
        return load(Path(tmp) / "evaluation.toml")


def __getattr__(name: str) -> Any:
    if name in ("DEFAULT_SEED", "generate_sample"):
        from noream_eval.sample import generate

        return getattr(generate, name)
    raise AttributeError(f"module 'noream_eval.sample' has no attribute {name!r}")
