"""Metrics benchmark: ingest and each metrics module on an evaluation, stage by stage.

Run by hand (``python benchmarks/bench_metrics.py``); it is not a test. Each
repeat runs in a fresh Python process, as ``noream-eval metrics`` does, and
times its stages one after the other:

- ``imports``: the modules the command loads before reading anything (pandas,
  pyarrow, the config and ingest code);
- ``ingest``: :func:`noream_eval.ingest.load` of the config's exports;
- one row per metrics module (``rereferrals``, ``s17``, ``wellbeing``, ...,
  ``promise``), each as :func:`noream_eval.metrics.compute_all` runs it, the
  libraries it is first to need (scipy, statsmodels) loaded on the way, and
  ``(between modules)``: the rest of ``compute_all`` (the config read by ingest
  is under ``ingest``);
- ``write results``: :meth:`~noream_eval.metrics.Results.to_dir`;
- ``total``, from the interpreter's start (``time.perf_counter`` at the first line
  of the child), and ``ingest + compute``.

A second pass in the same process (``--warm``) times ingest and the modules
again with every library loaded: the work itself, without imports. Wall
(``time.perf_counter``) and CPU (``time.process_time``) seconds of each stage
are printed as min / median / max over the repeats; on a busy machine the CPU
figures are the steadier ones.

The modules are timed one after the other in one process
(``NOREAM_EVAL_PROCESSES=1``). ``--processes 2`` times ``compute_all`` as the
command runs it on a machine with two processors (some modules in a
second process, see :mod:`noream_eval.metrics._parallel`): one ``compute_all``
row, whose CPU column leaves out the second process's.

    python benchmarks/bench_metrics.py                          # the shipped sample, 5 repeats
    python benchmarks/bench_metrics.py --repeat 9 --warm
    python benchmarks/bench_metrics.py --processes 2
    python benchmarks/bench_metrics.py --config path/to/evaluation.toml
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SAMPLE = HERE.parent / "data" / "sample" / "evaluation.toml"

_CHILD = r"""
import importlib, json, sys, tempfile, time
t0, c0 = time.perf_counter(), time.process_time()
stages = []
def mark(name):
    global t0, c0
    t, c = time.perf_counter(), time.process_time()
    stages.append([name, t - t0, c - c0])
    t0, c0 = t, c
config, warm = sys.argv[1], sys.argv[2] == "1"
import os
import noream_eval.cli, noream_eval.ingest.pipeline
from noream_eval.config import load_config
from noream_eval.ingest import load
from noream_eval.metrics import MODULES, compute_all
prefix = ""
by_module = os.environ["NOREAM_EVAL_PROCESSES"] == "1"
for name in (*MODULES, "promise") if by_module else ():
    # each module's compute, timed as compute_all calls it
    module = importlib.import_module("noream_eval.metrics." + name)
    def timed(*a, _f=module.compute, _name=name, **k):
        mark(prefix + "(between modules)")
        out = _f(*a, **k)
        mark(prefix + _name)
        return out
    module.compute = timed
mark("imports")

def run():
    cfg = load_config(config)
    data = load(cfg)
    mark(prefix + "ingest")
    results = compute_all(data, cfg)
    mark(prefix + ("(between modules)" if by_module else "compute_all"))
    return results

results = run()
with tempfile.TemporaryDirectory() as tmp:
    results.to_dir(tmp + "/out", force=True)
mark("write results")
if warm:
    prefix = "warm: "
    run()
print(json.dumps(stages))
"""


def _once(config: Path, warm: bool, processes: int) -> list[list]:
    cmd = [sys.executable, "-c", _CHILD, str(config), "1" if warm else "0"]
    env = {**os.environ, "NOREAM_EVAL_PROCESSES": str(processes)}
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", type=Path, default=SAMPLE, help="evaluation config (TOML)")
    ap.add_argument("--repeat", type=int, default=5, help="fresh processes (default 5)")
    ap.add_argument(
        "--warm", action="store_true", help="also time a second pass with libraries loaded"
    )
    ap.add_argument(
        "--processes",
        type=int,
        default=1,
        help="1 (default): each module timed; 2: compute_all as a whole, as the command runs it",
    )
    args = ap.parse_args()
    walls: dict[str, list[float]] = {}
    cpus: dict[str, list[float]] = {}
    order: list[str] = []
    for i in range(args.repeat):
        stages = _once(args.config, args.warm, args.processes)
        cold = [s for s in stages if not s[0].startswith("warm: ")]
        total_w, total_c = sum(s[1] for s in cold), sum(s[2] for s in cold)
        core = [s for s in cold if s[0] not in ("imports", "write results")]
        stages += [
            ["ingest + compute", sum(s[1] for s in core), sum(s[2] for s in core)],
            ["total", total_w, total_c],
        ]
        for name, w, c in stages:
            if name not in walls:
                order.append(name)
                walls[name], cpus[name] = [], []
            walls[name].append(w)
            cpus[name].append(c)
        print(f"run {i + 1}: total {total_w:.2f} s wall, {total_c:.2f} s CPU", flush=True)

    def fmt(xs: list[float]) -> str:
        return f"{min(xs):6.2f} {statistics.median(xs):6.2f} {max(xs):6.2f}"

    print(f"\n{'stage':32} {'wall min    med    max':>22}   {'CPU min    med    max':>22}")
    for name in order:
        print(f"{name:32} {fmt(walls[name]):>22}   {fmt(cpus[name]):>22}")


if __name__ == "__main__":
    main()
