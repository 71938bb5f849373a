"""Validation of canonical tables with pandera, all failures collected at once."""

from __future__ import annotations

from functools import cache

import pandas as pd

from noream_eval.schema import TABLES, Field

__all__ = ["schema_for", "validate_table"]


def _checks(field: Field) -> list:
    import pandera.pandas as pa

    checks = []
    if field.min_value is not None:
        checks.append(pa.Check.ge(field.min_value, error=f"{field.name} >= {field.min_value:g}"))
    if field.max_value is not None:
        checks.append(pa.Check.le(field.max_value, error=f"{field.name} <= {field.max_value:g}"))
    if field.kind == "date":
        checks.append(
            pa.Check.ge(pd.Timestamp("1900-01-01"), error=f"{field.name} on or after 1900-01-01")
        )
    return checks


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
