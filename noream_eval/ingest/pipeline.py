"""The ingest pipeline: raw exports -> canonical tables, rejects and a report.

Every raw row ends in exactly one of four states, so that for every source file
``rows_read = rows_kept + rows_rejected + duplicates_exact + duplicates_near``:

1. *rejected*: blank, a summary ("Total") row, a required value missing or
   not understood, a conflicting repeat of an ID, a family reference not in the
   families export, or a failed validation check;
2. *exact duplicate*: every raw cell identical to an earlier row;
3. *near duplicate*: different raw text but identical canonical values;
4. *kept*.

Problems in optional values do not lose the row: the value is dropped (or set
to ``unknown`` for categories) and recorded in ``rejects`` with the action taken.
"""

from __future__ import annotations

import hashlib
import platform
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import noream_eval
from noream_eval.config import FIELD_LEVELS, EvaluationConfig, SourceProfile, load_config
from noream_eval.data import REPORT_COLUMNS, EvaluationData
from noream_eval.errors import MissingColumnError, ValidationError
from noream_eval.ingest import normalise as nz
from noream_eval.ingest.episodes import s17_episodes
from noream_eval.ingest.pseudonymise import REDACTED, Pseudonymiser, age_band, load_key, scrub
from noream_eval.ingest.readers import RawTable, read_table
from noream_eval.ingest.validate import validate_table
from noream_eval.schema import LEVELS, REJECT_COLUMNS, TABLES, conform, empty_table

__all__ = ["load"]

Progress = Callable[[str], None]

# Namespace of the pseudonym of each ID field (its first letter prefixes the pseudonym).
_ID_DOMAIN = {
    "referral_id": "referral",
    "payment_id": "payment",
    "response_id": "response",
    "meeting_id": "meeting",
    "deliverable_id": "deliverable",
}
# Natural key of each source's rows: a repeat of it with other values is a conflict.
_ROW_KEY = {
    "families": ("family_id",),
    "referrals": ("referral_id",),
    "payments": ("payment_id",),
    "domain_assessments": ("family_id", "assessment_date"),
    "wellbeing_survey": ("response_id",),
    "staff_survey": ("respondent_id", "timepoint"),
    "meetings": ("meeting_id",),
    "deliverables": ("deliverable_id",),
}
_TOTAL_WORDS = {"total", "totals", "grandtotal", "sum"}
# Dates that may lie after the data cut (planned events).
_FUTURE_OK = {("deliverables", "date")}
_KEPT, _REJECTED, _EXACT, _NEAR = 0, 1, 2, 3


@dataclass
class _Batch:
    """Working state of one source: all its files' rows, normalised."""

    profile: SourceProfile
    pseudo: Pseudonymiser
    files: list[str]
    frame: pd.DataFrame  # _file, _row, _status, _sig + canonical columns
    rejects: list[pd.DataFrame] = field(default_factory=list)
    wide: dict[str, str] = field(default_factory=dict)  # working column -> raw header

    def reject_rows(
        self,
        mask: pd.Series,
        *,
        column: str,
        reason: str | pd.Series,
        values: pd.Series | None = None,
    ) -> None:
        """Mark kept rows in ``mask`` rejected and record why."""
        mask = mask & (self.frame["_status"] == _KEPT)
        if not mask.any():
            return
        self.frame.loc[mask, "_status"] = _REJECTED
        self.record(mask, column=column, reason=reason, values=values, action="row_rejected")

    def record(
        self,
        mask: pd.Series,
        *,
        column: str,
        reason: str | pd.Series,
        values: pd.Series | None,
        action: str,
    ) -> None:
        """Add reject records for rows in ``mask``."""
        sub = self.frame.loc[mask]
        if isinstance(reason, pd.Series):
            reason = reason[mask]
        if values is None:
            shown = pd.Series("", index=sub.index)
        elif self._is_identifier(column):
            shown = pd.Series(REDACTED, index=sub.index).where(~nz.is_blank(values[mask]), "")
        else:
            shown = values[mask].map(scrub)
        self.rejects.append(
            pd.DataFrame(
                {
                    "source": self.profile.name,
                    "file": sub["_file"],
                    "row": sub["_row"],
                    "field": column,
                    "value": shown,
                    "reason": reason,
                    "action": action,
                    "_idx": sub.index.to_numpy(),
                }
            )
        )

    def _is_identifier(self, column: str) -> bool:
        canon = self.profile.columns.get(column)
        kind = self.profile.kind.fields.get(canon or "", "")
        return column in self.profile.identifiers or kind in {
            "id",
            "ref",
            "person",
            "dob",
            "reflist",
        }


