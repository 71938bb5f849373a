"""The evaluation configuration: source profiles and pre-specified parameters.

An evaluation is described by one TOML file. ``[evaluation]`` holds the dates
of the evaluation, ``[parameters]`` the pre-specified analysis parameters,
``[instruments.NAME]`` optional questionnaire instruments added to the registry,
and each ``[sources.NAME]`` table a *source profile*: where a raw export is, how
to read it and how its columns and codes map onto the canonical schema. Every
table rejects keys it does not know, listing the allowed ones, so a typo is
never silently ignored. ``docs/config.md`` documents every key, and
``noream_eval/sample/evaluation.toml`` is a complete, commented example.
"""

from __future__ import annotations

import codecs
import datetime as dt
import difflib
import hashlib
import itertools
import math
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from noream_eval.errors import ConfigError
from noream_eval.ingest.normalise import key_one
from noream_eval.ingest.readers import DELIMITERS, header_key
from noream_eval.plan import PLAN_TABLES, AnalysisPlan, parse_plan
from noream_eval.schema import LEVELS, UNKNOWN
from noream_eval.sources import SOURCES, SourceSpec

__all__ = [
    "DEFAULT_PARAMETERS",
    "EvaluationConfig",
    "Instrument",
    "SourceProfile",
    "load_config",
    "load_instruments",
    "parse_config",
]

_DELIMITER_WORDS = {"comma": ",", "semicolon": ";", "tab": "\t", "pipe": "|"}

_PROFILE_KEYS = frozenset(
    {
        "path",
        "format",
        "sheet",
        "header_row",
        "encoding",
        "delimiter",
        "dayfirst",
        "identifiers",
        "free_text",
        "columns",
        "values",
        "domains",
        "items",
        "instrument",
        "list_separator",
    }
)
#: File endings read as workbooks when a profile gives no ``format``.
_WORKBOOKS = (".xlsx", ".xlsm", ".xlsb", ".xls", ".ods")
_EVALUATION_KEYS = frozenset(
    {"name", "data_cut", "data_start", "programme_start", "dayfirst", "key_file", "cohorts"}
)
_INSTRUMENT_KEYS = frozenset(
    {
        "title",
        "n_items",
        "item_min",
        "item_max",
        "anchors",
        "higher_is_better",
        "reference",
        "metric",
        "scoring",
        "item_names",
        "lower_is_better_items",
        "reliability",
        "sem",
        "meaningful_change",
        "population_mean",
    }
)
#: How an instrument is scored (``scoring``): the raw sum, the ``metric`` conversion of the
#: raw sum, or each item on its own.
_SCORINGS: tuple[str, ...] = ("sum", "metric", "per_item")

