"""Report figure benchmark: CPU time to build and save every figure (PNG 300 dpi + SVG).

Run by hand (``python benchmarks/bench_figures.py``); it is not a test. It reads
the results written by ``noream-eval metrics`` (``--results``; by default it
computes the shipped sample's results first, which is not timed), then, in this
process, builds each figure of ``noream_eval.reports.figures.FIGURES`` with its
caption and saves it as PNG and SVG, ``--repeat`` times, and prints the least
CPU time (``time.process_time``) of each step: the one-off import and the first
figure's warm-up are shown apart.

    python benchmarks/bench_figures.py
    python benchmarks/bench_figures.py --results out/metrics --repeat 5
    python benchmarks/bench_figures.py --no-caption       # captions left to the document
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, help="folder written by `noream-eval metrics`")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--no-caption", action="store_true", help="figures without the caption drawn beneath"
    )
    args = parser.parse_args()

    clock = time.process_time
    start = clock()
    from noream_eval.metrics import Results
    from noream_eval.reports import figures

    imported = clock() - start
    if args.results is not None:
        results = Results.from_dir(args.results)
    else:
        from noream_eval import load_sample
        from noream_eval.config import load_config
        from noream_eval.metrics import compute_all

        config = Path(__file__).resolve().parents[1] / "data" / "sample" / "evaluation.toml"
        results = compute_all(load_sample(), load_config(config))

    with tempfile.TemporaryDirectory() as folder:
        start = clock()
        figures.save_figure(figures.figure("domain_distance", results), folder, "warm_up")
        warm = clock() - start
        best: dict[str, tuple[float, float]] = {}
        for _ in range(args.repeat):
            for name in figures.FIGURES:
                a = clock()
                fig = figures.figure(
                    name,
                    results,
                    note="Counts of 1 to 5 are not shown.",
                    caption=not args.no_caption,
                )
                b = clock()
                figures.save_figure(fig, folder, name)
                c = clock()
                old = best.get(name, (float("inf"), float("inf")))
                best[name] = (min(old[0], b - a), min(old[1], c - b))
    print(f"import of the figures module: {imported:.2f} s; first figure (warm-up): {warm:.2f} s")
    head = f"{'figure':26s} {'build':>7s} {'save':>7s} {'total':>7s}"
    print(f"{head}   (CPU s, least of {args.repeat})")
    for name, (build, save) in best.items():
        print(f"{name:26s} {build:7.3f} {save:7.3f} {build + save:7.3f}")
    total = sum(b + s for b, s in best.values())
    print(f"{'all figures':26s} {'':7s} {'':7s} {total:7.3f}")


if __name__ == "__main__":
    main()
