"""Duplicates, keys, links to families and validation of a source's rows.

Near duplicates (the same canonical values as an earlier row) and conflicting
repeats of a row key are found among the rows whose key repeats; rows of a
family that is not in the families export, or that was itself rejected, are
rejected with the family's row named; built tables are validated and failing
rows charged to their raw row.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from noream_eval._arrow import arrow_strings, hash_strings, is_arrow_text
from noream_eval.errors import ValidationError
from noream_eval.ingest.build import Built, Prepared
from noream_eval.ingest.ledger import KEPT
from noream_eval.ingest.pseudonymise import Pseudonymiser
from noream_eval.ingest.validate import validate_table

__all__ = [
    "column_codes",
    "duplicates",
    "finish_keys",
    "first_of_groups",
    "link",
    "rejected_families",
    "repeated",
    "row_hash",
    "validated",
]


def repeated(sig: np.ndarray, live: np.ndarray) -> np.ndarray:
    """Positions of the live rows whose signature is shared with another live row."""
    pos = np.flatnonzero(live)
    if not len(pos):
        return pos
    codes, _ = pd.factorize(sig[pos])
    return pos[np.bincount(codes)[codes] > 1]


def first_of_groups(sig: np.ndarray, live: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions of live rows repeating an earlier live row's signature, and that row."""
    pos = np.flatnonzero(live)
    if not len(pos):
        return pos, pos
    # factorize numbers signatures in order of first appearance, so a code larger than
    # every code before it marks the first row of its group.
    codes, _ = pd.factorize(sig[pos])
    new = np.empty(len(codes), dtype=bool)
    new[0] = True
    new[1:] = codes[1:] > np.maximum.accumulate(codes)[:-1]
    first_of_code = pos[new]
    first = first_of_code[codes]
    repeat = first != pos
    return pos[repeat], first[repeat]


def _is_list_column(col: pd.Series) -> bool:
    if col.dtype != object:
        return False
    at = col.first_valid_index()
    return at is not None and isinstance(col[at], list)


def column_codes(col: pd.Series) -> np.ndarray:
    """Integers equal exactly where the values are equal (codes, or 64-bit hashes)."""
    if isinstance(col.dtype, pd.CategoricalDtype):
        return col.cat.codes.to_numpy()
    if _is_list_column(col):
        return pd.factorize(col.map("|".join))[0]
    if is_arrow_text(col):
        return hash_strings(arrow_strings(col))
    if col.dtype == object or pd.api.types.is_string_dtype(col.dtype):
        return pd.factorize(col)[0]
    return col.to_numpy()


