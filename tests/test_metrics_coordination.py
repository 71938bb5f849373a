"""Outcome 6: directorates per meeting and their trend, consultations, staff coordination."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from _practice_frames import BASE, REVIEW, meetings, reference, row, staff
from scipy import stats

from noream_eval.metrics import coordination as co
from noream_eval.metrics.core import INDICATOR_COLUMNS, Settings, indicator_table
from noream_eval.sample.world import PARAMETERS
from noream_eval.schema import LEVELS, empty_table

CUT = pd.Timestamp("2022-06-30")
A = ["childrens_social_care"]
ALL_DIRS = list(LEVELS["directorate"])

# The meetings of tests/reference/practice_metrics.R: date, consultation flag, directorates.
TREND_DATES = [
    "2021-03-10", "2021-04-14", "2021-04-30", "2021-05-12", "2021-06-09", "2021-07-14",
    "2021-08-06", "2021-08-11", "2021-09-08", "2021-10-13", "2021-11-10", "2021-12-01",
    "2021-12-08", "2022-01-12", "2022-02-09", "2022-03-09",
]  # fmt: skip
TREND_CC = [0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0]
TREND_Y = [2, 2, 1, 3, 1, 4, 3, 2, 4, 3, 4, 2, 3, 5, 3, 4]


def trend_meetings() -> pd.DataFrame:
    rows = [
        (f"m{i}", d, "case_consultation" if c else "snac", A, ALL_DIRS[:y])
        for i, (d, c, y) in enumerate(zip(TREND_DATES, TREND_CC, TREND_Y, strict=True))
    ]
    # A meeting without directorates listed is left out of every directorate measure.
    rows.append(("x", "2022-04-13", "snac", A, []))
    return meetings(rows)


def test_trend_matches_r_poisson_with_sandwich_errors():
    ref = reference()
    res = co.directorates_per_meeting_trend(trend_meetings(), data_cut=CUT)
    assert res["group"].tolist() == ["all", "snac"]
    for group in ("all", "snac"):
        r = row(res, group)
        assert r["estimate"] == pytest.approx(ref[f"trend_{group}_rr"], rel=1e-6)
        assert r["ci_low"] == pytest.approx(ref[f"trend_{group}_ci_low"], rel=1e-6)
        assert r["ci_high"] == pytest.approx(ref[f"trend_{group}_ci_high"], rel=1e-6)
        assert r["p_value"] == pytest.approx(ref[f"trend_{group}_p"], rel=1e-5)
    assert row(res)["n"] == 16 and row(res, "snac")["n"] == 13
    assert "adjusted for meeting kind" in row(res)["method"]
    assert json.loads(row(res)["params"])["meetings_not_recorded"] == 1


def test_trend_needs_three_meetings_on_different_days():
    few = meetings([("a", "2022-01-12", "snac", A, ALL_DIRS[:2])] * 1)
    r = row(co.directorates_per_meeting_trend(few, data_cut=CUT))
    assert math.isnan(r["estimate"]) and "fewer than 3 meetings" in r["method"]
    same = meetings([(f"m{i}", "2022-01-12", "snac", A, ALL_DIRS[: i + 1]) for i in range(3)])
    r = row(co.directorates_per_meeting_trend(same, data_cut=CUT))
    assert math.isnan(r["estimate"]) and "all meetings on one day" in r["method"]


def test_directorates_per_meeting_by_hand():
    m = trend_meetings()
    res = co.directorates_per_meeting(m, data_cut=CUT)
    r = row(res)
    y = np.array(TREND_Y, dtype=float)
    half = stats.t.ppf(0.975, len(y) - 1) * y.std(ddof=1) / math.sqrt(len(y))
    assert (r["n"], r["estimate"]) == (16, pytest.approx(y.mean()))
    assert r["ci_high"] == pytest.approx(y.mean() + half)
    assert "1 meeting(s) without directorates listed left out" in r["method"]
    cc = row(res, "case_consultation")
    assert cc["estimate"] == pytest.approx(2.0) and cc["n"] == 3


def test_directorates_by_quarter_and_consultations_by_directorate():
    q = co.directorates_by_quarter(trend_meetings(), data_cut=CUT)
    assert q["quarter"].tolist() == ["2021Q1", "2021Q2", "2021Q3", "2021Q4", "2022Q1", "2022Q2"]
    q2 = q.iloc[1]  # 14 Apr (2), 30 Apr consultation (1), 12 May (3), 9 Jun (1)
    assert (q2["meetings"], q2["snacs"], q2["consultations"]) == (4, 3, 1)
    assert q2["mean_directorates"] == pytest.approx(7 / 4)
    assert q2["mean_directorates_snac"] == pytest.approx(2.0)
    assert q2["mean_directorates_consultation"] == 1.0
    last = q.iloc[-1]  # only the meeting without directorates
    assert (last["meetings"], last["meetings_recorded"]) == (1, 0)
    assert math.isnan(last["mean_directorates"])

    c = co.consultations_by_directorate(trend_meetings(), data_cut=CUT)
    assert c["directorate"].tolist() == ALL_DIRS
    # consultations list the first 1, 3 and 2 directorates
    assert c["consultations"].tolist()[:4] == [3, 2, 1, 0]
    assert c["share_of_consultations"].iloc[1] == pytest.approx(2 / 3)
    assert c["snacs"].iloc[0] == 13 and c["share_of_snacs"].iloc[0] == 1.0


def test_no_meetings_and_a_meeting_without_directorates():
    m = empty_table("meetings")
    for f in (
        co.directorates_per_meeting(m, data_cut=CUT),
        co.directorates_per_meeting_trend(m, data_cut=CUT),
    ):
        assert tuple(f.columns) == INDICATOR_COLUMNS
        assert f["estimate"].isna().all() and (f["n"] == 0).all()
        assert f["method"].str.contains("no meetings in the data").all()
    assert co.directorates_by_quarter(m, data_cut=CUT).empty
    assert co.consultations_by_directorate(m, data_cut=CUT).empty
    only = meetings([("x", "2022-04-13", "snac", A, [])])
    r = row(co.directorates_per_meeting(only, data_cut=CUT))
    assert math.isnan(r["estimate"]) and "no meeting with directorates listed" in r["method"]


def test_staff_coordination_uses_items_5_to_8():
    ref = reference()
    res = co.staff_coordination_change(staff({"baseline": BASE, "review": REVIEW}, first_item=5))
    assert row(res, "paired")["estimate"] == pytest.approx(ref["paired_estimate"], abs=1e-9)
    assert row(res, "unpaired")["ci_low"] == pytest.approx(ref["welch_ci_low"], abs=1e-9)
    assert json.loads(row(res)["params"])["items"] == [5, 6, 7, 8]
    single = co.staff_coordination_change(staff({"review": REVIEW}, first_item=5))
    assert single["estimate"].isna().all()
    assert single["method"].str.contains("at review only").all()


# --------------------------------------------------------------------------- true values


def expected_item(mu: np.ndarray, sd: float) -> np.ndarray:
    """E[clip(round(Z), 1, 5)] for Z ~ N(mu, sd): 1 + sum_k P(Z > k + 0.5), k = 1..4."""
    return 1 + sum(stats.norm.sf((k + 0.5 - mu) / sd) for k in range(1, 5))


def true_staff_change() -> tuple[float, float]:
    """Observed-scale change of the two staff scales implied by the generator's parameters.

    simulate_staff draws item = clip(rint(3 + person + effect + shift * wave + noise), 1, 5)
    with person ~ N(0, person_sd) and noise ~ N(0, noise_sd): marginally each item is a
    rounded, clipped normal with sd = sqrt(person_sd^2 + noise_sd^2), and the scale mean is
    linear in the items, so the expected change of the scale score is exact in closed form.
    """
    p = PARAMETERS["staff"]
    sd = math.hypot(p["person_sd"], p["noise_sd"])
    mu0 = p["item_base"] + np.array(p["item_effects"])
    shift = np.array([p["wave2_shift_multi_agency"]] * 4 + [p["wave2_shift_coordination"]] * 4)
    change = expected_item(mu0 + shift, sd) - expected_item(mu0, sd)
    return float(change[:4].mean()), float(change[4:].mean())


def test_true_staff_change_closed_form_agrees_with_simulating_the_generator():
    ma_true, co_true = true_staff_change()
    assert ma_true == pytest.approx(0.3400, abs=5e-5)  # latent shift 0.35
    assert co_true == pytest.approx(0.4380, abs=5e-5)  # latent shift 0.45
    p = PARAMETERS["staff"]
    rng = np.random.default_rng(1)
    n = 400_000
    person = rng.normal(0, p["person_sd"], n)
    effects = np.array(p["item_effects"])
    shift = np.array([p["wave2_shift_multi_agency"]] * 4 + [p["wave2_shift_coordination"]] * 4)
    waves = []
    for w in (0, 1):
        latent = 3 + person[:, None] + effects + shift * w + rng.normal(0, p["noise_sd"], (n, 8))
        waves.append(np.clip(np.rint(latent), 1, 5))
    d = (waves[1] - waves[0]).mean(axis=0)
    assert d[:4].mean() == pytest.approx(ma_true, abs=0.005)
    assert d[4:].mean() == pytest.approx(co_true, abs=0.005)


def test_sample_values_cover_the_generator_truth(sample):
    part = co.compute(sample, Settings.from_data(sample))
    ind = indicator_table(part.indicators)
    ch = row(ind.loc[ind["indicator"] == "staff_coordination_change"])
    _, co_true = true_staff_change()
    assert ch["ci_low"] < co_true < ch["ci_high"] and ch["n"] == 18
    # Directorates at a SNAC: 1 + sum of the interpolated probabilities, 2.2 at the first
    # month rising linearly to 3.8 at the last (mean 3.0 over the 16 months).
    snac = row(ind.loc[ind["indicator"] == "directorates_per_meeting"], "snac")
    assert snac["ci_low"] < 3.0 < snac["ci_high"]
    # Pseudo-true rate ratio per year of the log-linear fit to that linear mean over the
    # expected meeting design: 1.49 (all meetings, adjusted for kind), 1.54 (SNACs).
    trend = ind.loc[ind["indicator"] == "directorates_per_meeting_trend"]
    assert row(trend)["ci_low"] < 1.49 < row(trend)["ci_high"]
    assert row(trend, "snac")["ci_low"] < 1.54 < row(trend, "snac")["ci_high"]
    assert row(trend)["estimate"] > 1
    assert set(part.tables) == {
        "directorates_by_quarter",
        "consultations_by_directorate",
        "staff_coordination_by_timepoint",
    }
