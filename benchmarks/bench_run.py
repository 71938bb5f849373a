"""Whole-run benchmark: `noream-eval run` on the shipped sample, and `import noream_eval`.

Run by hand (``python benchmarks/bench_run.py``); it is not a test. Each figure is
the wall time of a fresh process, from its start to its exit (start-up, imports,
ingest, metrics, disclosure control, figures, documents and writing included),
repeated ``--repeat`` times after one warm-up run; it prints min, median and max
and the time of each stage of the last run (from the command's progress lines).

    python benchmarks/bench_run.py
    python benchmarks/bench_run.py --repeat 7 --workers 0   # figures drawn in-process

The goals: the run under 10 s and the import under 0.1 s on a 2-core machine.
Compare two versions side by side with ``farm-bench``:

    farm-bench -n 5 --timeout 600 -- .venv/bin/noream-eval run data/sample/evaluation.toml \\
        --out /tmp/a --force -q --vs '/other/.venv/bin/noream-eval run ...'
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _timed(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    took = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"failed ({done.returncode}): {' '.join(cmd)}\n{done.stderr[-2000:]}")
    return took, done.stderr


def _line(name: str, values: list[float]) -> str:
    return (
        f"{name:<28} min {min(values):7.3f}  median {statistics.median(values):7.3f}  "
        f"max {max(values):7.3f}  (n={len(values)})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--config", type=Path, default=ROOT / "data/sample/evaluation.toml")
    parser.add_argument(
        "--workers", type=int, default=None, help="figure workers (default: automatic)"
    )
    args = parser.parse_args()
    exe = Path(sys.executable).with_name("noream-eval")
    imports = [
        _timed([sys.executable, "-c", "import noream_eval"])[0] for _ in range(args.repeat + 1)
    ][1:]
    print(_line("import noream_eval (s)", imports))
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [str(exe), "run", str(args.config), "--out", f"{tmp}/report", "--force"]
        if args.workers is not None:
            code = (
                "import sys; from noream_eval.reports.run import run; "
                f"run(sys.argv[1], sys.argv[2], force=True, workers={args.workers})"
            )
            cmd = [sys.executable, "-c", code, str(args.config), f"{tmp}/report"]
        runs = []
        log = ""
        for i in range(args.repeat + 1):
            took, log = _timed(cmd)
            if i:
                runs.append(took)
        print(_line("noream-eval run (s)", runs))
    stamps = [
        (float(m.group(1)), m.group(2)) for m in re.finditer(r"\[\s*([\d.]+)s\]\s+(.*?) …", log)
    ]
    if stamps:
        print("stages of the last run (start time, s):")
        for t, what in stamps:
            print(f"  {t:6.1f}  {what}")


if __name__ == "__main__":
    main()
