"""Property-based test: on any mix of messy rows, every raw row is accounted for.

Hypothesis builds a payments ledger from a random sequence of row kinds (valid,
blank, Total, exact repeat, cosmetic repeat, bad date, bad amount, unknown
family, unknown budget code) and checks that ingest classifies each as the
generator intended and that rows read = kept + rejected + duplicates.
"""

from __future__ import annotations

import csv
import datetime as dt
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from noream_eval.ingest import load
from noream_eval.ingest.pseudonymise import ENV_KEY

CONFIG = """
[evaluation]
data_cut = "2022-06-30"
key_file = "k.key"
[sources.families]
path = "families.csv"
[sources.families.columns]
"Ref" = "family_ref"
"Cohort" = "cohort"
"First" = "first_contact_date"
[sources.payments]
path = "payments.csv"
[sources.payments.columns]
"Txn" = "payment_id"
"Ref" = "family_ref"
"Paid" = "payment_date"
"Code" = "scheme"
"Amount" = "amount_gbp"
[sources.payments.values.scheme]
"Section 17" = "s17"
"""

KINDS = ["valid", "blank", "exact", "near", "bad_date", "bad_amount", "orphan", "bad_code"]
EXPECT = {
    "valid": "kept",
    "blank": "rejected",
    "exact": "exact",
    "near": "near",
    "bad_date": "rejected",
    "bad_amount": "rejected",
    "orphan": "rejected",
    "bad_code": "rejected",
}


def _fmt_date(d: dt.date, variant: int) -> str:
    return [d.strftime("%d/%m/%Y"), d.isoformat(), str((d - dt.date(1899, 12, 30)).days)][
        variant % 3
    ]


def _fmt_amount(pence: int, variant: int) -> str:
    pounds = pence / 100
    return [f"£{pounds:,.2f}", f"{pounds:.2f}", f"£ {pounds:.2f}"][variant % 3]


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    kinds=st.lists(st.sampled_from(KINDS), min_size=1, max_size=40),
    seed=st.integers(0, 10_000),
)
def test_every_generated_row_is_classified_as_intended(kinds, seed, tmp_path, monkeypatch):
    monkeypatch.delenv(ENV_KEY, raising=False)
    folder = Path(tempfile.mkdtemp(dir=tmp_path))
    (folder / "evaluation.toml").write_text(CONFIG, "utf-8")
    (folder / "k.key").write_text("property test key, long enough", "utf-8")
    with (folder / "families.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["Ref", "Cohort", "First"])
        for i in range(1, 6):
            w.writerow([f"NRPF-{i:05d}", "noream", "01/01/2021"])
    rows: list[list[str]] = []
    intended: list[str] = []
    valid_rows: list[tuple[int, int, dt.date, int]] = []  # txn, family, date, pence
    for n, kind in enumerate(kinds):
        txn = seed * 1000 + n
        fam = 1 + (txn % 5)
        day = dt.date(2021, 1, 1) + dt.timedelta(days=(txn * 7) % 500)
        pence = 100 + (txn * 37) % 100_000
        if kind in ("exact", "near") and not valid_rows:
            kind = "valid"  # nothing to repeat yet
        if kind == "valid":
            valid_rows.append((txn, fam, day, pence))
            row = [
                f"T{txn}",
                f"NRPF-{fam:05d}",
                _fmt_date(day, 0),
                "Section 17",
                _fmt_amount(pence, 0),
            ]
        elif kind == "blank":
            row = ["", "", "", "", ""]
        elif kind == "exact":
            t, f, d, p = valid_rows[n % len(valid_rows)]
            row = [f"T{t}", f"NRPF-{f:05d}", _fmt_date(d, 0), "Section 17", _fmt_amount(p, 0)]
        elif kind == "near":
            t, f, d, p = valid_rows[n % len(valid_rows)]
            row = [
                f"t-{t}",
                f"nrpf {f}" + " " * (n + 1),  # spaces make each repeat textually unique
                _fmt_date(d, 1 + n % 2),
                " section 17 ",
                _fmt_amount(p, 1 + n % 2),
            ]
        elif kind == "bad_date":
            row = [f"T{txn}", f"NRPF-{fam:05d}", "31/02/2021", "Section 17", "£5.00"]
        elif kind == "bad_amount":
            row = [f"T{txn}", f"NRPF-{fam:05d}", "01/02/2021", "Section 17", "N/A"]
        elif kind == "orphan":
            row = [f"T{txn}", "NRPF-99999", "01/02/2021", "Section 17", "£5.00"]
        else:
            row = [f"T{txn}", f"NRPF-{fam:05d}", "01/02/2021", "Lottery", "£5.00"]
        rows.append(row)
        intended.append(EXPECT[kind])
    with (folder / "payments.csv").open("w", newline="", encoding="cp1252") as fh:
        w = csv.writer(fh)
        w.writerow(["Txn", "Ref", "Paid", "Code", "Amount"])
        w.writerows(rows)

    data = load(folder / "evaluation.toml")
    rep = data.ingest_report.set_index("source").loc["payments"]
    assert rep["rows_read"] == len(rows)
    assert rep["rows_read"] == (
        rep["rows_kept"] + rep["rows_rejected"] + rep["duplicates_exact"] + rep["duplicates_near"]
    )
    assert rep["rows_kept"] == intended.count("kept")
    assert rep["rows_rejected"] == intended.count("rejected")
    assert rep["duplicates_exact"] == intended.count("exact")
    assert rep["duplicates_near"] == intended.count("near")
    assert len(data.payments) == intended.count("kept")
    rj = data.rejects
    rejected_rows = set(
        rj.loc[(rj["source"] == "payments") & (rj["action"] == "row_rejected"), "row"]
    )
    assert rejected_rows == {i + 2 for i, k in enumerate(intended) if k == "rejected"}
    assert data.payments["amount_gbp"].sum() == pytest.approx(sum(p for *_, p in valid_rows) / 100)
