"""Outcome 4: deliverables, fidelity of delivery and dosage."""

from __future__ import annotations

import json
import math
import types

import numpy as np
import pandas as pd
import pytest
from _practice_frames import canonical, cases, meetings, reference, row

from noream_eval.metrics import practice as pr
from noream_eval.metrics.core import INDICATOR_COLUMNS, Settings, indicator_table
from noream_eval.schema import empty_table
from noream_eval.stats import proportion_ci

CUT = pd.Timestamp("2022-06-30")
A = ["childrens_social_care"]
D = ["childrens_services"]


def frame(rows: list[dict], dates: tuple[str, ...] = ()) -> pd.DataFrame:
    df = pd.DataFrame(rows)
    for c in dates:
        df[c] = pd.to_datetime(df[c])
    return df


# --------------------------------------------------------------------------- deliverables


def deliverables() -> pd.DataFrame:
    rows = [
        ("manual", "in_progress", None, None, None),
        ("manual", "published", "2022-03-01", None, None),
        ("training_session", "complete", "2021-10-01", 20, 3),
        ("training_session", "complete", "2021-11-01", None, 2),
        ("training_session", "planned", "2022-09-01", None, None),
        ("training_session", None, "2022-01-01", 10, 1),  # no status, dated by the cut
        ("training_session", None, "2022-08-01", 15, 4),  # no status, dated after the cut
        ("working_paper", "published", "2021-08-01", None, None),
        ("working_paper", "published", "2022-02-01", None, None),
        ("working_paper", "in_progress", None, None, None),
        ("map_strategy", "published", "2022-02-01", None, None),
    ]
    df = pd.DataFrame(rows, columns=["kind", "status", "date", "attendees", "las_reached"])
    df["date"] = pd.to_datetime(df["date"])
    df["deliverable_id"] = [f"d{i}" for i in range(len(df))]
    df["site"] = "E1"
    return canonical("deliverables", df)


def test_deliverable_indicators_by_hand():
    res = pr.deliverable_indicators(deliverables(), data_cut=CUT)
    assert tuple(res.columns) == INDICATOR_COLUMNS
    got = {r["indicator"]: r for _, r in res.iterrows()}
    manual = got["manual_published"]
    assert (manual["estimate"], manual["n"]) == (1.0, 2)
    assert json.loads(manual["params"]) == {"date": "2022-03-01"}
    assert (got["training_sessions"]["estimate"], got["training_sessions"]["n"]) == (3.0, 3)
    assert json.loads(got["training_sessions"]["params"])["planned"] == 1
    att = got["training_attendees"]
    assert (att["estimate"], att["n"]) == (30.0, 2) and "1 session(s) without it" in att["method"]
    las = got["training_las_reached"]
    assert (las["estimate"], las["n"]) == (6.0, 3)
    assert json.loads(las["params"])["largest_single_session"] == 3
    assert (got["working_papers"]["estimate"], got["working_papers"]["n"]) == (2.0, 3)
    assert res["ci_low"].isna().all()

    table = pr.deliverables_summary(deliverables(), data_cut=CUT)
    assert table["kind"].tolist() == ["manual", "training_session", "working_paper", "map_strategy"]
    ts = table.iloc[1]
    assert (ts["total"], ts["complete"], ts["planned"], ts["status_unknown"]) == (5, 2, 1, 2)
    assert (ts["delivered"], ts["attendees"], ts["las_reached"]) == (3, 30, 6)
    assert ts["last_date"] == pd.Timestamp("2022-01-01")


def test_no_manual_is_zero_and_no_deliverables_is_not_exported():
    d = deliverables()
    d = d.loc[d["kind"] != "manual"]
    assert row(pr.deliverable_indicators(d, data_cut=CUT).iloc[[0]])["estimate"] == 0.0
    empty = pr.deliverable_indicators(empty_table("deliverables"), data_cut=CUT)
    assert empty["estimate"].isna().all() and (empty["n"] == 0).all()
    assert empty["method"].str.contains("no deliverables in the data").all()
    assert (pr.deliverables_summary(empty_table("deliverables"), data_cut=CUT)["total"] == 0).all()