def load(
    config: str | Path | EvaluationConfig,
    *,
    progress: Progress | None = None,
) -> EvaluationData:
    """Ingest the raw exports described by an evaluation config.

    Parameters
    ----------
    config
        Path of the evaluation TOML, or an already loaded :class:`EvaluationConfig`.
    progress
        Optional callable receiving a short message at the start of each step
        (the command line prints them; the library itself never prints).

    Returns
    -------
    EvaluationData
        Canonical tables, rejects, the ingest report and provenance.

    Raises
    ------
    ConfigError, InputFileError, MissingColumnError, KeyMissingError
        When the config, a file or the key is unusable; nothing is half-done.

    Examples
    --------
    >>> from noream_eval.ingest import load
    >>> data = load("data/sample/evaluation.toml")  # doctest: +SKIP
    """
    cfg = config if isinstance(config, EvaluationConfig) else load_config(config)
    say = progress or (lambda _msg: None)
    pseudo = Pseudonymiser(load_key(cfg.key_file))
    inputs: list[dict[str, Any]] = []
    batches: dict[str, _Batch] = {}
    for name, profile in cfg.sources.items():
        say(f"reading {name}")
        batches[name] = _read_normalise(profile, cfg, pseudo, inputs)

    say("linking records and removing duplicates")
    fam = batches["families"]
    _finish_keys(fam)
    families = _families_table(fam, cfg)
    known = set(families["family_id"])
    tables: dict[str, pd.DataFrame] = {"families": families}
    for name, batch in batches.items():
        if name == "families":
            continue
        if "family_id" in batch.frame:
            batch.reject_rows(
                ~batch.frame["family_id"].isin(known),
                column=batch.profile.raw_for.get("family_ref", "family_ref"),
                reason="family reference not found in the families export",
                values=batch.frame["family_id"],
            )
        _finish_keys(batch)
        tables.update(_tables(batch, cfg, families, known))

    say("validating canonical tables")
    tables = {name: _validated(name, df, batches) for name, df in tables.items()}
    payments = tables.get("payments", empty_table("payments"))
    tables["s17_episodes"] = s17_episodes(
        payments, gap_days=int(cfg.parameters["episode_gap_days"]), data_cut=cfg.data_cut
    )
    for name in TABLES:
        tables.setdefault(name, empty_table(name))
    report = _report(batches)
    rejects = _rejects(batches)
    provenance = {
        "package": "noream_eval",
        "package_version": noream_eval.__version__,
        "python": platform.python_version(),
        "pandas": pd.__version__,
        "config_name": cfg.name,
        "config_file": cfg.path.name if cfg.path else None,
        "config_sha256": cfg.sha256,
        "key_fingerprint": pseudo.fingerprint,
        "data_cut": cfg.data_cut.isoformat(),
        "data_start": cfg.data_start.isoformat(),
        "parameters": dict(cfg.parameters),
        "inputs": inputs,
    }
    return EvaluationData(
        **{k: tables[k] for k in TABLES},
        rejects=rejects,
        ingest_report=report,
        provenance=provenance,
    )


# --------------------------------------------------------------------------- reading


def _check_columns(profile: SourceProfile, raw: RawTable) -> None:
    wanted = [*profile.columns, *profile.domains, *profile.items]
    missing = [c for c in wanted if c not in raw.frame.columns]
    if missing:
        where = f"{raw.file}" + (f" (sheet {raw.sheet!r})" if raw.sheet else "")
        found = ", ".join(repr(c) for c in raw.frame.columns)
        first = missing[0]
        target = profile.columns.get(first) or profile.domains.get(first) or "an item"
        raise MissingColumnError(
            f"{where}, header row {raw.header_row}: column {first!r} (mapped to "
            f"{target!r} in [sources.{profile.name}]) is missing"
            + (f", and {len(missing) - 1} more: {missing[1:]}" if len(missing) > 1 else "")
            + f". Columns found: {found}. Fix the header in the file or the column map in "
            "the config (and check header_row)."
        )


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _display(path: Path, base: Path) -> str:
    try:
        return str(path.resolve().relative_to(base))
    except ValueError:
        return path.name


