"""A second synthetic local authority ("Westmere"), written from scratch.

Its exports look nothing like the shipped sample: other column names and orders,
its own codes and value maps, its own cohort names, and every file in another
shape (a workbook with a read-me sheet, two title rows and a two-row header of
merged group titles; a semicolon-separated Windows-1252 CSV; a tab-separated
UTF-8 ledger with a byte order mark; a UTF-16 survey; a pipe-separated meetings
file whose lists are separated by commas). The mess is planted on purpose and
every row's fate is known from the way it is written:

* blank rows, "Total" rows, exact and near duplicates, a repeated key with other
  values, typos in codes, unknown family references;
* a family rejected for a first contact in 1899, with linked rows in every
  source that links to families (referrals, payments, survey, assessments,
  meetings);
* identifiers typed where they do not belong: a parent's name in code columns,
  a phone number, postcode and NI number in a deliverable's title, a date of
  birth and a Home Office reference in referral case notes, a family reference
  in meeting minutes, a staff name in deliverable comments.

:func:`write_second_la` writes it all and returns, with the config path, what was
planted and what ingest must make of it, computed from the construction (not
from running the package).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import itertools
import random
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import xlsxwriter

__all__ = [
    "FIRST_NAMES",
    "KEY",
    "SURNAMES",
    "SecondLA",
    "fold",
    "name_forms",
    "write_second_la",
]

KEY = "westmere synthetic key, not a secret one"
DATA_CUT = dt.date(2023, 3, 31)
DATA_START = dt.date(2018, 4, 1)
PROGRAMME_START = dt.date(2021, 9, 1)
N_FAMILIES = 60
REJECTED = 17  # the family whose first contact is in 1899
SEED = 20230331

# Names: every part of three letters or more is distinctive (no English word, no
# part of the package's own vocabulary, not only the letters a-f of hex pseudonyms)
# and encodable in Windows-1252, since the referrals export is written in it.
FIRST_NAMES = (
    "Zoë", "Anaïs", "José", "Oluwaseun", "Thandiwe", "Kwabena", "Ngozi", "Siobhán",
    "Aurélie", "Dariusz", "Mihai", "Yusuf", "Bogdana", "Ifeoma", "Joaquín", "Ottilie",
    "Rukhsana", "Tigist", "Wojciech", "Xiomara", "Émeline", "Nuño", "Gráinne", "Søren",
)  # fmt: skip
SURNAMES = (
    "Okafor-Brennan", "Nwachukwu", "Kowalczyk", "Achterberg", "Quispe", "Lindqvist",
    "Ferreira-Souza", "Mbekwa", "Przybylski", "Súilleabháin", "Haddad-Núñez", "Vukovich",
    "Ekwueme", "Çelik", "Ødegård", "Tshabalala", "Onyekachi", "Wróbel", "Gjøkaj",
    "Zawadzki-Imoru",
)  # fmt: skip
STAFF = (
    "Fenella Strachan-Oduya", "Tobiah Marchetti", "Ysolde Pennywhistle", "Kasimir Ubongo",
    "Rosalind Achebe-Ward", "Ignatius Vorobyov",
)  # fmt: skip
CHILD_NAMES = ("Amadou", "Chidinma", "Yaroslav", "Makenzie", "Oyelaran", "Wiremu")

OUTWARD = ("E17", "N4", "SE15", "W3", "NW10", "E8", "N16", "SW9", "CR0", "IG1")
INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"  # BS 7666: not C, I, K, M, O, V


def fold(text: str) -> str:
    """``text`` without accents (``Zoë`` -> ``Zoe``, ``Søren`` -> ``Soren``)."""
    text = text.replace("ø", "o").replace("Ø", "O")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def name_forms(name: str) -> list[str]:
    """A name, its parts of 3+ letters, and the same without accents."""
    parts = [p for p in name.replace("-", " ").split() if len(p) >= 3]
    forms = [name, *parts]
    return list(dict.fromkeys([*forms, *(fold(f) for f in forms)]))


# ------------------------------------------------------------------- the truth


@dataclass
class Row:
    """One raw row as written and what ingest must make of it."""

    cells: list[object]
    fate: str = "kept"  # kept | rejected | dup_exact | dup_near


@dataclass
class SecondLA:
    """What :func:`write_second_la` wrote, planted and expects.

    Attributes
    ----------
    config
        The evaluation TOML.
    planted
        Identifier strings that must appear in no output: every name and name
        part (with and without accents), phone numbers as written and as digits,
        NI numbers, Home Office references, postcodes (spaced and not), dates of
        birth in every format written (and ISO), and raw family references in
        every form written.
    files
        Display name -> (rows read, kept, rejected, exact duplicates, near
        duplicates).
    tables
        Canonical table -> number of rows.
    reasons
        Display name -> reasons (substrings) rejects must give for that file.
    texts
        (table, column) -> scrubbed free texts that must be kept exactly.
    rejected_row
        Spreadsheet row of the family rejected for a date in 1899.
    linked_rejects
        Display name -> rows rejected because that family was rejected (for
        meetings: cases dropped from the list, the meeting kept).
    """

    config: Path
    planted: list[str]
    files: dict[str, tuple[int, int, int, int, int]]
    tables: dict[str, int]
    reasons: dict[str, list[str]]
    texts: dict[tuple[str, str], list[str]]
    rejected_row: int
    linked_rejects: dict[str, int] = field(default_factory=dict)


@dataclass
class _Parent:
    index: int
    ref: str  # as in the families workbook: WM/0012
    name: str
    dob: dt.date
    dob_text: bool  # written as text (else an Excel date cell)
    mobile: str
    nino: str
    ho_ref: str
    postcode: str
    cohort: str  # pilot | usual_care
    first_contact: dt.date
    enrolled: dt.date | None
    exit: dt.date | None
    child_dob: dt.date | None


def _ref(i: int, style: str) -> str:
    return {
        "families": f"WM/{i:04d}",
        "referrals": f"WM-{i:04d}",
        "payments": f"WM{i:04d}",
        "survey": f"wm/{i}",
        "assessments": f"WM/{i:04d}",
        "meetings": f"WM/{i:04d}",
    }[style]


def _d(day: dt.date) -> str:
    return day.strftime("%d/%m/%Y")


def _between(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    return start + dt.timedelta(days=rng.randrange((end - start).days + 1))


def _parents(rng: random.Random) -> list[_Parent]:
    names = [f"{f} {s}" for f in FIRST_NAMES for s in SURNAMES]
    rng.shuffle(names)
    out = []
    used_phones: set[str] = set()
    for i in range(1, N_FAMILIES + 1):
        name = names[i - 1]
        cohort = "pilot" if i % 2 else "usual_care"  # family 17 is in the pilot
        if cohort == "pilot":
            first = _between(rng, dt.date(2021, 6, 1), dt.date(2022, 6, 30))
            enrolled = max(first + dt.timedelta(days=rng.randrange(5, 40)), PROGRAMME_START)
        else:
            first = _between(rng, dt.date(2018, 5, 1), dt.date(2022, 9, 30))
            enrolled = None
        exit_ = None
        if rng.random() < 0.35:
            exit_ = (enrolled or first) + dt.timedelta(days=rng.randrange(120, 300))
            exit_ = exit_ if exit_ < DATA_CUT else None
        while True:
            mobile = f"07700 900{rng.randrange(1000):03d}"
            if mobile not in used_phones:
                used_phones.add(mobile)
                break
        surname = name.split()[-1]
        initial = fold(surname)[0].upper()
        out.append(
            _Parent(
                index=i,
                ref=_ref(i, "families"),
                name=name,
                dob=_between(rng, dt.date(1975, 1, 1), dt.date(1995, 12, 31)),
                dob_text=i % 5 == 0,
                mobile=mobile,
                nino=(
                    f"Q{rng.choice('ABCEGHJKLMNPRSTWXYZ')} {rng.randrange(10, 99)} "
                    f"{rng.randrange(10, 99)} {rng.randrange(10, 99)} {rng.choice('ABCD')}"
                ),
                ho_ref=f"{initial}{rng.randrange(10**6, 10**7):07d}",
                postcode=(
                    f"{rng.choice(OUTWARD)} {rng.randrange(10)}"
                    f"{rng.choice(INWARD_LETTERS)}{rng.choice(INWARD_LETTERS)}"
                ),
                cohort=cohort,
                first_contact=first,
                enrolled=enrolled,
                exit=exit_,
                child_dob=(
                    None
                    if rng.random() < 0.15
                    else _between(rng, dt.date(2008, 1, 1), dt.date(2017, 12, 31))
                ),
            )
        )
    return out


# ---------------------------------------------------------------------- writing


def _csv_text(header: Sequence[str], rows: Sequence[Row], delimiter: str) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n")
    w.writerow(header)
    w.writerows([["" if c is None else str(c) for c in r.cells] for r in rows])
    return buf.getvalue()


def _counts(rows: Sequence[Row]) -> tuple[int, int, int, int, int]:
    fates = [r.fate for r in rows]
    return (
        len(rows),
        fates.count("kept"),
        fates.count("rejected"),
        fates.count("dup_exact"),
        fates.count("dup_near"),
    )


FAM_GROUPS = (("Household", 0, 3), ("Dates", 4, 6), ("Outcome", 7, 8), ("Children", 9, 10))
FAM_CONTACT = ("Contact", 11, 16)
FAM_NAMES = (
    "Team", "Ref", "Arm", "Status", "Referred", "Joined", "Closed", "Reason", "History from",
    "Number", "Youngest DOB", "Name", "DOB", "Mobile", "NINO", "HO ref", "Postcode", "Notes",
)  # fmt: skip
ARM = {"pilot": ("P", "Pilot arm"), "usual_care": ("UC", "Usual care")}
STATUS = ("NL", "LTR (NRPF)", "ASY", "EUSS", "LWR", "Other")
REASON = ("RES", "MOV", "DIS", "ESC", "OTH")


def _family_cells(p: _Parent, rng: random.Random) -> list[object]:
    def date_cell(day: dt.date | None, as_text: bool = False) -> object:
        if day is None:
            return None
        return _d(day) if as_text else day

    return [
        "WMR" if p.index % 3 else "wmr",
        p.ref,
        ARM[p.cohort][p.index % 2],
        rng.choice(STATUS),
        "14/03/1899" if p.index == REJECTED else date_cell(p.first_contact, p.index % 4 == 0),
        date_cell(p.enrolled),
        date_cell(p.exit),
        rng.choice(REASON) if p.exit else None,
        date_cell(dt.date(2019, 1, 1)) if p.index % 7 == 0 else None,
        rng.randrange(1, 5),
        date_cell(p.child_dob),
        p.name,
        date_cell(p.dob, p.dob_text),
        p.mobile,
        p.nino,
        p.ho_ref,
        p.postcode,
        rng.choice([None, None, "Interpreter needed", "Temporary accommodation"]),
    ]


def _write_families(
    path: Path, parents: list[_Parent], rng: random.Random
) -> tuple[list[Row], dict[int, int]]:
    rows: list[Row] = []
    row_of: dict[int, int] = {}  # family index -> spreadsheet row (data start on row 5)
    cells = {p.index: _family_cells(p, rng) for p in parents}
    # Value-level mess on kept rows.
    cells[3][3] = parents[2].name  # the parent's name typed in the status code column
    cells[6][3] = "Asylm"  # typo: set to unknown
    cells[9][9] = "two"  # not a number: value dropped
    cells[11][9] = 25  # more than 20 children: value dropped
    for p in parents:
        row_of[p.index] = 5 + len(rows)
        rows.append(Row(cells[p.index], "rejected" if p.index == REJECTED else "kept"))
        if p.index == 20:
            rows.append(Row([None] * len(FAM_NAMES), "rejected"))  # blank row
        if p.index == 30:
            rows.append(Row(list(cells[5]), "dup_exact"))
        if p.index == 40:
            near = list(cells[8])
            p8 = parents[7]
            near[0] = "wmr " if near[0] == "WMR" else "WMR"
            near[1] = "wm/0008 "
            near[2] = "pilot ARM" if p8.cohort == "pilot" else "usual  care"
            near[4] = p8.first_contact.isoformat()  # text, not a date cell
            near[17] = None if near[17] is None else f"  {near[17]} "
            rows.append(Row(near, "dup_near"))
        if p.index == 55:
            conflict = list(cells[50])
            conflict[4] = _d(parents[49].first_contact + dt.timedelta(days=3))
            rows.append(Row(conflict, "rejected"))  # repeats the key with other values
    rows.append(Row(["Total", N_FAMILIES, *[None] * (len(FAM_NAMES) - 2)], "rejected"))

    wb = xlsxwriter.Workbook(str(path))
    bold = wb.add_format({"bold": True})
    group = wb.add_format({"bold": True, "align": "center"})
    date_fmt = wb.add_format({"num_format": "dd/mm/yyyy"})
    readme = wb.add_worksheet("Read me")
    readme.write_string(0, 0, "Westmere NRPF household tracker", bold)
    readme.write_string(1, 0, "The data are on the sheet 'Household list'. Do not sort.")
    ws = wb.add_worksheet("Household list")
    ws.write_string(0, 0, "Westmere Council - NRPF household tracker", bold)
    ws.write_string(1, 0, f"Exported {_d(DATA_CUT)} - OFFICIAL-SENSITIVE")
    for title, c0, c1 in (*FAM_GROUPS, FAM_CONTACT):
        ws.merge_range(2, c0, 2, c1, title, group)
    for c, name in enumerate(FAM_NAMES):  # "Notes" (R) has no group title above it
        ws.write_string(3, c, name, bold)
    for r, row in enumerate(rows, start=4):
        for c, value in enumerate(row.cells):
            if value is None:
                continue
            if isinstance(value, dt.date):
                ws.write_datetime(r, c, dt.datetime.combine(value, dt.time()), date_fmt)
            elif isinstance(value, int | float):
                ws.write_number(r, c, value)
            else:
                ws.write_string(r, c, str(value))
    wb.close()
    return rows, row_of


SOURCE_CODES = ("GP surgery", "Sch", "VCS org", "Self", "Hsg", "Sol", "Pol", "ASC")
DECISIONS = ("NFA", "Signpost", "Early help", "S17 assess", "Other")


def _referrals(parents: list[_Parent], rng: random.Random) -> tuple[list[Row], dict]:
    rows: list[Row] = []
    n = 20000
    notes: dict[str, str] = {}

    def add(p: _Parent, day: dt.date, fate: str = "kept") -> Row:
        nonlocal n
        n += 1
        row = Row(
            [
                _d(day) if n % 6 else day.isoformat(),
                _ref(p.index, "referrals"),
                f"R-{n}",
                rng.choice(SOURCE_CODES),
                rng.choice(DECISIONS),
                p.name,
                _d(p.dob),
                p.mobile,
                "",
            ],
            fate,
        )
        rows.append(row)
        return row

    for p in parents:
        fate = "rejected" if p.index == REJECTED else "kept"
        first = dt.date(2021, 3, 14) if p.index == REJECTED else p.first_contact
        add(p, first, fate)
        if p.index == REJECTED or p.index % 3 == 0:
            later = first + dt.timedelta(days=rng.randrange(200, 400))
            add(p, min(later, DATA_CUT - dt.timedelta(days=1)), fate)
    # identifiers where they do not belong
    rows[2].cells[3] = parents[1].name  # parent's name in the Referrer code column
    rows[5].cells[3] = "Schl"  # typo: set to unknown
    p4 = parents[3]
    target = next(r for r in rows if r.cells[1] == _ref(4, "referrals"))
    raw = f"Mum gave D.O.B. {_d(p4.dob)} and Home Office ref {p4.ho_ref}; needs food bank referral"
    target.cells[8] = raw
    notes["raw"] = raw
    notes["scrubbed"] = (
        "Mum gave D.O.B. [redacted] and Home Office ref [redacted]; needs food bank referral"
    )
    # structural mess
    dup_of = next(r for r in rows if r.cells[1] == _ref(2, "referrals"))
    rows.insert(10, Row(list(dup_of.cells), "dup_exact"))
    near_of = next(r for r in rows if r.cells[1] == _ref(6, "referrals"))
    near = list(near_of.cells)
    near[2] = near[2].lower()
    near[3] = f" {near[3].upper()} "
    near[5] = parents[5].name.upper()  # identifiers are not canonical values
    rows.insert(20, Row(near, "dup_near"))
    rows.insert(30, Row([""] * 9, "rejected"))  # blank row
    n += 1
    rows.append(
        Row(
            ["01/07/2021", "WM-0099", f"R-{n}", "Sch", "NFA", "", "", "", ""], "rejected"
        )  # family not in the families export
    )
    n += 1
    rows.append(
        Row(
            [
                "31/02/2022",
                _ref(10, "referrals"),
                f"R-{n}",
                "Sch",
                "NFA",
                parents[9].name,
                "",
                "",
                "",
            ],
            "rejected",
        )  # no 31 February
    )
    return rows, notes


SCHEME_S17, SCHEME_GRANT = "4417 S17 NRPF", "4420 Pilot flexible fund"


def _money(x: float) -> str:
    return f"({-x:,.2f})" if x < 0 else f"£{x:,.2f}"


def _payments(parents: list[_Parent], rng: random.Random) -> tuple[list[Row], list[tuple]]:
    rows: list[Row] = []
    kept: list[tuple] = []  # (family index, date, scheme, amount) of kept rows
    n = 100000

    def add(p: _Parent, day: dt.date, scheme: str, kind: str, amount: float, fate: str) -> Row:
        nonlocal n
        n += 1
        row = Row(
            [
                _d(day),
                f"V{n}",
                _ref(p.index, "payments"),
                scheme,
                kind,
                _money(amount),
                p.name,
            ],
            fate,
        )
        rows.append(row)
        if fate == "kept":
            kept.append((p.index, day, "s17" if scheme == SCHEME_S17 else "grant", amount))
        return row

    for p in parents:
        fate = "rejected" if p.index == REJECTED else "kept"
        if p.index == REJECTED or p.index % 2 == 0 or p.index % 5 == 0:
            start = max(p.first_contact, DATA_START) + dt.timedelta(days=rng.randrange(3, 30))
            if p.index == REJECTED:
                start = dt.date(2021, 4, 1)
            episodes = 2 if p.index % 4 == 0 else 1
            for _ in range(episodes):
                k = 3 if p.index == REJECTED else rng.randrange(2, 6)
                for j in range(k):
                    day = start + dt.timedelta(days=7 * j)
                    if day >= DATA_CUT:
                        break
                    amount = 1234.5 if j == 0 and p.index % 6 == 0 else 85.0
                    kind = "Accom" if amount > 1000 else "Subs"
                    add(p, day, SCHEME_S17, kind, amount, fate)
                start = start + dt.timedelta(days=7 * k + rng.randrange(60, 120))
            refund = start - dt.timedelta(days=50)
            if p.index % 10 == 0 and fate == "kept" and refund < DATA_CUT:
                add(p, refund, SCHEME_S17, "Subs", -120.0, fate)  # a refund
        if p.cohort == "pilot" and p.index != REJECTED and p.enrolled is not None:
            day = p.enrolled + dt.timedelta(days=rng.randrange(1, 60))
            if day < DATA_CUT:
                add(p, day, SCHEME_GRANT, "Grant", float(rng.choice([150, 250, 400])), fate)
    ok = [r for r in rows if r.fate == "kept"]
    ok[4].cells[4] = "Subsistance"  # typo in an optional code: set to unknown
    dup = ok[8]
    rows.insert(rows.index(dup) + 1, Row(list(dup.cells), "dup_exact"))  # posted twice
    near_of = next(r for r in ok[12:] if r.cells[5] == "£85.00")
    near = list(near_of.cells)
    near[0] = dt.datetime.strptime(near[0], "%d/%m/%Y").date().isoformat()
    near[1] = f" {near[1].lower()}"
    near[5] = "85"
    rows.insert(rows.index(near_of) + 1, Row(near, "dup_near"))
    conflict = list(ok[20].cells)
    conflict[5] = "£95.00"
    rows.insert(rows.index(ok[20]) + 10, Row(conflict, "rejected"))  # same voucher, other amount
    p3 = parents[2]
    n += 1
    rows.append(
        Row(
            [
                "02/02/2022",
                f"V{n}",
                _ref(3, "payments"),
                "4471 S17 NRPF",
                "Subs",
                "£85.00",
                p3.name,
            ],
            "rejected",
        )
    )  # scheme code typo (required)
    n += 1
    rows.append(
        Row(
            ["09/02/2022", f"V{n}", _ref(3, "payments"), SCHEME_S17, "Subs", "N/A", p3.name],
            "rejected",
        )
    )  # no amount (required)
    n += 1
    rows.append(
        Row(["10/02/2022", f"V{n}", "WM0777", SCHEME_S17, "Subs", "£85.00", ""], "rejected")
    )  # unknown family
    total = sum(k[3] for k in kept)
    rows.append(Row(["Total", "", "", "", "", _money(total), ""], "rejected"))
    return rows, kept


def _episodes(kept: list[tuple], gap: int) -> int:
    """Number of s17 episodes: positive payments of a family more than ``gap`` days apart."""
    by_family: dict[int, list[dt.date]] = {}
    for fam, day, scheme, amount in kept:
        if scheme == "s17" and amount > 0:
            by_family.setdefault(fam, []).append(day)
    total = 0
    for days in by_family.values():
        days.sort()
        total += 1 + sum((b - a).days > gap for a, b in itertools.pairwise(days))
    return total


ITEMS = (
    "Q1 Optimistic", "Q2 Useful", "Q3 Relaxed", "Q4 Problems", "Q5 Clear", "Q6 Close",
    "Q7 Own mind",
)  # fmt: skip
LABELS = ("None of the time", "Rarely", "Some of the time", "Often", "All of the time")


def _survey(parents: list[_Parent], rng: random.Random) -> tuple[list[Row], int]:
    rows: list[Row] = []
    items_kept = 0
    n = 0

    def answers() -> list[str]:
        out = []
        for _ in ITEMS:
            r = rng.random()
            out.append(
                "" if r < 0.08 else str(rng.randrange(1, 6)) if r < 0.4 else rng.choice(LABELS)
            )
        return out

    def add(p: _Parent, day: dt.date, stage: str, fate: str, child: bool = False) -> Row:
        nonlocal n, items_kept
        n += 1
        ans = answers()
        who = CHILD_NAMES[p.index % len(CHILD_NAMES)] + " " + p.name.split()[-1]
        row = Row(
            [
                f"F-{n:04d}",
                _d(day),
                _ref(p.index, "survey"),
                stage,
                "YP" if child else "Parent",
                *ans,
                who if child else p.name,
            ],
            fate,
        )
        rows.append(row)
        return row

    for p in parents:
        if p.cohort != "pilot" or p.enrolled is None:
            continue
        fate = "rejected" if p.index == REJECTED else "kept"
        add(p, p.enrolled + dt.timedelta(days=3), "Entry", fate)
        if p.index % 3 == 0 and p.index != REJECTED:
            day = p.enrolled + dt.timedelta(days=180)
            if day < DATA_CUT:
                add(p, day, "Mid", fate, child=p.index % 9 == 0)
    ok = [r for r in rows if r.fate == "kept"]
    ok[2].cells[5] = "6"  # outside the scale: value dropped
    ok[3].cells[6] = "Sometimes"  # not an anchor: value dropped
    ok[4].cells[5:12] = [""] * 7
    ok[4].fate = "rejected"  # no answered item
    ok[6].cells[3] = "Midd"  # typo in a required code
    ok[6].fate = "rejected"
    rows.insert(rows.index(ok[7]) + 1, Row(list(ok[7].cells), "dup_exact"))
    for row in rows:
        if row.fate == "kept":
            items_kept += sum(_likert_ok(v) for v in row.cells[5:12])
    return rows, items_kept


def _likert_ok(value: object) -> bool:
    text = str(value).strip()
    return text in LABELS or text in {"1", "2", "3", "4", "5"}


DOMAINS = ("Imm", "Health", "Hsg", "Food", "Money", "ETL", "Network")
DOMAIN_MAP = (
    "immigration", "health_wellbeing", "housing", "food_security", "income_employment",
    "education_training_leisure", "support_network",
)  # fmt: skip


def _assessments(parents: list[_Parent], rng: random.Random) -> tuple[list[Row], int]:
    rows: list[Row] = []
    worker = STAFF[:3]

    def add(p: _Parent, day: dt.date, point: str, fate: str) -> None:
        scores = ["" if rng.random() < 0.1 else str(rng.randrange(1, 6)) for _ in DOMAINS]
        scores[-1] = scores[-1] or "3"  # at least one score
        rows.append(
            Row([_ref(p.index, "assessments"), _d(day), point, worker[p.index % 3], *scores], fate)
        )

    for p in parents:
        if p.cohort != "pilot" or p.enrolled is None:
            continue
        fate = "rejected" if p.index == REJECTED else "kept"
        add(p, p.enrolled + dt.timedelta(days=5), "T0", fate)
        review = p.enrolled + dt.timedelta(days=120)
        if review < DATA_CUT and (p.index % 4 == 1 or p.index == REJECTED):
            add(p, review, "T1", fate)
    ok = [r for r in rows if r.fate == "kept"]
    ok[1].cells[4] = "N/A"  # not a score: value dropped
    ok[2].cells[5] = "7"  # outside 1-5: value dropped
    ok[3].cells[4:11] = [""] * 7  # no score at all
    ok[3].fate = "rejected"
    ok[5].cells[2] = "T5"  # typo in a required code
    ok[5].fate = "rejected"
    near = list(ok[6].cells)
    near[3] = STAFF[5]  # another worker typed: identifiers are not canonical values
    near[1] = dt.datetime.strptime(near[1], "%d/%m/%Y").date().isoformat()
    rows.insert(rows.index(ok[6]) + 1, Row(near, "dup_near"))
    scores = sum(
        1
        for row in rows
        if row.fate == "kept"
        for v in row.cells[4:11]
        if str(v).strip() in {"1", "2", "3", "4", "5"}
    )
    return rows, scores


AGENCIES = ("CSC", "ASC", "HSG", "NHS", "SCH", "IMM", "LAW", "POL", "VCS", "PH", "WR")
DEPTS = ("C&F", "ASC", "HSG", "PH", "EDU", "FIN", "CS")


def _meetings(parents: list[_Parent], rng: random.Random) -> tuple[list[Row], int, dict]:
    rows: list[Row] = []
    cases_kept = 0
    kept_families = {p.index for p in parents if p.index != REJECTED}
    texts: dict[str, str] = {}
    for m in range(1, 17):
        day = _between(rng, dt.date(2021, 9, 1), dt.date(2023, 3, 1))
        others = [i for i in range(1, N_FAMILIES + 1) if i != REJECTED]
        fams = rng.sample(others, rng.randrange(1, 4))
        if m == 4:
            fams = [18, REJECTED, 19]
        if m == 7:
            fams = [21, 22]
        refs = [_ref(f, "meetings") for f in fams]
        if m == 7:
            refs.append("WM/0888")  # not a family of the export: dropped from the list
        agencies = rng.sample(AGENCIES, rng.randrange(2, 5))
        if m == 9:
            agencies = ["CSC", "HSG", "Citizens Advice"]  # one not in the value map: left out
        rows.append(
            Row(
                [
                    f"M{m:03d}",
                    _d(day),
                    "SNAC" if m % 3 else "Consult",
                    ", ".join(agencies),
                    ", ".join(rng.sample(DEPTS, rng.randrange(1, 3))),
                    ", ".join(refs),
                    STAFF[m % len(STAFF)],
                    rng.choice(["", "Actions agreed", "Deferred to next month"]),
                ]
            )
        )
        if m == 11:
            rows[-1].cells[2] = "SANC"  # typo in a required code
            rows[-1].fate = "rejected"
        if m == 5:
            raw = (
                f"Agreed housing plan for {_ref(12, 'families')} with the housing team; "
                "review in six weeks"
            )
            rows[-1].cells[7] = raw
            texts["raw"] = raw
            texts["scrubbed"] = (
                "Agreed housing plan for [redacted] with the housing team; review in six weeks"
            )
        if rows[-1].fate == "kept":
            cases_kept += len(set(fams) & kept_families)
    return rows, cases_kept, texts


KINDS = ("PM", "TRN", "WP", "MAP")
PROGRESS = ("Not started", "Underway", "Done", "Out")


def _deliverables(rng: random.Random) -> tuple[list[Row], dict]:
    rows: list[Row] = []
    for d in range(1, 11):
        day = _between(rng, dt.date(2021, 10, 1), dt.date(2024, 3, 31))
        rows.append(
            Row(
                [
                    f"D-{d:02d}",
                    KINDS[d % 4],
                    rng.choice(
                        [
                            "Practice manual, second edition",
                            "Lunchtime briefing on section 17 support",
                            "Working paper on destitution",
                        ]
                    ),
                    _d(day),
                    "WMR",
                    str(rng.randrange(5, 40)) if KINDS[d % 4] == "TRN" else "",
                    str(rng.randrange(1, 4)),
                    rng.choice(PROGRESS),
                    "",
                    STAFF[d % len(STAFF)],
                ]
            )
        )
    title = (
        "Migrant aware practice workshop for housing officers, bookings 07700 900983, "
        "venue E17 4PX, NI QQ 12 34 56 C"
    )
    rows[1].cells[1] = "TRN"
    rows[1].cells[2] = title
    rows[2].cells[8] = f"Feedback forms collected by {STAFF[0]} after the session"
    rows[3].cells[5] = "twelve"  # not a number: value dropped
    rows[6].cells[1] = "TRNG"  # typo in a required code
    rows[6].fate = "rejected"
    texts = {
        "title_raw": title,
        "title": (
            "Migrant aware practice workshop for housing officers, bookings [redacted], "
            "venue [redacted], NI [redacted]"
        ),
        "notes": "Feedback forms collected by [redacted] after the session",
        "planted": [
            "07700 900983",
            "07700900983",
            "E17 4PX",
            "E174PX",
            "QQ 12 34 56 C",
            "QQ123456C",
        ],
    }
    return rows, texts


# ----------------------------------------------------------------------- config


def _toml_table(name: str, mapping: dict[str, object]) -> str:
    lines = [f"[{name}]"]
    for k, v in mapping.items():
        value = f'"{v}"' if isinstance(v, str) else str(v)
        lines.append(f'"{k}" = {value}')
    return "\n".join(lines) + "\n"


FAM_COLUMNS = {
    "Household Team": "site",
    "Household Ref": "family_ref",
    "Household Arm": "cohort",
    "Household Status": "immigration_status",
    "Dates Referred": "first_contact_date",
    "Dates Joined": "enrolled_date",
    "Dates Closed": "exit_date",
    "Outcome Reason": "exit_reason",
    "Outcome History from": "history_known_from",
    "Children Number": "n_children",
    "Children Youngest DOB": "youngest_child_dob",
    "Notes": "notes",
}
FAM_IDENTIFIERS = [
    "Contact Name", "Contact DOB", "Contact Mobile", "Contact NINO", "Contact HO ref",
    "Contact Postcode",
]  # fmt: skip
REF_HEADER = [
    "Ref Date", "Client", "Case No.", "Referrer", "Decision", "Client name", "Client DOB",
    "Phone", "Case notes",
]  # fmt: skip
PAY_HEADER = [
    "Posted",
    "Voucher No",
    "Household ref",
    "Cost centre",
    "Spend type",
    "Value",
    "Payee",
]
SURVEY_HEADER = ["Form ID", "Completed", "Household", "Stage", "Who", *ITEMS, "Respondent name"]
ASSESS_HEADER = ["Household", "Assessed on", "Point", "Worker", *DOMAINS]
MEET_HEADER = [
    "Mtg", "Held on", "Type", "Agencies", "Depts", "Households discussed", "Chaired by", "Minutes",
]  # fmt: skip
DELIV_HEADER = [
    "Output ref", "Category", "Output title", "Due/delivered", "Team", "People trained", "LAs",
    "Progress", "Comments", "Author",
]  # fmt: skip


def _toml_list(items: Sequence[str]) -> str:
    return "[" + ", ".join(f'"{i}"' for i in items) + "]"


def _config() -> str:
    parts = [
        """# Westmere: a synthetic second local authority, laid out unlike the sample.