# --------------------------------------------------------------------------- fidelity

FAMILIES = [
    # id, enrolled, exit, complex flag
    ("f1", "2021-06-01", None, "2021-08-01"),
    ("f2", "2021-06-01", None, "2021-10-01"),
    ("f3", "2021-06-01", None, "2022-06-20"),  # flagged too late to be due
    ("f4", "2021-06-01", "2021-09-01", None),  # closed before a review was due
    ("f5", "2022-06-15", None, None),  # enrolled 15 days before the cut
    ("f6", "2022-01-10", None, None),  # review not yet due
    ("f7", None, None, None),  # comparison family
    ("f8", "2021-05-01", None, "2022-01-01"),
]
ASSESSMENTS = [
    ("f1", "2021-06-10", "baseline"),
    ("f1", "2021-12-05", "review"),  # 178 days after baseline
    ("f2", "2021-07-15", "baseline"),  # 44 days after enrolment: outside the window
    ("f2", "2022-03-01", "review"),  # 229 days after baseline: late
    ("f4", "2021-06-05", "baseline"),
    ("f6", "2022-01-20", "baseline"),
    ("f8", "2021-04-20", "baseline"),  # 11 days before enrolment: within the window
    ("f8", "2021-10-01", "review"),
]
CONTACTS = [
    ("f1", "2021-07-01", "immigration_advisor"),
    ("f2", "2021-07-01", "social_worker"),
    ("f3", "2022-07-10", "immigration_advisor"),  # after the cut
    ("f4", "2021-07-01", "unknown"),
    ("f8", "2021-06-01", "immigration_advisor"),
]


def fidelity_frames(*, complex_column: bool = True):
    fam = pd.DataFrame(FAMILIES, columns=["family_id", "enrolled_date", "exit_date", "flag"])
    for c in ("enrolled_date", "exit_date", "flag"):
        fam[c] = pd.to_datetime(fam[c])
    fam = fam.rename(columns={"flag": "complex_flag_date"})
    fam["site"] = "E1"
    fam["cohort"] = np.where(fam["enrolled_date"].notna(), "noream", "comparison")
    fam["first_contact_date"] = pd.Timestamp("2021-01-01")
    fam["history_known_from"] = pd.Timestamp("2017-04-01")
    fam = canonical("families", fam)
    if not complex_column:  # a case system without the flag
        fam = fam.drop(columns="complex_flag_date")
    ds = pd.DataFrame(ASSESSMENTS, columns=["family_id", "assessment_date", "timepoint"])
    ds["assessment_date"] = pd.to_datetime(ds["assessment_date"])
    ds = pd.concat([ds.assign(domain="housing", score=3), ds.assign(domain="immigration", score=2)])
    ds = canonical("domain_scores", ds)
    con = pd.DataFrame(CONTACTS, columns=["family_id", "contact_date", "worker_role"])
    con["contact_date"] = pd.to_datetime(con["contact_date"])
    con["contact_id"] = [f"c{i}" for i in range(len(con))]
    m = meetings(
        [
            ("m1", "2021-09-08", "snac", A, D),
            ("m2", "2022-01-01", "case_consultation", A, D),
        ]
    )
    mc = cases([("m1", "f1"), ("m1", "f2"), ("m2", "f8")])
    return fam, ds, con, m, mc


