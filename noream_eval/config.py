"""The evaluation configuration: source profiles and pre-specified parameters.

An evaluation is described by one TOML file. ``[evaluation]`` holds the dates
of the evaluation, ``[parameters]`` the pre-specified analysis parameters and
each ``[sources.NAME]`` table a *source profile*: where a raw export is, how to
read it and how its columns and codes map onto the canonical schema. See
``noream_eval/sample/evaluation.toml`` for a complete, commented example.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from noream_eval.errors import ConfigError
from noream_eval.schema import LEVELS

__all__ = [
    "SOURCES",
    "EvaluationConfig",
    "Instrument",
    "SourceProfile",
    "load_config",
    "load_instruments",
]


@dataclass(frozen=True)
class SourceKind:
    """What a source of a given name feeds and which fields it may map."""

    table: str
    fields: dict[str, str]  # canonical field -> kind understood by ingest
    required: tuple[str, ...]
    wide: Literal["domains", "items"] | None = None


#: The raw sources ingest understands, keyed by the name used in ``[sources.NAME]``.
SOURCES: dict[str, SourceKind] = {
    "families": SourceKind(
        "families",
        {
            "family_ref": "ref",
            "site": "str",
            "cohort": "category",
            "first_contact_date": "date",
            "enrolled_date": "date",
            "exit_date": "date",
            "exit_reason": "category",
            "n_children": "int",
            "youngest_child_dob": "dob",
            "youngest_child_age_band": "category",
            "immigration_status": "category",
            "history_known_from": "date",
        },
        ("family_ref", "cohort", "first_contact_date"),
    ),
    "referrals": SourceKind(
        "referrals",
        {
            "referral_id": "id",
            "family_ref": "ref",
            "site": "str",
            "referral_date": "date",
            "source": "category",
            "outcome": "category",
        },
        ("referral_id", "family_ref", "referral_date"),
    ),
    "payments": SourceKind(
        "payments",
        {
            "payment_id": "id",
            "family_ref": "ref",
            "payment_date": "date",
            "scheme": "category",
            "type": "category",
            "amount_gbp": "money",
        },
        ("payment_id", "family_ref", "payment_date", "scheme", "amount_gbp"),
    ),
    "domain_assessments": SourceKind(
        "domain_scores",
        {"family_ref": "ref", "assessment_date": "date", "timepoint": "category"},
        ("family_ref", "assessment_date", "timepoint"),
        wide="domains",
    ),
    "wellbeing_survey": SourceKind(
        "wellbeing_items",
        {
            "response_id": "id",
            "family_ref": "ref",
            "respondent": "category",
            "timepoint": "category",
            "response_date": "date",
        },
        ("response_id", "family_ref", "timepoint", "response_date"),
        wide="items",
    ),
    "staff_survey": SourceKind(
        "staff_responses",
        {
            "respondent_ref": "person",
            "role": "category",
            "directorate": "category",
            "timepoint": "category",
        },
        ("respondent_ref", "timepoint"),
        wide="items",
    ),
    "meetings": SourceKind(
        "meetings",
        {
            "meeting_id": "id",
            "meeting_date": "date",
            "kind": "category",
            "agencies": "list",
            "directorates": "list",
            "family_refs": "reflist",
        },
        ("meeting_id", "meeting_date", "kind"),
    ),
    "deliverables": SourceKind(
        "deliverables",
        {
            "deliverable_id": "id",
            "kind": "category",
            "title": "str",
            "date": "date",
            "site": "str",
            "attendees": "int",
            "las_reached": "int",
            "status": "category",
        },
        ("deliverable_id", "kind"),
    ),
}

#: Canonical category levels of each categorical raw field, by source.
FIELD_LEVELS: dict[tuple[str, str], str] = {
    ("families", "cohort"): "cohort",
    ("families", "exit_reason"): "exit_reason",
    ("families", "youngest_child_age_band"): "age_band",
    ("families", "immigration_status"): "immigration_status",
    ("referrals", "source"): "referral_source",
    ("referrals", "outcome"): "referral_outcome",
    ("payments", "scheme"): "scheme",
    ("payments", "type"): "payment_type",
    ("domain_assessments", "timepoint"): "timepoint",
    ("wellbeing_survey", "respondent"): "respondent",
    ("wellbeing_survey", "timepoint"): "timepoint",
    ("staff_survey", "role"): "staff_role",
    ("staff_survey", "directorate"): "directorate",
    ("staff_survey", "timepoint"): "timepoint",
    ("meetings", "kind"): "meeting_kind",
    ("meetings", "agencies"): "agency",
    ("meetings", "directorates"): "directorate",
    ("deliverables", "kind"): "deliverable_kind",
    ("deliverables", "status"): "deliverable_status",
}

_PROFILE_KEYS = {
    "path",
    "format",
    "sheet",
    "header_row",
    "encoding",
    "identifiers",
    "columns",
    "values",
    "domains",
    "items",
    "instrument",
    "list_separator",
    "dayfirst",
}
_EVALUATION_KEYS = {
    "name",
    "data_cut",
    "data_start",
    "programme_start",
    "dayfirst",
    "key_file",
    "cohorts",
}
_DEFAULT_PARAMETERS: dict[str, Any] = {
    "window_days": 365,
    "episode_gap_days": 35,
    "min_cell": 6,
    "score_min": 1,
    "score_max": 5,
}


@dataclass(frozen=True)
class Instrument:
    """A questionnaire instrument from the registry (``instruments.toml``).

    Attributes
    ----------
    name, title, reference
        Registry key, full title and citation.
    n_items, item_min, item_max
        Number of items and the item score range.
    anchors
        Answer label -> score.
    higher_is_better
        Direction of the scale.
    metric
        Optional conversion table from raw sum to a metric score.
    """

    name: str
    title: str
    n_items: int
    item_min: int
    item_max: int
    anchors: Mapping[str, int]
    higher_is_better: bool = True
    reference: str = ""
    metric: tuple[float, ...] = ()


def _instrument(name: str, entry: Mapping[str, Any], where: str) -> Instrument:
    try:
        return Instrument(
            name=name,
            title=str(entry.get("title", name)),
            n_items=int(entry["n_items"]),
            item_min=int(entry["item_min"]),
            item_max=int(entry["item_max"]),
            anchors={str(k): int(v) for k, v in entry.get("anchors", {}).items()},
            higher_is_better=bool(entry.get("higher_is_better", True)),
            reference=str(entry.get("reference", "")),
            metric=tuple(float(x) for x in entry.get("metric", ())),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(
            f"{where}: instrument {name!r} needs n_items, item_min and item_max "
            f"(integers) and anchors (label = score); problem: {exc}"
        ) from None


def load_instruments(extra: Mapping[str, Any] | None = None) -> dict[str, Instrument]:
    """Return the instrument registry, with entries from a config added or replaced.

    Parameters
    ----------
    extra
        ``[instruments]`` table of an evaluation config (name -> entry).

    Returns
    -------
    dict
        Instrument name -> :class:`Instrument`.

    Examples
    --------
    >>> load_instruments()["swemwbs"].n_items
    7
    """
    text = resources.files("noream_eval").joinpath("instruments.toml").read_text("utf-8")
    raw = tomllib.loads(text)
    out = {k: _instrument(k, v, "instruments.toml") for k, v in raw.items()}
    for k, v in (extra or {}).items():
        out[k] = _instrument(k, v, "[instruments] of the config")
    return out


@dataclass(frozen=True)
class SourceProfile:
    """How to read one raw export and map it onto the canonical schema.

    Attributes
    ----------
    name
        Source name (``referrals``, ``families``, ...; see :data:`SOURCES`).
    path
        File name or glob pattern, relative to ``base_dir``.
    format
        ``csv`` or ``xlsx``.
    sheet
        Worksheet name (xlsx only; first sheet when None).
    header_row
        1-based row of the header, as a person sees it in the spreadsheet.
    encoding
        CSV encoding or ``auto``.
    columns
        Raw header -> canonical field.
    values
        Canonical field -> (raw code -> canonical category).
    identifiers
        Raw columns holding direct identifiers: used only for linkage or age
        bands, never output.
    domains, items
        Raw header -> domain (domain assessments) or item number (surveys).
    instrument
        Instrument registry name (surveys).
    list_separator
        Separator of list cells (meetings).
    dayfirst
        Date convention of this export.
    """

    name: str
    base_dir: Path
    path: str
    format: Literal["csv", "xlsx"]
    sheet: str | None
    header_row: int
    encoding: str
    columns: Mapping[str, str]
    values: Mapping[str, Mapping[str, str]]
    identifiers: tuple[str, ...]
    domains: Mapping[str, str] = field(default_factory=dict)
    items: Mapping[str, int] = field(default_factory=dict)
    instrument: str | None = None
    list_separator: str = ";"
    dayfirst: bool = True

    @property
    def kind(self) -> SourceKind:
        """The :class:`SourceKind` of this source."""
        return SOURCES[self.name]

    @property
    def raw_for(self) -> dict[str, str]:
        """Canonical field -> raw header."""
        return {v: k for k, v in self.columns.items()}

    def files(self) -> list[Path]:
        """Return the files this profile reads, sorted by name.

        Raises
        ------
        ConfigError
            If the path or glob matches no file.
        """
        pattern = self.path
        if any(ch in pattern for ch in "*?["):
            found = sorted(p for p in self.base_dir.glob(pattern) if p.is_file())
        else:
            p = self.base_dir / pattern
            found = [p] if p.is_file() else []
        if not found:
            raise ConfigError(
                f"[sources.{self.name}] path = {pattern!r} matches no file in "
                f"{self.base_dir}. Check the file name (paths are relative to the config file)."
            )
        return found


@dataclass(frozen=True)
class EvaluationConfig:
    """A parsed evaluation configuration.

    Attributes
    ----------
    path
        The TOML file (None when built from a dict).
    base_dir
        Directory that relative paths are resolved against.
    name
        Evaluation title.
    data_cut, data_start, programme_start
        The date the exports were taken, the date before which referral
        history is unknown for everyone, and the programme start.
    dayfirst
        Default date convention.
    key_file
        Path of the pseudonymisation key file, or None.
    cohorts
        Cohort names (category levels of ``families.cohort``).
    parameters
        Pre-specified analysis parameters (defaults filled in).
    sources
        Source name -> :class:`SourceProfile`.
    instruments
        Instrument registry including entries from the config.
    sha256
        Hash of the config file's bytes (provenance).
    """

    path: Path | None
    base_dir: Path
    name: str
    data_cut: dt.date
    data_start: dt.date
    programme_start: dt.date | None
    dayfirst: bool
    key_file: Path | None
    cohorts: tuple[str, ...]
    parameters: Mapping[str, Any]
    sources: Mapping[str, SourceProfile]
    instruments: Mapping[str, Instrument]
    sha256: str


def _date(value: Any, where: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ConfigError(f"{where} = {value!r} is not a date; write it as YYYY-MM-DD.") from None


def _unknown_keys(table: Mapping[str, Any], allowed: set[str], where: str) -> None:
    extra = sorted(set(table) - allowed)
    if extra:
        raise ConfigError(
            f"{where} has unknown setting(s) {extra}; allowed settings: {sorted(allowed)}."
        )


def _profile(name: str, raw: Mapping[str, Any], base_dir: Path, dayfirst: bool) -> SourceProfile:
    where = f"[sources.{name}]"
    if name not in SOURCES:
        raise ConfigError(f"{where}: unknown source {name!r}; known sources: {sorted(SOURCES)}.")
    _unknown_keys(raw, _PROFILE_KEYS, where)
    kind = SOURCES[name]
    if "path" not in raw:
        raise ConfigError(
            f"{where} needs `path` (the file name or a glob such as 'payments*.csv')."
        )
    fmt = raw.get("format") or ("xlsx" if str(raw["path"]).lower().endswith(".xlsx") else "csv")
    if fmt not in ("csv", "xlsx"):
        raise ConfigError(f"{where} format = {fmt!r}; use 'csv' or 'xlsx'.")
    header_row = raw.get("header_row", 1)
    if not isinstance(header_row, int) or header_row < 1:
        raise ConfigError(
            f"{where} header_row = {header_row!r}; give the 1-based row number of the header."
        )
    columns = dict(raw.get("columns", {}))
    for raw_col, canon in columns.items():
        if canon not in kind.fields:
            raise ConfigError(
                f"{where}.columns maps {raw_col!r} to {canon!r}, which is not a field of this "
                f"source; fields: {sorted(kind.fields)}."
            )
    targets = list(columns.values())
    dupes = sorted({t for t in targets if targets.count(t) > 1})
    if dupes:
        raise ConfigError(f"{where}.columns maps several raw columns to {dupes}; map one each.")
    missing = [f for f in kind.required if f not in targets]
    if missing:
        raise ConfigError(
            f"{where}.columns does not map the required field(s) {missing}; add lines like "
            f'"Raw header" = "{missing[0]}".'
        )
    values = {k: dict(v) for k, v in raw.get("values", {}).items()}
    for fld, mapping in values.items():
        level_name = FIELD_LEVELS.get((name, fld))
        if level_name is None:
            raise ConfigError(
                f"{where}.values.{fld}: {fld!r} is not a categorical field of this source."
            )
        allowed = set(LEVELS[level_name]) | {"unknown"}
        bad = {k: v for k, v in mapping.items() if v not in allowed}
        if bad and fld != "cohort":
            raw_code, target = next(iter(bad.items()))
            raise ConfigError(
                f"{where}.values.{fld} maps {raw_code!r} to {target!r}, which is not a "
                f"category; categories: {sorted(allowed)}."
            )
    domains = dict(raw.get("domains", {}))
    items = dict(raw.get("items", {}))
    if kind.wide == "domains":
        if not domains:
            raise ConfigError(
                f"{where} needs a [{where[1:-1]}.domains] table (raw column = domain)."
            )
        bad_d = sorted(set(domains.values()) - set(LEVELS["domain"]))
        if bad_d:
            raise ConfigError(
                f"{where}.domains names unknown domain(s) {bad_d}; "
                f"domains: {list(LEVELS['domain'])}."
            )
    if kind.wide == "items":
        if not items or "instrument" not in raw:
            raise ConfigError(
                f"{where} needs `instrument` and an [{where[1:-1]}.items] table "
                "(raw column = item number)."
            )
        if not all(isinstance(i, int) and i >= 1 for i in items.values()):
            raise ConfigError(f"{where}.items: item numbers must be whole numbers from 1.")
    idents = raw.get("identifiers", [])
    if not isinstance(idents, list) or not all(isinstance(x, str) for x in idents):
        raise ConfigError(f"{where} identifiers must be a list of raw column names.")
    return SourceProfile(
        name=name,
        base_dir=base_dir,
        path=str(raw["path"]),
        format=fmt,
        sheet=raw.get("sheet"),
        header_row=header_row,
        encoding=str(raw.get("encoding", "auto")),
        columns=columns,
        values=values,
        identifiers=tuple(idents),
        domains=domains,
        items=items,
        instrument=raw.get("instrument"),
        list_separator=str(raw.get("list_separator", ";")),
        dayfirst=bool(raw.get("dayfirst", dayfirst)),
    )


def parse_config(
    raw: Mapping[str, Any], *, base_dir: Path, path: Path | None = None, sha256: str = ""
) -> EvaluationConfig:
    """Build an :class:`EvaluationConfig` from a parsed TOML mapping.

    Raises
    ------
    ConfigError
        If a setting is missing, unknown or inconsistent; the message names it.
    """
    _unknown_keys(raw, {"evaluation", "parameters", "sources", "instruments"}, "The config")
    ev = raw.get("evaluation")
    if not isinstance(ev, Mapping):
        raise ConfigError("The config needs an [evaluation] table with at least data_cut.")
    _unknown_keys(ev, _EVALUATION_KEYS, "[evaluation]")
    if "data_cut" not in ev:
        raise ConfigError("[evaluation] needs data_cut (the date the exports were taken).")
    data_cut = _date(ev["data_cut"], "[evaluation] data_cut")
    data_start = _date(ev.get("data_start", "1900-01-01"), "[evaluation] data_start")
    if data_start > data_cut:
        raise ConfigError("[evaluation] data_start is after data_cut.")
    prog = ev.get("programme_start")
    programme_start = _date(prog, "[evaluation] programme_start") if prog is not None else None
    dayfirst = bool(ev.get("dayfirst", True))
    key_file = base_dir / ev["key_file"] if ev.get("key_file") else None
    cohorts = tuple(ev.get("cohorts", ("noream", "comparison")))
    params = dict(_DEFAULT_PARAMETERS)
    params.update(raw.get("parameters", {}))
    srcs = raw.get("sources", {})
    if "families" not in srcs:
        raise ConfigError(
            "The config has no [sources.families] profile; every other source links to families."
        )
    sources = {n: _profile(n, p, base_dir, dayfirst) for n, p in srcs.items()}
    for n, prof in sources.items():
        if "cohort" in prof.values:
            bad = sorted(set(prof.values["cohort"].values()) - set(cohorts) - {"unknown"})
            if bad:
                raise ConfigError(
                    f"[sources.{n}].values.cohort maps to {bad}, which are not in "
                    f"[evaluation] cohorts = {list(cohorts)}."
                )
    instruments = load_instruments(raw.get("instruments"))
    for n, prof in sources.items():
        if prof.instrument is not None and prof.instrument not in instruments:
            raise ConfigError(
                f"[sources.{n}] instrument = {prof.instrument!r} is not in the registry; "
                f"known: {sorted(instruments)}. Add it under [instruments.{prof.instrument}]."
            )
    return EvaluationConfig(
        path=path,
        base_dir=base_dir,
        name=str(ev.get("name", "NOREAM evaluation")),
        data_cut=data_cut,
        data_start=data_start,
        programme_start=programme_start,
        dayfirst=dayfirst,
        key_file=key_file,
        cohorts=cohorts,
        parameters=params,
        sources=sources,
        instruments=instruments,
        sha256=sha256,
    )


def load_config(path: str | Path) -> EvaluationConfig:
    """Read and check an evaluation configuration file.

    Parameters
    ----------
    path
        The TOML file. Relative paths inside it are resolved against its folder.

    Returns
    -------
    EvaluationConfig

    Raises
    ------
    ConfigError
        If the file is missing, is not valid TOML, or a setting is wrong.

    Examples
    --------
    >>> from importlib import resources
    >>> cfg = load_config(resources.files("noream_eval.sample") / "evaluation.toml")
    >>> cfg.parameters["window_days"], sorted(cfg.sources)[:2]
    (365, ['deliverables', 'domain_assessments'])
    """
    p = Path(str(path))
    if not p.is_file():
        raise ConfigError(f"Config file {p} not found.")
    data = p.read_bytes()
    try:
        raw = tomllib.loads(data.decode("utf-8-sig"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{p.name} is not valid TOML: {exc}") from None
    return parse_config(
        raw, base_dir=p.parent.resolve(), path=p, sha256=hashlib.sha256(data).hexdigest()
    )