[evaluation]
name = "Westmere NRPF pilot - synthetic second LA"
data_cut = "2023-03-31"
data_start = "2018-04-01"
programme_start = "2021-09-01"
dayfirst = true
key_file = "keys/westmere.key"
cohorts = ["pilot", "usual_care"]

[parameters]
window_days = 180
episode_gap_days = 35
min_cell = 10

[sources.families]
path = "exports/families.xlsx"
format = "xlsx"
sheet = "Household list"
header_row = [3, 4]
""",
        f'identifiers = {_toml_list(FAM_IDENTIFIERS)}\nfree_text = ["Notes"]\n\n',
        _toml_table("sources.families.columns", FAM_COLUMNS),
        _toml_table(
            "sources.families.values.cohort",
            {"P": "pilot", "Pilot arm": "pilot", "UC": "usual_care", "Control": "usual_care"},
        ),
        _toml_table(
            "sources.families.values.immigration_status",
            {
                "NL": "no_leave",
                "LTR (NRPF)": "leave_nrpf_condition",
                "ASY": "asylum_pending",
                "EUSS": "eea",
                "LWR": "leave_with_recourse",
            },
        ),
        _toml_table(
            "sources.families.values.exit_reason",
            {
                "RES": "status_resolved",
                "MOV": "moved_away",
                "DIS": "disengaged",
                "ESC": "escalated_s17",
                "OTH": "other",
            },
        ),
        """