def test_fidelity_by_hand():
    fam, ds, con, m, mc = fidelity_frames()
    table = pr.fidelity(fam, ds, data_cut=CUT, contacts=con, meetings=m, meeting_cases=mc)
    assert table["indicator"].tolist() == list(pr.FIDELITY_INDICATORS)
    got = table.set_index("indicator")
    expected = {
        "fidelity_baseline_assessment": (4, 6),  # f1 f4 f6 f8 of f1 f2 f3 f4 f6 f8
        "fidelity_review_on_time": (2, 4),  # f1 f8 of f1 f2 f3 f8
        "fidelity_immigration_advisor": (2, 7),  # f1 f8 of the 7 enrolled
        "fidelity_complex_case_discussed": (2, 3),  # f1 f8 of f1 f2 f8
    }
    for name, (k, n) in expected.items():
        r = got.loc[name]
        ci = proportion_ci(k, n).to_frame().iloc[0]
        assert (r["numerator"], r["denominator"]) == (k, n), name
        assert r["share"] == pytest.approx(k / n)
        assert (r["ci_low"], r["ci_high"]) == pytest.approx((ci["ci_low"], ci["ci_high"]))
    res = pr.fidelity_indicators(fam, ds, data_cut=CUT, contacts=con, meetings=m, meeting_cases=mc)
    review = json.loads(row(res.loc[res["indicator"] == "fidelity_review_on_time"])["params"])
    assert (review["not_yet_due"], review["closed_before_review"]) == (2, 1)
    overall = row(res.loc[res["indicator"] == "fidelity_overall"])
    assert overall["n"] == 4
    assert overall["estimate"] == pytest.approx(np.mean([4 / 6, 2 / 4, 2 / 7, 2 / 3]))
    assert json.loads(overall["params"])["not_computed"] == []


def test_fidelity_windows_come_from_the_plan():
    fam, ds, *_ = fidelity_frames()
    # A 50-day window lets f2's baseline (44 days) count.
    wide = pr.fidelity(fam, ds, data_cut=CUT, baseline_window_days=50).set_index("indicator")
    assert wide.loc["fidelity_baseline_assessment", "numerator"] == 5
    # With a 60-day tolerance f2's review (229 days) is on time.
    late = pr.fidelity(fam, ds, data_cut=CUT, review_tolerance_days=60).set_index("indicator")
    assert late.loc["fidelity_review_on_time", "numerator"] == 3


@pytest.mark.parametrize(
    ("contacts", "reason"),
    [
        (None, "the contacts table is not in the data"),
        ("empty", "the contacts table is empty (read as not exported)"),
        ("no_role", "the contacts table is without the column(s) worker_role"),
        ("unknown", "no contact has a worker role recorded"),
    ],
)
def test_missing_contacts_leave_the_advisor_share_uncomputed(contacts, reason):
    fam, ds, con, m, mc = fidelity_frames()
    if contacts is None:
        con = None
    elif contacts == "empty":
        con = con.iloc[0:0]
    elif contacts == "no_role":
        con = con.drop(columns="worker_role")
    elif contacts == "unknown":
        con = con.assign(worker_role="unknown")
    res = pr.fidelity_indicators(fam, ds, data_cut=CUT, contacts=con, meetings=m, meeting_cases=mc)
    adv = row(res.loc[res["indicator"] == "fidelity_immigration_advisor"])
    assert math.isnan(adv["estimate"]) and adv["n"] == 0
    assert adv["method"] == f"not estimable: {reason}"
    overall = row(res.loc[res["indicator"] == "fidelity_overall"])
    assert overall["n"] == 3
    assert json.loads(overall["params"])["not_computed"] == ["fidelity_immigration_advisor"]
    if contacts in (None, "empty"):
        dose = row(pr.dosage(fam, con, data_cut=CUT))
        assert math.isnan(dose["estimate"]) and dose["n"] == 0
        assert dose["method"] == f"not estimable: {reason}"


