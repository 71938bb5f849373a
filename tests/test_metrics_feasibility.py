"""Feasibility: participant flow, recruitment against target, retention, data completeness."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _practice_frames import canonical
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from noream_eval.data import EvaluationData
from noream_eval.errors import ValidationError
from noream_eval.metrics import compute_all
from noream_eval.metrics import feasibility as fe
from noream_eval.metrics.core import INDICATOR_COLUMNS, Settings
from noream_eval.metrics.wellbeing import followup_due, wellbeing_indicators
from noream_eval.schema import LEVELS, TABLES, empty_table

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "outcomes.md"
CUT = pd.Timestamp("2022-06-30")
START = pd.Timestamp("2021-02-01")


# --------------------------------------------------------------------------- builders


def _families(rows) -> pd.DataFrame:
    """Canonical families from (id, cohort, assessed, eligibility, offered, enrolled, reason)."""
    cols = ["family_id", "cohort", "eligibility_assessed_date", "eligibility"]
    cols += ["offered_date", "enrolled_date", "not_enrolled_reason"]
    df = pd.DataFrame(rows, columns=cols)
    for c in ("eligibility_assessed_date", "offered_date", "enrolled_date"):
        df[c] = pd.to_datetime(df[c])
    df["site"] = "E1"
    df["first_contact_date"] = pd.Timestamp("2021-01-15")
    df["history_known_from"] = pd.Timestamp("2017-04-01")
    return canonical("families", df)


def _completion(fid, timepoint, date, *, answered=7, respondent="parent_carer", rid=None):
    rid = rid or f"r_{fid}_{timepoint}_{respondent}_{date}"
    return [
        {
            "response_id": rid,
            "family_id": fid,
            "respondent": respondent,
            "timepoint": timepoint,
            "response_date": pd.Timestamp(date),
            "instrument": "swemwbs",
            "item": i + 1,
            "value": 3,
        }
        for i in range(answered)
    ]


def _items(rows) -> pd.DataFrame:
    return canonical(
        "wellbeing_items", pd.DataFrame(rows, columns=TABLES["wellbeing_items"].columns)
    )


def _domains(rows, domains=LEVELS["domain"]) -> pd.DataFrame:
    out = [
        {
            "family_id": f,
            "assessment_date": pd.Timestamp(d),
            "timepoint": t,
            "domain": dom,
            "score": 3,
        }
        for f, d, t in rows
        for dom in domains
    ]
    return canonical("domain_scores", pd.DataFrame(out, columns=TABLES["domain_scores"].columns))


# The hand-made case: two comparison families and ten in the flow.
FAMILIES = [
    ("f01", "comparison", None, None, None, None, None),
    ("f02", "comparison", None, None, None, None, None),
    ("f03", "not_enrolled", None, None, None, None, "declined"),
    ("f04", "not_enrolled", "2021-03-01", "not_eligible", None, None, "not_eligible"),
    ("f05", "not_enrolled", "2021-03-02", "eligible", None, None, "no_capacity"),
    ("f06", "not_enrolled", "2021-03-03", "eligible", "2021-04-01", None, "declined"),
    ("f07", "noream", "2021-03-01", "eligible", "2021-03-05", "2021-03-10", None),
    ("f08", "noream", "2021-04-20", "eligible", None, "2021-05-01", None),  # offer not recorded
    ("f09", "noream", "2021-05-20", "eligible", "2021-05-25", "2021-06-01", None),
    ("f10", "noream", "2022-02-20", "eligible", "2022-02-25", "2022-03-01", None),
    ("f11", "noream", "2021-06-20", "eligible", "2021-06-25", "2021-07-01", None),
    ("f12", "noream", None, None, "2021-07-25", "2021-08-01", None),  # no assessment recorded
]
COMPLETIONS = [
    *_completion("f07", "baseline", "2021-03-15"),  # due 2021-10-25: a complete pair
    *_completion("f07", "review", "2021-09-20"),
    *_completion("f07", "baseline", "2021-03-16", respondent="child"),  # not the parent/carer
    *_completion("f08", "baseline", "2021-05-05"),  # due, no follow-up
    *_completion("f09", "baseline", "2021-06-02", answered=6),  # incomplete baseline
    *_completion("f09", "review", "2021-12-10"),  # complete follow-up: completed, no pair
    *_completion("f10", "baseline", "2022-03-05"),  # due 2022-10-15: after the cut
    *_completion("f12", "baseline", "2021-08-05"),
    *_completion("f12", "review", "2022-02-10", answered=5),  # incomplete follow-up
    *_completion("f06", "baseline", "2021-04-02"),  # not enrolled: left out
]
DOMAIN_ROWS = [
    ("f07", "2021-03-12", "baseline"),
    ("f11", "2021-07-05", "baseline"),
    ("f07", "2021-09-10", "review"),
]


def hand_data(**replace_tables) -> EvaluationData:
    tables = {
        "families": _families(FAMILIES),
        "wellbeing_items": _items(COMPLETIONS),
        "domain_scores": _domains(DOMAIN_ROWS),
    }
    tables.update(replace_tables)
    return EvaluationData(**tables)


OPTS = {"programme_start": START, "data_cut": CUT}


def _flow(data, **kw) -> pd.DataFrame:
    return fe.participant_flow(data, **{**OPTS, **kw}).set_index("stage")


def _ind(data, **kw) -> pd.DataFrame:
    return fe.feasibility_indicators(data, **{**OPTS, **kw}).set_index("indicator")


def _wilson(k: int, n: int) -> tuple[float, float]:
    """Wilson (1927) score interval, written out (Newcombe 1998, method 3)."""
    z = 1.959963984540054
    p = k / n
    centre = p + z * z / (2 * n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (centre - half) / (1 + z * z / n), (centre + half) / (1 + z * z / n)


# --------------------------------------------------------------------------- by hand


def test_flow_by_hand():
    flow = _flow(hand_data())
    assert list(flow.index) == [s for s, _ in fe.STAGES]
    assert tuple(flow.reset_index().columns) == fe.FLOW_COLUMNS
    expected = {
        "referred": 10,
        "eligibility_assessed": 9,  # f04-f11, and f12 (offered and enrolled)
        "eligible": 8,  # f05-f11, and f12
        "offered": 7,  # f06, f07, f09-f12, and f08 (enrolled)
        "enrolled": 6,
        "baseline_wellbeing": 5,  # f07, f08, f09, f10, f12 (f06 is not enrolled)
        "baseline_domains": 2,
        "baseline_either": 6,
        "followup_due": 4,  # f07, f08, f12 by time; f09 by its follow-up; f10 not yet
        "followup_completed": 2,  # f07, f09 (f12's follow-up is incomplete)
    }
    assert flow["n"].to_dict() == expected
    for stage, prev in fe.STAGES[1:]:
        k, n = expected[stage], expected[prev]
        row = flow.loc[stage]
        assert row["previous"] == prev
        assert row["share_of_previous"] == pytest.approx(k / n)
        assert (row["ci_low"], row["ci_high"]) == pytest.approx(_wilson(k, n), abs=1e-12)
        assert row["share_of_referred"] == pytest.approx(k / 10)
    assert flow.loc["offered", "note"] == "1 enrolled famil(ies) without an offered_date"
    assert "1 famil(ies) offered or enrolled" in flow.loc["eligible", "note"]
    assert "1 famil(ies) with an eligibility outcome" in flow.loc["eligibility_assessed", "note"]
    assert flow.loc["referred", "share_of_referred"] == 1.0
    assert math.isnan(flow.loc["referred", "share_of_previous"])


def test_indicators_by_hand():
    raw = fe.feasibility_indicators(hand_data(), recruitment_target_per_month=1, **OPTS)
    assert tuple(raw.columns) == INDICATOR_COLUMNS
    ind = raw.set_index("indicator")
    assert set(ind["outcome"]) == {"feasibility"} and set(ind["group"]) == {"all"}
    for name, k, n in (
        ("enrolment_rate", 6, 10),
        ("conversion_offered_to_enrolled", 6, 7),
        ("retention_followup", 2, 4),
        ("primary_outcome_completeness", 1, 4),  # only f07 is complete at both
    ):
        row = ind.loc[name]
        assert (row["n"], row["estimate"]) == (n, pytest.approx(k / n)), name
        assert (row["ci_low"], row["ci_high"]) == pytest.approx(_wilson(k, n), abs=1e-12)
        assert json.loads(row["params"])["k"] == k
    assert json.loads(ind.loc["enrolment_rate", "params"])["comparison_families"] == 2
    assert json.loads(ind.loc["enrolment_rate", "params"])["baseline_not_enrolled"] == 1
    p = json.loads(ind.loc["primary_outcome_completeness", "params"])
    assert p["due_incomplete_baseline"] == 1 and p["review_interval_days"] == 182
    # Recruitment: 14 months from February 2021 to March 2022, one family a month.
    rec = ind.loc["recruitment_vs_target"]
    assert (rec["n"], rec["estimate"]) == (14, pytest.approx(6 / 14))
    assert math.isnan(rec["ci_low"])
    p = json.loads(rec["params"])
    assert (p["first_month"], p["last_month"], p["months_since_last_enrolment"]) == (
        "2021-02",
        "2022-03",
        3,
    )
    assert ind.loc["recruitment_months_on_target", "estimate"] == pytest.approx(6 / 14)


def test_retention_pairs_agree_with_outcome_3():
    data = hand_data()
    w = wellbeing_indicators(data.wellbeing_items, data.families, data_cut=CUT, imputations=2)
    w = w.loc[w["group"] == "all"].set_index("indicator")
    pairs = int(w.loc["swemwbs_mean_change", "n"])
    ind = _ind(data)
    assert json.loads(ind.loc["primary_outcome_completeness", "params"])["k"] == pairs == 1


def test_not_enrolled_reasons_by_hand():
    table = fe.not_enrolled_reasons(_families(FAMILIES))
    assert table["reason"].tolist() == [*LEVELS["not_enrolled_reason"], "unknown"]
    got = dict(zip(table["reason"], table["n"], strict=True))
    assert got == {
        "declined": 2,
        "not_eligible": 1,
        "no_capacity": 1,
        "moved_away": 0,
        "other": 0,
        "unknown": 0,
    }
    assert table["share"].sum() == pytest.approx(1.0)


def test_recruitment_monthly_by_hand():
    table = fe.recruitment_monthly(_families(FAMILIES), target_per_month=1, **OPTS)
    assert tuple(table.columns) == fe.RECRUITMENT_COLUMNS
    assert table["month"].iloc[[0, -1]].tolist() == ["2021-02", "2022-03"]
    assert table["enrolled"].sum() == 6 and table["cumulative_enrolled"].iloc[-1] == 6
    assert (table["target"] == 1.0).all() and table["cumulative_target"].iloc[-1] == 14.0
    assert table.set_index("month").loc["2021-03", "enrolled"] == 1


def test_recruitment_pro_rates_partial_months_and_counts_early_enrolments():
    rows = [
        ("a", "noream", None, None, None, "2021-02-10", None),  # before the programme start
        ("b", "noream", None, None, None, "2021-02-20", None),
        ("c", "noream", None, None, None, "2021-04-05", None),
        ("d", "not_enrolled", None, None, None, None, "declined"),
    ]
    fam = _families(rows)
    table = fe.recruitment_monthly(
        fam, programme_start="2021-02-15", data_cut="2021-04-10", target_per_month=28
    ).set_index("month")
    # February: 14 of its 28 days from the start; April: 10 of 30 days to the cut.
    assert table["target"].tolist() == pytest.approx([14.0, 28.0, 28 * 10 / 30])
    assert table["enrolled"].tolist() == [2, 0, 1]
    ind = fe.feasibility_indicators(
        EvaluationData(families=fam),
        programme_start="2021-02-15",
        data_cut="2021-04-10",
        recruitment_target_per_month=28,
    ).set_index("indicator")
    row = ind.loc["recruitment_vs_target"]
    assert row["estimate"] == pytest.approx(3 / (14 + 28 + 28 / 3))
    assert json.loads(row["params"])["enrolled_before_programme_start"] == 1
    assert ind.loc["recruitment_months_on_target", "estimate"] == 0.0
    # Without a programme start the period begins with the first enrolment.
    table = fe.recruitment_monthly(fam, data_cut="2021-04-10", target_per_month=28)
    assert table["month"].tolist() == ["2021-02", "2021-03", "2021-04"]
    assert table["target"].iloc[0] == 28.0


def test_data_completeness_by_hand():
    table = fe.data_completeness(hand_data())
    assert tuple(table.columns) == fe.COMPLETENESS_COLUMNS
    t = table.set_index(["table", "field", "timepoint"])
    fam = t.loc["families"]
    assert list(fam.index.get_level_values(0)) == TABLES["families"].columns
    t = t.sort_index()
    assert fam.loc[("offered_date", "all"), ["n_rows", "n_present"]].tolist() == [10, 6]
    assert fam.loc[("offered_date", "all"), "population"] == "families of the flow"
    assert fam.loc[("eligibility", "all"), "n_present"] == 8  # f04-f11
    reasons = fam.loc[("not_enrolled_reason", "all")]
    assert (reasons["n_rows"], reasons["n_present"]) == (4, 4)
    assert fam.loc[("site", "all"), ["n_rows", "n_present"]].tolist() == [12, 12]
    assert fam.loc[("notes", "all"), "share_present"] == 0.0
    assert fam.loc[("exit_reason", "all"), "n_rows"] == 0
    assert math.isnan(fam.loc[("exit_reason", "all"), "share_present"])
    # Referrals and payments not exported: every field with no rows.
    assert (t.loc["referrals", "n_rows"] == 0).all() and t.loc["payments"].shape[0] == 6
    wb = t.loc["wellbeing_items"].reset_index()
    got = {(r.timepoint, r.population): (r.n_rows, r.n_present) for r in wb.itertuples()}
    assert got == {
        ("baseline", "parent_carer completions"): (6, 5),  # f09's has six items
        ("review", "parent_carer completions"): (3, 2),  # f12's has five
        ("baseline", "child completions"): (1, 1),
    }
    dom = t.loc["domain_scores"]
    assert dom.loc[("all_domains", "baseline"), ["n_rows", "n_present"]].tolist() == [2, 2]
    assert dom.loc[("housing", "review"), "n_present"] == 1


def test_a_domain_left_blank_is_counted_per_time_point():
    ds = _domains([("f07", "2021-03-12", "baseline")])
    ds = ds.loc[ds["domain"] != "housing"]
    ds = pd.concat([ds, _domains([("f08", "2021-05-06", "baseline")])], ignore_index=True)
    # f08 assessed again later: only its first baseline assessment counts.
    ds = pd.concat(
        [ds, _domains([("f08", "2021-06-01", "baseline")], domains=["housing"])], ignore_index=True
    )
    table = fe.data_completeness(hand_data(domain_scores=ds)).set_index(["table", "field"])
    base = table.loc["domain_scores"]
    assert base.loc["all_domains", ["n_rows", "n_present"]].tolist() == [2, 1]
    assert base.loc["housing", "n_present"] == 1 and base.loc["immigration", "n_present"] == 2


# --------------------------------------------------------------------------- edge cases


def test_no_family_in_the_flow():
    only_comparison = _families([r for r in FAMILIES if r[1] == "comparison"])
    data = hand_data(families=only_comparison)
    flow = _flow(data)
    assert (flow["n"] == 0).all()
    assert flow[["share_of_previous", "ci_low", "share_of_referred"]].isna().all().all()
    assert flow["note"].str.contains("no family outside the comparison cohort").all()
    ind = _ind(data, recruitment_target_per_month=5)
    assert ind["estimate"].isna().all()
    assert ind["method"].str.startswith("not estimable:").all()
    assert (ind["n"] == 0).all()
    assert fe.recruitment_monthly(only_comparison, target_per_month=5).empty
    reasons = fe.not_enrolled_reasons(only_comparison)
    assert reasons.empty and list(reasons.columns) == ["reason", "n", "share"]
    empty = _flow(EvaluationData())
    assert (empty["n"] == 0).all() and empty["note"].str.contains("families table").all()


def test_a_stage_field_entirely_missing():
    fam = _families(FAMILIES)
    for families in (fam.assign(offered_date=pd.NaT), fam.drop(columns="offered_date")):
        data = hand_data(families=families)
        flow = _flow(data)
        assert pd.isna(flow.loc["offered", "n"])
        assert "not recorded: offered_date" in flow.loc["offered", "note"]
        # Enrolled takes its share of the eligible families; nothing is implied from it.
        enr = flow.loc["enrolled"]
        assert (enr["previous"], enr["n"]) == ("eligible", 6)
        assert enr["share_of_previous"] == pytest.approx(6 / 8)
        assert "nearest earlier stage recorded" in enr["note"]
        conv = _ind(data).loc["conversion_offered_to_enrolled"]
        assert math.isnan(conv["estimate"]) and conv["n"] == 0
        assert "offered_date holds no value" in conv["method"]
        assert _ind(data).loc["enrolment_rate", "estimate"] == pytest.approx(0.6)
    # No assessment date, but eligibility outcomes: assessed is read from them.
    flow = _flow(hand_data(families=fam.assign(eligibility_assessed_date=pd.NaT)))
    assert flow.loc["eligibility_assessed", "n"] == 9
    assert "read from an eligibility outcome" in flow.loc["eligibility_assessed", "note"]


def test_no_recruitment_target():
    data = hand_data()
    ind = _ind(data)
    for name in ("recruitment_vs_target", "recruitment_months_on_target"):
        row = ind.loc[name]
        assert math.isnan(row["estimate"]) and row["n"] == 14
        assert "no recruitment target" in row["method"]
    table = fe.recruitment_monthly(data.families, **OPTS)
    assert len(table) == 14 and table["target"].isna().all()
    assert table["cumulative_target"].isna().all() and table["enrolled"].sum() == 6
    # compute_all's progression table then does not assess recruitment.
    part = fe.compute(data, Settings(data_cut=CUT, data_start=START, programme_start=START))
    assert part.tables["recruitment_monthly"]["target"].isna().all()


def test_no_followup_due_yet():
    data = hand_data()
    early = pd.Timestamp("2021-09-15")  # before f07's review is due or recorded
    items = data.wellbeing_items
    items = items.loc[items["response_date"] <= early]
    flow = _flow(hand_data(wellbeing_items=items), data_cut=early)
    assert flow.loc["followup_due", "n"] == 0 and flow.loc["followup_completed", "n"] == 0
    assert "no family at followup_due" in flow.loc["followup_completed", "note"]
    ind = _ind(hand_data(wellbeing_items=items), data_cut=early)
    for name in ("retention_followup", "primary_outcome_completeness"):
        row = ind.loc[name]
        assert math.isnan(row["estimate"]) and row["n"] == 0
        assert "no follow-up due by the data cut yet" in row["method"]


def test_no_wellbeing_or_domain_data():
    data = hand_data(
        wellbeing_items=empty_table("wellbeing_items"), domain_scores=empty_table("domain_scores")
    )
    flow = _flow(data)
    for stage in ("baseline_wellbeing", "baseline_domains", "baseline_either", "followup_due"):
        assert pd.isna(flow.loc[stage, "n"]), stage
        assert "not recorded" in flow.loc[stage, "note"]
    assert flow.loc["enrolled", "n"] == 6
    row = _ind(data).loc["retention_followup"]
    assert math.isnan(row["estimate"]) and "no swemwbs questionnaire" in row["method"]
    # Domain assessments only: either is the domain baseline, said in the note.
    flow = _flow(hand_data(wellbeing_items=empty_table("wellbeing_items")))
    assert flow.loc["baseline_either", "n"] == 2
    assert "baseline_domains only" in flow.loc["baseline_either", "note"]


def test_single_cohort_design_leaves_out_families_referred_before_the_programme():
    rows = [
        ("a", "noream", None, None, None, None, None),  # first contact before the start
        ("b", "noream", None, None, None, "2021-03-01", None),  # before, but enrolled
        ("c", "noream", "2021-03-01", "eligible", None, None, "declined"),
        ("d", "noream", None, None, None, "2021-04-01", None),
    ]
    fam = _families(rows)
    fam["first_contact_date"] = pd.to_datetime(
        ["2020-06-01", "2020-12-01", "2021-02-20", "2021-03-20"]
    )
    data = EvaluationData(families=fam)
    flow = _flow(data, comparison=None)
    assert flow.loc["referred", "n"] == 3 and flow.loc["enrolled", "n"] == 2
    ind = _ind(data, comparison=None)
    assert json.loads(ind.loc["enrolment_rate", "params"])["before_programme_start"] == 1
    # Settings of a one-cohort config pass comparison=None.
    settings = Settings(data_cut=CUT, data_start=START, programme_start=START, cohorts=("noream",))
    part = fe.compute(data, settings)
    assert int(part.tables["participant_flow"].set_index("stage").loc["referred", "n"]) == 3


def test_exit_followup_is_due_when_the_family_has_left():
    fam = _families(FAMILIES)
    fam.loc[fam["family_id"] == "f10", "exit_date"] = pd.Timestamp("2022-05-01")
    items = _items([*COMPLETIONS, *_completion("f10", "exit", "2022-05-01")])
    flow = _flow(hand_data(families=fam, wellbeing_items=items), followup_timepoint="exit")
    # Due: f10, which left before the cut; completed: f10.
    assert (flow.loc["followup_due", "n"], flow.loc["followup_completed", "n"]) == (1, 1)


def test_families_without_a_cohort_column_are_refused():
    with pytest.raises(ValidationError, match="cohort"):
        fe.participant_flow(EvaluationData(families=pd.DataFrame({"family_id": ["f1"]})))


def test_followup_due_rule():
    base = pd.to_datetime(["2021-01-01", "2021-11-18", "2021-11-19", None])
    # 2021-11-18 + 224 days = 2022-06-30: due on the cut itself.
    assert followup_due(base, data_cut=CUT).tolist() == [True, True, False, False]
    assert followup_due(base, data_cut=None).all()
    recorded = [False, False, True, True]
    assert followup_due(base, None, recorded, data_cut=CUT).tolist() == [True, True, True, True]
    exits = pd.to_datetime(["2022-01-01", None, "2022-07-01", "2022-06-30"])
    assert followup_due(base, exits, followup_timepoint="exit", data_cut=CUT).tolist() == [
        True,
        False,
        False,
        True,
    ]


# --------------------------------------------------------------------------- property test


def _naive_counts(fam: pd.DataFrame, items: pd.DataFrame) -> dict[str, int | None]:
    """The flow's stage counts, family by family, from the rules in docs/outcomes.md."""
    flow = [r for r in fam.to_dict("records") if r["cohort"] != "comparison"]

    def given_(v) -> bool:
        return v is not None and not pd.isna(v)

    rec_assessed = any(given_(r["eligibility_assessed_date"]) for r in flow)
    rec_elig = any(r["eligibility"] in ("eligible", "not_eligible") for r in flow)
    rec_offered = any(given_(r["offered_date"]) for r in flow)
    rec_enrolled = any(given_(r["enrolled_date"]) for r in flow)
    completions: dict[str, list[tuple]] = {}
    for (_rid, fid, resp, tp, date), g in items.groupby(
        ["response_id", "family_id", "respondent", "timepoint", "response_date"]
    ):
        if resp == "parent_carer":
            completions.setdefault(fid, []).append((tp, date, len(g) == 7))
    counts = dict.fromkeys(
        ["referred", "eligibility_assessed", "eligible", "offered", "enrolled"], 0
    )
    counts |= dict.fromkeys(["baseline_wellbeing", "followup_due", "followup_completed"], 0)
    for r in flow:
        enrolled = rec_enrolled and given_(r["enrolled_date"])
        offered = rec_offered and (given_(r["offered_date"]) or enrolled)
        eligible = rec_elig and (r["eligibility"] == "eligible" or offered or enrolled)
        assessed = (rec_assessed or rec_elig) and (
            given_(r["eligibility_assessed_date"])
            or r["eligibility"] in ("eligible", "not_eligible")
            or eligible
            or offered
            or enrolled
        )
        counts["referred"] += 1
        counts["eligibility_assessed"] += assessed
        counts["eligible"] += eligible
        counts["offered"] += offered
        counts["enrolled"] += enrolled
        mine = completions.get(r["family_id"], [])
        base = [c for c in mine if c[0] == "baseline"]
        review = [c for c in mine if c[0] == "review"]
        if not ((enrolled or not rec_enrolled) and base):  # no enrolment: every family
            continue
        counts["baseline_wellbeing"] += 1
        complete = [c for c in base if c[2]]
        when = min(c[1] for c in (complete or base))
        due = bool(review) or when + pd.Timedelta(days=224) <= CUT
        counts["followup_due"] += due
        counts["followup_completed"] += due and any(c[2] for c in review)
    if not flow:
        return counts  # no family in the flow: every stage is 0
    for name, rec in (
        ("eligibility_assessed", rec_assessed or rec_elig),
        ("eligible", rec_elig),
        ("offered", rec_offered),
        ("enrolled", rec_enrolled),
    ):
        if not rec:
            counts[name] = None
    if items.empty:  # no questionnaire: not recorded
        counts |= dict.fromkeys(["baseline_wellbeing", "followup_due", "followup_completed"])
    return counts


