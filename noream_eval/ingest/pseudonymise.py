"""Pseudonymisation and identifier scrubbing.

References to families, people and records are replaced by a keyed hash
(HMAC-SHA256 truncated to 16 hex digits, behind a letter naming the kind of
reference) so that the same reference always
gets the same pseudonym under one key and nobody without the key can reverse
or recompute it. The key comes from the ``NOREAM_EVAL_KEY`` environment
variable or from a key file named in the config; it is never written out: only
a fingerprint is, so two runs can be shown to have used the same key.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from noream_eval.errors import KeyMissingError

__all__ = [
    "ENV_KEY",
    "REDACTED",
    "Pseudonymiser",
    "age_band",
    "load_key",
    "scrub",
]

#: Environment variable holding the pseudonymisation key.
ENV_KEY = "NOREAM_EVAL_KEY"
#: What a redacted value is shown as.
REDACTED = "[redacted]"
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

    def _pads(self) -> tuple[Any, Any]:
        # HMAC (RFC 2104) with its two padded-key states computed once, so that
        # hashing many values costs two hash updates each.
        key = self.key if len(self.key) <= 64 else hashlib.sha256(self.key).digest()
        key = key.ljust(64, b"\0")
        inner = hashlib.sha256(bytes(b ^ 0x36 for b in key))
        outer = hashlib.sha256(bytes(b ^ 0x5C for b in key))
        return inner, outer

    def hash_one(self, value: str, *, domain: str) -> str:
        """Pseudonym of one normalised reference in a namespace (``family``, ``referral``...)."""
        digest = hmac.digest(self.key, f"{domain}\x00{value}".encode(), "sha256")
        return domain[0] + digest[:8].hex()

    def hash_values(self, values: pd.Series, *, domain: str) -> pd.Series:
        """Pseudonymise a Series of normalised references (missing stays missing).

        Each distinct value is hashed once, so a long column with few distinct
        values is cheap. Equal to :meth:`hash_one` value by value.
        """
        present = values.notna()
        out = pd.Series(np.nan, index=values.index, dtype=object)
        if present.any():
            codes, uniques = pd.factorize(values[present].astype(str))
            inner, outer = self._pads()
            prefix, label = domain[0], f"{domain}\x00"

            def one(text: str) -> str:
                i = inner.copy()
                i.update((label + text).encode())
                o = outer.copy()
                o.update(i.digest())
                return prefix + o.digest()[:8].hex()

            hashed = np.array([one(u) for u in uniques], dtype=object)
            out[present] = hashed[codes]
        return out


# Patterns of direct identifiers that might stray into free text. Used on values
# shown in rejects, so that a phone number typed into the wrong column is not
# repeated in an output.
_SCRUB = re.compile(
    r"""
    (?:\+44\s?|\b0)\d(?:[\s-]?\d){8,10}\b            # UK phone numbers
  | \b[A-Z]{2}\s?\d{2}\s?\d{2}\s?\d{2}\s?[A-D]\b       # NI numbers (any prefix)
  | \b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b             # postcodes
  | \b[A-Z]\d{7}(?:/\d+)?\b                           # Home Office references
  | [\w.+-]+@[\w-]+\.[\w.-]+                          # e-mail addresses
    """,
    re.VERBOSE | re.IGNORECASE,
)


def scrub(value: object, *, max_len: int = 80) -> str:
    """Return ``value`` as text safe to show in rejects and messages.

    Anything looking like a phone number, NI number, postcode, Home Office
    reference or e-mail address is replaced by ``[redacted]``; long text is
    truncated.

    Examples
    --------
    >>> scrub("call 07700 900123")
    'call [redacted]'
    >>> scrub("Walk-in")
    'Walk-in'
    """
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, dt.datetime | dt.date | pd.Timestamp):
        return pd.Timestamp(value).strftime("%Y-%m-%d")
    text = _SCRUB.sub(REDACTED, str(value).strip())
    return text if len(text) <= max_len else text[: max_len - 1] + "…"


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
