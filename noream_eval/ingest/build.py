"""Building canonical tables from the kept rows of a source.

A builder receives a :class:`Prepared` source (its normalised working frame,
positional: row ``i`` is ledger position ``i``) and returns :class:`Built`
tables, each with the ledger position its rows came from, so that a later
failure (validation) can be charged to the right raw row. Nothing here changes
row states directly except through the source's ledger.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from noream_eval.config import EvaluationConfig, SourceProfile
from noream_eval.ingest.ledger import RowLedger
from noream_eval.ingest.pseudonymise import age_band
from noream_eval.schema import TABLES, UNKNOWN, conform

__all__ = ["Built", "Prepared", "build_tables"]

Scrub = Callable[[pd.Series], pd.Series]


@dataclass
class Prepared:
    """A source after reading and normalising: working frame and ledger.

    Attributes
    ----------
    profile
        The source profile.
    ledger
        The fate of each raw row; ``frame`` row ``i`` is ledger position ``i``.
    frame
        Normalised canonical values (and ``_d_*``/``_i_*`` columns of wide
        sources), positional index.
    wide
        Working column -> raw header, for domain and item columns.
    """

    profile: SourceProfile
    ledger: RowLedger
    frame: pd.DataFrame
    wide: dict[str, str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """Source name."""
        return self.profile.name

    def release(self) -> None:
        """Drop the working values once the source's tables are built (the ledger stays)."""
        self.frame = pd.DataFrame(index=pd.RangeIndex(0))


@dataclass(frozen=True)
class Built:
    """A canonical table and, for each of its rows, where it came from.

    Attributes
    ----------
    table
        The canonical table (fresh ``RangeIndex``).
    origin
        Ledger position of the raw row behind each table row (``None`` for a
        table derived without rows of its own).
    raw_column
        For long tables melted from wide rows, the raw header of each row's
        value; ``None`` otherwise.
    """

    table: pd.DataFrame
    origin: np.ndarray | None
    raw_column: np.ndarray | None = None


def _default(kind: str) -> object:
    return UNKNOWN if kind == "category" else pd.NA


def _fill_defaults(k: pd.DataFrame, table: str) -> pd.DataFrame:
    """Add every canonical column the source did not map, with its empty value."""
    for f in TABLES[table].fields:
        if f.name in k.columns:
            continue
        if f.kind == "list":
            k[f.name] = [[] for _ in range(len(k))]
        elif f.kind == "date":
            k[f.name] = pd.NaT
        else:
            k[f.name] = _default(f.kind)
    return k


def _text_fields(
    p: Prepared, k: pd.DataFrame, positions: np.ndarray, scrub_text: Scrub, flags: Scrub
) -> None:
    """Scrub free text; drop a short code that holds an identifier (and say so)."""
    spec = p.profile.spec
    for fld in dict.fromkeys(p.profile.columns.values()):
        kind = spec.kind(fld)
        if fld not in k.columns or kind not in ("text", "str"):
            continue
        values = k[fld]
        present = values.notna()
        if not present.any():
            continue
        if kind == "text":
            k.loc[present, fld] = scrub_text(values[present]).to_numpy()
            continue
        hit = flags(values[present]).to_numpy(dtype=bool)
        if hit.any():
            bad = present.to_numpy().copy()
            bad[present.to_numpy()] = hit
            p.ledger.note(
                positions[bad],
                field=p.profile.raw_for[fld],
                reason="holds what looks like personal data, not a code; value removed",
                redact=True,
                action="value_dropped",
            )
            k.loc[bad, fld] = pd.NA


def _families(p: Prepared, k: pd.DataFrame, positions: np.ndarray, cfg: EvaluationConfig) -> None:
    if "youngest_child_dob" in k:
        bands, bad = age_band(k["youngest_child_dob"], k["first_contact_date"])
        if bad.any():
            p.ledger.note(
                positions[bad.to_numpy()],
                field=p.profile.raw_for["youngest_child_dob"],
                reason="date of birth does not give a child's age (0-17) at first contact",
                redact=True,
                action="set_unknown",
            )
        k["youngest_child_age_band"] = bands.fillna(UNKNOWN)
    start = pd.Timestamp(cfg.data_start)
    known = k["history_known_from"] if "history_known_from" in k else pd.NaT
    k["history_known_from"] = pd.Series(known, index=k.index).fillna(start).clip(lower=start)
    if "site" not in k:
        k["site"] = UNKNOWN
    k["site"] = k["site"].fillna(UNKNOWN)


