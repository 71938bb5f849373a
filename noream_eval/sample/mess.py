"""The injected mess: duplicates, blank rows, Total rows, variants and bad values.

Each export's clean table (built by :mod:`noream_eval.sample.files`) passes through
one function here, which injects that export's problems at the rates of
:data:`MESS_RATES` and counts them: exact duplicates (right after their record),
near duplicates (cosmetic variants of a record: reference, date or amount format,
case and spacing of codes), blank rows, extra invalid rows (unparseable dates or
amounts, unmatched references), unknown codes and out-of-range scores in clean
rows, Likert-label noise and Total rows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from noream_eval.sample._common import NO_DAY, STR, Table, sarr, take
from noream_eval.sample.formats import CELL_TEXT, REF_OTHER, other_date_kind, other_money_kind
from noream_eval.sample.vocab import DOMAIN_HEADERS, SWEMWBS_ITEMS, TIMEPOINT_DA

__all__ = [
    "MESS_RATES",
    "REF_VARIANT_SHARE",
    "TBC",
    "TOTAL",
    "bad_amounts",
    "contacts",
    "contacts_file",
    "cosmetic",
    "deliverables",
    "domain_assessments",
    "families",
    "likert_cells",
    "meetings",
    "messy_list",
    "out_of_range_scores",
    "payments",
    "payments_file",
    "payments_total",
    "ref_kinds",
    "referrals",
    "referrals_total",
    "staff_survey",
    "tally",
    "wellbeing_survey",
]

Render = Callable[[Table], Table]
Near = Callable[[np.random.Generator, Table], Table]
Counts = dict[str, int]

#: Injected data problems: the share of rows (or cells) affected, by file kind.
MESS_RATES: dict[str, dict[str, float]] = {
    "referrals": {
        "exact_duplicates": 0.015,
        "near_duplicates": 0.015,
        "blank_rows": 0.01,
        "unparseable_dates": 0.007,
        "unknown_codes": 0.01,
    },
    "families": {
        "exact_duplicates": 0.015,
        "near_duplicates": 0.015,
        "blank_rows": 0.01,
        "unparseable_dates": 0.01,
        "unknown_codes": 0.01,
    },
    "payments": {
        "exact_duplicates": 0.01,
        "near_duplicates": 0.01,
        "blank_rows": 0.005,
        "unparseable_dates": 0.003,
        "unparseable_amounts": 0.003,
        "unmatched_refs": 0.003,
        "unknown_codes": 0.005,
    },
    "domain_assessments": {
        "exact_duplicates": 0.015,
        "near_duplicates": 0.015,
        "blank_rows": 0.01,
        "unparseable_dates": 0.01,
        "out_of_range_scores": 0.005,
    },
    "wellbeing_survey": {
        "exact_duplicates": 0.015,
        "near_duplicates": 0.01,
        "blank_rows": 0.01,
        "likert_noise": 0.06,
    },
    "staff_survey": {
        "exact_duplicates": 0.01,
        "near_duplicates": 0.01,
        "blank_rows": 0.01,
        "likert_noise": 0.06,
    },
    "meetings": {"exact_duplicates": 0.01, "near_duplicates": 0.01, "blank_rows": 0.01},
    "contacts": {
        "exact_duplicates": 0.015,
        "near_duplicates": 0.01,
        "blank_rows": 0.01,
        "unparseable_dates": 0.005,
        "unmatched_refs": 0.003,
        "unknown_codes": 0.01,
    },
    "deliverables": {"exact_duplicates": 0.01, "blank_rows": 0.01},
}

#: Share of rows whose family reference is written in a non-canonical variant.
REF_VARIANT_SHARE = 0.08
#: The date cell of a record whose date is not known yet.
TBC = "TBC"
_BAD_DATES = ("31/02/2021", TBC, "30/02/2022")
_BAD_AMOUNT = "N/A"
_OUT_OF_RANGE_SCORES = (0, 6, 9)
#: First cell of a Total row.
TOTAL = "Total"
# Codes no value map knows (written into clean rows as "unknown codes").
_UNKNOWN_SOURCES = ("Walk-in", "MP enquiry", "Councillor")
_UNKNOWN_PAYMENT_TYPES = ("Voucher", "Supermarket vouchers")
_UNKNOWN_IMMIGRATION = ("Dependant visa", "Awaiting HO decision (unclear)")
_UNKNOWN_CONTACT_TYPES = ("Text message", "Letter", "WhatsApp")


# --------------------------------------------------------------------- mechanics


def _count(rate: float, n: int) -> int:
    """Number of rows to affect: ``round(rate * n)``, at least one when ``n > 0``."""
    if rate <= 0 or n <= 0:
        return 0
    return max(1, round(rate * n))


def cosmetic(rng: np.random.Generator, values: np.ndarray) -> np.ndarray:
    """Change case or spacing of every value (never leaves a value unchanged)."""
    n = len(values)
    if n == 0:
        return values.copy()
    kind = rng.integers(0, 4, n)
    upper = np.strings.upper(values)
    lower = np.strings.lower(values)
    out = np.where(kind == 0, upper, lower)
    out = np.where(kind == 2, " " + values + " ", out)
    out = np.where(kind == 3, values + "  ", out)
    unchanged = out == values
    return np.where(unchanged, " " + values, out)


def ref_kinds(rng: np.random.Generator, n: int, share: float = REF_VARIANT_SHARE) -> np.ndarray:
    """Reference kinds of ``n`` rows: canonical, or a non-canonical variant in ``share``."""
    kinds = np.zeros(n, dtype=np.int64)
    variant = rng.random(n) < share
    kinds[variant] = rng.integers(1, 5, int(variant.sum()))
    return kinds


def messy_list(rng: np.random.Generator, items: list[str], sep: str) -> str:
    """A list joined by ``sep``, with inconsistent spacing and case."""
    out = []
    for item in items:
        u = rng.random()
        if u < 0.12:
            item = item.lower()
        elif u < 0.18:
            item = item.upper()
        if rng.random() < 0.3:
            item = " " + item
        if rng.random() < 0.3:
            item = item + " "
        out.append(item)
    return sep.join(out)


def likert_cells(
    rng: np.random.Generator, values: np.ndarray, labels: Sequence[str], rate: float
) -> tuple[list[np.ndarray], int]:
    """Item columns as text labels (0 = blank), with case/space noise in a share of cells."""
    _, k = values.shape
    lab = sarr(("", *labels))
    cols = [lab[values[:, j]] for j in range(k)]
    filled = np.flatnonzero((values > 0).reshape(-1))
    n_noise = _count(rate, len(filled))
    cells = rng.choice(filled, n_noise, replace=False) if n_noise else np.zeros(0, np.int64)
    rows, colidx = np.divmod(cells, k)
    for j in range(k):
        sel = rows[colidx == j]
        cols[j][sel] = cosmetic(rng, cols[j][sel])
    return cols, n_noise


def _cat(parts: Sequence[Table]) -> Table:
    keys = parts[0].keys()
    return {k: np.concatenate([p[k] for p in parts]) for k in keys}


def _blank_rows(t: Table, n: int) -> Table:
    out: Table = {}
    for k, v in t.items():
        if v.dtype == STR:
            out[k] = np.full(n, "", dtype=STR)
        else:
            out[k] = np.zeros(n, dtype=v.dtype)
    out["_blank"] = np.ones(n, dtype=bool)
    return out


def _assemble(
    rng: np.random.Generator,
    clean: Table,
    rates: dict[str, float],
    render: Render,
    near: Near | None,
    extras: Sequence[tuple[str, Table]] = (),
) -> tuple[Table, Counts]:
    """Add exact and near duplicates, blank rows and extra (invalid) rows to a clean table.

    Exact duplicates follow their original row; near duplicates, extra rows and blank
    rows are placed at random positions (blank rows never first or last).
    """
    n = len(clean["_blank"])
    rendered = render(clean)
    parts, keys = [rendered], [np.arange(n, dtype=float)]
    counts = {"clean_rows": n}
    n_exact = _count(rates.get("exact_duplicates", 0.0), n)
    idx = np.sort(rng.choice(n, n_exact, replace=False)) if n_exact else np.zeros(0, np.int64)
    parts.append(take(rendered, idx))
    keys.append(idx + 0.5)
    counts["exact_duplicates"] = n_exact
    n_near = _count(rates.get("near_duplicates", 0.0), n) if near is not None else 0
    if n_near:
        idx = rng.choice(n, n_near, replace=False)
        parts.append(render(near(rng, take(clean, idx))))
        keys.append(rng.uniform(0, n, n_near))
    counts["near_duplicates"] = n_near
    for name, extra in extras:
        k = len(extra["_blank"])
        counts[name] = counts.get(name, 0) + k
        parts.append(extra)
        keys.append(rng.uniform(0, n, k))
    n_blank = _count(rates.get("blank_rows", 0.0), n) if n >= 2 else 0
    if n_blank:
        parts.append(_blank_rows(rendered, n_blank))
        keys.append(rng.uniform(1, n - 1, n_blank))
    counts["blank_rows"] = n_blank
    out = _cat(parts)
    order = np.argsort(np.concatenate(keys), kind="stable")
    return take(out, order), counts


def _extra_rows(rng: np.random.Generator, rendered: Table, k: int) -> Table:
    n = len(rendered["_blank"])
    if n == 0 or k == 0:
        return take(rendered, np.zeros(0, dtype=np.int64))
    return take(rendered, rng.integers(0, n, k))


def _typo_numbers(
    rng: np.random.Generator, nums: np.ndarray, all_numbers: np.ndarray
) -> np.ndarray:
    """Mistyped family numbers that match no family."""
    out = nums.copy()
    todo = np.ones(len(out), dtype=bool)
    for _ in range(50):
        if not todo.any():
            break
        k = int(todo.sum())
        cand = nums[todo] + rng.choice([-1, 1], k) * rng.integers(1, 10, k) * 10 ** rng.integers(
            0, 3, k
        )
        cand = np.where(rng.random(k) < 0.3, nums[todo] * 10 + rng.integers(0, 10, k), cand)
        good = (cand > 0) & ~np.isin(cand, all_numbers)
        pos = np.flatnonzero(todo)
        out[pos[good]] = cand[good]
        todo[pos[good]] = False
    out[todo] = all_numbers.max() + 1000 + np.arange(int(todo.sum()))
    return out


def _no_invalid_no_total(counts: Counts) -> Counts:
    counts["invalid_rows"] = 0
    counts["total_rows"] = 0
    return counts


# ------------------------------------------------------------------- per export


def _near_families(r: np.random.Generator, x: Table) -> Table:
    x = dict(x)
    x["_ref"] = REF_OTHER[x["_ref"], r.integers(0, 3, len(x["_ref"]))]
    x["_fckind"] = other_date_kind(r, x["_fckind"])
    x["Cohort"] = cosmetic(r, x["Cohort"])
    return x


def families(rng: np.random.Generator, t: Table, render: Render) -> tuple[Table, Counts]:
    """Mess of ``families.csv``: unknown immigration codes and "TBC" closure dates in
    clean rows (flagged in ``_tbc`` for the renderer), duplicates and blank rows."""
    n = len(t["_blank"])
    rates = MESS_RATES["families"]
    # Unknown immigration codes and "TBC" closure dates are written into clean rows.
    k_unknown = _count(rates["unknown_codes"], n)
    u_idx = rng.choice(n, k_unknown, replace=False)
    t["Immigration Status"][u_idx] = sarr(_UNKNOWN_IMMIGRATION)[rng.integers(0, 2, k_unknown)]
    open_rows = np.flatnonzero(t["_ex"] == NO_DAY)
    k_tbc = min(_count(rates["unparseable_dates"], n), len(open_rows))
    tbc = rng.choice(open_rows, k_tbc, replace=False)
    t["_tbc"] = np.zeros(n, dtype=bool)
    t["_tbc"][tbc] = True
    table, counts = _assemble(rng, t, rates, render, _near_families)
    counts["unknown_codes"] = k_unknown
    counts["unparseable_dates"] = k_tbc
    return table, _no_invalid_no_total(counts)


def _near_referrals(r: np.random.Generator, x: Table) -> Table:
    x = dict(x)
    x["_ref"] = REF_OTHER[x["_ref"], r.integers(0, 3, len(x["_ref"]))]
    x["_datekind"] = (x["_datekind"] + r.integers(1, 5, len(x["_ref"]))) % 5
    which = r.random(len(x["_ref"])) < 0.5
    x["Referral Source"] = np.where(which, cosmetic(r, x["Referral Source"]), x["Referral Source"])
    x["Referral Outcome"] = np.where(
        ~which, cosmetic(r, x["Referral Outcome"]), x["Referral Outcome"]
    )
    return x


def referrals(
    rng: np.random.Generator, t: Table, render: Render, next_id: list[int]
) -> tuple[Table, Counts]:
    """Mess for one site's referrals workbook: referrals with unparseable dates (new
    referral numbers from ``next_id``), unknown sources, duplicates, blank rows and the
    Total row."""
    rates = MESS_RATES["referrals"]
    n = len(t["_blank"])
    k_bad = _count(rates["unparseable_dates"], n)
    bad = _extra_rows(rng, t, k_bad)
    bad["_id"] = next_id[0] + np.arange(len(bad["_id"]))
    next_id[0] += len(bad["_id"])
    bad = render(bad)
    bad["Date of Referral"] = sarr(_BAD_DATES)[rng.integers(0, 3, len(bad["_id"]))]
    bad["_cell:Date of Referral"] = np.full(len(bad["_id"]), CELL_TEXT)
    # Unknown codes go into clean rows only (after the extra rows were copied).
    k_unknown = _count(rates["unknown_codes"], n)
    t = dict(t)
    t["Referral Source"] = t["Referral Source"].copy()
    u_idx = rng.choice(n, k_unknown, replace=False) if k_unknown else np.zeros(0, np.int64)
    t["Referral Source"][u_idx] = sarr(_UNKNOWN_SOURCES)[rng.integers(0, 3, k_unknown)]
    table, counts = _assemble(rng, t, rates, render, _near_referrals, [("unparseable_dates", bad)])
    counts["unknown_codes"] = k_unknown
    counts["invalid_rows"] = counts.get("unparseable_dates", 0)
    counts.setdefault("unparseable_dates", 0)
    counts["total_rows"] = 1
    return table, counts


def referrals_total(table: Table) -> tuple[str, float]:
    """The Total row of a referrals workbook: its label and the number of data rows."""
    blank = table["_blank"]
    return TOTAL, float(len(blank) - int(blank.sum()))


def _near_payments(r: np.random.Generator, x: Table) -> Table:
    x = dict(x)
    k = len(x["_ref"])
    x["_ref"] = REF_OTHER[x["_ref"], r.integers(0, 3, k)]
    x["_amtkind"] = other_money_kind(r, x["_amtkind"])
    x["_datekind"] = np.where(r.random(k) < 0.5, other_date_kind(r, x["_datekind"]), x["_datekind"])
    x["Budget Code"] = np.where(r.random(k) < 0.5, cosmetic(r, x["Budget Code"]), x["Budget Code"])
    return x


def payments(
    rng: np.random.Generator,
    t: Table,
    render: Render,
    next_id: list[int],
    all_numbers: np.ndarray,
) -> tuple[Table, Counts]:
    """Mess for one site's part of ``payments.csv``: payments with unparseable dates or
    amounts and with mistyped family numbers (new transaction IDs from ``next_id``),
    unknown payment types, duplicates and blank rows (``_bad_amount`` flags the rows
    the renderer writes as "N/A")."""
    rates = MESS_RATES["payments"]
    n = len(t["_blank"])

    def extra(k: int) -> Table:
        x = _extra_rows(rng, t, k)
        x["_id"] = next_id[0] + np.arange(len(x["_id"]))
        next_id[0] += len(x["_id"])
        return x

    bad_date = render(extra(_count(rates["unparseable_dates"], n)))
    bad_date["Date Paid"] = sarr(_BAD_DATES)[rng.integers(0, 3, len(bad_date["_id"]))]
    bad_amount = extra(_count(rates["unparseable_amounts"], n))
    bad_amount["_bad_amount"] = np.ones(len(bad_amount["_id"]), dtype=bool)
    bad_amount = render(bad_amount)
    typo = extra(_count(rates["unmatched_refs"], n))
    typo["_num"] = _typo_numbers(rng, typo["_num"], all_numbers)
    typo = render(typo)
    # Unknown codes go into clean rows only (after the extra rows were copied).
    t = dict(t)
    k_unknown = _count(rates["unknown_codes"], n)
    u_idx = rng.choice(n, k_unknown, replace=False) if k_unknown else np.zeros(0, np.int64)
    t["Payment Type"] = t["Payment Type"].copy()
    t["Payment Type"][u_idx] = sarr(_UNKNOWN_PAYMENT_TYPES)[rng.integers(0, 2, k_unknown)]
    table, counts = _assemble(
        rng,
        t,
        rates,
        render,
        _near_payments,
        [
            ("unparseable_dates", bad_date),
            ("unparseable_amounts", bad_amount),
            ("unmatched_refs", typo),
        ],
    )
    counts["unknown_codes"] = k_unknown
    return table, counts


def bad_amounts(amounts: np.ndarray, bad: np.ndarray) -> np.ndarray:
    """Amount cells with the unparseable amount written where ``bad`` is set."""
    return np.where(bad, _BAD_AMOUNT, amounts)


def payments_total(header: Sequence[str], amount_column: str, total_pence: int) -> list[str]:
    """The Total row of ``payments.csv``: the sum of every parseable amount above it,
    as a spreadsheet SUM would give."""
    cells = [""] * len(header)
    cells[0] = TOTAL
    cells[list(header).index(amount_column)] = f"£{total_pence / 100:,.2f}"
    return cells


def payments_file(counts: Counts) -> Counts:
    """Counts of the whole ``payments.csv`` from its sites' counts (summed)."""
    counts["total_rows"] = 1
    counts["invalid_rows"] = (
        counts.get("unparseable_dates", 0)
        + counts.get("unparseable_amounts", 0)
        + counts.get("unmatched_refs", 0)
    )
    return counts


