"""Ingest of the shipped sample, checked against the generator's truth.json.

The generator records, for every raw file, how many rows it wrote and how many
of each kind of mess it injected; ingest must find exactly those.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from _privacy import assert_no_identifiers

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


def _planted_identifiers() -> list[str]:
    """Every identifier and raw reference value in the raw sample files."""
    cfg = load_config(SAMPLE / "evaluation.toml")
    values: set[str] = set()
    for prof in cfg.sources.values():
        ref_cols = [
            raw
            for raw, fld in prof.columns.items()
            if fld
            in (
                "family_ref",
                "referral_id",
                "payment_id",
                "response_id",
                "respondent_ref",
                "family_refs",
            )
        ]
        for path in prof.files():
            frame = read_table(
                path, fmt=prof.format, sheet=prof.sheet, header_row=prof.header_row
            ).frame
            for col in [*prof.identifiers, *ref_cols]:
                if col not in frame:
                    continue
                for v in frame[col].astype(str):
                    for part in v.split(prof.list_separator):
                        part = part.strip()
                        # dates of birth are searched in the forms an output could hold
                        if len(part) >= 6:
                            values.add(part)
    return sorted(values)


def test_no_identifier_reaches_any_output(ingested):
    _, out = ingested
    planted = _planted_identifiers()
    assert len(planted) > 500  # names, DOBs, phones, NI numbers, HO refs, postcodes, refs
    assert_no_identifiers(out, planted)
