"""Tables several metrics need, computed once per metrics run.

Some supporting tables (the meeting table, the scored questionnaires, the
fidelity rows, ...) are built by several public functions of one or more
outcome modules. Inside :func:`run_scope` (which
:func:`~noream_eval.metrics.compute_all` opens), a function decorated with
:func:`reused` computes its result once per set of arguments and hands out
copies; outside it, the function just runs. Arguments are told apart by value
when hashable (dates, numbers, strings, frozen settings) and by identity
otherwise (DataFrames: the canonical tables, which no metric changes in place).
"""

from __future__ import annotations

import copy
import functools
import inspect
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

import pandas as pd

__all__ = ["reused", "run_scope"]

F = TypeVar("F", bound=Callable[..., Any])

#: Results of the current run: key -> (arguments, kept alive so ids stay unique; result).
_RESULTS: ContextVar[dict[tuple[Any, ...], tuple[Any, Any]] | None] = ContextVar(
    "noream_eval_metrics_results", default=None
)


@contextmanager
def run_scope() -> Iterator[None]:
    """Within this block, :func:`reused` functions compute once per set of arguments.

    Examples
    --------
    >>> calls = []
    >>> @reused
    ... def twice(x):
    ...     calls.append(x)
    ...     return [x, x]
    >>> with run_scope():
    ...     twice(3), twice(3)
    ([3, 3], [3, 3])
    >>> calls
    [3]
    """
    token = _RESULTS.set({})
    try:
        yield
    finally:
        _RESULTS.reset(token)


def _key(value: Any) -> tuple[Any, ...]:
    if isinstance(value, pd.DataFrame | pd.Series | pd.Index):
        return ("id", id(value))
    try:
        hash(value)
    except TypeError:
        return ("id", id(value))
    return (type(value), value)


def _copy(value: Any) -> Any:
    if isinstance(value, pd.DataFrame | pd.Series):
        return value.copy()
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return copy.deepcopy(value)


def reused(func: F) -> F:
    """Decorate a pure function of its arguments so that a run computes it once per arguments.

    The caller always gets its own copy of the result, so changing it changes
    nothing for the next caller.
    """

    signature = inspect.signature(func)

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        results = _RESULTS.get()
        if results is None:
            return func(*args, **kwargs)
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()  # a default given or left out is the same call
        key = (func, tuple((k, _key(v)) for k, v in bound.arguments.items()))
        hit = results.get(key)
        if hit is not None:
            return _copy(hit[1])
        result = func(*args, **kwargs)
        results[key] = ((args, kwargs), _copy(result))
        return result

    return wrapper  # type: ignore[return-value]
