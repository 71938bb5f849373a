"""Evidence-of-promise ratings, progression criteria and the future trial's size."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from noream_eval.metrics.core import indicator, indicator_table
from noream_eval.metrics.promise import progression_criteria, rate_indicators, trial_design
from noream_eval.plan import AnalysisPlan, IndicatorSpec, parse_plan

REFERENCE = Path(__file__).parent / "reference"


def _ind(name, est, lo, hi, *, n=100, unit="difference", group="all", outcome="3", p=None):
    return indicator(
        outcome,
        name,
        n=n,
        estimate=est,
        ci_low=lo,
        ci_high=hi,
        p_value=p,
        method="test",
        unit=unit,
        group=group,
    )


def _plan(direction="increase", min_n=20, **kw):
    spec = IndicatorSpec("swemwbs_mean_change", "3", direction, primary=True, min_n=min_n)
    return AnalysisPlan(indicators={"swemwbs_mean_change": spec}, **kw)


@pytest.mark.parametrize(
    ("est", "lo", "hi", "n", "rating"),
    [
        (1.5, 0.4, 2.6, 100, "Evidence of promise"),
        (1.5, -0.2, 3.2, 100, "Indicative"),
        (-1.5, -2.6, -0.4, 100, "Change in the unexpected direction"),
        (-1.5, -3.0, 0.2, 100, "No evidence of change"),
        (0.0, -1.0, 1.0, 100, "No evidence of change"),
        (1.5, 0.4, 2.6, 19, "Insufficient data"),
        (float("nan"), float("nan"), float("nan"), 100, "Insufficient data"),
        (1.5, float("nan"), float("nan"), 100, "Indicative"),  # no CI: cannot exclude 0
    ],
)
def test_default_rules(est, lo, hi, n, rating):
    table = indicator_table([_ind("swemwbs_mean_change", est, lo, hi, n=n)])
    rated = rate_indicators(table, _plan())
    row = rated.iloc[0]
    assert row["rating"] == rating
    assert row["rule"].startswith(rating + ":")
    assert row["label"] == "pre-specified primary" and row["null_value"] == 0.0


def test_ratios_are_rated_against_one_in_the_expected_direction():
    table = indicator_table(
        [_ind("rereferral_rate_ratio", 0.7, 0.55, 0.9, unit="rate ratio", outcome="1")]
    )
    spec = IndicatorSpec("rereferral_rate_ratio", "1", "decrease", primary=True, min_n=30)
    rated = rate_indicators(table, AnalysisPlan(indicators={spec.name: spec}))
    assert rated.loc[0, "null_value"] == 1.0
    assert rated.loc[0, "rating"] == "Evidence of promise"
    spec_up = IndicatorSpec("rereferral_rate_ratio", "1", "increase", min_n=30)
    rated = rate_indicators(table, AnalysisPlan(indicators={spec.name: spec_up}))
    assert rated.loc[0, "rating"] == "Change in the unexpected direction"


def test_missing_and_exploratory_indicators_are_labelled():
    table = indicator_table(
        [
            _ind("swemwbs_d_z", 0.4, 0.1, 0.7),
            _ind("swemwbs_d_z", 0.2, -0.3, 0.7, group="child"),
            _ind("rereferral_rate", 0.2, 0.1, 0.3, unit="share of referrals", outcome="1"),
        ]
    )
    rated = rate_indicators(table, _plan())
    missing = rated[rated["indicator"] == "swemwbs_mean_change"].iloc[0]
    assert missing["rating"] == "Insufficient data" and "not computed" in missing["rule"]
    explo = rated[~rated["prespecified"]]
    assert set(zip(explo["indicator"], explo["group"], explo["rating"], strict=True)) == {
        ("swemwbs_d_z", "all", "Evidence of promise"),
        ("swemwbs_d_z", "child", "Indicative"),
    }
    assert (explo["label"] == "exploratory").all()
    assert "rereferral_rate" not in set(rated["indicator"])  # a share has no null to rate


def test_rules_from_the_config_replace_the_defaults():
    plan = parse_plan(
        {
            "promise": {
                "rules": [
                    {"rating": "Promising", "when": ["expected_direction", "p_below_0_05"]},
                    {"rating": "Not shown", "when": []},
                ]
            },
            "progression": {"primary_outcome_at_least": "Promising"},
        }
    )
    table = indicator_table([_ind("swemwbs_mean_change", 1.0, -0.1, 2.1, p=0.04)])
    rated = rate_indicators(table, plan)
    row = rated[rated["indicator"] == "swemwbs_mean_change"].iloc[0]
    assert row["rating"] == "Promising"
    assert row["rule"] == (
        "Promising: the estimate is on the expected side of no effect and the p-value is below 0.05"
    )
    prog = progression_criteria(table, rated, plan)
    assert prog.set_index("criterion").at["primary_outcome", "rag"] == "green"


@pytest.mark.parametrize(
    ("value", "rag"),
    [(0.65, "green"), (0.649, "amber"), (0.5, "amber"), (0.4999, "red"), (1.0, "green")],
)
def test_progression_thresholds_are_inclusive(value, rag):
    table = indicator_table(
        [
            indicator(
                "feasibility",
                "retention_followup",
                n=80,
                estimate=value,
                method="share",
                unit="share of enrolled families",
            )
        ]
    )
    prog = progression_criteria(table, rate_indicators(table), AnalysisPlan())
    row = prog.set_index("criterion").loc["retention"]
    assert row["rag"] == rag and row["value"] == value and row["n"] == 80
    assert prog.set_index("criterion").at["recruitment", "rag"] == "not assessed"


@pytest.mark.parametrize(
    ("est", "lo", "hi", "rag"),
    [
        (1.5, 0.4, 2.6, "green"),
        (1.5, -0.2, 3.2, "green"),
        (0.0, -1, 1, "amber"),
        (-1.5, -2.6, -0.4, "red"),
    ],
)
def test_primary_outcome_criterion(est, lo, hi, rag):
    table = indicator_table([_ind("swemwbs_mean_change", est, lo, hi)])
    prog = progression_criteria(table, rate_indicators(table, _plan()), _plan())
    assert prog.set_index("criterion").at["primary_outcome", "rag"] == rag


def _reference(name: str) -> dict[str, float]:
    lines = (REFERENCE / name).read_text().splitlines()
    return {k: float(v) for k, v in (line.split() for line in lines)}


def test_trial_design_matches_r_pwr():
    # tests/reference/trial_design.R: pwr.t.test and the design effect by hand in R 4.
    ref = _reference("trial_design.out")
    t = trial_design(
        sd=3.8,
        correlation=0.6,
        effect_size=0.3,
        attrition=0.3,
        icc=0.05,
        families_per_la=30,
        trial_las=(10,),
    )
    get = t.set_index(["design", "quantity"])["value"]
    assert get[("individual", "n_per_arm_individual")] == ref["n_per_arm_individual"]
    assert get[("individual", "n_per_arm")] == ref["n_per_arm_individual_after_attrition"]
    assert get[("cluster", "design_effect")] == pytest.approx(ref["design_effect"])
    assert get[("cluster", "n_per_arm")] == ref["cluster_n_per_arm"]
    assert get[("cluster", "clusters_per_arm")] == ref["clusters_per_arm"]
    mde = t[t["design"] == "cluster_mde"].set_index("quantity")["value"]
    assert mde["mde_standardised"] == pytest.approx(mde["mde_raw"] / 3.8)
    # 10 LAs of 30 families give less power than the 28 LAs needed for d = 0.3
    assert mde["mde_standardised"] > 0.3


def test_trial_mde_shrinks_with_more_las():
    t = trial_design(sd=4.0, trial_las=(10, 20, 40))
    mde = t[(t["design"] == "cluster_mde") & (t["quantity"] == "mde_raw")]["value"].tolist()
    assert mde == sorted(mde, reverse=True) and all(math.isfinite(m) for m in mde)
    assert isinstance(t, pd.DataFrame) and t["assumptions"].str.contains('"icc": 0.05').all()
