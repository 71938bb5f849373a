"""Hand-made canonical frames shared by the tests of outcomes 4, 5 and 6."""

from __future__ import annotations

import pathlib

import pandas as pd

from noream_eval.schema import TABLES, conform


def canonical(table: str, df: pd.DataFrame) -> pd.DataFrame:
    """``df`` conformed to the canonical table, canonical columns it lacks left empty.

    Columns the schema does not (yet) have are kept as given, so that the frames work
    before and after a schema change adds them.
    """
    df = df.copy()
    for col in TABLES[table].columns:
        if col not in df.columns:
            df[col] = None
    out = conform(table, df)
    for col in df.columns:
        if col not in out.columns:
            out[col] = df[col].to_numpy()
    return out


REFERENCE = pathlib.Path(__file__).parent / "reference" / "practice_metrics.out"


def reference() -> dict[str, float]:
    """Values printed by tests/reference/practice_metrics.R (R 4.x, t.test, sandwich, glm)."""
    out = {}
    for line in REFERENCE.read_text().splitlines():
        key, value = line.split()
        out[key] = float(value)
    return out


def meetings(rows, *, site: bool = False) -> pd.DataFrame:
    """Canonical meetings from (id, date, kind, agencies, directorates[, site]) tuples."""
    cols = ["meeting_id", "meeting_date", "kind", "agencies", "directorates"]
    if site:
        cols.append("site")
    df = pd.DataFrame(rows, columns=cols)
    df["meeting_date"] = pd.to_datetime(df["meeting_date"])
    out = canonical("meetings", df)
    if site:
        out["site"] = pd.array(df["site"], dtype="string")
    return out


def cases(pairs) -> pd.DataFrame:
    return pd.DataFrame(pairs, columns=["meeting_id", "family_id"], dtype="string")


def families(rows) -> pd.DataFrame:
    """Families from (id, site, enrolled_date) tuples."""
    df = pd.DataFrame(rows, columns=["family_id", "site", "enrolled_date"])
    df["enrolled_date"] = pd.to_datetime(df["enrolled_date"])
    return df.astype({"family_id": "string", "site": "string"})


def row(table: pd.DataFrame, group: str = "all") -> pd.Series:
    hit = table.loc[table["group"] == group]
    assert len(hit) == 1, table
    return hit.iloc[0]


def deliverables(rows) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=["kind", "site", "status", "date"])
    df["date"] = pd.to_datetime(df["date"])
    df["deliverable_id"] = [f"d{i}" for i in range(len(df))]
    return canonical("deliverables", df)


BASE = {
    "s01": [2, 3, 2, 3],
    "s02": [3, 3, 4, 2],
    "s03": [1, 2, 2, 2],
    "s04": [4, 4, 3, 4],
    "s05": [2, 2, 3, None],
    "s06": [3, 2, 2, 3],
    "s07": [2, 3, 3, 3],
    "s08": [4, 3, 3, 2],
    "s09": [1, 1, 2, 2],
    "s10": [3, 4, 3, 3],
    "s11": [2, 2, 2, 1],
    "s12": [5, None, None, 5],
}
REVIEW = {
    "s01": [3, 3, 3, 3],
    "s02": [3, 4, 4, 3],
    "s03": [2, 2, 3, 2],
    "s04": [4, 5, 4, 4],
    "s05": [2, 3, 3, 3],
    "s06": [3, 2, 3, 3],
    "s07": [3, 3, 4, 3],
    "s08": [4, 4, 3, 3],
    "s09": [2, 1, 2, 3],
    "s10": [3, 4, 4, 4],
    "s13": [4, 4, 3, 3],
    "s14": [2, 3, 3, 2],
    "s15": [3, 3, None, 4],
}


def staff(waves: dict[str, dict[str, list]], *, first_item: int = 1) -> pd.DataFrame:
    """Canonical staff_responses from {timepoint: {respondent: item values}}."""
    rows = []
    for tp, people in waves.items():
        for who, values in people.items():
            for i, v in enumerate(values):
                if v is not None:
                    rows.append((who, tp, "noream_staff", first_item + i, v))
                    # An answer to the other scale must not leak into this one.
                    rows.append((who, tp, "noream_staff", (first_item + 4 + i - 1) % 8 + 1, 1))
    df = pd.DataFrame(rows, columns=["respondent_id", "timepoint", "instrument", "item", "value"])
    return canonical("staff_responses", df)
