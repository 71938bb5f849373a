"""A small hand-made export with known outcomes, shared by the ingest tests."""

from __future__ import annotations

import csv
from pathlib import Path

KEY = "test key for the mini export, not secret"

CONFIG = """
[evaluation]
name = "mini"
data_cut = "2022-06-30"
data_start = "2017-04-01"
key_file = "test.key"

[sources.families]
path = "families.csv"
identifiers = ["Parent Name", "Phone", "Youngest Child DOB"]
[sources.families.columns]
"Family Ref" = "family_ref"
"LA Code" = "site"
"Cohort" = "cohort"
"First Contact" = "first_contact_date"
"Date Enrolled" = "enrolled_date"
"Youngest Child DOB" = "youngest_child_dob"
"Immigration Status" = "immigration_status"
"History Complete From" = "history_known_from"
"No. of Children" = "n_children"
[sources.families.values.cohort]
"NOREAM" = "noream"
"Pilot" = "noream"
"Comparison" = "comparison"
[sources.families.values.immigration_status]
"Leave with NRPF" = "leave_nrpf_condition"
"Asylum seeker" = "asylum_pending"

[sources.referrals]
path = "referrals.csv"
identifiers = ["Postcode"]
[sources.referrals.columns]
"Referral No" = "referral_id"
"Family Ref" = "family_ref"
"Date of Referral" = "referral_date"
"Referral Source" = "source"
[sources.referrals.values.source]
"GP" = "health"
"School" = "education"

[sources.payments]
path = "payments.csv"
[sources.payments.columns]
"Transaction ID" = "payment_id"
"Client Ref" = "family_ref"
"Date Paid" = "payment_date"
"Budget Code" = "scheme"
"Amount" = "amount_gbp"
[sources.payments.values.scheme]
"Section 17" = "s17"
"NOREAM grant" = "noream_grant"
"""

FAM_HEADER = [
    "Family Ref",
    "LA Code",
    "Cohort",
    "First Contact",
    "Date Enrolled",
    "Youngest Child DOB",
    "Immigration Status",
    "History Complete From",
    "No. of Children",
    "Parent Name",
    "Phone",
]
FAMILIES = [
    [
        "NRPF-0001",
        "E09000012",
        "NOREAM",
        "03/02/2021",
        "10/02/2021",
        "01/05/2016",
        "Leave with NRPF",
        "",
        "2",
        "Amara Okonkwo-Testperson",
        "07700 900111",
    ],  # row 2
    [
        "nrpf 2",
        "e09000012",
        "comparison ",
        "2019-05-04",
        "",
        "",
        "Asylum seeker",
        "13/10/2020",
        "1",
        "Bartholomew Quince-Testperson",
        "07700 900222",
    ],  # row 3
    [""] * 11,  # row 4
    [
        "NRPF-0003",
        "E09000012",
        "Pilot",
        "TBC",
        "",
        "",
        "",
        "",
        "1",
        "Cordelia Marsh-Testperson",
        "07700 900333",
    ],  # row 5
    [
        "NRPF-0001",
        "E09000012",
        "NOREAM",
        "03/02/2021",
        "10/02/2021",
        "01/05/2016",
        "Leave with NRPF",
        "",
        "2",
        "Amara Okonkwo-Testperson",
        "07700 900111",
    ],  # row 6
    [
        "NRPF0004",
        "E09000012",
        "Comparison",
        "01/01/2019",
        "",
        "01/01/1990",
        "Walk-in",
        "",
        "three",
        "Desmond Fairweather-Testperson",
        "07700 900444",
    ],  # row 7
    [
        "NRPF-004",
        "E09000012",
        "Comparison",
        "01/01/2019",
        "",
        "",
        "",
        "",
        "1",
        "Desmond Fairweather-Testperson",
        "07700 900444",
    ],  # row 8
]
REF_HEADER = ["Referral No", "Family Ref", "Date of Referral", "Referral Source", "Postcode"]
REFERRALS = [
    ["R001", "NRPF-0001", "03/02/2021", "GP", "E8 1EA"],  # row 2
    ["R002", "NRPF-00001", "2021-09-01", " gp ", "E8 1EA"],  # row 3 kept (other id)
    ["r-002", "NRPF-1", "01/09/2021", "GP", "E8 1EA"],  # row 4 near duplicate of 3
    ["R003", "NRPF-2", "44300", "School", "N16 7AB"],  # row 5 serial date
    ["R004", "NRPF-9999", "01/01/2020", "School", "N16 7AB"],  # row 6 unknown family
    ["R005", "NRPF-2", "31/02/2020", "School", "N16 7AB"],  # row 7 impossible date
    ["R003", "NRPF-2", "01/03/2020", "School", "N16 7AB"],  # row 8 conflicting id
    ["Total", "", "", "", ""],  # row 9
]
PAY_HEADER = ["Transaction ID", "Client Ref", "Date Paid", "Budget Code", "Amount"]
PAYMENTS = [
    ["T1", "NRPF-0001", "01/03/2021", "Section 17", "£1,234.50"],
    ["T2", "NRPF-0001", "08/03/2021", "section17", "(120.00)"],
    ["T3", "NRPF-0001", "09/03/2021", "NOREAM grant", "£250"],
    ["T4", "NRPF-0002", "09/03/2021", "Section 17", "N/A"],
    ["T5", "NRPF-0002", "09/03/2021", "Lottery", "£10"],
]
IDENTIFIERS = [
    "Amara Okonkwo-Testperson",
    "Bartholomew Quince-Testperson",
    "Cordelia Marsh-Testperson",
    "Desmond Fairweather-Testperson",
    "07700 900111",
    "07700 900222",
    "07700 900333",
    "07700 900444",
    "E8 1EA",
    "N16 7AB",
    "NRPF-0001",
    "NRPF-0003",
    "NRPF0004",
    "R001",
    "T1",
]


def write_csv(
    path: Path, header: list[str], rows: list[list[str]], encoding: str = "utf-8"
) -> None:
    with path.open("w", encoding=encoding, newline="") as fh:
        w = csv.writer(fh, lineterminator="\r\n")
        w.writerow(header)
        w.writerows(rows)


def write_mini(tmp_path: Path) -> Path:
    """Write the mini export and its config into ``tmp_path``; return the config path."""
    (tmp_path / "evaluation.toml").write_text(CONFIG, "utf-8")
    (tmp_path / "test.key").write_text(KEY + "\n", "utf-8")
    write_csv(tmp_path / "families.csv", FAM_HEADER, FAMILIES, "utf-8-sig")
    write_csv(tmp_path / "referrals.csv", REF_HEADER, REFERRALS)
    write_csv(tmp_path / "payments.csv", PAY_HEADER, PAYMENTS, "cp1252")
    return tmp_path / "evaluation.toml"