[sources.referrals]
path = "exports/referrals_*.csv"
delimiter = ";"
identifiers = ["Client name", "Client DOB", "Phone"]
free_text = ["Case notes"]
""",
        _toml_table(
            "sources.referrals.columns",
            {
                "Ref Date": "referral_date",
                "Client": "family_ref",
                "Case No.": "referral_id",
                "Referrer": "source",
                "Decision": "outcome",
                "Case notes": "notes",
            },
        ),
        _toml_table(
            "sources.referrals.values.source",
            {
                "GP surgery": "health",
                "Sch": "education",
                "VCS org": "voluntary_sector",
                "Self": "self",
                "Hsg": "housing",
                "Sol": "legal",
                "Pol": "police",
                "ASC": "other_la_service",
            },
        ),
        _toml_table(
            "sources.referrals.values.outcome",
            {
                "NFA": "nfa",
                "Signpost": "signposted",
                "Early help": "early_action",
                "S17 assess": "s17_assessment",
            },
        ),
        """
[sources.payments]
path = "exports/ledger.tsv"
format = "csv"
delimiter = "tab"
identifiers = ["Payee"]
""",
        _toml_table(
            "sources.payments.columns",
            {
                "Posted": "payment_date",
                "Voucher No": "payment_id",
                "Household ref": "family_ref",
                "Cost centre": "scheme",
                "Spend type": "type",
                "Value": "amount_gbp",
            },
        ),
        _toml_table(
            "sources.payments.values.scheme", {SCHEME_S17: "s17", SCHEME_GRANT: "noream_grant"}
        ),
        _toml_table(
            "sources.payments.values.type",
            {"Accom": "accommodation", "Subs": "subsistence", "Misc": "other"},
        ),
        """
