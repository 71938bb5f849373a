"""Validation of canonical tables: the direct checks report what pandera reports.

:func:`noream_eval.ingest.validate.validate_table` checks tables with the
canonical columns itself and sends any other table through the pandera schema
of :func:`~noream_eval.ingest.validate.schema_for`; pandera is the reference
here, on tables with missing values and values outside every bound.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from noream_eval.errors import ValidationError
from noream_eval.ingest import validate as V
from noream_eval.schema import TABLES, conform, empty_table


def _by_pandera(table: str, df: pd.DataFrame) -> pd.DataFrame:
    return V._validate_with_pandera(table, df)


def _column(field, n: int, draw) -> list:
    """n values of a field's kind, some missing, some outside its bounds."""
    missing = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    if field.kind == "date":
        days = draw(st.lists(st.integers(-60_000, 25_000), min_size=n, max_size=n))
        values = [pd.Timestamp("1970-01-01") + pd.Timedelta(days=d) for d in days]
    elif field.kind == "int":
        values = draw(st.lists(st.integers(-5, 40), min_size=n, max_size=n))
    elif field.kind == "float":
        values = draw(
            st.lists(
                st.one_of(st.floats(-3e5, 3e5), st.sampled_from([np.inf, -np.inf, 1e5, -1e5])),
                min_size=n,
                max_size=n,
            )
        )
    elif field.kind == "category":
        values = draw(st.lists(st.sampled_from(field.categories), min_size=n, max_size=n))
    elif field.kind == "list":
        return [[] for _ in range(n)]
    else:
        values = [f"v{i}" for i in range(n)]
    return [None if m else v for v, m in zip(values, missing, strict=True)]


@st.composite
def tables(draw):
    name = draw(st.sampled_from(sorted(TABLES)))
    n = draw(st.integers(0, 12))
    raw = pd.DataFrame({f.name: _column(f, n, draw) for f in TABLES[name].fields}, index=range(n))
    return name, conform(name, raw)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables())
def test_direct_checks_report_what_pandera_reports(case):
    name, df = case
    got = V.validate_table(name, df)
    want = _by_pandera(name, df)
    assert got.columns.tolist() == ["index", "column", "reason"]
    assert got.reset_index(drop=True).astype(str).equals(want.reset_index(drop=True).astype(str))


def test_failures_come_in_pandera_order_with_its_reasons():
    fam = conform(
        "families",
        pd.DataFrame(
            {
                **{c: [None] * 4 for c in TABLES["families"].columns},
                "family_id": ["a", None, "c", "d"],
                "site": ["s"] * 4,
                "cohort": ["noream", "noream", None, "noream"],
                "first_contact_date": ["2020-01-01", "1850-01-01", None, "1899-12-31"],
                "history_known_from": ["2020-01-01"] * 4,
                "n_children": [1, 25, None, -1],
            }
        ),
    )
    got = V.validate_table("families", fam)
    assert got.values.tolist() == [
        [1, "family_id", "required value missing in family_id"],
        [2, "cohort", "required value missing in cohort"],
        [2, "first_contact_date", "required value missing in first_contact_date"],
        [1, "first_contact_date", "failed check first_contact_date on or after 1900-01-01"],
        [3, "first_contact_date", "failed check first_contact_date on or after 1900-01-01"],
        [3, "n_children", "failed check n_children >= 0"],
        [1, "n_children", "failed check n_children <= 20"],
    ]
    assert got.astype(str).equals(_by_pandera("families", fam).astype(str))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.drop(columns=["kind"]), "meetings: column_in_dataframe (kind)"),
        (lambda d: d.assign(zz=1), "meetings: column_in_schema (zz)"),
        (lambda d: d[d.columns[::-1]], "column_ordered"),
    ],
)
def test_a_malformed_table_is_named_by_pandera(change, message):
    with pytest.raises(ValidationError, match=message.replace("(", r"\(").replace(")", r"\)")):
        V.validate_table("meetings", change(empty_table("meetings")))


def test_a_valid_table_has_no_failures():
    out = V.validate_table("payments", empty_table("payments"))
    assert out.empty and out.columns.tolist() == ["index", "column", "reason"]
