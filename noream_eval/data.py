"""EvaluationData: the canonical tables of one evaluation, with their audit trail."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import pandas as pd

from noream_eval.schema import REJECT_COLUMNS, TABLES, empty_table

__all__ = ["REPORT_COLUMNS", "WARNING_COLUMNS", "EvaluationData"]

#: Columns of the ingest report (one row per source and file).
REPORT_COLUMNS: tuple[str, ...] = (
    "source",
    "file",
    "rows_read",
    "rows_kept",
    "rows_rejected",
    "duplicates_exact",
    "duplicates_near",
    "values_dropped",
)


#: Columns of the warnings table (one row per warning of an ingest run).
WARNING_COLUMNS: tuple[str, ...] = ("source", "file", "field", "message")


def _empty_warnings() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="string") for c in WARNING_COLUMNS})


def _empty_rejects() -> pd.DataFrame:
    df = pd.DataFrame({c: pd.Series(dtype="string") for c in REJECT_COLUMNS})
    df["row"] = df["row"].astype("Int64")
    return df


def _empty_report() -> pd.DataFrame:
    df = pd.DataFrame({c: pd.Series(dtype="Int64") for c in REPORT_COLUMNS})
    return df.astype({"source": "string", "file": "string"})


@dataclass(frozen=True)
class EvaluationData:
    """The canonical tables of an evaluation (see ``docs/data_model.md``).

    Attributes
    ----------
    families, referrals, payments, s17_episodes, domain_scores, wellbeing_items,
    staff_responses, meetings, meeting_cases, contacts, deliverables : pandas.DataFrame
        Canonical tables; columns and dtypes as in :data:`noream_eval.schema.TABLES`.
    rejects : pandas.DataFrame
        One row per raw row not kept and per value dropped at ingest:
        ``source``, ``file``, ``row`` (1-based spreadsheet row), ``field``,
        ``value`` (scrubbed of identifiers), ``reason`` and ``action``
        (``row_rejected``, ``duplicate_exact``, ``duplicate_near`` - the
        reason names the row repeated -, ``value_dropped`` or ``set_unknown``).
    warnings : pandas.DataFrame
        Things the analyst should know that did not stop the run (an
        identifier column absent, a file with no rows kept, an empty table):
        ``source``, ``file``, ``field``, ``message``.
    ingest_report : pandas.DataFrame
        One row per source file: ``rows_read``, ``rows_kept``,
        ``rows_rejected``, ``duplicates_exact``, ``duplicates_near``,
        ``values_dropped``; rows_read = kept + rejected + duplicates holds.
    provenance : dict
        Package version, config hash, input file hashes, key fingerprint and
        data cut date.

    Examples
    --------
    >>> import noream_eval as ne
    >>> data = ne.EvaluationData()
    >>> data.referrals.columns.tolist()
    ['referral_id', 'family_id', 'site', 'referral_date', 'source', 'outcome', 'notes']
    """

    families: pd.DataFrame = field(default_factory=lambda: empty_table("families"))
    referrals: pd.DataFrame = field(default_factory=lambda: empty_table("referrals"))
    payments: pd.DataFrame = field(default_factory=lambda: empty_table("payments"))
    s17_episodes: pd.DataFrame = field(default_factory=lambda: empty_table("s17_episodes"))
    domain_scores: pd.DataFrame = field(default_factory=lambda: empty_table("domain_scores"))
    wellbeing_items: pd.DataFrame = field(default_factory=lambda: empty_table("wellbeing_items"))
    staff_responses: pd.DataFrame = field(default_factory=lambda: empty_table("staff_responses"))
    meetings: pd.DataFrame = field(default_factory=lambda: empty_table("meetings"))
    meeting_cases: pd.DataFrame = field(default_factory=lambda: empty_table("meeting_cases"))
    contacts: pd.DataFrame = field(default_factory=lambda: empty_table("contacts"))
    deliverables: pd.DataFrame = field(default_factory=lambda: empty_table("deliverables"))
    rejects: pd.DataFrame = field(default_factory=_empty_rejects)
    warnings: pd.DataFrame = field(default_factory=_empty_warnings)
    ingest_report: pd.DataFrame = field(default_factory=_empty_report)
    provenance: dict[str, Any] = field(default_factory=dict)

    def tables(self) -> dict[str, pd.DataFrame]:
        """Return the canonical tables by name (not rejects or the report)."""
        return {name: getattr(self, name) for name in TABLES}

    def to_parquet(self, path: str | Path) -> Path:
        """Write every table to ``path`` (one Parquet file each) plus ``provenance.json``.

        Parameters
        ----------
        path
            Folder to write into; created if needed.

        Returns
        -------
        pathlib.Path
            The folder.
        """
        out = Path(path)
        out.mkdir(parents=True, exist_ok=True)
        for name, df in self._all_frames().items():
            df.to_parquet(out / f"{name}.parquet", index=False)
        (out / "provenance.json").write_text(
            json.dumps(self.provenance, indent=2, sort_keys=True, default=str) + "\n", "utf-8"
        )
        return out

    @classmethod
    def from_parquet(cls, path: str | Path) -> EvaluationData:
        """Read tables written by :meth:`to_parquet`.

        The result equals the written object exactly (dtypes, categories,
        list columns).
        """
        src = Path(path)
        kwargs: dict[str, Any] = {}
        for f in fields(cls):
            if f.name == "provenance":
                p = src / "provenance.json"
                kwargs["provenance"] = json.loads(p.read_text("utf-8")) if p.exists() else {}
                continue
            df = pd.read_parquet(src / f"{f.name}.parquet")
            spec = TABLES.get(f.name)
            if spec is not None:
                for fld in spec.fields:
                    if fld.kind == "list":
                        df[fld.name] = pd.Series(
                            [[str(x) for x in v] for v in df[fld.name]],
                            index=df.index,
                            dtype=object,
                        )
                    elif fld.kind == "category" and df.empty:
                        # Parquet keeps no categories for an empty column.
                        df[fld.name] = df[fld.name].astype(
                            pd.CategoricalDtype(list(fld.categories))
                        )
            kwargs[f.name] = df
        return cls(**kwargs)

    def _all_frames(self) -> dict[str, pd.DataFrame]:
        frames = self.tables()
        frames["rejects"] = self.rejects
        frames["warnings"] = self.warnings
        frames["ingest_report"] = self.ingest_report
        return frames

    def summary(self) -> str:
        """Rows per table and the ingest totals, as text."""
        lines = [f"EvaluationData ({self.provenance.get('config_name', 'unnamed')})"]
        for name, df in self.tables().items():
            lines.append(f"  {name:<16} {len(df):>9,} rows")
        if len(self.ingest_report):
            r = self.ingest_report
            lines.append(
                f"  raw rows read {int(r['rows_read'].sum()):,}: kept "
                f"{int(r['rows_kept'].sum()):,}, rejected {int(r['rows_rejected'].sum()):,}, "
                f"duplicates {int(r['duplicates_exact'].sum() + r['duplicates_near'].sum()):,}"
            )
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td>{name}</td><td style='text-align:right'>{len(df):,}</td></tr>"
            for name, df in self.tables().items()
        )
        return (
            "<table><thead><tr><th>table</th><th>rows</th></tr></thead>"
            f"<tbody>{rows}</tbody></table>"
        )