def _read_normalise(
    profile: SourceProfile, cfg: EvaluationConfig, pseudo: Pseudonymiser, inputs: list[dict]
) -> _Batch:
    parts = []
    names = []
    for path in profile.files():
        shown = _display(path, cfg.base_dir)
        raw = read_table(
            path,
            fmt=profile.format,
            sheet=profile.sheet,
            header_row=profile.header_row,
            encoding=profile.encoding,
            display_name=shown,
        )
        _check_columns(profile, raw)
        inputs.append(
            {
                "source": profile.name,
                "file": shown,
                "sha256": _sha256(path),
                "bytes": path.stat().st_size,
                "encoding": raw.encoding,
            }
        )
        names.append(shown)
        cols = [c for c in raw.frame.columns]
        f = raw.frame.reset_index(drop=False)
        f = f.rename(columns={f.columns[0]: "_row"})
        f.insert(0, "_file", shown)
        f = f[["_file", "_row", *cols]]
        parts.append(f)
    frame = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    frame["_row"] = frame["_row"].astype("int64")
    batch = _Batch(profile=profile, pseudo=pseudo, files=names, frame=frame)
    _classify_blank_total(batch)
    _mark_exact_duplicates(batch)
    _normalise(batch, cfg, pseudo)
    return batch


def _profile_columns(batch: _Batch) -> list[str]:
    p = batch.profile
    cols = [*p.columns, *p.domains, *p.items, *p.identifiers]
    return [c for c in dict.fromkeys(cols) if c in batch.frame.columns]


def _classify_blank_total(batch: _Batch) -> None:
    f = batch.frame
    data_cols = [c for c in f.columns if not c.startswith("_")]
    blank = pd.DataFrame({c: nz.is_blank(f[c]) for c in data_cols})
    f["_status"] = np.int8(_KEPT)
    all_blank = blank.all(axis=1)
    batch.reject_rows(all_blank, column="", reason="blank row")
    # The first filled cell of each row, column by column (rows are many, columns few).
    first = pd.Series("", index=f.index, dtype=object)
    unset = ~all_blank.to_numpy()
    for c in data_cols:
        take = unset & ~blank[c].to_numpy()
        if take.any():
            first[take] = f.loc[take, c].astype(str).to_numpy()
            unset &= ~take
        if not unset.any():
            break
    is_total = ~all_blank & nz.key(first).isin(_TOTAL_WORDS)
    batch.reject_rows(is_total, column="", reason="summary row (Total), not a record")


def _mark_exact_duplicates(batch: _Batch) -> None:
    f = batch.frame
    cols = _profile_columns(batch)
    # Exact means every cell identical as written, spaces included.
    text = pd.DataFrame({c: _as_text(f[c]) for c in cols})
    f["_sig"] = pd.util.hash_pandas_object(text, index=False).to_numpy()
    live = f["_status"] == _KEPT
    dup = live & f["_sig"].where(live).duplicated(keep="first") & live
    f.loc[dup, "_status"] = _EXACT
    # Identifiers have served: only those needed for linkage or age bands stay.
    mapped = set(batch.profile.columns) | set(batch.profile.domains) | set(batch.profile.items)
    batch.frame = f = f.drop(
        columns=[c for c in f.columns if not c.startswith("_") and c not in mapped]
    )


def _as_text(col: pd.Series) -> pd.Series:
    """Cells as written, as strings (CSV cells already are)."""
    if pd.api.types.is_string_dtype(col.dtype) and col.dtype != object:
        return col.fillna("")
    return col.map(lambda v: "" if v is None else str(v))