def test_no_complex_flag_column_and_no_meetings():
    fam, ds, con, m, mc = fidelity_frames(complex_column=False)
    t = pr.fidelity(fam, ds, data_cut=CUT, contacts=con, meetings=m, meeting_cases=mc)
    note = t.set_index("indicator").loc["fidelity_complex_case_discussed", "note"]
    assert note == "not estimable: the families table has no complex_flag_date column"
    fam, ds, con, m, mc = fidelity_frames()
    t = pr.fidelity(
        fam, ds, data_cut=CUT, contacts=con, meetings=empty_table("meetings"), meeting_cases=mc
    ).set_index("indicator")
    assert "meetings empty" in t.loc["fidelity_complex_case_discussed", "note"]
    assert pd.isna(t.loc["fidelity_complex_case_discussed", "share"])
    # No domain assessments: both assessment shares are not computed.
    t = pr.fidelity(fam, empty_table("domain_scores"), data_cut=CUT).set_index("indicator")
    assert t.loc[["fidelity_baseline_assessment", "fidelity_review_on_time"], "share"].isna().all()
    assert (t["denominator"] == 0).all()


def test_nothing_computable_gives_no_overall():
    fam = empty_table("families")
    res = pr.fidelity_indicators(fam, empty_table("domain_scores"), data_cut=CUT)
    assert res["estimate"].isna().all() and (res["n"] == 0).all()
    assert "no family enrolled" in row(res.iloc[[0]])["method"]
    assert "no fidelity share could be computed" in row(res.iloc[[-1]])["method"]


# --------------------------------------------------------------------------- dosage

DOSAGE = [
    # enrolled, exit, contacts inside the programme time (tests/reference/practice_metrics.R)
    ("2021-02-10", "2021-12-31", 14),
    ("2021-05-01", None, 30),
    ("2021-09-15", "2022-02-28", 3),
    ("2022-01-04", None, 9),
    ("2022-03-20", None, 1),
    ("2021-07-07", "2022-07-15", 22),
]


def dosage_frames():
    fam = pd.DataFrame(DOSAGE, columns=["enrolled_date", "exit_date", "k"])
    fam["family_id"] = [f"f{i}" for i in range(len(fam))]
    fam["enrolled_date"] = pd.to_datetime(fam["enrolled_date"])
    fam["exit_date"] = pd.to_datetime(fam["exit_date"])
    rows = []
    for fid, start, k in zip(fam["family_id"], fam["enrolled_date"], fam["k"], strict=True):
        rows += [(fid, start + pd.Timedelta(days=3 * j)) for j in range(k)]
        rows.append((fid, start - pd.Timedelta(days=1)))  # before enrolment: not counted
    rows.append(("f0", pd.Timestamp("2022-01-05")))  # after f0's exit: not counted
    rows.append(("zz", pd.Timestamp("2022-01-05")))  # not an enrolled family
    con = pd.DataFrame(rows, columns=["family_id", "contact_date"])
    con["worker_role"] = "social_worker"
    return fam.drop(columns="k"), con


def test_dosage_matches_r_poisson_with_sandwich_errors():
    ref = reference()
    fam, con = dosage_frames()
    r = row(pr.dosage(fam, con, data_cut=CUT))
    assert r["n"] == 6
    assert r["estimate"] == pytest.approx(ref["dosage_rate"], rel=1e-9)
    assert r["ci_low"] == pytest.approx(ref["dosage_ci_low"], rel=1e-9)
    assert r["ci_high"] == pytest.approx(ref["dosage_ci_high"], rel=1e-9)
    params = json.loads(r["params"])
    assert params["se_log_rate"] == pytest.approx(ref["dosage_se"], rel=1e-9)
    assert params["pearson_dispersion"] == pytest.approx(ref["dosage_dispersion"], rel=1e-9)
    assert params["contacts"] == 79 and params["contacts_outside_programme_time"] == 7


def test_dosage_with_no_contacts_in_programme_time_is_zero_without_interval():
    fam, con = dosage_frames()
    con = con.assign(contact_date=pd.Timestamp("2020-01-01"))
    r = row(pr.dosage(fam, con, data_cut=CUT))
    assert r["estimate"] == 0.0 and math.isnan(r["ci_low"]) and "no interval" in r["method"]


# --------------------------------------------------------------------------- compute


