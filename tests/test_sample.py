"""Tests of the synthetic sample generator: reproducibility, layout, mess and truth.

Mess counts are checked by reading the written files back with small independent
parsers (not by trusting ``truth.json``): rows identical to an earlier row are exact
duplicates; rows whose normalised values equal an earlier row's are near duplicates.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import json
import pathlib
import re
import tomllib
from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook

from noream_eval.sample.formats import fmt_refs
from noream_eval.sample.generate import DEFAULT_SEED, DEMO_KEY, generate_sample

REPO = pathlib.Path(__file__).resolve().parents[1]
COMMITTED = REPO / "data" / "sample"
CONFIG = tomllib.loads((REPO / "noream_eval" / "sample" / "evaluation.toml").read_text())
SOURCES: dict[str, Any] = CONFIG["sources"]

EXCEL_EPOCH = dt.date(1899, 12, 30)
ATTACK = dt.date(2020, 10, 13)
DATA_CUT = dt.date(2022, 6, 30)
REF_COLUMNS = {"Family Ref", "Client Ref"}
DATE_COLUMNS = {
    "Date of Referral",
    "Parent DOB",
    "First Contact",
    "Date Enrolled",
    "Date Closed",
    "Youngest Child DOB",
    "History Complete From",
    "Date Paid",
    "Assessment Date",
    "Date",
    "Eligibility Assessed",
    "Date Offered",
    "Complex Case Flagged",
    "Contact Date",
}
ENCODINGS = {"families.csv": "utf-8-sig", "payments.csv": "cp1252", "staff_survey.csv": "cp1252"}
CSV_SOURCES = {
    "families.csv": "families",
    "payments.csv": "payments",
    "domain_assessments.csv": "domain_assessments",
    "wellbeing_survey.csv": "wellbeing_survey",
    "staff_survey.csv": "staff_survey",
    "meetings.csv": "meetings",
    "contacts.csv": "contacts",
    "deliverables.csv": "deliverables",
}
SWEMWBS_LABELS = {"None of the time", "Rarely", "Some of the time", "Often", "All of the time"}
AGREE_LABELS = {
    "Strongly disagree",
    "Disagree",
    "Neither agree nor disagree",
    "Agree",
    "Strongly agree",
}


# ------------------------------------------------------------------ small parsers


def norm_ref(value: object) -> str:
    """The ingest's reference normalisation: strip, upper, alphanumerics, no leading zeros."""
    text = re.sub(r"[^A-Z0-9]", "", str(value).strip().upper())
    m = re.fullmatch(r"(.*?)(\d+)", text)
    return m.group(1) + str(int(m.group(2))) if m else text


def norm_code(value: object) -> str:
    return re.sub(r"[^a-z0-9]", "", str(value).lower())


