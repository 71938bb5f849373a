"""Outcome 5: SNACs, meetings, MAP strategies and the staff multi-agency scale."""

from __future__ import annotations

import json
import math
import pathlib

import numpy as np
import pandas as pd
import pytest
from _practice_frames import (
    BASE,
    REVIEW,
    cases,
    deliverables,
    families,
    meetings,
    reference,
    row,
    staff,
)
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from noream_eval.metrics import multiagency as ma
from noream_eval.metrics.core import INDICATOR_COLUMNS, Settings, indicator_table
from noream_eval.metrics.staff import scale_by_timepoint, scale_scores
from noream_eval.schema import empty_table
from noream_eval.stats import proportion_ci

CUT = pd.Timestamp("2022-06-30")

A = ["childrens_social_care", "housing"]
D = ["childrens_services"]


# --------------------------------------------------------------------------- SNACs held


def test_snacs_held_against_a_monthly_plan_from_the_first_snac():
    m = meetings(
        [
            ("a", "2022-01-12", "snac", A, D),
            ("b", "2022-02-09", "snac", A, D),
            # March missed; two SNACs in April count as one planned SNAC held
            ("c", "2022-04-06", "snac", A, D),
            ("d", "2022-04-27", "snac", A, D),
            ("e", "2022-05-11", "case_consultation", A, D),
        ]
    )
    # Cut mid-June, no SNAC yet in June: June is not planned.
    table = ma.snacs_by_site(m, data_cut="2022-06-15", sites=("E1",))
    got = table.iloc[0]
    assert (got["site"], got["first_month"], got["last_month"]) == ("E1", "2022-01", "2022-05")
    assert (got["months_planned"], got["months_held"], got["snacs_held"]) == (5, 3, 4)
    res = ma.snacs_held_share(m, data_cut="2022-06-15", sites=("E1",))
    r = row(res)
    ci = proportion_ci(3, 5).to_frame().iloc[0]
    assert r["estimate"] == pytest.approx(0.6) and r["n"] == 5
    assert r["ci_low"] == pytest.approx(ci["ci_low"]) and r["ci_high"] == pytest.approx(
        ci["ci_high"]
    )
    # The cut on the month's last day makes June planned (and missed).
    assert ma.snacs_by_site(m, data_cut=CUT, sites=("E1",)).iloc[0]["months_planned"] == 6
    # A SNAC already held in the cut's month makes it planned even mid-month.
    m2 = meetings([("a", "2022-05-11", "snac", A, D), ("b", "2022-06-08", "snac", A, D)])
    assert ma.snacs_by_site(m2, data_cut="2022-06-10", sites=("E1",)).iloc[0]["months_planned"] == 2


def test_a_site_with_no_meetings_counts_as_holding_none():
    m = meetings(
        [
            ("a", "2022-03-09", "snac", A, D, "E1"),
            ("b", "2022-04-13", "snac", A, D, "E1"),
            ("c", "2022-05-11", "snac", A, D, "E1"),
            ("d", "2022-06-08", "snac", A, D, "E1"),
        ],
        site=True,
    )
    by_site = ma.snacs_by_site(m, data_cut=CUT, sites=("E1", "E2"))
    assert by_site["site"].tolist() == ["E1", "E2"]
    e2 = by_site.iloc[1]
    assert (e2["first_month"], e2["months_planned"], e2["months_held"]) == ("2022-03", 4, 0)
    res = ma.snacs_held_share(m, data_cut=CUT, sites=("E1", "E2"))
    assert res["group"].tolist() == ["all", "E1", "E2"]
    assert row(res)["estimate"] == pytest.approx(0.5) and row(res)["n"] == 8
    assert row(res, "E2")["estimate"] == 0.0
    assert "no SNAC recorded for this site" in row(res, "E2")["method"]
    monthly = ma.meetings_monthly(m, cases([]), data_cut=CUT, sites=("E1", "E2"))
    assert monthly["snacs_planned"].tolist() == [2, 2, 2, 2]
    assert monthly["snacs_held"].tolist() == [1, 1, 1, 1]


def test_snacs_without_a_site_pooled_over_the_programme_sites():
    m = meetings(
        [
            ("a", "2022-05-11", "snac", A, D),
            ("b", "2022-05-18", "snac", A, D),
            ("c", "2022-05-25", "snac", A, D),
            ("d", "2022-06-08", "snac", A, D),
        ]
    )
    table = ma.snacs_by_site(m, data_cut=CUT, sites=("E1", "E2"))
    assert table["site"].tolist() == ["all"]
    # May: 3 SNACs for 2 sites, at most 2 count; June: 1 of 2.
    assert (table.iloc[0]["months_planned"], table.iloc[0]["months_held"]) == (4, 3)