[sources.wellbeing_survey]
path = "exports/wellbeing_utf16.csv"
instrument = "swemwbs"
identifiers = ["Respondent name"]
""",
        _toml_table(
            "sources.wellbeing_survey.columns",
            {
                "Form ID": "response_id",
                "Completed": "response_date",
                "Household": "family_ref",
                "Stage": "timepoint",
                "Who": "respondent",
            },
        ),
        "[sources.wellbeing_survey.items]\n"
        + "".join(f'"{item}" = {k}\n' for k, item in enumerate(ITEMS, start=1)),
        _toml_table(
            "sources.wellbeing_survey.values.timepoint",
            {"Entry": "baseline", "Mid": "review", "Leaving": "exit"},
        ),
        _toml_table(
            "sources.wellbeing_survey.values.respondent", {"Parent": "parent_carer", "YP": "child"}
        ),
        """
[sources.domain_assessments]
path = "exports/outcome_star.csv"
encoding = "utf-8"
identifiers = ["Worker"]
""",
        _toml_table(
            "sources.domain_assessments.columns",
            {"Household": "family_ref", "Assessed on": "assessment_date", "Point": "timepoint"},
        ),
        _toml_table(
            "sources.domain_assessments.domains", dict(zip(DOMAINS, DOMAIN_MAP, strict=True))
        ),
        _toml_table(
            "sources.domain_assessments.values.timepoint",
            {"T0": "baseline", "T1": "review", "T2": "exit"},
        ),
        """