_DATES = st.one_of(st.none(), st.dates(pd.Timestamp("2021-02-01").date(), CUT.date()))
_FAMILY = st.tuples(
    st.sampled_from(["noream", "not_enrolled", "comparison"]),
    _DATES,
    st.sampled_from([None, "eligible", "not_eligible"]),
    _DATES,
    _DATES,
    st.lists(
        st.tuples(st.sampled_from(["baseline", "review"]), _DATES, st.integers(5, 7)), max_size=3
    ),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_FAMILY, min_size=1, max_size=12))
def test_flow_counts_agree_with_a_family_by_family_count(families):
    rows, completions = [], []
    for i, (cohort, assessed, elig, offered, enrolled, qs) in enumerate(families):
        fid = f"f{i:02d}"
        rows.append((fid, cohort, assessed, elig, offered, enrolled, None))
        for j, (tp, date, answered) in enumerate(qs):
            if date is not None:
                completions += _completion(fid, tp, str(date), answered=answered, rid=f"r{i}_{j}")
    fam, items = _families(rows), _items(completions)
    data = EvaluationData(families=fam, wellbeing_items=items)
    flow = fe.participant_flow(data, data_cut=CUT).set_index("stage")
    expected = _naive_counts(fam, items)
    for stage, n in expected.items():
        got = flow.loc[stage, "n"]
        assert (None if pd.isna(got) else int(got)) == n, stage
    known = flow.loc[flow["n"].notna()]
    share = known["share_of_previous"].dropna()
    assert ((share >= 0) & (share <= 1)).all()
    assert (known.loc[share.index, "ci_low"] <= share + 1e-12).all()
    assert (known.loc[share.index, "ci_high"] >= share - 1e-12).all()
    chain = [s for s in ("referred", "eligibility_assessed", "eligible", "offered", "enrolled")]
    counts = [int(flow.loc[s, "n"]) for s in chain if not pd.isna(flow.loc[s, "n"])]
    assert counts == sorted(counts, reverse=True)