def out_of_range_scores(rng: np.random.Generator, scores: np.ndarray) -> tuple[np.ndarray, int]:
    """Domain scores (rows x domains) with a share of cells set outside the scale."""
    m = len(scores)
    k = scores.shape[1]
    scores = scores.copy()
    k_oor = _count(MESS_RATES["domain_assessments"]["out_of_range_scores"], m * k)
    cells = rng.choice(m * k, k_oor, replace=False) if m else np.zeros(0, np.int64)
    scores.reshape(-1)[cells] = np.array(_OUT_OF_RANGE_SCORES)[rng.integers(0, 3, k_oor)]
    return scores, k_oor


def _near_domains(r: np.random.Generator, x: Table) -> Table:
    x = dict(x)
    k = len(x["_ref"])
    x["_ref"] = REF_OTHER[x["_ref"], r.integers(0, 3, k)]
    x["_datekind"] = np.where(r.random(k) < 0.5, other_date_kind(r, x["_datekind"]), x["_datekind"])
    x["Review Point"] = cosmetic(r, x["Review Point"])
    return x


def domain_assessments(
    rng: np.random.Generator, t: Table, render: Render, k_oor: int
) -> tuple[Table, Counts]:
    """Mess of ``domain_assessments.csv``: planned reviews with no date yet ("TBC") and
    no scores, duplicates and blank rows (``k_oor`` out-of-range scores were injected
    by :func:`out_of_range_scores`)."""
    rates = MESS_RATES["domain_assessments"]
    m = len(t["_blank"])
    # Planned reviews with no date yet ("TBC") and no scores.
    k_bad = _count(rates["unparseable_dates"], m)
    bad = render(_extra_rows(rng, t, k_bad))
    kb = len(bad["_num"])
    bad["Assessment Date"] = np.full(kb, TBC, dtype=STR)
    bad["Review Point"] = sarr(TIMEPOINT_DA["review"][0])[rng.integers(0, 2, kb)]
    for header in DOMAIN_HEADERS.values():
        bad[header] = np.full(kb, "", dtype=STR)
    table, counts = _assemble(rng, t, rates, render, _near_domains, [("unparseable_dates", bad)])
    counts["out_of_range_scores"] = k_oor
    counts["invalid_rows"] = counts["unparseable_dates"]
    counts["total_rows"] = 0
    return table, counts


