"""The row ledger: what became of every raw row of a source, and why.

Every raw row of a source has a *position* (0, 1, ... across all the source's
files, in reading order) and ends in exactly one state:

* ``kept``;
* ``rejected``: not usable, with a reason;
* ``duplicate_exact``: every cell the profile reads identical to an earlier row's;
* ``duplicate_near``: different raw text but identical canonical values.

Problems that do not cost the row (an optional value dropped or set to
``unknown``) are recorded too. The ledger is the only place row states change;
table builders receive positions explicitly and hand back, with each table, the
position of the raw row every table row came from.

Raw values shown in rejects are kept unscrubbed inside the ledger and scrubbed
only when :meth:`RowLedger.rejects` builds the rejects table, so that the
scrubber knows every identifier of the run by then.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from noream_eval.privacy import REDACTED, redact_dates

__all__ = ["ACTIONS", "DUPLICATE_EXACT", "DUPLICATE_NEAR", "KEPT", "REJECTED", "RowLedger"]

KEPT, REJECTED, DUPLICATE_EXACT, DUPLICATE_NEAR = 0, 1, 2, 3

#: Values of ``rejects.action``: what happened to the row or value.
ACTIONS = (
    "row_rejected",
    "duplicate_exact",
    "duplicate_near",
    "value_dropped",
    "set_unknown",
)
_ROW_ACTIONS = {"row_rejected", "duplicate_exact", "duplicate_near"}

Positions = np.ndarray | pd.Series | Sequence[int]


def _without_dates(values: pd.Series) -> pd.Series:
    """Date-like text redacted, each distinct value once (see ``privacy.redact_dates``)."""
    codes, uniques = pd.factorize(values.astype(object))
    done = np.asarray([redact_dates(str(u)) for u in uniques] + [""], dtype=object)
    return pd.Series(done[codes], index=values.index, dtype=object)


@dataclass
class _Record:
    positions: np.ndarray  # int64 ledger positions
    field: str
    reason: np.ndarray  # object array of str, one per position
    values: np.ndarray | None  # object array of raw cells, one per position, or None
    redact: bool
    action: str
    dates: bool = False


@dataclass
class RowLedger:
    """The fate of every raw row of one source.

    Parameters
    ----------
    source
        Source name (``families``, ``payments``, ...).
    files
        Display names of the source's files, in reading order.
    file_code
        For each position, the index of its file in ``files``.
    row
        For each position, the 1-based spreadsheet row number.

    Examples
    --------
    >>> ledger = RowLedger("payments", ["pay.csv"], np.zeros(3, np.int16), np.array([2, 3, 4]))
    >>> _ = ledger.reject(np.array([True, False, False]), field="Amount", reason="not money",
    ...                   values=pd.Series(["abc", "1", "2"]))
    >>> ledger.duplicate(np.array([2]), of=np.array([1]), near=False)
    >>> ledger.counts()
    {'kept': 1, 'rejected': 1, 'duplicate_exact': 1, 'duplicate_near': 0}
    >>> ledger.where_all(np.array([1])).tolist()
    ['row 3 of pay.csv']
    """

    source: str
    files: list[str]
    file_code: np.ndarray
    row: np.ndarray
    status: np.ndarray = field(init=False)
    _records: list[_Record] = field(default_factory=list, init=False, repr=False)

    def __post_init__(self) -> None:
        self.file_code = np.asarray(self.file_code, dtype=np.int32)
        self.row = np.asarray(self.row, dtype=np.int64)
        self.status = np.zeros(len(self.row), dtype=np.int8)

    def __len__(self) -> int:
        return len(self.row)

    # ------------------------------------------------------------------ state

    @property
    def kept(self) -> np.ndarray:
        """Boolean mask of positions still kept."""
        return self.status == KEPT

    def where_all(self, positions: np.ndarray) -> np.ndarray:
        """``"row N of FILE"`` for many positions (object array)."""
        positions = np.asarray(positions, dtype=np.int64)
        if not len(positions):
            return np.empty(0, dtype=object)
        files = np.asarray(self.files, dtype=object)[self.file_code[positions]]
        rows = self.row[positions].astype(str).astype(object)
        return "row " + rows + " of " + files

    def _positions(self, which: Positions) -> np.ndarray:
        arr = np.asarray(which)
        if arr.dtype == bool:
            if len(arr) != len(self):
                raise ValueError("a mask must have one entry per ledger position")
            return np.flatnonzero(arr)
        return arr.astype(np.int64, copy=False)

    # ---------------------------------------------------------------- changes

    def reject(
        self,
        which: Positions,
        *,
        field: str,
        reason: str | Sequence[str] | np.ndarray | pd.Series,
        values: pd.Series | np.ndarray | None = None,
        redact: bool = False,
        dates: bool = False,
    ) -> np.ndarray:
        """Reject the still-kept rows among ``which`` and record why.

        Parameters
        ----------
        which
            Boolean mask over all positions, or positions.
        field
            Raw column at fault (``""`` for the row as a whole).
        reason
            One reason, or one per position of ``which`` (mask: per position of
            the ledger).
        values
            Raw cells to show (scrubbed) in rejects: a Series or array over all
            ledger positions. ``None`` shows nothing.
        redact
            Show ``[redacted]`` instead of the value (identifier columns); with
            ``values=None`` the value is shown as ``[redacted]`` too.
        dates
            The column holds dates, so dates in its values are shown (scrubbed);
            elsewhere any date-like text is redacted, as it may be a date of birth
            typed in the wrong column.

        Returns
        -------
        numpy.ndarray
            The positions actually rejected (rows already not kept are skipped).
        """
        pos, reasons = self._select(which, reason)
        live = self.status[pos] == KEPT
        pos, reasons = pos[live], reasons[live]
        if len(pos):
            self.status[pos] = REJECTED
            self._add(pos, field, reasons, values, redact, "row_rejected", dates)
        return pos

    def note(
        self,
        which: Positions,
        *,
        field: str,
        reason: str | Sequence[str] | np.ndarray | pd.Series,
        values: pd.Series | np.ndarray | None = None,
        redact: bool = False,
        action: str = "value_dropped",
        dates: bool = False,
    ) -> None:
        """Record a problem that costs a value, not the row (``value_dropped``/``set_unknown``).

        Arguments as for :meth:`reject`. Only rows still kept are noted; notes
        of rows rejected later are left out of :meth:`rejects`.
        """
        if action not in ("value_dropped", "set_unknown"):
            raise ValueError(f"note action must be value_dropped or set_unknown, not {action!r}")
        pos, reasons = self._select(which, reason)
        live = self.status[pos] == KEPT
        if live.any():
            self._add(pos[live], field, reasons[live], values, redact, action, dates)

    def duplicate(self, which: Positions, *, of: Positions, near: bool) -> None:
        """Mark rows as duplicates of earlier rows ``of`` (same length as ``which``)."""
        pos = self._positions(which)
        first = np.asarray(of, dtype=np.int64)
        if len(pos) != len(first):
            raise ValueError("`which` and `of` must have the same length")
        live = self.status[pos] == KEPT
        pos, first = pos[live], first[live]
        if not len(pos):
            return
        self.status[pos] = DUPLICATE_NEAR if near else DUPLICATE_EXACT
        if near:
            text = "same values as {} once normalised (near duplicate); the first was kept"
            action = "duplicate_near"
        else:
            text = "exact duplicate of {}; the first was kept"
            action = "duplicate_exact"
        head, tail = text.split("{}")
        reasons = head + self.where_all(first) + tail
        self._add(pos, "", reasons, None, False, action)

    def _select(
        self, which: Positions, reason: str | Sequence[str] | np.ndarray | pd.Series
    ) -> tuple[np.ndarray, np.ndarray]:
        arr = np.asarray(which)
        pos = self._positions(which)
        if isinstance(reason, str):
            return pos, np.full(len(pos), reason, dtype=object)
        reasons = np.asarray(reason, dtype=object)
        if arr.dtype == bool:
            reasons = reasons[pos]
        if len(reasons) != len(pos):
            raise ValueError("one reason per selected position is needed")
        return pos, reasons

    def _add(
        self,
        pos: np.ndarray,
        field: str,
        reasons: np.ndarray,
        values: pd.Series | np.ndarray | None,
        redact: bool,
        action: str,
        dates: bool = False,
    ) -> None:
        shown = None
        if isinstance(values, pd.Series):
            shown = values.iloc[pos].to_numpy(dtype=object)
        elif values is not None:
            shown = np.asarray(values, dtype=object)[pos]
        self._records.append(_Record(pos, field, reasons, shown, redact, action, dates))

    # ---------------------------------------------------------------- results

    def counts(self, file: int | None = None) -> dict[str, int]:
        """Rows kept, rejected and duplicated (of one file, or all)."""
        status = self.status if file is None else self.status[self.file_code == file]
        n = np.bincount(status, minlength=4)
        return {
            "kept": int(n[KEPT]),
            "rejected": int(n[REJECTED]),
            "duplicate_exact": int(n[DUPLICATE_EXACT]),
            "duplicate_near": int(n[DUPLICATE_NEAR]),
        }

    def values_noted(self) -> np.ndarray:
        """Number of value-level records of kept rows, per file."""
        out = np.zeros(len(self.files), dtype=np.int64)
        for r in self._records:
            if r.action in _ROW_ACTIONS:
                continue
            live = r.positions[self.status[r.positions] == KEPT]
            out += np.bincount(self.file_code[live], minlength=len(self.files))
        return out

    def rejects(self, show: Callable[[pd.Series], pd.Series]) -> pd.DataFrame:
        """Every record as a rejects table, values made safe by ``show``.

        Parameters
        ----------
        show
            Turns raw cells (object Series) into text safe to output (the run's
            scrubber).

        Returns
        -------
        pandas.DataFrame
            ``source``, ``file``, ``row``, ``field``, ``value``, ``reason``,
            ``action``, sorted by file and row. Value-level records of rows
            that were not kept in the end are left out: the row-level record
            says what happened to the row.
        """
        frames = []
        for r in self._records:
            pos = r.positions
            if r.action not in _ROW_ACTIONS:
                live = self.status[pos] == KEPT
                if not live.all():
                    pos = pos[live]
                    r = _Record(
                        pos,
                        r.field,
                        r.reason[live],
                        None if r.values is None else r.values[live],
                        r.redact,
                        r.action,
                        r.dates,
                    )
            if not len(pos):
                continue
            if r.values is None:
                value = pd.Series(REDACTED if r.redact else "", index=range(len(pos)), dtype=object)
            else:
                raw = pd.Series(r.values, dtype=object)
                if r.redact:
                    blank = raw.isna() | raw.map(lambda v: isinstance(v, str) and not v.strip())
                    value = pd.Series(REDACTED, index=raw.index, dtype=object).where(~blank, "")
                else:
                    value = show(raw)
                    if not r.dates:
                        value = _without_dates(value)
            frames.append(
                pd.DataFrame(
                    {
                        "source": self.source,
                        "file": np.asarray(self.files, dtype=object)[self.file_code[pos]],
                        "row": self.row[pos],
                        "field": r.field,
                        "value": value.to_numpy(dtype=object),
                        "reason": r.reason,
                        "action": r.action,
                        "_pos": pos,
                    }
                )
            )
        if not frames:
            return pd.DataFrame(
                columns=["source", "file", "row", "field", "value", "reason", "action"]
            )
        out = pd.concat(frames, ignore_index=True)
        out = out.sort_values(["_pos"], kind="stable").drop(columns="_pos")
        return out.reset_index(drop=True)
