"""Exceptions raised by noream_eval.

Every error a user can cause derives from :class:`NoreamEvalError`, so a notebook
can catch them all at once. Messages say which file, row and column are at fault,
what was expected and what to do; they never contain personal data.
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "DisclosureError",
    "DocumentError",
    "FigureError",
    "HeaderRowError",
    "InputFileError",
    "KeyMissingError",
    "MissingColumnError",
    "NoreamEvalError",
    "OutputError",
    "StatsInputError",
    "ValidationError",
]


class NoreamEvalError(Exception):
    """Base class of every error raised by noream_eval."""


class ConfigError(NoreamEvalError):
    """The evaluation configuration (TOML) is malformed or inconsistent."""


class DocumentError(NoreamEvalError, ValueError):
    """A report document is malformed (duplicate anchor, unknown column kind, ...)."""


class InputFileError(NoreamEvalError):
    """A raw export cannot be found, opened or decoded."""


class HeaderRowError(InputFileError):
    """The row declared as the header of an export holds data, not column names."""


class MissingColumnError(InputFileError):
    """A raw export lacks a column its source profile requires."""


class KeyMissingError(NoreamEvalError):
    """No pseudonymisation key was supplied."""


class OutputError(NoreamEvalError):
    """An output folder or file cannot be written (permissions, disk full, ...)."""


class ValidationError(NoreamEvalError):
    """Canonical tables failed validation in a way that cannot be handled row by row."""


class StatsInputError(NoreamEvalError, ValueError):
    """Data given to a statistical method cannot support it (too few pairs, no events, ...)."""


class DisclosureError(NoreamEvalError, ValueError):
    """A table cannot be protected for publication as its spec describes it.

    The spec names a column the table lacks, a count is not a whole number of 0 or
    more, or a total does not equal the sum of its parts.
    """


class FigureError(NoreamEvalError, ValueError):
    """A figure cannot be drawn from the results given (a table or column it needs is missing)."""