def _near_wellbeing(rr: np.random.Generator, x: Table) -> Table:
    x = dict(x)
    k = len(x["_ref"])
    x["_ref"] = REF_OTHER[x["_ref"], rr.integers(0, 3, k)]
    j = rr.integers(0, len(SWEMWBS_ITEMS), k)
    for jj, header in enumerate(SWEMWBS_ITEMS):
        sel = (j == jj) & (x[header] != "")
        x[header] = x[header].copy()
        x[header][sel] = cosmetic(rr, x[header][sel])
    return x


def wellbeing_survey(
    rng: np.random.Generator, t: Table, render: Render, n_noise: int, items: np.ndarray
) -> tuple[Table, Counts]:
    """Mess of ``wellbeing_survey.csv``: duplicates and blank rows (``n_noise`` Likert
    cells were made noisy by :func:`likert_cells`); also counts the blank items of the
    clean completions (``items``, 0 = blank)."""
    table, counts = _assemble(rng, t, MESS_RATES["wellbeing_survey"], render, _near_wellbeing)
    counts["likert_noisy_cells"] = n_noise
    counts["blank_items"] = int((items == 0).sum())
    counts["incomplete_completions"] = int((items == 0).any(axis=1).sum())
    return table, _no_invalid_no_total(counts)


def _near_staff(rr: np.random.Generator, x: Table) -> Table:
    x = dict(x)
    x["Job Role"] = cosmetic(rr, x["Job Role"])
    return x