def test_no_meetings_at_all_gives_reasons_not_numbers():
    m = empty_table("meetings")
    mc = empty_table("meeting_cases")
    fam = families([("f1", "E1", "2022-01-01")])
    frames = [
        ma.snacs_held_share(m, data_cut=CUT, sites=("E1",)),
        ma.cases_per_meeting(m, mc, data_cut=CUT),
        ma.agencies_per_meeting(m, data_cut=CUT),
        ma.agencies_per_family(m, mc, data_cut=CUT),
        ma.families_discussed_share(fam, m, mc, data_cut=CUT),
    ]
    for f in frames:
        assert tuple(f.columns) == INDICATOR_COLUMNS
        assert f["estimate"].isna().all() and (f["n"] == 0).all()
        assert f["method"].str.contains("no meetings in the data").all()
    assert ma.meetings_monthly(m, mc, data_cut=CUT).empty
    assert ma.snacs_by_site(m, data_cut=CUT).empty


def test_consultations_only_leave_the_snac_plan_unknown():
    m = meetings([("a", "2022-05-11", "case_consultation", A, D)])
    r = row(ma.snacs_held_share(m, data_cut=CUT, sites=("E1",)))
    assert math.isnan(r["estimate"]) and "no SNAC recorded" in r["method"]


def test_meetings_monthly_counts_by_hand():
    m = meetings(
        [
            ("a", "2022-04-13", "snac", A, ["childrens_services", "housing"]),
            ("b", "2022-04-20", "case_consultation", ["housing"], []),
            ("c", "2022-06-08", "snac", [], D),
        ]
    )
    mc = cases([("a", "f1"), ("a", "f2"), ("b", "f1"), ("c", "f3")])
    got = ma.meetings_monthly(m, mc, data_cut=CUT, sites=("E1",))
    assert got["month"].tolist() == ["2022-04", "2022-05", "2022-06"]
    assert got["snacs_held"].tolist() == [1, 0, 1]
    assert got["snacs_planned"].tolist() == [1, 1, 1]
    assert got["consultations"].tolist() == [1, 0, 0]
    assert got["cases_discussed"].tolist() == [3, 0, 1]
    assert got["families_discussed"].tolist() == [2, 0, 1]
    # Means over meetings with the list recorded: April agencies (2 + 1) / 2; June none.
    assert got["mean_agencies"].iloc[0] == 1.5 and math.isnan(got["mean_agencies"].iloc[2])
    assert got["mean_directorates"].iloc[0] == 2.0 and got["mean_directorates"].iloc[2] == 1.0
    assert math.isnan(got["mean_agencies"].iloc[1])


# --------------------------------------------------------------------------- cases and agencies


def test_cases_and_agencies_per_meeting_by_hand():
    m = meetings(
        [
            ("a", "2022-04-13", "snac", ["childrens_social_care", "housing", "health"], D),
            ("b", "2022-05-11", "snac", ["childrens_social_care"], D),
            ("c", "2022-05-20", "case_consultation", [], D),  # no agencies listed
            ("d", "2022-06-08", "snac", ["housing", "housing", "legal"], D),
        ]
    )
    mc = cases([("a", "f1"), ("a", "f2"), ("a", "f3"), ("b", "f1"), ("c", "f4")])
    cpm = ma.cases_per_meeting(m, mc, data_cut=CUT)
    allrow = row(cpm)
    x = np.array([3, 1, 1, 0])
    half = stats.t.ppf(0.975, 3) * x.std(ddof=1) / 2
    assert allrow["n"] == 4 and allrow["estimate"] == pytest.approx(1.25)
    assert allrow["ci_low"] == pytest.approx(1.25 - half)
    assert row(cpm, "snac")["estimate"] == pytest.approx(4 / 3)
    single = row(cpm, "case_consultation")
    assert single["n"] == 1 and math.isnan(single["ci_low"]) and "no interval" in single["method"]

    apm = ma.agencies_per_meeting(m, data_cut=CUT)
    r = row(apm)
    # Meeting c lists none: left out; d lists housing twice: 2 distinct.
    assert r["n"] == 3 and r["estimate"] == pytest.approx((3 + 1 + 2) / 3)
    assert "1 meeting(s) without agencies listed left out" in r["method"]
    assert json.loads(r["params"]) == {"meetings": 4, "meetings_not_recorded": 1}
    cc = row(apm, "case_consultation")
    assert math.isnan(cc["estimate"]) and cc["n"] == 0
    assert "no meeting with agencies listed" in cc["method"]

    apf = row(ma.agencies_per_family(m, mc, data_cut=CUT))
    # f1: a and b -> {csc, housing, health}; f2, f3: a -> 3; f4 only at c (none listed).
    assert apf["n"] == 3 and apf["estimate"] == pytest.approx(3.0)
    assert json.loads(apf["params"])["families_without_agencies"] == 1


