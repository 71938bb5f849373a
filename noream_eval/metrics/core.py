"""The indicator contract shared by every outcome module.

Every metric returns rows with the columns of :data:`INDICATOR_COLUMNS`, one
row per estimate, built with :func:`indicator` and gathered with
:func:`indicator_table`. Nothing is rounded here; rendering rounds.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from noream_eval.config import DEFAULT_PARAMETERS, load_instruments
from noream_eval.plan import AnalysisPlan

if TYPE_CHECKING:
    from noream_eval.config import EvaluationConfig
    from noream_eval.data import EvaluationData

__all__ = [
    "DEFAULT_COHORTS",
    "INDICATOR_COLUMNS",
    "OUTCOMES",
    "Part",
    "Settings",
    "cut_date",
    "indicator",
    "indicator_table",
    "params_json",
]

#: Columns of every indicator table, in order.
INDICATOR_COLUMNS: tuple[str, ...] = (
    "outcome",
    "indicator",
    "group",
    "n",
    "estimate",
    "ci_low",
    "ci_high",
    "p_value",
    "method",
    "params",
    "unit",
    "prespecified",
)

#: Cohorts of a metric function called without settings: programme first, then comparison.
DEFAULT_COHORTS: tuple[str, ...] = ("noream", "comparison")

#: Values of the ``outcome`` column.
OUTCOMES: tuple[str, ...] = ("1", "2", "3", "4", "5", "6", "feasibility")

_FLOATS = ("estimate", "ci_low", "ci_high", "p_value")
_TEXT = ("outcome", "indicator", "group", "method", "params", "unit")


def _plain(value: Any) -> Any:
    """A JSON-ready copy of a parameter value (dates as ISO text, tuples as lists)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value) if isinstance(value, set | frozenset) else value
        return [_plain(v) for v in items]
    if isinstance(value, np.generic):
        return value.item()
    if hasattr(value, "isoformat"):
        return value.isoformat()[:10]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def params_json(params: Mapping[str, Any]) -> str:
    """The parameters of an estimate as compact JSON text with sorted keys.

    Examples
    --------
    >>> import datetime as dt
    >>> params_json({"window_days": 365, "since": dt.date(2021, 2, 1)})
    '{"since": "2021-02-01", "window_days": 365}'
    """
    return json.dumps(_plain(dict(params)), sort_keys=True, separators=(", ", ": "))


def cut_date(data_cut: Any) -> pd.Timestamp:
    """The data cut as a day (midnight ``Timestamp``), checked.

    Raises
    ------
    StatsInputError
        If ``data_cut`` is missing or not a date.

    Examples
    --------
    >>> cut_date("2022-06-30 15:00")
    Timestamp('2022-06-30 00:00:00')
    """
    from noream_eval.errors import StatsInputError

    try:
        cut = pd.Timestamp(data_cut)
    except (TypeError, ValueError):
        raise StatsInputError(f"data_cut must be a date, got {data_cut!r}.") from None
    if pd.isna(cut):
        raise StatsInputError("data_cut must be a date, not missing.")
    return cut.normalize()


def _float(value: Any) -> float:
    if value is None or value is pd.NA or value is pd.NaT:
        return math.nan
    return float(value)


