"""Outcome modules computed in a second process (noream_eval.metrics._parallel).

A run with a forked child must give exactly what one process gives, and any
failure of the child must leave the run as it would be without one.
"""

from __future__ import annotations

import os
import sys

import pandas as pd
import pytest

from noream_eval.metrics import _parallel, compute_all

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="the second process is forked (Linux only)"
)


def _same(a, b) -> None:
    pd.testing.assert_frame_equal(a.indicators, b.indicators, check_exact=True)
    assert a.table_names == b.table_names
    for name in a.table_names:
        pd.testing.assert_frame_equal(a[name], b[name], check_exact=True)


@pytest.fixture(scope="module")
def one_process(sample):
    old = os.environ.get("NOREAM_EVAL_PROCESSES")
    os.environ["NOREAM_EVAL_PROCESSES"] = "1"
    try:
        return compute_all(sample)
    finally:
        if old is None:
            del os.environ["NOREAM_EVAL_PROCESSES"]
        else:
            os.environ["NOREAM_EVAL_PROCESSES"] = old


def test_two_processes_give_what_one_gives(sample, one_process, monkeypatch):
    monkeypatch.setenv("NOREAM_EVAL_PROCESSES", "2")
    messages: list[str] = []
    _same(compute_all(sample, progress=messages.append), one_process)
    assert "computing wellbeing, coordination and feasibility (in a second process)" in messages


def test_warnings_raised_in_the_child_are_counted(sample, monkeypatch):
    import warnings

    from noream_eval.metrics import wellbeing

    real = wellbeing.compute

    def noisy(data, settings):
        warnings.warn("nearly singular", RuntimeWarning, stacklevel=1)
        return real(data, settings)

    monkeypatch.setattr(wellbeing, "compute", noisy)
    monkeypatch.setenv("NOREAM_EVAL_PROCESSES", "2")
    caught = compute_all(sample)["computation_warnings"]
    assert caught[["module", "category", "message", "count"]].values.tolist() == [
        ["wellbeing", "RuntimeWarning", "nearly singular", 1]
    ]


def test_a_child_that_dies_leaves_the_work_to_this_process(sample, one_process, monkeypatch):
    monkeypatch.setenv("NOREAM_EVAL_PROCESSES", "2")
    monkeypatch.setattr(_parallel, "_child", lambda *a: os._exit(3))
    messages: list[str] = []
    _same(compute_all(sample, progress=messages.append), one_process)
    assert messages.count("computing wellbeing") == 1  # computed here after all


def test_a_child_that_does_not_answer_is_given_up(sample, one_process, monkeypatch):
    import time

    monkeypatch.setenv("NOREAM_EVAL_PROCESSES", "2")
    monkeypatch.setattr(_parallel, "_child", lambda *a: time.sleep(600))
    monkeypatch.setattr(_parallel, "_WAIT_SECONDS", 0.5)
    monkeypatch.setattr(_parallel, "_WAIT_FACTOR", 0.0)
    _same(compute_all(sample), one_process)


def test_an_error_in_a_child_module_is_raised_as_without_a_child(sample, monkeypatch):
    from noream_eval.metrics import wellbeing

    def broken(data, settings):
        raise ValueError("wellbeing broke")

    monkeypatch.setattr(wellbeing, "compute", broken)
    for processes in ("1", "2"):
        monkeypatch.setenv("NOREAM_EVAL_PROCESSES", processes)
        with pytest.raises(ValueError, match="wellbeing broke"):
            compute_all(sample)


@pytest.mark.parametrize(("env", "expected"), [("1", 1), ("3", 3), ("0", 1), ("two", 1)])
def test_processes_from_the_environment(monkeypatch, env, expected):
    monkeypatch.setenv("NOREAM_EVAL_PROCESSES", env)
    assert _parallel._processes() == expected


def test_one_process_computes_every_module_here(sample, monkeypatch):
    monkeypatch.setenv("NOREAM_EVAL_PROCESSES", "1")
    monkeypatch.setattr(_parallel, "_start", lambda *a: pytest.fail("no child wanted"))
    messages: list[str] = []
    compute_all(sample, progress=messages.append)
    assert "computing s17" in messages and "computing wellbeing" in messages
