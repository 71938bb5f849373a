"""Pseudonymisation of references, keys, and age bands from dates of birth.

References to families, people and records are replaced by a keyed hash
(HMAC-SHA256 truncated to 16 hex digits, behind a letter naming the kind of
reference) so that the same reference always
gets the same pseudonym under one key and nobody without the key can reverse
or recompute it. The key comes from the ``NOREAM_EVAL_KEY`` environment
variable or from a key file named in the config; it is never written out: only
a fingerprint is, so two runs can be shown to have used the same key.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from noream_eval._arrow import arrow_strings, fixed_width_strings, utf8_buffers
from noream_eval.errors import KeyMissingError

__all__ = [
    "ENV_KEY",
    "Pseudonymiser",
    "age_band",
    "load_key",
]

#: Environment variable holding the pseudonymisation key.
ENV_KEY = "NOREAM_EVAL_KEY"
_MIN_KEY_BYTES = 16


def load_key(key_file: Path | None = None) -> bytes:
    """Return the pseudonymisation key.

    ``NOREAM_EVAL_KEY`` takes precedence over ``key_file``.

    Parameters
    ----------
    key_file
        File whose stripped content is the key.

    Returns
    -------
    bytes

    Raises
    ------
    KeyMissingError
        If neither is set, the file cannot be read, or the key is shorter
        than 16 bytes.
    """
    text = os.environ.get(ENV_KEY)
    where = f"the {ENV_KEY} environment variable"
    if not text:
        if key_file is None:
            raise KeyMissingError(
                f"No pseudonymisation key: set {ENV_KEY} or name a key file with "
                "key_file = '...' in [evaluation] of the config. Keep the key secret and "
                "use the same key for every run of one evaluation."
            )
        try:
            text = Path(key_file).read_text("utf-8-sig")
        except OSError:
            raise KeyMissingError(
                f"The key file {Path(key_file).name} named in the config cannot be read "
                f"(looked for {key_file}). Create it or set {ENV_KEY}."
            ) from None
        where = f"the key file {Path(key_file).name}"
    key = text.strip().encode("utf-8")
    if len(key) < _MIN_KEY_BYTES:
        raise KeyMissingError(
            f"The key in {where} is {len(key)} bytes long; use at least {_MIN_KEY_BYTES} "
            "random characters."
        )
    return key


@dataclass(frozen=True, repr=False)
class Pseudonymiser:
    """Keyed hashing of references.

    Parameters
    ----------
    key
        The secret key (never printed: ``repr`` shows the fingerprint only).

    Examples
    --------
    >>> p = Pseudonymiser(b"an example key, not a secret one")
    >>> p.hash_values(pd.Series(["NRPF123", "NRPF123", None]), domain="family").tolist()
    ['f8b288794239ca7ae', 'f8b288794239ca7ae', nan]
    """

    key: bytes

    @property
    def fingerprint(self) -> str:
        """A short public fingerprint of the key (SHA-256 of a labelled key)."""
        return hashlib.sha256(b"noream-eval key fingerprint\x00" + self.key).hexdigest()[:16]

    def __repr__(self) -> str:
        return f"Pseudonymiser(fingerprint={self.fingerprint!r})"

    def hash_one(self, value: str, *, domain: str) -> str:
        """Pseudonym of one normalised reference in a namespace (``family``, ``referral``...)."""
        digest = hmac.digest(self.key, f"{domain}\x00{value}".encode(), "sha256")
        return domain[0] + digest[:8].hex()

    def hash_values(self, values: pd.Series, *, domain: str) -> pd.Series:
        """Pseudonymise a Series of normalised references (missing stays missing).

        Parameters
        ----------
        values
            Normalised references (any dtype; compared as text). A categorical
            Series is hashed one category at a time.
        domain
            Namespace (``family``, ``payment``, ...); its first letter prefixes
            the pseudonym.

        Returns
        -------
        pandas.Series
            Same index; missing where ``values`` is missing. A categorical of
            pseudonyms (same codes) for a categorical input, else ``str`` dtype.

        Notes
        -----
        Equal to :meth:`hash_one` value by value. A column whose values repeat
        is hashed once per distinct value; a column of (nearly) distinct values,
        such as a national ledger's eleven million transaction IDs, is hashed row
        by row without first finding its distinct values. More than
        :data:`PARALLEL_MIN` values are hashed in worker processes, one per core.
        No Python object is made per value: text goes to the HMAC through Arrow
        buffers and the hex pseudonyms come back as an Arrow string array.
        """
        import pyarrow as pa
        import pyarrow.compute as pc

        if isinstance(values.dtype, pd.CategoricalDtype):
            cats = _pseudonyms(self.key, domain, values.cat.categories)
            return pd.Series(
                pd.Categorical.from_codes(
                    values.cat.codes.to_numpy(), dtype=fast_categories(cats), validate=False
                ),
                index=values.index,
                name=values.name,
            )
        text = values if pd.api.types.is_string_dtype(values.dtype) else values.astype("str")
        arr = arrow_strings(text)
        if _repeats(arr):
            codes, uniques = pd.factorize(pd.Series(pd.arrays.ArrowStringArray(arr)))
            hashed = arrow_strings(_pseudonyms(self.key, domain, uniques))
            taken = hashed.take(pa.array(codes, mask=codes < 0))
        else:
            taken = arrow_strings(_pseudonyms(self.key, domain, arr))
            if arr.null_count:
                taken = pc.if_else(arr.is_null(), pa.scalar(None, taken.type), taken)
        out = pd.Series(pd.arrays.ArrowStringArray(taken), index=values.index, name=values.name)
        return out.astype("str")


#: Values above which pseudonyms are computed in worker processes.
PARALLEL_MIN = 400_000


def _repeats(arr: object, sample: int = 100_000) -> bool:
    """Whether finding the distinct values first saves work (they repeat often)."""
    import pyarrow.compute as pc

    head = arr.slice(0, sample)  # type: ignore[attr-defined]
    if len(head) < 1000:
        return True
    return pc.count_distinct(head).as_py() < 0.7 * len(head)


def fast_categories(categories: object) -> pd.CategoricalDtype:
    """A CategoricalDtype of categories known to be distinct, without checking them again.

    pandas verifies that categories are unique on every construction, which
    hashes every category: seconds for the millions of distinct references of
    a national export. Callers pass categories produced by ``factorize`` (or a
    keyed hash of such), which are distinct by construction.
    """
    index = pd.Index(categories)
    fast = getattr(pd.CategoricalDtype, "_from_fastpath", None)
    if fast is None:  # pragma: no cover - a pandas without the fast path
        return pd.CategoricalDtype(index)
    return fast(index, False)


def _pseudonyms(key: bytes, domain: str, values: object) -> pd.Index:
    """``domain[0]`` + 16 hex digits of HMAC-SHA256(key, domain NUL value), per value.

    Returns an Arrow-backed string Index (no Python object per value).
    """
    from noream_eval.ingest._hmac import digests

    blob, offsets = utf8_buffers(arrow_strings(values))
    n = len(offsets) - 1
    label = f"{domain}\x00".encode()
    workers = min(os.cpu_count() or 1, 8)
    raw = None
    if n >= PARALLEL_MIN and workers > 1:
        raw = _digests_in_workers(key, label, blob, offsets, workers)
    if raw is None:
        raw = digests(key, label, blob, offsets)
    digest = np.frombuffer(raw, dtype=np.uint8).reshape(n, 8)
    chars = np.empty((n, 17), dtype=np.uint8)
    chars[:, 0] = ord(domain[0])
    chars[:, 1::2] = _HEX[digest >> 4]
    chars[:, 2::2] = _HEX[digest & 15]
    return pd.Index(pd.arrays.ArrowStringArray(fixed_width_strings(chars)))


_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)


def _digests_in_workers(
    key: bytes, label: bytes, blob: memoryview, offsets: np.ndarray, workers: int
) -> bytes | None:
    """The same digests computed by ``workers`` child processes (None if one fails).

    Each child is ``python -m noream_eval.ingest._hmac`` fed through a pipe (the
    key never appears on a command line or in the environment); its share of the
    values is written from views of the buffers, without copying them.
    """
    import concurrent.futures as cf
    import subprocess
    import sys

    n = len(offsets) - 1
    bounds = np.linspace(0, n, workers + 1).astype(int)

    def run(a: int, b: int) -> bytes | None:
        part = offsets[a : b + 1]
        chunk = blob[int(part[0]) : int(part[-1])]
        rel = part - part[0]
        payload = [key, label, chunk, memoryview(rel).cast("B")]
        head = np.array([len(x) for x in payload], dtype=np.int64).tobytes()
        try:
            proc = subprocess.Popen(
                [sys.executable, "-m", "noream_eval.ingest._hmac"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
            )
        except OSError:
            return None
        try:
            assert proc.stdin is not None and proc.stdout is not None
            for piece in (head, *payload):
                proc.stdin.write(piece)
            proc.stdin.close()
            out = proc.stdout.read()
        except OSError:
            proc.kill()
            out = b""
        ok = proc.wait() == 0 and len(out) == 8 * (b - a)
        return out if ok else None

    with cf.ThreadPoolExecutor(workers) as pool:
        parts = list(pool.map(run, bounds[:-1], bounds[1:]))
    if any(p is None for p in parts):
        return None
    return b"".join(p for p in parts if p is not None)


_BANDS = ((0, 4, "0-4"), (5, 10, "5-10"), (11, 15, "11-15"), (16, 17, "16-17"))


def age_band(dob: pd.Series, at: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Age bands (0-4, 5-10, 11-15, 16-17) of children born on ``dob`` at dates ``at``.

    Parameters
    ----------
    dob, at
        ``datetime64`` Series on the same index.

    Returns
    -------
    bands : pandas.Series
        Band label, or missing where ``dob`` or ``at`` is missing or the age is
        outside 0-17.
    bad : pandas.Series
        True where both dates are present but the age is not that of a child
        (born after ``at`` or aged 18 or over).

    Examples
    --------
    >>> dob = pd.to_datetime(pd.Series(["2015-06-01", "2020-01-01"]))
    >>> at = pd.to_datetime(pd.Series(["2021-05-31", "2021-01-01"]))
    >>> age_band(dob, at)[0].tolist()
    ['5-10', '0-4']
    """
    years = at.dt.year - dob.dt.year
    before_birthday = (at.dt.month < dob.dt.month) | (
        (at.dt.month == dob.dt.month) & (at.dt.day < dob.dt.day)
    )
    age = years - before_birthday.astype(int)
    bands = pd.Series(np.nan, index=dob.index, dtype=object)
    for lo, hi, label in _BANDS:
        bands[(age >= lo) & (age <= hi)] = label
    both = dob.notna() & at.notna()
    bad = both & ((age < 0) | (age > 17))
    return bands, bad