# --------------------------------------------------------------------------- Westmere


@pytest.fixture(scope="module")
def westmere(tmp_path_factory):
    from _second_la import write_second_la

    from noream_eval.config import load_config
    from noream_eval.ingest import load
    from noream_eval.ingest.pseudonymise import ENV_KEY

    la = write_second_la(tmp_path_factory.mktemp("westmere_feasibility"))
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv(ENV_KEY, raising=False)
        data = load(la.config)
    return data, Settings.from_config(load_config(la.config))


def test_westmere_has_only_enrolled_families_and_no_flow_fields(westmere):
    data, settings = westmere
    part = fe.compute(data, settings)
    flow = part.tables["participant_flow"].set_index("stage")
    pilot = int((data.families["cohort"] == "pilot").sum())
    assert flow.loc["referred", "n"] == pilot == flow.loc["enrolled", "n"]
    assert "families referred but not enrolled are not in the data" in flow.loc["referred", "note"]
    for stage in ("eligibility_assessed", "eligible", "offered"):
        assert pd.isna(flow.loc[stage, "n"]), stage
        assert "not recorded" in flow.loc[stage, "note"], stage
    assert flow["share_of_referred"].isna().all()
    assert math.isnan(flow.loc["enrolled", "share_of_previous"])
    # After enrolment the shares are known.
    assert flow.loc["baseline_wellbeing", "share_of_previous"] == pytest.approx(
        flow.loc["baseline_wellbeing", "n"] / pilot
    )
    ind = pd.DataFrame(part.indicators).set_index("indicator")
    assert math.isnan(ind.loc["enrolment_rate", "estimate"])
    assert "not in the data" in ind.loc["enrolment_rate", "method"]
    assert math.isnan(ind.loc["conversion_offered_to_enrolled", "estimate"])
    assert ind.loc["retention_followup", "n"] == flow.loc["followup_due", "n"]
    assert (part.tables["not_enrolled_reasons"]["n"] == 0).all()
    assert part.tables["recruitment_monthly"]["enrolled"].sum() == pilot