[sources.meetings]
path = "exports/meetings.txt"
format = "csv"
list_separator = ","
identifiers = ["Chaired by"]
free_text = ["Minutes"]
""",
        _toml_table(
            "sources.meetings.columns",
            {
                "Mtg": "meeting_id",
                "Held on": "meeting_date",
                "Type": "kind",
                "Agencies": "agencies",
                "Depts": "directorates",
                "Households discussed": "family_refs",
                "Minutes": "notes",
            },
        ),
        _toml_table(
            "sources.meetings.values.kind", {"SNAC": "snac", "Consult": "case_consultation"}
        ),
        _toml_table(
            "sources.meetings.values.agencies",
            {
                "CSC": "childrens_social_care",
                "ASC": "adult_social_care",
                "HSG": "housing",
                "NHS": "health",
                "SCH": "education",
                "IMM": "immigration_advice",
                "LAW": "legal",
                "POL": "police",
                "VCS": "voluntary_sector",
                "PH": "public_health",
                "WR": "welfare_benefits",
            },
        ),
        _toml_table(
            "sources.meetings.values.directorates",
            {
                "C&F": "childrens_services",
                "ASC": "adult_services",
                "HSG": "housing",
                "PH": "public_health",
                "EDU": "education",
                "FIN": "finance",
                "CS": "community_safety",
            },
        ),
        """
