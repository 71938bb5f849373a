"""Report rendering benchmark: HTML, DOCX and XLSX for a report-sized document.

Run by hand (``python benchmarks/bench_report_render.py``); it is not a test. It
builds a document of ``--tables`` tables (``--rows`` rows, 8 columns of every kind,
some cells suppressed) and ``--figures`` matplotlib figures (PNG at 200 dpi and SVG,
made once, outside the timing) between paragraphs, then times each renderer
``--repeat`` times and prints the best and median wall times and the output sizes.

    python benchmarks/bench_report_render.py
    python benchmarks/bench_report_render.py --tables 40 --figures 10 --rows 20 --repeat 5
"""

from __future__ import annotations

import argparse
import io
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd


def _figure(i: int) -> tuple[bytes, bytes]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rng = np.random.default_rng(i)
    fig, ax = plt.subplots(figsize=(6.3, 3.5))
    ax.bar([f"M{k}" for k in range(12)], rng.integers(6, 60, 12), color="#1d70b8")
    ax.set_title(f"Figure {i}")
    png, svg = io.BytesIO(), io.BytesIO()
    fig.savefig(png, format="png", dpi=200)
    fig.savefig(svg, format="svg")
    plt.close(fig)
    return png.getvalue(), svg.getvalue()


def build(n_tables: int, n_figures: int, n_rows: int):
    from noream_eval.reports.document import (
        Callout,
        Document,
        Figure,
        KeyValue,
        Paragraph,
        Section,
        Table,
    )

    rng = np.random.default_rng(0)
    images = [_figure(i) for i in range(n_figures)]
    kinds = {
        "n": "count",
        "families": "count",
        "share": "share",
        "mean": "number1",
        "cost": "gbp",
        "p": "p_value",
        "rating": "rag",
    }
    n_sections = 8
    blocks: list[list] = [
        [Paragraph("Some **text** about the results. " * 6)] for _ in range(n_sections)
    ]
    every = max(1, n_tables // max(n_figures, 1))
    f = 0
    for t in range(n_tables):
        here = blocks[t * n_sections // max(n_tables, 1)]
        n = rng.integers(6, 500, n_rows).astype(object)
        n[rng.random(n_rows) < 0.1] = "c"
        frame = pd.DataFrame(
            {
                "group": [f"Group {k}" for k in range(n_rows)],
                "n": n,
                "families": rng.integers(6, 900, n_rows),
                "share": rng.random(n_rows),
                "mean": rng.normal(10, 3, n_rows),
                "cost": rng.normal(25_000, 8_000, n_rows),
                "p": rng.random(n_rows) / 10,
                "rating": rng.choice(["red", "amber", "green"], n_rows),
            }
        )
        here.append(
            Table(
                frame=frame,
                kinds=kinds,
                caption=f"Table caption {t}",
                anchor=f"t{t}",
                note="Counts of 1 to 5 are suppressed.",
                source="Sample",
            )
        )
        here.append(Paragraph("Commentary on the table. " * 4))
        if (t + 1) % every == 0 and f < n_figures:
            png, svg = images[f]
            here.append(
                Figure(caption=f"Figure {f}", alt="A bar chart.", anchor=f"f{f}", png=png, svg=svg)
            )
            f += 1
    for k in range(f, n_figures):
        png, svg = images[k]
        blocks[-1].append(
            Figure(caption=f"Figure {k}", alt="A bar chart.", anchor=f"f{k}", png=png, svg=svg)
        )
    sections = [
        Section(f"Section {s}", f"s{s}", (*b, Callout("note", "A note about this section.")))
        for s, b in enumerate(blocks)
    ]
    sections.append(Section("Provenance", "prov", (KeyValue({"a": "b", "c": "d"}),)))
    return Document("Benchmark report", subtitle="Timing", sections=sections)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tables", type=int, default=40)
    ap.add_argument("--figures", type=int, default=10)
    ap.add_argument("--rows", type=int, default=15)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()

    from noream_eval.reports.docx import write_docx
    from noream_eval.reports.html import render_html
    from noream_eval.reports.workbook import write_workbook

    doc = build(args.tables, args.figures, args.rows)
    print(f"{len(doc.tables())} tables x {args.rows} rows, {len(doc.figures())} figures")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        jobs = {
            "html": lambda: (out / "r.html").write_text(render_html(doc), encoding="utf-8"),
            "docx": lambda: write_docx(doc, out / "r.docx"),
            "xlsx": lambda: write_workbook(doc.tables(), out / "r.xlsx"),
        }
        for name, job in jobs.items():
            times = []
            for _ in range(args.repeat):
                start = time.perf_counter()
                job()
                times.append(time.perf_counter() - start)
            size = (out / f"r.{name}").stat().st_size
            print(
                f"{name}: best {min(times):.3f} s, median {statistics.median(times):.3f} s, "
                f"{size / 1e6:.2f} MB"
            )


if __name__ == "__main__":
    main()