# --------------------------------------------------------------------------- the sample


def _truth() -> dict:
    return json.loads((ROOT / "data" / "sample" / "truth.json").read_text("utf-8"))


@pytest.fixture(scope="module")
def sample_settings(sample_config):
    from noream_eval.config import load_config

    settings = Settings.from_config(load_config(sample_config))
    target = _truth()["realised"]["funnel"]["recruitment_target_per_month"]
    assert settings.plan.recruitment_target_per_month == target == 10
    return settings


@pytest.fixture(scope="module")
def sample_part(sample, sample_settings):
    return fe.compute(sample, sample_settings)


def test_sample_flow_reproduces_the_truth(sample_part, sample):
    funnel = _truth()["realised"]["funnel"]
    flow = sample_part.tables["participant_flow"].set_index("stage")["n"].astype(int).to_dict()
    for stage, key in (
        ("referred", "referred"),
        ("eligibility_assessed", "eligibility_assessed"),
        ("eligible", "eligible"),
        ("offered", "offered"),
        ("enrolled", "enrolled"),
        ("baseline_wellbeing", "baseline_wellbeing"),
        ("baseline_domains", "baseline_domains"),
        ("baseline_either", "baseline_either"),
        ("followup_completed", "wellbeing_followups_completed"),
    ):
        assert flow[stage] == funnel[key], stage
    # Follow-ups due: the truth's rule is 182 + 28 days after enrolment; here 182 + 42
    # days after the baseline completion (outcome 3's rule), which is later. Applied to
    # the data, the truth's rule gives the truth's count, and the one family between the
    # two rules has no follow-up.
    fam = sample.families.set_index("family_id")
    items = sample.wellbeing_items
    parent = items.loc[(items["respondent"] == "parent_carer") & (items["instrument"] == "swemwbs")]
    base = parent.loc[parent["timepoint"] == "baseline"].groupby("family_id")["response_date"].min()
    enrolled = fam.loc[base.index, "enrolled_date"].dropna()
    truth_rule = enrolled + pd.Timedelta(days=182 + 28) <= CUT
    assert int(truth_rule.sum()) == funnel["wellbeing_followups_due"] == 78
    assert flow["followup_due"] == 77
    reviewed = set(parent.loc[parent["timepoint"] == "review", "family_id"])
    ours = (base + pd.Timedelta(days=224) <= CUT) | base.index.isin(list(reviewed))
    between = set(truth_rule[truth_rule].index) - set(ours[ours].index)
    assert len(between) == 1 and not between & reviewed