def test_compute_with_contacts_and_complex_flags():
    fam, ds, con, m, mc = fidelity_frames()
    data = types.SimpleNamespace(
        families=fam,
        domain_scores=ds,
        contacts=canonical("contacts", con) if _has_contacts() else con,
        meetings=m,
        meeting_cases=mc,
        deliverables=deliverables(),
    )
    part = pr.compute(data, Settings(data_cut=CUT, data_start=pd.Timestamp("2017-04-01")))
    ind = indicator_table(part.indicators)
    assert ind.loc[ind["indicator"].str.startswith("fidelity_"), "estimate"].notna().all()
    assert row(ind.loc[ind["indicator"] == "fidelity_overall"])["n"] == 4
    assert set(part.tables) == {"deliverables_summary", "fidelity"}


def _has_contacts() -> bool:
    from noream_eval.schema import TABLES

    return "contacts" in TABLES


def test_sample_values(sample):
    part = pr.compute(sample, Settings.from_data(sample))
    ind = indicator_table(part.indicators)

    def est(name):
        return row(ind.loc[ind["indicator"] == name])

    assert est("manual_published")["estimate"] == 1.0
    assert json.loads(est("manual_published")["params"])["date"] == "2022-03-16"
    assert est("training_sessions")["estimate"] == 11
    assert est("training_attendees")["estimate"] == 327
    # True shares under the generator, by simulating its clean world (see
    # test_true_fidelity_by_simulation): 0.905 and 0.802.
    base, review = est("fidelity_baseline_assessment"), est("fidelity_review_on_time")
    assert base["ci_low"] < 0.905 < base["ci_high"]
    assert review["ci_low"] < 0.802 < review["ci_high"]
    contacts = getattr(sample, "contacts", None)
    if contacts is None or contacts.empty:
        assert math.isnan(est("dosage_contacts_per_family_month")["estimate"])
        assert math.isnan(est("fidelity_immigration_advisor")["estimate"])
    overall = est("fidelity_overall")
    assert 0 < overall["estimate"] <= 1 and overall["n"] >= 2
    fid = part.tables["fidelity"]
    assert fid["indicator"].tolist() == list(pr.FIDELITY_INDICATORS)


def test_true_fidelity_by_simulation():
    """The true fidelity shares of the sample's generator, from its clean simulated world."""
    from noream_eval.sample._common import EPOCH, NO_DAY
    from noream_eval.sample.generate import _STREAMS, _streams
    from noream_eval.sample.world import (
        People,
        Sites,
        simulate_domains,
        simulate_families,
        simulate_payments,
    )
    from noream_eval.schema import LEVELS

    def dates(a):
        a = np.asarray(a)
        return pd.Series(pd.Timestamp(EPOCH) + pd.to_timedelta(a, unit="D")).where(a != NO_DAY)

    shares = []
    for seed in (1, 2):
        rng = _streams(seed, _STREAMS)
        n = 20_000
        fam = simulate_families(rng["families"], n, Sites(1), People())
        pay = simulate_payments(rng["payments"], fam)
        dom = simulate_domains(rng["domains"], fam, pay["exit_date"])
        ids = np.array([f"f{i}" for i in range(n)])
        families = pd.DataFrame(
            {
                "family_id": ids,
                "enrolled_date": dates(np.where(fam["noream"], fam["enrolled"], NO_DAY)),
                "exit_date": dates(pay["exit_date"]),
            }
        )
        r = dom["rows"]
        ds = pd.DataFrame(
            {
                "family_id": ids[r["fam"]],
                "assessment_date": dates(r["date"]),
                "timepoint": np.array(LEVELS["timepoint"])[r["timepoint"]],
            }
        )
        shares.append(pr.fidelity(families, ds, data_cut=CUT)["share"].to_numpy()[:2])
    base, review = np.mean(shares, axis=0)
    assert base == pytest.approx(0.905, abs=0.01)
    assert review == pytest.approx(0.802, abs=0.015)
