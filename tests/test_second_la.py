"""A second local authority, laid out unlike the sample, ingests from its profile alone.

The exports are written by :mod:`_second_la` (a workbook with a read-me sheet, two
title rows and merged group titles over a two-row header; a semicolon-separated
Windows-1252 CSV; a tab-separated UTF-8 ledger with a byte order mark; a UTF-16
survey; a pipe-separated meetings file with comma-separated lists), with blank and
Total rows, duplicates, typos in codes, a family rejected for a date in 1899 and
identifiers typed where they do not belong. Every expected count comes from the
way each row was written, not from a previous run.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _privacy import assert_no_identifiers
from _second_la import SecondLA, write_second_la
from test_ingest_integrity import assert_integrity
from typer.testing import CliRunner

from noream_eval.cli import app
from noream_eval.data import EvaluationData
from noream_eval.ingest import load
from noream_eval.ingest.pseudonymise import ENV_KEY

COUNTS = ["rows_read", "rows_kept", "rows_rejected", "duplicates_exact", "duplicates_near"]

# What the writer derives from the way it writes each row (seed 20230331), spelt out so
# that a change to the writer shows here: read, kept, rejected, exact and near duplicates.
FILES = {
    # rejected: blank, Total, first contact in 1899, repeated key with other values
    "exports/families.xlsx": (65, 59, 4, 1, 1),
    # rejected: blank, 2 of the 1899 family, unknown family, 31/02/2022
    "exports/referrals_2023.csv": (86, 79, 5, 1, 1),
    # rejected: repeated voucher, 3 of the 1899 family, cost-centre typo, "N/A", unknown
    # family, Total
    "exports/ledger.tsv": (212, 202, 8, 1, 1),
    # rejected: no item answered, stage typo, the 1899 family
    "exports/wellbeing_utf16.csv": (41, 37, 3, 1, 0),
    # rejected: no score, review-point typo, 2 of the 1899 family
    "exports/outcome_star.csv": (46, 41, 4, 0, 1),
    "exports/meetings.txt": (16, 15, 1, 0, 0),  # rejected: meeting-type typo
    "exports/outputs.csv": (10, 9, 1, 0, 0),  # rejected: category typo
}
TABLES = {
    "families": 59,
    "referrals": 79,
    "payments": 202,
    "s17_episodes": 51,
    "domain_scores": 261,
    "wellbeing_items": 236,
    "staff_responses": 0,
    "meetings": 15,
    "meeting_cases": 26,
    "contacts": 0,
    "deliverables": 9,
}


@pytest.fixture(scope="module")
def la(tmp_path_factory) -> SecondLA:
    return write_second_la(tmp_path_factory.mktemp("westmere"))


@pytest.fixture(scope="module")
def data(la) -> EvaluationData:
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv(ENV_KEY, raising=False)
        return load(la.config)


@pytest.fixture(scope="module")
def cli_run(la, tmp_path_factory):
    out = tmp_path_factory.mktemp("westmere_out") / "out"
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv(ENV_KEY, raising=False)
        result = CliRunner().invoke(app, ["ingest", str(la.config), "--out", str(out)])
    return result, out


def test_the_expectations_are_not_trivial(la):
    # Guard against a writer that plants nothing: every kind of mess is there.
    totals = [sum(c[k] for c in la.files.values()) for k in range(5)]
    read, kept, rejected, exact, near = totals
    assert read == kept + rejected + exact + near
    assert rejected >= 20 and exact >= 4 and near >= 4
    assert la.files == FILES and la.tables == TABLES
    assert la.linked_rejects == {
        "exports/referrals_2023.csv": 2,
        "exports/ledger.tsv": 3,
        "exports/wellbeing_utf16.csv": 1,
        "exports/outcome_star.csv": 2,
        "exports/meetings.txt": 1,
    }
    raw = {p.name: p.read_bytes() for p in (la.config.parent / "exports").iterdir()}
    assert raw["wellbeing_utf16.csv"].startswith(b"\xff\xfe")  # UTF-16 LE with BOM
    assert raw["ledger.tsv"].startswith(b"\xef\xbb\xbf") and b"\t" in raw["ledger.tsv"]
    referrals = raw["referrals_2023.csv"].decode("cp1252")
    with pytest.raises(UnicodeDecodeError):
        raw["referrals_2023.csv"].decode("utf-8")  # accented names in Windows-1252
    assert referrals.splitlines()[0].count(";") == 8
    assert "D.O.B." in referrals and "Home Office ref" in referrals
    outputs = raw["outputs.csv"].decode("utf-8")
    assert "07700 900983" in outputs and "E17 4PX" in outputs and "QQ 12 34 56 C" in outputs
    assert "WM/0012 with the housing team" in raw["meetings.txt"].decode("utf-8")


def test_ingests_from_the_profile_alone(la, data):
    rep = data.ingest_report.set_index("file")
    assert sorted(rep.index) == sorted(la.files)
    for file, expected in la.files.items():
        assert tuple(int(v) for v in rep.loc[file, COUNTS]) == expected, file
    assert {name: len(df) for name, df in data.tables().items()} == la.tables
    assert_integrity(data)
    assert data.warnings.empty, data.warnings["message"].tolist()


def test_sources_and_fields_left_out_are_empty(data):
    # No contacts export and no staff survey: empty tables with their columns, no warning.
    assert data.contacts.empty and list(data.contacts.columns)[:2] == ["contact_id", "family_id"]
    assert data.staff_responses.empty
    assert not (data.ingest_report["source"] == "contacts").any()
    # Fields the profile does not map are empty, or unknown for categories.
    fam = data.families
    unmapped = ["eligibility_assessed_date", "offered_date", "complex_flag_date"]
    assert fam[unmapped].isna().all().all()
    assert set(fam["eligibility"]) == set(fam["not_enrolled_reason"]) == {"unknown"}
    assert data.meetings["site"].isna().all()


def test_canonical_values_follow_the_profile(la, data):
    fam = data.families
    assert list(fam["cohort"].cat.categories) == ["pilot", "usual_care", "unknown"]
    assert fam["cohort"].value_counts().to_dict() == {"pilot": 29, "usual_care": 30, "unknown": 0}
    assert set(fam["site"]) == {"WMR"}
    assert (data.referrals["site"] == "WMR").all()  # taken from the family
    assert data.payments["amount_gbp"].min() == -120.0  # "(120.00)" is a refund
    assert data.payments["amount_gbp"].max() == 1234.5  # "£1,234.50"
    assert set(data.wellbeing_items["respondent"]) == {"parent_carer", "child"}
    assert set(data.domain_scores["timepoint"]) == {"baseline", "review"}
    inputs = {i["file"]: i["encoding"] for i in data.provenance["inputs"]}
    assert inputs["exports/referrals_2023.csv"] == "cp1252"
    assert inputs["exports/wellbeing_utf16.csv"] == "utf-16"
    assert inputs["exports/families.xlsx"] is None


def test_free_text_is_kept_scrubbed(la, data):
    for (table, column), texts in la.texts.items():
        kept = set(getattr(data, table)[column].dropna())
        for text in texts:
            assert text in kept, (table, column)
    kept_text = [
        *data.deliverables["title"].dropna(),
        *data.deliverables["notes"].dropna(),
        *data.referrals["notes"].dropna(),
        *data.meetings["notes"].dropna(),
        *data.families["notes"].dropna(),
    ]
    assert all(t.strip() and t != "[redacted]" for t in kept_text)


def test_codes_holding_a_name_are_shown_redacted(data):
    rj = data.rejects
    referrer = rj.loc[(rj["field"] == "Referrer") & (rj["action"] == "set_unknown"), "value"]
    assert sorted(referrer) == ["Schl", "[redacted]"]
    status = rj.loc[rj["field"] == "Household Status", "value"]
    assert sorted(status) == ["Asylm", "[redacted]"]


def test_cli_ingests_and_nothing_identifying_leaves(la, cli_run, tmp_path):
    result, out = cli_run
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    report = json.loads((out / "ingest_report.json").read_text("utf-8"))
    files = {f["file"]: tuple(f[k] for k in COUNTS) for f in report["files"]}
    assert files == la.files
    assert report["tables"] == la.tables
    assert_no_identifiers(out, la.planted)
    log = tmp_path / "log"
    log.mkdir()
    (log / "cli.txt").write_text(result.stdout + "\n" + result.stderr, "utf-8")
    assert_no_identifiers(log, la.planted)


def test_rejects_csv_gives_each_expected_reason(la, cli_run):
    _, out = cli_run
    with (out / "rejects.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert rows, "rejects.csv is empty"
    for file, reasons in la.reasons.items():
        given = [r["reason"] for r in rows if r["file"] == file]
        for reason in reasons:
            assert any(reason in g for g in given), (file, reason)
    family_rejected = f"family rejected (row {la.rejected_row} of exports/families.xlsx)"
    for file, n in la.linked_rejects.items():
        linked = [r for r in rows if r["file"] == file and family_rejected in r["reason"]]
        assert len(linked) == n, file
        assert {r["value"] for r in linked} == {"[redacted]"}
    row = str(la.rejected_row)
    [fam] = [r for r in rows if r["file"] == "exports/families.xlsx" and r["row"] == row]
    assert (fam["field"], fam["action"]) == ("Dates Referred", "row_rejected")


def test_rejected_family_leaves_no_row_behind(la, data):
    # Its pseudonym is in no canonical table; every linked row is a reject.
    fids = set(data.families["family_id"])
    rj = data.rejects
    reason = f"family rejected (row {la.rejected_row} of exports/families.xlsx)"
    assert (rj["reason"] == reason).sum() == sum(
        n for f, n in la.linked_rejects.items() if f != "exports/meetings.txt"
    )
    for name in ("referrals", "payments", "domain_scores", "wellbeing_items", "meeting_cases"):
        assert set(getattr(data, name)["family_id"]) <= fids, name


def test_outputs_are_the_loaded_data(data, cli_run):
    _, out = cli_run
    back = EvaluationData.from_parquet(Path(out))
    for name, df in data.tables().items():
        pd.testing.assert_frame_equal(getattr(back, name), df, check_exact=True)


def test_metrics_run_on_the_second_la(la, tmp_path):
    """Every outcome module copes with an LA that exports no contacts, no staff survey and
    no participant-flow fields: indicators it cannot estimate say why instead of failing."""
    from noream_eval.metrics.results import Results

    out = tmp_path / "metrics"
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv(ENV_KEY, raising=False)
        result = CliRunner().invoke(app, ["metrics", str(la.config), "--out", str(out)])
    assert result.exit_code == 0, result.output
    res = Results.from_dir(out)
    ind = res.indicators
    assert ind["indicator"].nunique() >= 40
    unestimated = ind[ind["estimate"].isna()]
    assert unestimated["method"].str.contains("not estimable|not estimated|lack", case=False).all()
    ratio = res.indicator("rereferral_rate_ratio")
    assert np.isnan(ratio["estimate"]) and "No events" in ratio["method"]
    assert res.indicator("s17_escalation_hazard_ratio")["n"] > 0
    promise = res["evidence_of_promise"]
    staff = promise[promise["prespecified"]].set_index("indicator")
    assert staff.loc["staff_multi_agency_change", "rating"] == "Insufficient data"
