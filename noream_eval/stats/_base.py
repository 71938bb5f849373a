"""Shared pieces of the statistical methods: tidy result tables and result objects.

The input checks are in :mod:`noream_eval.stats._checks`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "RESULT_COLUMNS",
    "Estimates",
    "StatsResult",
    "tidy",
]

#: Leading columns of every tidy result table, in this order.
RESULT_COLUMNS: tuple[str, ...] = (
    "term",
    "estimate",
    "ci_low",
    "ci_high",
    "p_value",
    "n",
    "method",
)


def tidy(rows: Iterable[Mapping[str, Any]], *, extra: Sequence[str] = ()) -> pd.DataFrame:
    """Build a tidy result table: the standard columns first, then ``extra``.

    Missing standard values are NaN (``n`` is nullable ``Int64``); nothing is
    rounded.

    Examples
    --------
    >>> tidy([{"term": "x", "estimate": 1.5, "n": 10, "method": "demo"}]).columns.tolist()
    ['term', 'estimate', 'ci_low', 'ci_high', 'p_value', 'n', 'method']
    """
    rows = list(rows)
    cols = list(RESULT_COLUMNS) + [c for c in extra if c not in RESULT_COLUMNS]
    for r in rows:
        cols += [k for k in r if k not in cols]
    df = pd.DataFrame([{c: r.get(c, np.nan) for c in cols} for r in rows], columns=cols)
    for c, dtype in _DTYPES.items():
        if df[c].dtype != dtype:  # replacing a column costs more than comparing dtypes
            df[c] = df[c].astype(dtype)
    return df


#: dtypes of the standard columns of :func:`tidy` (term and method as Python objects).
_DTYPES: dict[str, Any] = {
    "estimate": np.dtype("float64"),
    "ci_low": np.dtype("float64"),
    "ci_high": np.dtype("float64"),
    "p_value": np.dtype("float64"),
    "n": pd.Int64Dtype(),
    "term": np.dtype(object),
    "method": np.dtype(object),
}


class StatsResult:
    """Mixin giving result objects ``summary()``, ``_repr_html_()`` and ``str()``.

    Subclasses implement :meth:`to_frame` and may set ``title`` and override
    :meth:`notes`. Result classes are dataclasses declared with ``eq=False``: two
    results are equal only when they are the same object (their DataFrame and array
    fields have no single truth value), so ``==`` never raises.
    """

    title: str = ""

    def to_frame(self) -> pd.DataFrame:  # pragma: no cover - abstract
        """The tidy result table."""
        raise NotImplementedError

    def notes(self) -> list[str]:
        """Lines printed under the table (method details, dropped values, ...)."""
        return []

    def summary(self) -> str:
        """The result as plain text: title, table and notes."""
        df = self.to_frame()
        with pd.option_context("display.width", 120, "display.max_columns", 30):
            body = df.to_string(index=False, float_format=lambda x: f"{x:.4g}")
        return "\n".join([self.title or type(self).__name__, body, *self.notes()])

    def _repr_html_(self) -> str:
        notes = "".join(f"<br><small>{n}</small>" for n in self.notes())
        table = self.to_frame().to_html(index=False, float_format=lambda x: f"{x:.4g}")
        return f"<p><b>{self.title or type(self).__name__}</b></p>{table}{notes}"

    def __str__(self) -> str:
        return self.summary()


@dataclass(frozen=True, repr=False, eq=False)
class Estimates(StatsResult):
    """A result that is just a table of estimates.

    Attributes
    ----------
    table : pandas.DataFrame
        Tidy table (see :data:`RESULT_COLUMNS`).
    title : str
        Name of the analysis.
    details : tuple of str
        Notes printed under the table.
    """

    table: pd.DataFrame
    title: str = ""
    details: tuple[str, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        """A copy of the tidy table."""
        return self.table.copy()

    def notes(self) -> list[str]:
        """The details lines."""
        return list(self.details)

    def __repr__(self) -> str:
        return self.summary()
