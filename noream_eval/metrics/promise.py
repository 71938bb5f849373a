"""Evidence of promise and readiness for trial, rated mechanically from the indicators.

Both are rated from the indicator table only, by the rules and thresholds of
the analysis plan (:mod:`noream_eval.plan`), and each rating is stored with the
text of the rule that gave it, so the report can print the rule beside it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from noream_eval.metrics.core import Part, Settings, indicator, params_json
from noream_eval.plan import AnalysisPlan, Criterion, IndicatorSpec, Rule

__all__ = [
    "EFFECT_INDICATORS",
    "PROGRESSION_INDICATORS",
    "Effect",
    "compute",
    "progression_criteria",
    "rate_indicators",
    "trial_design",
]


@dataclass(frozen=True)
class Effect:
    """How an effect indicator is read: the direction expected and the value of no effect."""

    direction: str
    null: float


#: Effect indicators rated as exploratory when the plan does not pre-specify them.
EFFECT_INDICATORS: dict[str, Effect] = {
    "rereferral_rate_ratio": Effect("decrease", 1.0),
    "rereferral_rate_difference": Effect("decrease", 0.0),
    "referrals_its_level_change": Effect("decrease", 1.0),
    "referrals_its_slope_change": Effect("decrease", 1.0),
    "s17_escalation_hazard_ratio": Effect("decrease", 1.0),
    "swemwbs_mean_change": Effect("increase", 0.0),
    "swemwbs_d_z": Effect("increase", 0.0),
    "swemwbs_g_av": Effect("increase", 0.0),
    "swemwbs_mean_change_mi": Effect("increase", 0.0),
    "domain_distance_travelled": Effect("increase", 0.0),
    "staff_multi_agency_change": Effect("increase", 0.0),
    "staff_coordination_change": Effect("increase", 0.0),
}

#: The indicator (group ``all``) each progression criterion reads its value from.
PROGRESSION_INDICATORS: dict[str, str] = {
    "recruitment": "recruitment_vs_target",
    "retention": "retention_followup",
    "data_completeness": "primary_outcome_completeness",
    "fidelity": "fidelity_overall",
}

#: Ratings from best to worst, for "at least" comparisons of the default rules.
_RATING_ORDER = (
    "Evidence of promise",
    "Indicative",
    "No evidence of change",
    "Change in the unexpected direction",
    "Insufficient data",
)

PROMISE_COLUMNS = (
    "outcome",
    "indicator",
    "group",
    "prespecified",
    "primary",
    "expected_direction",
    "null_value",
    "n",
    "min_n",
    "estimate",
    "ci_low",
    "ci_high",
    "p_value",
    "rating",
    "rule",
    "label",
)


def _null(name: str, unit: str) -> float:
    if name in EFFECT_INDICATORS:
        return EFFECT_INDICATORS[name].null
    return 1.0 if "ratio" in unit.lower() else 0.0


def _conditions(row: Mapping[str, Any], spec: IndicatorSpec, null: float) -> dict[str, bool]:
    est, lo, hi, p = (float(row[k]) for k in ("estimate", "ci_low", "ci_high", "p_value"))
    n = row["n"]
    has_ci = math.isfinite(lo) and math.isfinite(hi)
    sign = 1.0 if spec.direction == "increase" else -1.0
    finite = math.isfinite(est)
    excludes = has_ci and (lo > null or hi < null)
    return {
        "n_below_min": n is not None and not pd.isna(n) and int(n) < spec.min_n,
        "no_estimate": not finite,
        "expected_direction": finite and sign * (est - null) > 0,
        "unexpected_direction": finite and sign * (est - null) < 0,
        "ci_excludes_null": excludes,
        "ci_includes_null": not excludes,
        "p_below_0_05": math.isfinite(p) and p < 0.05,
    }


def _apply(rules: tuple[Rule, ...], conditions: Mapping[str, bool]) -> Rule:
    for rule in rules:
        if all(conditions[c] for c in rule.when):
            return rule
    return rules[-1]  # the plan guarantees a catch-all last rule


def rate_indicators(indicators: pd.DataFrame, plan: AnalysisPlan | None = None) -> pd.DataFrame:
    """Rate each pre-specified indicator, and each other effect indicator as exploratory.

    Parameters
    ----------
    indicators
        The indicator table (columns of
        :data:`~noream_eval.metrics.core.INDICATOR_COLUMNS`).
    plan
        The analysis plan: its ``indicators`` (outcome, expected direction,
        primary, minimum n, group rated) and ``rules``. Default: the defaults.

    Returns
    -------
    pandas.DataFrame
        One row per rated indicator: ``outcome``, ``indicator``, ``group``,
        ``prespecified``, ``primary``, ``expected_direction``, ``null_value``
        (1 for ratios, 0 for differences and changes), ``n``, ``min_n``,
        ``estimate``, ``ci_low``, ``ci_high``, ``p_value``, ``rating``,
        ``rule`` (the text of the rule that gave the rating) and ``label``
        (``pre-specified primary``, ``pre-specified secondary`` or
        ``exploratory``). A pre-specified indicator with no row in
        ``indicators`` is rated "Insufficient data" with the rule
        "not computed from these data".

    Notes
    -----
    Rules are tried in order and the first whose conditions all hold gives
    the rating (see :data:`noream_eval.plan.CONDITIONS`). Exploratory
    indicators (the rows of effect indicators of :data:`EFFECT_INDICATORS`
    whose name and group the plan does not pre-specify) are rated by the same rules, with
    their usual expected direction and a minimum n of 1, and labelled so.

    Examples
    --------
    >>> from noream_eval.metrics.core import indicator, indicator_table
    >>> t = indicator_table([indicator("1", "rereferral_rate_ratio", n=300, estimate=0.7,
    ...     ci_low=0.55, ci_high=0.9, method="Wald", unit="rate ratio")])
    >>> r = rate_indicators(t)
    >>> r.loc[r["indicator"] == "rereferral_rate_ratio", "rating"].item()
    'Evidence of promise'
    """
    plan = plan or AnalysisPlan()
    out: list[dict[str, Any]] = []
    index = {(r["indicator"], r["group"]): r for r in indicators.to_dict("records")}
    for name, spec in plan.indicators.items():
        row = index.get((name, spec.group))
        label = "pre-specified primary" if spec.primary else "pre-specified secondary"
        base = {
            "outcome": spec.outcome,
            "indicator": name,
            "group": spec.group,
            "prespecified": True,
            "primary": spec.primary,
            "expected_direction": spec.direction,
            "min_n": spec.min_n,
            "label": label,
        }
        if row is None:
            out.append(
                base
                | {
                    "null_value": _null(name, ""),
                    "n": None,
                    "rating": "Insufficient data",
                    "rule": "Insufficient data: not computed from these data",
                }
            )
            continue
        null = _null(name, str(row["unit"]))
        rule = _apply(plan.rules, _conditions(row, spec, null))
        out.append(
            base | _numbers(row) | {"null_value": null, "rating": rule.rating, "rule": rule.text}
        )
    named = {(name, spec.group) for name, spec in plan.indicators.items()}
    for row in index.values():
        name = row["indicator"]
        if (name, row["group"]) in named or name not in EFFECT_INDICATORS:
            continue
        effect = EFFECT_INDICATORS[name]
        spec = IndicatorSpec(name, str(row["outcome"]), effect.direction, False, 1, row["group"])
        rule = _apply(plan.rules, _conditions(row, spec, effect.null))
        out.append(
            {
                "outcome": spec.outcome,
                "indicator": name,
                "group": row["group"],
                "prespecified": False,
                "primary": False,
                "expected_direction": effect.direction,
                "null_value": effect.null,
                "min_n": 1,
                "label": "exploratory",
                "rating": rule.rating,
                "rule": rule.text,
            }
            | _numbers(row)
        )
    frame = pd.DataFrame(out, columns=list(PROMISE_COLUMNS))
    frame["n"] = pd.array([None if pd.isna(v) else int(v) for v in frame["n"]], dtype="Int64")
    for col in ("null_value", "estimate", "ci_low", "ci_high", "p_value"):
        frame[col] = pd.to_numeric(frame[col]).astype("float64")
    for col in ("prespecified", "primary"):
        frame[col] = frame[col].astype(bool)
    return frame


def _numbers(row: Mapping[str, Any]) -> dict[str, Any]:
    return {k: row[k] for k in ("n", "estimate", "ci_low", "ci_high", "p_value")}


def _rag(value: float, criterion: Criterion) -> str:
    if value >= criterion.green:
        return "green"
    if value >= criterion.amber:
        return "amber"
    return "red"


def progression_criteria(
    indicators: pd.DataFrame,
    promise: pd.DataFrame,
    plan: AnalysisPlan | None = None,
) -> pd.DataFrame:
    """Red/amber/green for each progression criterion of the plan.

    Parameters
    ----------
    indicators
        The indicator table; each criterion reads the indicator named in
        :data:`PROGRESSION_INDICATORS` (group ``all``).
    promise
        The ratings from :func:`rate_indicators`; the primary outcome
        criterion reads the rating of ``plan.primary_indicator``.
    plan
        The analysis plan (thresholds, primary indicator). Default: defaults.

    Returns
    -------
    pandas.DataFrame
        One row per criterion: ``criterion``, ``description``, ``indicator``
        (where the value comes from), ``n``, ``value`` (a share, or the
        rating for the primary outcome), ``green`` and ``amber`` (the
        thresholds; text for the primary outcome), ``rag`` (``green``,
        ``amber``, ``red`` or ``not assessed``) and ``rule`` (in words).

    Notes
    -----
    Green when the value is at least the green threshold, amber when at
    least the amber one, red otherwise. A criterion whose indicator is
    missing or has no estimate is "not assessed" (recruitment without a
    target, for example). The primary outcome is green when its rating is
    ``primary_outcome_at_least`` or better (in the order Evidence of promise,
    Indicative, No evidence of change, Change in the unexpected direction,
    Insufficient data), red for a change in the unexpected direction and
    amber otherwise.
    """
    plan = plan or AnalysisPlan()
    rows: list[dict[str, Any]] = []
    ind = indicators[indicators["group"] == "all"].set_index("indicator")
    for name, criterion in plan.progression.items():
        source = PROGRESSION_INDICATORS[name]
        value = float(ind.at[source, "estimate"]) if source in ind.index else math.nan
        n = ind.at[source, "n"] if source in ind.index else None
        assessed = math.isfinite(value)
        rows.append(
            {
                "criterion": name,
                "description": criterion.description,
                "indicator": source,
                "n": n,
                "value": value if assessed else None,
                "green": f">= {criterion.green:.0%}",
                "amber": f">= {criterion.amber:.0%}",
                "rag": _rag(value, criterion) if assessed else "not assessed",
                "rule": (
                    f"green at {criterion.green:.0%} or more, amber at {criterion.amber:.0%} "
                    f"or more, red below"
                    + ("" if assessed else f"; not assessed: {source} was not computed")
                ),
            }
        )
    primary = promise[(promise["indicator"] == plan.primary_indicator) & promise["prespecified"]]
    rating = primary["rating"].iloc[0] if len(primary) else "Insufficient data"
    floor = plan.primary_outcome_at_least
    if floor in _RATING_ORDER and rating in _RATING_ORDER:
        good = _RATING_ORDER.index(rating) <= _RATING_ORDER.index(floor)
    else:
        good = rating == floor
    if good:
        rag = "green"
    elif rating == "Change in the unexpected direction":
        rag = "red"
    else:
        rag = "amber"
    rows.append(
        {
            "criterion": "primary_outcome",
            "description": f"evidence of promise of the primary indicator {plan.primary_indicator}",
            "indicator": plan.primary_indicator,
            "n": primary["n"].iloc[0] if len(primary) else None,
            "value": rating,
            "green": f"{floor} or better",
            "amber": "otherwise",
            "rag": rag,
            "rule": f"green when rated {floor} or better, red for a change in the unexpected "
            "direction, amber otherwise",
        }
    )
    frame = pd.DataFrame(rows)
    frame["n"] = pd.array([None if pd.isna(v) else int(v) for v in frame["n"]], dtype="Int64")
    frame["value"] = frame["value"].astype(object)
    return frame


def trial_design(
    *,
    sd: float,
    correlation: float | None = None,
    effect_size: float = 0.3,
    attrition: float = 0.0,
    icc: float = 0.05,
    families_per_la: int = 30,
    trial_las: tuple[int, ...] = (10, 20, 40),
    alpha: float = 0.05,
    power: float = 0.8,
) -> pd.DataFrame:
    """The sample size a future trial needs, and the effect it could detect with k LAs.

    Parameters
    ----------
    sd
        The pilot's standard deviation of the primary outcome at baseline.
    correlation
        The pilot's pre-post correlation; an ANCOVA analysis adjusting for
        baseline reduces the SD to ``sd * sqrt(1 - r^2)``. None: no adjustment.
    effect_size
        The standardised difference (Cohen's d) to detect.
    attrition
        Share of recruited families expected to be lost before follow-up.
    icc, families_per_la
        Intra-cluster correlation and families per LA of a cluster trial.
    trial_las
        Numbers of LAs (both arms) for which the minimum detectable effect is given.
    alpha, power
        Significance level (two-sided) and power.

    Returns
    -------
    pandas.DataFrame
        One row per quantity: ``design`` (``individual``, ``cluster`` or
        ``cluster_mde``), ``quantity``, ``las`` (for the MDE rows), ``value``,
        ``unit`` and ``assumptions`` (JSON text of every input). The
        ``individual`` and ``cluster`` rows are the terms of
        :func:`noream_eval.stats.trial_sample_size` (``n_per_arm``,
        ``n_total``, ``design_effect``, ``clusters_total``, ...); the
        ``cluster_mde`` rows give, for each number of LAs, the minimum
        detectable difference of :func:`noream_eval.stats.minimum_detectable_effect`
        in outcome units (``mde_raw``) and in baseline SDs (``mde_standardised``),
        and the families recruited per arm.

    Notes
    -----
    The difference to detect is ``effect_size * sd`` in outcome units; with
    baseline adjustment the SD used is ``sd * sqrt(1 - r^2)`` (Borm, Fransen
    and Lemmens 2007), so the standardised effect on the adjusted scale is
    ``effect_size / sqrt(1 - r^2)``. The cluster design inflates by
    1 + (m - 1) ICC with m = ``families_per_la``.

    References
    ----------
    Borm GF, Fransen J, Lemmens WA (2007). A simple sample size formula for
    analysis of covariance in randomized clinical trials. J Clin Epidemiol 60:1234-8.
    """
    from noream_eval.stats import minimum_detectable_effect, trial_sample_size

    adj = math.sqrt(1 - correlation**2) if correlation is not None else 1.0
    sd_used = sd * adj
    diff = effect_size * sd
    assumptions = params_json(
        {
            "sd": sd,
            "correlation": correlation,
            "sd_adjusted": sd_used,
            "effect_size": effect_size,
            "difference": diff,
            "attrition": attrition,
            "icc": icc,
            "families_per_la": families_per_la,
            "alpha": alpha,
            "power": power,
        }
    )
    rows: list[dict[str, Any]] = []
    for design, icc_used, m in (("individual", 0.0, 1), ("cluster", icc, families_per_la)):
        t = trial_sample_size(
            effect_size=diff,
            sd=sd_used,
            alpha=alpha,
            power=power,
            icc=icc_used,
            cluster_size=m,
            attrition=attrition,
        ).to_frame()
        for term, value in zip(t["term"], t["estimate"], strict=True):
            if design == "individual" and term.startswith("clusters"):
                continue
            unit = "LAs" if term.startswith("clusters") else "families"
            if term == "design_effect":
                unit = "ratio"
            rows.append(
                {"design": design, "quantity": term, "las": None, "value": value, "unit": unit}
            )
    for las in trial_las:
        t = minimum_detectable_effect(
            n_clusters_per_arm=las / 2,
            cluster_size=families_per_la,
            icc=icc,
            sd=sd_used,
            alpha=alpha,
            power=power,
            attrition=attrition,
        ).to_frame()
        mde = float(t.loc[t["term"] == "mde_raw", "estimate"].iloc[0])
        for quantity, value, unit in (
            ("mde_raw", mde, "outcome units"),
            ("mde_standardised", mde / sd, "baseline SDs"),
            ("n_per_arm", las / 2 * families_per_la, "families"),
        ):
            rows.append(
                {
                    "design": "cluster_mde",
                    "quantity": quantity,
                    "las": las,
                    "value": value,
                    "unit": unit,
                }
            )
    frame = pd.DataFrame(rows)
    frame["las"] = pd.array(frame["las"].tolist(), dtype="Int64")
    frame["value"] = frame["value"].astype("float64")
    frame["assumptions"] = assumptions
    return frame


def _pilot_sd_and_r(
    tables: Mapping[str, pd.DataFrame], measure: str
) -> tuple[float, float | None, int]:
    """Baseline SD and pre-post correlation of parent/carers' scores on ``measure``."""
    change = tables.get("wellbeing_change")
    if change is None or not {"baseline", "followup", "measure"} <= set(change.columns):
        return math.nan, None, 0
    keep = change["measure"] == measure
    if "respondent" in change.columns:
        keep &= change["respondent"] == "parent_carer"
    change = change[keep]
    base = change["baseline"].astype("float64").dropna()
    pairs = change[["baseline", "followup"]].astype("float64").dropna()
    sd = float(base.std(ddof=1)) if len(base) > 1 else math.nan
    r = float(np.corrcoef(pairs["baseline"], pairs["followup"])[0, 1]) if len(pairs) > 2 else None
    return sd, r, len(base)


def compute(
    indicators: pd.DataFrame, tables: Mapping[str, pd.DataFrame], settings: Settings
) -> Part:
    """Evidence of promise, progression criteria and the future trial's size.

    Run by :func:`noream_eval.metrics.compute_all` after every outcome module.

    Returns
    -------
    Part
        Tables ``evidence_of_promise`` (:func:`rate_indicators`),
        ``progression`` (:func:`progression_criteria`) and ``trial_design``
        (:func:`trial_design`, when the pilot gives a baseline SD), and the
        indicators ``trial_n_individual`` and ``trial_las_cluster``.
    """
    plan = settings.plan
    promise = rate_indicators(indicators, plan)
    prog = progression_criteria(indicators, promise, plan)
    tables_out = {"evidence_of_promise": promise, "progression": prog}
    rows: list[dict[str, Any]] = []
    sd, r, n = _pilot_sd_and_r(tables, plan.wellbeing_instrument)
    if math.isfinite(sd) and sd > 0:
        attrition = plan.attrition
        if attrition is None:
            ret = indicators[
                (indicators["indicator"] == "retention_followup") & (indicators["group"] == "all")
            ]
            attrition = 1 - float(ret["estimate"].iloc[0]) if len(ret) else 0.0
            attrition = min(max(attrition, 0.0), 0.95) if math.isfinite(attrition) else 0.0
        design = trial_design(
            sd=sd,
            correlation=r,
            attrition=attrition,
            icc=plan.icc,
            families_per_la=plan.families_per_la,
            trial_las=plan.trial_las,
            alpha=plan.alpha,
            power=plan.power,
            effect_size=plan.trial_effect_size,
        )
        tables_out["trial_design"] = design
        params = {
            "sd": sd,
            "correlation": r,
            "attrition": attrition,
            "icc": plan.icc,
            "families_per_la": plan.families_per_la,
            "effect_size": plan.trial_effect_size,
            "alpha": plan.alpha,
            "power": plan.power,
        }
        get = design.set_index(["design", "quantity"])["value"]
        rows.append(
            indicator(
                "feasibility",
                "trial_n_individual",
                n=n,
                estimate=get[("individual", "n_total")],
                method="two-sample t-test, ANCOVA-adjusted SD from the pilot, attrition allowed",
                unit="families to recruit (both arms)",
                params=params,
            )
        )
        rows.append(
            indicator(
                "feasibility",
                "trial_las_cluster",
                n=n,
                estimate=get[("cluster", "clusters_total")],
                method="cluster randomised by LA: design effect 1 + (m - 1) ICC",
                unit="LAs (both arms)",
                params=params,
            )
        )
    return Part(indicators=rows, tables=tables_out)
