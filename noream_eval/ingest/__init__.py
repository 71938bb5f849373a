"""Ingest: from raw LA exports to canonical tables.

>>> from noream_eval import ingest
>>> data = ingest.load("data/sample/evaluation.toml")  # doctest: +SKIP
>>> ingest.write_outputs(data, "out/ingest")  # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["load", "write_outputs"]

if TYPE_CHECKING:
    from noream_eval.ingest.output import write_outputs
    from noream_eval.ingest.pipeline import load


def __getattr__(name: str) -> Any:
    if name == "load":
        from noream_eval.ingest.pipeline import load

        return load
    if name == "write_outputs":
        from noream_eval.ingest.output import write_outputs

        return write_outputs
    raise AttributeError(f"module 'noream_eval.ingest' has no attribute {name!r}")
