"""The pre-specified analysis plan: what the metrics compute and how results are rated.

An evaluation config holds, beside its sources, the choices an analysis plan
fixes before the data are seen. They are read into one frozen
:class:`AnalysisPlan`:

- ``[analysis]`` - general settings (random seed, bootstrap resamples,
  imputations, the wellbeing instrument and follow-up time point, fidelity
  windows, the England re-referral benchmark, Cox covariates);
- ``[its]`` and ``[its.shocks]`` - the interrupted time series of referrals,
  with known shocks (the COVID-19 months) as period terms;
- ``[costs]`` - the cost-consequence scenario;
- ``[trial]`` - assumptions of the future trial's sample size;
- ``[progression]`` and ``[progression.CRITERION]`` - red/amber/green
  thresholds of the readiness-for-trial criteria;
- ``[indicators.NAME]`` - pre-specified indicators (outcome, expected
  direction, primary or secondary, minimum n);
- ``[[promise.rules]]`` - the evidence-of-promise rules, replacing the defaults.

Every table and key is optional; :data:`DEFAULT_RULES` and the defaults below
follow pilot-evaluation practice. ``docs/config.md`` documents every key.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from noream_eval.errors import ConfigError

__all__ = [
    "CONDITIONS",
    "DEFAULT_INDICATORS",
    "DEFAULT_PROGRESSION",
    "DEFAULT_RULES",
    "PLAN_TABLES",
    "AnalysisPlan",
    "Criterion",
    "IndicatorSpec",
    "Rule",
    "parse_plan",
]

Direction = Literal["increase", "decrease"]

#: Top-level config tables read by :func:`parse_plan`.
PLAN_TABLES: tuple[str, ...] = (
    "analysis",
    "its",
    "costs",
    "trial",
    "progression",
    "indicators",
    "promise",
)


@dataclass(frozen=True)
class IndicatorSpec:
    """A pre-specified indicator of the analysis plan.

    Attributes
    ----------
    name
        Indicator name as in the results (``rereferral_rate_ratio``, ...).
    outcome
        ``"1"`` to ``"6"`` or ``"feasibility"``.
    direction
        The change expected if the programme works: ``increase`` or
        ``decrease`` (of the estimate, or of the ratio above or below 1).
    primary
        True for a primary indicator, False for a secondary one.
    min_n
        Fewer units than this rates the indicator "Insufficient data".
    group
        The result row rated (the ``group`` column), default ``"all"``.
    """

    name: str
    outcome: str
    direction: Direction
    primary: bool = False
    min_n: int = 20
    group: str = "all"


#: Condition words a promise rule may combine (all must hold for the rule to apply).
CONDITIONS: dict[str, str] = {
    "n_below_min": "fewer units than the indicator's minimum n",
    "no_estimate": "no estimate could be computed",
    "expected_direction": "the estimate is on the expected side of no effect",
    "unexpected_direction": "the estimate is on the other side of no effect",
    "ci_excludes_null": "the 95% CI excludes no effect",
    "ci_includes_null": "the 95% CI includes no effect (or there is no CI)",
    "p_below_0_05": "the p-value is below 0.05",
}


@dataclass(frozen=True)
class Rule:
    """One evidence-of-promise rule: a rating and the conditions that give it.

    Rules are tried in order; the first whose conditions all hold gives the
    rating. A rule with no conditions always applies (a catch-all).
    """

    rating: str
    when: tuple[str, ...]

    @property
    def text(self) -> str:
        """The rule in words, as printed beside each rating."""
        if not self.when:
            return f"{self.rating}: otherwise"
        return f"{self.rating}: " + " and ".join(CONDITIONS[c] for c in self.when)


#: The default rules (a pilot's evidence-of-promise ratings).
DEFAULT_RULES: tuple[Rule, ...] = (
    Rule("Insufficient data", ("n_below_min",)),
    Rule("Insufficient data", ("no_estimate",)),
    Rule("Evidence of promise", ("expected_direction", "ci_excludes_null")),
    Rule("Indicative", ("expected_direction", "ci_includes_null")),
    Rule("Change in the unexpected direction", ("unexpected_direction", "ci_excludes_null")),
    Rule("No evidence of change", ()),
)


@dataclass(frozen=True)
class Criterion:
    """A progression criterion's red/amber/green thresholds (shares from 0 to 1).

    Green when the value is at least ``green``, amber when at least
    ``amber``, red otherwise.
    """

    name: str
    green: float
    amber: float
    description: str


#: Default progression criteria (pilot-trial practice).
DEFAULT_PROGRESSION: dict[str, Criterion] = {
    c.name: c
    for c in (
        Criterion("recruitment", 0.80, 0.50, "families enrolled as a share of the target"),
        Criterion("retention", 0.65, 0.50, "enrolled families with a follow-up wellbeing measure"),
        Criterion(
            "data_completeness",
            0.80,
            0.60,
            "primary outcome measures complete at baseline and follow-up",
        ),
        Criterion("fidelity", 0.75, 0.50, "mean share of fidelity indicators met"),
    )
}

#: Default pre-specified indicators (overridden one by one by ``[indicators.NAME]``).
DEFAULT_INDICATORS: dict[str, IndicatorSpec] = {
    s.name: s
    for s in (
        IndicatorSpec("rereferral_rate_ratio", "1", "decrease", primary=True, min_n=30),
        IndicatorSpec("s17_escalation_hazard_ratio", "2", "decrease", primary=True, min_n=30),
        IndicatorSpec("swemwbs_mean_change", "3", "increase", primary=True, min_n=20),
        IndicatorSpec("domain_distance_travelled", "3", "increase", min_n=20),
        IndicatorSpec("staff_multi_agency_change", "5", "increase", min_n=10),
        IndicatorSpec("staff_coordination_change", "6", "increase", min_n=10),
    )
}


@dataclass(frozen=True)
class AnalysisPlan:
    """Every pre-specified choice of the analysis (see the module docstring).

    Attributes
    ----------
    seed, bootstrap_resamples, imputations
        Random seed of every resampling method, bootstrap resamples,
        multiple-imputation data sets.
    wellbeing_instrument, followup_timepoint
        The wellbeing instrument analysed as primary and the time point
        compared with baseline.
    baseline_window_days, review_interval_days, review_tolerance_days
        Fidelity windows: a baseline domain assessment within
        ``baseline_window_days`` of enrolment; a review within
        ``review_interval_days`` plus ``review_tolerance_days`` of baseline.
    benchmark_rereferral_rate
        The England re-referral rate drawn as context (a share), or None.
    escalation_months
        Horizons of the escalation shares.
    cox_covariates
        Covariates of the Cox model beside the cohort (families columns).
    its_family, its_harmonics, its_slope_change, its_newey_west, shocks
        The interrupted time series: model family, Fourier harmonics, a
        slope change at the programme start, Newey-West errors, and named
        shocks (name -> first and last day) entered as period terms.
    s17_annual_cost_gbp, s17_years, cost_source, staff_cost_gbp, other_cost_gbp
        The cost-consequence scenario: the cost of a year of s17 support and
        its length (national defaults), whether the average case cost comes
        from the ``data`` or the ``config``, and the programme's own staff
        and other costs (flexible grants come from the payments).
    icc, alpha, power, trial_las, families_per_la, attrition, trial_effect_size
        The future trial: intra-cluster correlation, significance level,
        power, the numbers of LAs for the minimum detectable effect, cluster
        size, the attrition allowed for (None: from the pilot) and the
        standardised effect (Cohen's d) it must detect.
    recruitment_target_per_month
        Families to enrol per month (None: recruitment is not rated).
    progression
        Criterion name -> :class:`Criterion`.
    primary_indicator
        The indicator of the primary outcome: its rating is a progression
        criterion and the future trial is sized on it.
    primary_outcome_at_least
        The rating the primary indicator must reach for green.
    indicators
        Indicator name -> :class:`IndicatorSpec` (the pre-specified ones).
    rules
        The evidence-of-promise rules, in order.
    given
        Dotted names of the keys the config set (the rest are defaults).
    """

    seed: int = 20210201
    bootstrap_resamples: int = 2000
    imputations: int = 20
    wellbeing_instrument: str = "swemwbs"
    followup_timepoint: Literal["review", "exit"] = "review"
    baseline_window_days: int = 28
    review_interval_days: int = 182
    review_tolerance_days: int = 42
    benchmark_rereferral_rate: float | None = 0.22
    escalation_months: tuple[int, ...] = (6, 12)
    cox_covariates: tuple[str, ...] = ()
    its_family: Literal["poisson", "quasipoisson", "negbin"] = "quasipoisson"
    its_harmonics: int = 1
    its_slope_change: bool = True
    its_newey_west: bool = True
    shocks: Mapping[str, tuple[dt.date, dt.date]] = field(default_factory=dict)
    s17_annual_cost_gbp: float = 16_000.0
    s17_years: float = 1.5
    cost_source: Literal["data", "config"] = "data"
    staff_cost_gbp: float = 0.0
    other_cost_gbp: float = 0.0
    icc: float = 0.05
    alpha: float = 0.05
    power: float = 0.8
    trial_las: tuple[int, ...] = (10, 20, 40)
    families_per_la: int = 30
    attrition: float | None = None
    trial_effect_size: float = 0.3
    recruitment_target_per_month: float | None = None
    progression: Mapping[str, Criterion] = field(default_factory=lambda: dict(DEFAULT_PROGRESSION))
    primary_indicator: str = "swemwbs_mean_change"
    primary_outcome_at_least: str = "Indicative"
    indicators: Mapping[str, IndicatorSpec] = field(
        default_factory=lambda: dict(DEFAULT_INDICATORS)
    )
    rules: tuple[Rule, ...] = DEFAULT_RULES
    given: tuple[str, ...] = ()

    def settings(self) -> dict[str, Any]:
        """The plan as plain JSON-ready values (for provenance and the report)."""
        out: dict[str, Any] = {}
        for name in self.__dataclass_fields__:
            if name in ("indicators", "progression", "rules", "shocks", "given"):
                continue
            value = getattr(self, name)
            out[name] = list(value) if isinstance(value, tuple) else value
        out["shocks"] = {k: [a.isoformat(), b.isoformat()] for k, (a, b) in self.shocks.items()}
        out["progression"] = {
            k: {"green": c.green, "amber": c.amber} for k, c in self.progression.items()
        }
        out["indicators"] = {
            k: {
                "outcome": s.outcome,
                "direction": s.direction,
                "primary": s.primary,
                "min_n": s.min_n,
                "group": s.group,
            }
            for k, s in self.indicators.items()
        }
        out["rules"] = [r.text for r in self.rules]
        return out


# ----------------------------------------------------------------- parsing

_Kind = Literal["int", "float", "bool", "str", "int_list", "str_list", "share"]

#: Scalar keys of each table: key -> (field name, kind, minimum, maximum or choices).
_KEYS: dict[str, dict[str, tuple[str, _Kind, Any, Any]]] = {
    "analysis": {
        "seed": ("seed", "int", 0, 2**32 - 1),
        "bootstrap_resamples": ("bootstrap_resamples", "int", 200, 100_000),
        "imputations": ("imputations", "int", 2, 500),
        "wellbeing_instrument": ("wellbeing_instrument", "str", None, None),
        "followup_timepoint": ("followup_timepoint", "str", None, ("review", "exit")),
        "baseline_window_days": ("baseline_window_days", "int", 0, 3660),
        "review_interval_days": ("review_interval_days", "int", 1, 3660),
        "review_tolerance_days": ("review_tolerance_days", "int", 0, 3660),
        "benchmark_rereferral_rate": ("benchmark_rereferral_rate", "share", 0, 1),
        "escalation_months": ("escalation_months", "int_list", 1, 120),
        "cox_covariates": ("cox_covariates", "str_list", None, None),
    },
    "its": {
        "family": ("its_family", "str", None, ("poisson", "quasipoisson", "negbin")),
        "harmonics": ("its_harmonics", "int", 0, 6),
        "slope_change": ("its_slope_change", "bool", None, None),
        "newey_west": ("its_newey_west", "bool", None, None),
    },
    "costs": {
        "s17_annual_cost_gbp": ("s17_annual_cost_gbp", "float", 0, 1e7),
        "s17_years": ("s17_years", "float", 0.01, 50),
        "cost_source": ("cost_source", "str", None, ("data", "config")),
        "staff_cost_gbp": ("staff_cost_gbp", "float", 0, 1e9),
        "other_cost_gbp": ("other_cost_gbp", "float", 0, 1e9),
    },
    "trial": {
        "icc": ("icc", "share", 0, 1),
        "alpha": ("alpha", "share", 1e-6, 0.5),
        "power": ("power", "share", 0.5, 0.999),
        "las": ("trial_las", "int_list", 2, 10_000),
        "families_per_la": ("families_per_la", "int", 1, 1_000_000),
        "attrition": ("attrition", "share", 0, 0.95),
        "effect_size": ("trial_effect_size", "float", 0.01, 5),
    },
    "progression": {
        "recruitment_target_per_month": ("recruitment_target_per_month", "float", 0.01, 1e6),
        "primary_indicator": ("primary_indicator", "str", None, None),
        "primary_outcome_at_least": ("primary_outcome_at_least", "str", None, None),
    },
}
_INDICATOR_KEYS = frozenset({"outcome", "direction", "primary", "min_n", "group"})
_OUTCOMES = ("1", "2", "3", "4", "5", "6", "feasibility")


def _nearest(name: str, choices: Sequence[str]) -> str:
    guess = difflib.get_close_matches(name, sorted(choices), n=1)
    return f" Did you mean {guess[0]!r}?" if guess else ""


def _refuse_unknown(table: Mapping[str, Any], allowed: Sequence[str], where: str) -> None:
    extra = sorted(set(table) - set(allowed))
    if extra:
        raise ConfigError(
            f"{where} has unknown setting(s) {extra}; allowed settings: {sorted(allowed)}."
            + _nearest(extra[0], allowed)
        )


def _table(raw: Any, where: str) -> dict[str, Any]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{where} must be a table of name = value lines.")
    return dict(raw)


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _value(value: Any, kind: _Kind, lo: Any, hi: Any, where: str) -> Any:
    if kind in ("int", "float", "share"):
        whole = kind == "int"
        ok = _number(value) and (not whole or isinstance(value, int))
        if not ok or not lo <= value <= hi:
            what = "a whole number" if whole else "a number"
            raise ConfigError(f"{where} = {value!r}; give {what} from {lo} to {hi}.")
        return int(value) if whole else float(value)
    if kind == "bool":
        if not isinstance(value, bool):
            raise ConfigError(f"{where} = {value!r}; give true or false.")
        return value
    if kind == "str":
        if not isinstance(value, str) or not value:
            raise ConfigError(f"{where} = {value!r}; give a name in quotes.")
        if hi is not None and value not in hi:
            raise ConfigError(
                f"{where} = {value!r}; choose one of {list(hi)}." + _nearest(value, hi)
            )
        return value
    if kind == "int_list":
        if (
            not isinstance(value, list)
            or not value
            or not all(isinstance(v, int) and not isinstance(v, bool) for v in value)
            or not all(lo <= v <= hi for v in value)
        ):
            raise ConfigError(
                f"{where} = {value!r}; give a list of whole numbers from {lo} to {hi}, "
                "e.g. [6, 12]."
            )
        return tuple(sorted(set(value)))
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ConfigError(f'{where} = {value!r}; give a list of names, e.g. ["n_children"].')
    return tuple(value)


def _date(value: Any, where: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ConfigError(f"{where} = {value!r} is not a date; write it as YYYY-MM-DD.") from None


def _shocks(raw: Any) -> dict[str, tuple[dt.date, dt.date]]:
    out: dict[str, tuple[dt.date, dt.date]] = {}
    for name, span in _table(raw, "[its.shocks]").items():
        where = f"[its.shocks] {name}"
        if not name.isidentifier():
            raise ConfigError(f"{where}: a shock's name must be a word such as covid_lockdown.")
        if not isinstance(span, list) or len(span) != 2:
            raise ConfigError(
                f'{where} = {span!r}; give its first and last day, e.g. ["2020-03-01", '
                '"2020-06-30"].'
            )
        first, last = _date(span[0], where), _date(span[1], where)
        if last < first:
            raise ConfigError(f"{where}: the last day is before the first.")
        out[name] = (first, last)
    return out


def _criteria(table: dict[str, Any]) -> dict[str, Criterion]:
    out = dict(DEFAULT_PROGRESSION)
    for name in [k for k, v in table.items() if isinstance(v, Mapping)]:
        entry = table.pop(name)
        where = f"[progression.{name}]"
        if name not in DEFAULT_PROGRESSION:
            raise ConfigError(
                f"{where} is not a progression criterion; known: {sorted(DEFAULT_PROGRESSION)}."
                + _nearest(name, list(DEFAULT_PROGRESSION))
            )
        _refuse_unknown(entry, ("green", "amber"), where)
        base = DEFAULT_PROGRESSION[name]
        green = _value(entry.get("green", base.green), "share", 0, 1, f"{where} green")
        amber = _value(entry.get("amber", base.amber), "share", 0, 1, f"{where} amber")
        if amber > green:
            raise ConfigError(f"{where}: amber ({amber}) must not be above green ({green}).")
        out[name] = Criterion(name, green, amber, base.description)
    return out


def _indicators(raw: Any) -> dict[str, IndicatorSpec]:
    out = dict(DEFAULT_INDICATORS)
    for name, entry in _table(raw, "[indicators]").items():
        where = f"[indicators.{name}]"
        if not isinstance(entry, Mapping):
            raise ConfigError(f"{where} must be a table (outcome, direction, primary, min_n).")
        _refuse_unknown(entry, sorted(_INDICATOR_KEYS), where)
        base = out.get(name)
        outcome = str(entry.get("outcome", base.outcome if base else ""))
        if outcome not in _OUTCOMES:
            raise ConfigError(f"{where} outcome = {outcome!r}; choose one of {list(_OUTCOMES)}.")
        direction = entry.get("direction", base.direction if base else None)
        if direction not in ("increase", "decrease"):
            raise ConfigError(f'{where} direction = {direction!r}; give "increase" or "decrease".')
        primary = entry.get("primary", base.primary if base else False)
        if not isinstance(primary, bool):
            raise ConfigError(f"{where} primary = {primary!r}; give true or false.")
        min_n = _value(entry.get("min_n", base.min_n if base else 20), "int", 1, 10**9, where)
        group = entry.get("group", base.group if base else "all")
        if not isinstance(group, str) or not group:
            raise ConfigError(f'{where} group = {group!r}; give a group name, e.g. "all".')
        out[name] = IndicatorSpec(name, outcome, direction, primary, min_n, group)
    return out


def _rules(raw: Any) -> tuple[Rule, ...]:
    table = _table(raw, "[promise]")
    _refuse_unknown(table, ("rules",), "[promise]")
    if "rules" not in table:
        return DEFAULT_RULES
    entries = table["rules"]
    if not isinstance(entries, list) or not entries:
        raise ConfigError("[[promise.rules]] must be a list of tables with rating and when.")
    rules = []
    for i, entry in enumerate(entries, start=1):
        where = f"[[promise.rules]] number {i}"
        if not isinstance(entry, Mapping):
            raise ConfigError(f"{where} must be a table with rating and when.")
        _refuse_unknown(entry, ("rating", "when"), where)
        rating = entry.get("rating")
        if not isinstance(rating, str) or not rating:
            raise ConfigError(f'{where} needs rating = "..." (the rating it gives).')
        when = entry.get("when", [])
        if not isinstance(when, list) or not all(isinstance(c, str) for c in when):
            raise ConfigError(f"{where} when must be a list of conditions: {sorted(CONDITIONS)}.")
        for cond in when:
            if cond not in CONDITIONS:
                raise ConfigError(
                    f"{where}: unknown condition {cond!r}; known: {sorted(CONDITIONS)}."
                    + _nearest(cond, list(CONDITIONS))
                )
        rules.append(Rule(rating, tuple(when)))
    if rules[-1].when:
        raise ConfigError(
            "[[promise.rules]]: the last rule must have no conditions (when = []), so that "
            "every indicator gets a rating."
        )
    return tuple(rules)


def parse_plan(raw: Mapping[str, Any]) -> AnalysisPlan:
    """Read the analysis-plan tables of a parsed config (see the module docstring).

    Parameters
    ----------
    raw
        The whole parsed TOML mapping; only :data:`PLAN_TABLES` are read.

    Returns
    -------
    AnalysisPlan

    Raises
    ------
    ConfigError
        If a key is unknown, a value is out of range, or a rule uses an
        unknown condition; the message names the table and key.

    Examples
    --------
    >>> plan = parse_plan({"its": {"shocks": {"covid": ["2020-03-23", "2020-06-30"]}}})
    >>> plan.shocks["covid"][0], plan.its_family
    (datetime.date(2020, 3, 23), 'quasipoisson')
    >>> plan.rules[2].rating, plan.rules[2].when
    ('Evidence of promise', ('expected_direction', 'ci_excludes_null'))
    """
    values: dict[str, Any] = {}
    given: list[str] = []
    for name in ("analysis", "its", "costs", "trial", "progression"):
        table = _table(raw.get(name), f"[{name}]")
        if name == "its":
            values["shocks"] = _shocks(table.pop("shocks", None))
        if name == "progression":
            values["progression"] = _criteria(table)
        _refuse_unknown(table, sorted(_KEYS[name]), f"[{name}]")
        for key, value in table.items():
            attr, kind, lo, hi = _KEYS[name][key]
            values[attr] = _value(value, kind, lo, hi, f"[{name}] {key}")
            given.append(f"{name}.{key}")
    values["indicators"] = _indicators(raw.get("indicators"))
    given += [f"indicators.{k}" for k in _table(raw.get("indicators"), "[indicators]")]
    values["rules"] = _rules(raw.get("promise"))
    ratings = {r.rating for r in values["rules"]}
    floor = values.get("primary_outcome_at_least", "Indicative")
    if floor not in ratings:
        raise ConfigError(
            f"[progression] primary_outcome_at_least = {floor!r} is not a rating of the "
            f"evidence-of-promise rules ({sorted(ratings)})."
        )
    primary = values.get("primary_indicator", "swemwbs_mean_change")
    if primary not in values["indicators"]:
        raise ConfigError(
            f"[progression] primary_indicator = {primary!r} is not a pre-specified indicator; "
            f"add an [indicators.{primary}] table or choose one of "
            f"{sorted(values['indicators'])}."
        )
    return AnalysisPlan(**values, given=tuple(given))
