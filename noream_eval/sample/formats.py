"""Text forms of raw values: dates, family references and money, in their variants.

An export writes the same value in several forms (day-first or ISO dates, Excel
serial numbers, "NRPF-00123" or "nrpf 123", "£1,234.50" or "1234.50"); a *kind*
is the index of one form. Near duplicates differ from their record only in kinds.
"""

from __future__ import annotations

import datetime as dt
import functools

import numpy as np

from noream_eval.sample._common import (
    EPOCH,
    NO_DAY,
    SERIAL_OFFSET,
    choose,
    day_of,
    sarr,
    strs,
)

#: Text dates are written day-first (03/04/2021 is 3 April), as in the UK.
DAYFIRST = True
# Date formats in CSV exports: day-first, ISO, Excel serial as text.
_CSV_DATE_PROBS = (0.85, 0.12, 0.03)
# Referral date cells: Excel date, day-first text, d/m/yy text, ISO text, serial number.
XLSX_DATE_PROBS = (0.55, 0.22, 0.03, 0.12, 0.08)
# Cell kinds in the referrals workbook.
CELL_DATE, CELL_NUMBER, CELL_TEXT = 0, 1, 2


@functools.lru_cache(maxsize=1)
def _date_table() -> tuple[int, np.ndarray]:
    """Text forms of every day 1930-2024: day-first, ISO, serial and d/m/yy."""
    lo = day_of("1930-01-01")
    hi = day_of("2024-12-31")
    days = [EPOCH + dt.timedelta(days=d) for d in range(lo, hi + 1)]
    dmy = [f"{d.day:02d}/{d.month:02d}/{d.year}" for d in days]
    iso = [d.isoformat() for d in days]
    serial = [str(k + SERIAL_OFFSET) for k in range(lo, hi + 1)]
    short = [f"{d.day}/{d.month}/{d.year % 100:02d}" for d in days]
    return lo, np.stack([sarr(dmy), sarr(iso), sarr(serial), sarr(short)])


DMY, ISO, SERIAL, SHORT = 0, 1, 2, 3


def fmt_dates(days: np.ndarray, kind: np.ndarray | int = DMY) -> np.ndarray:
    """Format integer days (``NO_DAY`` gives an empty string) in the given text kinds."""
    lo, table = _date_table()
    days = np.asarray(days, dtype=np.int64)
    missing = days == NO_DAY
    idx = np.where(missing, 0, days - lo)
    kinds = np.broadcast_to(np.asarray(kind, dtype=np.int64), days.shape)
    out = table[kinds, idx]
    out[missing] = ""
    return out


def csv_date_kinds(rng: np.random.Generator, n: int) -> np.ndarray:
    return choose(rng, n, _CSV_DATE_PROBS)


def other_date_kind(rng: np.random.Generator, kind: np.ndarray) -> np.ndarray:
    """A different CSV date kind (day-first, ISO or serial) for each element."""
    return (kind + rng.integers(1, 3, len(kind))) % 3


# Family reference variants: canonical "NRPF-00123" and four cosmetic variants.
_REF_CANON, _REF_LOWER_SPACE, _REF_NODASH, _REF_UNPADDED, _REF_SPACES = range(5)
# For each kind, three kinds that always render differently from it.
REF_OTHER = np.array([[1, 2, 4], [0, 2, 4], [0, 1, 4], [1, 2, 4], [0, 1, 2]])


def fmt_refs(nums: np.ndarray, kinds: np.ndarray, width: int) -> np.ndarray:
    """Family references for family numbers in the given variant kinds."""
    plain = strs(nums)
    padded = np.strings.zfill(plain, width)
    out = "NRPF-" + padded
    out = np.where(kinds == _REF_LOWER_SPACE, "nrpf " + plain, out)
    out = np.where(kinds == _REF_NODASH, "NRPF" + padded, out)
    out = np.where(kinds == _REF_UNPADDED, "NRPF-" + plain, out)
    return np.where(kinds == _REF_SPACES, " NRPF-" + padded + " ", out)


def fmt_money(pence: np.ndarray, kind: np.ndarray) -> np.ndarray:
    """Money text. Kinds 0-2 for payments ("£1,234.50", "1234.50", "1,234.50"),
    3-5 for refunds ("(120.00)", "-£120.00", "-120.00")."""
    values, inverse = np.unique(np.asarray(pence, dtype=np.int64), return_inverse=True)
    pounds = [abs(int(v)) / 100 for v in values]
    forms = (
        [f"£{v:,.2f}" for v in pounds],
        [f"{v:.2f}" for v in pounds],
        [f"{v:,.2f}" for v in pounds],
        [f"({v:,.2f})" for v in pounds],
        [f"-£{v:,.2f}" for v in pounds],
        [f"-{v:.2f}" for v in pounds],
    )
    table = np.stack([sarr(f) for f in forms])
    return table[np.asarray(kind, dtype=np.int64), inverse.reshape(-1)]


def money_kinds(rng: np.random.Generator, pence: np.ndarray) -> np.ndarray:
    positive = choose(rng, len(pence), (0.45, 0.4, 0.15))
    negative = 3 + choose(rng, len(pence), (0.5, 0.5, 0.0))
    return np.where(pence < 0, negative, positive)


def other_money_kind(rng: np.random.Generator, kind: np.ndarray) -> np.ndarray:
    base = np.where(kind >= 3, 3, 0)
    return base + (kind - base + rng.integers(1, 3, len(kind))) % 3