def test_sample_reasons_and_recruitment_reproduce_the_truth(sample_part):
    funnel = _truth()["realised"]["funnel"]
    reasons = sample_part.tables["not_enrolled_reasons"]
    got = {r: n for r, n in zip(reasons["reason"], reasons["n"], strict=True) if n}
    assert got == funnel["not_enrolled_reasons"]
    monthly = sample_part.tables["recruitment_monthly"]
    by_month = funnel["enrolled_by_month"]
    assert dict(zip(monthly["month"], monthly["enrolled"], strict=True)) == by_month
    target = funnel["recruitment_target_per_month"]
    ind = pd.DataFrame(sample_part.indicators).set_index("indicator")
    expected = sum(by_month.values()) / (target * len(by_month))
    assert ind.loc["recruitment_vs_target", "estimate"] == pytest.approx(expected)
    assert ind.loc["recruitment_vs_target", "n"] == len(by_month) == 14
    on_target = ind.loc["recruitment_months_on_target", "estimate"]
    assert on_target == pytest.approx(funnel["months_at_or_above_target"] / len(by_month))


def test_sample_shares_cover_the_true_values(sample_part):
    ind = pd.DataFrame(sample_part.indicators).set_index("indicator")
    flow = sample_part.tables["participant_flow"].set_index("stage")
    f = _truth()["parameters"]["funnel"]
    for stage, true in (
        ("eligibility_assessed", f["assessed"]),
        ("eligible", f["eligible_given_assessed"]),
        ("offered", f["offered_given_eligible"]),
        ("enrolled", f["enrolled_given_offered"]),
    ):
        assert flow.loc[stage, "ci_low"] < true < flow.loc[stage, "ci_high"], stage
    rate = ind.loc["enrolment_rate"]
    assert rate["ci_low"] < f["enrolled_given_referred"] < rate["ci_high"]
    # True retention: a due follow-up is given with probability E[expit(0.9 + 0.6 z)],
    # z standard normal (the generator's attrition model), and complete with 0.97.
    w = _truth()["parameters"]["wellbeing"]
    z, weights = np.polynomial.hermite_e.hermegauss(60)
    a, b = w["attrition_logit_intercept"], w["attrition_logit_slope_per_sd"]
    given_fu = float(np.sum(weights / (1 + np.exp(a + b * z))) / np.sum(weights))
    assert given_fu == pytest.approx(0.6971, abs=1e-4)
    complete = 1 - w["incomplete_share"]
    ret = ind.loc["retention_followup"]
    assert ret["ci_low"] < given_fu * complete < ret["ci_high"]
    comp = ind.loc["primary_outcome_completeness"]
    assert comp["ci_low"] < given_fu * complete**2 < comp["ci_high"]
    assert comp["estimate"] <= ret["estimate"]


