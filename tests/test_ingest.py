"""Tests of the ingest pipeline on a small hand-made export with known outcomes."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from _mini import FAM_HEADER, FAMILIES, IDENTIFIERS, KEY, write_csv, write_mini
from _privacy import assert_no_identifiers
from typer.testing import CliRunner

from noream_eval.cli import app
from noream_eval.data import EvaluationData
from noream_eval.errors import KeyMissingError, MissingColumnError
from noream_eval.ingest import load, write_outputs
from noream_eval.ingest.pseudonymise import ENV_KEY, Pseudonymiser


@pytest.fixture
def mini(tmp_path, monkeypatch) -> Path:
    monkeypatch.delenv(ENV_KEY, raising=False)
    return write_mini(tmp_path)


def _fid(ref: str) -> str:
    return Pseudonymiser(KEY.encode()).hash_one(ref, domain="family")


def test_every_row_is_accounted_for(mini):
    data = load(mini)
    rep = data.ingest_report.set_index("source")
    assert rep.loc[
        "families",
        ["rows_read", "rows_kept", "rows_rejected", "duplicates_exact", "duplicates_near"],
    ].tolist() == [7, 3, 3, 1, 0]
    assert rep.loc[
        "referrals",
        ["rows_read", "rows_kept", "rows_rejected", "duplicates_exact", "duplicates_near"],
    ].tolist() == [8, 3, 4, 0, 1]
    assert rep.loc["payments", ["rows_read", "rows_kept", "rows_rejected"]].tolist() == [5, 3, 2]
    for r in data.ingest_report.itertuples():
        assert r.rows_read == r.rows_kept + r.rows_rejected + r.duplicates_exact + r.duplicates_near


def test_rejects_name_file_row_column_and_reason(mini):
    rj = load(mini).rejects

    def reasons(file, row):
        sel = rj[(rj["file"] == file) & (rj["row"] == row)]
        return list(zip(sel["field"], sel["action"], sel["reason"], strict=True))

    assert reasons("families.csv", 4) == [("", "row_rejected", "blank row")]
    [(field, action, reason)] = reasons("families.csv", 5)
    assert (field, action) == ("First Contact", "row_rejected") and "date" in reason
    fam7 = reasons("families.csv", 7)
    assert ("Immigration Status", "set_unknown") in [(f, a) for f, a, _ in fam7]
    assert ("No. of Children", "value_dropped") in [(f, a) for f, a, _ in fam7]
    assert ("Youngest Child DOB", "set_unknown") in [(f, a) for f, a, _ in fam7]
    assert reasons("referrals.csv", 6)[0][2] == "family reference not found in the families export"
    assert "date" in reasons("referrals.csv", 7)[0][2]
    assert "repeats the key of row 5 of referrals.csv" in reasons("referrals.csv", 8)[0][2]
    assert reasons("referrals.csv", 9)[0][2].startswith("summary row")
    assert [a for _, a, _ in reasons("payments.csv", 6)] == ["row_rejected"]
    # identifier and reference values are never echoed
    assert set(rj.loc[rj["field"] == "Youngest Child DOB", "value"]) == {"[redacted]"}
    assert set(rj.loc[rj["field"] == "Family Ref", "value"]) <= {"[redacted]", ""}
    assert rj.loc[(rj["file"] == "payments.csv") & (rj["row"] == 6), "value"].tolist() == [
        "Lottery"
    ]


def test_canonical_values(mini):
    data = load(mini)
    fam = data.families.set_index("family_id")
    assert set(fam.index) == {_fid("NRPF1"), _fid("NRPF2"), _fid("NRPF4")}
    f1 = fam.loc[_fid("NRPF1")]
    assert f1["cohort"] == "noream" and f1["site"] == "E09000012"
    assert f1["first_contact_date"] == pd.Timestamp("2021-02-03")
    assert f1["youngest_child_age_band"] == "0-4"
    assert f1["history_known_from"] == pd.Timestamp("2017-04-01")
    assert f1["immigration_status"] == "leave_nrpf_condition"
    f2 = fam.loc[_fid("NRPF2")]
    assert f2["cohort"] == "comparison"
    assert f2["history_known_from"] == pd.Timestamp("2020-10-13")
    assert fam.loc[_fid("NRPF4"), "immigration_status"] == "unknown"
    assert pd.isna(fam.loc[_fid("NRPF4"), "n_children"])
    ref = data.referrals.set_index("family_id").sort_values("referral_date")
    assert ref.loc[_fid("NRPF2"), "referral_date"] == pd.Timestamp("2021-04-14")  # serial 44300
    assert (data.referrals["site"] == "E09000012").all()
    pay = data.payments.sort_values("payment_date")
    assert pay["amount_gbp"].tolist() == [1234.5, -120.0, 250.0]
    assert pay["scheme"].tolist() == ["s17", "s17", "noream_grant"]
    ep = data.s17_episodes
    assert len(ep) == 1 and ep["cost_gbp"].iloc[0] == pytest.approx(1114.5)
    assert str(data.families["cohort"].dtype) == "category"
    assert str(data.referrals["referral_date"].dtype) == "datetime64[ns]"


def test_outputs_contain_no_identifiers(mini, tmp_path):
    data = load(mini)
    out = write_outputs(data, tmp_path / "out")
    assert_no_identifiers(out, [*IDENTIFIERS, KEY])


def test_parquet_round_trip_is_exact(mini, tmp_path):
    data = load(mini)
    back = EvaluationData.from_parquet(data.to_parquet(tmp_path / "pq"))
    for name, df in data._all_frames().items():
        pd.testing.assert_frame_equal(getattr(back, name), df, check_exact=True)
    assert back.provenance == json.loads(json.dumps(data.provenance, default=str))


def test_missing_column_stops_with_a_useful_message(mini):
    p = mini.parent / "payments.csv"
    p.write_text(p.read_text("cp1252").replace("Date Paid", "Paid On"), "cp1252")
    with pytest.raises(MissingColumnError) as err:
        load(mini)
    msg = str(err.value)
    assert "payments.csv" in msg and "'Date Paid'" in msg and "'payment_date'" in msg
    assert "Columns found: 'Transaction ID', 'Client Ref', 'Paid On'" in msg


def test_cli_failure_exits_non_zero_and_leaves_no_output(mini, tmp_path):
    p = mini.parent / "payments.csv"
    p.write_text(p.read_text("cp1252").replace("Date Paid", "Paid On"), "cp1252")
    out = tmp_path / "cli_out"
    result = CliRunner().invoke(app, ["ingest", str(mini), "--out", str(out), "--quiet"])
    assert result.exit_code == 2
    assert "'Date Paid'" in result.output
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".cli_out")]


def test_cli_ingest_writes_every_output(mini, tmp_path):
    out = tmp_path / "cli_ok"
    result = CliRunner().invoke(app, ["ingest", str(mini), "--out", str(out)])
    assert result.exit_code == 0, result.output
    names = {p.name for p in out.iterdir()}
    assert {
        "families.parquet",
        "referrals.parquet",
        "s17_episodes.parquet",
        "rejects.csv",
        "ingest_report.md",
        "ingest_report.json",
        "provenance.json",
    } <= names
    prov = json.loads((out / "provenance.json").read_text("utf-8"))
    assert prov["key_fingerprint"] == Pseudonymiser(KEY.encode()).fingerprint
    assert {i["file"] for i in prov["inputs"]} == {"families.csv", "referrals.csv", "payments.csv"}
    assert all(len(i["sha256"]) == 64 for i in prov["inputs"])
    again = CliRunner().invoke(app, ["ingest", str(mini), "--out", str(out), "--quiet"])
    assert again.exit_code == 2 and "--force" in again.output


def test_no_key_is_a_clear_error(mini):
    (mini.parent / "test.key").unlink()
    with pytest.raises(KeyMissingError, match="cannot be read"):
        load(mini)


def test_environment_key_changes_pseudonyms(mini, monkeypatch):
    a = load(mini).families["family_id"]
    monkeypatch.setenv(ENV_KEY, "another key entirely, also long")
    b = load(mini).families["family_id"]
    assert set(a).isdisjoint(set(b))


def _families_only(folder: Path, columns: dict[str, str], header: list[str], rows) -> Path:
    """A config with a families source only, its column map, and the families CSV."""
    mapping = "\n".join(f'"{raw}" = "{field}"' for raw, field in columns.items())
    (folder / "evaluation.toml").write_text(
        '[evaluation]\ndata_cut = "2022-06-30"\nkey_file = "k.key"\n'
        '[sources.families]\npath = "families.csv"\n'
        f"[sources.families.columns]\n{mapping}\n",
        "utf-8",
    )
    (folder / "k.key").write_text(KEY, "utf-8")
    write_csv(folder / "families.csv", header, rows)
    return folder / "evaluation.toml"


def test_raw_headers_may_equal_canonical_names(tmp_path, monkeypatch):
    # A tidy export may already use canonical names; `family_id` even names a derived column.
    monkeypatch.delenv(ENV_KEY, raising=False)
    names = ["family_id", "site", "cohort", "first_contact_date"]
    config = _families_only(
        tmp_path,
        dict(zip(names, ["family_ref", "site", "cohort", "first_contact_date"], strict=True)),
        names,
        [
            ["NRPF-1", "e09000012", "noream", "2021-02-03"],
            ["NRPF-2", "E09000012", "comparison", "04/05/2019"],
        ],
    )
    fam = load(config).families.set_index("family_id")
    assert set(fam.index) == {_fid("NRPF1"), _fid("NRPF2")}
    assert fam["site"].tolist() == ["E09000012", "E09000012"]
    assert fam["cohort"].tolist() == ["noream", "comparison"]
    assert fam.loc[_fid("NRPF2"), "first_contact_date"] == pd.Timestamp("2019-05-04")


def test_headers_match_ignoring_case_spacing_and_line_breaks(tmp_path, monkeypatch):
    # An export written by another system: same columns, other case, a line break
    # inside a header cell, doubled and surrounding spaces.
    monkeypatch.delenv(ENV_KEY, raising=False)
    config = _families_only(
        tmp_path,
        {"Family Ref": "family_ref", "Cohort": "cohort", "First Contact": "first_contact_date"},
        ["  FAMILY\nREF ", "cohort", "First   Contact"],
        [["NRPF-1", "noream", "2021-02-03"]],
    )
    fam = load(config).families
    assert fam["family_id"].tolist() == [_fid("NRPF1")]
    assert fam["first_contact_date"].tolist() == [pd.Timestamp("2021-02-03")]


def test_a_date_in_a_code_column_is_not_shown(mini):
    # A date typed where a code belongs may be a date of birth registered nowhere (its
    # own cell held something else): rejects show it redacted. Found by the privacy
    # property test (a DOB planted in Cohort while the row's DOB cell held a name).
    rows = [list(r) for r in FAMILIES]
    rows[0][2] = "08/09/1998"
    write_csv(mini.parent / "families.csv", FAM_HEADER, rows, "utf-8-sig")
    rj = load(mini).rejects
    sel = rj.loc[(rj["file"] == "families.csv") & (rj["row"] == 2)]
    assert sel["field"].tolist() == ["Cohort"]
    assert sel["value"].tolist() == ["[redacted]"]
    # a date column still shows its (scrubbed) value, so the analyst can fix it
    assert "TBC" in set(rj.loc[rj["field"] == "First Contact", "value"])


def test_a_date_in_a_site_column_is_dropped(mini):
    # No site code is a date: a date typed there may be a date of birth registered
    # nowhere, so it is removed from the table, not only redacted in rejects. Found by the
    # privacy property test (a DOB planted in LA Code while the row's DOB cell held a name).
    rows = [list(r) for r in FAMILIES]
    rows[0][1] = "01/10/1984"
    write_csv(mini.parent / "families.csv", FAM_HEADER, rows, "utf-8-sig")
    data = load(mini)
    assert data.families.loc[data.families["family_id"] == _fid("NRPF1"), "site"].tolist() == [
        "unknown"
    ]
    rj = data.rejects
    sel = rj.loc[(rj["file"] == "families.csv") & (rj["field"] == "LA Code")]
    assert sel[["row", "value", "action"]].values.tolist() == [[2, "[redacted]", "value_dropped"]]
    assert "01/10/1984" not in data.referrals["site"].tolist()
