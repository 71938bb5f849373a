"""One run from raw exports to a publication-ready, disclosure-controlled report.

:func:`run` ingests the exports an evaluation config describes, computes every
indicator, applies disclosure control to every published table, draws the
figures from the controlled tables only, and writes the report folder:

- ``report.html`` (one self-contained file) and ``report.docx`` (editable);
- ``tables/`` (every published table as CSV) and ``tables.xlsx``;
- ``figures/`` (every figure as PNG at 300 dpi and SVG);
- ``indicators.csv``, ``evidence_of_promise.csv``, ``progression.csv``;
- ``manifest.json``: every published file with its SHA-256;
- ``restricted/``: the unsuppressed results for the analyst, never read by the
  report and never to be published (left out with ``restricted=False``).

The folder appears only when the whole run succeeded.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["PUBLISHED_CSVS", "RunResult", "published_results", "run"]

#: Published tables also written at the top of the report folder.
PUBLISHED_CSVS: tuple[str, ...] = ("indicators", "evidence_of_promise", "progression")

_RESTRICTED_README = """\
RESTRICTED: unsuppressed results. Do not publish or share these files.

They hold every indicator and supporting table before disclosure control:
small counts (1 to {max_small}) are not hidden, and some tables have one row per
(pseudonymised) family or person. They are for the analyst's checks only. The
report, its tables, figures and workbook never read this folder.
"""

Progress = Callable[[str], None]


@dataclass(frozen=True)
class RunResult:
    """What a run wrote, for the command line's summary.

    Attributes
    ----------
    out
        The report folder.
    files
        Published files, relative to ``out``, with their SHA-256.
    promise
        Pre-specified indicators with their rating (published table).
    progression
        Progression criteria with their red/amber/green rating.
    suppressed
        Cells suppressed across all published tables (primary, secondary).
    """

    out: Path
    files: dict[str, str] = field(default_factory=dict)
    promise: pd.DataFrame | None = None
    progression: pd.DataFrame | None = None
    suppressed: tuple[int, int] = (0, 0)


class _Tables:
    """The results plus the ingest tables the data-quality section reads."""

    def __init__(self, results: Any, extra: dict[str, pd.DataFrame]) -> None:
        self._results = results
        self._extra = extra

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self._extra[name].copy() if name in self._extra else self._results[name]

    def __contains__(self, name: object) -> bool:
        return name in self._extra or name in self._results

    @property
    def indicators(self) -> pd.DataFrame:
        return self._results.indicators


def published_results(results: Any, policy: Any, *, data: Any = None) -> tuple[Any, dict]:
    """Apply disclosure control to every published table of a set of results.

    Parameters
    ----------
    results
        :class:`~noream_eval.metrics.Results`.
    policy
        :class:`~noream_eval.reports.disclosure.DisclosurePolicy`.
    data
        The :class:`~noream_eval.EvaluationData` the results came from, for the
        data-quality tables (ingest report, rejects); None leaves them out.

    Returns
    -------
    tuple
        (:class:`~noream_eval.reports.disclosure.PublishedResults`,
        name -> (TableDef, ProtectedTable)) in report order.
    """
    from noream_eval.reports.disclosure import PublishedResults, TableSpec, protect
    from noream_eval.reports.tables import build_tables, rejects_by_reason

    extra: dict[str, pd.DataFrame] = {}
    if data is not None:
        extra["ingest_report"] = data.ingest_report
        extra["rejects_by_reason"] = rejects_by_reason(data.rejects)
    raw = build_tables(_Tables(results, extra))
    protected = {
        name: (definition, protect(table, TableSpec(**definition.spec), policy, name=name))
        for name, (definition, table) in raw.items()
    }
    published = PublishedResults(
        {name: p for name, (_, p) in protected.items()},
        plan=dict(results.plan),
        provenance=dict(results.provenance),
        policy=policy,
    )
    return published, protected


def _figure_files(drawn: Any, progress: Any) -> dict[str, Any]:
    """Collect drawn figures in report order, with their captions."""
    from noream_eval.reports.content import FigureFiles
    from noream_eval.reports.figures import FIGURES

    got = {}
    for i, (name, png, svg) in enumerate(drawn):
        got[name] = (png, svg)
        if hasattr(progress, "bar"):
            progress.bar(i + 1, len(FIGURES), "figures")
    out = {}
    for name, spec in FIGURES.items():
        png, svg = got[name]
        out[name] = FigureFiles(
            name=name,
            title=spec.title,
            caption=f"{spec.title}. {spec.caption} Source: {', '.join(spec.tables)}.",
            png=png,
            svg=svg,
            alt=spec.alt,
        )
    return out


def run(
    config: str | Path | None,
    out: str | Path,
    *,
    force: bool = False,
    restricted: bool = True,
    title: str = "NOREAM pilot evaluation",
    workers: int | None = None,
    progress: Progress | None = None,
) -> RunResult:
    """Run the whole evaluation and write the report folder.

    Parameters
    ----------
    config
        Evaluation config (TOML). None runs on the synthetic sample, generated
        afresh at the default seed (the same files as the shipped
        ``data/sample``).
    out
        The report folder.
    force
        Replace the folder if it exists.
    restricted
        Also write the unsuppressed results to ``out/restricted/``.
    title
        The report's title.
    workers
        Processes drawing the figures beside the main one; None: one per
        further CPU (at most 2), 0: none.
    progress
        Optional callable receiving a short message as each stage starts; if
        it has a ``bar(done, total, what)`` method, long stages report through it.

    Returns
    -------
    RunResult

    Raises
    ------
    FileExistsError
        If ``out`` exists and ``force`` is false.
    NoreamEvalError
        For bad input or config (the message names the file, row and column).
    """
    from noream_eval.config import load_config
    from noream_eval.ingest import load
    from noream_eval.metrics import compute_all
    from noream_eval.reports._pool import FigurePool
    from noream_eval.reports.content import build_document, table_block
    from noream_eval.reports.disclosure import DisclosurePolicy
    from noream_eval.reports.docx import write_docx
    from noream_eval.reports.figures import FIGURES
    from noream_eval.reports.html import render_html
    from noream_eval.reports.workbook import write_table_csv, write_workbook
    from noream_eval.writers import output_dir, sha256_file

    say = progress or (lambda _m: None)
    out = Path(out)
    if out.exists() and not force:
        raise FileExistsError(f"{out} already exists; pass --force to replace it.")
    with FigurePool(workers) as pool:
        with tempfile.TemporaryDirectory(prefix="noream_sample_") as sample_dir:
            if config is None:
                from noream_eval.sample import generate_sample

                say("generating the synthetic sample")
                config = generate_sample(sample_dir, force=True) / "evaluation.toml"
            cfg = load_config(config)
            data = load(cfg, progress=progress)
        results = compute_all(data, cfg, progress=progress)
        say("applying disclosure control")
        policy = DisclosurePolicy.from_config(cfg)
        published, protected = published_results(results, policy, data=data)
        with output_dir(out, force=force) as tmp:
            say("drawing figures and writing tables")
            drawn = pool.draw(published, list(FIGURES), tmp / "figures", note=policy.describe())
            built = {name: table_block(p, d) for name, (d, p) in protected.items()}
            # the report's tables in its order, then the supporting series
            blocks = list(build_document(published, protected, {}, table_blocks=built).tables())
            blocks += [built[d.name] for d, _ in protected.values() if not d.in_report]
            (tmp / "tables").mkdir()
            for block in blocks:
                write_table_csv(block, tmp / "tables" / f"{block.name}.csv")
            write_workbook(blocks, tmp / "tables.xlsx", title=title, notes=(policy.describe(),))
            if restricted:
                results.to_dir(tmp / "restricted")
                (tmp / "restricted" / "README.txt").write_text(
                    _RESTRICTED_README.format(max_small=policy.min_cell - 1), "utf-8"
                )
            figures = _figure_files(drawn, progress)
            say("writing the report")
            document = build_document(
                published, protected, figures, title=title, table_blocks=built
            )
            (tmp / "report.html").write_text(render_html(document), "utf-8")
            write_docx(document, tmp / "report.docx")
            by_name = {b.name: b for b in blocks}
            for name in PUBLISHED_CSVS:
                if name in by_name:
                    write_table_csv(by_name[name], tmp / f"{name}.csv")
            files = {
                p.relative_to(tmp).as_posix(): sha256_file(p)
                for p in sorted(tmp.rglob("*"))
                if p.is_file() and p.relative_to(tmp).parts[0] != "restricted"
            }
            manifest = {
                "format": "noream_eval.report/1",
                "package_version": str(results.provenance.get("package_version", "")),
                "config_sha256": str(results.provenance.get("config_sha256", "")),
                "data_cut": str(results.provenance.get("data_cut", "")),
                "disclosure": {"min_cell": policy.min_cell, "round_to": policy.round_to},
                "files": files,
                "restricted": "restricted/ (unsuppressed, not for publication)"
                if restricted
                else None,
            }
            (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", "utf-8")
    n_primary = sum(p.n_primary for _, p in protected.values())
    n_secondary = sum(p.n_secondary for _, p in protected.values())
    promise = published["evidence_of_promise"] if "evidence_of_promise" in published else None
    prog = published["progression"] if "progression" in published else None
    return RunResult(
        out=out,
        files=files,
        promise=promise,
        progression=prog,
        suppressed=(n_primary, n_secondary),
    )