def _cell_text(value: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return str(value).strip()


# ------------------------------------------------------------------------ normalising


def _levels(profile: SourceProfile, fld: str, cfg: EvaluationConfig) -> list[str]:
    if fld == "cohort":
        return [*cfg.cohorts, "unknown"]
    return [*LEVELS[FIELD_LEVELS[(profile.name, fld)]], "unknown"]


def _normalise(batch: _Batch, cfg: EvaluationConfig, pseudo: Pseudonymiser) -> None:
    p = batch.profile
    f = batch.frame
    kinds = p.kind.fields
    required = set(p.kind.required)
    table = TABLES[p.kind.table]
    cut = pd.Timestamp(cfg.data_cut)
    for raw_col, fld in p.columns.items():
        kind = kinds[fld]
        # Take the raw column out first: a raw header may equal a canonical name.
        s = f.pop(raw_col)
        if kind in ("dob", "reflist"):
            f[f"_raw_{fld}"] = s  # shown (redacted) in rejects later
        req = fld in required
        if kind in ("ref", "id"):
            vals = nz.normalise_reference(s)
            if kind == "ref":
                f["family_id"] = pseudo.hash_values(vals, domain="family")
            else:
                f[fld] = vals
            problems = pd.Series("", index=s.index)
        elif kind == "person":
            vals = s.map(_cell_text).str.casefold().replace("", np.nan)
            f["respondent_id"] = pseudo.hash_values(vals, domain="staff")
            problems = pd.Series("", index=s.index)
        elif kind in ("date", "dob"):
            latest = None if (p.name, fld) in _FUTURE_OK else cut
            res = nz.parse_dates(s, dayfirst=p.dayfirst, max_date=latest)
            vals, problems = res.values, res.problems
            f[fld] = vals
        elif kind == "category":
            res = nz.map_codes(s, p.values.get(fld, {}), _levels(p, fld, cfg))
            vals, problems = res.values, res.problems
            f[fld] = vals.where(vals.notna() | req, "unknown")
        elif kind == "int":
            spec = table.field(fld) if fld in table.columns else None
            res = nz.parse_int(
                s,
                min_value=spec.min_value if spec else None,
                max_value=spec.max_value if spec else None,
            )
            vals, problems = res.values, res.problems
            f[fld] = vals
        elif kind == "money":
            res = nz.parse_money(s)
            vals, problems = res.values, res.problems
            f[fld] = vals
        elif kind == "list":
            res = nz.map_code_lists(
                s, p.values.get(fld, {}), _levels(p, fld, cfg), sep=p.list_separator
            )
            vals, problems = res.values, res.problems
            f[fld] = vals
        elif kind == "reflist":
            vals = _ref_lists(s, p.list_separator)
            f[fld] = vals
            problems = pd.Series("", index=s.index)
        else:  # str
            vals = s.map(_cell_text).replace("", np.nan)
            if fld == "site":
                vals = vals.str.upper()
            f[fld] = vals
            problems = pd.Series("", index=s.index)
        bad = problems.astype(bool)
        if req:
            batch.reject_rows(bad, column=raw_col, reason=problems, values=s)
            batch.reject_rows(
                ~bad & _missing(vals),
                column=raw_col,
                reason=f"required value missing (mapped to {fld!r})",
                values=s,
            )
        elif bad.any():
            live = bad & (f["_status"] == _KEPT)
            action = "set_unknown" if kind == "category" else "value_dropped"
            batch.record(live, column=raw_col, reason=problems, values=s, action=action)
    if p.kind.wide == "domains":
        _normalise_domains(batch, cfg)
    elif p.kind.wide == "items":
        _normalise_items(batch, cfg)
    for fld, domain in _ID_DOMAIN.items():
        if fld in f:
            f[fld] = pseudo.hash_values(f[fld], domain=domain)


def _missing(values: pd.Series) -> pd.Series:
    if values.dtype == object and len(values) and isinstance(values.iloc[0], list):
        return values.map(len) == 0
    return values.isna()


def _ref_lists(s: pd.Series, sep: str) -> pd.Series:
    text = s.map(_cell_text)
    parts = text.str.split(sep).explode()
    refs = nz.normalise_reference(parts)
    refs = refs[refs.notna()]
    grouped = refs.groupby(level=0).agg(lambda x: list(dict.fromkeys(x)))
    return grouped.reindex(s.index).map(lambda v: v if isinstance(v, list) else [])


def _normalise_wide(
    batch: _Batch,
    columns: Mapping[str, object],
    parse: Callable[[pd.Series], nz.Normalised],
    *,
    prefix: str,
    empty_reason: str,
) -> None:
    """Normalise one-column-per-domain or per-item cells into ``prefix + label`` columns.

    A bad cell loses only its value; a row without any valid cell is rejected.
    """
    f = batch.frame
    any_value = pd.Series(False, index=f.index)
    for raw_col, label in columns.items():
        res = parse(f[raw_col])
        col = f"{prefix}{label}"
        f[col] = res.values
        batch.wide[col] = raw_col
        bad = res.problems.astype(bool) & (f["_status"] == _KEPT)
        batch.record(
            bad, column=raw_col, reason=res.problems, values=f[raw_col], action="value_dropped"
        )
        any_value |= res.values.notna()
        del f[raw_col]
    batch.reject_rows(~any_value, column="", reason=empty_reason)


def _normalise_domains(batch: _Batch, cfg: EvaluationConfig) -> None:
    lo, hi = int(cfg.parameters["score_min"]), int(cfg.parameters["score_max"])
    _normalise_wide(
        batch,
        batch.profile.domains,
        lambda s: nz.parse_int(s, min_value=lo, max_value=hi),
        prefix="_d_",
        empty_reason="no valid domain score in the row",
    )


def _normalise_items(batch: _Batch, cfg: EvaluationConfig) -> None:
    inst = cfg.instruments[batch.profile.instrument or ""]
    _normalise_wide(
        batch,
        batch.profile.items,
        lambda s: nz.parse_likert(
            s, inst.anchors, min_value=inst.item_min, max_value=inst.item_max
        ),
        prefix="_i_",
        empty_reason="no answered item in the row",
    )


# ---------------------------------------------------------------- duplicates and keys


def _canonical_columns(batch: _Batch) -> list[str]:
    f = batch.frame
    cols = [fld for fld in batch.profile.kind.fields if fld in f.columns]
    for extra in ("family_id", "respondent_id"):
        if extra in f.columns:
            cols.append(extra)
    cols = [c for c in cols if c not in ("family_ref", "respondent_ref")]
    return [*cols, *batch.wide]


def _is_list_column(batch: _Batch, col: str) -> bool:
    return batch.profile.kind.fields.get(col) in ("list", "reflist")


def _finish_keys(batch: _Batch) -> None:
    """Mark near duplicates, then reject conflicting repeats of a row key."""
    f = batch.frame
    cols = _canonical_columns(batch)
    live = f["_status"] == _KEPT
    canon = pd.DataFrame(
        {c: f[c].map("|".join) if _is_list_column(batch, c) else f[c] for c in cols}
    )
    sig = pd.Series(pd.util.hash_pandas_object(canon, index=False).to_numpy(), index=f.index)
    near = live & sig.where(live).duplicated(keep="first") & live
    f.loc[near, "_status"] = _NEAR
    key = [k for k in _ROW_KEY[batch.profile.name] if k in f.columns]
    live = f["_status"] == _KEPT
    if not key or not live.any():
        return
    sub = f.loc[live, key]
    repeat = sub.duplicated(keep="first")
    if repeat.any():
        first_row = f.loc[live].groupby(key, dropna=False)["_row"].transform("first")
        first_file = f.loc[live].groupby(key, dropna=False)["_file"].transform("first")
        reason = (
            "repeats the key of row "
            + first_row.astype(str)
            + " of "
            + first_file
            + " with different values; the first was kept"
        )
        mask = pd.Series(False, index=f.index)
        mask[repeat[repeat].index] = True
        raw_for = batch.profile.raw_for
        first_col = raw_for.get(key[0]) or raw_for.get(
            {"family_id": "family_ref", "respondent_id": "respondent_ref"}.get(key[0], ""), key[0]
        )
        batch.reject_rows(mask, column=first_col, reason=reason.reindex(f.index).fillna(""))


# ---------------------------------------------------------------------- table building


def _kept(batch: _Batch) -> pd.DataFrame:
    f = batch.frame
    return f.loc[f["_status"] == _KEPT]


def _families_table(batch: _Batch, cfg: EvaluationConfig) -> pd.DataFrame:
    f = batch.frame
    start = pd.Timestamp(cfg.data_start)
    first = f["first_contact_date"]
    if "youngest_child_dob" in f:
        bands, bad = age_band(f["youngest_child_dob"], first)
        col = batch.profile.raw_for["youngest_child_dob"]
        batch.record(
            bad & (f["_status"] == _KEPT),
            column=col,
            reason="date of birth does not give a child's age (0-17) at first contact",
            values=f["_raw_youngest_child_dob"],
            action="set_unknown",
        )
        f["youngest_child_age_band"] = bands.fillna("unknown")
    known = (
        f["history_known_from"] if "history_known_from" in f else pd.Series(pd.NaT, index=f.index)
    )
    f["history_known_from"] = known.fillna(start).clip(lower=start)
    k = _kept(batch).copy()
    for col, default in (
        ("site", "unknown"),
        ("enrolled_date", pd.NaT),
        ("exit_date", pd.NaT),
        ("exit_reason", "unknown"),
        ("n_children", pd.NA),
        ("youngest_child_age_band", "unknown"),
        ("immigration_status", "unknown"),
    ):
        if col not in k:
            k[col] = default
    k["_src_index"] = k.index
    return _with_origin(conform("families", k, levels={"cohort": cfg.cohorts}), k)


def _with_origin(table: pd.DataFrame, kept: pd.DataFrame) -> pd.DataFrame:
    """Attach the working-frame index of each row (dropped before output)."""
    table.attrs["origin"] = kept.index.to_numpy()
    return table


def _tables(
    batch: _Batch, cfg: EvaluationConfig, families: pd.DataFrame, known: set[str]
) -> dict[str, pd.DataFrame]:
    name = batch.profile.name
    k = _kept(batch).copy()
    if name == "referrals":
        if "site" not in k:
            k["site"] = k["family_id"].map(families.set_index("family_id")["site"])
        for col in ("source", "outcome"):
            if col not in k:
                k[col] = "unknown"
        return {"referrals": _with_origin(conform("referrals", k), k)}
    if name == "payments":
        if "type" not in k:
            k["type"] = "unknown"
        return {"payments": _with_origin(conform("payments", k), k)}
    if name == "deliverables":
        for col, default in (
            ("title", pd.NA),
            ("date", pd.NaT),
            ("site", pd.NA),
            ("attendees", pd.NA),
            ("las_reached", pd.NA),
            ("status", "unknown"),
        ):
            if col not in k:
                k[col] = default
        return {"deliverables": _with_origin(conform("deliverables", k), k)}
    if name == "meetings":
        for col in ("agencies", "directorates", "family_refs"):
            if col not in k:
                k[col] = [[] for _ in range(len(k))]
        meetings = _with_origin(conform("meetings", k), k)
        cases = k[["meeting_id", "family_refs"]].explode("family_refs").dropna()
        cases["family_id"] = batch.pseudo.hash_values(cases["family_refs"], domain="family")
        unknown = ~cases["family_id"].isin(known)
        if unknown.any():
            counts = unknown.groupby(level=0).sum()
            mask = pd.Series(False, index=batch.frame.index)
            mask[counts[counts > 0].index] = True
            col = batch.profile.raw_for["family_refs"]
            batch.record(
                mask,
                column=col,
                reason=counts.reindex(batch.frame.index).fillna(0).astype(int).astype(str)
                + " case reference(s) not found in the families export; dropped",
                values=batch.frame["_raw_family_refs"],
                action="value_dropped",
            )
        cases = cases.loc[~unknown].drop_duplicates(["meeting_id", "family_id"])
        return {"meetings": meetings, "meeting_cases": conform("meeting_cases", cases)}
    if name == "domain_assessments":
        long = _melt(
            k, batch, prefix="_d_", var="domain", ids=["family_id", "assessment_date", "timepoint"]
        )
        long = long.rename(columns={"_value": "score"})
        return {"domain_scores": _with_origin(conform("domain_scores", long), long)}
    if name == "wellbeing_survey":
        inst = batch.profile.instrument
        if "respondent" not in k:
            k["respondent"] = "parent_carer"
        long = _melt(
            k,
            batch,
            prefix="_i_",
            var="item",
            ids=["response_id", "family_id", "respondent", "timepoint", "response_date"],
        )
        long["item"] = long["item"].astype(int)
        long["instrument"] = inst
        long = long.rename(columns={"_value": "value"})
        return {"wellbeing_items": _with_origin(conform("wellbeing_items", long), long)}
    if name == "staff_survey":
        for col in ("role", "directorate"):
            if col not in k:
                k[col] = "unknown"
        long = _melt(
            k,
            batch,
            prefix="_i_",
            var="item",
            ids=["respondent_id", "role", "directorate", "timepoint"],
        )
        long["item"] = long["item"].astype(int)
        long["instrument"] = batch.profile.instrument
        long = long.rename(columns={"_value": "value"})
        return {"staff_responses": _with_origin(conform("staff_responses", long), long)}
    raise AssertionError(f"no table builder for source {name!r}")


def _melt(k: pd.DataFrame, batch: _Batch, *, prefix: str, var: str, ids: list[str]) -> pd.DataFrame:
    cols = [c for c in batch.wide if c.startswith(prefix)]
    k = k.assign(_origin=k.index)
    long = k[[*ids, "_origin", *cols]].melt(
        id_vars=[*ids, "_origin"], value_vars=cols, var_name=var, value_name="_value"
    )
    long = long.loc[long["_value"].notna()]
    long[var] = long[var].str.removeprefix(prefix)
    long = long.sort_values(["_origin", var], kind="stable")
    return long.set_index("_origin", drop=False)


# ------------------------------------------------------------------------- validation


def _validated(name: str, df: pd.DataFrame, batches: dict[str, _Batch]) -> pd.DataFrame:
    """Validate a canonical table; rows failing a check become rejects."""
    origin = df.attrs.get("origin")
    failures = validate_table(name, df)
    if failures.empty:
        out = df.copy()
        out.attrs = {}
        return out
    if origin is None:
        # Tables derived without a row of their own (meeting_cases) must be valid by
        # construction; a failure here is a defect, not bad input.
        raise ValidationError(
            f"derived table {name} failed validation: " + "; ".join(sorted(set(failures["reason"])))
        )
    batch = next(b for b in batches.values() if b.profile.kind.table == name)
    drop = failures["index"].to_numpy()
    src = pd.Index(origin[drop])
    reasons = failures.groupby(src)["reason"].agg("; ".join)
    mask = pd.Series(False, index=batch.frame.index)
    mask[reasons.index] = True
    long = name in ("domain_scores", "wellbeing_items", "staff_responses")
    if long:
        batch.record(
            mask,
            column="",
            reason=reasons.reindex(batch.frame.index).fillna(""),
            values=None,
            action="value_dropped",
        )
    else:
        batch.reject_rows(mask, column="", reason=reasons.reindex(batch.frame.index).fillna(""))
    keep = np.ones(len(df), dtype=bool)
    keep[drop] = False
    out = df.loc[keep].reset_index(drop=True)
    out.attrs = {}
    return out


# --------------------------------------------------------------------------- reporting


def _prune_value_records(batch: _Batch) -> None:
    """Keep value-level records only for rows that were finally kept."""
    status = batch.frame["_status"].to_numpy()
    pruned = []
    for r in batch.rejects:
        kept = status[r["_idx"].to_numpy()] == _KEPT
        pruned.append(r.loc[(r["action"] == "row_rejected").to_numpy() | kept])
    batch.rejects = pruned


def _report(batches: dict[str, _Batch]) -> pd.DataFrame:
    rows = []
    for name, batch in batches.items():
        _prune_value_records(batch)
        f = batch.frame
        status = pd.crosstab(f["_file"], f["_status"]).reindex(
            index=batch.files, columns=[_KEPT, _REJECTED, _EXACT, _NEAR], fill_value=0
        )
        dropped = pd.Series(0, index=batch.files)
        if batch.rejects:
            rj = pd.concat(batch.rejects, ignore_index=True)
            values = rj.loc[rj["action"] != "row_rejected", "file"].value_counts()
            dropped = values.reindex(batch.files, fill_value=0)
        for file in batch.files:
            st = status.loc[file]
            row = {
                "source": name,
                "file": file,
                "rows_read": int(st.sum()),
                "rows_kept": int(st[_KEPT]),
                "rows_rejected": int(st[_REJECTED]),
                "duplicates_exact": int(st[_EXACT]),
                "duplicates_near": int(st[_NEAR]),
                "values_dropped": int(dropped[file]),
            }
            assert row["rows_read"] == int((f["_file"] == file).sum())
            rows.append(row)
    out = pd.DataFrame(rows, columns=list(REPORT_COLUMNS))
    return out.astype({c: "Int64" for c in REPORT_COLUMNS[2:]}).astype(
        {"source": "string", "file": "string"}
    )


def _rejects(batches: dict[str, _Batch]) -> pd.DataFrame:
    frames = [r for b in batches.values() for r in b.rejects]
    if not frames:
        return EvaluationData().rejects
    out = pd.concat(frames, ignore_index=True)[list(REJECT_COLUMNS)]
    out = out.sort_values(["source", "file", "row"], kind="stable").reset_index(drop=True)
    out = out.astype({c: "string" for c in REJECT_COLUMNS if c != "row"})
    out["row"] = out["row"].astype("Int64")
    return out
