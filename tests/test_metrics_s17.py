"""Outcome 2 metrics: escalation to s17, s17 episodes, s17 and programme costs, the scenario.

Hand-computed small cases, property tests, the shipped sample against the
generator's true parameters, and a cross-check with R survival on the sample
(tests/reference/s17_sample.R and its printed output s17_sample.Rout).
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from noream_eval.data import EvaluationData
from noream_eval.errors import ConfigError
from noream_eval.metrics import compute_all
from noream_eval.metrics import costs as C
from noream_eval.metrics import s17 as S
from noream_eval.metrics.core import INDICATOR_COLUMNS, Settings
from noream_eval.plan import AnalysisPlan
from noream_eval.sample.world import PARAMETERS
from noream_eval.schema import conform, empty_table
from noream_eval.stats import kaplan_meier

ROOT = Path(__file__).resolve().parents[1]
REF = ROOT / "tests" / "reference"
CUT = pd.Timestamp("2022-06-30")
Z = 1.959963984540054


# --------------------------------------------------------------------- builders


def _families(rows: list[dict]) -> pd.DataFrame:
    base = {
        "site": "E09000012",
        "enrolled_date": None,
        "exit_date": None,
        "exit_reason": None,
        "n_children": 1,
        "youngest_child_age_band": None,
        "immigration_status": None,
        "history_known_from": "2017-04-01",
        "notes": None,
        "eligibility_assessed_date": None,
        "eligibility": None,
        "offered_date": None,
        "not_enrolled_reason": None,
        "complex_flag_date": None,
    }
    df = pd.DataFrame([{**base, **r} for r in rows])
    dates = ("eligibility_assessed_date", "offered_date", "complex_flag_date")
    for c in ("first_contact_date", "enrolled_date", "exit_date", "history_known_from", *dates):
        df[c] = pd.to_datetime(df[c])
    return conform("families", df)


def _payments(rows: list[tuple]) -> pd.DataFrame:
    """Rows (family_id, date, amount[, scheme[, type]])."""
    out = []
    for i, r in enumerate(rows):
        fam, date, amount = r[:3]
        scheme = r[3] if len(r) > 3 else "s17"
        kind = r[4] if len(r) > 4 else ("grant" if scheme == "noream_grant" else "subsistence")
        out.append(
            {
                "payment_id": f"p{i}",
                "family_id": fam,
                "payment_date": pd.Timestamp(date),
                "scheme": scheme,
                "type": kind,
                "amount_gbp": float(amount),
            }
        )
    if not out:
        return empty_table("payments")
    return conform("payments", pd.DataFrame(out))


def _episodes(rows: list[tuple]) -> pd.DataFrame:
    """Rows (family_id, start, end or None, cost)."""
    df = pd.DataFrame(
        {
            "family_id": [r[0] for r in rows],
            "start_date": pd.to_datetime([r[1] for r in rows]),
            "end_date": pd.to_datetime([r[2] for r in rows]),
            "n_payments": [1] * len(rows),
            "cost_gbp": [float(r[3]) for r in rows],
        }
    )
    return conform("s17_episodes", df)


def _row(table: pd.DataFrame, name: str, group: str = "all") -> pd.Series:
    hit = table[(table["indicator"] == name) & (table["group"] == group)]
    assert len(hit) == 1, (name, group, table[["indicator", "group"]])
    return hit.iloc[0]


def _km_share_ci(durations, events, h):
    """Share escalating by h and its log-scale Greenwood CI, by hand."""
    t = np.asarray(durations, float)
    e = np.asarray(events, float)
    s, v = 1.0, 0.0
    for u in np.unique(t[(e == 1) & (t <= h)]):
        n = (t >= u).sum()
        d = ((t == u) & (e == 1)).sum()
        s *= 1 - d / n
        v += d / (n * (n - d))
    lo_s, hi_s = s * math.exp(-Z * math.sqrt(v)), min(1.0, s * math.exp(Z * math.sqrt(v)))
    return 1 - s, 1 - hi_s, 1 - lo_s


# A small two-cohort world; first contact 2021-01-01 for all (follow-up 545 days).
FC = "2021-01-01"
SMALL_FAMILIES = _families(
    [
        {"family_id": "a1", "cohort": "noream", "first_contact_date": FC},
        {"family_id": "a2", "cohort": "noream", "first_contact_date": FC},
        {"family_id": "a3", "cohort": "noream", "first_contact_date": FC},
        {"family_id": "a4", "cohort": "noream", "first_contact_date": FC},
        {"family_id": "b1", "cohort": "comparison", "first_contact_date": FC},
        {"family_id": "b2", "cohort": "comparison", "first_contact_date": FC},
        {"family_id": "b3", "cohort": "comparison", "first_contact_date": FC},
        {"family_id": "b4", "cohort": "comparison", "first_contact_date": FC},
    ]
)
D0 = pd.Timestamp(FC)


def _day(k: int) -> pd.Timestamp:
    return D0 + pd.Timedelta(days=k)


# ------------------------------------------------------------------- escalation


def test_escalation_times_event_censoring_and_exclusion():
    fam = _families(
        [
            {"family_id": "f1", "cohort": "noream", "first_contact_date": "2021-01-01"},
            {"family_id": "f2", "cohort": "noream", "first_contact_date": "2021-01-01"},
            {"family_id": "f3", "cohort": "comparison", "first_contact_date": "2021-03-01"},
            {"family_id": "f4", "cohort": "comparison", "first_contact_date": "2021-05-01"},
            {"family_id": "f5", "cohort": "comparison", "first_contact_date": "2021-05-01"},
            {"family_id": "f6", "cohort": "noream", "first_contact_date": "2021-05-01"},
        ]
    )
    pay = _payments(
        [
            ("f1", "2021-04-11", 300, "s17", "accommodation"),  # event at day 100
            ("f1", "2021-04-01", -50),  # refund earlier: not an event
            ("f1", "2021-05-01", 60),
            ("f2", "2021-02-01", 100, "noream_grant"),  # a grant is not s17
            ("f3", "2021-02-01", 60),  # paid before first contact
            ("f3", "2021-06-01", 60),
            ("f4", "2021-05-01", 60),  # same day as first contact: day 0
            ("f5", "2021-06-01", -60),  # refund only
        ]
    )
    esc = S.escalation_times(fam, pay, data_cut=CUT).set_index("family_id")
    assert esc.loc["f1", "duration_days"] == 100 and esc.loc["f1", "escalated"]
    assert esc.loc["f2", "status"] == "censored_data_cut"
    assert esc.loc["f2", "duration_days"] == (CUT - pd.Timestamp("2021-01-01")).days
    assert esc.loc["f3", "status"] == "excluded_on_s17_before_first_contact"
    assert np.isnan(esc.loc["f3", "duration_days"]) and not esc.loc["f3", "included"]
    assert not esc.loc["f3", "escalated"]
    assert esc.loc["f4", "duration_days"] == 0 and esc.loc["f4", "escalated"]
    assert esc.loc["f5", "status"] == "censored_data_cut"  # refunds are not support
    assert esc.loc["f6", "status"] == "censored_data_cut"  # no payments at all
    assert set(esc["status"]) <= set(S.STATUSES)


def test_payments_after_the_data_cut_are_not_seen():
    fam = _families([{"family_id": "f1", "cohort": "noream", "first_contact_date": "2022-01-01"}])
    pay = _payments([("f1", "2022-07-10", 100)])
    esc = S.escalation_times(fam, pay, data_cut=CUT)
    assert esc.loc[0, "status"] == "censored_data_cut" and esc.loc[0, "duration_days"] == 180


def test_censor_at_exit_is_an_option_and_changes_only_exits_before_payment():
    fam = _families(
        [
            {
                "family_id": "f1",
                "cohort": "noream",
                "first_contact_date": "2021-01-01",
                "exit_date": "2021-02-10",
            },
            {
                "family_id": "f2",
                "cohort": "noream",
                "first_contact_date": "2021-01-01",
                "exit_date": "2021-03-01",
            },
        ]
    )
    pay = _payments([("f1", "2021-06-01", 60), ("f2", "2021-03-01", 60)])
    default = S.escalation_times(fam, pay, data_cut=CUT).set_index("family_id")
    assert default["escalated"].all()  # the ledger records support after case closure
    at_exit = S.escalation_times(fam, pay, data_cut=CUT, censor_at_exit=True)
    at_exit = at_exit.set_index("family_id")
    assert at_exit.loc["f1", "status"] == "censored_exit"
    assert at_exit.loc["f1", "duration_days"] == 40 and not at_exit.loc["f1", "escalated"]
    assert at_exit.loc["f2", "escalated"]  # paid on the day of exit: an escalation


def _small_payments() -> pd.DataFrame:
    # noream: a1 day 100, a3 day 300; comparison: b1 day 50, b2 day 150, b3 day 400.
    return _payments(
        [
            ("a1", _day(100), 60),
            ("a3", _day(300), 60),
            ("b1", _day(50), 1000),
            ("b2", _day(150), 3000),
            ("b3", _day(400), 500),
        ]
    )


def test_escalation_shares_match_kaplan_meier_by_hand():
    fam = _families(
        [
            {"family_id": "a1", "cohort": "noream", "first_contact_date": FC},
            {
                "family_id": "a2",
                "cohort": "noream",
                "first_contact_date": FC,
                "exit_date": "2021-07-20",
            },
            {"family_id": "a3", "cohort": "noream", "first_contact_date": FC},
            {"family_id": "a4", "cohort": "noream", "first_contact_date": "2022-01-01"},
            {"family_id": "b1", "cohort": "comparison", "first_contact_date": FC},
            {"family_id": "b2", "cohort": "comparison", "first_contact_date": FC},
            {"family_id": "b3", "cohort": "comparison", "first_contact_date": FC},
        ]
    )
    out = S.escalation_indicators(fam, _small_payments(), data_cut=CUT)
    assert tuple(out.columns) == INDICATOR_COLUMNS
    # noream: a1 100 (event), a2 545 (censored: exits do not censor), a3 300 (event),
    # a4 180 (censored at the cut).
    dur, ev = [100, 545, 300, 180], [1, 0, 1, 0]
    for m, h in ((6, 182.625), (12, 365.25)):
        est, lo, hi = _km_share_ci(dur, ev, h)
        row = _row(out, f"s17_escalation_{m}m", "noream")
        assert row["estimate"] == pytest.approx(est, rel=1e-12)
        assert (row["ci_low"], row["ci_high"]) == pytest.approx((lo, hi), rel=1e-12)
        assert row["n"] == 4
    assert _row(out, "s17_escalation_12m", "noream")["estimate"] == pytest.approx(5 / 8)
    assert _row(out, "s17_escalation_12m", "comparison")["estimate"] == pytest.approx(2 / 3)
    params = json.loads(_row(out, "s17_escalation_12m", "comparison")["params"])
    assert params["horizon_days"] == 365.25 and params["events_by_horizon"] == 2
    assert params["censoring"] == "data cut"


def test_logrank_and_hazard_ratio_rows():
    from noream_eval.stats import cox, logrank

    out = S.escalation_indicators(SMALL_FAMILIES, _small_payments(), data_cut=CUT)
    esc = S.escalation_times(SMALL_FAMILIES, _small_payments(), data_cut=CUT)
    lr = logrank(esc["duration_days"], esc["escalated"].astype(float), esc["cohort"])
    row = _row(out, "s17_escalation_logrank")
    assert row["estimate"] == pytest.approx(float(lr.to_frame().loc[0, "statistic"]))
    assert row["p_value"] == pytest.approx(float(lr.to_frame().loc[0, "p_value"]))
    frame = pd.DataFrame(
        {
            "t": esc["duration_days"],
            "e": esc["escalated"].astype(float),
            "p": (esc["cohort"] == "noream").astype(float),
        }
    )
    ref = cox(frame, duration="t", event="e", covariates=["p"]).to_frame().iloc[0]
    hr = _row(out, "s17_escalation_hazard_ratio")
    assert hr["estimate"] == pytest.approx(ref["estimate"])
    assert (hr["ci_low"], hr["ci_high"]) == pytest.approx((ref["ci_low"], ref["ci_high"]))
    assert hr["n"] == 8 and "Efron" in hr["method"] and "5 escalations" in hr["method"]
    params = json.loads(hr["params"])
    assert params["n_events"] == 5 and params["events_by_cohort"] == {"noream": 2, "comparison": 3}


def test_a_cohort_with_no_escalation():
    pay = _payments([("b1", _day(50), 60), ("b2", _day(150), 60)])
    out = S.escalation_indicators(SMALL_FAMILIES, pay, data_cut=CUT)
    share = _row(out, "s17_escalation_12m", "noream")
    assert share["estimate"] == 0.0 and np.isnan(share["ci_low"]) and np.isnan(share["ci_high"])
    assert "degenerate" in share["method"]
    assert not np.isnan(_row(out, "s17_escalation_logrank")["p_value"])
    hr = _row(out, "s17_escalation_hazard_ratio")
    assert np.isnan(hr["estimate"]) and hr["method"].startswith("not estimable:")
    assert "did not converge" in hr["method"]


def test_no_escalation_at_all_says_so():
    out = S.escalation_indicators(SMALL_FAMILIES, _payments([]), data_cut=CUT)
    for name in ("s17_escalation_logrank", "s17_escalation_hazard_ratio"):
        row = _row(out, name)
        assert np.isnan(row["estimate"]) and "no family escalated" in row["method"]


def test_payments_before_first_contact_are_excluded_and_counted():
    pay = _payments([("a1", "2020-12-01", 60), ("a1", _day(30), 60), ("b1", _day(50), 60)])
    out = S.escalation_indicators(SMALL_FAMILIES, pay, data_cut=CUT)
    row = _row(out, "s17_escalation_12m", "noream")
    assert row["n"] == 3 and row["estimate"] == 0.0  # a1 is out, not an escalation at day 30
    assert json.loads(row["params"])["excluded_on_s17_before_first_contact"] == 1
    assert (
        json.loads(_row(out, "s17_escalation_hazard_ratio")["params"])[
            "excluded_on_s17_before_first_contact"
        ]
        == 1
    )


def test_horizon_beyond_follow_up_is_not_estimated():
    fam = _families(
        [
            {"family_id": "a1", "cohort": "noream", "first_contact_date": "2022-03-01"},
            {"family_id": "b1", "cohort": "comparison", "first_contact_date": FC},
        ]
    )
    out = S.escalation_indicators(fam, _payments([]), data_cut=CUT)
    row = _row(out, "s17_escalation_12m", "noream")
    assert np.isnan(row["estimate"]) and "followed for 12 months" in row["method"]
    assert _row(out, "s17_escalation_6m", "noream")["method"].startswith("not estimable")
    assert _row(out, "s17_escalation_12m", "comparison")["estimate"] == 0.0


def test_single_cohort_design_gives_reasons_not_errors():
    fam = SMALL_FAMILIES[SMALL_FAMILIES["cohort"] == "noream"].reset_index(drop=True)
    out = S.escalation_indicators(fam, _small_payments(), data_cut=CUT, cohorts=["noream"])
    assert _row(out, "s17_escalation_12m", "noream")["n"] == 4
    for name in ("s17_escalation_logrank", "s17_escalation_hazard_ratio"):
        row = _row(out, name)
        assert np.isnan(row["estimate"]) and "single-cohort design" in row["method"]
    # a comparison cohort named in the config but without families
    out = S.escalation_indicators(fam, _small_payments(), data_cut=CUT)
    assert "no family of cohort 'comparison'" in _row(out, "s17_escalation_hazard_ratio")["method"]
    assert np.isnan(_row(out, "s17_escalation_12m", "comparison")["estimate"])


def test_cox_covariates_must_be_baseline_families_columns():
    with pytest.raises(ConfigError, match="known at first contact"):
        S.escalation_indicators(
            SMALL_FAMILIES, _small_payments(), data_cut=CUT, covariates=["exit_reason"]
        )
    with pytest.raises(ConfigError, match="twice"):
        S.escalation_indicators(
            SMALL_FAMILIES, _small_payments(), data_cut=CUT, covariates=["site", "site"]
        )


def test_a_covariate_with_one_value_is_dropped_and_named():
    out = S.escalation_indicators(
        SMALL_FAMILIES, _small_payments(), data_cut=CUT, covariates=["site"]
    )
    hr = _row(out, "s17_escalation_hazard_ratio")
    assert "site dropped" in hr["method"]
    assert json.loads(hr["params"])["covariates_dropped_single_value"] == ["site"]
    plain = _row(
        S.escalation_indicators(SMALL_FAMILIES, _small_payments(), data_cut=CUT),
        "s17_escalation_hazard_ratio",
    )
    assert hr["estimate"] == pytest.approx(plain["estimate"])


def test_km_and_at_risk_tables():
    fam, pay = SMALL_FAMILIES, _small_payments()
    km = S.escalation_km(fam, pay, data_cut=CUT)
    assert list(km.columns) == [
        "cohort",
        "time",
        "n_at_risk",
        "n_events",
        "n_censored",
        "survival",
        "se",
        "ci_low",
        "ci_high",
    ]
    assert list(pd.unique(km["cohort"])) == ["noream", "comparison"]
    comp = km[km["cohort"] == "comparison"]
    assert comp["n_events"].sum() == 3 and comp["n_censored"].sum() == 1
    risk = S.escalation_at_risk(fam, pay, data_cut=CUT)
    assert risk["months"].tolist() == list(S.AT_RISK_MONTHS) * 2
    c = risk[risk["cohort"] == "comparison"].set_index("months")
    # comparison events at 50, 150, 400; the fourth is followed 545 days
    assert c["n_at_risk"].tolist() == [4, 3, 2, 2, 2, 0, 0]  # 545 days < 18 months
    assert c.loc[12, "time_days"] == 365.25 and c.loc[24, "n_censored_cumulative"] == 1


# --------------------------------------------------------------------- episodes


def _episode_world():
    fam = _families(
        [
            {"family_id": "a1", "cohort": "noream", "first_contact_date": "2021-01-01"},
            {"family_id": "a2", "cohort": "noream", "first_contact_date": "2021-01-01"},
            {"family_id": "b1", "cohort": "comparison", "first_contact_date": "2020-01-01"},
            {"family_id": "b2", "cohort": "comparison", "first_contact_date": "2020-01-01"},
            {"family_id": "b3", "cohort": "comparison", "first_contact_date": "2020-01-01"},
        ]
    )
    eps = _episodes(
        [
            ("a1", "2022-04-15", None, 900),  # ongoing at the cut: 76 days, censored
            ("b1", "2020-02-01", "2020-03-02", 400),  # 30 days
            ("b1", "2020-06-01", "2020-11-28", 1600),  # 180 days
            ("b2", "2020-05-10", "2020-05-10", 60),  # one payment: 0 days
            ("b3", "2021-01-31", None, 5000),  # ongoing: 515 days
        ]
    )
    return fam, eps


def test_episode_lengths_and_the_cut_mid_episode():
    fam, eps = _episode_world()
    ep = S.episode_lengths(eps, fam, data_cut=CUT)
    assert ep["days"].tolist() == [76, 30, 180, 0, 515]
    assert ep["ongoing"].tolist() == [True, False, False, False, True]
    assert ep["ended"].tolist() == [0, 1, 1, 1, 0]
    assert (
        ep["cohort"].tolist()
        == ["noream", "comparison", "comparison", "comparison", "noream"][:1] + ["comparison"] * 4
    )


def test_episode_indicators_by_hand():
    fam, eps = _episode_world()
    out = S.episode_indicators(eps, fam, data_cut=CUT, n_resamples=500, seed=1)
    days = _row(out, "s17_days_on_support", "comparison")
    assert days["estimate"] == pytest.approx((210 + 0 + 515) / 3) and days["n"] == 3
    assert days["ci_low"] < days["estimate"] < days["ci_high"]
    one = _row(out, "s17_days_on_support", "noream")
    assert one["estimate"] == 76 and np.isnan(one["ci_low"]) and "fewer than 2" in one["method"]
    assert json.loads(one["params"])["families_without_support"] == 1
    # comparison episodes 0, 30, 180 (ended) and 515 (censored): S is exactly 1/2 from
    # 30 to 180, so the median is their midpoint (R print.survfit's rule)
    med = _row(out, "s17_median_episode_days", "comparison")
    km = kaplan_meier([30, 180, 0, 515], [1, 1, 1, 0])
    assert med["estimate"] == float(km.median["median"].iloc[0]) == 105.0
    assert med["n"] == 4 and json.loads(med["params"])["episodes_ongoing_censored"] == 1
    nr = _row(out, "s17_median_episode_days", "noream")
    assert np.isnan(nr["estimate"]) and "not reached" in nr["method"]
    now = _row(out, "s17_families_on_support", "all")
    assert now["estimate"] == 2 and now["n"] == 5  # a1 and b3 at 2022-06-30
    assert json.loads(now["params"])["month_end"] == "2022-06-30"


def test_caseload_counts_families_at_month_ends():
    fam, eps = _episode_world()
    cl = S.caseload(eps, fam, data_cut=CUT)
    assert list(cl.columns) == ["month_end", "cohort", "families_on_s17"]
    allc = cl[cl["cohort"] == "all"].set_index("month_end")["families_on_s17"]
    assert allc.index[0] == pd.Timestamp("2020-01-31") and allc.index[-1] == CUT
    assert allc[pd.Timestamp("2020-01-31")] == 0
    assert allc[pd.Timestamp("2020-02-29")] == 1  # b1's first episode
    assert allc[pd.Timestamp("2020-03-31")] == 0  # ended on 2 March
    assert allc[pd.Timestamp("2020-05-31")] == 0  # b2's one payment on 10 May does not cover it
    assert allc[pd.Timestamp("2020-11-30")] == 0  # last payment on 28 November
    assert allc[pd.Timestamp("2021-01-31")] == 1  # b3 started on the month end
    assert allc[pd.Timestamp("2022-04-30")] == 2
    parts = cl[cl["cohort"] != "all"].groupby("month_end")["families_on_s17"].sum()
    assert (parts.to_numpy() == allc.to_numpy()).all()
    # a data cut in the middle of a month: the last month end is the one before
    mid = S.caseload(eps, fam, data_cut="2022-06-15")
    assert mid["month_end"].max() == pd.Timestamp("2022-05-31")


def test_episode_km_table_has_cohorts_and_all():
    fam, eps = _episode_world()
    km = S.episode_km(eps, fam, data_cut=CUT)
    assert list(pd.unique(km["cohort"])) == ["noream", "comparison", "all"]
    assert km[km["cohort"] == "all"]["n_at_risk"].iloc[0] == 5


# ------------------------------------------------------------------------ costs


def test_refund_larger_than_payment_is_netted_and_visible():
    fam = _families(
        [
            {"family_id": "f1", "cohort": "noream", "first_contact_date": FC},
            {"family_id": "f2", "cohort": "noream", "first_contact_date": FC},
            {"family_id": "f3", "cohort": "noream", "first_contact_date": FC},
            {"family_id": "f4", "cohort": "noream", "first_contact_date": FC},
        ]
    )
    pay = _payments(
        [
            ("f1", "2021-02-01", 100),
            ("f1", "2021-02-08", -250),  # refund larger than the payment
            ("f2", "2021-02-01", 800, "s17", "accommodation"),
            ("f2", "2021-02-02", 40, "s17", "other"),
            ("f3", "2021-03-01", -60),  # refund of a family never paid
        ]
    )
    spend = C.family_spend(pay, fam).set_index("family_id")
    assert spend.loc["f1", "s17_net"] == -150 and spend.loc["f1", "refunds_exceed_payments"]
    assert spend.loc["f3", "s17_net"] == -60 and not spend.loc["f3", "received_s17"]
    assert spend.loc["f4", "s17_net"] == 0 and not spend.loc["f4", "received_s17"]
    eps = _episodes(
        [("f1", "2021-02-01", "2021-02-01", -150), ("f2", "2021-02-01", "2021-03-03", 840)]
    )
    out = C.s17_cost_indicators(pay, fam, eps, data_cut=CUT, cohorts=["noream"], n_resamples=500)
    row = _row(out, "s17_cost_per_family", "noream")
    assert row["estimate"] == pytest.approx((-150 + 840) / 2) and row["n"] == 2
    params = json.loads(row["params"])
    assert params["families_negative_net"] == 1
    assert (
        params["refund_only_families_excluded"] == 1 and params["refund_only_gbp_excluded"] == -60
    )
    assert "1 family refunded more than paid" in row["method"]
    month = _row(out, "s17_cost_per_family_month", "noream")
    assert month["estimate"] == pytest.approx(690 / (30 / S.DAYS_PER_MONTH))
    monthly = C.s17_spend_monthly(pay, fam, cohorts=["noream"])
    feb = monthly[(monthly["cohort"] == "all") & (monthly["month"] == "2021-02")].iloc[0]
    assert (feb["accommodation"], feb["subsistence"], feb["other"], feb["refunds"]) == (
        800,
        100,
        40,
        -250,
    )
    assert feb["net"] == 690
    # the ledger's refunds all count in the monthly totals, including f3's
    assert monthly.loc[monthly["cohort"] == "all", "net"].sum() == pay["amount_gbp"].sum()


def test_families_without_payments_and_groups_without_support():
    fam = _families([{"family_id": "f1", "cohort": "noream", "first_contact_date": FC}])
    out = C.s17_cost_indicators(_payments([]), fam, _episodes([]), data_cut=CUT, cohorts=["noream"])
    for name in ("s17_cost_per_family", "s17_cost_per_family_month"):
        row = _row(out, name, "noream")
        assert np.isnan(row["estimate"]) and row["method"].startswith("not estimable")
    assert C.s17_spend_monthly(_payments([]), fam).empty
    assert list(C.s17_spend_monthly(_payments([]), fam).columns) == [
        "month",
        "cohort",
        "accommodation",
        "subsistence",
        "other",
        "refunds",
        "net",
    ]


payment_rows = st.lists(
    st.tuples(
        st.sampled_from(["f1", "f2", "f3"]),
        st.integers(0, 400),
        st.integers(-300, 1500).filter(lambda x: x != 0),
        st.sampled_from(["s17", "noream_grant"]),
        st.sampled_from(["accommodation", "subsistence", "other", "unknown"]),
    ),
    max_size=25,
)


@settings(max_examples=30, deadline=None)
@given(payment_rows)
def test_spend_tables_add_up_to_the_ledger(rows):
    fam = _families(
        [
            {"family_id": "f1", "cohort": "noream", "first_contact_date": FC},
            {"family_id": "f2", "cohort": "comparison", "first_contact_date": FC},
            {"family_id": "f3", "cohort": "comparison", "first_contact_date": FC},
        ]
    )
    pay = _payments([(f, _day(d), a, s, t) for f, d, a, s, t in rows])
    s17_total = pay.loc[pay["scheme"] == "s17", "amount_gbp"].sum()
    monthly = C.s17_spend_monthly(pay, fam)
    allm = monthly[monthly["cohort"] == "all"]
    parts = allm[["accommodation", "subsistence", "other", "refunds"]].sum(axis=1)
    assert np.allclose(parts, allm["net"])
    assert allm["net"].sum() == pytest.approx(s17_total)
    assert (allm["refunds"] <= 0).all() and (allm[["accommodation", "other"]] >= 0).all().all()
    by_cohort = monthly[monthly["cohort"] != "all"].groupby("month")["net"].sum()
    assert np.allclose(by_cohort.to_numpy(), allm["net"].to_numpy())
    spend = C.family_spend(pay, fam)
    assert spend["s17_net"].sum() == pytest.approx(s17_total)
    assert spend["grants_gbp"].sum() == pytest.approx(
        pay.loc[pay["scheme"] == "noream_grant", "amount_gbp"].sum()
    )


def test_programme_costs_from_grants_and_the_plan():
    fam = _families(
        [
            {
                "family_id": "a1",
                "cohort": "noream",
                "first_contact_date": FC,
                "enrolled_date": "2021-01-10",
            },
            {
                "family_id": "a2",
                "cohort": "noream",
                "first_contact_date": FC,
                "enrolled_date": "2021-01-12",
            },
            {"family_id": "a3", "cohort": "noream", "first_contact_date": FC},
            {"family_id": "b1", "cohort": "comparison", "first_contact_date": FC},
        ]
    )
    pay = _payments(
        [
            ("a1", "2021-02-01", 150, "noream_grant"),
            ("a2", "2021-02-01", 50, "noream_grant"),
            ("b1", "2021-02-01", 25, "noream_grant"),
            ("a1", "2021-03-01", 500),
        ]
    )
    table = C.programme_costs(pay, fam, staff_cost_gbp=1000, other_cost_gbp=300)
    by = table.set_index("component")
    assert by.loc["flexible_grants", "value_gbp"] == 225 and by.loc["total", "value_gbp"] == 1525
    assert by.loc["per_enrolled_family", "value_gbp"] == 1525 / 2
    assert "25.00 of it to families outside" in by.loc["flexible_grants", "note"]
    out = C.programme_cost_indicators(pay, fam, staff_cost_gbp=1000, other_cost_gbp=300)
    assert _row(out, "noream_programme_cost", "noream")["estimate"] == 1525
    per = _row(out, "noream_cost_per_family", "noream")
    assert per["estimate"] == 762.5 and per["n"] == 2
    # no enrolment dates recorded: the programme cohort is the denominator, and says so
    fam2 = fam.assign(enrolled_date=pd.NaT)
    per2 = _row(C.programme_cost_indicators(pay, fam2), "noream_cost_per_family", "noream")
    assert per2["n"] == 3 and "no enrolment dates recorded" in per2["method"]


# ------------------------------------------------------------------- scenario


def _scenario_world():
    fam = _families(
        [
            {
                "family_id": f,
                "cohort": "noream" if f[0] == "a" else "comparison",
                "first_contact_date": "2020-01-01",
            }
            for f in ("a1", "a2", "a3", "a4", "b1", "b2", "b3", "b4")
        ]
    )
    d0 = pd.Timestamp("2020-01-01")
    pay = _payments(
        [
            ("b1", d0 + pd.Timedelta(days=100), 1000),  # comparison escalations
            ("b2", d0 + pd.Timedelta(days=200), 3000),
            ("a1", d0 + pd.Timedelta(days=300), 500),  # programme escalation
            ("a2", d0 + pd.Timedelta(days=10), 150, "noream_grant"),
            ("a3", d0 + pd.Timedelta(days=10), 50, "noream_grant"),
        ]
    )
    return fam, pay


COSTS = {"staff_cost_gbp": 1000.0, "other_cost_gbp": 300.0}


def test_scenario_components_by_hand():
    fam, pay = _scenario_world()
    comp = C.cost_consequence(fam, pay, data_cut=CUT, **COSTS).set_index("component")["value"]
    assert comp["risk_comparison"] == 0.5 and comp["risk_programme"] == 0.25
    assert comp["escalations_avoided"] == pytest.approx(1.0)
    assert comp["case_cost_data"] == 2000 and comp["case_cost_config"] == 16000 * 1.5
    assert comp["programme_cost"] == 1500 and comp["net"] == pytest.approx(500)
    cfg = C.cost_consequence(fam, pay, data_cut=CUT, cost_source="config", **COSTS)
    assert cfg.set_index("component").loc["net", "value"] == pytest.approx(24000 - 1500)
    assert "config" in cfg.set_index("component").loc["case_cost", "source"]


def test_sensitivity_table_by_hand():
    fam, pay = _scenario_world()
    sens = C.cost_consequence_sensitivity(fam, pay, data_cut=CUT, **COSTS).set_index("parameter")
    assert list(sens.index) == [
        "risk_difference",
        "case_cost",
        "case_cost_source",
        "programme_cost",
        "s17_years",
    ]
    assert np.allclose(sens["net_base"], 500)
    assert sens.loc["programme_cost", ["net_low", "net_high"]].tolist() == pytest.approx(
        [500 + 375, 500 - 375]
    )
    assert sens.loc["case_cost", ["net_low", "net_high"]].tolist() == pytest.approx([0, 1000])
    assert sens.loc["case_cost_source", ["low_value", "high_value"]].tolist() == [2000, 24000]
    assert sens.loc["s17_years", ["low_value", "high_value", "net_low", "net_high"]].tolist() == (
        pytest.approx([1, 2, 16000 - 1500, 32000 - 1500])
    )
    # Greenwood: var log S = 1/12 + 1/6 (comparison, S = 1/2) and 1/12 (programme, S = 3/4)
    se = math.sqrt((0.5**2 * 0.25) + (0.75**2 / 12))
    lo, hi = 0.25 - Z * se, 0.25 + Z * se
    assert sens.loc["risk_difference", ["low_value", "high_value"]].tolist() == pytest.approx(
        [lo, hi]
    )
    assert sens.loc["risk_difference", "net_low"] == pytest.approx(lo * 4 * 2000 - 1500)


def test_scenario_bootstrap_interval_and_its_limits():
    fam, pay = _scenario_world()
    kw = {"data_cut": CUT, "n_resamples": 400, "seed": 11, **COSTS}
    cfg = C.cost_consequence_indicator(fam, pay, cost_source="config", **kw).iloc[0]
    assert cfg["indicator"] == "cost_consequence_net_gbp" and "SCENARIO" in cfg["unit"]
    assert "SCENARIO, not an impact estimate" in cfg["method"]
    assert cfg["ci_low"] <= cfg["estimate"] <= cfg["ci_high"] and cfg["n"] == 8
    again = C.cost_consequence_indicator(fam, pay, cost_source="config", **kw).iloc[0]
    assert (again["ci_low"], again["ci_high"]) == (cfg["ci_low"], cfg["ci_high"])
    # with the data case cost, some resamples hold no escalated comparison family
    data = C.cost_consequence_indicator(fam, pay, **kw).iloc[0]
    assert data["estimate"] == pytest.approx(500) and np.isnan(data["ci_low"])
    assert "no bootstrap interval" in data["method"]


def test_scenario_not_computed_for_one_cohort_or_without_a_data_cost():
    fam, pay = _scenario_world()
    one = C.cost_consequence_indicator(fam, pay, data_cut=CUT, cohorts=["noream"]).iloc[0]
    assert np.isnan(one["estimate"]) and "single-cohort design" in one["method"]
    assert C.cost_consequence(fam, pay, data_cut=CUT, cohorts=["noream"]).empty
    assert C.cost_consequence_sensitivity(fam, pay, data_cut=CUT, cohorts=["noream"]).empty
    no_comp_esc = pay[~pay["family_id"].isin(["b1", "b2"])]
    row = C.cost_consequence_indicator(fam, no_comp_esc, data_cut=CUT).iloc[0]
    assert np.isnan(row["estimate"]) and 'cost_source = "config"' in row["method"]


@settings(max_examples=80, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 60), st.booleans()), min_size=1, max_size=30),
    st.floats(0, 70),
)
def test_fast_risk_matches_kaplan_meier(obs, horizon):
    t = np.array([o[0] for o in obs], float)
    e = np.array([o[1] for o in obs], float)
    fast = C._risk_at(t, e, horizon)
    ref = 1 - float(kaplan_meier(t, e).survival_at([horizon])["survival"].iloc[0])
    assert (np.isnan(fast) and np.isnan(ref)) or fast == pytest.approx(ref, abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.booleans(), st.integers(0, 500), st.booleans(), st.integers(-50, 900)),
        min_size=2,
        max_size=25,
    ),
    st.sampled_from(["data", "config"]),
    st.integers(0, 2**32 - 1),
)
def test_scenario_of_many_resamples_matches_one_at_a_time(fams, source, seed):
    frame = pd.DataFrame(
        {
            "programme": [int(f[0]) for f in fams],
            "duration": [float(f[1]) for f in fams],
            "event": [float(f[2]) for f in fams],
            "net": [float(f[3]) for f in fams],
            "grants": [float(f[3] % 7) for f in fams],
        },
        columns=list(C._FRAME),
    )
    inp = C._Inputs(frame, "noream", "comparison", 24000.0, source, 1000.0, 300.0, 25.0)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(frame), size=(40, len(frame)))
    idx[0] = idx[0, 0]  # one family drawn every time
    many = C._net_many(frame, inp, idx)
    one = np.array([C._net(frame.iloc[row], inp)["net"] for row in idx])
    assert np.array_equal(np.isnan(many), np.isnan(one))
    assert np.allclose(many, one, rtol=1e-12, atol=1e-9, equal_nan=True)


# --------------------------------------------------------------- compute / docs


def test_compute_single_cohort_evaluation():
    fam = SMALL_FAMILIES[SMALL_FAMILIES["cohort"] == "noream"].reset_index(drop=True)
    pay = _small_payments()
    pay = pay[pay["family_id"].isin(fam["family_id"])].reset_index(drop=True)
    from noream_eval.ingest.episodes import s17_episodes

    data = EvaluationData(families=fam, payments=pay, s17_episodes=s17_episodes(pay, data_cut=CUT))
    sett = Settings(data_cut=CUT, data_start=pd.Timestamp("2017-04-01"), cohorts=("noream",))
    res = compute_all(data, sett)
    for name in (
        "s17_escalation_hazard_ratio",
        "s17_escalation_logrank",
        "cost_consequence_net_gbp",
    ):
        row = res.indicator(name)
        assert np.isnan(row["estimate"]) and "single-cohort" in row["method"]
    assert res["cost_consequence"].empty and res["cost_consequence_sensitivity"].empty
    assert res.indicator("s17_escalation_12m", "noream")["estimate"] == pytest.approx(0.5)


# ----------------------------------------------------------------- the sample


@pytest.fixture(scope="module")
def results(sample):
    return compute_all(sample)


TABLES = (
    "s17_escalation_km",
    "s17_escalation_at_risk",
    "s17_episodes",
    "s17_episode_km",
    "s17_caseload",
    "s17_spend_monthly",
    "programme_costs",
    "cost_consequence",
    "cost_consequence_sensitivity",
)
INDICATORS = (
    "s17_escalation_6m",
    "s17_escalation_12m",
    "s17_escalation_logrank",
    "s17_escalation_hazard_ratio",
    "s17_days_on_support",
    "s17_median_episode_days",
    "s17_families_on_support",
    "s17_cost_per_family",
    "s17_cost_per_family_month",
    "noream_programme_cost",
    "noream_cost_per_family",
    "cost_consequence_net_gbp",
)


def test_sample_results_have_every_indicator_and_flat_tables(results):
    ind = results.indicators
    ind = ind[ind["outcome"] == "2"]
    assert set(ind["indicator"]) == set(INDICATORS)
    assert not ind.duplicated(["indicator", "group"]).any()
    assert set(TABLES) <= set(results.table_names)
    for name in TABLES:
        table = results[name]
        assert not table.empty and all(re.fullmatch(r"[a-z0-9_]+", c) for c in table.columns)
        for col in table.columns:
            assert not table[col].map(lambda v: isinstance(v, list | dict)).any()
    hr = results.indicator("s17_escalation_hazard_ratio")
    assert hr["prespecified"]
    # every row has an estimate or says why not
    missing = ind[ind["estimate"].isna()]
    assert missing["method"].str.startswith("not estimable:").all()


def test_sample_matches_the_generator(results, sample):
    esc = PARAMETERS["escalation"]
    hr = results.indicator("s17_escalation_hazard_ratio")
    assert hr["ci_low"] < esc["hazard_ratio"] < hr["ci_high"]
    comp = results.indicator("s17_escalation_12m", "comparison")
    assert comp["ci_low"] < esc["risk_12m_comparison"] < comp["ci_high"]
    prog = results.indicator("s17_escalation_12m", "noream")
    assert prog["ci_low"] < esc["risk_12m_noream"] < prog["ci_high"]
    truth = json.loads((ROOT / "data" / "sample" / "truth.json").read_text("utf-8"))
    real = truth["realised"]
    # realised share within 365 days among comparison families (all followed a year)
    assert comp["estimate"] == pytest.approx(
        real["escalation"]["comparison"]["escalated_within_365_of_first_contact"], abs=1e-6
    )
    for cohort in ("noream", "comparison"):
        cost = results.indicator("s17_cost_per_family", cohort)
        assert cost["n"] == real["s17"][cohort]["families_paid"]
        assert cost["estimate"] == pytest.approx(
            real["s17"][cohort]["spend_per_family_paid_gbp"], abs=0.01
        )
    assert results.indicator("noream_programme_cost", "noream")["estimate"] == pytest.approx(
        real["s17"]["noream_grants_gbp"]
    )
    n_ep = results.indicator("s17_median_episode_days")["n"]
    assert n_ep == real["s17"]["episodes"] == len(sample.s17_episodes)
    net = results.indicator("cost_consequence_net_gbp")
    assert net["ci_low"] < net["estimate"] < net["ci_high"]
    now = results["s17_caseload"]
    last = now[now["month_end"] == now["month_end"].max()].set_index("cohort")
    assert (
        last.loc["all", "families_on_s17"]
        == results.indicator("s17_families_on_support")["estimate"]
    )


def test_censoring_at_exit_would_bias_the_sample(sample):
    # The generator lets closed cases escalate later and resets the exit of comparison
    # families on s17 to the end of their support: censoring at exit inflates the
    # comparison cohort's 12-month share well above the true 0.30.
    out = S.escalation_indicators(
        sample.families, sample.payments, data_cut=CUT, censor_at_exit=True
    )
    biased = _row(out, "s17_escalation_12m", "comparison")
    assert biased["estimate"] > 0.45 and biased["ci_low"] > 0.30


# --------------------------------------------------------------- R cross-check


def _rout() -> str:
    return (REF / "s17_sample.Rout").read_text("utf-8")


def _numbers(label: str) -> list[float]:
    """Numbers after the start of the first line of the R output beginning with label."""
    for line in _rout().splitlines():
        if line.startswith(label):
            return [float(x) for x in re.findall(r"-?\d+\.?\d*(?:e-?\d+)?", line[len(label) :])]
    raise AssertionError(f"no line starting {label!r} in s17_sample.Rout")


def test_reference_inputs_are_the_current_sample():
    """The R script's inputs are the sample's (regenerate both if the sample changes)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("s17_export", REF / "s17_sample_export.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    families, episodes = mod.sample_inputs()
    message = (
        "the sample changed: run python tests/reference/s17_sample_export.py and "
        "Rscript tests/reference/s17_sample.R > tests/reference/s17_sample.Rout"
    )
    for frame, name in ((families, "families"), (episodes, "episodes")):
        committed = (REF / f"s17_sample_{name}.csv").read_text("utf-8")
        assert frame.to_csv(index=False) == committed, message


def test_sample_escalation_matches_r_survival(sample):
    out = S.escalation_indicators(sample.families, sample.payments, data_cut=CUT)
    at_risk = S.escalation_at_risk(sample.families, sample.payments, data_cut=CUT)
    at_risk = at_risk.set_index(["cohort", "months"])["n_at_risk"]
    rows = [r for r in _rout().splitlines() if re.match(r"^\d\s+cohort=", r)]
    assert len(rows) == 4
    for line in rows:
        _, strata, time, n_risk, share, lo, hi = line.split()
        cohort = strata.split("=")[1]
        months = 6 if float(time) < 200 else 12
        assert at_risk[(cohort, months)] == int(n_risk)
        row = _row(out, f"s17_escalation_{months}m", cohort)
        assert row["estimate"] == pytest.approx(float(share), rel=1e-9)
        assert (row["ci_low"], row["ci_high"]) == pytest.approx((float(lo), float(hi)), rel=1e-9)
    chisq, p = _numbers("chisq ")[0], _numbers("chisq ")[1]
    lr = _row(out, "s17_escalation_logrank")
    assert lr["estimate"] == pytest.approx(chisq, rel=1e-8)
    assert lr["p_value"] == pytest.approx(p, rel=1e-8)
    hr0, lo0, hi0, p0 = _numbers("HR ")[:4]
    hr = _row(out, "s17_escalation_hazard_ratio")
    assert (hr["estimate"], hr["ci_low"], hr["ci_high"]) == pytest.approx((hr0, lo0, hi0), rel=1e-6)
    assert hr["p_value"] == pytest.approx(p0, rel=1e-5)


def test_sample_adjusted_hazard_ratio_matches_r_coxph(sample):
    out = S.escalation_indicators(
        sample.families,
        sample.payments,
        data_cut=CUT,
        covariates=["n_children", "immigration_status"],
    )
    hr = _row(out, "s17_escalation_hazard_ratio")
    line = [ln for ln in _rout().splitlines() if ln.startswith("HR ")][1]
    ref = [float(x) for x in re.findall(r"-?\d+\.\d+(?:e-?\d+)?|\b\d+\b", line)]
    est, lo, hi, p, n, events = ref
    assert (hr["estimate"], hr["ci_low"], hr["ci_high"]) == pytest.approx((est, lo, hi), rel=1e-6)
    assert hr["p_value"] == pytest.approx(p, rel=1e-5)
    assert hr["n"] == n and json.loads(hr["params"])["n_events"] == events
    assert "adjusted for n_children, immigration_status" in hr["method"]


def test_sample_episodes_match_r_survfit(sample):
    out = S.episode_indicators(sample.s17_episodes, sample.families, data_cut=CUT)
    text = _rout()
    comp = re.search(r"cohort=comparison\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)", text)
    n, _events, med, lo, hi = (float(x) for x in comp.groups())
    row = _row(out, "s17_median_episode_days", "comparison")
    assert (row["n"], row["estimate"], row["ci_low"], row["ci_high"]) == (n, med, lo, hi)
    pooled = re.search(r"\[1,\]\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)", text)
    n, _events, med, lo, hi = (float(x) for x in pooled.groups())
    row = _row(out, "s17_median_episode_days", "all")
    assert (row["n"], row["estimate"], row["ci_low"], row["ci_high"]) == (n, med, lo, hi)
    assert re.search(r"cohort=noream\s+18\s+1\s+NA", text)
    assert np.isnan(_row(out, "s17_median_episode_days", "noream")["estimate"])
    for cohort in ("noream", "comparison"):
        mean = float(re.search(rf"\d\s+{cohort}\s+([\d.]+)", text).group(1))
        assert _row(out, "s17_days_on_support", cohort)["estimate"] == pytest.approx(mean)
    assert _row(out, "s17_days_on_support", "all")["estimate"] == pytest.approx(_numbers("all ")[0])


def test_defaults_follow_the_analysis_plan():
    plan = AnalysisPlan()
    assert plan.escalation_months == (6, 12) and plan.cox_covariates == ()
    import inspect

    sig = inspect.signature(C.cost_consequence_indicator)
    assert sig.parameters["seed"].default == plan.seed
    assert sig.parameters["s17_annual_cost_gbp"].default == plan.s17_annual_cost_gbp
    assert sig.parameters["cost_source"].default == plan.cost_source


def test_docs_define_every_indicator_and_table():
    text = (ROOT / "docs" / "outcomes.md").read_text("utf-8")
    start = text.index("## Outcome 2")
    section = text[start : text.index("\n## ", start + 5)]
    for name in (*INDICATORS, *TABLES):
        assert f"`{name}`" in section, name
