"""What an ingest run tells its user: progress, warnings, the report and the rejects table.

Every string here passes through the run's scrubber before it leaves ingest.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd

from noream_eval.data import REPORT_COLUMNS, WARNING_COLUMNS, EvaluationData
from noream_eval.ingest.build import Prepared
from noream_eval.privacy import Scrubber
from noream_eval.schema import REJECT_COLUMNS

__all__ = ["Progress", "Say", "Warnings", "ingest_report", "rejects_table", "warn_empty"]

Progress = Callable[[str], None]


class Warnings:
    """Warnings of one run: things the user should know that did not stop it."""

    def __init__(self) -> None:
        self.rows: list[dict[str, str]] = []

    def __call__(self, source: str, file: str, field: str, message: str) -> None:
        self.rows.append({"source": source, "file": file, "field": field, "message": message})

    def frame(self, scrubber: Scrubber) -> pd.DataFrame:
        df = pd.DataFrame(self.rows, columns=list(WARNING_COLUMNS))
        if len(df):
            df["message"] = df["message"].map(scrubber.scrub_message)
        return df.astype("string")


class Say:
    """Progress reports, passed through the run's scrubber."""

    def __init__(self, progress: Progress | None, scrubber: Scrubber) -> None:
        self.progress = progress
        self.scrubber = scrubber
        self.rows = 0

    def __call__(self, message: str) -> None:
        if self.progress is not None:
            self.progress(self.scrubber.scrub_message(message))

    def advance(self, done: int, total: int, rows: int) -> None:
        """``done`` of ``total`` files of the current source read; ``rows`` more raw rows."""
        self.rows += rows
        advance = getattr(self.progress, "advance", None)
        if callable(advance):
            advance(done, total, self.rows)


def warn_empty(
    prepared: Mapping[str, Prepared], tables: Mapping[str, pd.DataFrame], warn: Warnings
) -> None:
    for name, p in prepared.items():
        for i, file in enumerate(p.ledger.files):
            c = p.ledger.counts(i)
            read = sum(c.values())
            if read and not c["kept"]:
                warn(
                    name,
                    file,
                    "",
                    f"{file}: none of its {read:,} rows was kept (see rejects for why).",
                )
        table = p.profile.spec.table
        if table in tables and tables[table].empty:
            warn(
                name,
                ", ".join(p.ledger.files),
                "",
                f"the {table} table is empty after ingest of [sources.{name}].",
            )


def ingest_report(prepared: Mapping[str, Prepared]) -> pd.DataFrame:
    rows = []
    for name, p in prepared.items():
        dropped = p.ledger.values_noted()
        for i, file in enumerate(p.ledger.files):
            c = p.ledger.counts(i)
            rows.append(
                {
                    "source": name,
                    "file": file,
                    "rows_read": sum(c.values()),
                    "rows_kept": c["kept"],
                    "rows_rejected": c["rejected"],
                    "duplicates_exact": c["duplicate_exact"],
                    "duplicates_near": c["duplicate_near"],
                    "values_dropped": int(dropped[i]),
                }
            )
    out = pd.DataFrame(rows, columns=list(REPORT_COLUMNS))
    return out.astype({c: "Int64" for c in REPORT_COLUMNS[2:]}).astype(
        {"source": "string", "file": "string"}
    )


_ROW_REF = re.compile(r"\brow \d+ of ")


def _scrub_reasons(reasons: pd.Series, scrubber: Scrubber) -> np.ndarray:
    """Reasons through the scrubber, each distinct shape once.

    Reasons are the package's words plus file names and row numbers ("repeats
    the key of row 7 of x.csv"). Each distinct reason with its row numbers
    masked is scrubbed; where that changes nothing, the reasons of that shape
    are safe as they are (a row number is not an identifier), otherwise each
    of them is scrubbed in full.
    """
    codes, uniques = pd.factorize(reasons.astype(object))
    texts = [str(u) for u in uniques]
    shapes = [_ROW_REF.sub("row N of ", t) for t in texts]
    shape_codes, distinct = pd.factorize(pd.Series(shapes, dtype=object))
    clean = scrubber.scrub_messages(list(distinct))
    unsafe = np.array([c != d for c, d in zip(clean, distinct, strict=True)], dtype=bool)
    out = np.asarray(texts, dtype=object)
    redo = np.flatnonzero(unsafe[shape_codes])
    if len(redo):
        out[redo] = scrubber.scrub_messages([texts[i] for i in redo])
    return out[codes]


def rejects_table(prepared: Mapping[str, Prepared], scrubber: Scrubber) -> pd.DataFrame:
    frames = [p.ledger.rejects(scrubber.scrub_series) for p in prepared.values()]
    frames = [f for f in frames if len(f)]
    if not frames:
        return EvaluationData().rejects
    out = pd.concat(frames, ignore_index=True)[list(REJECT_COLUMNS)]
    out = out.sort_values("source", kind="stable").reset_index(drop=True)
    out["reason"] = _scrub_reasons(out["reason"], scrubber)
    out = out.astype({c: "string" for c in REJECT_COLUMNS if c != "row"})
    out["row"] = out["row"].astype("Int64")
    return out