def staff_survey(rng: np.random.Generator, t: Table, n_noise: int) -> tuple[Table, Counts]:
    """Mess of ``staff_survey.csv``: duplicates and blank rows (``n_noise`` Likert cells
    were made noisy by :func:`likert_cells`)."""
    table, counts = _assemble(rng, t, MESS_RATES["staff_survey"], dict, _near_staff)
    counts["likert_noisy_cells"] = n_noise
    return table, _no_invalid_no_total(counts)


def _near_meetings(rr: np.random.Generator, x: Table) -> Table:
    x = dict(x)
    x["_datekind"] = other_date_kind(rr, x["_datekind"])
    x["Meeting Type"] = cosmetic(rr, x["Meeting Type"])
    return x


def meetings(rng: np.random.Generator, t: Table, render: Render) -> tuple[Table, Counts]:
    """Mess of ``meetings.csv``: duplicates and blank rows."""
    table, counts = _assemble(rng, t, MESS_RATES["meetings"], render, _near_meetings)
    return table, _no_invalid_no_total(counts)


def _near_contacts(rr: np.random.Generator, x: Table) -> Table:
    x = dict(x)
    k = len(x["_ref"])
    x["_ref"] = REF_OTHER[x["_ref"], rr.integers(0, 3, k)]
    x["_datekind"] = other_date_kind(rr, x["_datekind"])
    x["Worker Role"] = np.where(
        rr.random(k) < 0.5, cosmetic(rr, x["Worker Role"]), x["Worker Role"]
    )
    return x