[sources.deliverables]
path = "exports/outputs.csv"
identifiers = ["Author"]
free_text = ["Output title", "Comments"]
""",
        _toml_table(
            "sources.deliverables.columns",
            {
                "Output ref": "deliverable_id",
                "Category": "kind",
                "Output title": "title",
                "Due/delivered": "date",
                "Team": "site",
                "People trained": "attendees",
                "LAs": "las_reached",
                "Progress": "status",
                "Comments": "notes",
            },
        ),
        _toml_table(
            "sources.deliverables.values.kind",
            {
                "PM": "manual",
                "TRN": "training_session",
                "WP": "working_paper",
                "MAP": "map_strategy",
            },
        ),
        _toml_table(
            "sources.deliverables.values.status",
            {
                "Not started": "planned",
                "Underway": "in_progress",
                "Done": "complete",
                "Out": "published",
            },
        ),
    ]
    return "\n".join(parts)


# ------------------------------------------------------------------------ entry


def write_second_la(folder: Path, *, seed: int = SEED) -> SecondLA:
    """Write Westmere's exports, key and config into ``folder``.

    Parameters
    ----------
    folder
        An empty (or new) folder.
    seed
        Seed of the random parts (dates, codes, scores); the planted mess does
        not depend on it.

    Returns
    -------
    SecondLA
        The config path, the planted identifiers and the expected outcome.
    """
    rng = random.Random(seed)
    exports = folder / "exports"
    exports.mkdir(parents=True, exist_ok=True)
    (folder / "keys").mkdir(exist_ok=True)
    (folder / "keys" / "westmere.key").write_text(KEY + "\n", "utf-8")
    config = folder / "westmere.toml"
    config.write_text(_config(), "utf-8")
    parents = _parents(rng)

    fam, row_of = _write_families(exports / "families.xlsx", parents, rng)

    ref, ref_notes = _referrals(parents, rng)
    (exports / "referrals_2023.csv").write_bytes(_csv_text(REF_HEADER, ref, ";").encode("cp1252"))

    pay, pay_kept = _payments(parents, rng)
    (exports / "ledger.tsv").write_bytes(
        codecs.BOM_UTF8 + _csv_text(PAY_HEADER, pay, "\t").encode("utf-8")
    )

    survey, n_items = _survey(parents, rng)
    (exports / "wellbeing_utf16.csv").write_bytes(
        _csv_text(SURVEY_HEADER, survey, ",").encode("utf-16")
    )

    assess, n_scores = _assessments(parents, rng)
    (exports / "outcome_star.csv").write_bytes(
        _csv_text(ASSESS_HEADER, assess, ",").encode("utf-8")
    )

    meet, n_cases, meet_texts = _meetings(parents, rng)
    (exports / "meetings.txt").write_bytes(_csv_text(MEET_HEADER, meet, "|").encode("utf-8"))

    deliv, deliv_texts = _deliverables(rng)
    (exports / "outputs.csv").write_bytes(_csv_text(DELIV_HEADER, deliv, ",").encode("utf-8"))

    files = {
        "exports/families.xlsx": _counts(fam),
        "exports/referrals_2023.csv": _counts(ref),
        "exports/ledger.tsv": _counts(pay),
        "exports/wellbeing_utf16.csv": _counts(survey),
        "exports/outcome_star.csv": _counts(assess),
        "exports/meetings.txt": _counts(meet),
        "exports/outputs.csv": _counts(deliv),
    }
    tables = {
        "families": files["exports/families.xlsx"][1],
        "referrals": files["exports/referrals_2023.csv"][1],
        "payments": files["exports/ledger.tsv"][1],
        "s17_episodes": _episodes(pay_kept, gap=35),
        "domain_scores": n_scores,
        "wellbeing_items": n_items,
        "staff_responses": 0,
        "meetings": files["exports/meetings.txt"][1],
        "meeting_cases": n_cases,
        "contacts": 0,  # Westmere keeps no contacts export: the source is optional
        "deliverables": files["exports/outputs.csv"][1],
    }
    rejected_row = row_of[REJECTED]
    family_rejected = f"family rejected (row {rejected_row} of exports/families.xlsx)"
    reasons = {
        "exports/families.xlsx": [
            "blank row",
            "summary row (Total), not a record",
            f"exact duplicate of row {row_of[5]} of exports/families.xlsx",
            "(near duplicate)",
            f"repeats the key of row {row_of[50]} of exports/families.xlsx",
            "date before 1900-01-01",
            "code not in the value map",
            "not a whole number",
        ],
        "exports/referrals_2023.csv": [
            "blank row",
            "exact duplicate of",
            "(near duplicate)",
            family_rejected,
            "family reference not found in the families export",
            "code not in the value map",
        ],
        "exports/ledger.tsv": [
            "summary row (Total), not a record",
            "exact duplicate of",
            "(near duplicate)",
            "repeats the key of",
            family_rejected,
            "family reference not found in the families export",
            "code not in the value map",
        ],
        "exports/wellbeing_utf16.csv": [
            "no answered item in the row",
            "exact duplicate of",
            family_rejected,
            "score outside the scale 1 to 5",
            "code not in the value map",
        ],
        "exports/outcome_star.csv": [
            "no valid domain score in the row",
            "(near duplicate)",
            family_rejected,
            "code not in the value map",
        ],
        "exports/meetings.txt": [
            "1 case(s) of a family rejected (" + family_rejected[len("family rejected (") :],
            "1 case reference(s) not found in the families export; dropped",
            "1 of 3 items not in the value map for this column (left out)",
            "code not in the value map",
        ],
        "exports/outputs.csv": ["code not in the value map"],
    }
    linked = {
        "exports/referrals_2023.csv": sum(r.cells[1] == _ref(REJECTED, "referrals") for r in ref),
        "exports/ledger.tsv": sum(r.cells[2] == _ref(REJECTED, "payments") for r in pay),
        "exports/wellbeing_utf16.csv": sum(r.cells[2] == _ref(REJECTED, "survey") for r in survey),
        "exports/outcome_star.csv": sum(
            r.cells[0] == _ref(REJECTED, "assessments") for r in assess
        ),
        "exports/meetings.txt": 1,
    }

    planted: list[str] = []
    people = [p.name for p in parents]
    people += list(STAFF)
    people += [str(r.cells[-1]) for r in survey if r.cells[4] == "YP"]
    for name in people:
        planted += name_forms(name)
    for p in parents:
        planted += [p.mobile, p.mobile.replace(" ", ""), p.nino, p.nino.replace(" ", "")]
        planted += [p.ho_ref, p.postcode, p.postcode.replace(" ", "")]
        planted += [_d(p.dob), p.dob.isoformat()]
        if p.child_dob is not None:
            planted += [_d(p.child_dob), p.child_dob.isoformat()]
        for style in ("families", "referrals", "payments", "survey", "assessments"):
            planted.append(_ref(p.index, style))
    planted += ["WM-0099", "WM0777", "WM/0888"]
    planted += deliv_texts["planted"]
    return SecondLA(
        config=config,
        planted=list(dict.fromkeys(planted)),
        files=files,
        tables=tables,
        reasons=reasons,
        texts={
            ("deliverables", "title"): [deliv_texts["title"]],
            ("deliverables", "notes"): [deliv_texts["notes"]],
            ("referrals", "notes"): [ref_notes["scrubbed"]],
            ("meetings", "notes"): [meet_texts["scrubbed"]],
        },
        rejected_row=rejected_row,
        linked_rejects=linked,
    )