def indicator(
    outcome: str,
    name: str,
    *,
    n: int | None,
    estimate: float | None,
    method: str,
    unit: str,
    group: str = "all",
    ci_low: float | None = None,
    ci_high: float | None = None,
    p_value: float | None = None,
    params: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """One indicator row (a dict with the columns of :data:`INDICATOR_COLUMNS`).

    Parameters
    ----------
    outcome
        ``"1"`` to ``"6"`` or ``"feasibility"``.
    name
        Stable snake_case indicator name (``rereferral_rate``).
    n
        The number of units the estimate rests on (the unit is said in
        ``unit`` and in ``docs/outcomes.md``); None when not countable.
    estimate, ci_low, ci_high, p_value
        The estimate, its 95% confidence interval and p-value (None or NaN
        when the method gives none).
    method
        The method's name in words, including anything a reader must know
        (paired or unpaired, complete cases or imputed, z- or t-based). A row
        without an estimate says why, starting ``not estimable:`` (added when
        missing).
    unit
        What the estimate measures (``share of referrals``, ``rate ratio``,
        ``GBP per family``, ...).
    group
        The cohort, period, site or subgroup the row describes (``all``
        for everyone).
    params
        Parameters used, stored as JSON text.

    Returns
    -------
    dict
        ``prespecified`` is False here; :func:`noream_eval.metrics.compute_all`
        sets it from the analysis plan.

    Raises
    ------
    ValueError
        If ``outcome`` is not one of :data:`OUTCOMES` or ``name`` is not snake_case.
    """
    if outcome not in OUTCOMES:
        raise ValueError(f"outcome must be one of {OUTCOMES}, not {outcome!r}")
    if not name.isidentifier() or name.lower() != name:
        raise ValueError(f"indicator names are snake_case identifiers, not {name!r}")
    value = _float(estimate)
    if math.isnan(value) and not method.startswith("not estimable"):
        method = f"not estimable: {method}"
    return {
        "outcome": outcome,
        "indicator": name,
        "group": str(group),
        "n": None if n is None else int(n),
        "estimate": value,
        "ci_low": _float(ci_low),
        "ci_high": _float(ci_high),
        "p_value": _float(p_value),
        "method": method,
        "params": params_json(params or {}),
        "unit": unit,
        "prespecified": False,
    }


def indicator_table(rows: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """Gather indicator rows into one table with the contract's columns and dtypes.

    Parameters
    ----------
    rows
        Rows from :func:`indicator` (or tables with the same columns, as dicts).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`INDICATOR_COLUMNS`: text columns as ``string``, ``n``
        as ``Int64``, estimates as ``float64``, ``prespecified`` as ``bool``.

    Examples
    --------
    >>> t = indicator_table([indicator("1", "rereferral_rate", n=40, estimate=0.2,
    ...                                method="Wilson score interval", unit="share")])
    >>> t.loc[0, "indicator"], int(t.loc[0, "n"]), float(t.loc[0, "estimate"])
    ('rereferral_rate', 40, 0.2)
    """
    frame = pd.DataFrame(list(rows), columns=list(INDICATOR_COLUMNS))
    for col in _TEXT:
        frame[col] = frame[col].astype("string")
    frame["n"] = pd.array(frame["n"].tolist(), dtype="Int64")
    for col in _FLOATS:
        frame[col] = pd.to_numeric(frame[col], errors="coerce").astype("float64")
    frame["prespecified"] = frame["prespecified"].fillna(False).astype(bool)
    return frame.reset_index(drop=True)


@dataclass(frozen=True)
class Settings:
    """What every metric needs to know about the evaluation beyond the data.

    Built from an evaluation config with :meth:`from_config`, or with
    defaults from an ingested data set's provenance with :meth:`from_data`
    (a notebook user without a config). Metric functions take these values
    as keyword options; :func:`noream_eval.metrics.compute_all` passes them.

    Attributes
    ----------
    data_cut, data_start, programme_start
        The date the exports were taken, the date before which referral
        history is unknown for everyone, and the programme start (None when
        unknown: before/after analyses only).
    cohorts
        Cohort names; the first is the programme cohort, the second (if
        any) the comparison.
    parameters
        The ``[parameters]`` values (window_days, episode_gap_days, min_cell,
        score_min, score_max).
    instruments
        The instrument registry.
    plan
        The analysis plan.
    """

    data_cut: pd.Timestamp
    data_start: pd.Timestamp
    programme_start: pd.Timestamp | None = None
    cohorts: tuple[str, ...] = DEFAULT_COHORTS
    parameters: Mapping[str, Any] = field(default_factory=dict)
    instruments: Mapping[str, Any] = field(default_factory=dict)
    plan: AnalysisPlan = field(default_factory=AnalysisPlan)

    def __post_init__(self) -> None:
        params = {k: v[0] for k, v in DEFAULT_PARAMETERS.items()}
        params.update(self.parameters)
        object.__setattr__(self, "parameters", MappingProxyType(params))
        if not self.instruments:
            object.__setattr__(self, "instruments", MappingProxyType(load_instruments()))

    @property
    def programme(self) -> str:
        """The programme cohort's name."""
        return self.cohorts[0]

    @property
    def comparison(self) -> str | None:
        """The comparison cohort's name, or None for a single-cohort design."""
        return self.cohorts[1] if len(self.cohorts) > 1 else None

    @classmethod
    def from_config(cls, config: EvaluationConfig) -> Settings:
        """The settings of an evaluation config."""
        prog = config.programme_start
        return cls(
            data_cut=pd.Timestamp(config.data_cut),
            data_start=pd.Timestamp(config.data_start),
            programme_start=None if prog is None else pd.Timestamp(prog),
            cohorts=tuple(config.cohorts),
            parameters=dict(config.parameters),
            instruments=dict(config.instruments),
            plan=config.plan,
        )

    @classmethod
    def from_data(cls, data: EvaluationData, **overrides: Any) -> Settings:
        """Default settings for ingested data: dates and parameters from its provenance.

        Keyword arguments replace any attribute (``programme_start=...``).
        """
        prov = data.provenance
        cut = prov.get("data_cut")
        if cut is None:
            dates = [
                data.referrals["referral_date"].max(),
                data.families["first_contact_date"].max(),
            ]
            cut = max((d for d in dates if pd.notna(d)), default=pd.Timestamp.today())
        values: dict[str, Any] = {
            "data_cut": pd.Timestamp(cut),
            "data_start": pd.Timestamp(prov.get("data_start", "1900-01-01")),
            "programme_start": (
                pd.Timestamp(prov["programme_start"]) if prov.get("programme_start") else None
            ),
            "parameters": dict(prov.get("parameters", {})),
        }
        if "cohorts" in prov:
            values["cohorts"] = tuple(prov["cohorts"])
        values.update(overrides)
        for key in ("data_cut", "data_start", "programme_start"):
            if values.get(key) is not None:
                values[key] = pd.Timestamp(values[key])
        return cls(**values)


@dataclass(frozen=True)
class Part:
    """What one outcome module computes: indicator rows and supporting tables."""

    indicators: list[dict[str, Any]] = field(default_factory=list)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
