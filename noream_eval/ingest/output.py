"""Writing the outputs of an ingest run, atomically."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from noream_eval.data import EvaluationData
from noream_eval.writers import output_dir, write_csv

__all__ = ["ingest_report_markdown", "write_outputs"]


def _reason_summary(rejects: pd.DataFrame) -> pd.DataFrame:
    if rejects.empty:
        return pd.DataFrame(columns=["source", "field", "action", "reason", "n"])
    r = rejects.assign(
        reason=rejects["reason"].str.replace(r"row \d+ of [^;)]+", "an earlier row", regex=True)
    )
    out = r.groupby(["source", "field", "action", "reason"], dropna=False).size()
    return out.rename("n").reset_index().sort_values(["source", "n"], ascending=[True, False])


def ingest_report_markdown(data: EvaluationData) -> str:
    """The ingest report as Markdown: per-file reconciliation and reasons for rejects.

    Parameters
    ----------
    data
        The result of :func:`noream_eval.ingest.load`.

    Returns
    -------
    str
    """
    rep = data.ingest_report
    prov = data.provenance
    lines = [
        f"# Ingest report: {prov.get('config_name', '')}",
        "",
        "Internal data-quality report for the evaluation team. It counts raw rows, not "
        "people, and is not disclosure-controlled: do not publish it.",
        "",
        f"- data cut: {prov.get('data_cut', '')}",
        f"- config: {prov.get('config_file', '')} (sha256 {prov.get('config_sha256', '')[:12]}…)",
        f"- package: noream_eval {prov.get('package_version', '')}",
        f"- pseudonymisation key fingerprint: {prov.get('key_fingerprint', '')}",
        "",
        "## Rows per source file",
        "",
        "Every raw row is kept, rejected or counted as a duplicate: "
        "rows read = kept + rejected + exact duplicates + near duplicates.",
        "",
        "| source | file | read | kept | rejected | exact dup. | near dup. | values dropped |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rep.itertuples():
        lines.append(
            f"| {r.source} | {r.file} | {r.rows_read:,} | {r.rows_kept:,} | "
            f"{r.rows_rejected:,} | {r.duplicates_exact:,} | {r.duplicates_near:,} | "
            f"{r.values_dropped:,} |"
        )
    ok = bool(
        (
            rep["rows_read"]
            == rep["rows_kept"]
            + rep["rows_rejected"]
            + rep["duplicates_exact"]
            + rep["duplicates_near"]
        ).all()
    )
    lines += ["", f"Reconciliation holds for every file: {'yes' if ok else 'NO'}.", ""]
    lines += ["## Warnings", ""]
    if data.warnings.empty:
        lines.append("None.")
    else:
        lines += [f"- {w.message}" for w in data.warnings.itertuples()]
    lines.append("")
    lines += ["## Canonical tables", "", "| table | rows |", "|---|---:|"]
    lines += [f"| {name} | {len(df):,} |" for name, df in data.tables().items()]
    lines += ["", "## Reasons for rejects", ""]
    summary = _reason_summary(data.rejects)
    if summary.empty:
        lines.append("No rejects.")
    else:
        lines += ["| source | column | action | reason | n |", "|---|---|---|---|---:|"]
        for r in summary.itertuples():
            field = r.field if isinstance(r.field, str) and r.field else "(row)"
            lines.append(f"| {r.source} | {field} | {r.action} | {r.reason} | {r.n:,} |")
    lines += ["", "Row numbers in rejects.csv are as seen in the spreadsheet (1-based).", ""]
    return "\n".join(lines)


def write_outputs(data: EvaluationData, out_dir: str | Path, *, force: bool = False) -> Path:
    """Write the canonical tables, rejects, ingest report and provenance.

    Files: one Parquet file per canonical table (plus ``rejects.parquet``,
    ``warnings.parquet`` and ``ingest_report.parquet``), ``rejects.csv`` and
    ``warnings.csv`` (safe to open in Excel: text that a spreadsheet would read
    as a formula is written with a leading apostrophe), ``ingest_report.md``,
    ``ingest_report.json`` and ``provenance.json``. Everything is written to a
    temporary folder beside ``out_dir`` and moved into place at the end, so a
    failed run leaves no output folder behind.

    Parameters
    ----------
    data
        The result of :func:`noream_eval.ingest.load`.
    out_dir
        Destination folder.
    force
        Replace ``out_dir`` if it exists.

    Returns
    -------
    pathlib.Path
        ``out_dir``.

    Raises
    ------
    FileExistsError
        If ``out_dir`` exists and ``force`` is false.
    OutputError
        If the folder cannot be created or written.
    """
    out = Path(out_dir)
    with output_dir(out, force=force) as tmp:
        data.to_parquet(tmp)
        write_csv(data.rejects, tmp / "rejects.csv")
        write_csv(data.warnings, tmp / "warnings.csv")
        (tmp / "ingest_report.md").write_text(ingest_report_markdown(data), "utf-8")
        report = {
            "files": json.loads(data.ingest_report.to_json(orient="records")),
            "tables": {name: len(df) for name, df in data.tables().items()},
            "rejects": json.loads(_reason_summary(data.rejects).to_json(orient="records")),
            "warnings": json.loads(data.warnings.to_json(orient="records")),
        }
        (tmp / "ingest_report.json").write_text(
            json.dumps(report, indent=2, sort_keys=True) + "\n", "utf-8"
        )
    return out
