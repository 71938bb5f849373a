"""What a reader of the sample report expects to find, shared by the tests that reopen it."""

from __future__ import annotations

import re
from collections.abc import Iterable

#: The report's required sections, each with the key words its heading must hold
#: (matched case-insensitively, at word boundaries, in any order).
REQUIRED_SECTIONS: dict[str, tuple[str, ...]] = {
    "summary": ("summary",),
    "the evaluation and its design limits": ("evaluation", "design", "limits"),
    "data and methods": ("data", "methods"),
    "participant flow": ("participant", "flow"),
    **{f"outcome {k}": (f"outcome {k}",) for k in range(1, 7)},
    "evidence of promise": ("evidence", "promise"),
    "readiness for a trial": ("readiness", "trial"),
    "resource use and costs": ("resource", "costs?"),
    "data quality": ("data", "quality"),
    "provenance": ("provenance",),
}


def _has_words(heading: str, words: tuple[str, ...]) -> bool:
    text = " ".join(heading.lower().split())
    return all(re.search(rf"\b{word}\b", text) for word in words)


def missing_sections(headings: Iterable[str]) -> list[str]:
    """The required sections that no heading names.

    Examples
    --------
    >>> missing_sections(["Summary", "Outcome 1: re-referrals", "Outcome 10: other"])[:3]
    ['the evaluation and its design limits', 'data and methods', 'participant flow']
    >>> "outcome 1" in missing_sections(["Outcome 10: other"])
    True
    """
    headings = list(headings)
    return [
        name
        for name, words in REQUIRED_SECTIONS.items()
        if not any(_has_words(h, words) for h in headings)
    ]
