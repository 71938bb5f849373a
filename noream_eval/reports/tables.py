"""The published tables: which results are published, how they are laid out, how protected.

Each :class:`TableDef` turns one or more tables of a
:class:`~noream_eval.metrics.Results` into a table fit for a report: only
aggregate rows (no table of one row per person or family is ever published),
plain-English column labels, a number format per column and the
:class:`~noream_eval.reports.disclosure.TableSpec` that tells disclosure control
which columns are counts, which values rest on which counts and which cells add
up to which totals. :func:`build_tables` builds them all; nothing here
suppresses or renders.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "SECTIONS",
    "TABLES",
    "VALUE_LABELS",
    "TableDef",
    "build_tables",
    "humanise",
    "rejects_by_reason",
    "section_tables",
    "share_counts",
]

#: Report sections that hold tables, in order: key -> heading.
SECTIONS: dict[str, str] = {
    "flow": "Participant flow and recruitment",
    "o1": "Outcome 1: re-referrals to children's social care",
    "o2": "Outcome 2: escalation to section 17 support",
    "o3": "Outcome 3: family wellbeing and circumstances",
    "o4": "Outcome 4: the model of practice",
    "o5": "Outcome 5: multi-agency working",
    "o6": "Outcome 6: coordination across council directorates",
    "promise": "Evidence of promise",
    "trial": "Readiness for a trial",
    "costs": "Resource use and costs",
    "quality": "Data quality",
    "appendix": "Appendix: every indicator and supporting series",
}

Builder = Callable[[Any], pd.DataFrame]


@dataclass(frozen=True)
class TableDef:
    """One published table.

    Attributes
    ----------
    name
        File and sheet name (snake_case).
    title
        Caption.
    section
        Key of :data:`SECTIONS`.
    columns
        Published columns, in order: name -> (label, kind). Kinds are those
        of :mod:`noream_eval.reports.document` (text, count, integer, share,
        number1, number2, number3, gbp, date, p_value, rag), plus ``code``: a
        snake_case code kept as data and shown in words (:func:`humanise`).
    build
        Callable taking the results and returning the table (before
        disclosure control), with at least the published columns.
    spec
        Keyword arguments of :class:`~noream_eval.reports.disclosure.TableSpec`.
    source
        Where the numbers come from, for the caption.
    in_report
        False for long supporting series published only in ``tables/`` and
        the workbook (the figures draw them).
    requires
        Results tables the build needs; a table is skipped when one is absent.
    extra
        Columns kept in the published data but not shown in the report's
        table (codes the figures group by); never counts.
    """

    name: str
    title: str
    section: str
    columns: Mapping[str, tuple[str, str]]
    build: Builder
    spec: Mapping[str, Any] = field(default_factory=dict)
    source: str = ""
    in_report: bool = True
    requires: tuple[str, ...] = ()
    extra: tuple[str, ...] = ()

    def kinds(self) -> dict[str, str]:
        """Column -> number format kind."""
        return {c: k for c, (_, k) in self.columns.items()}

    def labels(self) -> dict[str, str]:
        """Column -> plain-English header."""
        return {c: label for c, (label, _) in self.columns.items()}


def _table(name: str) -> Builder:
    """A results table as it is (:func:`build_tables` keeps the published columns)."""

    def build(results: Any) -> pd.DataFrame:
        return results[name].reset_index(drop=True)

    return build


def humanise(s: pd.Series) -> pd.Series:
    """Codes in words: the labels of :data:`VALUE_LABELS`, else 'not_eligible' -> 'Not eligible'.

    Examples
    --------
    >>> humanise(pd.Series(["not_eligible", "followup_due", None])).tolist()
    ['Not eligible', 'Follow-up due by the data cut', <NA>]
    """
    text = s.astype("string")
    mapped = text.map(VALUE_LABELS.get).astype("string")
    words = text.str.replace("_", " ", regex=False)
    words = words.str[:1].str.upper() + words.str[1:]
    return mapped.fillna(words)


def _with_total(table: pd.DataFrame, label_col: str, counts: list[str], *, label: str = "Total"):
    total = {label_col: label, **{c: table[c].sum() for c in counts}}
    return pd.concat([table, pd.DataFrame([total])], ignore_index=True)


# -- participant flow and recruitment ---------------------------------------------------------

VALUE_LABELS: dict[str, str] = {}  # filled below: code -> words

_STAGES = {
    "referred": "Referred during the programme",
    "eligibility_assessed": "Eligibility assessed",
    "eligible": "Eligible",
    "offered": "Offered NOREAM",
    "enrolled": "Enrolled",
    "baseline_wellbeing": "Baseline wellbeing measure",
    "baseline_domains": "Baseline domain assessment",
    "baseline_either": "Either baseline measure",
    "followup_due": "Follow-up due by the data cut",
    "followup_completed": "Follow-up completed",
}


def _flow(results: Any) -> pd.DataFrame:
    t = results["participant_flow"].reset_index(drop=True)
    out = pd.DataFrame(
        {
            "order": t["order"].astype("int64"),
            "stage": t["stage"].astype("string"),
            "previous": t["previous"].astype("string"),
            "n": t["n"].astype("Int64"),
            "share_of_previous": t["share_of_previous"],
            "ci_low": t["ci_low"],
            "ci_high": t["ci_high"],
            "share_of_referred": t["share_of_referred"],
        }
    )
    return out


def _reasons(results: Any) -> pd.DataFrame:
    t = results["not_enrolled_reasons"].reset_index(drop=True)
    out = pd.DataFrame({"reason": t["reason"], "n": t["n"].astype("int64")})
    out = _with_total(out, "reason", ["n"])
    total = out["n"].iloc[-1]
    out["share"] = out["n"] / total if total else np.nan
    return out


def _recruitment(results: Any) -> pd.DataFrame:
    t = results["recruitment_monthly"].reset_index(drop=True)
    out = pd.DataFrame(
        {
            "month": t["month"].astype("string"),
            "enrolled": t["enrolled"].astype("int64"),
            "target": t["target"].astype("float64"),
        }
    )
    return _with_total(out, "month", ["enrolled", "target"])


def _fidelity(results: Any) -> pd.DataFrame:
    t = results["fidelity"].reset_index(drop=True)
    return pd.DataFrame(
        {
            "indicator": t["indicator"].astype("string"),
            "numerator": t["numerator"].astype("Int64"),
            "denominator": t["denominator"].astype("Int64"),
            "share": t["share"],
            "ci_low": t["ci_low"],
            "ci_high": t["ci_high"],
            "definition": t["definition"].astype("string"),
        }
    )


# -- outcome 1 --------------------------------------------------------------------------------


VALUE_LABELS.update(_STAGES)
VALUE_LABELS.update({"noream": "NOREAM", "snac": "SNAC", "its": "ITS"})


def _financial_year(month: pd.Series) -> pd.Series:
    m = pd.to_datetime(month)
    start = m.dt.year - (m.dt.month < 4)
    return start.astype(str) + "-" + ((start + 1) % 100).astype(str).str.zfill(2)


def _referrals_by_year(results: Any) -> pd.DataFrame:
    t = results["monthly_referrals"]
    t = t[t["cohort"] != "all"]
    g = (
        t.assign(year=_financial_year(t["month"]))
        .groupby(["year", "cohort"], sort=True)[["referrals", "rereferrals", "history_incomplete"]]
        .sum()
        .reset_index()
    )
    known = g["referrals"] - g["history_incomplete"]
    g["rereferral_share"] = np.where(known > 0, g["rereferrals"] / known.where(known > 0), np.nan)
    g["history_known"] = known.astype("int64")
    g["cohort"] = g["cohort"]
    return g[
        [
            "year",
            "cohort",
            "referrals",
            "history_incomplete",
            "history_known",
            "rereferrals",
            "rereferral_share",
        ]
    ]


def _its_terms(results: Any) -> pd.DataFrame:
    t = results["its_referrals"].reset_index(drop=True)
    return pd.DataFrame(
        {
            "term": t["term"],
            "estimate": t["estimate"],
            "ci_low": t["ci_low"],
            "ci_high": t["ci_high"],
            "p_value": t["p_value"],
            "n": t["n"].astype("Int64"),
        }
    )


# -- indicators -------------------------------------------------------------------------------


def share_counts(estimate: Any, n: Any, unit: Any) -> tuple[pd.Series, pd.Series]:
    """The people (or families, referrals) with and without the outcome behind a share.

    A share of ``n`` units that is a whole number of them (a plain proportion,
    not a Kaplan-Meier estimate) gives its count away: 1/52 = 0.019. Publishing
    that count and its complement as counts lets disclosure control suppress
    them, and the share with them, when either is small.

    Parameters
    ----------
    estimate, n, unit
        Columns of the indicators table.

    Returns
    -------
    tuple of pandas.Series
        ``with_outcome`` and ``without_outcome`` (Int64; NA where the estimate
        is not a share of whole units).

    Examples
    --------
    >>> w, wo = share_counts(pd.Series([1 / 52, 0.5, 1.2]), pd.Series([52, 7, 40]),
    ...                      pd.Series(["share of people", "share of families", "ratio"]))
    >>> w.tolist(), wo.tolist()
    ([1, <NA>, <NA>], [51, <NA>, <NA>])
    """
    est = pd.to_numeric(pd.Series(estimate), errors="coerce").to_numpy(dtype="float64")
    units = pd.to_numeric(pd.Series(n), errors="coerce").to_numpy(dtype="float64")
    text = pd.Series(unit).astype("string").fillna("").str.lower().to_numpy(dtype=object)
    is_share = np.array([t.startswith("share") or t.startswith("1 = ") for t in text], dtype=bool)
    count = est * units
    whole = np.isfinite(count) & (np.abs(count - np.round(count)) < 1e-6 * np.maximum(units, 1))
    keep = is_share & whole & (est >= 0) & (est <= 1)
    with_ = pd.array(np.where(keep, np.round(count), np.nan), dtype="Float64").astype("Int64")
    without = pd.array(np.where(keep, units - np.round(count), np.nan), dtype="Float64").astype(
        "Int64"
    )
    return pd.Series(with_), pd.Series(without)


def _indicators_for(outcome: str | None) -> Builder:
    def build(results: Any) -> pd.DataFrame:
        t = results.indicators if hasattr(results, "indicators") else results["indicators"]
        if outcome is not None:
            t = t[t["outcome"] == outcome]
        t = t.reset_index(drop=True)
        with_, without = share_counts(t["estimate"], t["n"], t["unit"])
        return pd.DataFrame(
            {
                "outcome": t["outcome"].astype("string"),
                "indicator": t["indicator"].astype("string"),
                "group": t["group"].astype("string"),
                "n": t["n"].astype("Int64"),
                "with_outcome": with_,
                "without_outcome": without,
                "estimate": t["estimate"],
                "ci_low": t["ci_low"],
                "ci_high": t["ci_high"],
                "p_value": t["p_value"],
                "unit": t["unit"].astype("string"),
                "prespecified": np.where(t["prespecified"], "pre-specified", "exploratory"),
                "method": t["method"].astype("string"),
            }
        ).reset_index(drop=True)

    return build


_INDICATOR_COLUMNS = {
    "indicator": ("Indicator", "text"),
    "group": ("Group", "text"),
    "n": ("n", "count"),
    "with_outcome": ("With the outcome (shares)", "count"),
    "without_outcome": ("Without", "count"),
    "estimate": ("Estimate", "number3"),
    "ci_low": ("95% CI low", "number3"),
    "ci_high": ("95% CI high", "number3"),
    "p_value": ("p", "p_value"),
    "unit": ("Unit", "text"),
    "prespecified": ("Analysis", "text"),
}
_SHARE_PARTS = ("with_outcome", "without_outcome")
_INDICATOR_SPEC: dict[str, Any] = {
    "counts": ("n", *_SHARE_PARTS),
    "row_totals": (("n", _SHARE_PARTS),),
    "bases": {"estimate": "n", "ci_low": "n", "ci_high": "n", "p_value": "n"},
    "rests_on": {c: _SHARE_PARTS for c in ("estimate", "ci_low", "ci_high", "p_value")},
}


# -- outcome 2 --------------------------------------------------------------------------------


def _at_risk(results: Any) -> pd.DataFrame:
    t = results["s17_escalation_at_risk"].reset_index(drop=True)
    return pd.DataFrame(
        {
            "cohort": t["cohort"],
            "months": t["months"].astype("int64"),
            "n_at_risk": t["n_at_risk"].astype("int64"),
        }
    )


def _s17_spend(results: Any) -> pd.DataFrame:
    spend = results["s17_spend_monthly"].reset_index(drop=True)
    load = results["s17_caseload"]
    months = pd.to_datetime(load["month_end"]).dt.strftime("%Y-%m")
    families = pd.DataFrame(
        {
            "month": months.astype("string"),
            "cohort": load["cohort"].astype("string"),
            "families_on_s17": load["families_on_s17"].astype("int64"),
        }
    )
    spend = spend.astype({"month": "string", "cohort": "string"})
    out = spend.merge(families, on=["month", "cohort"], how="left")
    out["families_on_s17"] = out["families_on_s17"].astype("Int64")
    return out[
        [
            "month",
            "cohort",
            "families_on_s17",
            "accommodation",
            "subsistence",
            "other",
            "refunds",
            "net",
        ]
    ]


# -- outcome 3 --------------------------------------------------------------------------------


def _reliable(results: Any) -> pd.DataFrame:
    t = results["wellbeing_reliable_change"].reset_index(drop=True)
    rows = []
    for respondent, g in t.groupby("respondent", sort=False):
        for r in g.itertuples():
            rows.append(
                {
                    "measure": r.measure,
                    "respondent": respondent,
                    "category": r.category,
                    "n": int(r.n),
                    "share": r.share,
                    "ci_low": r.ci_low,
                    "ci_high": r.ci_high,
                }
            )
        rows.append(
            {
                "measure": g["measure"].iloc[0],
                "respondent": respondent,
                "category": "total",
                "n": int(g["n"].sum()),
                "share": np.nan,
                "ci_low": np.nan,
                "ci_high": np.nan,
            }
        )
    out = pd.DataFrame(rows)
    out["respondent"] = out["respondent"]
    out["category"] = out["category"]
    return out


def _attrition(results: Any) -> pd.DataFrame:
    """Categorical characteristics, each with a total row (the people compared)."""
    t = results["wellbeing_attrition"].reset_index(drop=True)
    people = t[t["characteristic"] == "people"]
    t = t[(t["characteristic"] != "people") & t["completers_sd"].isna()]
    rows = []
    for characteristic, g in t.groupby("characteristic", sort=False):
        for r in g.itertuples():
            rows.append(
                {
                    "characteristic": characteristic,
                    "level": r.level,
                    "completers": int(r.completers),
                    "non_completers": int(r.non_completers),
                    "completers_value": r.completers_value,
                    "non_completers_value": r.non_completers_value,
                    "p_value": r.p_value,
                }
            )
        if len(people):
            rows.append(
                {
                    "characteristic": characteristic,
                    "level": "Total",
                    "completers": int(people["completers"].iloc[0]),
                    "non_completers": int(people["non_completers"].iloc[0]),
                    "completers_value": np.nan,
                    "non_completers_value": np.nan,
                    "p_value": np.nan,
                }
            )
    cols = ["characteristic", "level", "completers", "non_completers", "completers_value",
            "non_completers_value", "p_value"]  # fmt: skip
    out = pd.DataFrame(rows, columns=cols)
    return out.astype({"characteristic": "string", "level": "string"})


def _attrition_means(results: Any) -> pd.DataFrame:
    """Numeric characteristics: means and SDs of people with and without a follow-up."""
    t = results["wellbeing_attrition"].reset_index(drop=True)
    t = t[(t["characteristic"] != "people") & t["completers_sd"].notna()]
    return pd.DataFrame(
        {
            "characteristic": t["characteristic"].astype("string"),
            "completers": t["completers"].astype("int64"),
            "completers_value": t["completers_value"],
            "completers_sd": t["completers_sd"],
            "non_completers": t["non_completers"].astype("int64"),
            "non_completers_value": t["non_completers_value"],
            "non_completers_sd": t["non_completers_sd"],
            "p_value": t["p_value"],
        }
    ).reset_index(drop=True)


def _wellbeing_completeness(results: Any) -> pd.DataFrame:
    t = results["wellbeing_completeness"].reset_index(drop=True)
    return pd.DataFrame(
        {
            "respondent": t["respondent"],
            "timepoint": t["timepoint"],
            "completions": t["completions"].astype("int64"),
            "complete": t["complete"].astype("int64"),
            "incomplete": t["incomplete"].astype("int64"),
            "share_complete": t["share_complete"],
        }
    )


# -- outcomes 4 to 6 --------------------------------------------------------------------------


def _staff_table(name: str, title: str, section: str) -> TableDef:
    """A staff-survey scale by time point: respondents, linked pairs, mean and SD."""
    return TableDef(
        name,
        title,
        section,
        {
            "scale": ("Scale", "code"),
            "timepoint": ("Time point", "code"),
            "respondents": ("Respondents", "count"),
            "linked": ("Linked at both", "count"),
            "mean": ("Mean", "number2"),
            "sd": ("SD", "number2"),
            "ci_low": ("95% CI low", "number2"),
            "ci_high": ("95% CI high", "number2"),
        },
        _table(name),
        {
            "counts": ("respondents", "linked"),
            "bases": {c: "respondents" for c in ("mean", "sd", "ci_low", "ci_high")},
        },
        "staff survey",
        requires=(name,),
    )


# -- promise, trial, costs, quality ---------------------------------------------------------


def _promise(results: Any) -> pd.DataFrame:
    t = results["evidence_of_promise"].reset_index(drop=True)
    return pd.DataFrame(
        {
            "outcome": t["outcome"].astype("string"),
            "indicator": t["indicator"].astype("string"),
            "group": t["group"].astype("string"),
            "prespecified": t["prespecified"].astype(bool),
            "primary": t["primary"].astype(bool),
            "null_value": t["null_value"].astype("float64"),
            "label": t["label"].astype("string"),
            "expected_direction": t["expected_direction"].astype("string"),
            "n": t["n"].astype("Int64"),
            "min_n": t["min_n"].astype("Int64"),
            "estimate": t["estimate"],
            "ci_low": t["ci_low"],
            "ci_high": t["ci_high"],
            "rating": t["rating"].astype("string"),
            "rule": t["rule"].astype("string"),
        }
    )


def _progression(results: Any) -> pd.DataFrame:
    t = results["progression"].reset_index(drop=True)
    return pd.DataFrame(
        {
            "criterion": t["criterion"],
            "description": t["description"].astype("string"),
            "value": t["value"],
            "rating": t["rating"].astype("string"),
            "green": t["green"].astype("string"),
            "amber": t["amber"].astype("string"),
            "rag": t["rag"].astype("string"),
        }
    )


_TRIAL_QUANTITIES = {
    "n_per_arm_individual": "Families per arm, before clustering and attrition",
    "design_effect": "Design effect",
    "n_per_arm_analysed": "Families per arm analysed",
    "n_per_arm": "Families to recruit per arm",
    "n_total": "Families to recruit in all",
    "las_per_arm": "LAs per arm",
    "las_total": "LAs in all",
    "mde": "Minimum detectable effect (standardised)",
}


def _trial(results: Any) -> pd.DataFrame:
    t = results["trial_design"].reset_index(drop=True)
    return pd.DataFrame(
        {
            "design": t["design"],
            "quantity": t["quantity"].astype("string"),
            "las": t["las"].astype("Int64"),
            "value": t["value"],
            "unit": t["unit"].astype("string"),
            "assumptions": t["assumptions"].astype("string"),
        }
    )


VALUE_LABELS.update(_TRIAL_QUANTITIES)


_ROW_NUMBER = re.compile(r"\b(row|rows|line)\s+\d+")


def _reason_class(reason: str) -> str:
    text = _ROW_NUMBER.sub(r"\1 N", str(reason))
    return re.sub(r"\d+", "N", text)


def _completeness(results: Any) -> pd.DataFrame:
    t = results["data_completeness"].reset_index(drop=True)
    out = t[["table", "field", "timepoint", "population", "n_rows", "n_present"]].copy()
    out["n_missing"] = (out["n_rows"] - out["n_present"]).astype("int64")
    out["share_present"] = t["share_present"]
    return out


# -- the registry -----------------------------------------------------------------------------

_SHARE_CI = {"share": ("n",), "ci_low": ("n",), "ci_high": ("n",)}

TABLES: tuple[TableDef, ...] = (
    TableDef(
        "participant_flow",
        "Participant flow: families referred during the programme, stage by stage",
        "flow",
        {
            "stage": ("Stage", "code"),
            "previous": ("Previous stage", "code"),
            "n": ("Families", "count"),
            "share_of_previous": ("Share of the previous stage", "share"),
            "ci_low": ("95% CI low", "share"),
            "ci_high": ("95% CI high", "share"),
            "share_of_referred": ("Share of families referred", "share"),
        },
        _flow,
        {
            "counts": ("n",),
            "rests_on": {
                "share_of_previous": ("n",),
                "ci_low": ("n",),
                "ci_high": ("n",),
                "share_of_referred": ("n",),
            },
            "funnel": ("n", "order"),
            "funnel_previous": ("stage", "previous"),
            "rests_on_previous": {
                "share_of_previous": ("n",),
                "ci_low": ("n",),
                "ci_high": ("n",),
            },
            "rests_on_first": {"share_of_referred": ("n",)},
        },
        "families table (eligibility, offer, enrolment dates); wellbeing and domain measures",
        requires=("participant_flow",),
        extra=("order",),
    ),
    TableDef(
        "not_enrolled_reasons",
        "Families referred during the programme who did not enrol, by reason",
        "flow",
        {"reason": ("Reason", "code"), "n": ("Families", "count"), "share": ("Share", "share")},
        _reasons,
        {
            "counts": ("n",),
            "rests_on": {"share": ("n",)},
            "column_totals": (("reason", "Total", None),),
        },
        "families table (not_enrolled_reason)",
        requires=("not_enrolled_reasons",),
    ),
    TableDef(
        "recruitment_monthly",
        "Families enrolled each month against the recruitment target",
        "flow",
        {
            "month": ("Month", "text"),
            "enrolled": ("Enrolled", "count"),
            "target": ("Target", "number1"),
        },
        _recruitment,
        {"counts": ("enrolled",), "column_totals": (("month", "Total", None),)},
        "families table (enrolled_date); analysis plan recruitment target",
        requires=("recruitment_monthly",),
    ),
    TableDef(
        "fidelity",
        "Fidelity to the model of practice",
        "o4",
        {
            "indicator": ("Fidelity indicator", "code"),
            "numerator": ("Met", "count"),
            "denominator": ("Families", "count"),
            "share": ("Share met", "share"),
            "ci_low": ("95% CI low", "share"),
            "ci_high": ("95% CI high", "share"),
            "definition": ("Definition", "text"),
        },
        _fidelity,
        {
            "counts": ("numerator", "denominator"),
            "bases": {"share": "denominator", "ci_low": "denominator", "ci_high": "denominator"},
            "rests_on": {
                "share": ("numerator",),
                "ci_low": ("numerator",),
                "ci_high": ("numerator",),
            },
        },
        "families, contacts, domain assessments and meetings tables",
        requires=("fidelity",),
    ),
    TableDef(
        "indicators_outcome_1",
        "Outcome 1 indicators: re-referrals",
        "o1",
        _INDICATOR_COLUMNS,
        _indicators_for("1"),
        _INDICATOR_SPEC,
        "referrals table",
    ),
    TableDef(
        "referrals_by_year",
        "Referrals and re-referrals within 12 months, by financial year and cohort",
        "o1",
        {
            "year": ("Financial year", "text"),
            "cohort": ("Cohort", "code"),
            "referrals": ("Referrals", "count"),
            "history_incomplete": ("Earlier history unknown", "count"),
            "history_known": ("Earlier history known", "count"),
            "rereferrals": ("Re-referrals", "count"),
            "rereferral_share": ("Share re-referred", "share"),
        },
        _referrals_by_year,
        {
            "counts": ("referrals", "history_incomplete", "history_known", "rereferrals"),
            "row_totals": (("referrals", ("history_incomplete", "history_known")),),
            "bases": {"rereferral_share": "history_known"},
            "rests_on": {"rereferral_share": ("rereferrals",)},
        },
        "referrals table; re-referral within 365 days of an earlier referral",
        requires=("monthly_referrals",),
    ),
    TableDef(
        "its_referrals",
        "Interrupted time series of monthly referrals: programme effects (rate ratios)",
        "o1",
        {
            "term": ("Term", "code"),
            "estimate": ("Rate ratio", "number3"),
            "ci_low": ("95% CI low", "number3"),
            "ci_high": ("95% CI high", "number3"),
            "p_value": ("p", "p_value"),
            "n": ("Months", "integer"),
        },
        _its_terms,
        {},
        "referrals table, monthly counts",
        requires=("its_referrals",),
    ),
    TableDef(
        "its_referrals_counterfactual",
        "Monthly referrals with the fitted series and the counterfactual without the programme",
        "o1",
        {
            "month": ("Month", "date"),
            "observed": ("Referrals", "count"),
            "fitted": ("Fitted", "number1"),
            "counterfactual": ("Counterfactual", "number1"),
            "counterfactual_ci_low": ("Counterfactual 95% CI low", "number1"),
            "counterfactual_ci_high": ("Counterfactual 95% CI high", "number1"),
        },
        _table("its_referrals_counterfactual"),
        {"counts": ("observed",)},
        "referrals table, monthly counts",
        in_report=False,
        requires=("its_referrals_counterfactual",),
        extra=("post",),
    ),
    TableDef(
        "monthly_referrals",
        "Referrals and re-referrals by month and cohort",
        "o1",
        {
            "month": ("Month", "date"),
            "cohort": ("Cohort", "code"),
            "referrals": ("Referrals", "count"),
            "rereferrals": ("Re-referrals", "count"),
            "history_incomplete": ("Earlier history unknown", "count"),
            "rate": ("Share re-referred", "share"),
        },
        _table("monthly_referrals"),
        {
            "counts": ("referrals", "rereferrals", "history_incomplete"),
            "bases": {"rate": "referrals"},
            "rests_on": {"rate": ("rereferrals", "history_incomplete")},
        },
        "referrals table",
        in_report=False,
        requires=("monthly_referrals",),
    ),
    TableDef(
        "indicators_outcome_2",
        "Outcome 2 indicators: escalation to section 17 support",
        "o2",
        _INDICATOR_COLUMNS,
        _indicators_for("2"),
        _INDICATOR_SPEC,
        "families, referrals and payments tables",
    ),
    TableDef(
        "s17_escalation_at_risk",
        "Families still at risk of escalation to section 17, by months since first contact",
        "o2",
        {
            "cohort": ("Cohort", "code"),
            "months": ("Months since first contact", "integer"),
            "n_at_risk": ("Families at risk", "count"),
        },
        _at_risk,
        {"counts": ("n_at_risk",)},
        "families and payments tables",
        requires=("s17_escalation_at_risk",),
    ),
    TableDef(
        "s17_escalation_km",
        "Kaplan-Meier estimate of remaining without section 17 support, by cohort",
        "o2",
        {
            "cohort": ("Cohort", "code"),
            "time": ("Days since first contact", "number1"),
            "n_at_risk": ("At risk", "count"),
            "survival": ("Without s17 support", "share"),
            "ci_low": ("95% CI low", "share"),
            "ci_high": ("95% CI high", "share"),
        },
        _table("s17_escalation_km"),
        {
            "counts": ("n_at_risk",),
            "bases": {"survival": "n_at_risk", "ci_low": "n_at_risk", "ci_high": "n_at_risk"},
        },
        "families and payments tables",
        in_report=False,
        requires=("s17_escalation_km",),
    ),
    TableDef(
        "s17_caseload",
        "Families on section 17 support at each month end, by cohort",
        "o2",
        {
            "month_end": ("Month end", "date"),
            "cohort": ("Cohort", "code"),
            "families_on_s17": ("Families on s17 support", "count"),
        },
        _table("s17_caseload"),
        {"counts": ("families_on_s17",)},
        "payments table (episodes of support)",
        in_report=False,
        requires=("s17_caseload",),
    ),
    TableDef(
        "s17_spend_monthly",
        "Net section 17 spend by month and cohort (refunds netted)",
        "o2",
        {
            "month": ("Month", "text"),
            "cohort": ("Cohort", "code"),
            "families_on_s17": ("Families on s17 support at month end", "count"),
            "accommodation": ("Accommodation", "gbp"),
            "subsistence": ("Subsistence", "gbp"),
            "other": ("Other", "gbp"),
            "refunds": ("Refunds", "gbp"),
            "net": ("Net spend", "gbp"),
        },
        _s17_spend,
        {
            "counts": ("families_on_s17",),
            "bases": {
                c: "families_on_s17"
                for c in ("accommodation", "subsistence", "other", "refunds", "net")
            },
        },
        "payments table",
        in_report=False,
        requires=("s17_spend_monthly", "s17_caseload"),
    ),
    TableDef(
        "indicators_outcome_3",
        "Outcome 3 indicators: wellbeing and circumstances",
        "o3",
        _INDICATOR_COLUMNS,
        _indicators_for("3"),
        _INDICATOR_SPEC,
        "wellbeing survey and domain assessments",
    ),
    TableDef(
        "wellbeing_reliable_change",
        "Reliable change in SWEMWBS between baseline and follow-up",
        "o3",
        {
            "respondent": ("Respondent", "code"),
            "category": ("Category", "code"),
            "n": ("People", "count"),
            "share": ("Share", "share"),
            "ci_low": ("95% CI low", "share"),
            "ci_high": ("95% CI high", "share"),
        },
        _reliable,
        {
            "counts": ("n",),
            "rests_on": _SHARE_CI,
            "column_totals": (("category", "total", "respondent"),),
        },
        "wellbeing survey (paired baseline and follow-up scores)",
        requires=("wellbeing_reliable_change",),
        extra=("measure",),
    ),
    TableDef(
        "wellbeing_paired_summary",
        "Wellbeing scores of the people with both a baseline and a follow-up score",
        "o3",
        {
            "measure": ("Measure", "code"),
            "respondent": ("Respondent", "code"),
            "timepoint": ("Time point", "code"),
            "n": ("People", "count"),
            "mean": ("Mean", "number2"),
            "sd": ("SD", "number2"),
            "ci_low": ("95% CI low", "number2"),
            "ci_high": ("95% CI high", "number2"),
            "p10": ("10th percentile", "number1"),
            "p25": ("25th percentile", "number1"),
            "median": ("Median", "number1"),
            "p75": ("75th percentile", "number1"),
            "p90": ("90th percentile", "number1"),
        },
        _table("wellbeing_paired_summary"),
        {
            "counts": ("n",),
            "bases": {
                c: "n"
                for c in ("mean", "sd", "ci_low", "ci_high", "p10", "p25", "median", "p75", "p90")
            },
        },
        "wellbeing survey (paired baseline and follow-up scores)",
        requires=("wellbeing_paired_summary",),
    ),
    TableDef(
        "wellbeing_completeness",
        "Wellbeing questionnaires returned and complete, by respondent and time point",
        "o3",
        {
            "respondent": ("Respondent", "code"),
            "timepoint": ("Time point", "code"),
            "completions": ("Returned", "count"),
            "complete": ("Complete", "count"),
            "incomplete": ("Incomplete", "count"),
            "share_complete": ("Share complete", "share"),
        },
        _wellbeing_completeness,
        {
            "counts": ("completions", "complete", "incomplete"),
            "row_totals": (("completions", ("complete", "incomplete")),),
            "bases": {"share_complete": "completions"},
            "rests_on": {"share_complete": ("complete", "incomplete")},
        },
        "wellbeing survey",
        requires=("wellbeing_completeness",),
    ),
    TableDef(
        "wellbeing_attrition",
        "Families with and without a follow-up wellbeing measure, compared at baseline",
        "o3",
        {
            "characteristic": ("Characteristic", "code"),
            "level": ("Level", "text"),
            "completers": ("With follow-up", "count"),
            "non_completers": ("Without follow-up", "count"),
            "completers_value": ("With follow-up: share or mean", "number3"),
            "non_completers_value": ("Without follow-up: share or mean", "number3"),
            "p_value": ("p", "p_value"),
        },
        _attrition,
        {
            "counts": ("completers", "non_completers"),
            "rests_on": {
                "completers_value": ("completers",),
                "non_completers_value": ("non_completers",),
            },
            "column_totals": (("level", "Total", "characteristic"),),
        },
        "wellbeing survey and families table",
        requires=("wellbeing_attrition",),
    ),
    TableDef(
        "wellbeing_attrition_means",
        "People with and without a follow-up wellbeing measure: baseline means",
        "o3",
        {
            "characteristic": ("Characteristic", "code"),
            "completers": ("With follow-up", "count"),
            "completers_value": ("Mean with follow-up", "number2"),
            "completers_sd": ("SD with follow-up", "number2"),
            "non_completers": ("Without follow-up", "count"),
            "non_completers_value": ("Mean without follow-up", "number2"),
            "non_completers_sd": ("SD without follow-up", "number2"),
            "p_value": ("p (Welch t-test)", "p_value"),
        },
        _attrition_means,
        {
            "counts": ("completers", "non_completers"),
            "bases": {
                "completers_value": "completers",
                "completers_sd": "completers",
                "non_completers_value": "non_completers",
                "non_completers_sd": "non_completers",
                "p_value": "non_completers",
            },
        },
        "wellbeing survey and families table",
        requires=("wellbeing_attrition",),
    ),
    TableDef(
        "domain_distance",
        "Distance travelled on the family circumstances domains (1 to 5, latest minus baseline)",
        "o3",
        {
            "domain": ("Domain", "code"),
            "n_families": ("Families", "count"),
            "mean_baseline": ("Mean at baseline", "number2"),
            "mean_latest": ("Mean at latest", "number2"),
            "mean_change": ("Mean change", "number2"),
            "ci_low": ("95% CI low", "number2"),
            "ci_high": ("95% CI high", "number2"),
            "p_value_wilcoxon": ("p (Wilcoxon)", "p_value"),
            "improved": ("Improved", "count"),
            "same": ("Same", "count"),
            "worse": ("Worse", "count"),
            "share_improved": ("Share improved", "share"),
        },
        _table("domain_distance"),
        {
            "counts": ("n_families", "improved", "same", "worse"),
            "row_totals": (("n_families", ("improved", "same", "worse")),),
            "bases": {
                c: "n_families"
                for c in (
                    "mean_baseline",
                    "mean_latest",
                    "mean_change",
                    "ci_low",
                    "ci_high",
                    "p_value_wilcoxon",
                )
            },
            "rests_on": {"share_improved": ("improved",)},
        },
        "domain assessments",
        requires=("domain_distance",),
    ),
    TableDef(
        "indicators_outcome_4",
        "Outcome 4 indicators: the model of practice",
        "o4",
        _INDICATOR_COLUMNS,
        _indicators_for("4"),
        _INDICATOR_SPEC,
        "deliverables, contacts, families and meetings tables",
    ),
    TableDef(
        "deliverables_summary",
        "Deliverables of the model of practice: manual, training, papers and strategies",
        "o4",
        {
            "kind": ("Deliverable", "code"),
            "total": ("Recorded", "count"),
            "planned": ("Planned", "count"),
            "in_progress": ("In progress", "count"),
            "complete": ("Complete", "count"),
            "published": ("Published", "count"),
            "status_unknown": ("Status unknown", "count"),
            "attendees": ("Attendees", "count"),
        },
        _table("deliverables_summary"),
        {
            "counts": (
                "total",
                "planned",
                "in_progress",
                "complete",
                "published",
                "status_unknown",
                "attendees",
            ),
            "row_totals": (
                ("total", ("planned", "in_progress", "complete", "published", "status_unknown")),
            ),
        },
        "deliverables table",
        requires=("deliverables_summary",),
    ),
    TableDef(
        "indicators_outcome_5",
        "Outcome 5 indicators: multi-agency working",
        "o5",
        _INDICATOR_COLUMNS,
        _indicators_for("5"),
        _INDICATOR_SPEC,
        "meetings, meeting cases and staff survey",
    ),
    TableDef(
        "meetings_monthly",
        "SNACs and case consultations by month",
        "o5",
        {
            "month": ("Month", "text"),
            "snacs_planned": ("SNACs planned", "count"),
            "snacs_held": ("SNACs held", "count"),
            "consultations": ("Case consultations", "count"),
            "families_discussed": ("Families discussed", "count"),
            "mean_agencies": ("Mean agencies per meeting", "number1"),
            "mean_directorates": ("Mean directorates per meeting", "number1"),
        },
        _table("meetings_monthly"),
        {
            "counts": ("snacs_planned", "snacs_held", "consultations", "families_discussed"),
            "rests_on": {
                "mean_agencies": ("snacs_held", "consultations"),
                "mean_directorates": ("snacs_held", "consultations"),
            },
        },
        "meetings and meeting cases tables",
        requires=("meetings_monthly",),
    ),
    _staff_table(
        "staff_multi_agency_by_timepoint",
        "Staff survey: multi-agency working scale by time point",
        "o5",
    ),
    TableDef(
        "indicators_outcome_6",
        "Outcome 6 indicators: coordination across directorates",
        "o6",
        _INDICATOR_COLUMNS,
        _indicators_for("6"),
        _INDICATOR_SPEC,
        "meetings and staff survey",
    ),
    TableDef(
        "directorates_by_quarter",
        "Council directorates per meeting, by quarter",
        "o6",
        {
            "quarter": ("Quarter", "text"),
            "meetings": ("Meetings", "count"),
            "snacs": ("SNACs", "count"),
            "consultations": ("Consultations", "count"),
            "meetings_recorded": ("Meetings with attendance recorded", "count"),
            "mean_directorates": ("Mean directorates", "number2"),
            "ci_low": ("95% CI low", "number2"),
            "ci_high": ("95% CI high", "number2"),
        },
        _table("directorates_by_quarter"),
        {
            "counts": ("meetings", "snacs", "consultations", "meetings_recorded"),
            "row_totals": (("meetings", ("snacs", "consultations")),),
            "bases": {c: "meetings_recorded" for c in ("mean_directorates", "ci_low", "ci_high")},
        },
        "meetings table",
        requires=("directorates_by_quarter",),
    ),
    TableDef(
        "consultations_by_directorate",
        "Meetings attended by each council directorate",
        "o6",
        {
            "directorate": ("Directorate", "code"),
            "consultations": ("Consultations", "count"),
            "share_of_consultations": ("Share of consultations", "share"),
            "snacs": ("SNACs", "count"),
            "share_of_snacs": ("Share of SNACs", "share"),
        },
        _table("consultations_by_directorate"),
        {
            "counts": ("consultations", "snacs"),
            "rests_on": {
                "share_of_consultations": ("consultations",),
                "share_of_snacs": ("snacs",),
            },
        },
        "meetings table",
        requires=("consultations_by_directorate",),
    ),
    _staff_table(
        "staff_coordination_by_timepoint", "Staff survey: coordination scale by time point", "o6"
    ),
    TableDef(
        "evidence_of_promise",
        "Evidence of promise: each indicator rated by the pre-specified rules",
        "promise",
        {
            "indicator": ("Indicator", "text"),
            "group": ("Group", "text"),
            "label": ("Analysis", "text"),
            "expected_direction": ("Expected direction", "text"),
            "n": ("n", "count"),
            "min_n": ("Minimum n", "integer"),
            "estimate": ("Estimate", "number3"),
            "ci_low": ("95% CI low", "number3"),
            "ci_high": ("95% CI high", "number3"),
            "rating": ("Rating", "text"),
            "rule": ("Rule applied", "text"),
        },
        _promise,
        {
            "counts": ("n",),
            # a rating or its rule tells on an estimate resting on a small n
            "bases": {c: "n" for c in ("estimate", "ci_low", "ci_high", "rating", "rule")},
        },
        "indicators; analysis plan [indicators] and rules",
        requires=("evidence_of_promise",),
        extra=("outcome", "prespecified", "primary", "null_value"),
    ),
    TableDef(
        "progression",
        "Progression criteria for a future trial (red, amber, green)",
        "trial",
        {
            "criterion": ("Criterion", "code"),
            "description": ("Description", "text"),
            "value": ("Value", "share"),
            "rating": ("Rating", "text"),
            "green": ("Green", "text"),
            "amber": ("Amber", "text"),
            "rag": ("RAG", "rag"),
        },
        _progression,
        {},
        "indicators; analysis plan [progression] thresholds",
        requires=("progression",),
    ),
    TableDef(
        "trial_design",
        "Sample size for a future trial, individually and cluster randomised",
        "trial",
        {
            "design": ("Design", "code"),
            "quantity": ("Quantity", "code"),
            "las": ("LAs", "integer"),
            "value": ("Value", "number2"),
            "unit": ("Unit", "text"),
        },
        _trial,
        {},
        "pilot wellbeing SD and pre-post correlation; analysis plan [trial]",
        requires=("trial_design",),
        extra=("assumptions",),
    ),
    TableDef(
        "programme_costs",
        "Cost of the programme",
        "costs",
        {
            "component": ("Component", "code"),
            "value_gbp": ("Cost", "gbp"),
            "source": ("Source", "text"),
            "note": ("Note", "text"),
        },
        _table("programme_costs"),
        {},
        "payments table; analysis plan [costs]",
        requires=("programme_costs",),
    ),
    TableDef(
        "cost_consequence",
        "Cost-consequence SCENARIO (not an impact estimate)",
        "costs",
        {
            "component": ("Component", "code"),
            "value": ("Value", "number2"),
            "unit": ("Unit", "text"),
            "source": ("Source", "text"),
        },
        _table("cost_consequence"),
        {},
        "escalation estimates, s17 spend, programme costs",
        requires=("cost_consequence",),
    ),
    TableDef(
        "cost_consequence_sensitivity",
        "One-way sensitivity of the cost-consequence scenario's net figure",
        "costs",
        {
            "parameter": ("Parameter", "code"),
            "low_label": ("Low", "text"),
            "high_label": ("High", "text"),
            "net_low": ("Net at low", "gbp"),
            "net_base": ("Net at base", "gbp"),
            "net_high": ("Net at high", "gbp"),
        },
        _table("cost_consequence_sensitivity"),
        {},
        "cost-consequence scenario",
        requires=("cost_consequence_sensitivity",),
    ),
    TableDef(
        "ingest_summary",
        "Raw rows read, kept, rejected and duplicated, by source file",
        "quality",
        {
            "source": ("Source", "text"),
            "file": ("File", "text"),
            "rows_read": ("Rows read", "count"),
            "rows_kept": ("Kept", "count"),
            "rows_rejected": ("Rejected", "count"),
            "duplicates_exact": ("Exact duplicates", "count"),
            "duplicates_near": ("Near duplicates", "count"),
        },
        _table("ingest_report"),
        {
            "counts": (
                "rows_read",
                "rows_kept",
                "rows_rejected",
                "duplicates_exact",
                "duplicates_near",
            ),
            "row_totals": (
                (
                    "rows_read",
                    ("rows_kept", "rows_rejected", "duplicates_exact", "duplicates_near"),
                ),
            ),
        },
        "ingest",
        requires=("ingest_report",),
    ),
    TableDef(
        "rejects_by_reason",
        "Raw rows rejected or set aside, by source and reason",
        "quality",
        {"source": ("Source", "text"), "reason": ("Reason", "code"), "rows": ("Rows", "count")},
        _table("rejects_by_reason"),
        {"counts": ("rows",)},
        "ingest (rejects)",
        requires=("rejects_by_reason",),
    ),
    TableDef(
        "data_completeness",
        "Completeness of each field used, by time point",
        "quality",
        {
            "table": ("Table", "text"),
            "field": ("Field", "text"),
            "timepoint": ("Time point", "code"),
            "population": ("Population", "text"),
            "n_rows": ("Rows", "count"),
            "n_present": ("Present", "count"),
            "n_missing": ("Missing", "count"),
            "share_present": ("Share present", "share"),
        },
        _completeness,
        {
            "counts": ("n_rows", "n_present", "n_missing"),
            "row_totals": (("n_rows", ("n_present", "n_missing")),),
            "bases": {"share_present": "n_rows"},
            "rests_on": {"share_present": ("n_present", "n_missing")},
        },
        "every canonical table",
        requires=("data_completeness",),
    ),
    TableDef(
        "indicators",
        "Every indicator with its 95% CI",
        "appendix",
        {"outcome": ("Outcome", "text"), **_INDICATOR_COLUMNS},
        _indicators_for(None),
        _INDICATOR_SPEC,
        "all sources",
    ),
)


def rejects_by_reason(rejects: pd.DataFrame) -> pd.DataFrame:
    """Rejected and duplicate raw rows counted by source and kind of reason.

    Row numbers inside reasons ("exact duplicate of row 113 of contacts.csv")
    are replaced by N so that reasons of one kind are counted together.

    Parameters
    ----------
    rejects
        The ingest rejects table (``source``, ``reason``).

    Returns
    -------
    pandas.DataFrame
        Columns ``source``, ``reason``, ``rows``.

    Examples
    --------
    >>> r = pd.DataFrame({"source": ["a", "a"], "reason": ["dup of row 3", "dup of row 9"]})
    >>> rejects_by_reason(r)
      source        reason  rows
    0      a  dup of row N     2
    """
    if rejects.empty:
        return pd.DataFrame(
            {
                "source": pd.Series(dtype="string"),
                "reason": pd.Series(dtype="string"),
                "rows": pd.Series(dtype="int64"),
            }
        )
    reason = rejects["reason"].astype("string").fillna("").map(_reason_class)
    out = (
        pd.DataFrame({"source": rejects["source"].astype("string"), "reason": reason})
        .groupby(["source", "reason"], sort=True)
        .size()
        .rename("rows")
        .reset_index()
    )
    return out.astype({"source": "string", "reason": "string", "rows": "int64"})


def build_tables(results: Any) -> dict[str, tuple[TableDef, pd.DataFrame]]:
    """Build every published table that the results support.

    Parameters
    ----------
    results
        A :class:`~noream_eval.metrics.Results` (or any mapping-like object of
        tables); ``ingest_report`` and ``rejects_by_reason`` are read when
        present (the report adds them from ingest).

    Returns
    -------
    dict
        name -> (definition, table before disclosure control), in report order.
    """
    out = {}
    for d in TABLES:
        if any(r not in results for r in d.requires):
            continue
        table = d.build(results)
        missing = [c for c in d.columns if c not in table.columns]
        if missing:
            raise RuntimeError(f"table {d.name} lacks the column(s) {missing}")
        out[d.name] = (d, table[[*d.columns, *d.extra]])
    return out


def section_tables(section: str) -> list[TableDef]:
    """The definitions of one section, in order."""
    return [d for d in TABLES if d.section == section]