def contacts(
    rng: np.random.Generator,
    t: Table,
    render: Render,
    next_id: list[int],
    all_numbers: np.ndarray,
) -> tuple[Table, Counts]:
    """Mess for one site's part of ``contacts.csv``: contacts with unparseable dates and
    with mistyped family numbers (new contact IDs from ``next_id``), contact types no
    value map knows, duplicates and blank rows."""
    rates = MESS_RATES["contacts"]
    n = len(t["_blank"])

    def extra(k: int) -> Table:
        x = _extra_rows(rng, t, k)
        x["_id"] = next_id[0] + np.arange(len(x["_id"]))
        next_id[0] += len(x["_id"])
        return x

    bad_date = render(extra(_count(rates["unparseable_dates"], n)))
    bad_date["Contact Date"] = sarr(_BAD_DATES)[rng.integers(0, 3, len(bad_date["_id"]))]
    typo = extra(_count(rates["unmatched_refs"], n))
    typo["_num"] = _typo_numbers(rng, typo["_num"], all_numbers)
    typo = render(typo)
    # Unknown codes go into clean rows only (after the extra rows were copied).
    t = dict(t)
    k_unknown = _count(rates["unknown_codes"], n)
    u_idx = rng.choice(n, k_unknown, replace=False) if k_unknown else np.zeros(0, np.int64)
    t["Contact Type"] = t["Contact Type"].copy()
    t["Contact Type"][u_idx] = sarr(_UNKNOWN_CONTACT_TYPES)[rng.integers(0, 3, k_unknown)]
    table, counts = _assemble(
        rng,
        t,
        rates,
        render,
        _near_contacts,
        [("unparseable_dates", bad_date), ("unmatched_refs", typo)],
    )
    counts["unknown_codes"] = k_unknown
    return table, counts