def row_hash(frame: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """A 64-bit hash of each row's values in ``columns`` (from :func:`column_codes`)."""
    codes = pd.DataFrame({c: column_codes(frame[c]) for c in columns})
    return pd.util.hash_pandas_object(codes, index=False).to_numpy()


def duplicates(
    frame: pd.DataFrame, live: np.ndarray, key: list[str], columns: list[str]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Live rows whose ``columns`` equal an earlier live row's, and that row.

    Equal rows have equal ``key`` values, so only the rows whose key repeats
    (few, even in a national ledger) are compared on every column.

    Returns
    -------
    rows, keys, repeats, first
        The live positions whose key repeats; the key hash of every position; the
        repeating positions and, for each, the first position it repeats.
    """
    keys = row_hash(frame, key)
    rows = repeated(keys, live)
    if not len(rows):
        return rows, keys, rows, rows
    sig = row_hash(frame.iloc[rows], columns)
    dup, first = first_of_groups(sig, live[rows])
    return rows, keys, rows[dup], rows[first]


def finish_keys(p: Prepared) -> None:
    """Mark near duplicates, then reject conflicting repeats of the row key.

    A near duplicate has the same canonical values as an earlier row, so the same
    key: only rows whose key repeats (few, even in a national ledger) are compared
    value by value.
    """
    f = p.frame
    columns = [c for c in f.columns if c != "_case_ids"]
    key = [k for k in p.profile.spec.row_key if k in f.columns] or columns
    rows, keys, near, first = duplicates(f, p.ledger.kept, key, columns)
    if not len(rows):
        return
    p.ledger.duplicate(near, of=first, near=True)
    # a key conflict, too, can only be among the rows whose key repeats
    repeat, first = first_of_groups(keys[rows], p.ledger.kept[rows])
    repeat, first = rows[repeat], rows[first]
    if not len(repeat):
        return
    spec = p.profile.spec
    raw_for = p.profile.raw_for
    key_field = next((fld for fld in spec.field_names if spec.target(fld) == key[0]), key[0])
    p.ledger.reject(
        repeat,
        field=raw_for.get(key_field, key[0]),
        reason="repeats the key of "
        + p.ledger.where_all(first)
        + " with different values; the first was kept",
    )


def rejected_families(fam: Prepared, families: pd.DataFrame) -> pd.Series:
    """Family pseudonym -> "row N of FILE" of its first rejected row, for families not kept."""
    f = fam.frame
    rejected = (fam.ledger.status != KEPT) & f["family_id"].notna().to_numpy()
    pos = np.flatnonzero(rejected)
    ids = f["family_id"].to_numpy()[pos]
    out = pd.Series(fam.ledger.where_all(pos), index=ids, dtype=object)
    out = out[~out.index.duplicated(keep="first")]
    return out[~_isin(pd.Series(out.index), families["family_id"])]


def _isin(values: pd.Series, known: pd.Series) -> np.ndarray:
    """``values.isin(known)`` for text, in Arrow (pandas loops in Python for Arrow text).

    A categorical is tested one category at a time.
    """
    import pyarrow.compute as pc

    known_arr = pc.unique(arrow_strings(known.dropna()))
    if isinstance(values.dtype, pd.CategoricalDtype):
        hit = np.asarray(pc.is_in(arrow_strings(values.cat.categories), value_set=known_arr))
        codes = values.cat.codes.to_numpy()
        return np.append(hit.astype(bool), False)[codes]
    found = pc.is_in(arrow_strings(values.astype("str")), value_set=known_arr)
    return np.asarray(pc.fill_null(found, False), dtype=bool)


def link(p: Prepared, families: pd.DataFrame, rejected: pd.Series, pseudo: Pseudonymiser) -> None:
    """Reject rows of unknown or rejected families; drop such cases from meeting lists."""
    f = p.frame
    raw_for = p.profile.raw_for
    known = families["family_id"]
    if "family_id" in f:
        fid = f["family_id"]
        orphan = np.flatnonzero(~_isin(fid, known) & fid.notna().to_numpy())
        if len(orphan):
            why = fid.iloc[orphan].astype(object).map(rejected)
            reason = np.where(
                why.notna().to_numpy(),
                "family rejected (" + why.where(why.notna(), "").to_numpy(dtype=object) + ")",
                "family reference not found in the families export",
            )
            p.ledger.reject(
                orphan,
                field=raw_for.get("family_ref", "family_ref"),
                reason=reason,
                redact=True,
            )
    links = [fld for fld in p.profile.columns.values() if p.profile.spec.kind(fld) == "reflist"]
    for fld in links:
        refs = f[fld].explode().dropna()
        ids = pseudo.hash_values(refs, domain=p.profile.spec.field(fld).domain or "family")
        ok = pd.Series(_isin(ids, known), index=ids.index)
        why = ids.map(rejected)
        kept_ids = ids[ok].groupby(level=0).agg(list)
        f["_case_ids"] = kept_ids.reindex(f.index).map(lambda v: v if isinstance(v, list) else [])
        for mask, text in (
            (~ok & why.isna(), "case reference(s) not found in the families export; dropped"),
            (~ok & why.notna(), None),
        ):
            if not mask.any():
                continue
            if text is None:
                first = why[mask].groupby(level=0).first()
                counts = mask[mask].groupby(level=0).size()
                reasons = (
                    counts.astype(str)
                    + " case(s) of a family rejected ("
                    + first.astype(str)
                    + "); dropped"
                )
            else:
                counts = mask[mask].groupby(level=0).size()
                reasons = counts.astype(str) + " " + text
            p.ledger.note(
                reasons.index.to_numpy(dtype=np.int64),
                field=raw_for[fld],
                reason=reasons.to_numpy(dtype=object),
                redact=True,
            )


def validated(name: str, built: Built, p: Prepared) -> pd.DataFrame:
    """Validate a canonical table; rows failing a check become rejects."""
    df = built.table
    failures = validate_table(name, df)
    if failures.empty:
        return df
    if built.origin is None:
        # Tables derived without rows of their own (meeting_cases) must be valid by
        # construction; a failure here is a defect, not bad input.
        raise ValidationError(
            f"derived table {name} failed validation: " + "; ".join(sorted(set(failures["reason"])))
        )
    idx = failures["index"].to_numpy()
    raw_for = p.profile.raw_for
    spec = p.profile.spec
    to_raw = {spec.target(fld): raw for fld, raw in raw_for.items()}
    if built.raw_column is not None:
        raw_col = built.raw_column[idx]
        columns = np.where(
            np.isin(failures["column"].to_numpy(), ["score", "value"]),
            raw_col,
            failures["column"].map(lambda c: to_raw.get(c, c)).to_numpy(dtype=object),
        )
    else:
        columns = failures["column"].map(lambda c: to_raw.get(c, c)).to_numpy(dtype=object)
    values = np.array(
        [df.at[i, c] for i, c in zip(idx, failures["column"], strict=True)], dtype=object
    )
    reasons = failures["reason"].to_numpy(dtype=object)
    for column in dict.fromkeys(columns):
        sel = columns == column
        pos = built.origin[idx[sel]]
        shown = np.empty(len(p.ledger), dtype=object)
        shown[pos] = values[sel]
        redact = column in p.profile.identifiers
        dates = bool(np.all([isinstance(v, pd.Timestamp) for v in values[sel]]))
        record = p.ledger.note if built.raw_column is not None else p.ledger.reject
        record(
            pos, field=str(column), reason=reasons[sel], values=shown, redact=redact, dates=dates
        )
    keep = np.ones(len(df), dtype=bool)
    keep[idx] = False
    return df.loc[keep].reset_index(drop=True)
