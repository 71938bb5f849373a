"""Validation of canonical tables, all failures collected at once.

The rules are those of the pandera schema :func:`schema_for` builds. A table
with the canonical columns in order (every table ingest builds) is checked
here directly, with the failures pandera would report in pandera's order,
which spares loading pandera (a quarter to half a second) on every run; any
other table goes through pandera itself, which names what is malformed.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from functools import cache
from typing import Any

import numpy as np
import pandas as pd

from noream_eval.schema import TABLES, Field

__all__ = ["schema_for", "validate_table"]

_EARLIEST = pd.Timestamp("1900-01-01")


def _rules(field: Field) -> list[tuple[Callable[[Any, Any], Any], Any, str]]:
    """The field's checks in order: (comparison a value must pass, bound, error text)."""
    rules: list[tuple[Callable[[Any, Any], Any], Any, str]] = []
    if field.min_value is not None:
        rules.append((operator.ge, field.min_value, f"{field.name} >= {field.min_value:g}"))
    if field.max_value is not None:
        rules.append((operator.le, field.max_value, f"{field.name} <= {field.max_value:g}"))
    if field.kind == "date":
        rules.append((operator.ge, _EARLIEST, f"{field.name} on or after 1900-01-01"))
    return rules


def _checks(field: Field) -> list:
    import pandera.pandas as pa

    make = {operator.ge: pa.Check.ge, operator.le: pa.Check.le}
    return [make[op](bound, error=error) for op, bound, error in _rules(field)]


@cache
def schema_for(table: str):  # -> pandera.pandas.DataFrameSchema
    """Return the pandera schema of a canonical table.

    Columns are checked for presence, non-null where required, numeric bounds
    and plausible dates; dtypes are checked by :func:`noream_eval.schema.conform`
    (category levels, ``Int64``, ``datetime64[ns]``).
    """
    import pandera.pandas as pa

    spec = TABLES[table]
    columns = {
        f.name: pa.Column(
            nullable=not f.required,
            checks=_checks(f),
            required=True,
        )
        for f in spec.fields
    }
    return pa.DataFrameSchema(columns, name=table, strict=True, ordered=True)


def validate_table(table: str, df: pd.DataFrame) -> pd.DataFrame:
    """Validate ``df`` against the canonical schema of ``table``.

    Parameters
    ----------
    table
        Name of the canonical table.
    df
        The table, with a positional (``RangeIndex``) index.

    Returns
    -------
    pandas.DataFrame
        One row per failing row and check: ``index`` (position in ``df``),
        ``column`` and ``reason``. Empty when the table is valid.

    Raises
    ------
    noream_eval.errors.ValidationError
        For failures that are not about particular rows (a missing or extra
        column): these are bugs in a source profile or in the caller.
    """
    spec = TABLES[table]
    if list(df.columns) == spec.columns:
        try:
            return _failures(spec.fields, df)
        except (TypeError, ValueError):  # values that cannot be compared: pandera says why
            pass
    return _validate_with_pandera(table, df)


def _failures(fields: tuple[Field, ...], df: pd.DataFrame) -> pd.DataFrame:
    """Row failures as pandera reports them: by column; missing values, then each check."""
    labels = df.index.to_numpy()
    index: list[np.ndarray] = []
    column: list[str] = []
    reason: list[np.ndarray] = []
    for f in fields:
        col = df[f.name]
        present = col.notna().to_numpy(dtype=bool)
        found = []
        if f.required:
            found.append((~present, f"required value missing in {f.name}"))
        for op, bound, error in _rules(f):
            passed = op(col, bound)
            passed = np.asarray(passed.astype("boolean").fillna(True), dtype=bool)
            found.append((present & ~passed, f"failed check {error}"))
        for bad, why in found:
            at = labels[bad]
            if len(at):
                index.append(at)
                column += [f.name] * len(at)
                reason.append(np.full(len(at), why, dtype=object))
    if not index:
        return pd.DataFrame({"index": pd.Series(dtype=int), "column": [], "reason": []})
    return pd.DataFrame(
        {
            "index": np.concatenate(index).astype(int),
            "column": np.array(column, dtype=object),
            "reason": np.concatenate(reason),
        }
    ).drop_duplicates()


def _validate_with_pandera(table: str, df: pd.DataFrame) -> pd.DataFrame:
    import pandera.errors as pe

    from noream_eval.errors import ValidationError

    try:
        schema_for(table).validate(df, lazy=True)
    except pe.SchemaErrors as err:
        fc = err.failure_cases
        rowwise = fc["index"].notna()
        if (~rowwise).any():
            what = "; ".join(
                f"{r.column}: {r.check} ({r.failure_case})" for r in fc.loc[~rowwise].itertuples()
            )
            raise ValidationError(f"table {table} is malformed: {what}") from None
        fc = fc.loc[rowwise]
        reason = "failed check " + fc["check"].astype(str)
        nulls = fc["check"].astype(str).str.contains("not_nullable")
        reason = reason.where(~nulls, "required value missing in " + fc["column"].astype(str))
        return pd.DataFrame(
            {
                "index": fc["index"].astype(int).to_numpy(),
                "column": fc["column"].astype(str).to_numpy(),
                "reason": reason.to_numpy(),
            }
        ).drop_duplicates()
    return pd.DataFrame({"index": pd.Series(dtype=int), "column": [], "reason": []})