def contacts_file(counts: Counts) -> Counts:
    """Counts of the whole ``contacts.csv`` from its sites' counts (summed)."""
    counts["total_rows"] = 0
    counts["invalid_rows"] = counts.get("unparseable_dates", 0) + counts.get("unmatched_refs", 0)
    return counts


def deliverables(rng: np.random.Generator, t: Table) -> tuple[Table, Counts]:
    """Mess of ``deliverables.csv``: exact duplicates and blank rows."""
    table, counts = _assemble(rng, t, MESS_RATES["deliverables"], dict, None)
    return table, _no_invalid_no_total(counts)


def tally(counts: dict[str, Counts]) -> dict[str, dict[str, Any]]:
    """Per-file counts with ``rows_written`` (every data row below the header), sorted.

    ``rows_written = clean_rows + exact_duplicates + near_duplicates + blank_rows +
    total_rows + invalid_rows``.
    """
    out: dict[str, dict[str, Any]] = {}
    for name, c in counts.items():
        c.setdefault("invalid_rows", 0)
        c.setdefault("total_rows", 0)
        c["rows_written"] = (
            c["clean_rows"]
            + c["exact_duplicates"]
            + c["near_duplicates"]
            + c["blank_rows"]
            + c["total_rows"]
            + c["invalid_rows"]
        )
        out[name] = dict(sorted(c.items()))
    return out
