"""Draw the report figures in worker processes, started before they are needed.

Drawing and saving a figure (PNG at 300 dpi and SVG) is CPU-bound and
independent of the others, so a run draws them on the machine's other core.
:class:`FigurePool` forks its workers at the start of a run: they import
matplotlib and warm its font cache while the parent ingests and computes, then
draw from a plain, picklable copy of the published tables. Where ``fork`` is not
available, or the machine has one core, figures are drawn in the calling
process, with the same results.
"""

from __future__ import annotations

import multiprocessing as mp
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["FigurePool", "Snapshot", "draw_figure"]


@dataclass(frozen=True)
class Snapshot:
    """A picklable copy of published results: the values and flags of each table.

    It offers what the figure functions read (``snapshot[name]``,
    ``snapshot.flags(name)``, ``plan``, ``provenance``) and nothing else.
    """

    values: Mapping[str, pd.DataFrame]
    flag_frames: Mapping[str, pd.DataFrame]
    plan: Mapping[str, Any]
    provenance: Mapping[str, Any]

    @classmethod
    def of(cls, published: Any) -> Snapshot:
        """Copy a :class:`~noream_eval.reports.disclosure.PublishedResults`."""
        names = list(published.table_names)
        return cls(
            {n: published[n] for n in names},
            {n: published.flags(n) for n in names},
            dict(published.plan),
            dict(published.provenance),
        )

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.values[name].copy()

    def __contains__(self, name: object) -> bool:
        return name in self.values

    def __iter__(self) -> Iterator[str]:
        return iter(self.values)

    def flags(self, name: str) -> pd.DataFrame:
        """The disclosure flags of a table ("" shown, "c" suppressed, "x" not available)."""
        return self.flag_frames[name].copy()


def draw_figure(results: Any, name: str, folder: str, note: str) -> tuple[str, bytes, bytes]:
    """Draw one report figure, save it in ``folder`` and return (name, PNG, SVG)."""
    from noream_eval.reports.figures import figure, save_figure

    paths = save_figure(figure(name, results, note=note), folder, name)
    return name, Path(paths["png"]).read_bytes(), Path(paths["svg"]).read_bytes()


def _warm() -> None:
    """Worker start-up: import the plotting stack and draw once, so fonts are cached."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    import noream_eval.reports.figures  # noqa: F401

    fig = Figure(figsize=(1, 1))
    fig.add_subplot().plot([0, 1], [0, 1])
    fig.text(0.5, 0.5, "warm")
    fig.canvas.draw()


def _task(args: tuple[Any, str, str, str]) -> tuple[str, bytes, bytes]:
    return draw_figure(*args)


class FigurePool:
    """Worker processes for the report figures.

    Parameters
    ----------
    workers
        Number of worker processes; None uses the number of CPUs this process
        may run on, at most 2. 0 draws in the calling process.

    Examples
    --------
    >>> pool = FigurePool(workers=0)
    >>> pool.parallel
    False
    >>> pool.close()
    """

    def __init__(self, workers: int | None = None) -> None:
        if workers is None:
            try:
                cpus = len(os.sched_getaffinity(0))
            except AttributeError:  # pragma: no cover - not on Linux
                cpus = os.cpu_count() or 1
            workers = min(cpus, 2) if cpus > 1 else 0
        self._pool: Any = None
        if workers > 0 and "fork" in mp.get_all_start_methods():
            self._pool = mp.get_context("fork").Pool(workers, initializer=_warm)

    @property
    def parallel(self) -> bool:
        """Whether figures are drawn in worker processes."""
        return self._pool is not None

    def draw(
        self, published: Any, names: list[str], folder: Path, *, note: str
    ) -> Iterator[tuple[str, bytes, bytes]]:
        """Start drawing the figures; iterate the result for (name, PNG, SVG) as each is done.

        With workers, drawing starts at once; without, each figure is drawn as
        the iterator reaches it.
        """
        folder.mkdir(parents=True, exist_ok=True)
        if self._pool is None:
            return (draw_figure(published, name, str(folder), note) for name in names)
        snapshot = Snapshot.of(published)
        jobs = [(snapshot, name, str(folder), note) for name in names]
        # submitted now: the workers draw while the caller writes its other files
        return self._pool.imap_unordered(_task, jobs)

    def close(self) -> None:
        """Stop the workers (idempotent)."""
        if self._pool is not None:
            self._pool.terminate()
            self._pool.join()
            self._pool = None

    def __enter__(self) -> FigurePool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
