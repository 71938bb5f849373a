"""The results of an evaluation: every indicator in one table, with the supporting tables."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pandas as pd

from noream_eval.errors import InputFileError
from noream_eval.metrics.core import INDICATOR_COLUMNS, indicator_table
from noream_eval.writers import output_dir, write_csv

__all__ = ["Results"]

_NAME = re.compile(r"[a-z][a-z0-9_]*\Z")
_FORMAT = "noream_eval.results/1"


@dataclass(frozen=True, eq=False, repr=False)
class Results:
    """Every indicator of an evaluation and the tables behind them (read-only).

    Built by :func:`noream_eval.metrics.compute_all`; written with
    :meth:`to_dir` and read back with :meth:`from_dir`. Tables come back as
    copies, so changing one never changes the results.

    Attributes
    ----------
    indicators : pandas.DataFrame
        One row per estimate, columns :data:`~noream_eval.metrics.core.INDICATOR_COLUMNS`.
    plan : dict
        The analysis plan's settings used (JSON-ready).
    provenance : dict
        Package version, config hash, input file hashes, key fingerprint,
        data cut (from ingest).

    Examples
    --------
    >>> from noream_eval.metrics.core import indicator, indicator_table
    >>> import pandas as pd
    >>> r = Results(indicator_table([indicator("1", "rereferral_rate", n=40, estimate=0.2,
    ...             method="Wilson", unit="share of referrals")]),
    ...             {"monthly_referrals": pd.DataFrame({"month": ["2021-01"], "referrals": [7]})})
    >>> r.table_names
    ('monthly_referrals',)
    >>> r["monthly_referrals"].loc[0, "referrals"]
    np.int64(7)
    """

    _indicators: pd.DataFrame
    _tables: Mapping[str, pd.DataFrame] = field(default_factory=dict)
    plan: Mapping[str, Any] = field(default_factory=dict)
    provenance: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        missing = [c for c in INDICATOR_COLUMNS if c not in self._indicators.columns]
        if missing:
            raise ValueError(f"the indicators table lacks the column(s) {missing}")
        bad = [n for n in self._tables if not _NAME.match(n) or n == "indicators"]
        if bad:
            raise ValueError(f"table names must be snake_case and not 'indicators': {bad}")
        object.__setattr__(self, "_tables", MappingProxyType(dict(self._tables)))
        object.__setattr__(self, "plan", MappingProxyType(dict(self.plan)))
        object.__setattr__(self, "provenance", MappingProxyType(dict(self.provenance)))

    @property
    def indicators(self) -> pd.DataFrame:
        """Every indicator, one row per estimate (a copy)."""
        return self._indicators.copy(deep=False)

    @property
    def table_names(self) -> tuple[str, ...]:
        """Names of the supporting tables, in the order they were computed."""
        return tuple(self._tables)

    def __getitem__(self, name: str) -> pd.DataFrame:
        """A supporting table by name (a copy)."""
        if name == "indicators":
            return self.indicators
        try:
            return self._tables[name].copy(deep=False)
        except KeyError:
            raise KeyError(
                f"no table {name!r} in these results; tables: {list(self._tables)}"
            ) from None

    def __contains__(self, name: object) -> bool:
        return name == "indicators" or name in self._tables

    def __iter__(self) -> Iterator[str]:
        return iter(self._tables)

    def indicator(self, name: str, group: str = "all") -> pd.Series:
        """The row of one indicator and group.

        Raises
        ------
        KeyError
            If there is no such row; the message lists the indicators.
        """
        ind = self._indicators
        rows = ind[(ind["indicator"] == name) & (ind["group"] == group)]
        if rows.empty:
            raise KeyError(
                f"no indicator {name!r} for group {group!r}; indicators: "
                f"{sorted(ind['indicator'].dropna().unique())}"
            )
        return rows.iloc[0].copy()

    def summary(self) -> str:
        """A short plain-text overview (indicators and tables with their sizes)."""
        lines = [f"Results: {len(self._indicators)} indicator rows, {len(self._tables)} tables"]
        for name, table in self._tables.items():
            lines.append(f"  {name}: {len(table)} rows")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (
            f"<Results: {len(self._indicators)} indicator rows; tables: "
            f"{', '.join(self._tables) or 'none'}>"
        )

    def _repr_html_(self) -> str:
        cols = ["outcome", "indicator", "group", "n", "estimate", "ci_low", "ci_high"]
        return f"<p><b>Results</b>: {len(self._tables)} supporting tables</p>" + self._indicators[
            cols
        ].to_html(index=False, float_format=lambda x: f"{x:.3g}")

    def to_dir(self, path: str | Path, *, force: bool = False) -> Path:
        """Write the results to a folder, atomically.

        Files: ``indicators.csv`` and ``indicators.parquet``; each supporting
        table as ``NAME.csv`` and ``NAME.parquet``; ``results.json`` (the
        format, table names, plan and provenance). CSV files are safe to open
        in a spreadsheet (text that would read as a formula is quoted);
        Parquet keeps the exact types and is what :meth:`from_dir` reads.

        Parameters
        ----------
        path
            Destination folder.
        force
            Replace the folder if it exists.

        Returns
        -------
        pathlib.Path

        Raises
        ------
        FileExistsError
            If the folder exists and ``force`` is false.
        OutputError
            If it cannot be written.
        """
        with output_dir(path, force=force) as tmp:
            for name, table in {"indicators": self._indicators, **self._tables}.items():
                table.to_parquet(tmp / f"{name}.parquet", index=False)
                write_csv(table, tmp / f"{name}.csv")
            meta = {
                "format": _FORMAT,
                "tables": list(self._tables),
                "plan": dict(self.plan),
                "provenance": dict(self.provenance),
            }
            (tmp / "results.json").write_text(
                json.dumps(meta, indent=2, sort_keys=True, default=str) + "\n", "utf-8"
            )
        return Path(path)

    @classmethod
    def from_dir(cls, path: str | Path) -> Results:
        """Read results written by :meth:`to_dir`.

        Raises
        ------
        InputFileError
            If the folder holds no results or a table is missing.
        """
        folder = Path(path)
        meta_path = folder / "results.json"
        if not meta_path.is_file():
            raise InputFileError(
                f"{folder} holds no results.json; give a folder written by "
                "`noream-eval metrics` or Results.to_dir."
            )
        meta = json.loads(meta_path.read_text("utf-8"))
        if meta.get("format") != _FORMAT:
            raise InputFileError(f"{meta_path} is not a results file of this package.")
        tables = {}
        for name in ["indicators", *meta["tables"]]:
            file = folder / f"{name}.parquet"
            if not file.is_file():
                raise InputFileError(f"{folder} lacks {file.name}; write the results again.")
            tables[name] = pd.read_parquet(file)
        indicators = indicator_table(tables.pop("indicators").to_dict("records"))
        return cls(indicators, tables, meta.get("plan", {}), meta.get("provenance", {}))