def test_families_discussed_share_by_site_and_a_site_never_discussed():
    fam = families(
        [
            ("f1", "E1", "2021-05-01"),
            ("f2", "E1", "2021-06-01"),
            ("f3", "E1", "2021-07-01"),
            ("f4", "E2", "2021-07-01"),
            ("f5", "E2", None),  # not enrolled
            ("f6", "E1", "2022-08-01"),  # enrolled after the cut
        ]
    )
    m = meetings([("a", "2022-04-13", "snac", A, D), ("z", "2022-07-13", "snac", A, D)])
    mc = cases([("a", "f1"), ("a", "f2"), ("a", "f5"), ("z", "f3")])
    res = ma.families_discussed_share(fam, m, mc, data_cut=CUT)
    assert res["group"].tolist() == ["all", "E1", "E2"]
    r = row(res)
    ci = proportion_ci(2, 4).to_frame().iloc[0]
    assert (r["n"], r["estimate"]) == (4, 0.5)
    assert r["ci_low"] == pytest.approx(ci["ci_low"])
    assert row(res, "E2")["estimate"] == 0.0
    assert "none of these families was discussed" in row(res, "E2")["method"]


# --------------------------------------------------------------------------- MAP strategies


def test_map_strategies_per_borough():
    d = deliverables(
        [
            ("map_strategy", "E1", "in_progress", None),
            ("map_strategy", "E1", "published", "2022-02-01"),
            ("map_strategy", "E3", "planned", None),
            ("map_strategy", None, "published", "2022-01-01"),  # no site: left out
            ("manual", "E1", "published", "2022-03-01"),
        ]
    )
    table = ma.map_strategies(d, sites=("E1", "E2"))
    assert table["site"].tolist() == ["E1", "E2", "E3"]
    assert table["published"].tolist() == ["yes", "no", "no"]
    assert table["status"].tolist() == ["published", "none", "planned"]
    assert table["strategies"].tolist() == [2, 0, 1]
    assert table["date"].iloc[0] == pd.Timestamp("2022-02-01") and pd.isna(table["date"].iloc[1])
    r = row(ma.map_strategy_published(d, sites=("E1", "E2")))
    assert (r["n"], r["estimate"]) == (3, pytest.approx(1 / 3))
    assert math.isnan(r["ci_low"]) and "1 programme site(s) without a MAP strategy" in r["method"]
    empty = row(ma.map_strategy_published(empty_table("deliverables"), sites=("E1",)))
    assert math.isnan(empty["estimate"]) and empty["n"] == 0


# --------------------------------------------------------------------------- staff survey


def test_staff_change_matches_r_paired_and_welch():
    ref = reference()
    res = ma.staff_multi_agency_change(staff({"baseline": BASE, "review": REVIEW}))
    assert res["group"].tolist() == ["all", "paired", "unpaired"]
    paired, unpaired, headline = row(res, "paired"), row(res, "unpaired"), row(res)
    assert paired["n"] == ref["paired_n"]
    for k in ("estimate", "ci_low", "ci_high"):
        assert paired[k] == pytest.approx(ref[f"paired_{k}"], abs=1e-9)
        assert unpaired[k] == pytest.approx(ref[f"welch_{k}"], abs=1e-9)
    assert paired["p_value"] == pytest.approx(ref["paired_p"], rel=1e-6)
    assert unpaired["p_value"] == pytest.approx(ref["welch_p"], rel=1e-6)
    assert unpaired["n"] == ref["welch_n"]
    assert f"df {ref['welch_df']:.1f}" in unpaired["method"]
    # 10 linked pairs reach the default minimum: the headline is the paired estimate.
    assert (
        headline["estimate"] == paired["estimate"] and "headline: at least 10" in headline["method"]
    )
    assert "paired t-test" in headline["method"]


def test_staff_headline_is_unpaired_below_the_minimum_pairs():
    res = ma.staff_multi_agency_change(staff({"baseline": BASE, "review": REVIEW}), min_pairs=11)
    assert row(res)["estimate"] == row(res, "unpaired")["estimate"]
    assert "only 10 linked pair(s), fewer than 11" in row(res)["method"]


def test_staff_with_no_linked_respondents_is_unpaired_only():
    review = {f"n{k}": v for k, v in REVIEW.items()}  # new people at follow-up
    res = ma.staff_multi_agency_change(staff({"baseline": BASE, "review": review}))
    paired = row(res, "paired")
    assert math.isnan(paired["estimate"]) and paired["n"] == 0
    assert "no respondent answered at both" in paired["method"]
    assert row(res)["estimate"] == pytest.approx(row(res, "unpaired")["estimate"])
    assert "unpaired" in row(res)["method"] and "Welch" in row(res)["method"]


