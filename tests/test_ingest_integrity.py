"""Every raw row accounted for and no orphans: referential integrity at ingest.

A family row rejected at any stage takes every row linked to it with it (each a
reject naming the family's row); no canonical table holds a ``family_id`` that
``families`` lacks; every raw row not kept is listed once in ``rejects`` with a
row-level action; implausible dates are treated alike whether too early or too
late.
"""

from __future__ import annotations

import csv
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from noream_eval.ingest import load
from noream_eval.ingest.pseudonymise import ENV_KEY

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
ROW_ACTIONS = {"row_rejected", "duplicate_exact", "duplicate_near"}
LINKED = ["referrals", "payments", "domain_scores", "wellbeing_items", "meeting_cases", "contacts"]


@pytest.fixture(scope="module")
def clean():
    return load(SAMPLE / "evaluation.toml")


def _copy_sample(tmp: Path) -> Path:
    folder = tmp / "la"
    shutil.copytree(SAMPLE, folder)
    return folder


def _edit_csv(path: Path, encoding: str, edit) -> None:
    with path.open(encoding=encoding, newline="") as fh:
        rows = list(csv.reader(fh))
    rows = edit(rows)
    with path.open("w", encoding=encoding, newline="") as fh:
        csv.writer(fh, lineterminator="\r\n").writerows(rows)


def assert_integrity(data) -> None:
    """No orphans, every row accounted for, every row not kept listed once."""
    fids = set(data.families["family_id"])
    for name in [*LINKED, "s17_episodes"]:
        orphans = set(getattr(data, name)["family_id"]) - fids
        assert not orphans, f"{name} holds {len(orphans)} family_id(s) not in families"
    rep = data.ingest_report
    assert (
        rep["rows_read"]
        == rep["rows_kept"]
        + rep["rows_rejected"]
        + rep["duplicates_exact"]
        + rep["duplicates_near"]
    ).all()
    rows = data.rejects.loc[data.rejects["action"].isin(ROW_ACTIONS)]
    assert not rows.duplicated(["file", "row"]).any(), "a raw row is listed twice"
    listed = rows.groupby("file").size()
    not_kept = rep.set_index("file")["rows_read"] - rep.set_index("file")["rows_kept"]
    assert (
        listed.reindex(not_kept.index, fill_value=0).astype(int).tolist()
        == not_kept.astype(int).tolist()
    )
    dups = data.rejects.loc[data.rejects["action"].str.startswith("duplicate")]
    assert dups["reason"].str.contains(r"row \d+ of \S+", regex=True).all()


def test_shipped_sample_has_integrity(clean):
    assert_integrity(clean)
    assert (clean.rejects["action"] == "duplicate_exact").sum() == int(
        clean.ingest_report["duplicates_exact"].sum()
    )


def test_rejected_family_takes_its_rows_with_it(tmp_path, monkeypatch, clean):
    # A family rejected for a first contact in 1899 left 1 referral, 6 payments, 20 domain
    # scores, 14 survey items and 3 meeting cases behind before this was fixed.
    monkeypatch.delenv(ENV_KEY, raising=False)
    folder = _copy_sample(tmp_path)
    counts = {
        t: getattr(clean, t).groupby("family_id").size() for t in LINKED if t != "meeting_cases"
    }
    linked = pd.concat(counts, axis=1).fillna(0)
    cases = clean.meeting_cases.groupby("family_id").size()
    linked["meeting_cases"] = cases.reindex(linked.index, fill_value=0)
    target_fid = (linked > 0).all(axis=1).idxmax()  # a family with rows in every table
    assert (linked.loc[target_fid] > 0).all()
    # Find that family's raw reference and row in families.csv by pseudonymising each.
    from noream_eval.ingest.normalise import normalise_reference
    from noream_eval.ingest.pseudonymise import Pseudonymiser

    pseudo = Pseudonymiser((SAMPLE / "demo.key").read_text("utf-8").strip().encode())
    hit = {}

    def edit(rows):
        refs = normalise_reference(pd.Series([r[0] for r in rows[1:]], dtype=object))
        ids = pseudo.hash_values(refs, domain="family")
        k = int(np.flatnonzero((ids == target_fid).to_numpy())[0])
        hit["row"] = k + 2
        rows[k + 1][3] = "14/03/1899"
        return rows

    _edit_csv(folder / "families.csv", "utf-8-sig", edit)
    data = load(folder / "evaluation.toml")
    assert target_fid not in set(data.families["family_id"])
    assert_integrity(data)
    reason = f"family rejected (row {hit['row']} of families.csv)"
    rj = data.rejects
    fam = rj.loc[(rj["file"] == "families.csv") & (rj["row"] == hit["row"])]
    assert fam[["field", "action"]].values.tolist() == [["First Contact", "row_rejected"]]
    assert "before 1900-01-01" in fam["reason"].iloc[0]
    assert fam["value"].iloc[0] == "1899-03-14" or fam["value"].iloc[0] == "14/03/1899"
    by_source = rj.loc[rj["reason"] == reason].groupby("source").size()
    expected = linked.loc[target_fid]
    assert by_source.get("referrals", 0) == expected["referrals"]
    assert by_source.get("payments", 0) == expected["payments"]
    assert by_source.get("contacts", 0) == expected["contacts"]
    # long tables: one raw row (an assessment, a completion) holds several items
    assert by_source.get("domain_assessments", 0) >= 1
    assert by_source.get("wellbeing_survey", 0) >= 1
    case_notes = rj.loc[
        (rj["source"] == "meetings") & rj["reason"].str.contains(re.escape(reason[:-1]))
    ]
    assert len(case_notes) == expected["meeting_cases"]
    assert (case_notes["action"] == "value_dropped").all()
    for t in ("domain_scores", "wellbeing_items"):
        before = getattr(clean, t)
        after = getattr(data, t)
        assert len(after) == len(before) - int(expected[t])


