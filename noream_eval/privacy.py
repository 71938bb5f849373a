"""Identifier scrubbing for every string that leaves ingest."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

import pandas as pd

from noream_eval.ingest.pseudonymise import REDACTED, scrub

__all__ = ["REDACTED", "Scrubber"]

_WORD = re.compile(r"[^\W\d_]{2,}")


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


class Scrubber:
    """Redacts pattern identifiers and every registered identifier value."""

    def __init__(self) -> None:
        self._words: set[str] = set()
        self._compact: set[str] = set()

    def add(self, values: pd.Series | Iterable[object]) -> None:
        """Register identifier values (names word by word, others whole)."""
        for v in pd.unique(
            pd.Series(
                list(values) if not isinstance(values, pd.Series) else values, dtype=object
            ).dropna()
        ):
            text = _fold(str(v))
            self._words.update(_WORD.findall(text))
            compact = re.sub(r"\W+", "", text)
            if len(compact) >= 4:
                self._compact.add(compact)

    def scrub(self, value: object, *, max_len: int = 80) -> str:
        """Text safe to output."""
        text = scrub(value, max_len=10_000)
        if not text:
            return text

        def word(m: re.Match[str]) -> str:
            return REDACTED if _fold(m.group(0)) in self._words else m.group(0)

        text = re.sub(r"[^\W\d_]{2,}", word, text)
        if re.sub(r"\W+", "", _fold(text)) in self._compact:
            return REDACTED
        return text if len(text) <= max_len else text[: max_len - 1] + "…"

    def scrub_message(self, text: str, *, max_len: int = 5000) -> str:
        """A message of the package's own words: patterns and whole registered values only.

        Single registered name words are not redacted here (the package's own
        vocabulary - "family", "total" - may coincide with a registered word);
        values taken from a file must be scrubbed with :meth:`scrub` before
        they are put into a message.
        """
        text = scrub(text, max_len=max_len)
        return text

    def scrub_series(self, values: pd.Series, *, max_len: int = 80) -> pd.Series:
        """:meth:`scrub` of each value, computed once per distinct value."""
        codes, uniques = pd.factorize(values.astype(object), use_na_sentinel=True)
        done = [self.scrub(u, max_len=max_len) for u in uniques]
        out = pd.Series(
            [done[c] if c >= 0 else "" for c in codes], index=values.index, dtype=object
        )
        return out
