"""Shared pieces of the statistical methods: tidy result tables and input checks."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from noream_eval.errors import StatsInputError

__all__ = [
    "RESULT_COLUMNS",
    "Estimates",
    "StatsResult",
    "as_float_array",
    "check_conf_level",
    "drop_missing",
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
    for c in ("estimate", "ci_low", "ci_high", "p_value"):
        df[c] = df[c].astype("float64")
    df["n"] = df["n"].astype("Int64")
    df["term"] = df["term"].astype(object)
    df["method"] = df["method"].astype(object)
    return df


class StatsResult:
    """Mixin giving result objects ``summary()``, ``_repr_html_()`` and ``str()``.

    Subclasses implement :meth:`to_frame` and may set ``title`` and override
    :meth:`notes`.
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


@dataclass(frozen=True, repr=False)
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


def as_float_array(x: Any, name: str) -> np.ndarray:
    """``x`` as a 1-D float array (pandas nullable values become NaN).

    Raises
    ------
    StatsInputError
        If ``x`` is not one-dimensional or not numeric.
    """
    if isinstance(x, pd.Series | pd.Index):
        x = x.astype("Float64").to_numpy(dtype="float64", na_value=np.nan)
    try:
        arr = np.asarray(x, dtype="float64")
    except (TypeError, ValueError):
        raise StatsInputError(f"{name} must be numeric.") from None
    if arr.ndim != 1:
        raise StatsInputError(f"{name} must be one-dimensional, got shape {arr.shape}.")
    return arr


def drop_missing(*arrays: np.ndarray) -> tuple[list[np.ndarray], int]:
    """Drop positions where any array is NaN; return the arrays and how many were dropped.

    Examples
    --------
    >>> (a, b), dropped = drop_missing(np.array([1.0, np.nan, 3.0]), np.array([1.0, 2.0, np.nan]))
    >>> a.tolist(), dropped
    ([1.0], 2)
    """
    lengths = {len(a) for a in arrays}
    if len(lengths) > 1:
        raise StatsInputError(f"inputs have different lengths {sorted(lengths)}.")
    ok = np.ones(len(arrays[0]), dtype=bool)
    for a in arrays:
        ok &= ~np.isnan(a)
    return [a[ok] for a in arrays], int((~ok).sum())


def check_conf_level(conf_level: Any) -> float:
    """Return ``conf_level`` as a float strictly between 0 and 1.

    Raises
    ------
    StatsInputError
        If it is not a number (booleans included) or not in (0, 1).

    Examples
    --------
    >>> check_conf_level(0.9)
    0.9
    """
    if isinstance(conf_level, bool | np.bool_):
        raise StatsInputError(f"conf_level must be a number such as 0.95, got {conf_level!r}.")
    try:
        level = float(conf_level)
    except (TypeError, ValueError):
        raise StatsInputError(
            f"conf_level must be a number such as 0.95, got {conf_level!r}."
        ) from None
    if not 0.0 < level < 1.0:
        raise StatsInputError(
            f"conf_level must be strictly between 0 and 1 (e.g. 0.95), got {conf_level!r}."
        )
    return level