def test_sample_intervals_match_r(sample_part):
    # tests/reference/feasibility.R: prop.test(k, n, correct = FALSE)$conf.int.
    ref = {}
    for line in (ROOT / "tests" / "reference" / "feasibility.out").read_text().splitlines():
        name, k, n, est, lo, hi = line.split()
        ref[name] = (int(k), int(n), float(est), float(lo), float(hi))
    flow = sample_part.tables["participant_flow"].set_index("stage")
    ind = pd.DataFrame(sample_part.indicators).set_index("indicator")
    for name, (k, n, est, lo, hi) in ref.items():
        if name in flow.index:
            row = flow.loc[name]
            got = (row["n"], row["share_of_previous"], row["ci_low"], row["ci_high"])
        else:
            row = ind.loc[name]
            got = (json.loads(row["params"])["k"], row["estimate"], row["ci_low"], row["ci_high"])
            assert row["n"] == n
        assert got[0] == k, name
        assert got[1:] == pytest.approx((est, lo, hi), abs=1e-9), name


def test_sample_completeness_agrees_with_outcome_3(sample_part, sample):
    wb = wellbeing_indicators(sample.wellbeing_items, sample.families, data_cut=CUT, imputations=2)
    wb = wb.loc[wb["group"] == "all"].set_index("indicator")
    ind = pd.DataFrame(sample_part.indicators).set_index("indicator")
    pairs = int(wb.loc["swemwbs_mean_change", "n"])
    assert json.loads(ind.loc["primary_outcome_completeness", "params"])["k"] == pairs == 52
    table = sample_part.tables["data_completeness"].set_index(["table", "field", "timepoint"])
    row = table.loc[("wellbeing_items", "swemwbs", "baseline")]
    complete = sample_part.tables["data_completeness"]
    assert row.loc[row["population"] == "parent_carer completions", "n_rows"].item() == 111
    assert not complete.isna()[["n_rows", "n_present"]].any().any()


