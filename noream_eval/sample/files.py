"""Rendering and writing the raw exports of the sample.

For each export, a ``write_*`` function turns the simulated world into the clean
raw table (raw headers, raw codes, hidden ``_`` columns for what is rendered
late: references, dates, amounts), passes it through the export's mess in
:mod:`noream_eval.sample.mess`, and writes the file as the NRPF team's system
would (CSV as Excel writes it, or an xlsx workbook). File names, headers,
encodings, sheet and title lines come from the export's profile in
:mod:`noream_eval.sample.profiles`, the raw codes from :mod:`noream_eval.sample.vocab`.
Each returns the export's mess counts by file name.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import pathlib
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
import xlsxwriter

from noream_eval.sample import _names, mess
from noream_eval.sample._common import (
    EPOCH,
    SERIAL_OFFSET,
    STR,
    Table,
    answer_labels,
    choose,
    day_of,
    level_codes,
    raw_codes,
    sarr,
    strs,
    take,
)
from noream_eval.sample.formats import (
    CELL_DATE,
    CELL_NUMBER,
    CELL_TEXT,
    DMY,
    ISO,
    SHORT,
    XLSX_DATE_PROBS,
    csv_date_kinds,
    fmt_dates,
    fmt_money,
    fmt_refs,
    money_kinds,
)
from noream_eval.sample.profiles import (
    CONTACTS,
    DELIVERABLES,
    DOMAIN_ASSESSMENTS,
    FAMILIES,
    MEETINGS,
    PAYMENTS,
    REFERRALS,
    STAFF_SURVEY,
    WELLBEING_SURVEY,
    Export,
)
from noream_eval.sample.vocab import (
    AGENCY,
    COHORT,
    CONTACT_MODE,
    DELIVERABLE_KIND,
    DELIVERABLE_STATUS,
    DIRECTORATE,
    DOMAIN_HEADERS,
    ELIGIBILITY,
    EXIT,
    MEETING_KIND,
    NOREAM_GRANT_CODES,
    NOT_ENROLLED,
    PAYMENT_TYPE,
    RESPONDENT,
    S17_CODES_AFTER_ATTACK,
    S17_CODES_BEFORE_ATTACK,
    STAFF_ITEMS,
    SWEMWBS_ITEMS,
    TIMEPOINT_DA,
    TIMEPOINT_WB,
    WAVE,
    WORKER_ROLE,
)
from noream_eval.sample.world import (
    COHORTS,
    PARAMETERS,
    STAFF_INSTRUMENT,
    WELLBEING_INSTRUMENT,
    People,
    Sites,
    cohort_codes,
)
from noream_eval.schema import LEVELS, UNKNOWN

Counts = dict[str, int]

# The exports were taken at the data cut, late in the afternoon.
_DATA_CUT = dt.date.fromisoformat(PARAMETERS["dates"]["data_cut"])
_CREATED = dt.datetime.combine(_DATA_CUT, dt.time(17, 45))


# ---------------------------------------------------------------------- writers


def _write_csv(
    out: pathlib.Path,
    export: Export,
    chunks: Iterable[Table],
    *,
    trailer: Callable[[], Sequence[str]] | None = None,
) -> None:
    """Write an export's CSV into ``out`` as Excel would: CRLF line ends, minimal quoting.

    ``trailer`` is called after the last chunk and gives a final row (e.g. a Total row).
    """
    header = export.header
    with open(out / export.file, "wb") as fh:
        if export.bom:
            fh.write(codecs.BOM_UTF8)
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\r\n")
        writer.writerow(header)
        for chunk in chunks:
            columns = [chunk[h].tolist() for h in header]
            writer.writerows(zip(*columns, strict=True))
            fh.write(buf.getvalue().encode(export.encoding))
            buf.seek(0)
            buf.truncate()
        if trailer is not None:
            writer.writerow(trailer())
        fh.write(buf.getvalue().encode(export.encoding))


def _write_referrals_xlsx(path: pathlib.Path, council: str, table: Table) -> None:
    export = REFERRALS
    exported = _DATA_CUT.strftime("%d/%m/%Y")
    titles = [t.format(council=council, exported=exported) for t in export.titles]
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    wb.set_properties({"title": titles[0], "author": "NRPF Team", "created": _CREATED})
    ws = wb.add_worksheet(export.sheet)
    bold = wb.add_format({"bold": True})
    date_fmt = wb.add_format({"num_format": "dd/mm/yyyy"})
    widths = (12, 14, 11, 15, 28, 12, 15, 15, 15, 10, 18, 18)
    for c, w in enumerate(widths):
        ws.set_column(c, c, w)
    for r, title in enumerate(titles):
        if r == 0:
            ws.write_string(r, 0, title, bold)
        else:
            ws.write_string(r, 0, title)
    top = export.header_row - 1  # 0-based row of the header
    for c, h in enumerate(export.header):
        ws.write_string(top, c, h, bold)
    cols = [table[h].tolist() for h in export.header]
    kinds = {3: table["_cell:Date of Referral"].tolist(), 5: table["_cell:Parent DOB"].tolist()}
    nums = {3: table["_num:Date of Referral"].tolist(), 5: table["_num:Parent DOB"].tolist()}
    blank = table["_blank"].tolist()
    n = len(blank)
    for i in range(n):
        if blank[i]:
            continue
        r = top + 1 + i
        for c in range(len(cols)):
            if c in kinds and kinds[c][i] != CELL_TEXT:
                value = float(nums[c][i])
                if kinds[c][i] == CELL_DATE:
                    ws.write_number(r, c, value, date_fmt)
                else:
                    ws.write_number(r, c, value)
                continue
            text = cols[c][i]
            if text:
                ws.write_string(r, c, text)
    label, count = mess.referrals_total(table)
    ws.write_string(top + 1 + n, 0, label, bold)
    ws.write_number(top + 1 + n, 1, count, bold)
    wb.close()


# ---------------------------------------------------------------------- families


def write_families(
    out: pathlib.Path,
    rng: np.random.Generator,
    fam: dict[str, np.ndarray],
    pay: dict[str, Any],
    history_lost: np.ndarray,
    sites: Sites,
    people: People,
    width: int,
) -> dict[str, Counts]:
    """Write ``families.csv`` (UTF-8 with BOM), one row per family, by site and number."""
    n = int(fam["n"])
    order = np.lexsort((fam["number"], fam["site"]))
    exit_date = pay["exit_date"]
    reason = pay["exit_reason"]
    reason_raw = np.full(n, "", dtype=STR)
    ok = reason >= 0
    reason_raw[ok] = raw_codes(rng, reason[ok], pay["reason_levels"], EXIT)
    attack = day_of(PARAMETERS["history"]["cyberattack"])
    t: Table = {
        "_num": fam["number"],
        "_ref": np.zeros(n, dtype=np.int64),
        "_fc": fam["first_contact"],
        "_fckind": csv_date_kinds(rng, n),
        "_enkind": csv_date_kinds(rng, n),
        "_exkind": csv_date_kinds(rng, n),
        "_blank": np.zeros(n, dtype=bool),
        "LA Code": np.array(sites.codes, dtype=STR)[fam["site"]],
        "Cohort": raw_codes(rng, cohort_codes(fam), COHORTS, COHORT),
        "Closure Reason": reason_raw,
        "No. of Children": strs(fam["n_children"]),
        "Youngest Child DOB": fmt_dates(fam["youngest_dob"]),
        "Immigration Status": fam["immigration_raw"].copy(),
        "History Complete From": np.where(history_lost, fmt_dates(np.full(n, attack)), ""),
        "Eligibility Assessed": fmt_dates(fam["assessed"], csv_date_kinds(rng, n)),
        "Eligibility": raw_codes(
            rng, fam["eligibility"], (*LEVELS["eligibility"], UNKNOWN), ELIGIBILITY
        ),
        "Date Offered": fmt_dates(fam["offered"], csv_date_kinds(rng, n)),
        "Reason Not Enrolled": raw_codes(
            rng,
            fam["not_enrolled_reason"],
            (*LEVELS["not_enrolled_reason"], UNKNOWN),
            NOT_ENROLLED,
        ),
        "Complex Case Flagged": fmt_dates(fam["complex_flag"], csv_date_kinds(rng, n)),
        "Parent/Carer Name": people.full(fam["first_name"], fam["surname"]),
        "Parent DOB": fmt_dates(fam["parent_dob"]),
        "Phone": fam["phone"],
        "NI Number": fam["ni"],
        "HO Reference": fam["ho_ref"],
        "Postcode": fam["postcode"],
        "_en": fam["enrolled"],
        "_ex": exit_date,
    }
    t = take(t, order)

    def render(x: Table) -> Table:
        x = dict(x)
        x["Family Ref"] = fmt_refs(x["_num"], x["_ref"], width)
        x["First Contact"] = fmt_dates(x["_fc"], x["_fckind"])
        x["Date Enrolled"] = fmt_dates(x["_en"], x["_enkind"])
        x["Date Closed"] = np.where(x["_tbc"], mess.TBC, fmt_dates(x["_ex"], x["_exkind"]))
        return x

    table, counts = mess.families(rng, t, render)
    _write_csv(out, FAMILIES, [table])
    return {FAMILIES.file: counts}


# --------------------------------------------------------------------- referrals


def _referral_table(
    rng: np.random.Generator,
    fam: dict[str, np.ndarray],
    ref: dict[str, np.ndarray],
    sites: Sites,
    people: People,
) -> Table:
    """The clean exported referrals (all sites), with hidden columns for rendering."""
    keep = np.flatnonzero(ref["exported"])
    f = ref["fam"][keep]
    m = len(keep)
    order = np.lexsort((ref["id"][keep], fam["site"][f]))
    keep, f = keep[order], f[order]
    date_kind = choose(rng, m, XLSX_DATE_PROBS)
    dob_cell = np.where(rng.random(m) < 0.3, CELL_DATE, CELL_TEXT)
    t: Table = {
        "_site": fam["site"][f],
        "_id": ref["id"][keep],
        "_num": fam["number"][f],
        "_ref": mess.ref_kinds(rng, m),
        "_date": ref["date"][keep],
        "_datekind": date_kind,
        "_dob": fam["parent_dob"][f],
        "_cell:Parent DOB": dob_cell,
        "_num:Parent DOB": (fam["parent_dob"][f] + SERIAL_OFFSET).astype(np.int64),
        "_blank": np.zeros(m, dtype=bool),
        "LA Code": np.array(sites.codes, dtype=STR)[fam["site"][f]],
        "Parent/Carer Name": people.full(fam["first_name"][f], fam["surname"][f]),
        "Contact Number": np.where(rng.random(m) < 0.92, fam["phone"][f], ""),
        "NI Number": fam["ni"][f],
        "Home Office Ref": fam["ho_ref"][f],
        "Postcode": fam["postcode"][f],
        "Referral Source": ref["source_raw"][keep].copy(),
        "Referral Outcome": ref["outcome_raw"][keep],
    }
    t["Parent DOB"] = np.where(dob_cell == CELL_TEXT, fmt_dates(t["_dob"]), "")
    return t


def _render_referrals(width: int) -> Callable[[Table], Table]:
    def render(x: Table) -> Table:
        x = dict(x)
        x["Referral No"] = "R" + np.strings.zfill(strs(x["_id"]), 7)
        x["Family Ref"] = fmt_refs(x["_num"], x["_ref"], width)
        k = x["_datekind"]
        text_kind = np.select([k == 1, k == 2, k == 3], [DMY, SHORT, ISO], DMY)
        x["Date of Referral"] = np.where((k >= 1) & (k <= 3), fmt_dates(x["_date"], text_kind), "")
        x["_cell:Date of Referral"] = np.select(
            [k == 0, k == 4], [CELL_DATE, CELL_NUMBER], CELL_TEXT
        )
        x["_num:Date of Referral"] = x["_date"] + SERIAL_OFFSET
        return x

    return render


def write_referrals(
    out: pathlib.Path,
    rng: np.random.Generator,
    fam: dict[str, np.ndarray],
    refs: dict[str, Any],
    sites: Sites,
    people: People,
    width: int,
) -> dict[str, Counts]:
    """Write the referrals workbook(s) into ``out``: ``referrals.xlsx``, or one
    ``referrals_<LA code>.xlsx`` per site; returns the counts by file name."""
    n_sites = sites.n
    ref_all = _referral_table(rng, fam, refs["referrals"], sites, people)
    ref_rngs = rng.spawn(n_sites)
    next_ref = [int(refs["referrals"]["id"].max()) + 1 if len(refs["referrals"]["id"]) else 1]
    bounds = np.searchsorted(ref_all["_site"], np.arange(n_sites + 1))
    render = _render_referrals(width)
    counts: dict[str, Counts] = {}
    for s in range(n_sites):
        name = REFERRALS.file_name(sites.codes[s], n_sites)
        part = take(ref_all, np.arange(bounds[s], bounds[s + 1]))
        table, counts[name] = mess.referrals(ref_rngs[s], part, render, next_ref)
        _write_referrals_xlsx(out / name, sites.councils[s], table)
    return counts


# ---------------------------------------------------------------------- payments


def _payment_ledger(fam: dict[str, np.ndarray], pays: dict[str, np.ndarray]) -> Table:
    """Clean payments ordered by site, then transaction ID (numeric columns only)."""
    m = len(pays["fam"])
    # Payments come in ledger order (date, family, type): transaction IDs follow it.
    ids = 10_000 + np.arange(m)
    order = np.lexsort((ids, fam["site"][pays["fam"]]))
    return {
        "site": fam["site"][pays["fam"]][order],
        "fam": pays["fam"][order],
        "id": ids[order],
        "type": pays["type"][order],
        "scheme": pays["scheme"][order],
        "date": pays["date"][order],
        "pence": pays["pence"][order],
        "provider": pays["provider"][order],
    }


def _draw_all(
    rng: np.random.Generator, m: int, variants: tuple[tuple[str, ...], tuple[float, ...]]
) -> np.ndarray:
    """One raw variant for each of ``m`` rows."""
    raw, probs = variants
    return sarr(raw)[choose(rng, m, probs)]


def _payment_table(
    rng: np.random.Generator,
    fam: dict[str, np.ndarray],
    ledger: Table,
    people: People,
) -> Table:
    """Raw payment rows (with hidden columns for rendering) for a part of the ledger."""
    m = len(ledger["fam"])
    f = ledger["fam"]
    ptype, scheme, date = ledger["type"], ledger["scheme"], ledger["date"]
    pence = ledger["pence"]
    providers = ledger["provider"]
    attack = day_of(PARAMETERS["history"]["cyberattack"])
    s17_old = _draw_all(rng, m, S17_CODES_BEFORE_ATTACK)
    s17_new = _draw_all(rng, m, S17_CODES_AFTER_ATTACK)
    grant_code = _draw_all(rng, m, NOREAM_GRANT_CODES)
    is_grant = scheme == level_codes("scheme")["noream_grant"]
    budget = np.where(is_grant, grant_code, np.where(date < attack, s17_old, s17_new))
    code = level_codes("payment_type")
    type_raw = np.select(
        [ptype == code["accommodation"], ptype == code["subsistence"], ptype == code["grant"]],
        [
            _draw_all(rng, m, PAYMENT_TYPE["accommodation"]),
            _draw_all(rng, m, PAYMENT_TYPE["subsistence"]),
            _draw_all(rng, m, PAYMENT_TYPE["grant"]),
        ],
        sarr(PAYMENT_TYPE["other"][0])[np.zeros(m, dtype=np.int64)],
    )
    prov_name = sarr(p[0] for p in _names.PROVIDERS)[providers]
    prov_pc = sarr(p[1] for p in _names.PROVIDERS)[providers]
    parent = people.full(fam["first_name"][f], fam["surname"][f], cp1252=True)
    return {
        "_fam": f,
        "_id": ledger["id"],
        "_num": fam["number"][f],
        "_ref": mess.ref_kinds(rng, m),
        "_date": date,
        "_datekind": csv_date_kinds(rng, m),
        "_pence": pence,
        "_amtkind": money_kinds(rng, pence),
        "_blank": np.zeros(m, dtype=bool),
        "_bad_amount": np.zeros(m, dtype=bool),
        "Payee Name": np.where(ptype == code["accommodation"], prov_name, parent),
        "Payee Postcode": np.where(ptype == code["accommodation"], prov_pc, fam["postcode"][f]),
        "Budget Code": budget,
        "Payment Type": type_raw,
    }


def _render_payments(width: int) -> Callable[[Table], Table]:
    def render(x: Table) -> Table:
        x = dict(x)
        x["Transaction ID"] = "T" + np.strings.zfill(strs(x["_id"]), 8)
        x["Client Ref"] = fmt_refs(x["_num"], x["_ref"], width)
        x["Date Paid"] = fmt_dates(x["_date"], x["_datekind"])
        x["Amount"] = mess.bad_amounts(fmt_money(x["_pence"], x["_amtkind"]), x["_bad_amount"])
        return x

    return render


def write_payments(
    out: pathlib.Path,
    rng: np.random.Generator,
    fam: dict[str, np.ndarray],
    pay: dict[str, Any],
    people: People,
    width: int,
    n_sites: int,
) -> dict[str, Counts]:
    """Write ``payments.csv`` (Windows-1252), site by site, with a trailing Total row."""
    ledger = _payment_ledger(fam, pay["payments"])
    pay_rngs = rng.spawn(n_sites)
    next_pay = [int(ledger["id"].max()) + 1 if len(ledger["id"]) else 10_000]
    pbounds = np.searchsorted(ledger["site"], np.arange(n_sites + 1))
    render = _render_payments(width)
    pay_counts: Counts = {}
    total_pence = [0]

    def payment_chunks() -> Iterable[Table]:
        for s in range(n_sites):
            part = take(ledger, np.arange(pbounds[s], pbounds[s + 1]))
            clean = _payment_table(pay_rngs[s], fam, part, people)
            table, counts = mess.payments(pay_rngs[s], clean, render, next_pay, fam["number"])
            ok = ~table["_blank"] & ~table["_bad_amount"]
            total_pence[0] += int(table["_pence"][ok].sum())
            for k, v in counts.items():
                pay_counts[k] = pay_counts.get(k, 0) + v
            yield table

    _write_csv(
        out,
        PAYMENTS,
        payment_chunks(),
        trailer=lambda: mess.payments_total(PAYMENTS.header, "Amount", total_pence[0]),
    )
    return {PAYMENTS.file: mess.payments_file(pay_counts)}


# ------------------------------------------------------------ domain assessments


def write_domain_assessments(
    out: pathlib.Path,
    rng: np.random.Generator,
    fam: dict[str, np.ndarray],
    dom: dict[str, Any],
    people: People,
    width: int,
) -> dict[str, Counts]:
    """Write ``domain_assessments.csv`` (UTF-8): one row per assessment, one column per
    support domain."""
    rows = dom["rows"]
    f = rows["fam"]
    m = len(f)
    order = np.lexsort((rows["timepoint"], rows["date"], fam["number"][f], fam["site"][f]))
    rows = {k: v[order] for k, v in rows.items()}
    f = rows["fam"]
    scores, k_oor = mess.out_of_range_scores(rng, rows["scores"])
    t: Table = {
        "_num": fam["number"][f],
        "_ref": mess.ref_kinds(rng, m),
        "_date": rows["date"],
        "_datekind": csv_date_kinds(rng, m),
        "_blank": np.zeros(m, dtype=bool),
        "Family Name": people.full(fam["first_name"][f], fam["surname"][f]),
        "Review Point": raw_codes(rng, rows["timepoint"], LEVELS["timepoint"], TIMEPOINT_DA),
    }
    for j, domain in enumerate(LEVELS["domain"]):
        t[DOMAIN_HEADERS[domain]] = strs(scores[:, j])

    def render(x: Table) -> Table:
        x = dict(x)
        x["Family Ref"] = fmt_refs(x["_num"], x["_ref"], width)
        x["Assessment Date"] = fmt_dates(x["_date"], x["_datekind"])
        return x

    table, counts = mess.domain_assessments(rng, t, render, k_oor)
    _write_csv(out, DOMAIN_ASSESSMENTS, [table])
    return {DOMAIN_ASSESSMENTS.file: counts}


# -------------------------------------------------------------- wellbeing survey


def write_wellbeing_survey(
    out: pathlib.Path,
    rng: np.random.Generator,
    fam: dict[str, np.ndarray],
    wb: dict[str, Any],
    people: People,
    width: int,
) -> dict[str, Counts]:
    """Write ``wellbeing_survey.csv`` (UTF-8): one row per SWEMWBS completion, answers
    as text labels."""
    rows = wb["rows"]
    f = rows["fam"]
    r = len(f)
    rate = mess.MESS_RATES["wellbeing_survey"]["likert_noise"]
    labels = answer_labels(WELLBEING_INSTRUMENT)
    items, n_noise = mess.likert_cells(rng, rows["items"], labels, rate)
    child = rows["respondent"] == 1
    cfi, _ = people.draw(rng, r)
    parent_name = people.full(fam["first_name"][f], fam["surname"][f])
    child_name = people.first[cfi] + " " + people.surname(fam["surname"][f], people.last, "-")
    name = np.where(child, child_name, parent_name)
    name = np.where(rng.random(r) < 0.65, name, "")
    email = people.email(
        fam["first_name"][f], fam["surname"][f], fam["email_tail"][f], "@example.com"
    )
    email = np.where((rng.random(r) < 0.55) & ~child, email, "")
    secs = rows["seconds"]
    clock = (
        np.strings.zfill(strs(secs // 3600), 2)
        + ":"
        + np.strings.zfill(strs(secs // 60 % 60), 2)
        + ":"
        + np.strings.zfill(strs(secs % 60), 2)
    )
    t: Table = {
        "_num": fam["number"][f],
        "_ref": mess.ref_kinds(rng, r),
        "_blank": np.zeros(r, dtype=bool),
        "Response ID": strs(rows["id"]),
        "Submitted At": fmt_dates(rows["date"], ISO) + " " + clock,
        "Survey": raw_codes(rng, rows["timepoint"], LEVELS["timepoint"], TIMEPOINT_WB),
        "Respondent": raw_codes(rng, rows["respondent"], LEVELS["respondent"], RESPONDENT),
        "Your name (optional)": name,
        "Email": email,
    }
    for header, col in zip(SWEMWBS_ITEMS, items, strict=True):
        t[header] = col

    def render(x: Table) -> Table:
        x = dict(x)
        x["Family Ref"] = fmt_refs(x["_num"], x["_ref"], width)
        return x

    table, counts = mess.wellbeing_survey(rng, t, render, n_noise, rows["items"])
    _write_csv(out, WELLBEING_SURVEY, [table])
    return {WELLBEING_SURVEY.file: counts}


# ------------------------------------------------------------------ staff survey


def write_staff_survey(
    out: pathlib.Path, rng: np.random.Generator, staff: dict[str, Any], sites: Sites
) -> dict[str, Counts]:
    """Write ``staff_survey.csv`` (Windows-1252): one row per staff member and wave."""
    rows = staff["rows"]
    who = rows["staff"]
    r = len(who)
    rate = mess.MESS_RATES["staff_survey"]["likert_noise"]
    labels = answer_labels(STAFF_INSTRUMENT)
    items, n_noise = mess.likert_cells(rng, rows["items"], labels, rate)
    t: Table = {
        "_blank": np.zeros(r, dtype=bool),
        "Name": staff["name"][who],
        "Email": staff["email"][who],
        "LA Code": np.array(sites.codes, dtype=STR)[staff["site"][who]],
        "Job Role": staff["role_raw"][who],
        "Directorate": staff["directorate_raw"][who],
        "Wave": raw_codes(rng, rows["wave"], LEVELS["timepoint"], WAVE),
    }
    for header, col in zip(STAFF_ITEMS, items, strict=True):
        t[header] = col
    table, counts = mess.staff_survey(rng, t, n_noise)
    _write_csv(out, STAFF_SURVEY, [table])
    return {STAFF_SURVEY.file: counts}


# ---------------------------------------------------------------------- meetings


def write_meetings(
    out: pathlib.Path,
    rng: np.random.Generator,
    fam: dict[str, np.ndarray],
    meet: dict[str, Any],
    sites: Sites,
    staff: dict[str, Any],
    width: int,
) -> dict[str, Counts]:
    """Write ``meetings.csv`` (UTF-8): one row per SNAC or case consultation."""
    n_sites = sites.n
    rows = meet["meetings"]
    m = len(rows)
    agency_raw = {lvl: AGENCY[lvl] for lvl in meet["agency_levels"]}
    dir_raw = {lvl: DIRECTORATE[lvl] for lvl in meet["dir_levels"]}
    sep = MEETINGS.list_separator or ";"
    refs, types, ags, dirs, chairs, minutes = [], [], [], [], [], []
    days = np.array([x["day"] for x in rows], dtype=np.int64)
    for x in rows:
        d = EPOCH + dt.timedelta(days=int(x["day"]))
        prefix = "" if n_sites == 1 else f"{sites.codes[x['site']]}-"
        kind = LEVELS["meeting_kind"][x["kind"]]
        if kind == "snac":
            refs.append(f"SNAC-{prefix}{d.year}-{d.month:02d}")
        else:
            refs.append(f"CC-{prefix}{d.year}-{d.month:02d}{d.day:02d}")
        (usual, other), (p_usual, _) = MEETING_KIND[kind]
        types.append(usual if rng.random() < p_usual else other)
        ag_names = []
        for a in x["agencies"]:
            raw, probs = agency_raw[meet["agency_levels"][a]]
            ag_names.append(raw[int(choose(rng, 1, probs)[0])])
        dr_names = []
        for a in x["dirs"]:
            raw, probs = dir_raw[meet["dir_levels"][a]]
            dr_names.append(raw[int(choose(rng, 1, probs)[0])])
        ags.append(mess.messy_list(rng, ag_names, sep))
        dirs.append(mess.messy_list(rng, dr_names, sep))
        chairs.append(str(staff["name"][x["chair"]]))
        minutes.append(str(staff["name"][x["minute"]]))
    case_lists = []
    for x in rows:
        nums = fam["number"][x["cases"]]
        kinds = mess.ref_kinds(rng, len(nums), 0.35)
        texts = fmt_refs(nums, kinds, width).tolist()
        case_sep = sep + " " if rng.random() < 0.5 else sep
        case_lists.append(case_sep.join(texts))
    t: Table = {
        "_blank": np.zeros(m, dtype=bool),
        "_date": days,
        "_datekind": csv_date_kinds(rng, m),
        "Meeting Ref": sarr(refs),
        "LA Code": _site_codes(rng, np.array([x["site"] for x in rows], dtype=np.int64), sites),
        "Meeting Type": sarr(types),
        "Chair": sarr(chairs),
        "Minute Taker": sarr(minutes),
        "Agencies Present": sarr(ags),
        "Directorates Present": sarr(dirs),
        "Cases Discussed": sarr(case_lists),
    }

    def render(x: Table) -> Table:
        x = dict(x)
        x["Date"] = fmt_dates(x["_date"], x["_datekind"])
        return x

    table, counts = mess.meetings(rng, t, render)
    _write_csv(out, MEETINGS, [table])
    return {MEETINGS.file: counts}


def _site_codes(rng: np.random.Generator, site: np.ndarray, sites: Sites) -> np.ndarray:
    """LA codes of sites, typed in lower case in a few rows."""
    codes = np.array(sites.codes, dtype=STR)[site]
    return np.where(rng.random(len(site)) < 0.05, np.strings.lower(codes), codes)


# ---------------------------------------------------------------------- contacts

# Contact date forms: day-first with the time, ISO, day-first.
_CONTACT_DATE_PROBS = (0.5, 0.3, 0.2)


def _render_contacts(width: int) -> Callable[[Table], Table]:
    def render(x: Table) -> Table:
        x = dict(x)
        x["Contact ID"] = "CN" + np.strings.zfill(strs(x["_id"]), 7)
        x["Client Ref"] = fmt_refs(x["_num"], x["_ref"], width)
        k = x["_datekind"]
        minute = x["_minute"]
        clock = (
            np.strings.zfill(strs(minute // 60), 2) + ":" + np.strings.zfill(strs(minute % 60), 2)
        )
        dmy = fmt_dates(x["_date"], DMY)
        x["Contact Date"] = np.where(
            k == 0, dmy + " " + clock, np.where(k == 1, fmt_dates(x["_date"], ISO), dmy)
        )
        return x

    return render


def write_contacts(
    out: pathlib.Path,
    rng: np.random.Generator,
    fam: dict[str, np.ndarray],
    contacts: dict[str, np.ndarray],
    staff: dict[str, Any],
    width: int,
    n_sites: int,
) -> dict[str, Counts]:
    """Write ``contacts.csv`` (UTF-8): one row per contact, site by site in date order."""
    f = contacts["fam"]
    order = np.argsort(fam["site"][f], kind="stable")
    keys = ("fam", "day", "minute", "role", "mode", "worker", "phone", "id")
    c = {k: contacts[k][order] for k in keys}
    bounds = np.searchsorted(fam["site"][c["fam"]], np.arange(n_sites + 1))
    site_rngs = rng.spawn(n_sites)
    next_id = [int(c["id"].max()) + 1 if len(c["id"]) else 500_000]
    render = _render_contacts(width)
    totals: Counts = {}

    def chunks() -> Iterable[Table]:
        for s in range(n_sites):
            r = site_rngs[s]
            part = {k: v[bounds[s] : bounds[s + 1]] for k, v in c.items()}
            m = len(part["fam"])
            fp = part["fam"]
            clean: Table = {
                "_id": part["id"],
                "_num": fam["number"][fp],
                "_ref": mess.ref_kinds(r, m),
                "_date": part["day"],
                "_datekind": choose(r, m, _CONTACT_DATE_PROBS),
                "_minute": part["minute"],
                "_blank": np.zeros(m, dtype=bool),
                "Worker": staff["name"][part["worker"]],
                "Worker Role": raw_codes(r, part["role"], LEVELS["worker_role"], WORKER_ROLE),
                "Contact Type": raw_codes(r, part["mode"], LEVELS["contact_mode"], CONTACT_MODE),
                "Client Phone": np.where(part["phone"], fam["phone"][fp], ""),
            }
            table, counts = mess.contacts(r, clean, render, next_id, fam["number"])
            for k, v in counts.items():
                totals[k] = totals.get(k, 0) + v
            yield table

    _write_csv(out, CONTACTS, chunks())
    return {CONTACTS.file: mess.contacts_file(totals)}


# ------------------------------------------------------------------ deliverables


def write_deliverables(
    out: pathlib.Path, rng: np.random.Generator, rows: list[dict[str, Any]]
) -> dict[str, Counts]:
    """Write ``deliverables.csv`` (UTF-8): one row per programme deliverable."""
    m = len(rows)
    width = max(2, len(str(m)))
    kinds, statuses = [], []
    for x in rows:
        opts = DELIVERABLE_KIND[x["kind"]]
        kinds.append(opts[int(rng.integers(0, len(opts)))])
        opts = DELIVERABLE_STATUS[x["status"]]
        statuses.append(opts[int(rng.integers(0, len(opts)))])
    t: Table = {
        "_blank": np.zeros(m, dtype=bool),
        "ID": sarr(f"D{i + 1:0{width}d}" for i in range(m)),
        "Type": sarr(kinds),
        "Title": sarr(x["title"] for x in rows),
        "Date": fmt_dates(
            np.array([x["date"] for x in rows], dtype=np.int64), csv_date_kinds(rng, m)
        ),
        "LA Code": sarr(x["site"] for x in rows),
        "Attendees": sarr("" if x["attendees"] is None else str(x["attendees"]) for x in rows),
        "LAs Reached": sarr("" if x["las"] is None else str(x["las"]) for x in rows),
        "Status": sarr(statuses),
        "Lead Officer": sarr(x["lead"] for x in rows),
    }
    table, counts = mess.deliverables(rng, t)
    _write_csv(out, DELIVERABLES, [table])
    return {DELIVERABLES.file: counts}
