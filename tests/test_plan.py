"""The analysis plan: defaults, every table read, and clear errors."""

from __future__ import annotations

import datetime as dt

import pytest

from noream_eval.errors import ConfigError
from noream_eval.plan import CONDITIONS, DEFAULT_RULES, AnalysisPlan, parse_plan


def test_defaults_follow_the_pilot_practice():
    plan = parse_plan({})
    assert plan == AnalysisPlan()
    assert [r.rating for r in plan.rules] == [r.rating for r in DEFAULT_RULES]
    assert plan.progression["retention"].green == 0.65
    assert plan.progression["recruitment"].amber == 0.5
    assert plan.given == ()


def test_every_table_is_read_and_recorded():
    plan = parse_plan(
        {
            "analysis": {"seed": 7, "escalation_months": [12, 6, 12]},
            "its": {"family": "negbin", "shocks": {"covid": ["2020-03-23", "2020-06-30"]}},
            "costs": {"s17_annual_cost_gbp": 15000, "cost_source": "config"},
            "trial": {"icc": 0.02, "las": [8, 16]},
            "progression": {"retention": {"green": 0.7}, "recruitment_target_per_month": 6},
            "indicators": {"rereferral_rate": {"outcome": "1", "direction": "decrease"}},
        }
    )
    assert plan.seed == 7 and plan.escalation_months == (6, 12)
    assert plan.its_family == "negbin"
    assert plan.shocks == {"covid": (dt.date(2020, 3, 23), dt.date(2020, 6, 30))}
    assert plan.s17_annual_cost_gbp == 15000.0 and plan.cost_source == "config"
    assert plan.trial_las == (8, 16) and plan.icc == 0.02
    assert plan.progression["retention"].green == 0.7
    assert plan.progression["retention"].amber == 0.5
    assert plan.recruitment_target_per_month == 6.0
    assert plan.indicators["rereferral_rate"].primary is False
    assert "rereferral_rate_ratio" in plan.indicators  # defaults kept beside additions
    assert "its.family" in plan.given and "indicators.rereferral_rate" in plan.given
    settings = plan.settings()
    assert settings["shocks"] == {"covid": ["2020-03-23", "2020-06-30"]}
    assert settings["rules"][0].startswith("Insufficient data: ")


def test_rules_can_be_replaced():
    plan = parse_plan(
        {
            "promise": {
                "rules": [
                    {"rating": "Too few", "when": ["n_below_min"]},
                    {"rating": "Promising", "when": ["expected_direction", "p_below_0_05"]},
                    {"rating": "Not shown", "when": []},
                ]
            },
            "progression": {"primary_outcome_at_least": "Promising"},
        }
    )
    assert [r.rating for r in plan.rules] == ["Too few", "Promising", "Not shown"]
    assert plan.rules[1].text == (
        "Promising: " + CONDITIONS["expected_direction"] + " and " + CONDITIONS["p_below_0_05"]
    )


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"analysis": {"seeds": 1}}, "Did you mean 'seed'?"),
        ({"analysis": {"imputations": 1}}, "[analysis] imputations = 1; give a whole number"),
        ({"its": {"family": "poison"}}, "Did you mean 'poisson'?"),
        ({"its": {"shocks": {"covid": ["2020-06-30", "2020-03-01"]}}}, "last day is before"),
        ({"its": {"shocks": {"covid": "2020-03"}}}, "give its first and last day"),
        ({"trial": {"icc": 1.5}}, "[trial] icc = 1.5"),
        ({"progression": {"retention": {"green": 0.4, "amber": 0.5}}}, "must not be above"),
        ({"progression": {"retenton": {"green": 0.4}}}, "Did you mean 'retention'?"),
        ({"indicators": {"x": {"outcome": "7", "direction": "increase"}}}, "outcome = '7'"),
        ({"indicators": {"x": {"outcome": "1", "direction": "up"}}}, 'give "increase"'),
        ({"promise": {"rules": [{"rating": "A", "when": ["ci_exclude_null"]}]}}, "Did you mean"),
        ({"promise": {"rules": [{"rating": "A", "when": ["n_below_min"]}]}}, "last rule"),
        ({"progression": {"primary_outcome_at_least": "Great"}}, "is not a rating"),
        ({"progression": {"primary_indicator": "nope"}}, "not a pre-specified indicator"),
    ],
)
def test_mistakes_are_named(raw, message):
    with pytest.raises(ConfigError) as err:
        parse_plan(raw)
    assert message in str(err.value)


def test_the_config_refuses_an_unknown_instrument(tmp_path):
    from noream_eval.config import parse_config

    raw = {
        "evaluation": {"data_cut": "2022-06-30"},
        "analysis": {"wellbeing_instrument": "kessler"},
        "sources": {"families": {"path": "f.csv", "columns": {}}},
    }
    with pytest.raises(ConfigError, match="wellbeing_instrument = 'kessler' is not in"):
        parse_config(raw, base_dir=tmp_path)