def test_compute_all_feeds_the_progression_criteria(sample, sample_settings):
    from noream_eval.metrics.core import indicator_table
    from noream_eval.metrics.promise import progression_criteria, rate_indicators

    res = compute_all(sample, sample_settings)
    ind = res.indicators.set_index("indicator")
    prog = res["progression"].set_index("criterion")
    for criterion, name in (
        ("recruitment", "recruitment_vs_target"),
        ("retention", "retention_followup"),
        ("data_completeness", "primary_outcome_completeness"),
    ):
        assert prog.loc[criterion, "value"] == ind.loc[name, "estimate"]
    assert prog.loc["recruitment", "value"] == pytest.approx(120 / 140)
    # Green at 0.80 or more (recruitment, data completeness 0.675 is amber at 0.60).
    assert prog["rag"].to_dict() | {"primary_outcome": None} == {
        "recruitment": "green",
        "retention": "green",
        "data_completeness": "amber",
        "fidelity": prog.loc["fidelity", "rag"],
        "primary_outcome": None,
    }
    for name in ("participant_flow", "not_enrolled_reasons", "recruitment_monthly"):
        assert name in res.table_names
    # Without a target (the default plan) recruitment is not assessed.
    rows = indicator_table(fe.compute(sample, Settings.from_data(sample)).indicators)
    prog = progression_criteria(rows, rate_indicators(rows)).set_index("criterion")
    assert prog.loc["recruitment", "rag"] == "not assessed"
    assert prog.loc["retention", "value"] == ind.loc["retention_followup", "estimate"]


def test_sample_tables_are_flat_and_documented(sample_part):
    ind = pd.DataFrame(sample_part.indicators)
    text = DOCS.read_text("utf-8")
    start = text.index("## Feasibility")
    section = text[start : text.index("\n## ", start + 1)]
    for name in set(ind["indicator"]):
        assert f"`{name}`" in section, name
    for name, table in sample_part.tables.items():
        assert f"`{name}`" in section, name
        for col in table.columns:
            assert f"`{col}`" in section, (name, col)
            cells = table[col].dropna()
            assert not cells.map(lambda v: isinstance(v, list | dict)).any(), (name, col)
    for stage, _ in fe.STAGES:
        assert f"| `{stage}` |" in section, stage
    for population in set(sample_part.tables["data_completeness"]["population"]):
        assert f"`{population}`" in section, population


def test_nothing_identifying_in_the_tables(sample_part):
    # Family pseudonyms are fine in the library, but the feasibility tables hold none.
    for name, table in sample_part.tables.items():
        for col in table.columns:
            text = table[col].astype("string").dropna()
            assert not text.str.fullmatch(r"f[0-9a-f]{16}").any(), (name, col)
    assert not re.search(r"f[0-9a-f]{16}", json.dumps(sample_part.indicators, default=str))