def parse_date(value: object) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, float | int):
        return EXCEL_EPOCH + dt.timedelta(days=int(value))
    text = str(value).strip()
    if re.fullmatch(r"\S+ \d{2}:\d{2}", text):  # a date with the time of day
        text = text.split()[0]
    for fmt in ("%d/%m/%Y", "%Y-%m-%d", "%d/%m/%y"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            pass
    if text.isdigit():
        return EXCEL_EPOCH + dt.timedelta(days=int(text))
    return None


def parse_money(value: object) -> float | None:
    text = str(value).strip()
    negative = text.startswith("-") or (text.startswith("(") and text.endswith(")"))
    try:
        amount = float(text.strip("()-").replace("£", "").replace(",", ""))
    except ValueError:
        return None
    return -amount if negative else amount


@functools.lru_cache(maxsize=200_000)
def canon(column: str, value: object) -> object:
    """A cell's normalised value, used to recognise near duplicates."""
    if value in ("", None):
        return None
    if column in REF_COLUMNS:
        return norm_ref(value)
    if column in DATE_COLUMNS:
        return parse_date(value) or ("unparseable", str(value))
    if column == "Amount":
        return parse_money(value)
    if column == "Cases Discussed":
        return tuple(norm_ref(v) for v in str(value).split(";"))
    if isinstance(value, float):
        return value
    return norm_code(value)


def read_csv(path: pathlib.Path) -> tuple[list[str], list[list[str]]]:
    text = path.read_bytes().decode(ENCODINGS.get(path.name, "utf-8"))
    rows = list(csv.reader(io.StringIO(text, newline="")))
    return rows[0], rows[1:]


def read_xlsx(path: pathlib.Path) -> tuple[list[Any], list[list[Any]]]:
    sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Referrals")
    rows = sheet.to_python(skip_empty_area=False)
    header_row = SOURCES["referrals"]["header_row"]
    return rows[header_row - 1], rows[header_row:]


class Parsed:
    """Rows of one export split into data, blank and Total rows, with duplicate counts."""

    def __init__(self, header: Sequence[Any], rows: list[list[Any]]) -> None:
        self.header = list(header)
        self.rows = rows
        is_blank = [all(v in ("", None) for v in r) for r in rows]
        is_total = [bool(r) and r[0] == "Total" for r in rows]
        self.blank = [r for r, b in zip(rows, is_blank, strict=True) if b]
        self.total = [r for r, t in zip(rows, is_total, strict=True) if t]
        self.data = [r for r, b, t in zip(rows, is_blank, is_total, strict=True) if not (b or t)]
        self.first_or_last_blank = bool(rows) and (is_blank[0] or is_blank[-1])
        seen_raw: set[tuple[Any, ...]] = set()
        seen_canon: set[tuple[Any, ...]] = set()
        self.exact = self.same_canon = 0
        self.unique: list[dict[str, Any]] = []
        self.groups: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
        for r in self.data:
            raw = tuple(r)
            key = tuple(canon(h, v) for h, v in zip(self.header, r, strict=True))
            row = dict(zip(self.header, r, strict=True))
            if raw in seen_raw:
                self.exact += 1
            if key in seen_canon:
                self.same_canon += 1
            else:
                self.unique.append(row)
            self.groups.setdefault(key, []).append(row)
            seen_raw.add(raw)
            seen_canon.add(key)
        self.near = self.same_canon - self.exact

    def column(self, name: str, *, unique: bool = True) -> list[Any]:
        if unique:
            return [r[name] for r in self.unique]
        i = self.header.index(name)
        return [r[i] for r in self.data]


def known_codes(source: str, field: str) -> set[str]:
    values = SOURCES[source]["values"][field]
    return {norm_code(k) for k in values} | {norm_code(v) for v in values.values()}


def parse_file(path: pathlib.Path) -> Parsed:
    if path.suffix == ".xlsx":
        return Parsed(*read_xlsx(path))
    return Parsed(*read_csv(path))


# ---------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    return generate_sample(tmp_path_factory.mktemp("sample") / "default")


@pytest.fixture(scope="module")
def truth(sample: pathlib.Path) -> dict[str, Any]:
    return json.loads((sample / "truth.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def parsed(sample: pathlib.Path) -> dict[str, Parsed]:
    names = ["referrals.xlsx", *CSV_SOURCES]
    return {name: parse_file(sample / name) for name in names}


@pytest.fixture(scope="module")
def multisite(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    return generate_sample(
        tmp_path_factory.mktemp("sample") / "multi", n_families=3000, n_sites=5, seed=7
    )


# ------------------------------------------------------------- reproducibility


def test_default_seed_reproduces_committed_sample(sample: pathlib.Path) -> None:
    committed = sorted(p.name for p in COMMITTED.iterdir())
    generated = sorted(p.name for p in sample.iterdir())
    assert generated == committed
    for name in generated:
        assert (sample / name).read_bytes() == (COMMITTED / name).read_bytes(), name


def test_different_seed_gives_different_data(sample: pathlib.Path, tmp_path: pathlib.Path) -> None:
    other = generate_sample(tmp_path / "other", seed=DEFAULT_SEED + 1)
    for name in ("families.csv", "payments.csv", "referrals.xlsx", "wellbeing_survey.csv"):
        assert (other / name).read_bytes() != (sample / name).read_bytes(), name
    assert (other / "evaluation.toml").read_bytes() == (sample / "evaluation.toml").read_bytes()


def test_non_empty_directory_needs_force(tmp_path: pathlib.Path) -> None:
    (tmp_path / "notes.txt").write_text("keep me")
    with pytest.raises(FileExistsError, match="not empty"):
        generate_sample(tmp_path)
    generate_sample(tmp_path, force=True)
    assert (tmp_path / "notes.txt").read_text() == "keep me"
    assert (tmp_path / "referrals.xlsx").exists()


def test_invalid_sizes_raise(tmp_path: pathlib.Path) -> None:
    with pytest.raises(ValueError, match="n_sites"):
        generate_sample(tmp_path / "a", n_sites=0)
    with pytest.raises(ValueError, match="n_families"):
        generate_sample(tmp_path / "b", n_families=0)


# ----------------------------------------------------------- layout and sizes


def test_files_and_key(sample: pathlib.Path, truth: dict[str, Any]) -> None:
    assert (sample / "demo.key").read_text() == DEMO_KEY + "\n"
    assert truth["key"] == DEMO_KEY == "noream-eval-demo-key-not-secret"
    assert truth["seed"] == DEFAULT_SEED
    toml = (REPO / "noream_eval" / "sample" / "evaluation.toml").read_bytes()
    assert (sample / "evaluation.toml").read_bytes() == toml
    readme = (sample / "README.md").read_text(encoding="utf-8")
    change = truth["realised"]["wellbeing"]["mean_change_metric_pairs"]
    assert f"complete pairs {change:.2f}" in readme
    assert str(truth["mess"]["payments.csv"]["rows_written"]) in readme


def test_default_size(truth: dict[str, Any], parsed: dict[str, Parsed]) -> None:
    assert truth["n_families"] == 411
    by_cohort = {"comparison": 150, "noream": 120, "not_enrolled": 141}
    assert truth["realised"]["families"]["by_cohort"] == by_cohort
    assert truth["realised"]["families"]["enrolled"] == 120
    fams = parsed["families.csv"]
    refs = {norm_ref(v) for v in fams.column("Family Ref")}
    assert len(refs) == len(fams.unique) == 411
    cohort_map = {norm_code(k): v for k, v in SOURCES["families"]["values"]["cohort"].items()}
    cohorts = Counter(cohort_map[norm_code(v)] for v in fams.column("Cohort"))
    assert cohorts == by_cohort
    assert sum(bool(v) for v in fams.column("Date Enrolled")) == 120


def test_headers_match_evaluation_toml(parsed: dict[str, Parsed]) -> None:
    files = {"referrals.xlsx": "referrals", **CSV_SOURCES}
    for name, source in files.items():
        profile = SOURCES[source]
        expected = (
            set(profile["columns"])
            | set(profile.get("identifiers", []))
            | set(profile.get("items", {}))
            | set(profile.get("domains", {}))
        )
        assert set(parsed[name].header) == expected, name
        assert len(parsed[name].header) == len(expected), name


def test_encodings(sample: pathlib.Path) -> None:
    families = (sample / "families.csv").read_bytes()
    assert families.startswith(b"\xef\xbb\xbf")
    names = read_csv(sample / "families.csv")[1]
    assert any(not _cp1252_ok(row[7]) for row in names if len(row) > 7)  # e.g. "Adébáyọ̀"
    payments = (sample / "payments.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        payments.decode("utf-8")
    text = payments.decode("cp1252")
    assert b"\xa3" in payments and "£" in text
    assert re.search(r"[éöüëóá]", text)
    (sample / "staff_survey.csv").read_bytes().decode("cp1252")
    for name in (
        "domain_assessments.csv",
        "wellbeing_survey.csv",
        "meetings.csv",
        "contacts.csv",
        "deliverables.csv",
    ):
        data = (sample / name).read_bytes()
        assert not data.startswith(b"\xef\xbb\xbf")
        data.decode("utf-8")
    for name in CSV_SOURCES:
        data = (sample / name).read_bytes()
        assert data.count(b"\r\n") == data.count(b"\n"), name


def _cp1252_ok(text: str) -> bool:
    try:
        text.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True


def test_referrals_workbook_layout(sample: pathlib.Path) -> None:
    sheet = CalamineWorkbook.from_path(str(sample / "referrals.xlsx")).get_sheet_by_name(
        "Referrals"
    )
    rows = sheet.to_python(skip_empty_area=False)
    assert rows[0][0] == "London Borough of Hackney - NRPF Team referrals export"
    assert rows[1][0] == "Exported 30/06/2022"
    assert rows[2][0] == "Referral No"
    assert rows[-1][0] == "Total"
    data = [r for r in rows[3:-1] if any(v not in ("", None) for v in r)]
    assert rows[-1][1] == len(data)
    dates = [r[3] for r in data]
    kinds = Counter(type(v).__name__ for v in dates)
    assert kinds["date"] > 0 and kinds["float"] > 0 and kinds["str"] > 0
    texts = [v for v in dates if isinstance(v, str)]
    assert any(re.fullmatch(r"\d{2}/\d{2}/\d{4}", v) for v in texts)
    assert any(re.fullmatch(r"\d{4}-\d{2}-\d{2}", v) for v in texts)
    assert any(re.fullmatch(r"\d{1,2}/\d{1,2}/\d{2}", v) for v in texts)
    assert all(40_000 < v < 45_000 for v in dates if isinstance(v, float))


def test_csv_value_formats(parsed: dict[str, Parsed]) -> None:
    pay = parsed["payments.csv"]
    amounts = pay.column("Amount", unique=False)
    assert any(re.fullmatch(r"£\d{1,3}(,\d{3})+\.\d\d", a) for a in amounts)
    assert any(re.fullmatch(r"\d+\.\d\d", a) for a in amounts)
    assert any(re.fullmatch(r"\([\d,]+\.\d\d\)", a) for a in amounts)
    assert any(re.fullmatch(r"-£[\d,]+\.\d\d", a) for a in amounts)
    dates = pay.column("Date Paid", unique=False)
    assert any(re.fullmatch(r"\d{2}/\d{2}/\d{4}", d) for d in dates)
    assert any(re.fullmatch(r"\d{4}-\d{2}-\d{2}", d) for d in dates)
    assert any(re.fullmatch(r"\d{5}", d) for d in dates)
    refs = set(pay.column("Client Ref", unique=False))
    assert any(re.fullmatch(r"NRPF-\d{5}", r) for r in refs)
    assert any(re.fullmatch(r"nrpf \d+", r) for r in refs)
    assert any(re.fullmatch(r"NRPF\d{5}", r) for r in refs)
    assert any(re.fullmatch(r" NRPF-\d{5} ", r) for r in refs)
    submitted = parsed["wellbeing_survey.csv"].column("Submitted At")
    assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", s) for s in submitted)


# ----------------------------------------------------------------------- mess


@pytest.mark.parametrize("name", ["referrals.xlsx", *CSV_SOURCES])
def test_row_accounting_matches_truth(
    name: str, parsed: dict[str, Parsed], truth: dict[str, Any]
) -> None:
    p, m = parsed[name], truth["mess"][name]
    assert len(p.rows) == m["rows_written"]
    assert len(p.blank) == m["blank_rows"]
    assert len(p.total) == m["total_rows"]
    assert p.exact == m["exact_duplicates"]
    assert p.near == m["near_duplicates"]
    assert m["rows_written"] == (
        m["clean_rows"]
        + m["exact_duplicates"]
        + m["near_duplicates"]
        + m["blank_rows"]
        + m["total_rows"]
        + m["invalid_rows"]
    )
    # blank rows sit in the middle, never first or last
    assert not p.first_or_last_blank


@pytest.mark.parametrize("name", ["referrals.xlsx", *CSV_SOURCES])
def test_mess_rates(name: str, truth: dict[str, Any]) -> None:
    m = truth["mess"][name]
    rates = truth["mess_rates"][name.split(".")[0]]
    n = m["clean_rows"]
    for kind in ("exact_duplicates", "near_duplicates", "blank_rows"):
        rate = rates.get(kind, 0.0)
        expected = 0 if rate == 0 else max(1, round(rate * n))
        assert m[kind] == expected, kind
        if rate:
            assert m[kind] <= max(1, 0.03 * n)


def test_invalid_values_in_files(parsed: dict[str, Parsed], truth: dict[str, Any]) -> None:
    mess = truth["mess"]
    ref = parsed["referrals.xlsx"]
    bad = [v for v in ref.column("Date of Referral", unique=False) if parse_date(v) is None]
    assert len(bad) == mess["referrals.xlsx"]["unparseable_dates"] > 0
    known = known_codes("referrals", "source")
    unknown = [v for v in ref.column("Referral Source") if norm_code(v) not in known]
    assert len(unknown) == mess["referrals.xlsx"]["unknown_codes"] > 0

    fam = parsed["families.csv"]
    closed = [v for v in fam.column("Date Closed") if v and parse_date(v) is None]
    assert len(closed) == mess["families.csv"]["unparseable_dates"] > 0
    known = known_codes("families", "immigration_status")
    unknown = [v for v in fam.column("Immigration Status") if v and norm_code(v) not in known]
    assert len(unknown) == mess["families.csv"]["unknown_codes"] > 0
    family_refs = {norm_ref(v) for v in fam.column("Family Ref")}

    pay = parsed["payments.csv"]
    dates = pay.column("Date Paid", unique=False)
    amounts = pay.column("Amount", unique=False)
    refs = pay.column("Client Ref", unique=False)
    assert sum(parse_date(d) is None for d in dates) == mess["payments.csv"]["unparseable_dates"]
    assert amounts.count("N/A") == mess["payments.csv"]["unparseable_amounts"] > 0
    assert sum(parse_money(a) is None for a in amounts) == amounts.count("N/A")
    unmatched = [r for r in refs if norm_ref(r) not in family_refs]
    assert len(unmatched) == mess["payments.csv"]["unmatched_refs"] > 0
    known = known_codes("payments", "type")
    unknown = [v for v in pay.column("Payment Type") if norm_code(v) not in known]
    assert len(unknown) == mess["payments.csv"]["unknown_codes"] > 0

    dom = parsed["domain_assessments.csv"]
    domains = list(SOURCES["domain_assessments"]["domains"])
    cells = [r[d] for r in dom.unique for d in domains if r[d] != ""]
    out_of_range = [c for c in cells if int(c) not in range(1, 6)]
    assert len(out_of_range) == mess["domain_assessments.csv"]["out_of_range_scores"] > 0
    assert set(out_of_range) <= {"0", "6", "9"}
    bad = [v for v in dom.column("Assessment Date") if parse_date(v) is None]
    assert len(bad) == mess["domain_assessments.csv"]["unparseable_dates"] > 0

    con = parsed["contacts.csv"]
    dates = con.column("Contact Date", unique=False)
    assert sum(parse_date(d) is None for d in dates) == mess["contacts.csv"]["unparseable_dates"]
    assert mess["contacts.csv"]["unparseable_dates"] > 0
    unmatched = [
        r for r in con.column("Client Ref", unique=False) if norm_ref(r) not in family_refs
    ]
    assert len(unmatched) == mess["contacts.csv"]["unmatched_refs"] > 0
    known = known_codes("contacts", "mode")
    unknown = [v for v in con.column("Contact Type") if norm_code(v) not in known]
    assert len(unknown) == mess["contacts.csv"]["unknown_codes"] > 0
    assert any(re.fullmatch(r"\d{2}/\d{2}/\d{4} \d{2}:\d{2}", d) for d in dates)
    assert any(re.fullmatch(r"\d{4}-\d{2}-\d{2}", d) for d in dates)


@pytest.mark.parametrize(
    ("name", "labels"),
    [("wellbeing_survey.csv", SWEMWBS_LABELS), ("staff_survey.csv", AGREE_LABELS)],
)
def test_likert_noise(
    name: str, labels: set[str], parsed: dict[str, Parsed], truth: dict[str, Any]
) -> None:
    p = parsed[name]
    source = CSV_SOURCES[name]
    items = list(SOURCES[source]["items"])
    cells = [r[i] for r in p.unique for i in items]
    normalised = {norm_code(v) for v in labels}
    assert all(norm_code(c) in normalised for c in cells if c != "")
    noisy = [c for c in cells if c != "" and c not in labels]
    assert any(c != c.strip() for c in noisy) and any(c.islower() for c in noisy)

    # A near duplicate adds noise to a copy, so count each record's least noisy copy.
    def n_noisy(row: dict[str, Any]) -> int:
        return sum(row[i] != "" and row[i] not in labels for i in items)

    noisy_records = sum(min(n_noisy(r) for r in rows) for rows in p.groups.values())
    assert noisy_records == truth["mess"][name]["likert_noisy_cells"] > 0
    if name == "wellbeing_survey.csv":
        assert cells.count("") == truth["mess"][name]["blank_items"] > 0


def test_identifiers_present(parsed: dict[str, Parsed]) -> None:
    files = {"referrals.xlsx": "referrals", **CSV_SOURCES}
    for name, source in files.items():
        p = parsed[name]
        for column in SOURCES[source].get("identifiers", []):
            values = [v for v in p.column(column) if v not in ("", None)]
            assert len(values) > 0.3 * len(p.unique), (name, column)
    fam = parsed["families.csv"]
    assert all(re.fullmatch(r"07700 900\d{3}|020 7946 0\d{3}", v) for v in fam.column("Phone"))
    assert all(
        re.fullmatch(r"QQ ?\d\d ?\d\d ?\d\d ?[A-D]", v) for v in fam.column("NI Number") if v
    )
    assert all(re.fullmatch(r"[BHKU]\d{7}(/\d)?", v) for v in fam.column("HO Reference") if v)
    assert all(
        re.fullmatch(r"[A-Z]{1,2}\d{1,2}[A-Z]? \d[A-Z]{2}", v) for v in fam.column("Postcode")
    )
    names = fam.column("Parent/Carer Name")
    assert all(" " in n for n in names)


# ------------------------------------------------------- clean record counts


def test_expected_record_counts(parsed: dict[str, Parsed], truth: dict[str, Any]) -> None:
    expected = truth["expected"]
    family_refs = {norm_ref(v) for v in parsed["families.csv"].column("Family Ref")}
    assert len(family_refs) == expected["families"]

    ref = parsed["referrals.xlsx"]
    ids = {r["Referral No"] for r in ref.unique if parse_date(r["Date of Referral"])}
    assert len(ids) == expected["referrals"]
    assert {norm_ref(r["Family Ref"]) for r in ref.unique} <= family_refs

    pay = parsed["payments.csv"]
    ids = {
        r["Transaction ID"]
        for r in pay.unique
        if parse_date(r["Date Paid"])
        and parse_money(r["Amount"]) is not None
        and norm_ref(r["Client Ref"]) in family_refs
    }
    assert len(ids) == expected["payments"]

    meetings = parsed["meetings.csv"]
    assert len({r["Meeting Ref"] for r in meetings.unique}) == expected["meetings"]
    pairs = {
        (r["Meeting Ref"], ref_)
        for r in meetings.unique
        for ref_ in canon("Cases Discussed", r["Cases Discussed"]) or ()
    }
    assert len(pairs) == expected["meeting_cases"]
    assert {p[1] for p in pairs} <= family_refs
    assert len({r["ID"] for r in parsed["deliverables.csv"].unique}) == expected["deliverables"]
    dom = parsed["domain_assessments.csv"]
    assert (
        sum(parse_date(r["Assessment Date"]) is not None for r in dom.unique)
        == (expected["domain_assessments"])
    )
    assert len(parsed["wellbeing_survey.csv"].unique) == expected["wellbeing_completions"]
    assert len(parsed["staff_survey.csv"].unique) == expected["staff_completions"]
    con = parsed["contacts.csv"]
    ids = {
        r["Contact ID"]
        for r in con.unique
        if parse_date(r["Contact Date"]) and norm_ref(r["Client Ref"]) in family_refs
    }
    assert len(ids) == expected["contacts"]


def test_history_lost_in_cyberattack(parsed: dict[str, Parsed], truth: dict[str, Any]) -> None:
    fam = parsed["families.csv"]
    lost = {norm_ref(r["Family Ref"]) for r in fam.unique if r["History Complete From"]}
    assert {r["History Complete From"] for r in fam.unique} == {"", "13/10/2020"}
    history = truth["realised"]["history"]
    assert len(lost) == history["families_history_lost"]
    assert 0.25 < history["share_lost"] < 0.55
    for r in parsed["referrals.xlsx"].unique:
        date = parse_date(r["Date of Referral"])
        if date is not None and norm_ref(r["Family Ref"]) in lost:
            assert date >= ATTACK
    dates = [parse_date(r["Date of Referral"]) for r in parsed["referrals.xlsx"].unique]
    assert max(d for d in dates if d) <= DATA_CUT


# ------------------------------------------------------------------- the truth


def test_realised_effects_point_the_right_way(truth: dict[str, Any]) -> None:
    r = truth["realised"]
    # The true effects apply to the enrolled families (cohort noream).
    rr = r["rereferral"]
    assert 0.15 < rr["comparison"]["family_rereferred_within_365_of_first"] < 0.4
    assert (
        rr["noream"]["family_rereferred_within_365_of_first"]
        < rr["comparison"]["family_rereferred_within_365_of_first"]
    )
    assert rr["noream"]["rereferral_rate"] < rr["comparison"]["rereferral_rate"]
    assert rr["rate_ratio_family_based"] < 1
    esc = r["escalation"]
    assert (
        esc["noream"]["escalated_within_365_of_first_contact"]
        < esc["comparison"]["escalated_within_365_of_first_contact"]
    )
    assert esc["hazard_ratio_weibull_known_shape"] < 1
    wb = r["wellbeing"]
    assert wb["mean_change_metric_pairs"] > 0.5
    assert 0.15 < wb["attrition"] < 0.45
    assert wb["mean_baseline_metric_dropouts"] < wb["mean_baseline_metric_completers"]
    assert r["domains"]["mean_change_all_domains"] > 0
    staff = r["staff"]
    for scale in ("mean_multi_agency_items_1_4", "mean_coordination_items_5_8"):
        assert staff["wave_2"][scale] > staff["wave_1"][scale]
    meetings = r["meetings"]
    assert (
        meetings["mean_directorates_per_snac_last_third"]
        > meetings["mean_directorates_per_snac_first_third"]
    )
    assert meetings["snac_planned"] - 2 <= meetings["snac_held"] < meetings["snac_planned"]
    assert r["s17"]["episodes_ongoing_at_cut"] > 0
    assert r["s17"]["families_with_two_episodes"] > 0
    assert r["s17"]["refunds"] > 0
    p = truth["parameters"]
    assert p["rereferral"]["rate_ratio"] == 0.7
    assert p["escalation"]["hazard_ratio"] == 0.6
    assert p["wellbeing"]["true_mean_gain_metric"] == 2.0


def _family_rows(parsed: dict[str, Parsed]) -> dict[str, dict[str, Any]]:
    """Each family's row of the families export (first of duplicates), by reference."""
    return {norm_ref(r["Family Ref"]): r for r in parsed["families.csv"].unique}


def _code(source: str, field: str, value: object) -> str:
    """The canonical level of a raw code (``unknown`` for a blank)."""
    values = {norm_code(k): v for k, v in SOURCES[source]["values"][field].items()}
    return values.get(norm_code(value), "unknown") if value else "unknown"


def test_funnel_stages_in_the_families_export(
    parsed: dict[str, Parsed], truth: dict[str, Any]
) -> None:
    """Every stage is in the export, each stage's families are among the previous
    stage's, in date order; the comparison cohort never enters the funnel."""
    stages: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    for row in _family_rows(parsed).values():
        cohort = _code("families", "cohort", row["Cohort"])
        eligibility = _code("families", "eligibility", row["Eligibility"])
        reason = _code("families", "not_enrolled_reason", row["Reason Not Enrolled"])
        first = parse_date(row["First Contact"])
        assessed = parse_date(row["Eligibility Assessed"])
        offered = parse_date(row["Date Offered"])
        enrolled = parse_date(row["Date Enrolled"])
        if cohort == "comparison":
            assert (assessed, offered, enrolled, eligibility) == (None, None, None, "unknown")
            assert reason == "unknown" and first is not None and first < dt.date(2021, 2, 1)
            continue
        stages["referred"] += 1
        assert first is not None and first >= dt.date(2021, 1, 1)
        if assessed is None:
            assert eligibility == "unknown" and offered is None and enrolled is None
            reasons[reason] += 1
            continue
        stages["assessed"] += 1
        assert first <= assessed
        if eligibility != "eligible":
            assert eligibility == "not_eligible" and offered is None and enrolled is None
            assert reason == "not_eligible"
            reasons[reason] += 1
            continue
        stages["eligible"] += 1
        if offered is None:
            assert enrolled is None and reason in {"no_capacity", "moved_away", "other"}
            reasons[reason] += 1
            continue
        stages["offered"] += 1
        assert assessed <= offered
        if enrolled is None:
            assert reason in {"declined", "moved_away", "other"}
            reasons[reason] += 1
            continue
        stages["enrolled"] += 1
        assert offered <= enrolled and reason == "unknown"
    fu = truth["realised"]["funnel"]
    assert [stages[k] for k in ("referred", "assessed", "eligible", "offered", "enrolled")] == [
        fu["referred"],
        fu["eligibility_assessed"],
        fu["eligible"],
        fu["offered"],
        fu["enrolled"],
    ]
    assert fu["referred"] > fu["eligibility_assessed"] > fu["eligible"] > fu["offered"]
    assert fu["offered"] > fu["enrolled"] == 120
    assert fu["enrolled"] >= fu["baseline_either"] >= fu["baseline_wellbeing"]
    assert fu["baseline_wellbeing"] >= fu["wellbeing_followups_due"]
    assert fu["wellbeing_followups_due"] >= fu["wellbeing_followups_completed"]
    assert {k: v for k, v in reasons.items() if v} == {
        k: v for k, v in fu["not_enrolled_reasons"].items() if v
    }
    p = truth["parameters"]["funnel"]
    product = (
        p["assessed"]
        * p["eligible_given_assessed"]
        * p["offered_given_eligible"]
        * p["enrolled_given_offered"]
    )
    assert p["enrolled_given_referred"] == pytest.approx(product)
    assert p["recruitment_target_per_month"] == fu["recruitment_target_per_month"] == 10
    assert sum(fu["enrolled_by_month"].values()) == 120


def test_complex_cases_are_taken_to_meetings(
    parsed: dict[str, Parsed], truth: dict[str, Any]
) -> None:
    families = _family_rows(parsed)
    flagged = {}
    for ref, row in families.items():
        flag = parse_date(row["Complex Case Flagged"])
        if flag is None:
            continue
        enrolled, closed = parse_date(row["Date Enrolled"]), parse_date(row["Date Closed"])
        assert enrolled is not None and enrolled < flag <= DATA_CUT
        assert closed is None or flag < closed
        flagged[ref] = flag
    discussed = set()
    for r in parsed["meetings.csv"].unique:
        day = parse_date(r["Date"])
        for ref in canon("Cases Discussed", r["Cases Discussed"]) or ():
            if ref in flagged and flagged[ref] < day:
                discussed.add(ref)
    cx = truth["realised"]["complex"]
    assert len(flagged) == cx["flagged"] > 0
    assert len(discussed) == cx["discussed_after_flag"]
    assert 0.2 < cx["share_of_enrolled_flagged"] < 0.5
    assert 0.6 < cx["share_discussed_after_flag"] < 0.95
    sites = {r["LA Code"].upper() for r in parsed["meetings.csv"].unique}
    assert sites == {"E09000012"}
    assert {r["LA Code"] for r in parsed["staff_survey.csv"].unique} == {"E09000012"}


def test_contacts_fall_within_enrolment(parsed: dict[str, Parsed], truth: dict[str, Any]) -> None:
    families = _family_rows(parsed)
    roles: Counter[str] = Counter()
    per_family: Counter[str] = Counter()
    advisor: set[str] = set()
    for r in parsed["contacts.csv"].unique:
        ref, day = norm_ref(r["Client Ref"]), parse_date(r["Contact Date"])
        if ref not in families or day is None:
            continue  # the injected invalid rows
        row = families[ref]
        enrolled, closed = parse_date(row["Date Enrolled"]), parse_date(row["Date Closed"])
        assert enrolled is not None and enrolled <= day <= (closed or DATA_CUT)
        role = _code("contacts", "worker_role", r["Worker Role"])
        roles[role] += 1
        per_family[ref] += 1
        if role == "immigration_advisor":
            advisor.add(ref)
    ct = truth["realised"]["contacts"]
    assert dict(roles) == {k: v for k, v in ct["by_role"].items() if v}
    assert len(per_family) == ct["families_with_contacts"]
    assert len(advisor) == ct["families_seen_by_immigration_advisor"]
    assert 2.0 < ct["contacts_per_family_month"] < 4.0
    assert 0.6 < ct["share_seen_by_immigration_advisor_of_families_with_contacts"] < 0.95


def test_s17_episodes_are_separated_by_long_gaps(parsed: dict[str, Parsed]) -> None:
    """Within a family, consecutive s17 payments are either <= 35 days apart or a new
    episode begins after more than 35 days; some families have such a gap."""
    scheme_map = {norm_code(k): v for k, v in SOURCES["payments"]["values"]["scheme"].items()}
    by_family: dict[str, list[dt.date]] = {}
    for r in parsed["payments.csv"].unique:
        date = parse_date(r["Date Paid"])
        if date and scheme_map.get(norm_code(r["Budget Code"])) == "s17":
            by_family.setdefault(norm_ref(r["Client Ref"]), []).append(date)
    gaps = [
        (b - a).days
        for dates in by_family.values()
        for a, b in zip(sorted(dates), sorted(dates)[1:], strict=False)
    ]
    assert max(gaps) > 35
    assert np.mean(np.array(gaps) <= 35) > 0.99


@given(
    number=st.integers(min_value=1, max_value=10**7),
    kind=st.integers(min_value=0, max_value=4),
    width=st.integers(min_value=5, max_value=8),
)
def test_reference_variants_normalise_to_one_key(number: int, kind: int, width: int) -> None:
    text = str(fmt_refs(np.array([number]), np.array([kind]), width)[0])
    assert norm_ref(text) == f"NRPF{number}"


# ------------------------------------------------------------------ multi-site


def test_multisite_workbooks_and_refs(multisite: pathlib.Path) -> None:
    truth = json.loads((multisite / "truth.json").read_text(encoding="utf-8"))
    codes = truth["sites"]
    assert len(codes) == 5 and codes[0] == "E09000012"
    assert all(re.fullmatch(r"E(06|07|08|09|10)\d{6}", c) for c in codes)
    books = sorted(p.name for p in multisite.glob("referrals*.xlsx"))
    assert books == sorted(f"referrals_{c}.xlsx" for c in codes)
    fam = parse_file(multisite / "families.csv")
    refs = [norm_ref(v) for v in fam.column("Family Ref")]
    assert len(refs) == len(set(refs)) == 3000
    site_of = {norm_ref(r["Family Ref"]): r["LA Code"] for r in fam.unique}
    assert set(site_of.values()) == set(codes)
    raw_refs = {r["Family Ref"] for r in fam.unique}
    assert len({norm_ref(v) for v in raw_refs}) == len(raw_refs)
    for code in codes:
        book = parse_file(multisite / f"referrals_{code}.xlsx")
        assert {r["LA Code"] for r in book.unique} == {code}
        for r in book.unique:
            assert site_of[norm_ref(r["Family Ref"])] == code
        assert truth["mess"][f"referrals_{code}.xlsx"]["rows_written"] == len(book.rows)
    meetings = parse_file(multisite / "meetings.csv")
    ids = [r["Meeting Ref"] for r in meetings.unique]
    assert len(ids) == len(set(ids)) == truth["expected"]["meetings"]
    for r in meetings.unique:  # "SNAC-<LA code>-2021-03": the site is in the reference too
        assert r["Meeting Ref"].split("-")[1] == r["LA Code"].upper()
        for ref in canon("Cases Discussed", r["Cases Discussed"]) or ():
            assert site_of[ref] == r["LA Code"].upper()
    by_site = Counter(r["LA Code"].upper() for r in meetings.unique)
    assert by_site == truth["realised"]["meetings"]["sites"]
    staff = parse_file(multisite / "staff_survey.csv")
    assert {r["LA Code"] for r in staff.unique} == set(codes)
    contacts = parse_file(multisite / "contacts.csv")
    assert len(contacts.rows) == truth["mess"]["contacts.csv"]["rows_written"]
    assert contacts.exact == truth["mess"]["contacts.csv"]["exact_duplicates"]
    assert contacts.near == truth["mess"]["contacts.csv"]["near_duplicates"]
    pay = parse_file(multisite / "payments.csv")
    assert len(pay.rows) == truth["mess"]["payments.csv"]["rows_written"]
    assert pay.exact == truth["mess"]["payments.csv"]["exact_duplicates"]
    assert pay.near == truth["mess"]["payments.csv"]["near_duplicates"]


@pytest.mark.slow
def test_large_multisite_sample(tmp_path: pathlib.Path) -> None:
    out = generate_sample(tmp_path / "large", n_families=50_000, n_sites=20)
    truth = json.loads((out / "truth.json").read_text(encoding="utf-8"))
    assert truth["n_families"] == 50_000
    assert len(list(out.glob("referrals_*.xlsx"))) == 20
    for name, m in truth["mess"].items():
        assert m["rows_written"] == (
            m["clean_rows"]
            + m["exact_duplicates"]
            + m["near_duplicates"]
            + m["blank_rows"]
            + m["total_rows"]
            + m["invalid_rows"]
        ), name
    for name in CSV_SOURCES:
        data = (out / name).read_bytes()
        text = data.decode(ENCODINGS.get(name, "utf-8"))
        rows = list(csv.reader(io.StringIO(text, newline="")))
        assert len(rows) - 1 == truth["mess"][name]["rows_written"], name
    fam = parse_file(out / "families.csv")
    assert len({norm_ref(v) for v in fam.column("Family Ref")}) == 50_000
    # At this size the realised values sit close to the true parameters.
    r, p = truth["realised"], truth["parameters"]
    rr = r["rereferral"]
    assert rr["comparison"]["family_rereferred_within_365_of_first"] == pytest.approx(
        p["rereferral"]["within_365_comparison"], abs=0.02
    )
    assert rr["rate_ratio_family_based"] == pytest.approx(p["rereferral"]["rate_ratio"], abs=0.07)
    assert r["escalation"]["hazard_ratio_weibull_known_shape"] == pytest.approx(
        p["escalation"]["hazard_ratio"], abs=0.05
    )
    fu, pf = r["funnel"], p["funnel"]
    assert fu["eligibility_assessed"] / fu["referred"] == pytest.approx(pf["assessed"], abs=0.02)
    assert fu["eligible"] / fu["eligibility_assessed"] == pytest.approx(
        pf["eligible_given_assessed"], abs=0.02
    )
    assert fu["offered"] / fu["eligible"] == pytest.approx(pf["offered_given_eligible"], abs=0.02)
    assert fu["enrolled"] / fu["offered"] == pytest.approx(pf["enrolled_given_offered"], abs=0.02)
    ct, pc = r["contacts"], p["contacts"]
    assert ct["contacts_per_family_month"] == pytest.approx(pc["per_family_month"], abs=0.1)
    assert ct["share_seen_by_immigration_advisor_of_families_with_contacts"] == pytest.approx(
        pc["advisor_seen_prob"], abs=0.02
    )
    assert r["complex"]["share_of_enrolled_flagged"] == pytest.approx(
        p["complex"]["flag_prob"], abs=0.03
    )
    assert r["wellbeing"]["mean_change_metric_pairs"] == pytest.approx(
        p["wellbeing"]["true_mean_gain_metric"], abs=0.2
    )
    assert r["wellbeing"]["attrition"] == pytest.approx(
        p["wellbeing"]["attrition_target"], abs=0.03
    )
    assert r["history"]["share_lost"] == pytest.approx(p["history"]["lost_share"], abs=0.02)