def test_implausible_optional_dates_are_treated_alike(tmp_path, monkeypatch):
    monkeypatch.delenv(ENV_KEY, raising=False)
    folder = _copy_sample(tmp_path)

    def edit(rows):
        rows[1][4] = "01/01/1899"  # Date Enrolled (optional)
        rows[2][4] = "01/01/2099"
        return rows

    _edit_csv(folder / "families.csv", "utf-8-sig", edit)
    data = load(folder / "evaluation.toml")
    rj = data.rejects
    sel = rj.loc[(rj["file"] == "families.csv") & rj["row"].isin([2, 3])]
    assert sel[["row", "field", "action"]].values.tolist() == [
        [2, "Date Enrolled", "value_dropped"],
        [3, "Date Enrolled", "value_dropped"],
    ]
    assert "before 1900-01-01" in sel["reason"].iloc[0]
    assert "after 2022-06-30" in sel["reason"].iloc[1]
    assert len(data.families) == 411


MUTATIONS = ("early_date", "late_date", "blank_ref", "blank_row", "repeat_key", "bad_cohort")


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(15, 40),
    edits=st.lists(st.tuples(st.sampled_from(MUTATIONS), st.integers(0, 10**6)), max_size=8),
)
def test_no_orphans_in_generated_messy_exports(tmp_path_factory, seed, n, edits):
    """Invariant: whatever happens to family rows, nothing linked to a lost family survives."""
    from noream_eval.sample import generate_sample

    folder = tmp_path_factory.mktemp("gen")
    generate_sample(folder, seed=seed, n_families=n, force=True)

    def edit(rows):
        for what, where in edits:
            k = 1 + where % (len(rows) - 1)
            if what == "early_date":
                rows[k][3] = "02/02/1899"
            elif what == "late_date":
                rows[k][3] = "02/02/2099"
            elif what == "blank_ref":
                rows[k][0] = ""
            elif what == "blank_row":
                rows[k] = [""] * len(rows[0])
            elif what == "repeat_key":
                other = 1 + (where // 7) % (len(rows) - 1)
                rows[k][0] = rows[other][0]
            else:
                rows[k][2] = "Someone else"
        return rows

    _edit_csv(folder / "families.csv", "utf-8-sig", edit)
    assert_integrity(load(folder / "evaluation.toml"))


def test_a_site_holding_a_name_is_dropped_from_staff_responses(tmp_path, monkeypatch, clean):
    # The staff survey is a wide source (one column per item): its short codes are
    # checked like those of any other source.
    monkeypatch.delenv(ENV_KEY, raising=False)
    folder = _copy_sample(tmp_path)

    def edit(rows):
        header = rows[0]
        rows[1][header.index("LA Code")] = rows[1][header.index("Name")]
        return rows

    _edit_csv(folder / "staff_survey.csv", "cp1252", edit)
    data = load(folder / "evaluation.toml")
    rj = data.rejects
    sel = rj.loc[(rj["file"] == "staff_survey.csv") & (rj["field"] == "LA Code")]
    assert sel[["row", "value", "action"]].values.tolist() == [[2, "[redacted]", "value_dropped"]]
    assert "not a code" in sel["reason"].iloc[0]
    staff = data.staff_responses
    assert staff["site"].isna().sum() == (clean.staff_responses["site"].isna().sum() + 8)
    assert len(staff) == len(clean.staff_responses)
