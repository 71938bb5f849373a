"""Statistical disclosure control: the one step between results and anything published.

:class:`~noream_eval.metrics.Results` hold exact numbers for the analyst. Every table
that is published first passes through :func:`protect`, which applies the policy of
the Department for Education's children in need statistics:

- a count from 1 to ``min_cell - 1`` (1 to 5 by default) is suppressed and shown as
  ``c``; 0 is a true value and is shown as 0; a value missing from the input is shown
  as ``x`` (not available);
- further counts are suppressed (secondary suppression) until no suppressed count can
  be worked out from the row, column and group totals the table shows, nor a small
  number from the difference between two stages of a participant flow (referred 300,
  eligible 297 would show that 3 were not eligible);
- shares, means, rates and any other derived value resting on a suppressed count, or
  on fewer than ``min_cell`` units, are suppressed too;
- published counts may then be rounded to the nearest 5 or 10.

:func:`audit` is the attacker: it writes every relation the table's :class:`TableSpec`
declares as linear equations, treats each suppressed cell as an unknown whole number
and finds, by linear programming, the smallest and largest value each can take.
:func:`protect` adds suppressions until that check recovers nothing, so every table it
returns passes :func:`audit`.

The attacker's knowledge (Notes of :func:`audit`): published cells exactly (before any
rounding, which is conservative: shares computed on unrounded counts can undo
rounding), that a suppressed count is at least 1 (zeros are always shown), that a
stage of a flow holds no more than the stage before it, and that unpublished
differences and missing counts are at least 0. A suppressed cell is not known to be
below ``min_cell``: primary and secondary suppressions both show ``c``.

References
----------
.. [1] Department for Education, "Children in need", data guidance of the statistics
   release (Confidentiality and Rounding sections: numbers from 1 to 5 suppressed and
   replaced by 'c', secondary suppression where necessary, 0 a true zero, totals
   rounded to the nearest 10 so they may not equal the sum of their parts),
   https://explore-education-statistics.service.gov.uk/find-statistics/children-in-need
.. [2] Government Statistical Service, "Disclosure control guidance for tables
   produced from administrative sources" (GSS Statistical Disclosure Control for
   Tables: primary and secondary cell suppression, differencing between tables and
   totals, rounding), https://analysisfunction.civilservice.gov.uk/policy-store/
.. [3] Government Statistical Service, "Symbols in tables, definitions and help"
   ('c' confidential, 'x' not available),
   https://analysisfunction.civilservice.gov.uk/policy-store/symbols-in-tables-definitions-and-help/
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from noream_eval.errors import ConfigError, DisclosureError

__all__ = [
    "NOT_AVAILABLE",
    "SUPPRESSED",
    "DisclosurePolicy",
    "ProtectedTable",
    "PublishedResults",
    "TableSpec",
    "audit",
    "protect",
]

#: Flag of a suppressed cell (GSS symbol for confidential).
SUPPRESSED = "c"
#: Flag of a value missing from the input (GSS symbol for not available).
NOT_AVAILABLE = "x"

_ROUNDINGS = (5, 10)
_AUDIT_COLUMNS = ("row", "column", "low", "high", "recovered", "kind")
_CELL = "suppressed count"
_DIFFERENCE = "difference from previous stage"
_EPS = 1e-6
_SEED = 20_211


# ---------------------------------------------------------------------------- policy


def _is_int(value: Any) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_)


@dataclass(frozen=True)
class DisclosurePolicy:
    """How published tables are protected.

    Attributes
    ----------
    min_cell : int
        Counts from 1 to ``min_cell - 1`` are suppressed (shown as ``c``); 0 is a true
        value and is shown. Default 6: counts 1 to 5 are suppressed. Derived values
        (shares, means, rates) resting on fewer than ``min_cell`` units are suppressed.
    round_to : int or None
        Round published counts to the nearest 5 or 10 after suppression; None (the
        default) publishes exact counts.

    Raises
    ------
    DisclosureError
        If ``min_cell`` is not a whole number of 1 or more or ``round_to`` is not
        None, 5 or 10.

    Examples
    --------
    >>> DisclosurePolicy().min_cell
    6
    >>> DisclosurePolicy(round_to=10).describe()[:38]
    'Counts from 1 to 5 are suppressed and '
    """

    min_cell: int = 6
    round_to: int | None = None

    def __post_init__(self) -> None:
        if not _is_int(self.min_cell) or self.min_cell < 1:
            raise DisclosureError(
                f"min_cell = {self.min_cell!r}; give a whole number of 1 or more "
                "(6 suppresses counts from 1 to 5)."
            )
        object.__setattr__(self, "min_cell", int(self.min_cell))
        if self.round_to is not None:
            if not _is_int(self.round_to) or int(self.round_to) not in _ROUNDINGS:
                raise DisclosureError(
                    f"round_to = {self.round_to!r}; give None (no rounding), 5 or 10."
                )
            object.__setattr__(self, "round_to", int(self.round_to))

    @classmethod
    def from_config(cls, config: Any) -> DisclosurePolicy:
        """The policy of an evaluation config's ``[parameters]``.

        Parameters
        ----------
        config
            An :class:`~noream_eval.config.EvaluationConfig`, or its ``parameters``
            mapping; ``min_cell`` and ``round_counts_to`` (0 for no rounding, 5 or 10)
            are read, with their defaults when absent.

        Returns
        -------
        DisclosurePolicy

        Raises
        ------
        ConfigError
            If either parameter has a value the config would refuse.

        Examples
        --------
        >>> DisclosurePolicy.from_config({"min_cell": 10, "round_counts_to": 5})
        DisclosurePolicy(min_cell=10, round_to=5)
        >>> DisclosurePolicy.from_config({"min_cell": 6, "round_counts_to": 0}).round_to is None
        True
        """
        from noream_eval.config import DEFAULT_PARAMETERS

        params = getattr(config, "parameters", config)
        if not isinstance(params, Mapping):
            raise ConfigError(
                "DisclosurePolicy.from_config needs an evaluation config or its "
                "[parameters] mapping."
            )
        min_cell = params.get("min_cell", DEFAULT_PARAMETERS["min_cell"][0])
        rounding = params.get("round_counts_to", DEFAULT_PARAMETERS["round_counts_to"][0])
        _, lo, hi = DEFAULT_PARAMETERS["min_cell"]
        if not _is_int(min_cell) or not lo <= min_cell <= hi:
            raise ConfigError(
                f"[parameters] min_cell = {min_cell!r}; give a whole number from {lo} to {hi}."
            )
        if not _is_int(rounding) or rounding not in (0, *_ROUNDINGS):
            raise ConfigError(
                f"[parameters] round_counts_to = {rounding!r}; give one of 0, 5 or 10 "
                "(0 publishes exact counts)."
            )
        return cls(min_cell=int(min_cell), round_to=int(rounding) or None)

    @property
    def _small(self) -> str:
        top = self.min_cell - 1
        return "of 1" if top == 1 else f"from 1 to {top}"

    def describe(self) -> str:
        """The policy in one plain-English sentence, for captions and methods text.

        Examples
        --------
        >>> print(DisclosurePolicy(min_cell=6).describe())  # doctest: +NORMALIZE_WHITESPACE
        Counts from 1 to 5 are suppressed and shown as c, as are the cells that would
        let them be worked out from totals or from differences between stages, and
        any share, mean or rate resting on a suppressed count or on fewer than 6
        units; 0 is a true zero and x means not available.
        """
        if self.min_cell <= 1:
            text = "No counts are suppressed; 0 is a true zero and x means not available"
        else:
            text = (
                f"Counts {self._small} are suppressed and shown as c, as are the cells "
                "that would let them be worked out from totals or from differences "
                "between stages, and any share, mean or rate resting on a suppressed "
                f"count or on fewer than {self.min_cell} units; 0 is a true zero and x "
                "means not available"
            )
        if self.round_to:
            text += (
                f"; published counts are rounded to the nearest {self.round_to}, so "
                "totals may not equal the sum of their parts"
            )
        return text + "."

    def round_counts(self, values: np.ndarray) -> np.ndarray:
        """Published counts as rounded by the policy (NaN stays NaN).

        Rounding is to the nearest multiple of ``round_to``, halves up; 0 stays 0. A
        count of ``min_cell`` or more that would round to a number from 1 to
        ``min_cell - 1`` (6 and 7 to the nearest 5) is shown as the smallest multiple
        of ``round_to`` from ``min_cell`` up, so no published count ever reads 1 to
        ``min_cell - 1``.

        Examples
        --------
        >>> DisclosurePolicy(round_to=5).round_counts(np.array([0, 6, 8, 12, 13, np.nan]))
        array([ 0., 10., 10., 10., 15., nan])
        """
        out = np.asarray(values, dtype=float)
        if not self.round_to:
            return out.copy()
        step = self.round_to
        out = np.floor(out / step + 0.5) * step
        small = (out > 0) & (out < self.min_cell)
        out[small] = math.ceil(self.min_cell / step) * step
        return out


# ---------------------------------------------------------------------------- spec


def _names(value: Any, what: str) -> tuple[str, ...]:
    if isinstance(value, str):
        raise DisclosureError(
            f"TableSpec {what} must be a tuple of column names, not the single string "
            f"{value!r}; write ({value!r},)."
        )
    try:
        out = tuple(value)
    except TypeError:
        raise DisclosureError(f"TableSpec {what} must be a tuple of column names.") from None
    bad = [n for n in out if not isinstance(n, str)]
    if bad:
        raise DisclosureError(f"TableSpec {what} holds {bad!r}; give column names as text.")
    return out


def _name(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise DisclosureError(f"TableSpec {what} must be a column name, not {value!r}.")
    return value


def _named_map(value: Any, what: str, *, many: bool) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise DisclosureError(f"TableSpec {what} must map derived columns to count columns.")
    out: dict[str, Any] = {}
    for key, target in value.items():
        key = _name(key, what)
        if many:
            out[key] = (target,) if isinstance(target, str) else _names(target, f"{what}[{key!r}]")
        else:
            out[key] = _name(target, f"{what}[{key!r}]")
    return MappingProxyType(out)


@dataclass(frozen=True)
class TableSpec:
    """What a table's columns are and how its cells are related.

    Every relation compiles to linear equations between cells, which is what the
    attacker of :func:`audit` works with. A column not named here is published as it
    is (labels, orders, notes): name every number that rests on a count.

    Attributes
    ----------
    counts : tuple of str
        Count columns (people, families, referrals, events, meetings): whole numbers
        of 0 or more, suppressed when from 1 to ``min_cell - 1``. Columns named in
        ``row_totals``, ``column_totals`` (fourth element) and ``funnel`` are count
        columns too.
    bases : mapping of str to str
        Derived column -> the column (same row) with the number of units it rests on;
        the derived value is suppressed when that number is below ``min_cell``,
        missing or suppressed.
    rests_on : mapping of str to tuple of str
        Derived column -> the count (or derived) columns of the same row it is
        computed from; the derived value is suppressed when any of them is.
    row_totals : tuple of (str, tuple of str)
        ``(total column, its part columns)``: in every row the total equals the sum
        of the parts.
    column_totals : tuple of (str, str, str or None) or (str, str, str or None, tuple of str)
        ``(label column, label of the total row, group column or None)``: within
        each group (or the whole table), the row labelled as the total holds, in
        every count column, the sum of the other rows. A fourth element restricts
        this to the given count columns (for columns that do not add up over rows,
        such as people counted in several rows). A group without a total row adds
        no relation.
    funnel : (str, str) or (str, str, str) or None
        ``(count column, order column[, group column])``: the counts of the stages of
        a participant flow, each no more than the previous stage (by order, within
        each group). The fall from one stage to the next is an unpublished cell: a
        fall from 1 to ``min_cell - 1`` between two published stages reveals a small
        number, so one stage is then suppressed.
    funnel_previous : (str, str) or None
        ``(stage label column, previous stage label column)``: for a flow that
        branches, each stage's previous stage is the row (in its group) whose label
        equals its previous-stage label, instead of the stage before it in order; a
        missing previous label starts the flow.
    rests_on_previous : mapping of str to tuple of str
        Derived column -> count columns of the previous stage it is computed from
        (a share of the previous stage); needs ``funnel``.
    rests_on_first : mapping of str to tuple of str
        Derived column -> count columns of the first stage of the flow it is computed
        from (a share of everyone referred); needs ``funnel``.

    Examples
    --------
    >>> spec = TableSpec(counts=("boys", "girls", "all"), row_totals=(("all", ("boys", "girls")),),
    ...                  bases={"share_girls": "all"}, rests_on={"share_girls": ("girls",)})
    >>> spec.count_columns, spec.derived_columns
    (('boys', 'girls', 'all'), ('share_girls',))
    """

    counts: tuple[str, ...] = ()
    bases: Mapping[str, str] = field(default_factory=dict)
    rests_on: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    row_totals: tuple[tuple[str, tuple[str, ...]], ...] = ()
    column_totals: tuple[tuple[Any, ...], ...] = ()
    funnel: tuple[str, ...] | None = None
    funnel_previous: tuple[str, str] | None = None
    rests_on_previous: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    rests_on_first: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        put = object.__setattr__
        put(self, "counts", _names(self.counts, "counts"))
        put(self, "bases", _named_map(self.bases, "bases", many=False))
        put(self, "rests_on", _named_map(self.rests_on, "rests_on", many=True))
        put(
            self,
            "rests_on_previous",
            _named_map(self.rests_on_previous, "rests_on_previous", many=True),
        )
        put(self, "rests_on_first", _named_map(self.rests_on_first, "rests_on_first", many=True))
        rows = []
        for item in _names_or_tuples(self.row_totals, "row_totals"):
            if len(item) != 2:
                raise DisclosureError(
                    "TableSpec row_totals entries are (total column, (part columns...))."
                )
            total = _name(item[0], "row_totals total")
            parts = _names(item[1], f"row_totals parts of {total!r}")
            if not parts or total in parts or len(set(parts)) != len(parts):
                raise DisclosureError(
                    f"TableSpec row_totals: {total!r} needs distinct part columns other "
                    "than itself."
                )
            rows.append((total, parts))
        put(self, "row_totals", tuple(rows))
        cols = []
        for item in _names_or_tuples(self.column_totals, "column_totals"):
            if len(item) not in (3, 4):
                raise DisclosureError(
                    "TableSpec column_totals entries are (label column, label of the total "
                    "row, group column or None[, (count columns...)])."
                )
            label = _name(item[0], "column_totals label column")
            group = None if item[2] is None else _name(item[2], "column_totals group column")
            entry: tuple[Any, ...] = (label, item[1], group)
            if len(item) == 4:
                entry += (_names(item[3], "column_totals columns"),)
            cols.append(entry)
        put(self, "column_totals", tuple(cols))
        if self.funnel is not None:
            funnel = _names(self.funnel, "funnel")
            if len(funnel) not in (2, 3):
                raise DisclosureError(
                    "TableSpec funnel is (count column, order column[, group column])."
                )
            put(self, "funnel", funnel)
        if self.funnel_previous is not None:
            prev = _names(self.funnel_previous, "funnel_previous")
            if len(prev) != 2:
                raise DisclosureError(
                    "TableSpec funnel_previous is (stage label column, previous label column)."
                )
            put(self, "funnel_previous", prev)
        if self.funnel is None and (
            self.funnel_previous or self.rests_on_previous or self.rests_on_first
        ):
            raise DisclosureError(
                "TableSpec funnel_previous, rests_on_previous and rests_on_first need a funnel."
            )
        clash = sorted(set(self.derived_columns) & set(self.count_columns))
        if clash:
            raise DisclosureError(
                f"TableSpec: {clash} are named both as counts and as derived columns."
            )

    def __hash__(self) -> int:
        return hash(
            (
                self.counts,
                tuple(self.bases.items()),
                tuple(self.rests_on.items()),
                self.row_totals,
                self.column_totals,
                self.funnel,
                self.funnel_previous,
                tuple(self.rests_on_previous.items()),
                tuple(self.rests_on_first.items()),
            )
        )

    @property
    def count_columns(self) -> tuple[str, ...]:
        """Every count column: ``counts`` and the columns of the relations, in order."""
        cols = list(self.counts)
        for total, parts in self.row_totals:
            cols += [total, *parts]
        for entry in self.column_totals:
            cols += list(entry[3]) if len(entry) == 4 else []
        if self.funnel is not None:
            cols.append(self.funnel[0])
        return tuple(dict.fromkeys(cols))

    @property
    def derived_columns(self) -> tuple[str, ...]:
        """Every derived column (keys of ``bases``, ``rests_on``, ``rests_on_previous``
        and ``rests_on_first``), in order."""
        return tuple(
            dict.fromkeys(
                [*self.bases, *self.rests_on, *self.rests_on_previous, *self.rests_on_first]
            )
        )

    def _columns_used(self) -> list[tuple[str, str]]:
        """(column, what names it) for every column the spec refers to."""
        used = [(c, "counts") for c in self.count_columns]
        for key, base in self.bases.items():
            used += [(key, "bases"), (base, f"bases[{key!r}]")]
        for what in ("rests_on", "rests_on_previous", "rests_on_first"):
            for key, cols in getattr(self, what).items():
                used += [(key, what), *((c, f"{what}[{key!r}]") for c in cols)]
        for entry in self.column_totals:
            used.append((entry[0], "column_totals"))
            if entry[2] is not None:
                used.append((entry[2], "column_totals"))
        if self.funnel is not None:
            used += [(c, "funnel") for c in self.funnel[1:]]
        if self.funnel_previous is not None:
            used += [(c, "funnel_previous") for c in self.funnel_previous]
        return used


def _names_or_tuples(value: Any, what: str) -> tuple[tuple[Any, ...], ...]:
    if isinstance(value, str):
        raise DisclosureError(f"TableSpec {what} must be a tuple of entries.")
    try:
        items = tuple(value)
    except TypeError:
        raise DisclosureError(f"TableSpec {what} must be a tuple of entries.") from None
    out = []
    for item in items:
        if isinstance(item, str) or not isinstance(item, Iterable):
            raise DisclosureError(f"TableSpec {what} entries must be tuples, not {item!r}.")
        out.append(tuple(item))
    return tuple(out)


# ---------------------------------------------------------------------------- the table


@dataclass(frozen=True, eq=False, repr=False)
class ProtectedTable:
    """A table after disclosure control: what may be published, and why.

    Built by :func:`protect`.

    Attributes
    ----------
    name : str
        The table's name.
    values : pandas.DataFrame
        Same index and columns as the input. Suppressed and missing cells are NA;
        count columns are nullable integers (``Int64``), rounded when the policy
        rounds; every other column keeps its type.
    flags : pandas.DataFrame
        Same shape, text: ``""`` shown, ``"c"`` suppressed (primary or secondary, or a
        derived value resting on one), ``"x"`` not available (missing in the input).
    policy : DisclosurePolicy
    spec : TableSpec
    n_primary : int
        Counts suppressed because they were from 1 to ``min_cell - 1``.
    n_secondary : int
        Further counts suppressed so that none of those can be worked out.
    n_derived : int
        Derived values (shares, means, rates) suppressed.
    unrounded : pandas.DataFrame or None
        The published counts before rounding (suppressed cells NA), which is what
        :func:`audit` works from; None when the policy does not round. Render
        ``values``, never this.
    """

    name: str
    values: pd.DataFrame
    flags: pd.DataFrame
    policy: DisclosurePolicy
    spec: TableSpec
    n_primary: int
    n_secondary: int
    n_derived: int = 0
    unrounded: pd.DataFrame | None = None

    def __post_init__(self) -> None:
        if self.flags.shape != self.values.shape or list(self.flags.columns) != list(
            self.values.columns
        ):
            raise DisclosureError(
                f"{self.name}: flags must have the shape and columns of the values."
            )

    @property
    def n_suppressed(self) -> int:
        """Cells shown as ``c``."""
        return int((self.flags.to_numpy() == SUPPRESSED).sum())

    def display(self) -> pd.DataFrame:
        """The table as it is shown: numbers as numbers, ``"c"`` and ``"x"`` as text.

        Returns
        -------
        pandas.DataFrame
            Object columns, same index and columns; a count is a Python ``int``, any
            other number a ``float`` (or ``int``), a suppressed cell ``"c"``, a missing
            one ``"x"``; text stays text.
        """
        out = {}
        flags = self.flags.to_numpy()
        for j, col in enumerate(self.values.columns):
            cells = self.values.iloc[:, j].tolist()
            shown = []
            for flag, value in zip(flags[:, j], cells, strict=True):
                if flag:
                    shown.append(flag)
                elif isinstance(value, np.generic):
                    shown.append(value.item())
                else:
                    shown.append(value)
            out[col] = pd.Series(shown, index=self.values.index, dtype=object)
        return pd.DataFrame(out, index=self.values.index, columns=self.values.columns)

    @property
    def note(self) -> str:
        """This table's disclosure note, one sentence for its caption.

        Examples
        --------
        >>> t = pd.DataFrame({"group": ["a", "b", "all"], "n": [3, 40, 43]})
        >>> p = protect(t, TableSpec(counts=("n",), column_totals=(("group", "all", None),)),
        ...             DisclosurePolicy(), name="demo")
        >>> print(p.note)  # doctest: +NORMALIZE_WHITESPACE
        Counts from 1 to 5 are shown as c, as are other counts and derived values that
        would reveal one; in this table: 1 small count and 1 further count.
        """
        pol = self.policy
        rounding = f"; counts are rounded to the nearest {pol.round_to}" if pol.round_to else ""
        missing = (
            "; x means not available" if (self.flags.to_numpy() == NOT_AVAILABLE).any() else ""
        )
        if pol.min_cell <= 1:
            return f"No counts are suppressed{rounding}{missing}."
        total = self.n_primary + self.n_secondary + self.n_derived
        if total == 0:
            return (
                f"Counts {pol._small} would be shown as c; no cell of this table needed "
                f"suppressing{rounding}{missing}."
            )
        parts = []
        if self.n_primary:
            parts.append(_plural(self.n_primary, "small count"))
        if self.n_secondary:
            parts.append(_plural(self.n_secondary, "further count"))
        if self.n_derived:
            parts.append(_plural(self.n_derived, "derived value"))
        listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
        return (
            f"Counts {pol._small} are shown as c, as are other counts and derived values "
            f"that would reveal one; in this table: {listed}{rounding}{missing}."
        )

    def __repr__(self) -> str:
        rows, cols = self.values.shape
        return (
            f"<ProtectedTable {self.name!r}: {rows} rows x {cols} columns; suppressed "
            f"{self.n_primary} primary, {self.n_secondary} secondary, "
            f"{self.n_derived} derived>"
        )


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


# ---------------------------------------------------------------------------- relations


@dataclass
class _System:
    """The cells a table's relations speak about, and the relations.

    Cells ``0 .. n_counts-1`` are the count cells (column ``j``, row ``i`` is
    ``j * nrows + i``); the cells after them are the unpublished differences between
    consecutive stages of a funnel. Every relation reads
    ``cell[total] = sum(cell[part] for part in parts)``.
    """

    nrows: int
    columns: tuple[str, ...]
    value: np.ndarray  # float; NaN when not known to whoever builds the system
    row: np.ndarray  # row position (the later stage for a difference)
    col: np.ndarray  # index into columns
    is_diff: np.ndarray
    totals: list[int]
    parts: list[tuple[int, ...]]
    what: list[Callable[[], str]]  # plain-English description of each relation, for errors
    cell_rels: list[list[int]] = field(default_factory=list)
    flat: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    flat_rel: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    is_total: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))

    @property
    def n(self) -> int:
        return len(self.value)

    @property
    def n_counts(self) -> int:
        return self.nrows * len(self.columns)

    def finish(self) -> None:
        self.cell_rels = [[] for _ in range(self.n)]
        flat, flat_rel = [], []
        for r, (total, parts) in enumerate(zip(self.totals, self.parts, strict=True)):
            for c in (total, *parts):
                self.cell_rels[c].append(r)
                flat.append(c)
                flat_rel.append(r)
        self.flat = np.asarray(flat, dtype=int)
        self.flat_rel = np.asarray(flat_rel, dtype=int)
        self.is_total = np.zeros(self.n, dtype=bool)
        self.is_total[np.asarray(self.totals, dtype=int)] = True

    def cells(self, r: int) -> tuple[int, ...]:
        return (self.totals[r], *self.parts[r])

    def per_relation(self, mask: np.ndarray) -> np.ndarray:
        return np.bincount(
            self.flat_rel, weights=mask[self.flat].astype(float), minlength=len(self.totals)
        )


def _where(table: pd.DataFrame, spec: TableSpec, i: int) -> str:
    """A row as a reader can find it: its position and label."""
    label = table.index[i]
    head = f"row {i + 1}" if isinstance(table.index, pd.RangeIndex) else f"row {label!r}"
    label_cols = [e[0] for e in spec.column_totals]
    if spec.funnel_previous is not None:
        label_cols.insert(0, spec.funnel_previous[0])
    for col in label_cols:
        value = table[col].iloc[i]
        if not pd.isna(value):
            return f"{head} ({col} {value!r})"
    return head


def _group_keys(table: pd.DataFrame, group: str | None) -> list[list[int]]:
    """Row positions of each group (NA is a group of its own), in order of appearance."""
    if group is None:
        return [list(range(len(table)))]
    keys = table[group].astype(object).where(table[group].notna(), "\0<NA>").tolist()
    groups: dict[Any, list[int]] = {}
    for i, key in enumerate(keys):
        groups.setdefault(key, []).append(i)
    return list(groups.values())


def _funnel_links(table: pd.DataFrame, spec: TableSpec, name: str) -> list[tuple[int, int]]:
    """(previous stage row, stage row) of every stage that has a previous stage."""
    assert spec.funnel is not None
    order_col = spec.funnel[1]
    group = spec.funnel[2] if len(spec.funnel) == 3 else None
    links: list[tuple[int, int]] = []
    for rows in _group_keys(table, group):
        if spec.funnel_previous is not None:
            label_col, prev_col = spec.funnel_previous
            by_label: dict[Any, int] = {}
            for i in rows:
                label = table[label_col].iloc[i]
                if pd.isna(label) or label in by_label:
                    raise DisclosureError(
                        f"{name}: funnel stage labels in {label_col!r} must be present and "
                        f"distinct{' within each group' if group else ''}; "
                        f"{_where(table, spec, i)} is not."
                    )
                by_label[label] = i
            parent = {}
            for i in rows:
                prev = table[prev_col].iloc[i]
                if pd.isna(prev):
                    continue
                if prev not in by_label:
                    raise DisclosureError(
                        f"{name}: the previous stage {prev!r} of {_where(table, spec, i)} "
                        f"is not a stage in {label_col!r}."
                    )
                parent[i] = by_label[prev]
            for i in rows:  # no cycles
                seen, j = {i}, i
                while j in parent:
                    j = parent[j]
                    if j in seen:
                        raise DisclosureError(
                            f"{name}: the previous stages from {_where(table, spec, i)} "
                            "go round in a circle."
                        )
                    seen.add(j)
            links += [(parent[i], i) for i in rows if i in parent]
        else:
            order = pd.to_numeric(table[order_col].iloc[rows], errors="coerce")
            if order.isna().any() or order.duplicated().any():
                raise DisclosureError(
                    f"{name}: the funnel order column {order_col!r} must hold distinct "
                    f"numbers{' within each group' if group else ''}."
                )
            ranked = [rows[k] for k in np.argsort(order.to_numpy(), kind="stable")]
            links += list(itertools.pairwise(ranked))
    return links


def _compile(
    table: pd.DataFrame, spec: TableSpec, name: str, counts: np.ndarray
) -> tuple[_System, list[tuple[int, int]]]:
    """The cells and linear relations of a table (``counts``: rows x count columns)."""
    nrows = len(table)
    columns = spec.count_columns
    index = {c: j for j, c in enumerate(columns)}

    def cell(j: int, i: int) -> int:
        return j * nrows + i

    totals: list[int] = []
    parts: list[tuple[int, ...]] = []
    what: list[Callable[[], str]] = []

    def where(i: int) -> str:
        return _where(table, spec, i)

    for total, part_cols in spec.row_totals:
        for i in range(nrows):
            totals.append(cell(index[total], i))
            parts.append(tuple(cell(index[p], i) for p in part_cols))
            what.append(
                lambda i=i, total=total, part_cols=part_cols: (
                    f"{where(i)}: column {total!r} should equal the sum of {list(part_cols)}"
                )
            )
    for entry in spec.column_totals:
        label_col, total_label, group = entry[0], entry[1], entry[2]
        cols = entry[3] if len(entry) == 4 else columns
        labels = table[label_col].astype(object).tolist()
        for rows in _group_keys(table, group):
            is_total = [i for i in rows if not pd.isna(labels[i]) and labels[i] == total_label]
            if len(is_total) > 1:
                raise DisclosureError(
                    f"{name}: more than one row labelled {total_label!r} in {label_col!r}"
                    + (f" in the same {group!r} group" if group else "")
                    + f" ({_where(table, spec, is_total[0])} and "
                    f"{_where(table, spec, is_total[1])})."
                )
            if not is_total:
                continue
            t = is_total[0]
            others = [i for i in rows if i != t]
            for col in cols:
                j = index[col]
                totals.append(cell(j, t))
                parts.append(tuple(cell(j, i) for i in others))
                what.append(
                    lambda col=col, t=t, group=group: (
                        f"column {col!r}: the total {where(t)} should equal the sum of the "
                        "other rows" + (f" of its {group!r} group" if group else "")
                    )
                )
    links: list[tuple[int, int]] = []
    value = [counts[:, j] for j in range(len(columns))]
    row = [np.arange(nrows) for _ in columns]
    col = [np.full(nrows, j) for j in range(len(columns))]
    n = nrows * len(columns)
    diff_value = []
    if spec.funnel is not None:
        links = _funnel_links(table, spec, name)
        j = index[spec.funnel[0]]
        for k, (p, c) in enumerate(links):
            totals.append(cell(j, p))
            parts.append((cell(j, c), n + k))
            what.append(
                lambda p=p, c=c, col=spec.funnel[0]: (
                    f"column {col!r}: {where(c)} should hold no more than its previous "
                    f"stage, {where(p)}"
                )
            )
            diff_value.append(counts[p, j] - counts[c, j])
        row.append(np.asarray([c for _, c in links], dtype=int))
        col.append(np.full(len(links), j))
        value.append(np.asarray(diff_value, dtype=float))
    system = _System(
        nrows=nrows,
        columns=columns,
        value=np.concatenate(value) if value else np.zeros(0),
        row=np.concatenate(row).astype(int) if row else np.zeros(0, dtype=int),
        col=np.concatenate(col).astype(int) if col else np.zeros(0, dtype=int),
        is_diff=np.arange(n + len(links)) >= n,
        totals=totals,
        parts=parts,
        what=what,
    )
    system.finish()
    return system, links


def _check_consistent(system: _System, name: str) -> None:
    """Every relation holds where its values are known; a funnel never grows."""
    v = system.value
    for r, (total, parts) in enumerate(zip(system.totals, system.parts, strict=True)):
        known_parts = [p for p in parts if not np.isnan(v[p])]
        funnel = system.is_diff[parts[-1]]
        if funnel:
            child, diff = parts
            if not np.isnan(v[diff]) and v[diff] < 0:
                raise DisclosureError(
                    f"{name}: {system.what[r]()} ({v[child]:g} against {v[total]:g}); "
                    "the table cannot be published as a flow."
                )
            continue
        if np.isnan(v[total]):
            continue
        got = float(sum(v[p] for p in known_parts))
        if len(known_parts) == len(parts) and got != v[total]:
            raise DisclosureError(
                f"{name}: {system.what[r]()}, but it is {v[total]:g} and they sum to "
                f"{got:g}; correct the table before publishing it."
            )
        if got > v[total]:
            raise DisclosureError(
                f"{name}: {system.what[r]()}, but it is {v[total]:g} and its known parts "
                f"already sum to {got:g}; correct the table before publishing it."
            )


# ---------------------------------------------------------------------------- the attacker


class _Attack:
    """What an attacker can work out about the unknown cells of a system.

    ``known`` marks the published cells (value exact); every other cell is an
    unknown whole number with lower bound ``lb`` (1 for a suppressed count, 0 for a
    difference or a missing count).
    """

    def __init__(self, system: _System, known: np.ndarray, lb: np.ndarray) -> None:
        self.s = system
        self.known = known
        self.lb = lb
        self.det = np.zeros(system.n, dtype=bool)
        self.det_by = np.full(system.n, -1)
        self.val = np.where(known, system.value, np.nan)

    def peel(self) -> None:
        """Work out every unknown that is the only unknown of a relation, repeatedly."""
        s = self.s
        unknown = ~self.known
        left = s.per_relation(unknown).astype(int)
        queue = [r for r in range(len(s.totals)) if left[r] == 1]
        while queue:
            r = queue.pop()
            if left[r] != 1:
                continue
            cells = s.cells(r)
            u = next(c for c in cells if unknown[c] and not self.det[c])
            total = self.val[s.totals[r]] if u != s.totals[r] else 0.0
            rest = sum(self.val[p] for p in s.parts[r] if p != u)
            self.val[u] = rest if u == s.totals[r] else total - rest
            self.det[u] = True
            self.det_by[u] = r
            for r2 in s.cell_rels[u]:
                left[r2] -= 1
                if left[r2] == 1:
                    queue.append(r2)

    def components(self) -> list[tuple[list[int], list[int]]]:
        """(unknown cells, relations) of each connected group of the undetermined unknowns."""
        s = self.s
        free = ~self.known & ~self.det
        parent = list(range(s.n))

        def find(a: int) -> int:
            while parent[a] != a:
                parent[a] = parent[parent[a]]
                a = parent[a]
            return a

        active = []
        for r in range(len(s.totals)):
            us = [c for c in s.cells(r) if free[c]]
            if not us:
                continue
            active.append(r)
            for c in us[1:]:
                ra, rb = find(us[0]), find(c)
                if ra != rb:
                    parent[rb] = ra
        groups: dict[int, tuple[list[int], list[int]]] = {}
        for c in np.flatnonzero(free):
            groups.setdefault(find(int(c)), ([], []))[0].append(int(c))
        for r in active:
            c0 = next(c for c in s.cells(r) if free[c])
            groups[find(c0)][1].append(r)
        return [g for g in groups.values() if g[1]]

    def equations(self, cells: list[int], rels: list[int]) -> tuple[np.ndarray, np.ndarray]:
        """``A x = b`` over ``cells`` from ``rels`` (known and determined cells moved right)."""
        s = self.s
        pos = {c: k for k, c in enumerate(cells)}
        a = np.zeros((len(rels), len(cells)))
        b = np.zeros(len(rels))
        for i, r in enumerate(rels):
            for sign, c in ((1.0, s.totals[r]), *((-1.0, p) for p in s.parts[r])):
                if c in pos:
                    a[i, pos[c]] += sign
                else:
                    b[i] -= sign * self.val[c]
        return a, b

    def bounds(self, cells: list[int], rels: list[int], which: list[int], name: str):
        """Smallest and largest whole value of each cell in ``which`` (attacker's view)."""
        a, b = self.equations(cells, rels)
        lb = self.lb[cells].astype(float)
        pos = {c: k for k, c in enumerate(cells)}
        low, high = {}, {}
        for c in which:
            obj = np.zeros(len(cells))
            obj[pos[c]] = 1.0
            least = _solve(obj, a, b, lb, None, name)
            most = _solve(-obj, a, b, lb, None, name)
            low[c] = -math.inf if least is None else float(math.ceil(least - _EPS))
            high[c] = math.inf if most is None else float(math.floor(-most + _EPS))
        return low, high

    def solution(self, cells: list[int], rels: list[int], name: str) -> np.ndarray:
        """One whole-number solution for ``cells`` (as a full-length array, NaN elsewhere)."""
        a, b = self.equations(cells, rels)
        lb = self.lb[cells].astype(float)
        x = _vertex(np.zeros(len(cells)), a, b, lb, None, name)
        if x is None or np.abs(x - np.round(x)).max(initial=0) > _EPS:
            x = _vertex(np.zeros(len(cells)), a, b, lb, None, name, integer=True)
        out = np.full(self.s.n, np.nan)
        out[cells] = np.round(np.asarray(x))
        return out

    def pinned(
        self, cells: list[int], rels: list[int], which: list[int], truth: np.ndarray, name: str
    ) -> list[int]:
        """The cells of ``which`` that take one value only in every solution.

        ``truth`` is one whole-number solution (the true values). A cell is safe as
        soon as a second solution gives it another value: first from the vertices of
        linear programs with random objectives, then cell by cell; only when a
        vertex is fractional is the integer problem solved.
        """
        a, b = self.equations(cells, rels)
        x0 = truth[cells]
        lb = self.lb[cells].astype(float)
        margin = float(np.ceil(np.abs(b).sum() + np.abs(x0).sum())) + 10.0
        ub = x0 + margin
        pos = {c: k for k, c in enumerate(cells)}
        left = {c for c in which}
        rng = np.random.default_rng(_SEED)

        def clear(x: np.ndarray | None) -> None:
            if x is None or np.abs(x - np.round(x)).max(initial=0) > _EPS:
                return
            moved = {cells[k] for k in np.flatnonzero(np.abs(np.round(x) - x0) >= 0.5)}
            left.difference_update(moved)

        sense = 1.0
        while left:
            sense = -sense
            before = len(left)
            obj = np.zeros(len(cells))
            idx = [pos[c] for c in sorted(left)]
            obj[idx] = sense * rng.uniform(1.0, 2.0, len(idx))
            clear(_vertex(obj, a, b, lb, ub, name))
            if len(left) == before and sense > 0:
                break
        for c in sorted(left):
            if c not in left:
                continue
            k = pos[c]
            for sense in (-1.0, 1.0):
                obj = np.zeros(len(cells))
                obj[k] = sense
                x = _vertex(obj, a, b, lb, ub, name)
                if x is None:
                    continue
                if abs(x[k] - x0[k]) < 1 - _EPS:
                    continue  # even the relaxation cannot move it this way
                if np.abs(x - np.round(x)).max(initial=0) > _EPS:
                    x = _vertex(obj, a, b, lb, ub, name, integer=True)
                clear(x)
                if c not in left:
                    break
        return sorted(left)


def _vertex(
    obj: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    lb: np.ndarray,
    ub: np.ndarray | None,
    name: str,
    *,
    integer: bool = False,
) -> np.ndarray | None:
    """An optimal point of min obj.x subject to a x = b, lb <= x <= ub (None: unbounded)."""
    from scipy.optimize import Bounds, LinearConstraint, linprog, milp

    upper = np.full(len(lb), np.inf) if ub is None else ub
    if integer:
        res = milp(
            obj,
            constraints=LinearConstraint(a, b, b),
            bounds=Bounds(lb, upper),
            integrality=np.ones(len(lb)),
        )
    else:
        res = linprog(
            obj,
            A_eq=a,
            b_eq=b,
            bounds=list(zip(lb, [None if np.isinf(u) else u for u in upper], strict=True)),
            method="highs",
        )
    if res.status == 3:
        return None
    if res.status == 2:
        raise DisclosureError(
            f"{name}: the published values do not fit the table's spec (no counts "
            "satisfy every total); check the spec and the table."
        )
    if res.status != 0:  # pragma: no cover - time or iteration limits on tiny problems
        raise DisclosureError(f"{name}: the disclosure check failed ({res.message}).")
    return np.asarray(res.x, dtype=float)


def _solve(
    obj: np.ndarray, a: np.ndarray, b: np.ndarray, lb: np.ndarray, ub: Any, name: str
) -> float | None:
    """The least whole-number value of obj.x (None when unbounded below).

    The linear relaxation is solved with :func:`scipy.optimize.linprog`; only when
    its optimal vertex is not whole is the integer problem solved with
    :func:`scipy.optimize.milp` (a whole vertex is optimal for both).
    """
    x = _vertex(obj, a, b, lb, ub, name)
    if x is None:
        return None
    if np.abs(x - np.round(x)).max(initial=0) > _EPS:
        x = _vertex(obj, a, b, lb, ub, name, integer=True)
        if x is None:  # pragma: no cover - bounded relaxation, bounded integer problem
            return None
    return float(obj @ x)


# ---------------------------------------------------------------------------- protect


def _count_values(table: pd.DataFrame, col: str, spec: TableSpec, name: str) -> np.ndarray:
    series = table[col]
    if pd.api.types.is_bool_dtype(series.dtype):
        raise DisclosureError(f"{name}: count column {col!r} holds true/false, not counts.")
    if pd.api.types.is_numeric_dtype(series.dtype):
        values = np.array(series.to_numpy(dtype=float, na_value=np.nan), dtype=float)
        bad = np.zeros(len(values), dtype=bool)
    else:
        numbers = pd.to_numeric(series, errors="coerce")
        values = np.array(numbers.to_numpy(dtype=float, na_value=np.nan), dtype=float)
        bad = np.array((numbers.isna() & series.notna()).to_numpy(), dtype=bool)
    with np.errstate(invalid="ignore"):
        bad |= np.isinf(values) | (values < 0)
        bad |= (values != np.floor(values)) & ~np.isnan(values)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise DisclosureError(
            f"{name}: count column {col!r} holds {series.iloc[i]!r} in "
            f"{_where(table, spec, i)}; counts must be whole numbers of 0 or more "
            "(or missing)."
        )
    return values


def _check_columns(table: pd.DataFrame, spec: TableSpec, name: str) -> None:
    if not isinstance(table, pd.DataFrame):
        raise DisclosureError(f"{name}: protect needs a pandas DataFrame.")
    if table.columns.duplicated().any():
        raise DisclosureError(
            f"{name}: the table has repeated column names "
            f"{sorted(set(table.columns[table.columns.duplicated()]))}."
        )
    for col, what in spec._columns_used():
        if col not in table.columns:
            raise DisclosureError(
                f"{name}: the spec's {what} names the column {col!r}, which the table "
                f"lacks; its columns are {list(table.columns)}."
            )
    counts, derived = set(spec.count_columns), set(spec.derived_columns)
    for what in ("rests_on", "rests_on_previous", "rests_on_first"):
        for key, cols in getattr(spec, what).items():
            other = [c for c in cols if c not in counts and c not in derived]
            if other:
                raise DisclosureError(
                    f"{name}: the spec's {what}[{key!r}] names {other}, which are neither "
                    "count nor derived columns; name them in counts."
                )


def _choose(
    attack: _Attack,
    rels: Iterable[int],
    protected: np.ndarray,
    exposed: np.ndarray | None,
) -> int | None:
    """The published cell to suppress next among the cells of ``rels``.

    A non-zero count: a part rather than a total, then one that also closes another
    exposed relation, then the smallest.
    """
    s = attack.s
    rels = list(rels)
    totals = {s.totals[r] for r in rels}
    best, best_key = None, None
    for r in rels:
        for c in s.cells(r):
            if not attack.known[c] or s.is_diff[c] or not s.value[c] > 0:
                continue
            fixes = 0
            if exposed is not None:
                fixes = sum(1 for r2 in s.cell_rels[c] if r2 not in rels and exposed[r2])
            key = (c in totals, bool(s.is_total[c]), -fixes, s.value[c], c)
            if best_key is None or key < best_key:
                best, best_key = c, key
    return best


def _fallback(attack: _Attack, cell: int, protected: np.ndarray) -> int | None:
    """A cell to suppress when the relations of ``cell`` have none left to offer."""
    s = attack.s
    seen_rels: set[int] = set()
    frontier = {cell}
    seen_cells = {cell}
    while frontier:
        rels = {r for c in frontier for r in s.cell_rels[c]} - seen_rels
        if not rels:
            break
        seen_rels |= rels
        pick = _choose(attack, sorted(rels), protected, None)
        if pick is not None:
            return pick
        frontier = {c for r in rels for c in s.cells(r)} - seen_cells
        seen_cells |= frontier
    return _choose(attack, range(len(s.totals)), protected, None)


def _secondary(
    system: _System,
    suppressed: np.ndarray,
    missing: np.ndarray,
    sensitive: np.ndarray,
    truth: np.ndarray,
    name: str,
) -> np.ndarray:
    """Suppress further published counts until no protected cell can be worked out.

    ``suppressed``: count cells suppressed so far; ``missing``: count cells missing
    from the input; ``sensitive``: unpublished differences from 1 to min_cell - 1;
    ``truth``: the true value of every cell (NaN where not known).
    """
    s = system
    suppressed = suppressed.copy()
    is_count = ~s.is_diff
    safe = np.zeros(s.n, dtype=bool)
    while True:
        known = is_count & ~suppressed & ~missing
        protected = suppressed | sensitive
        # 1. a relation whose only unknown is protected gives it away at once
        unknown = ~known
        exposed = (s.per_relation(unknown) == 1) & (s.per_relation(unknown & protected) == 1)
        if exposed.any():
            r = int(np.flatnonzero(exposed)[0])
            u = next(c for c in s.cells(r) if unknown[c])
            attack = _Attack(s, known, np.zeros(s.n))
            pick = _choose(attack, [r], protected, exposed)
            if pick is None:
                pick = _fallback(attack, u, protected)
            if pick is None:  # pragma: no cover - see _fallback: cannot happen
                raise DisclosureError(f"{name}: no cell left to protect a suppressed cell.")
            suppressed[pick] = True
            continue
        lb = np.where(suppressed, 1.0, 0.0)
        attack = _Attack(s, known, lb)
        # 2. chains of relations, each with one unknown left once the others are known
        attack.peel()
        found = np.flatnonzero(attack.det & protected)
        if len(found):
            u = int(found[0])
            pick = _choose(attack, [int(attack.det_by[u])], protected, None)
            if pick is None:
                pick = _fallback(attack, u, protected)
            if pick is None:  # pragma: no cover
                raise DisclosureError(f"{name}: no cell left to protect a suppressed cell.")
            suppressed[pick] = True
            continue
        # 3. the exact check: whole-number bounds from the linear relations. A cell
        # found safe stays safe: suppressing more only widens what the attacker allows.
        recovered: list[int] = []
        for cells, rels in attack.components():
            which = [c for c in cells if protected[c] and not safe[c]]
            if not which:
                continue
            point = truth
            if np.isnan(truth[cells]).any():  # cells of unknown value: any solution will do
                point = attack.solution(cells, rels, name)
            pinned = attack.pinned(cells, rels, which, point, name)
            safe[which] = True
            safe[pinned] = False
            recovered += pinned
        if not recovered:
            return suppressed
        rec = set(recovered)
        # one complement per recovered cell whose relations got none yet this round;
        # the next round checks again whatever these did not settle
        used: set[int] = set()
        for u in sorted(rec):
            free = ~known & ~attack.det
            rels = s.cell_rels[u]
            pins = [r for r in rels if all(c in rec or not free[c] for c in s.cells(r))]
            if used & set(pins or rels):
                continue
            pick = _choose(attack, pins or rels, protected, None)
            if pick is None:
                pick = _choose(attack, rels, protected, None)
            if pick is None:
                pick = _fallback(attack, u, protected)
            if pick is None:
                if used:
                    continue
                # not reached: with every non-zero count suppressed, nothing is recovered
                raise DisclosureError(  # pragma: no cover
                    f"{name}: no cell left to protect a suppressed cell."
                )
            suppressed[pick] = True
            known[pick] = False
            used.update(s.cell_rels[pick])


def _suppress_derived(
    table: pd.DataFrame,
    spec: TableSpec,
    policy: DisclosurePolicy,
    flags: dict[str, np.ndarray],
    links: list[tuple[int, int]],
) -> dict[str, np.ndarray]:
    """Derived cells to suppress: resting on a suppressed cell or on too few units."""
    nrows = len(table)
    previous = np.full(nrows, -1)
    for p, c in links:
        previous[c] = p
    first = np.arange(nrows)
    for _ in range(nrows):
        step = np.where(previous[first] >= 0, previous[first], first)
        if (step == first).all():
            break
        first = step
    out = {d: np.zeros(nrows, dtype=bool) for d in spec.derived_columns}
    present = {d: table[d].notna().to_numpy() for d in spec.derived_columns}
    for d, base in spec.bases.items():
        units = pd.to_numeric(table[base], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        with np.errstate(invalid="ignore"):
            out[d] |= np.isnan(units) | (units < policy.min_cell)
    bases = {d: (b,) for d, b in spec.bases.items()}
    for _ in range(len(out) + 1):
        changed = False
        hidden = {c: flags[c] == SUPPRESSED for c in flags}
        hidden.update({d: (out[d] & present[d]) | hidden[d] for d in out})
        for what, rows in (
            ("bases", np.arange(nrows)),
            ("rests_on", np.arange(nrows)),
            ("rests_on_previous", previous),
            ("rests_on_first", first),
        ):
            for d, cols in (bases if what == "bases" else getattr(spec, what)).items():
                for c in cols:
                    mask = np.zeros(nrows, dtype=bool)
                    ok = rows >= 0
                    mask[ok] = hidden[c][rows[ok]]
                    if (mask & ~out[d]).any():
                        out[d] |= mask
                        changed = True
        if not changed:
            break
    return {d: out[d] & present[d] for d in out}


def protect(
    table: pd.DataFrame | ProtectedTable,
    spec: TableSpec,
    policy: DisclosurePolicy,
    *,
    name: str,
) -> ProtectedTable:
    """Apply disclosure control to one table.

    Parameters
    ----------
    table
        The exact table (or an already protected table: its suppressions are kept
        and checked again, so protecting twice changes nothing).
    spec
        Its count and derived columns and the relations between its cells.
    policy
        Minimum cell size and rounding.
    name
        The table's name, used in messages and notes.

    Returns
    -------
    ProtectedTable
        ``values`` (count columns as ``Int64``, suppressed cells NA) and ``flags``
        (``""``, ``"c"``, ``"x"``), with the numbers of suppressed cells.

    Raises
    ------
    DisclosureError
        If the spec names a column the table lacks, a count column holds a negative
        or fractional value, a total is not the sum of its parts, or a stage of a
        flow holds more than the stage before it; the message names the table, row
        and column.

    Notes
    -----
    Steps: (1) primary suppression of every count from 1 to ``min_cell - 1``;
    (2) secondary suppression: while a suppressed count, or a fall from 1 to
    ``min_cell - 1`` between two stages of a flow, can be worked out from the
    relations, one more published count is suppressed, from a relation where it is
    worked out: a part rather than a total, then one that also closes another such
    relation, then the smallest non-zero count. Relations with one unknown are found
    directly, chains of them by substitution, and what is left with the exact check
    of :func:`audit` (whole-number bounds by linear programming); (3) derived values
    resting on a suppressed cell or on fewer than ``min_cell`` units are suppressed;
    (4) published counts are rounded if the policy says so. The cells chosen are
    never zero: an attacker who knows that every ``c`` is at least 1 is taken into
    account. Each table is protected on its own: tables that share cells (the same
    count in two tables) must be given consistent suppressions by their author.

    Examples
    --------
    >>> t = pd.DataFrame({"site": ["A", "B", "C", "all"], "families": [12, 3, 9, 24],
    ...                   "share": [0.5, 0.125, 0.375, 1.0]})
    >>> spec = TableSpec(counts=("families",), column_totals=(("site", "all", None),),
    ...                  rests_on={"share": ("families",)}, bases={"share": "families"})
    >>> p = protect(t, spec, DisclosurePolicy(), name="families_by_site")
    >>> p.display()["families"].tolist()
    [12, 'c', 'c', 24]
    >>> p.display()["share"].tolist()
    [0.5, 'c', 'c', 1.0]
    >>> bool(audit(p)["recovered"].any())
    False
    """
    if not isinstance(policy, DisclosurePolicy):
        raise DisclosureError(f"{name}: policy must be a DisclosurePolicy.")
    if not isinstance(spec, TableSpec):
        raise DisclosureError(f"{name}: spec must be a TableSpec.")
    before: ProtectedTable | None = None
    if isinstance(table, ProtectedTable):
        before = table
        table = before.unrounded if before.unrounded is not None else before.values
    _check_columns(table, spec, name)
    columns = spec.count_columns
    nrows = len(table)
    counts = np.column_stack(
        [_count_values(table, c, spec, name) for c in columns] or [np.zeros((nrows, 0))]
    ).reshape(nrows, len(columns))
    pre = np.zeros((nrows, len(columns)), dtype=bool)
    if before is not None:
        for j, c in enumerate(columns):
            if c in before.flags.columns:
                pre[:, j] = before.flags[c].to_numpy() == SUPPRESSED
    system, links = _compile(table, spec, name, counts)
    _check_consistent(system, name)
    n_counts = system.n_counts
    pre_cells = np.concatenate([pre.T.reshape(-1), np.zeros(system.n - n_counts, dtype=bool)])
    value = system.value
    missing = np.isnan(value) & ~system.is_diff & ~pre_cells
    with np.errstate(invalid="ignore"):
        small = (value >= 1) & (value < policy.min_cell)
    primary = small & ~system.is_diff
    sensitive = small & system.is_diff
    suppressed = _secondary(system, primary | pre_cells, missing, sensitive, value, name)
    suppressed &= ~system.is_diff

    cell_flags = suppressed[:n_counts].reshape(len(columns), nrows).T
    grid = np.full(table.shape, "", dtype=object)
    grid[table.isna().to_numpy()] = NOT_AVAILABLE
    flags = {c: grid[:, k] for k, c in enumerate(table.columns)}
    for j, c in enumerate(columns):
        flags[c][cell_flags[:, j]] = SUPPRESSED
    if before is not None:
        for c in spec.derived_columns:
            if c in before.flags.columns:
                flags[c][before.flags[c].to_numpy() == SUPPRESSED] = SUPPRESSED
    derived = _suppress_derived(table, spec, policy, flags, links)
    for d, mask in derived.items():
        flags[d][mask] = SUPPRESSED
    n_derived = sum(int((flags[d] == SUPPRESSED).sum()) for d in derived)

    exact: dict[Any, Any] = {c: table[c] for c in table.columns}
    shown = dict(exact)
    for j, c in enumerate(columns):
        v = np.where(cell_flags[:, j], np.nan, counts[:, j])
        exact[c] = pd.array(v, dtype="Int64")
        shown[c] = pd.array(policy.round_counts(v), dtype="Int64") if policy.round_to else exact[c]
    for d in derived:
        hide = flags[d] == SUPPRESSED
        if hide.any():
            col = table[d]
            if pd.api.types.is_integer_dtype(col.dtype):
                col = col.astype("Int64")
            exact[d] = shown[d] = col.mask(hide)

    def frame(columns_: dict[Any, Any]) -> pd.DataFrame:
        out = pd.DataFrame(
            {
                k: pd.Series(v, index=table.index) if not isinstance(v, pd.Series) else v
                for k, v in enumerate(columns_.values())
            },
            index=table.index,
        )
        out.columns = table.columns
        return out

    flag_frame = pd.DataFrame(grid, index=table.index, columns=table.columns)
    n_primary = int(primary[:n_counts].sum())
    if before is not None:
        n_primary = before.n_primary
    n_secondary = int(cell_flags.sum()) - n_primary
    return ProtectedTable(
        name=name,
        values=frame(shown),
        flags=flag_frame,
        policy=policy,
        spec=spec,
        n_primary=n_primary,
        n_secondary=n_secondary,
        n_derived=n_derived,
        unrounded=frame(exact) if policy.round_to else None,
    )


# ---------------------------------------------------------------------------- audit


def audit(protected: ProtectedTable) -> pd.DataFrame:
    """The attacker: what can be worked out about each suppressed cell.

    Parameters
    ----------
    protected
        A protected table (from :func:`protect`, or built by hand to test a
        suppression pattern).

    Returns
    -------
    pandas.DataFrame
        One row per suppressed count, and one per fall between consecutive stages
        of a flow that is not published outright (a stage suppressed) or is a small
        number; columns:

        ``row``
            The index label of the row (the later stage for a fall).
        ``column``
            The count column.
        ``low``, ``high``
            The smallest and largest whole value consistent with everything
            published (``inf`` when unbounded).
        ``recovered``
            True when ``low == high``: the attacker knows the value (for a
            difference, only when that value is from 1 to ``min_cell - 1``).
        ``kind``
            ``"suppressed count"`` or ``"difference from previous stage"``.

    Raises
    ------
    DisclosureError
        If the published values contradict the spec's relations.

    Notes
    -----
    Every relation of the spec is written as a linear equation between cells; the
    attacker knows each published count exactly (counts before rounding, which is
    conservative), that a suppressed count is a whole number of at least 1 (zeros
    are always shown, so ``c`` is never 0), and that a fall between stages and a
    missing count are at least 0. It does not assume a suppressed count is below
    ``min_cell``, because primary and secondary suppressions look the same. Bounds
    come from linear programs (:func:`scipy.optimize.linprog`), refined to whole
    numbers with :func:`scipy.optimize.milp` when an optimum is fractional.
    Derived values are not used: a published share, mean or rate rests only on
    published counts (see :func:`protect`), so it adds no equation about a
    suppressed one.

    Examples
    --------
    >>> values = pd.DataFrame({"a": pd.array([None, 9], dtype="Int64"), "b": [10, 12],
    ...                        "all": [12, 21]})
    >>> flags = pd.DataFrame({"a": ["c", ""], "b": ["", ""], "all": ["", ""]})
    >>> leaky = ProtectedTable("leaky", values, flags, DisclosurePolicy(),
    ...                        TableSpec(row_totals=(("all", ("a", "b")),)), 1, 0)
    >>> audit(leaky)[["row", "column", "low", "high", "recovered"]].to_dict("records")
    [{'row': 0, 'column': 'a', 'low': 2.0, 'high': 2.0, 'recovered': True}]
    """
    spec, policy, name = protected.spec, protected.policy, protected.name
    table = protected.unrounded if protected.unrounded is not None else protected.values
    _check_columns(table, spec, name)
    columns = spec.count_columns
    nrows = len(table)
    flags = protected.flags
    counts = np.column_stack(
        [_count_values(table, c, spec, name) for c in columns] or [np.zeros((nrows, 0))]
    ).reshape(nrows, len(columns))
    hidden = np.column_stack(
        [flags[c].to_numpy() == SUPPRESSED for c in columns] or [np.zeros((nrows, 0), bool)]
    ).reshape(nrows, len(columns))
    counts[hidden] = np.nan
    system, _ = _compile(table, spec, name, counts)
    _check_consistent(system, name)
    n_counts = system.n_counts
    supp = np.concatenate([hidden.T.reshape(-1), np.zeros(system.n - n_counts, dtype=bool)])
    known = ~np.isnan(system.value) & ~system.is_diff
    lb = np.where(supp, 1.0, 0.0)
    attack = _Attack(system, known, lb)
    attack.peel()
    # a fall between two published stages is published; report it only when small
    stage_hidden = np.zeros(system.n, dtype=bool)
    for total, parts in zip(system.totals, system.parts, strict=True):
        if system.is_diff[parts[-1]]:
            stage_hidden[parts[-1]] = not (known[total] and known[parts[0]])
    report = [
        c
        for c in range(system.n)
        if supp[c]
        or (
            system.is_diff[c]
            and (stage_hidden[c] or (attack.det[c] and 1 <= attack.val[c] < policy.min_cell))
        )
    ]
    low = {c: attack.val[c] for c in report if attack.det[c]}
    high = dict(low)
    wanted = set(report) - set(low)
    for cells, rels in attack.components():
        which = [c for c in cells if c in wanted]
        if which:
            lo, hi = attack.bounds(cells, rels, which, name)
            low.update(lo)
            high.update(hi)
    for c in wanted - set(low):  # an unknown in no relation at all
        low[c], high[c] = float(lb[c]), math.inf
    rows = []
    for c in report:
        exact = low[c] == high[c]
        if system.is_diff[c]:
            exact = exact and 1 <= low[c] < policy.min_cell
        rows.append(
            {
                "row": table.index[int(system.row[c])],
                "column": columns[int(system.col[c])],
                "kind": _DIFFERENCE if system.is_diff[c] else _CELL,
                "low": float(low[c]),
                "high": float(high[c]),
                "recovered": bool(exact),
            }
        )
    out = pd.DataFrame(rows, columns=list(_AUDIT_COLUMNS))
    return out.astype({"low": float, "high": float, "recovered": bool})


# ---------------------------------------------------------------------------- published


class PublishedResults:
    """What figures and documents read: protected tables, never the raw results.

    Read-only: tables come back as copies. ``results[name]`` is the protected
    values (NA where suppressed), ``results.flags(name)`` the ``""``/``"c"``/``"x"``
    flags and ``results.table(name)`` the :class:`ProtectedTable`.

    Parameters
    ----------
    tables
        Protected tables by name (each table's own name).
    plan, provenance
        The analysis plan and provenance of the results (kept as read-only
        mappings).
    policy
        The policy the tables were protected under; a table protected with a
        smaller ``min_cell`` is refused.

    Raises
    ------
    DisclosureError
        If a value is not a :class:`ProtectedTable`, a key is not its table's name,
        or a table was protected under a weaker policy.

    Examples
    --------
    >>> t = pd.DataFrame({"indicator": ["rate"], "n": [40], "estimate": [0.2]})
    >>> spec = TableSpec(counts=("n",), bases={"estimate": "n"})
    >>> pub = PublishedResults({"indicators": protect(t, spec, DisclosurePolicy(),
    ...                         name="indicators")}, plan={}, provenance={},
    ...                        policy=DisclosurePolicy())
    >>> pub.table_names, "indicators" in pub, pub.indicators.loc[0, "n"]
    (('indicators',), True, np.int64(40))
    """

    def __init__(
        self,
        tables: Mapping[str, ProtectedTable],
        *,
        plan: Mapping[str, Any] | None = None,
        provenance: Mapping[str, Any] | None = None,
        policy: DisclosurePolicy,
    ) -> None:
        if not isinstance(policy, DisclosurePolicy):
            raise DisclosureError("PublishedResults needs a DisclosurePolicy.")
        for key, table in tables.items():
            if not isinstance(table, ProtectedTable):
                raise DisclosureError(
                    f"PublishedResults: {key!r} is not a ProtectedTable; pass every table "
                    "through protect() first."
                )
            if table.name != key:
                raise DisclosureError(
                    f"PublishedResults: the table under {key!r} is named {table.name!r}."
                )
            if table.policy.min_cell < policy.min_cell:
                raise DisclosureError(
                    f"PublishedResults: {key!r} was protected with min_cell = "
                    f"{table.policy.min_cell}, below the policy's {policy.min_cell}."
                )
        self._tables: Mapping[str, ProtectedTable] = MappingProxyType(dict(tables))
        self.plan: Mapping[str, Any] = MappingProxyType(dict(plan or {}))
        self.provenance: Mapping[str, Any] = MappingProxyType(dict(provenance or {}))
        self.policy = policy

    def _get(self, name: str) -> ProtectedTable:
        try:
            return self._tables[name]
        except KeyError:
            raise KeyError(f"no published table {name!r}; tables: {list(self._tables)}") from None

    def __getitem__(self, name: str) -> pd.DataFrame:
        """The protected values of a table (a copy; NA where suppressed or missing)."""
        return self._get(name).values.copy()

    def flags(self, name: str) -> pd.DataFrame:
        """The flags of a table (a copy): ``""`` shown, ``"c"`` suppressed, ``"x"`` missing."""
        return self._get(name).flags.copy()

    def table(self, name: str) -> ProtectedTable:
        """The :class:`ProtectedTable` itself (values, flags, note, spec, policy)."""
        return self._get(name)

    @property
    def table_names(self) -> tuple[str, ...]:
        """Names of the tables, in the order given."""
        return tuple(self._tables)

    @property
    def indicators(self) -> pd.DataFrame:
        """The protected indicator table (``self["indicators"]``)."""
        return self["indicators"]

    def audit(self) -> pd.DataFrame:
        """:func:`audit` of every table, one frame with a ``table`` column first."""
        frames = [audit(t).assign(table=name) for name, t in self._tables.items()]
        cols = ["table", *_AUDIT_COLUMNS]
        if not frames:
            return pd.DataFrame(columns=cols)
        return pd.concat(frames, ignore_index=True)[cols]

    def __contains__(self, name: object) -> bool:
        return name in self._tables

    def __iter__(self) -> Iterator[str]:
        return iter(self._tables)

    def __len__(self) -> int:
        return len(self._tables)

    def __repr__(self) -> str:
        n = sum(t.n_suppressed for t in self._tables.values())
        return (
            f"<PublishedResults: {len(self._tables)} tables, {n} cells suppressed "
            f"(min_cell {self.policy.min_cell}"
            + (f", rounded to {self.policy.round_to}" if self.policy.round_to else "")
            + f"); tables: {', '.join(self._tables) or 'none'}>"
        )
