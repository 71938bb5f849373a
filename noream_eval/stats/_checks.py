"""Input checks shared by every statistical method.

One place for what every function of :mod:`noream_eval.stats` does to its inputs:
looking arguments up as columns of ``data`` (with an error naming the missing
column and the columns available), coercing values to float arrays, dropping
missing values and counting them (``n_dropped``), and checking ``conf_level``.
Every error is a :class:`~noream_eval.errors.StatsInputError`.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import numpy as np
import pandas as pd

from noream_eval.errors import StatsInputError

__all__ = [
    "as_float_array",
    "check_conf_level",
    "check_frame",
    "column",
    "drop_missing",
    "from_data",
]

#: Columns of ``data`` listed in a missing-column error before it says how many more.
_SHOW_COLUMNS = 30


def check_frame(data: Any, func: str) -> pd.DataFrame:
    """``data`` itself when it is a DataFrame.

    Raises
    ------
    StatsInputError
        If it is anything else.

    Examples
    --------
    >>> check_frame(pd.DataFrame({"a": [1]}), "demo").columns.tolist()
    ['a']
    """
    if not isinstance(data, pd.DataFrame):
        raise StatsInputError(
            f"{func}: data must be a pandas DataFrame; got {type(data).__name__}."
        )
    return data


def column(data: pd.DataFrame, name: Any, role: str, *, func: str = "") -> pd.Series:
    """The column ``name`` of ``data``; ``role`` is the argument it was given as.

    Raises
    ------
    StatsInputError
        If ``name`` is not a column name of ``data``: the message names it, the
        argument and the columns available.

    Examples
    --------
    >>> df = pd.DataFrame({"pre": [1.0, 2.0], "post": [2.0, 4.0]})
    >>> column(df, "post", "post").tolist()
    [2.0, 4.0]
    >>> column(df, "score", "post")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    noream_eval.errors.StatsInputError: column 'score' (given as post) is not in the data; ...
    """
    where = f"{func}: " if func else ""
    if not isinstance(name, Hashable) or isinstance(name, tuple | list):
        raise StatsInputError(
            f"{where}with data=, {role} must be a column name of data; got a "
            f"{type(name).__name__}. Pass the column name, or the values without data=."
        )
    if name not in data.columns:
        cols = [repr(c) for c in data.columns[:_SHOW_COLUMNS]]
        more = len(data.columns) - len(cols)
        shown = ", ".join(cols) if cols else "none"
        if more > 0:
            shown += f" and {more} more"
        raise StatsInputError(
            f"{where}column {name!r} (given as {role}) is not in the data; "
            f"available columns: {shown}."
        )
    selected = data[name]
    if isinstance(selected, pd.DataFrame):
        raise StatsInputError(
            f"{where}data has more than one column named {name!r} ({role}); rename them."
        )
    return selected


def from_data(data: pd.DataFrame | None, func: str, **args: Any) -> dict[str, Any]:
    """Resolve the data arguments of ``func``.

    Without ``data`` the arguments are returned as given (values). With ``data``
    every argument that is not None must be a column name of ``data`` and is
    replaced by that column (a Series, index kept).

    Raises
    ------
    StatsInputError
        If ``data`` is not a DataFrame, or an argument is not one of its column
        names.

    Examples
    --------
    >>> df = pd.DataFrame({"k": [3, 5], "n": [10, 12]})
    >>> got = from_data(df, "demo", k="k", n="n", group=None)
    >>> got["k"].tolist(), got["group"]
    ([3, 5], None)
    >>> from_data(None, "demo", k=[3, 5])["k"]
    [3, 5]
    """
    if data is None:
        return dict(args)
    check_frame(data, func)
    return {
        role: None if value is None else column(data, value, role, func=func)
        for role, value in args.items()
    }


def as_float_array(x: Any, name: str) -> np.ndarray:
    """``x`` as a 1-D float array (pandas nullable values and None become NaN).

    Raises
    ------
    StatsInputError
        If ``x`` is not one-dimensional or not numeric.

    Examples
    --------
    >>> as_float_array(pd.Series([1, None, 3], dtype="Int64"), "x").tolist()
    [1.0, nan, 3.0]
    """
    if isinstance(x, pd.Series | pd.Index):
        if x.dtype == bool:
            x = x.astype("int64")
        try:
            x = x.astype("Float64").to_numpy(dtype="float64", na_value=np.nan)
        except (TypeError, ValueError):
            raise StatsInputError(f"{name} must be numeric; found dtype {x.dtype}.") from None
    try:
        arr = np.asarray(x, dtype="float64")
    except (TypeError, ValueError):
        raise StatsInputError(f"{name} must be numeric.") from None
    if arr.ndim != 1:
        raise StatsInputError(f"{name} must be one-dimensional, got shape {arr.shape}.")
    return arr


def drop_missing(*arrays: np.ndarray) -> tuple[list[np.ndarray], int]:
    """Drop positions where any array is NaN; return the arrays and ``n_dropped``.

    Raises
    ------
    StatsInputError
        If the arrays differ in length.

    Examples
    --------
    >>> (a, b), n_dropped = drop_missing(np.array([1.0, np.nan, 3.0]), np.array([1.0, 2.0, np.nan]))
    >>> a.tolist(), n_dropped
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