def _rows(
    p: Prepared,
    cfg: EvaluationConfig,
    families: pd.DataFrame,
    scrub_text: Scrub,
    flags: Scrub,
) -> dict[str, Built]:
    spec = p.profile.spec
    kept = p.ledger.kept
    positions = np.flatnonzero(kept)
    k = p.frame.loc[kept]
    if spec.table != "families":  # the families' values serve to name rejected families
        p.release()  # only the kept rows are needed from here on
    _text_fields(p, k, positions, scrub_text, flags)
    if spec.table == "families":
        _families(p, k, positions, cfg)
    if "site" in TABLES[spec.table].columns and spec.table != "families" and "family_id" in k:
        family_site = k["family_id"].map(families.set_index("family_id")["site"])
        k["site"] = k["site"].fillna(family_site) if "site" in k else family_site
    k = _fill_defaults(k, spec.table)
    levels = {"cohort": cfg.cohorts} if spec.table == "families" else None
    out = {spec.table: Built(conform(spec.table, k, levels=levels), positions)}
    if spec.links is not None:
        out[spec.links] = _links(k)
    return out


def _links(k: pd.DataFrame) -> Built:
    """Meeting -> family links from the meeting's list of case references."""
    cases = pd.DataFrame({"meeting_id": k["meeting_id"].to_numpy(), "family_id": k["_case_ids"]})
    cases = cases.explode("family_id").dropna(subset=["family_id"])
    cases = cases.drop_duplicates(["meeting_id", "family_id"])
    return Built(conform("meeting_cases", cases), None)


def _melt(
    p: Prepared,
    *,
    prefix: str,
    var: str,
    ids: list[str],
    value: str,
    scrub_text: Scrub,
    flags: Scrub,
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    kept = p.ledger.kept
    positions = np.flatnonzero(kept)
    k = p.frame.loc[kept]
    p.release()  # only the kept rows are needed from here on
    _text_fields(p, k, positions, scrub_text, flags)
    cols = [c for c in p.wide if c.startswith(prefix)]
    k = k.assign(_origin=positions)
    long = k[[*ids, "_origin", *cols]].melt(
        id_vars=[*ids, "_origin"], value_vars=cols, var_name="_col", value_name=value
    )
    long = long.loc[long[value].notna()]
    long = long.sort_values(["_origin", "_col"], kind="stable").reset_index(drop=True)
    raw_col = long["_col"].map(p.wide).to_numpy(dtype=object)
    long[var] = long["_col"].str.removeprefix(prefix)
    origin = long["_origin"].to_numpy(dtype=np.int64)
    return long.drop(columns=["_col", "_origin"]), origin, raw_col


def _domains(p: Prepared, scrub_text: Scrub, flags: Scrub) -> dict[str, Built]:
    long, origin, raw_col = _melt(
        p,
        prefix="_d_",
        var="domain",
        ids=["family_id", "assessment_date", "timepoint"],
        value="score",
        scrub_text=scrub_text,
        flags=flags,
    )
    return {"domain_scores": Built(conform("domain_scores", long), origin, raw_col)}


def _items(p: Prepared, scrub_text: Scrub, flags: Scrub) -> dict[str, Built]:
    spec = p.profile.spec
    table = spec.table
    k = p.frame
    ids = [f for f in TABLES[table].columns if f in k.columns and f not in ("item", "value")]
    for f in TABLES[table].fields:
        if f.name not in k.columns and f.name not in ("item", "value", "instrument"):
            k[f.name] = "parent_carer" if f.name == "respondent" else _default(f.kind)
            ids.append(f.name)
    long, origin, raw_col = _melt(
        p, prefix="_i_", var="item", ids=ids, value="value", scrub_text=scrub_text, flags=flags
    )
    long["item"] = long["item"].astype(int)
    long["instrument"] = p.profile.instrument
    return {table: Built(conform(table, long), origin, raw_col)}


def build_tables(
    p: Prepared,
    cfg: EvaluationConfig,
    families: pd.DataFrame,
    *,
    scrub_text: Scrub,
    flags: Scrub,
) -> dict[str, Built]:
    """Canonical tables from the kept rows of one source.

    Parameters
    ----------
    p
        The prepared source.
    cfg
        The evaluation config (cohorts, data start).
    families
        The final families table (sites of families, for sources without one).
    scrub_text
        Scrubs free text (the run's scrubber).
    flags
        True where a short code holds an identifier.

    Returns
    -------
    dict
        Table name -> :class:`Built` (two tables for a source with links).
    """
    wide = p.profile.spec.wide
    if wide == "domains":
        return _domains(p, scrub_text, flags)
    if wide == "items":
        return _items(p, scrub_text, flags)
    return _rows(p, cfg, families, scrub_text, flags)
