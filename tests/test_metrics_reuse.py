"""Tables computed once per metrics run (noream_eval.metrics._reuse)."""

from __future__ import annotations

import contextlib

import pandas as pd
import pytest

from noream_eval.metrics import _reuse
from noream_eval.metrics._reuse import reused, run_scope


def _counting():
    calls: list[tuple] = []

    @reused
    def table(df: pd.DataFrame, *, k: int = 1, sites: tuple[str, ...] = ()) -> pd.DataFrame:
        """Doubles ``df``."""
        calls.append((id(df), k, sites))
        return df * 2 * k

    return table, calls


def test_computed_once_per_arguments_within_a_run_only():
    table, calls = _counting()
    df = pd.DataFrame({"x": [1, 2]})
    table(df)
    table(df)
    assert len(calls) == 2  # no run open: computed every time
    with run_scope():
        first = table(df)
        again = table(df, k=1)  # the default given or left out: the same call
        assert len(calls) == 3
        table(df, k=2)
        table(df, sites=("a",))
        table(df.copy())  # an equal but different table is told apart
        assert len(calls) == 6
    with run_scope():
        table(df)
    assert len(calls) == 7  # a new run computes again
    assert first.equals(again) and first is not again


def test_each_caller_gets_its_own_copy():
    table, _ = _counting()
    df = pd.DataFrame({"x": [1, 2]})
    with run_scope():
        first = table(df)
        first.loc[0, "x"] = 99
        second = table(df)
        second.loc[1, "x"] = -1
        assert table(df)["x"].tolist() == [2, 4]


def test_a_failure_is_not_kept():
    calls = []

    @reused
    def fails(x):
        calls.append(x)
        raise ValueError("no")

    with run_scope():
        for _ in range(2):
            with pytest.raises(ValueError, match="no"):
                fails(1)
    assert calls == [1, 1]


def test_decorated_functions_keep_their_name_signature_and_docs():
    table, _ = _counting()
    assert table.__name__ == "table" and table.__doc__ == "Doubles ``df``."
    import inspect

    from noream_eval.metrics.multiagency import meeting_table

    assert list(inspect.signature(meeting_table).parameters)[:2] == ["meetings", "meeting_cases"]


def test_a_run_gives_the_same_results_as_computing_everything_again(sample, monkeypatch):
    from noream_eval.metrics import compute_all

    shared = compute_all(sample)
    monkeypatch.setattr(_reuse, "run_scope", contextlib.nullcontext)
    alone = compute_all(sample)
    pd.testing.assert_frame_equal(shared.indicators, alone.indicators)
    assert shared.table_names == alone.table_names
    for name in shared.table_names:
        pd.testing.assert_frame_equal(shared[name], alone[name], check_exact=True)
