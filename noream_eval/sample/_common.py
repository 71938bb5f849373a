"""Small helpers shared by the sample generator's modules: days, string arrays, draws.

Dates are held as integer days since 1970-01-01 (:data:`NO_DAY` means "no date");
text columns are NumPy ``StringDType`` arrays; a *table* is a dict of equal-length
arrays, keyed by raw header (hidden helper columns start with ``_``).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Sequence

import numpy as np

from noream_eval.config import Instrument, load_instruments
from noream_eval.schema import LEVELS

#: NumPy string dtype of every text column.
STR = np.dtypes.StringDType()
EPOCH = dt.date(1970, 1, 1)
NO_DAY = -(10**6)  # "no date" in the integer day arrays
SERIAL_OFFSET = 25569  # Excel serial number of 1970-01-01

#: A table of the generator: column name -> array, all of one length.
Table = dict[str, np.ndarray]
#: Raw code variants: canonical level -> (raw variants, probabilities).
Variants = dict[str, tuple[tuple[str, ...], tuple[float, ...]]]


def day_of(text: str) -> int:
    """Day number of an ISO date (``YYYY-MM-DD``)."""
    return (dt.date.fromisoformat(text) - EPOCH).days


def sarr(values: Iterable[str]) -> np.ndarray:
    """A string array of ``values``."""
    return np.array(list(values), dtype=STR)


def strs(values: np.ndarray) -> np.ndarray:
    """Integers as decimal strings (vectorised)."""
    return np.asarray(values, dtype=np.int64).astype(STR)


def choose(rng: np.random.Generator, n: int, probs: Sequence[float]) -> np.ndarray:
    """``n`` indices drawn with the given (unnormalised) probabilities."""
    p = np.asarray(probs, dtype=float)
    return rng.choice(len(p), size=n, p=p / p.sum()).astype(np.int64)


def raw_codes(
    rng: np.random.Generator, canonical: np.ndarray, levels: Sequence[str], variants: Variants
) -> np.ndarray:
    """Raw code strings for canonical level indices, each drawn among its variants."""
    out = np.full(len(canonical), "", dtype=STR)
    for i, level in enumerate(levels):
        mask = canonical == i
        k = int(mask.sum())
        if k == 0:
            continue
        raw, probs = variants[level]
        out[mask] = sarr(raw)[choose(rng, k, probs)]
    return out


def level_codes(name: str) -> dict[str, int]:
    """Integer code of each canonical level of ``LEVELS[name]``, in schema order."""
    return {level: i for i, level in enumerate(LEVELS[name])}


@functools.cache
def instrument(name: str) -> Instrument:
    """A questionnaire of the instrument registry (``noream_eval/instruments.toml``)."""
    return load_instruments()[name]


def answer_labels(name: str) -> tuple[str, ...]:
    """An instrument's answer labels in score order, from ``item_min`` to ``item_max``."""
    inst = instrument(name)
    by_score = {score: label for label, score in inst.anchors.items()}
    return tuple(by_score[s] for s in range(inst.item_min, inst.item_max + 1))


def take(t: Table, idx: np.ndarray) -> Table:
    """The rows ``idx`` of a table."""
    return {k: v[idx] for k, v in t.items()}