#: Pre-specified parameters and their defaults: (default, minimum, maximum).
DEFAULT_PARAMETERS: dict[str, tuple[int, int, int]] = {
    "window_days": (365, 1, 3660),
    "episode_gap_days": (35, 1, 3660),
    "min_cell": (6, 1, 1000),
    "round_counts_to": (0, 0, 10),
    "score_min": (1, 0, 100),
    "score_max": (5, 1, 100),
}
#: Parameters allowed only some values within their range.
_PARAMETER_CHOICES: dict[str, tuple[int, ...]] = {"round_counts_to": (0, 5, 10)}


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
    scoring
        ``"sum"`` (raw sum), ``"metric"`` (the raw sum converted with
        ``metric``) or ``"per_item"`` (each item is its own score); default
        ``"metric"`` when there is a conversion table, else ``"sum"``.
    item_names
        Names of the items (per-item scoring), in item order.
    lower_is_better_items
        Item numbers on which a lower score is better (per-item scoring).
    reliability
        Published reliability (Cronbach's alpha) used by the reliable change index.
    sem
        Published standard error of measurement, in score points.
    meaningful_change
        Change (in score points) meaningful for an individual.
    population_mean
        Published population mean of the score, for context.
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
    scoring: Literal["sum", "metric", "per_item"] = "sum"
    item_names: tuple[str, ...] = ()
    lower_is_better_items: tuple[int, ...] = ()
    reliability: float | None = None
    sem: float | None = None
    meaningful_change: float | None = None
    population_mean: float | None = None

    def measures(self) -> tuple[str, ...]:
        """Names of the scores the instrument gives: itself, or ``NAME_ITEM`` per item."""
        if self.scoring != "per_item":
            return (self.name,)
        names = self.item_names or tuple(f"item{i}" for i in range(1, self.n_items + 1))
        return tuple(f"{self.name}_{n}" for n in names)


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _instrument(name: str, entry: Any, where: str) -> Instrument:
    here = f"{where} [instruments.{name}]"
    if not isinstance(entry, Mapping):
        raise ConfigError(f"{here} must be a table of settings (n_items, item_min, ...).")
    _unknown_keys(entry, _INSTRUMENT_KEYS, here)
    for key in ("n_items", "item_min", "item_max"):
        if not _whole(entry.get(key)):
            raise ConfigError(f"{here} needs {key} as a whole number.")
    n_items, lo, hi = int(entry["n_items"]), int(entry["item_min"]), int(entry["item_max"])
    if n_items < 1 or lo >= hi:
        raise ConfigError(f"{here}: n_items must be at least 1 and item_min below item_max.")
    anchors = entry.get("anchors", {})
    if not isinstance(anchors, Mapping) or not all(_whole(v) for v in anchors.values()):
        raise ConfigError(f'{here} anchors must be a table of label = score, e.g. "Often" = 4.')
    seen: dict[str, tuple[str, int]] = {}
    for label, score in anchors.items():
        if not lo <= score <= hi:
            raise ConfigError(
                f"{here} anchors: {label!r} = {score} is outside the scale {lo} to {hi}."
            )
        k = key_one(str(label))
        if k in seen and seen[k][1] != score:
            raise ConfigError(
                f"{here} anchors: {seen[k][0]!r} and {label!r} are the same label once case, "
                f"spaces and punctuation are ignored, but score {seen[k][1]} and {score}. "
                "Keep one of them."
            )
        seen[k] = (str(label), int(score))
    metric = entry.get("metric", ())
    try:
        metric_t = tuple(float(x) for x in metric)
    except (TypeError, ValueError):
        raise ConfigError(f"{here} metric must be a list of numbers.") from None
    if metric_t and len(metric_t) != n_items * (hi - lo) + 1:
        raise ConfigError(
            f"{here} metric has {len(metric_t)} entries; a conversion table from raw sum "
            f"{n_items * lo} to {n_items * hi} needs {n_items * (hi - lo) + 1}."
        )
    extra = _instrument_scoring(entry, here, n_items, lo, hi, metric_t)
    return Instrument(
        name=name,
        title=str(entry.get("title", name)),
        n_items=n_items,
        item_min=lo,
        item_max=hi,
        anchors={str(k): int(v) for k, v in anchors.items()},
        higher_is_better=bool(entry.get("higher_is_better", True)),
        reference=str(entry.get("reference", "")),
        metric=metric_t,
        **extra,
    )


def _instrument_scoring(
    entry: Mapping[str, Any],
    here: str,
    n_items: int,
    lo: int,
    hi: int,
    metric: tuple[float, ...],
) -> dict[str, Any]:
    """The scoring keys of an instrument entry, checked."""
    scoring = entry.get("scoring", "metric" if metric else "sum")
    if scoring not in _SCORINGS:
        raise ConfigError(f"{here} scoring = {scoring!r}; choose one of {list(_SCORINGS)}.")
    if scoring == "metric" and not metric:
        raise ConfigError(f'{here} scoring = "metric" needs a metric conversion table.')
    names = entry.get("item_names", [])
    if not isinstance(names, list) or not all(
        isinstance(n, str) and n.isidentifier() and n == n.lower() for n in names
    ):
        raise ConfigError(
            f'{here} item_names must be a list of snake_case names, e.g. ["anxiety"].'
        )
    if names and (len(names) != n_items or len(set(names)) != n_items):
        raise ConfigError(f"{here} item_names needs {n_items} different names, one per item.")
    lower = entry.get("lower_is_better_items", [])
    if not isinstance(lower, list) or not all(_whole(i) and 1 <= i <= n_items for i in lower):
        raise ConfigError(
            f"{here} lower_is_better_items must be a list of item numbers from 1 to {n_items}."
        )
    out: dict[str, Any] = {
        "scoring": scoring,
        "item_names": tuple(names),
        "lower_is_better_items": tuple(sorted(set(lower))),
    }
    top = metric[-1] if scoring == "metric" else (hi if scoring == "per_item" else n_items * hi)
    bottom = metric[0] if scoring == "metric" else (lo if scoring == "per_item" else n_items * lo)
    checks = {
        "reliability": (0.0, 1.0, "a number strictly between 0 and 1 (Cronbach's alpha)"),
        "sem": (0.0, math.inf, "a positive number of score points"),
        "meaningful_change": (0.0, math.inf, "a positive number of score points"),
        "population_mean": (None, None, f"a number from {bottom:g} to {top:g}"),
    }
    for key, (low, high, what) in checks.items():
        value = entry.get(key)
        if value is None:
            out[key] = None
            continue
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        if ok and key == "population_mean":
            ok = bottom <= value <= top
        elif ok:
            ok = low < value < high
        if not ok:
            raise ConfigError(f"{here} {key} = {value!r}; give {what}.")
        out[key] = float(value)
    return out


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

    Raises
    ------
    ConfigError
        If an entry has an unknown key, a missing or malformed setting, an
        anchor outside the scale or two anchors that differ only in case or
        punctuation but score differently.

    Examples
    --------
    >>> load_instruments()["swemwbs"].n_items
    7
    """
    text = resources.files("noream_eval").joinpath("instruments.toml").read_text("utf-8")
    raw = tomllib.loads(text)
    out = {k: _instrument(k, v, "instruments.toml") for k, v in raw.items()}
    if extra is not None and not isinstance(extra, Mapping):
        raise ConfigError("[instruments] must hold tables such as [instruments.my_scale].")
    for k, v in (extra or {}).items():
        out[k] = _instrument(k, v, "The config's")
    return out


@dataclass(frozen=True)
class SourceProfile:
    """How to read one raw export and map it onto the canonical schema.

    Attributes
    ----------
    name
        Source name (``referrals``, ``families``, ...; see
        :data:`noream_eval.sources.SOURCES`).
    base_dir
        Folder that ``path`` is relative to (the config file's folder).
    path
        File name or glob pattern, relative to ``base_dir``.
    format
        ``csv`` or ``xlsx``.
    sheet
        Worksheet name (xlsx only; may be omitted for a single-sheet workbook).
    header_row
        1-based row of the header as a person sees it in the spreadsheet, or
        a tuple of consecutive rows for a header spanning several rows (their
        cells are joined with a space).
    encoding
        CSV encoding or ``auto``.
    delimiter
        CSV delimiter (``,``, ``;``, tab or ``|``) or ``auto``.
    columns
        Raw header -> canonical field. Headers match ignoring case and spacing.
    values
        Field -> (raw code -> canonical category).
    identifiers
        Raw columns holding direct identifiers: used only for linkage or age
        bands, never output; their values are also redacted wherever they
        appear in another column.
    free_text
        Raw columns holding free text (mapped to ``notes`` or ``title``); their
        text is kept only after identifier scrubbing.
    domains, items
        Raw header -> domain (domain assessments) or item number (surveys).
    instrument
        Instrument registry name (surveys).
    list_separator
        Separator of cells holding several codes or references (meetings).
    dayfirst
        Date convention of this export.
    """

    name: str
    base_dir: Path
    path: str
    format: Literal["csv", "xlsx"]
    sheet: str | None
    header_row: int | tuple[int, ...]
    encoding: str
    columns: Mapping[str, str]
    values: Mapping[str, Mapping[str, str]]
    identifiers: tuple[str, ...]
    delimiter: str = "auto"
    free_text: tuple[str, ...] = ()
    domains: Mapping[str, str] = field(default_factory=dict)
    items: Mapping[str, int] = field(default_factory=dict)
    instrument: str | None = None
    list_separator: str = ";"
    dayfirst: bool = True

    @property
    def spec(self) -> SourceSpec:
        """The :class:`~noream_eval.sources.SourceSpec` of this source."""
        return SOURCES[self.name]

    @property
    def raw_for(self) -> dict[str, str]:
        """Field -> raw header (the first, where several map to one ``text`` field)."""
        out: dict[str, str] = {}
        for raw, fld in self.columns.items():
            out.setdefault(fld, raw)
        return out

    @property
    def mapped_columns(self) -> list[str]:
        """Every raw column the profile reads: column map, domains, items, identifiers."""
        cols = [*self.columns, *self.domains, *self.items, *self.identifiers]
        return list(dict.fromkeys(cols))

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
    parameters_given
        The parameter names the config set explicitly (the rest are defaults).
    sources
        Source name -> :class:`SourceProfile`.
    instruments
        Instrument registry including entries from the config.
    sha256
        Hash of the config file's bytes (provenance).
    plan
        The pre-specified analysis plan (:class:`noream_eval.plan.AnalysisPlan`).
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
    parameters_given: tuple[str, ...] = ()
    plan: AnalysisPlan = field(default_factory=AnalysisPlan)


def _date(value: Any, where: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ConfigError(f"{where} = {value!r} is not a date; write it as YYYY-MM-DD.") from None


def _unknown_keys(table: Mapping[str, Any], allowed: frozenset[str] | set[str], where: str) -> None:
    extra = sorted(set(table) - set(allowed))
    if extra:
        raise ConfigError(
            f"{where} has unknown setting(s) {extra}; allowed settings: {sorted(allowed)}."
            + _nearest(extra[0], allowed)
        )


def _nearest(name: str, choices: Iterable[str]) -> str:
    """ " Did you mean 'x'?" for the closest of ``choices``, or ``""``."""
    guess = difflib.get_close_matches(name, sorted(choices), n=1)
    return f" Did you mean {guess[0]!r}?" if guess else ""


def _table(raw: Mapping[str, Any], key: str, where: str) -> dict[str, Any]:
    value = raw.get(key, {})
    if not isinstance(value, Mapping):
        raise ConfigError(f"{where}.{key} must be a table ([{where[1:-1]}.{key}]).")
    return dict(value)


def _str_list(raw: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = raw.get(key, [])
    if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
        raise ConfigError(f'{where} {key} must be a list of raw column names, e.g. ["Notes"].')
    return tuple(value)


def _header_row(value: Any, where: str) -> int | tuple[int, ...]:
    if _whole(value) and value >= 1:
        return int(value)
    if (
        isinstance(value, list)
        and value
        and all(_whole(v) and v >= 1 for v in value)
        and all(b == a + 1 for a, b in itertools.pairwise(value))
    ):
        return int(value[0]) if len(value) == 1 else tuple(int(v) for v in value)
    raise ConfigError(
        f"{where} header_row = {value!r}; give the 1-based row number of the header (e.g. 3), "
        "or consecutive rows for a header spanning two rows (e.g. [3, 4])."
    )


def _delimiter(value: Any, where: str) -> str:
    if isinstance(value, str):
        if value == "auto" or value in DELIMITERS:
            return value
        if value.strip().lower() in _DELIMITER_WORDS:
            return _DELIMITER_WORDS[value.strip().lower()]
    raise ConfigError(
        f'{where} delimiter = {value!r}; use "auto" (the default), ",", ";", "\\t" (tab) or "|".'
    )


def _key_collisions(mapping: Mapping[str, Any], where: str, what: str) -> None:
    """Two entries that match the same cells must agree."""
    seen: dict[str, tuple[str, Any]] = {}
    for raw, target in mapping.items():
        k = key_one(str(raw))
        if k in seen and seen[k][1] != target:
            first, other = seen[k]
            raise ConfigError(
                f"{where}: {first!r} and {raw!r} are the same {what} once case, spaces and "
                f"punctuation are ignored, but map to {other!r} and {target!r}. Keep one entry, "
                "or make them map to the same value."
            )
        seen.setdefault(k, (str(raw), target))


def _profile(
    name: str, raw: Any, base_dir: Path, dayfirst: bool, cohorts: tuple[str, ...]
) -> SourceProfile:
    where = f"[sources.{name}]"
    if name not in SOURCES:
        raise ConfigError(
            f"{where}: unknown source {name!r}; known sources: {sorted(SOURCES)}."
            + _nearest(name, SOURCES)
        )
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{where} must be a table of settings (path, columns, ...).")
    _unknown_keys(raw, _PROFILE_KEYS, where)
    spec = SOURCES[name]
    if "path" not in raw or not isinstance(raw["path"], str):
        raise ConfigError(
            f"{where} needs `path` (the file name or a glob such as 'payments*.csv')."
        )
    fmt = raw.get("format") or ("xlsx" if raw["path"].lower().endswith(_WORKBOOKS) else "csv")
    if fmt not in ("csv", "xlsx"):
        raise ConfigError(f"{where} format = {fmt!r}; use 'csv' or 'xlsx'.")
    if fmt == "csv" and raw.get("sheet") is not None:
        raise ConfigError(f"{where} sets `sheet` but format is csv; remove `sheet` or set format.")
    if fmt == "xlsx":
        for key in ("encoding", "delimiter"):
            if key in raw:
                raise ConfigError(f"{where} sets `{key}`, which applies to CSV files only.")
    sheet = raw.get("sheet")
    if sheet is not None and not isinstance(sheet, str):
        raise ConfigError(f"{where} sheet must be the worksheet's name in quotes.")
    header_row = _header_row(raw.get("header_row", 1), where)
    encoding = raw.get("encoding", "auto")
    if not isinstance(encoding, str):
        raise ConfigError(f"{where} encoding must be text such as 'auto', 'utf-8' or 'cp1252'.")
    if encoding != "auto":
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise ConfigError(
                f"{where} encoding = {encoding!r} is not an encoding Python knows; use 'auto', "
                "'utf-8', 'utf-16' or 'cp1252'."
            ) from None
    delimiter = _delimiter(raw.get("delimiter", "auto"), where)
    day = raw.get("dayfirst", dayfirst)
    if not isinstance(day, bool):
        raise ConfigError(f"{where} dayfirst must be true or false.")
    sep = raw.get("list_separator", ";")
    if not isinstance(sep, str) or not sep:
        raise ConfigError(f"{where} list_separator must be a non-empty string such as ';'.")

    columns = _table(raw, "columns", where)
    for raw_col, canon in columns.items():
        if canon not in spec.field_names:
            raise ConfigError(
                f"{where}.columns maps {raw_col!r} to {canon!r}, which is not a field of this "
                f"source; fields: {spec.field_names}." + _nearest(str(canon), spec.field_names)
            )
    keys: dict[str, str] = {}
    for raw_col in [*columns, *_table(raw, "domains", where), *_table(raw, "items", where)]:
        k = header_key(raw_col)
        if k in keys and keys[k] != raw_col:
            raise ConfigError(
                f"{where} names the columns {keys[k]!r} and {raw_col!r}, which are the same "
                "header once case and spacing are ignored."
            )
        keys[k] = raw_col
    targets = list(columns.values())
    if "youngest_child_dob" in targets and "youngest_child_age_band" in targets:
        raise ConfigError(
            f"{where}.columns maps both youngest_child_dob and youngest_child_age_band; map "
            "one: the age band is worked out from the date of birth when that is given."
        )
    dupes = sorted({t for t in targets if targets.count(t) > 1 and spec.kind(t) != "text"})
    if dupes:
        raise ConfigError(f"{where}.columns maps several raw columns to {dupes}; map one each.")
    missing = [f for f in spec.required if f not in targets]
    if missing:
        raise ConfigError(
            f"{where}.columns does not map the required field(s) {missing}; add lines like "
            f'"Raw header" = "{missing[0]}".'
        )

    identifiers = _str_list(raw, "identifiers", where)
    for col in identifiers:
        fld = columns.get(col)
        if fld is not None and not spec.field(fld).identifier:
            raise ConfigError(
                f"{where}: {col!r} is declared an identifier column but is mapped to {fld!r}, "
                "whose values would be kept. Remove it from one of the two."
            )
    free_text = _str_list(raw, "free_text", where)
    for col in free_text:
        fld = columns.get(col)
        if fld is None or spec.kind(fld) != "text":
            text_fields = [f for f in spec.field_names if spec.kind(f) == "text"]
            raise ConfigError(
                f"{where} free_text names {col!r}, which is not mapped to a free-text field; "
                f'map it in [{where[1:-1]}.columns] (e.g. "{col}" = "{text_fields[0]}").'
                if text_fields
                else f"{where} free_text names {col!r}, but this source keeps no free text."
            )
        if col in identifiers:
            raise ConfigError(f"{where}: {col!r} cannot be both an identifier and free text.")
    for raw_col, fld in columns.items():
        if spec.kind(fld) == "text" and raw_col not in free_text:
            raise ConfigError(
                f"{where}.columns maps {raw_col!r} to the free-text field {fld!r}: add it to "
                f'free_text (free_text = ["{raw_col}"]) to confirm that its text may be kept '
                "after identifier scrubbing."
            )

    values = _table(raw, "values", where)
    for fld, mapping in values.items():
        if fld not in spec.categorical:
            raise ConfigError(
                f"{where}.values.{fld}: {fld!r} is not a categorical field of this source; "
                f"categorical fields: {spec.categorical}." + _nearest(fld, spec.categorical)
            )
        if not isinstance(mapping, Mapping) or not all(
            isinstance(v, str) for v in mapping.values()
        ):
            raise ConfigError(
                f'{where}.values.{fld} must be a table of "raw code" = "category" lines.'
            )
        levels = cohorts if fld == "cohort" else spec.levels(fld)
        allowed = [*levels, UNKNOWN]
        for raw_code, target in mapping.items():
            if target not in allowed:
                what = (
                    f"which is not in [evaluation] cohorts = {list(cohorts)} (or 'unknown')"
                    if fld == "cohort"
                    else f"which is not a category; categories: {allowed}"
                )
                raise ConfigError(f"{where}.values.{fld} maps {raw_code!r} to {target!r}, {what}.")
        _key_collisions(mapping, f"{where}.values.{fld}", "code")
        values[fld] = dict(mapping)

    domains = _table(raw, "domains", where)
    items = _table(raw, "items", where)
    instrument = raw.get("instrument")
    if spec.wide == "domains":
        if not domains:
            raise ConfigError(
                f"{where} needs a [{where[1:-1]}.domains] table (raw column = domain)."
            )
        bad_d = sorted({d for d in domains.values() if d not in LEVELS["domain"]}, key=str)
        if bad_d:
            raise ConfigError(
                f"{where}.domains names unknown domain(s) {bad_d}; "
                f"domains: {list(LEVELS['domain'])}."
            )
        twice = sorted({d for d in domains.values() if list(domains.values()).count(d) > 1})
        if twice:
            raise ConfigError(f"{where}.domains maps several columns to {twice}; map one each.")
    elif domains:
        raise ConfigError(f"{where} has a domains table, which only domain_assessments uses.")
    if spec.wide == "items":
        if not items or instrument is None:
            raise ConfigError(
                f"{where} needs `instrument` and an [{where[1:-1]}.items] table "
                "(raw column = item number)."
            )
        if not all(_whole(i) and i >= 1 for i in items.values()):
            raise ConfigError(f"{where}.items: item numbers must be whole numbers from 1.")
        numbers = list(items.values())
        twice_i = sorted({i for i in numbers if numbers.count(i) > 1})
        if twice_i:
            raise ConfigError(f"{where}.items maps several columns to item(s) {twice_i}.")
    else:
        if items or instrument is not None:
            raise ConfigError(f"{where} has `instrument`/items, which only the survey sources use.")
    return SourceProfile(
        name=name,
        base_dir=base_dir,
        path=str(raw["path"]),
        format=fmt,
        sheet=sheet,
        header_row=header_row,
        encoding=encoding,
        delimiter=delimiter,
        columns=columns,
        values=values,
        identifiers=identifiers,
        free_text=free_text,
        domains=domains,
        items=items,
        instrument=instrument,
        list_separator=sep,
        dayfirst=day,
    )


def _parameters(raw: Any) -> tuple[dict[str, Any], tuple[str, ...]]:
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        raise ConfigError("[parameters] must be a table of name = value lines.")
    _unknown_keys(raw, frozenset(DEFAULT_PARAMETERS), "[parameters]")
    params = {k: v[0] for k, v in DEFAULT_PARAMETERS.items()}
    for k, value in raw.items():
        _, lo, hi = DEFAULT_PARAMETERS[k]
        choices = _PARAMETER_CHOICES.get(k)
        if choices is not None and (not _whole(value) or value not in choices):
            raise ConfigError(
                f"[parameters] {k} = {value!r}; give one of "
                f"{', '.join(map(str, choices[:-1]))} or {choices[-1]}."
            )
        if not _whole(value) or not lo <= value <= hi:
            raise ConfigError(
                f"[parameters] {k} = {value!r}; give a whole number from {lo} to {hi}."
            )
        params[k] = int(value)
    if params["score_min"] >= params["score_max"]:
        raise ConfigError("[parameters] score_min must be below score_max.")
    return params, tuple(sorted(raw))


def parse_config(
    raw: Mapping[str, Any], *, base_dir: Path, path: Path | None = None, sha256: str = ""
) -> EvaluationConfig:
    """Build an :class:`EvaluationConfig` from a parsed TOML mapping.

    Raises
    ------
    ConfigError
        If a setting is missing, unknown or inconsistent; the message names it.
    """
    _unknown_keys(
        raw, {"evaluation", "parameters", "sources", "instruments", *PLAN_TABLES}, "The config"
    )
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
    dayfirst = ev.get("dayfirst", True)
    if not isinstance(dayfirst, bool):
        raise ConfigError("[evaluation] dayfirst must be true or false.")
    key_file = ev.get("key_file")
    if key_file is not None and not isinstance(key_file, str):
        raise ConfigError("[evaluation] key_file must be a file name in quotes.")
    cohorts = ev.get("cohorts", ["noream", "comparison"])
    if (
        not isinstance(cohorts, list)
        or not cohorts
        or not all(isinstance(c, str) and c for c in cohorts)
        or len(set(cohorts)) != len(cohorts)
    ):
        raise ConfigError(
            '[evaluation] cohorts must be a list of names, e.g. ["noream", "comparison"].'
        )
    params, given = _parameters(raw.get("parameters"))
    plan = parse_plan(raw)
    instruments = load_instruments(raw.get("instruments"))
    if plan.wellbeing_instrument not in instruments:
        raise ConfigError(
            f"[analysis] wellbeing_instrument = {plan.wellbeing_instrument!r} is not in the "
            f"registry; known: {sorted(instruments)}."
        )
    srcs = raw.get("sources", {})
    if not isinstance(srcs, Mapping) or "families" not in srcs:
        raise ConfigError(
            "The config has no [sources.families] profile; every other source links to families."
        )
    cohorts_t = tuple(cohorts)
    sources = {n: _profile(n, p, base_dir, dayfirst, cohorts_t) for n, p in srcs.items()}
    for n, prof in sources.items():
        if prof.instrument is None:
            continue
        inst = instruments.get(prof.instrument)
        if inst is None:
            raise ConfigError(
                f"[sources.{n}] instrument = {prof.instrument!r} is not in the registry; "
                f"known: {sorted(instruments)}. Add it under [instruments.{prof.instrument}]."
            )
        too_high = sorted(i for i in prof.items.values() if i > inst.n_items)
        if too_high:
            raise ConfigError(
                f"[sources.{n}].items names item(s) {too_high}, but {inst.name} has "
                f"{inst.n_items} items."
            )
    return EvaluationConfig(
        path=path,
        base_dir=base_dir,
        name=str(ev.get("name", "NOREAM evaluation")),
        data_cut=data_cut,
        data_start=data_start,
        programme_start=programme_start,
        dayfirst=dayfirst,
        key_file=base_dir / key_file if key_file else None,
        cohorts=cohorts_t,
        parameters=params,
        parameters_given=given,
        sources=sources,
        instruments=instruments,
        sha256=sha256,
        plan=plan,
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
        If the file is missing, is not valid TOML, or a setting is wrong; the
        message starts with the config file's name.

    Examples
    --------
    >>> from importlib import resources
    >>> cfg = load_config(resources.files("noream_eval.sample") / "evaluation.toml")
    >>> cfg.parameters["window_days"], sorted(cfg.sources)[:2]
    (365, ['contacts', 'deliverables'])
    """
    p = Path(str(path))
    if not p.is_file():
        raise ConfigError(f"Config file {p} not found.")
    data = p.read_bytes()
    try:
        raw = tomllib.loads(data.decode("utf-8-sig"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{p.name} is not valid TOML: {exc}") from None
    try:
        return parse_config(
            raw, base_dir=p.parent.resolve(), path=p, sha256=hashlib.sha256(data).hexdigest()
        )
    except ConfigError as exc:
        raise ConfigError(f"{p.name}: {exc}") from None
