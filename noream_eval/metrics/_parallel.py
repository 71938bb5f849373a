"""Outcome modules computed two at a time on a machine with two or more processors.

:func:`~noream_eval.metrics.compute_all` runs the outcome modules, which are
independent of each other. On Linux with two or more processors available,
about half of the work (the modules in :data:`SIDE`) is computed in a forked
child process
while this process computes the others; the libraries both need are loaded
before the fork, so that they load once. The child sends back each module's
result and the warnings it raised; the results are the same numbers a single
process gives.

If anything goes wrong in the child (an error in a module, a result that
cannot be sent, the child killed, or no answer long after this process
finished its own share), this process computes those modules itself, so an
error is raised exactly as in a run without a child. Set the environment
variable ``NOREAM_EVAL_PROCESSES=1`` to compute everything in one process.
"""

from __future__ import annotations

import importlib
import os
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from noream_eval.data import EvaluationData
    from noream_eval.metrics.core import Part, Settings

__all__ = ["SIDE", "compute_modules", "compute_one"]

#: Modules computed in the child: together about as long as the others (on the
#: sample, 0.94 s against 0.80 s of CPU); feasibility reuses wellbeing's scores.
SIDE: tuple[str, ...] = ("wellbeing", "coordination", "feasibility")

#: Libraries both processes need, loaded before the fork so that they load once.
_LIBRARIES: tuple[str, ...] = (
    "scipy.stats",
    "statsmodels.stats.proportion",
    "statsmodels.genmod.generalized_linear_model",
    "statsmodels.duration.hazard_regression",
    "statsmodels.imputation.mice",
)

#: How long to wait for the child once this process is done: this many seconds,
#: plus this many times as long as this process took for its own modules.
_WAIT_SECONDS, _WAIT_FACTOR = 60.0, 4.0

Computed = tuple["Part", list[tuple[str, str]]]


def compute_one(name: str, data: EvaluationData, settings: Settings) -> Computed:
    """One module's Part and the warnings (category, message) raised computing it."""
    module = importlib.import_module(f"noream_eval.metrics.{name}")
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        part = module.compute(data, settings)
    return part, [(w.category.__name__, str(w.message)) for w in seen]


def compute_modules(
    names: Sequence[str],
    data: EvaluationData,
    settings: Settings,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Computed]:
    """Each module's Part and warnings, by name, in the order of ``names``."""
    side = [n for n in names if n in SIDE]
    here = [n for n in names if n not in SIDE]
    child = _start(side, data, settings) if side and here and _processes() >= 2 else None
    if child is None:
        side, here = [], list(names)
    elif progress is not None:
        names_text = " and ".join([", ".join(side[:-1]), side[-1]] if len(side) > 1 else side)
        progress(f"computing {names_text} (in a second process)")
    out: dict[str, Computed] = {}
    try:
        started = time.perf_counter()
        for name in here:
            if progress is not None:
                progress(f"computing {name}")
            out[name] = compute_one(name, data, settings)
        if child is not None:
            wait = _WAIT_SECONDS + _WAIT_FACTOR * (time.perf_counter() - started)
            out.update(_collect(*child, side, wait))
    finally:
        if child is not None:
            if child[0].is_alive():
                child[0].kill()
            child[0].join()
    for name in side:
        if name not in out:  # the child failed: computed here (raising what it raises)
            if progress is not None:
                progress(f"computing {name}")
            out[name] = compute_one(name, data, settings)
    return {n: out[n] for n in names}


def _processes() -> int:
    """Processes to use: ``NOREAM_EVAL_PROCESSES``, else the processors (1 off Linux)."""
    wanted = os.environ.get("NOREAM_EVAL_PROCESSES", "").strip()
    if wanted:
        try:
            return max(1, int(wanted))
        except ValueError:
            return 1
    if not sys.platform.startswith("linux"):
        return 1  # no fork on Windows; on macOS fork is unsafe with system libraries
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _start(side: Sequence[str], data: EvaluationData, settings: Settings) -> Any:
    """The forked child computing ``side`` and the end of the pipe it answers on, or None."""
    import multiprocessing

    for name in _LIBRARIES:
        importlib.import_module(name)
    try:
        ctx = multiprocessing.get_context("fork")
        receive, send = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=_child, args=(send, side, data, settings), daemon=True)
        proc.start()
    except (OSError, ValueError, AssertionError):  # no fork, or inside a daemon worker
        return None
    send.close()
    return proc, receive


def _child(send: Any, names: Sequence[str], data: EvaluationData, settings: Settings) -> None:
    """In the child: compute ``names`` and send them pickled (nothing if anything fails)."""
    import pickle

    payload = b""
    try:
        payload = pickle.dumps(
            {n: compute_one(n, data, settings) for n in names}, pickle.HIGHEST_PROTOCOL
        )
    except BaseException:  # the parent computes these modules itself, and raises
        payload = b""
    finally:
        send.send_bytes(payload)
        send.close()


def _collect(proc: Any, receive: Any, side: Sequence[str], wait: float) -> dict[str, Computed]:
    """The child's results, or {} if it failed or did not answer within ``wait`` seconds."""
    import pickle

    try:
        payload = receive.recv_bytes() if receive.poll(wait) else b""
    except (EOFError, OSError):
        payload = b""
    finally:
        receive.close()
    if not payload:
        return {}
    try:
        got = pickle.loads(payload)
    except Exception:
        return {}
    return {n: got[n] for n in side if n in got}