def test_staff_single_time_point_gives_no_change():
    res = ma.staff_multi_agency_change(staff({"baseline": BASE}))
    assert res["estimate"].isna().all() and (res["n"] == 0).all()
    assert res["method"].str.contains("a single time point only").all()
    none = ma.staff_multi_agency_change(empty_table("staff_responses"))
    assert none["estimate"].isna().all() and none["method"].str.contains("no scored").all()


def test_scale_scores_need_three_of_four_items_and_ignore_other_items():
    scores = scale_scores(staff({"baseline": BASE}), items=(1, 2, 3, 4))
    assert "s12" not in set(scores["respondent_id"])  # 2 of 4 answered
    s05 = scores.loc[scores["respondent_id"] == "s05"].iloc[0]
    assert s05["items_answered"] == 3 and s05["score"] == pytest.approx(7 / 3)
    table = scale_by_timepoint(
        scale_scores(staff({"baseline": BASE, "review": REVIEW}), items=(1, 2, 3, 4)),
        scale="multi_agency",
    )
    assert table["respondents"].tolist() == [11, 13] and table["linked"].tolist() == [10, 10]


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.lists(st.integers(1, 5), min_size=4, max_size=4), min_size=3, max_size=15),
    st.lists(st.lists(st.integers(1, 5), min_size=4, max_size=4), min_size=3, max_size=15),
    st.integers(0, 3),
)
def test_staff_change_is_the_difference_of_means(pre, post, overlap):
    base = {f"p{i}": v for i, v in enumerate(pre)}
    review = {(f"p{i}" if i < overlap else f"q{i}"): v for i, v in enumerate(post)}
    res = ma.staff_multi_agency_change(staff({"baseline": base, "review": review}))
    b = np.array([np.mean(v) for v in base.values()])
    r = np.array([np.mean(v) for v in review.values()])
    un = row(res, "unpaired")
    assert un["estimate"] == pytest.approx(r.mean() - b.mean(), abs=1e-12)
    linked = [k for k in review if k in base]
    pa = row(res, "paired")
    if len(linked) >= 2:
        d = [np.mean(review[k]) - np.mean(base[k]) for k in linked]
        assert pa["estimate"] == pytest.approx(np.mean(d), abs=1e-12)
    else:
        assert math.isnan(pa["estimate"])
    assert row(res)["estimate"] == pytest.approx(un["estimate"]) or math.isnan(un["estimate"])


# --------------------------------------------------------------------------- the sample


def test_sample_values_match_the_generator(sample):
    truth = json.loads(
        (pathlib.Path(__file__).parents[1] / "data" / "sample" / "truth.json").read_text()
    )
    meet = truth["realised"]["meetings"]
    part = ma.compute(sample, Settings.from_data(sample))
    ind = indicator_table(part.indicators)
    assert tuple(ind.columns) == INDICATOR_COLUMNS

    def est(name, group="all"):
        return row(ind.loc[ind["indicator"] == name], group)

    snac = est("snacs_held_share")
    assert (snac["n"], snac["estimate"]) == (meet["snac_planned"], meet["snac_held"] / 16)
    assert est("families_discussed_share")["estimate"] == pytest.approx(
        meet["share_enrolled_families_discussed"], abs=1e-6
    )
    assert est("agencies_per_meeting", "snac")["estimate"] == pytest.approx(
        meet["mean_agencies_per_snac"], abs=1e-6
    )
    cpm = est("cases_per_meeting")
    assert cpm["estimate"] * cpm["n"] == pytest.approx(meet["meeting_cases"])
    assert est("map_strategy_published")["estimate"] == pytest.approx(
        truth["realised"]["deliverables"]["map_strategies_published"] / 6
    )
    # The observed-scale truth of the staff change is 0.340 (see test_metrics_coordination).
    ch = est("staff_multi_agency_change")
    assert ch["n"] == truth["realised"]["staff"]["linked_both_waves"]
    assert ch["ci_low"] < 0.340 < ch["ci_high"]
    waves = part.tables["staff_multi_agency_by_timepoint"]
    staff_truth = truth["realised"]["staff"]
    assert waves["mean"].tolist() == pytest.approx(
        [
            staff_truth["wave_1"]["mean_multi_agency_items_1_4"],
            staff_truth["wave_2"]["mean_multi_agency_items_1_4"],
        ],
        abs=1e-6,
    )
    assert set(part.tables) == {
        "meetings_monthly",
        "snacs_by_site",
        "map_strategies",
        "staff_multi_agency_by_timepoint",
    }
    for table in part.tables.values():
        assert not any(table[c].map(lambda v: isinstance(v, list | dict)).any() for c in table)
        assert not {"family_id", "respondent_id", "meeting_id"} & set(table.columns)
