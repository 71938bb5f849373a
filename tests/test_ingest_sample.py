"""Ingest of the shipped sample, checked against the generator's truth.json.

The generator records, for every raw file, how many rows it wrote and how many
of each kind of mess it injected; ingest must find exactly those.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from _privacy import assert_no_identifiers, sample_identifiers

from noream_eval.config import load_config
from noream_eval.ingest import load, write_outputs
from noream_eval.ingest.pseudonymise import ENV_KEY
from noream_eval.ingest.readers import read_table
from noream_eval.schema import TABLES

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"


@pytest.fixture(scope="module")
def truth() -> dict:
    return json.loads((SAMPLE / "truth.json").read_text("utf-8"))


@pytest.fixture(scope="module")
def ingested(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    mp.delenv(ENV_KEY, raising=False)
    try:
        data = load(SAMPLE / "evaluation.toml")
    finally:
        mp.undo()
    out = write_outputs(data, tmp_path_factory.mktemp("sample_out") / "out")
    return data, out


def test_reconciliation_matches_injected_mess(ingested, truth):
    data, _ = ingested
    rep = data.ingest_report.set_index("file")
    assert set(rep.index) == set(truth["mess"])
    for file, mess in truth["mess"].items():
        r = rep.loc[file]
        assert r["rows_read"] == mess["rows_written"], file
        assert r["rows_kept"] == mess["clean_rows"], file
        assert r["duplicates_exact"] == mess["exact_duplicates"], file
        assert r["duplicates_near"] == mess["near_duplicates"], file
        # invalid_rows counts every row injected to be rejected (bad dates, bad
        # amounts, references matching no family).
        expected_rejected = mess["blank_rows"] + mess["total_rows"] + mess["invalid_rows"]
        assert r["rows_rejected"] == expected_rejected, file
        assert r["rows_read"] == (
            r["rows_kept"] + r["rows_rejected"] + r["duplicates_exact"] + r["duplicates_near"]
        )


def test_table_sizes_match_truth(ingested, truth):
    data, _ = ingested
    exp = truth["expected"]
    for table in (
        "families",
        "referrals",
        "payments",
        "domain_scores",
        "wellbeing_items",
        "meetings",
        "meeting_cases",
        "contacts",
        "deliverables",
    ):
        assert len(getattr(data, table)) == exp[table], table
    assert len(data.staff_responses) == exp["staff_items"]


def test_value_level_problems_are_recorded(ingested, truth):
    data, _ = ingested
    rj = data.rejects
    dom = truth["mess"]["domain_assessments.csv"]
    dropped = rj[(rj["source"] == "domain_assessments") & (rj["action"] == "value_dropped")]
    assert len(dropped) == dom["out_of_range_scores"]
    fam = truth["mess"]["families.csv"]
    fam_rj = rj[rj["source"] == "families"]
    assert (fam_rj["action"] == "set_unknown").sum() == fam["unknown_codes"]
    assert (fam_rj["action"] == "value_dropped").sum() == fam["unparseable_dates"]


def test_canonical_dtypes(ingested):
    data, _ = ingested
    for name, spec in TABLES.items():
        df = getattr(data, name)
        assert list(df.columns) == spec.columns, name
        for f in spec.fields:
            col = df[f.name]
            if f.kind == "date":
                assert str(col.dtype) == "datetime64[ns]", (name, f.name)
            elif f.kind == "category":
                assert isinstance(col.dtype, pd.CategoricalDtype), (name, f.name)
                assert "unknown" in col.cat.categories
            elif f.kind == "int":
                assert str(col.dtype) == "Int64", (name, f.name)
            if f.required:
                assert col.notna().all(), (name, f.name)


def test_history_gap_is_carried(ingested, truth):
    data, _ = ingested
    fam = data.families
    gap = fam["history_known_from"] > pd.Timestamp("2017-04-01")
    assert gap.any()
    assert (fam.loc[gap, "history_known_from"] == pd.Timestamp("2020-10-13")).all()


def test_no_identifier_reaches_any_output(ingested):
    _, out = ingested
    planted = sample_identifiers()
    assert len(planted) > 500  # names, DOBs, phones, NI numbers, HO refs, postcodes, refs
    assert_no_identifiers(out, planted)


# ------------------------------------------------- participant flow, contacts, sites


def test_funnel_is_monotone_and_matches_truth(ingested, truth):
    data, _ = ingested
    fam = data.families
    noream = fam["cohort"] != "comparison"  # enrolled or not: the programme's referrals
    referred = int(noream.sum())
    assessed = int((noream & fam["eligibility_assessed_date"].notna()).sum())
    eligible = int((noream & (fam["eligibility"] == "eligible")).sum())
    offered = int((noream & fam["offered_date"].notna()).sum())
    enrolled = int((noream & fam["enrolled_date"].notna()).sum())
    assert referred >= assessed >= eligible >= offered >= enrolled > 0
    fu = truth["realised"]["funnel"]
    assert [referred, assessed, eligible, offered, enrolled] == [
        fu["referred"],
        fu["eligibility_assessed"],
        fu["eligible"],
        fu["offered"],
        fu["enrolled"],
    ]
    # enrolled <=> cohort noream; the comparison cohort never enters the funnel
    assert ((fam["cohort"] == "noream") == fam["enrolled_date"].notna()).all()
    comparison = fam[fam["cohort"] == "comparison"]
    assert comparison[["eligibility_assessed_date", "offered_date"]].isna().all().all()
    assert (comparison["eligibility"] == "unknown").all()
    assert (comparison["not_enrolled_reason"] == "unknown").all()
    # each stage's dates follow the previous stage's
    first, assess = fam["first_contact_date"], fam["eligibility_assessed_date"]
    offer, enrol = fam["offered_date"], fam["enrolled_date"]
    assert (first[assess.notna()] <= assess.dropna()).all()
    assert (assess[offer.notna()] <= offer.dropna()).all()
    assert (offer[enrol.notna()] <= enrol.dropna()).all()
    assert fam.loc[offer.notna(), "eligibility"].eq("eligible").all()
    reasons = fam.loc[noream & enrol.isna(), "not_enrolled_reason"].value_counts()
    assert reasons.to_dict() == fu["not_enrolled_reasons"]
    assert (fam.loc[enrol.notna(), "not_enrolled_reason"] == "unknown").all()
    # baseline and follow-up come from the wellbeing table
    wb = data.wellbeing_items
    parents = wb[wb["respondent"] == "parent_carer"]
    baseline = parents.loc[parents["timepoint"] == "baseline", "family_id"].nunique()
    assert enrolled >= baseline == fu["baseline_wellbeing"]


def test_complex_flag_and_cases_discussed(ingested, truth):
    data, _ = ingested
    fam = data.families
    flagged = fam[fam["complex_flag_date"].notna()]
    cx = truth["realised"]["complex"]
    assert len(flagged) == cx["flagged"]
    assert flagged["enrolled_date"].notna().all()
    assert (flagged["complex_flag_date"] > flagged["enrolled_date"]).all()
    cases = data.meeting_cases.merge(data.meetings[["meeting_id", "meeting_date"]])
    cases = cases.merge(flagged[["family_id", "complex_flag_date"]])
    after = cases.loc[cases["meeting_date"] > cases["complex_flag_date"], "family_id"]
    assert after.nunique() == cx["discussed_after_flag"]


def test_site_on_meetings_and_staff_responses(ingested):
    data, _ = ingested
    assert data.meetings["site"].notna().all()
    assert set(data.meetings["site"]) == {"E09000012"}  # "e09000012" in some rows, upper-cased
    assert data.staff_responses["site"].notna().all()
    assert set(data.staff_responses["site"]) == {"E09000012"}


def test_contacts_codes_dates_and_duplicates(ingested, truth):
    data, _ = ingested
    ct, mess = truth["realised"]["contacts"], truth["mess"]["contacts.csv"]
    con = data.contacts
    assert len(con) == truth["expected"]["contacts"] == ct["contacts"]
    assert con["contact_id"].is_unique and con["contact_id"].str.fullmatch(r"c[0-9a-f]{16}").all()
    # every role code maps; the unknown contact types are set to unknown and listed
    assert con["worker_role"].value_counts().to_dict() == {**ct["by_role"], "unknown": 0}
    modes = con["mode"].value_counts()
    assert modes["unknown"] == mess["unknown_codes"]
    for mode, n in ct["by_mode"].items():
        assert n - mess["unknown_codes"] <= modes[mode] <= n, mode
    rj = data.rejects[data.rejects["source"] == "contacts"]
    unknown = rj[rj["action"] == "set_unknown"]
    assert len(unknown) == mess["unknown_codes"] and set(unknown["field"]) == {"Contact Type"}
    rejected = rj[rj["action"] == "row_rejected"]
    assert (rejected["reason"] == "blank row").sum() == mess["blank_rows"]
    bad_dates = rejected["reason"].str.startswith("not a recognisable date").sum()
    assert bad_dates == mess["unparseable_dates"]
    assert (rejected["reason"] == "family reference not found in the families export").sum() == (
        mess["unmatched_refs"]
    )
    assert (rj["action"] == "duplicate_exact").sum() == mess["exact_duplicates"]
    assert (rj["action"] == "duplicate_near").sum() == mess["near_duplicates"]
    # day-first dates with the time of day and ISO dates read alike, within enrolment
    fam = data.families.set_index("family_id")
    joined = con.join(fam[["enrolled_date", "exit_date"]], on="family_id")
    assert joined["enrolled_date"].notna().all()
    end = joined["exit_date"].fillna(pd.Timestamp("2022-06-30"))
    assert (joined["contact_date"] >= joined["enrolled_date"]).all()
    assert (joined["contact_date"] <= end).all()
    seen = con.loc[con["worker_role"] == "immigration_advisor", "family_id"].nunique()
    assert seen == ct["families_seen_by_immigration_advisor"]


def test_contacts_identifiers_reach_no_output(ingested):
    _, out = ingested
    cfg = load_config(SAMPLE / "evaluation.toml")
    prof = cfg.sources["contacts"]
    assert prof.identifiers == ("Worker", "Client Phone")
    frame = read_table(prof.files()[0], fmt="csv", header_row=1).frame
    workers = {v for v in frame["Worker"].astype(str) if len(v) >= 6}
    phones = {v for v in frame["Client Phone"].astype(str) if len(v) >= 6}
    assert len(workers) > 20 and len(phones) > 50
    assert_no_identifiers(out, sorted(workers | phones))
    assert "contacts.parquet" in {p.name for p in out.iterdir()}
