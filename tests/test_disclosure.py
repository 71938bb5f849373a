"""Tests of disclosure control (``noream_eval.reports.disclosure``).

The policy is that of the Department for Education's children in need statistics:
"any number between 1 and 5 inclusive has been suppressed and replaced by 'c'.
Secondary suppression has been applied where necessary"; "0 indicates the original
figure submitted was zero"; totals rounded to the nearest 10 "may not equal the sum of
their component parts" (data guidance of the release,
https://explore-education-statistics.service.gov.uk/find-statistics/children-in-need),
following the Government Statistical Service's disclosure control guidance for tables
produced from administrative sources and its symbols ('c' confidential, 'x' not
available).

Protection is checked by an attacker written here, independently of ``audit``: it
writes the tables' totals, stage falls and published shares (times their published
denominators) as equations over whole numbers and searches, by interval propagation
and exhaustive branching, for a second solution in which a suppressed cell takes
another value. A cell for which none exists has been recovered.
"""

from __future__ import annotations

import math
import tomllib

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from noream_eval.config import DEFAULT_PARAMETERS, load_config, parse_config
from noream_eval.errors import ConfigError, DisclosureError
from noream_eval.reports.disclosure import (
    DisclosurePolicy,
    ProtectedTable,
    PublishedResults,
    TableSpec,
    audit,
    protect,
)

POLICY = DisclosurePolicy()
PROPERTY = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)

# ---------------------------------------------------------------------------- the attacker


def _propagate(lo: dict, hi: dict, eqs: list[tuple[dict, float]]) -> bool:
    """Narrow whole-number bounds with every equation sum(a * x) = b (a = +-1)."""
    changed = True
    while changed:
        changed = False
        for coefs, const in eqs:
            for v, a in coefs.items():
                others_min = sum(
                    c * (lo[u] if c > 0 else hi[u]) for u, c in coefs.items() if u != v
                )
                others_max = sum(
                    c * (hi[u] if c > 0 else lo[u]) for u, c in coefs.items() if u != v
                )
                if a > 0:
                    new_lo, new_hi = const - others_max, const - others_min
                else:
                    new_lo, new_hi = others_min - const, others_max - const
                new_lo, new_hi = math.ceil(new_lo - 1e-9), math.floor(new_hi + 1e-9)
                if new_lo > lo[v]:
                    lo[v], changed = new_lo, True
                if new_hi < hi[v]:
                    hi[v], changed = new_hi, True
                if lo[v] > hi[v]:
                    return False
    return True


def _feasible(lo: dict, hi: dict, eqs: list[tuple[dict, float]]) -> bool:
    """Whether the equations have a whole-number solution within the bounds."""
    lo, hi = dict(lo), dict(hi)
    if not _propagate(lo, hi, eqs):
        return False
    open_ = [v for v in lo if lo[v] < hi[v]]
    if not open_:
        return all(abs(sum(a * lo[v] for v, a in c.items()) - b) < 1e-9 for c, b in eqs)
    v = min(open_, key=lambda u: hi[u] - lo[u])
    mid = (lo[v] + hi[v]) // 2
    return _feasible(lo, {**hi, v: mid}, eqs) or _feasible({**lo, v: mid + 1}, hi, eqs)


def _another_value(
    eqs: list[tuple[dict, float]], lo: dict, hi: dict, target: object, value: int
) -> bool:
    """Whether some solution gives ``target`` a value other than ``value``."""
    below = value - 1 >= lo[target] and _feasible(lo, {**hi, target: value - 1}, eqs)
    return below or (value + 1 <= hi[target] and _feasible({**lo, target: value + 1}, hi, eqs))


def _system(known: dict, unknown: dict, relations: list[tuple[object, list[object]]]):
    """Equations over the unknowns: each relation total = sum(parts), known values moved."""
    eqs = []
    for total, parts in relations:
        coefs: dict = {}
        const = 0.0
        for cell, sign in ((total, 1), *((p, -1) for p in parts)):
            if cell in unknown:
                coefs[cell] = coefs.get(cell, 0) + sign
            else:
                const -= sign * known[cell]
        if coefs:
            eqs.append((coefs, const))
    return eqs


def _attack(known: dict, unknown: dict, relations, lower: dict) -> list[object]:
    """The unknown cells the attacker recovers (``unknown``: cell -> true value)."""
    eqs = _system(known, unknown, relations)
    bound = 2 * (sum(known.values()) + sum(unknown.values())) + 10
    lo = {c: lower[c] for c in unknown}
    hi = {c: bound for c in unknown}
    return [c for c, v in unknown.items() if not _another_value(eqs, lo, hi, c, v)]


def _exact(p: ProtectedTable) -> pd.DataFrame:
    """The published counts before rounding: the stronger attacker's view."""
    return p.unrounded if p.unrounded is not None else p.values


# ---------------------------------------------------------------------------- tables


def _grid(cells: list[list[int]], *, share: bool = True) -> tuple[pd.DataFrame, TableSpec]:
    """A table of counts with a total column, a total row and the share of column c0."""
    cols = [f"c{j}" for j in range(len(cells[0]))]
    t = pd.DataFrame(cells, columns=cols)
    t["total"] = t[cols].sum(axis=1)
    t.loc[len(t)] = t.sum()
    t.insert(0, "group", [f"g{i}" for i in range(len(cells))] + ["all"])
    if share:
        with np.errstate(invalid="ignore", divide="ignore"):
            t["share"] = (t["c0"] / t["total"]).where(t["total"] > 0)
    spec = TableSpec(
        counts=(*cols, "total"),
        row_totals=(("total", tuple(cols)),),
        column_totals=(("group", "all", None),),
        bases={"share": "total"} if share else {},
        rests_on={"share": ("c0",)} if share else {},
    )
    return t, spec


def _grid_relations(t: pd.DataFrame) -> list[tuple[object, list[object]]]:
    cols = [c for c in t.columns if c.startswith("c")] + ["total"]
    parts = [c for c in cols if c != "total"]
    body = list(range(len(t) - 1))
    last = len(t) - 1
    rel = [((i, "total"), [(i, c) for c in parts]) for i in range(len(t))]
    rel += [((last, c), [(i, c) for i in body]) for c in cols]
    return rel


def _grid_recovered(p: ProtectedTable, truth: pd.DataFrame) -> list[object]:
    """Cells of a grid the attacker recovers from totals and published shares."""
    shown, flags = _exact(p), p.flags
    cols = [c for c in truth.columns if c.startswith("c")] + ["total"]
    known, unknown = {}, {}
    for i in range(len(truth)):
        for c in cols:
            if flags.at[i, c] == "c":
                unknown[(i, c)] = int(truth.at[i, c])
            else:
                known[(i, c)] = int(shown.at[i, c])
    relations = _grid_relations(truth)
    # published shares times published denominators (and the reverse)
    for i in range(len(truth)):
        if "share" not in flags.columns or flags.at[i, "share"] != "":
            continue
        s = float(p.values.at[i, "share"])
        if (i, "c0") in unknown and (i, "total") in known:
            known[(i, "c0_from_share")] = round(s * known[(i, "total")])
            relations.append(((i, "c0"), [(i, "c0_from_share")]))
        if (i, "total") in unknown and (i, "c0") in known and s > 0:
            known[(i, "total_from_share")] = round(known[(i, "c0")] / s)
            relations.append(((i, "total"), [(i, "total_from_share")]))
    lower = dict.fromkeys(unknown, 1)  # zeros are shown, so a 'c' is at least 1
    return _attack(known, unknown, relations, lower)


def _flow(counts: list[int]) -> tuple[pd.DataFrame, TableSpec]:
    t = pd.DataFrame(
        {"stage": [f"s{k}" for k in range(len(counts))], "order": range(1, len(counts) + 1)}
    )
    t["n"] = counts
    with np.errstate(invalid="ignore", divide="ignore"):
        t["share_of_previous"] = (t["n"] / t["n"].shift()).where(t["n"].shift() > 0)
    spec = TableSpec(
        funnel=("n", "order"),
        rests_on={"share_of_previous": ("n",)},
        rests_on_previous={"share_of_previous": ("n",)},
    )
    return t, spec


def _flow_recovered(p: ProtectedTable, truth: list[int]) -> tuple[list[int], list[int]]:
    """Suppressed stages and small falls between stages the attacker recovers."""
    flags, shown = p.flags["n"].tolist(), _exact(p)["n"].tolist()
    known, unknown, lower = {}, {}, {}
    for k, v in enumerate(truth):
        if flags[k] == "c":
            unknown[("n", k)], lower[("n", k)] = v, 1
        else:
            known[("n", k)] = int(shown[k])
    relations = []
    for k in range(1, len(truth)):
        unknown[("fall", k)], lower[("fall", k)] = truth[k - 1] - truth[k], 0
        relations.append((("n", k - 1), [("n", k), ("fall", k)]))
    # a published share of the previous stage times that stage
    for k in range(1, len(truth)):
        if p.flags.at[k, "share_of_previous"] == "" and ("n", k) in unknown:
            prev = known.get(("n", k - 1))
            if prev is not None:
                known[("from_share", k)] = round(float(p.values.at[k, "share_of_previous"]) * prev)
                relations.append((("n", k), [("from_share", k)]))
    got = _attack(known, unknown, relations, lower)
    small = range(1, p.policy.min_cell)
    stages = [k for kind, k in got if kind == "n"]
    falls = [k for kind, k in got if kind == "fall" and truth[k - 1] - truth[k] in small]
    return stages, falls


VALUES = st.sampled_from([0, 0, 1, 2, 3, 4, 5, 6, 7, 9, 12, 20])
POLICIES = st.builds(
    DisclosurePolicy,
    min_cell=st.sampled_from([3, 6, 10]),
    round_to=st.sampled_from([None, 5, 10]),
)


@st.composite
def grids(draw) -> list[list[int]]:
    nrows = draw(st.integers(2, 4))
    ncols = draw(st.integers(2, 3))
    return draw(
        st.lists(st.lists(VALUES, min_size=ncols, max_size=ncols), min_size=nrows, max_size=nrows)
    )


@st.composite
def flows(draw) -> list[int]:
    counts = [draw(st.integers(6, 60))]
    for _ in range(draw(st.integers(2, 5))):
        drop = draw(st.sampled_from([0, 1, 2, 3, 4, 5, 7, 12, 30]))
        counts.append(max(counts[-1] - drop, 0))
    return counts


def _naive(t: pd.DataFrame, spec: TableSpec, policy: DisclosurePolicy) -> ProtectedTable:
    """Only the small counts suppressed: what a table without secondary suppression shows."""
    values, flags = t.copy(), pd.DataFrame("", index=t.index, columns=t.columns)
    for c in spec.count_columns:
        small = (t[c] >= 1) & (t[c] < policy.min_cell)
        flags.loc[small, c] = "c"
        values[c] = t[c].astype("Int64").mask(small)
    return ProtectedTable("naive", values, flags, policy, spec, 0, 0)


# ---------------------------------------------------------------------------- worked examples


def test_one_small_cell_in_a_table_with_margins_gets_a_rectangle_of_complements():
    # 3 is primary; its row's smallest other part is 10 (b), its column's 8 (row r2);
    # (r2, b) closes both the column of b and the row r2: four cells, no total touched.
    t = pd.DataFrame({"g": ["r1", "r2", "r3", "all"], "a": [3, 8, 15, 26], "b": [10, 9, 7, 26]})
    t["c"] = [12, 20, 11, 43]
    t["total"] = t[["a", "b", "c"]].sum(axis=1)
    spec = TableSpec(
        counts=("a", "b", "c", "total"),
        row_totals=(("total", ("a", "b", "c")),),
        column_totals=(("g", "all", None),),
    )
    p = protect(t, spec, POLICY, name="grid")
    rows, cols = np.nonzero((p.flags == "c").to_numpy())
    suppressed = {(t.at[i, "g"], p.flags.columns[j]) for i, j in zip(rows, cols, strict=True)}
    assert suppressed == {("r1", "a"), ("r1", "b"), ("r2", "a"), ("r2", "b")}
    assert (p.n_primary, p.n_secondary, p.n_derived) == (1, 3, 0)
    assert p.display()["total"].tolist() == [25, 37, 33, 95]
    report = audit(p)
    assert not report["recovered"].any()
    # the attacker's interval for the small cell: a = 13 - b = 11 - a2, all at least 1
    row = report[(report["row"] == 0) & (report["column"] == "a")].iloc[0]
    assert (row["low"], row["high"]) == (1.0, 10.0)
    assert _grid_recovered(p, t) == []


def test_two_small_cells_whose_total_is_shown_are_protected_by_a_third():
    # 1 + 1 = 12 - 10: each is at least 1, so both would be recovered from the total
    t = pd.DataFrame({"a": [1], "b": [1], "c": [10], "all": [12]})
    spec = TableSpec(row_totals=(("all", ("a", "b", "c")),))
    assert audit(_naive(t, spec, POLICY))["recovered"].tolist() == [True, True]
    p = protect(t, spec, POLICY, name="ones")
    assert p.flags.iloc[0].tolist() == ["c", "c", "c", ""]
    assert audit(p)[["low", "high"]].to_numpy().tolist() == [[1, 10]] * 3


def test_a_small_fall_between_published_stages_suppresses_the_later_stage():
    t = pd.DataFrame(
        {"stage": ["referred", "eligible", "offered", "enrolled"], "order": [1, 2, 3, 4]}
    )
    t["n"] = [300, 297, 250, 240]
    t["share_of_previous"] = t["n"] / t["n"].shift()
    spec = TableSpec(
        funnel=("n", "order"),
        rests_on={"share_of_previous": ("n",)},
        rests_on_previous={"share_of_previous": ("n",)},
    )
    p = protect(t, spec, POLICY, name="flow")
    assert p.display()["n"].tolist() == [300, "c", 250, 240]
    # the share of 'eligible' rests on it, the share of 'offered' rests on it as its base
    assert p.display()["share_of_previous"].tolist()[:3] == ["x", "c", "c"]
    assert p.display()["share_of_previous"].tolist()[3] == pytest.approx(0.96)
    assert (p.n_primary, p.n_secondary, p.n_derived) == (0, 1, 2)
    report = audit(p)
    assert not report["recovered"].any()
    fall = report[(report["kind"] == "difference from previous stage") & (report["row"] == 1)]
    assert fall[["low", "high"]].to_numpy().tolist() == [[0.0, 50.0]]
    assert _flow_recovered(p, t["n"].tolist()) == ([], [])


def test_the_audit_reports_a_small_fall_between_published_stages():
    t = pd.DataFrame({"stage": ["a", "b"], "order": [1, 2], "n": [300, 297]})
    spec = TableSpec(funnel=("n", "order"))
    leaky = ProtectedTable(
        "leaky", t, pd.DataFrame("", index=t.index, columns=t.columns), POLICY, spec, 0, 0
    )
    report = audit(leaky)
    assert report.to_dict("records") == [
        {
            "row": 1,
            "column": "n",
            "low": 3.0,
            "high": 3.0,
            "recovered": True,
            "kind": "difference from previous stage",
        }
    ]


def test_a_branching_flow_uses_the_previous_stage_column():
    t = pd.DataFrame(
        {
            "stage": ["enrolled", "baseline_wellbeing", "baseline_domains", "followup_due"],
            "order": [1, 2, 3, 4],
            "previous": [None, "enrolled", "enrolled", "baseline_wellbeing"],
            "n": [120, 111, 118, 77],
        }
    )
    chain = TableSpec(funnel=("n", "order"))
    with pytest.raises(DisclosureError, match=r"row 3 .*no more than its previous stage, row 2"):
        protect(t, chain, POLICY, name="flow")
    tree = TableSpec(funnel=("n", "order"), funnel_previous=("stage", "previous"))
    p = protect(t, tree, POLICY, name="flow")
    # 120 -> 118 is a fall of 2: the later stage goes; 120 -> 111 -> 77 are safe
    assert p.display()["n"].tolist() == [120, 111, "c", 77]
    assert not audit(p)["recovered"].any()


def test_shares_and_means_resting_on_a_suppressed_count_or_few_units_are_suppressed():
    t = pd.DataFrame(
        {
            "site": ["A", "B", "C", "all"],
            "families": [40, 4, 30, 74],
            "engaged": [20, 2, 0, 22],
            "share_engaged": [0.5, 0.5, 0.0, 22 / 74],
            "respondents": [12, 3, 9, 24],  # not a count of this table, only a base
            "mean_score": [3.1, 4.0, 2.9, 3.2],
        }
    )
    spec = TableSpec(
        counts=("families", "engaged"),
        column_totals=(("site", "all", None),),
        bases={"share_engaged": "families", "mean_score": "respondents"},
        rests_on={"share_engaged": ("engaged",)},
    )
    p = protect(t, spec, POLICY, name="sites")
    shown = p.display()
    # 4 and 2 are primary; 30 protects 4 in families; engaged: 2 and 20 (0 is never used)
    assert shown["families"].tolist() == [40, "c", "c", 74]
    assert shown["engaged"].tolist() == ["c", "c", 0, 22]
    assert shown["share_engaged"].tolist() == ["c", "c", "c", pytest.approx(22 / 74)]
    # 3 respondents is fewer than 6 units
    assert shown["mean_score"].tolist() == [3.1, "c", 2.9, 3.2]
    assert shown["respondents"].tolist() == [12, 3, 9, 24]  # published as given
    assert (p.n_primary, p.n_secondary, p.n_derived) == (2, 2, 4)
    assert np.isnan(p.values.at[1, "mean_score"])
    assert p.values["share_engaged"].dtype == float


def test_rounding_after_suppression_never_shows_a_small_number():
    t = pd.DataFrame({"n": [0, 3, 6, 7, 8, 12, 13, 23, 100]})
    shares = t["n"] / 172
    t["share"] = shares
    spec = TableSpec(counts=("n",), bases={"share": "n"}, rests_on={"share": ("n",)})
    p5 = protect(t, spec, DisclosurePolicy(round_to=5), name="r5")
    assert p5.display()["n"].tolist() == [0, "c", 10, 10, 10, 10, 15, 25, 100]
    p10 = protect(t, spec, DisclosurePolicy(round_to=10), name="r10")
    assert p10.display()["n"].tolist() == [0, "c", 10, 10, 10, 10, 10, 20, 100]
    # shares are not rounded; the unrounded counts stay with the table for the audit
    assert p10.display()["share"].tolist()[2] == pytest.approx(6 / 172)
    assert p10.unrounded["n"].tolist()[2:4] == [6, 7]
    assert "rounded to the nearest 10" in p10.note
    assert protect(t, spec, POLICY, name="exact").unrounded is None


def test_zero_is_shown_and_missing_is_x():
    t = pd.DataFrame(
        {
            "group": ["a", "b", "c"],
            "n": pd.array([0, None, 44], dtype="Int64"),
            "m": [0.0, 12.0, np.nan],
            "share": [np.nan, 0.25, 0.5],
        }
    )
    spec = TableSpec(counts=("n", "m"), bases={"share": "m"})
    p = protect(t, spec, POLICY, name="zeros")
    assert p.display().to_dict("list") == {
        "group": ["a", "b", "c"],
        "n": [0, "x", 44],
        "m": [0, 12, "x"],
        "share": ["x", 0.25, "c"],  # no value / a value resting on a missing base
    }
    assert p.flags["n"].tolist() == ["", "x", ""]
    assert str(p.values["m"].dtype) == "Int64"
    assert type(p.display().at[0, "n"]) is int
    assert "x means not available" in p.note


def test_a_missing_part_leaves_the_attacker_an_unknown():
    t = pd.DataFrame({"a": [np.nan], "b": [3.0], "total": [20.0]})
    spec = TableSpec(row_totals=(("total", ("a", "b")),))
    p = protect(t, spec, POLICY, name="gap")
    assert p.flags.iloc[0].tolist() == ["x", "c", ""]
    assert audit(p)[["low", "high", "recovered"]].to_numpy().tolist() == [[1.0, 20.0, False]]


def test_group_totals_are_protected_within_each_group():
    t = pd.DataFrame(
        {
            "cohort": ["noream"] * 3 + ["comparison"] * 3,
            "group": ["girls", "boys", "all"] * 2,
            "n": [40, 2, 42, 30, 33, 63],
        }
    )
    spec = TableSpec(counts=("n",), column_totals=(("group", "all", "cohort"),))
    p = protect(t, spec, POLICY, name="groups")
    assert p.display()["n"].tolist() == ["c", "c", 42, 30, 33, 63]
    assert not audit(p)["recovered"].any()


def test_column_totals_can_be_limited_to_columns_that_add_up():
    t = pd.DataFrame(
        {"g": ["a", "b", "all"], "events": [10, 3, 13], "people": [7, 3, 8]}  # people overlap
    )
    spec = TableSpec(counts=("events", "people"), column_totals=(("g", "all", None, ("events",)),))
    p = protect(t, spec, POLICY, name="events")
    assert p.display()["events"].tolist() == ["c", "c", 13]
    assert p.display()["people"].tolist() == [7, "c", 8]


def test_protecting_a_protected_table_changes_nothing():
    t, spec = _grid([[3, 10, 12], [8, 9, 20], [15, 7, 11]])
    for policy in (POLICY, DisclosurePolicy(round_to=5)):
        p = protect(t, spec, policy, name="once")
        again = protect(p, spec, policy, name="once")
        pd.testing.assert_frame_equal(again.flags, p.flags)
        pd.testing.assert_frame_equal(again.values, p.values)
        assert (again.n_primary, again.n_secondary, again.n_derived) == (
            p.n_primary,
            p.n_secondary,
            p.n_derived,
        )


# ---------------------------------------------------------------------------- the attacker fails


@PROPERTY
@given(cells=grids(), policy=POLICIES)
def test_no_cell_of_a_protected_grid_can_be_recovered(cells, policy):
    t, spec = _grid(cells)
    p = protect(t, spec, policy, name="grid")
    assert _grid_recovered(p, t) == []
    assert not audit(p)["recovered"].any()


@PROPERTY
@given(counts=flows(), policy=POLICIES)
def test_no_stage_or_small_fall_of_a_protected_flow_can_be_recovered(counts, policy):
    t, spec = _flow(counts)
    p = protect(t, spec, policy, name="flow")
    assert _flow_recovered(p, counts) == ([], [])
    assert not audit(p)["recovered"].any()


@PROPERTY
@given(cells=grids(), min_cell=st.sampled_from([3, 6, 10]))
def test_the_audit_recovers_exactly_what_the_independent_attacker_recovers(cells, min_cell):
    policy = DisclosurePolicy(min_cell=min_cell)
    t, spec = _grid(cells, share=False)
    naive = _naive(t, spec, policy)
    report = audit(naive)
    by_audit = sorted(
        (int(r), c) for r, c in report.loc[report["recovered"], ["row", "column"]].to_numpy()
    )
    assert by_audit == sorted(_grid_recovered(naive, t))


@PROPERTY
@given(counts=flows(), min_cell=st.sampled_from([3, 6, 10]))
def test_the_audit_finds_the_small_falls_the_independent_attacker_finds(counts, min_cell):
    policy = DisclosurePolicy(min_cell=min_cell)
    t, spec = _flow(counts)
    naive = _naive(t, spec, policy)
    naive.flags.loc[naive.flags["n"] == "c", "share_of_previous"] = "c"
    report = audit(naive)
    got = report[report["recovered"]]
    stages, falls = _flow_recovered(naive, counts)
    assert sorted(got.loc[got["kind"] == "suppressed count", "row"]) == stages
    assert sorted(got.loc[got["kind"] != "suppressed count", "row"]) == falls


# ---------------------------------------------------------------------------- invariants


def _shown_counts(p: ProtectedTable, spec: TableSpec) -> list[tuple[int, str, int]]:
    return [
        (i, c, int(p.values.at[i, c]))
        for c in spec.count_columns
        for i in range(len(p.values))
        if p.flags.at[i, c] == ""
    ]


@PROPERTY
@given(cells=grids(), policy=POLICIES)
def test_published_counts_are_never_small_and_equal_the_input_or_its_rounding(cells, policy):
    t, spec = _grid(cells)
    p = protect(t, spec, policy, name="grid")
    m, step = policy.min_cell, policy.round_to
    for i, c, shown in _shown_counts(p, spec):
        true = int(t.at[i, c])
        assert not 1 <= shown < m
        if step is None:
            assert shown == true
        else:
            assert shown % step == 0
            assert abs(shown - true) <= step / 2 or shown == math.ceil(m / step) * step > true
        if true == 0:
            assert shown == 0
    for c in t.columns:  # every other shown value is the input's
        for i in range(len(t)):
            if p.flags.at[i, c] == "" and c not in spec.count_columns:
                assert p.values.at[i, c] == t.at[i, c]


@PROPERTY
@given(cells=grids(), policy=POLICIES)
def test_suppression_only_ever_adds_cells(cells, policy):
    t, spec = _grid(cells)
    p = protect(t, spec, policy, name="grid")
    for c in spec.count_columns:
        small = (t[c] >= 1) & (t[c] < policy.min_cell)
        assert (p.flags.loc[small, c] == "c").all()  # every primary cell
        assert (p.flags.loc[t[c] == 0, c] == "").all()  # zeros are never suppressed
    # the share rests on c0 and on the total as its base
    hide = (p.flags["c0"] == "c") | (p.flags["total"] == "c") | (t["total"] < policy.min_cell)
    assert (p.flags.loc[hide & t["share"].notna(), "share"] == "c").all()
    assert (p.flags.loc[~hide & t["share"].notna(), "share"] == "").all()
    assert p.n_primary + p.n_secondary == int(
        (p.flags[list(spec.count_columns)] == "c").sum().sum()
    )
    again = protect(p, spec, policy, name="grid")
    pd.testing.assert_frame_equal(again.flags, p.flags)
    pd.testing.assert_frame_equal(again.values, p.values)


# ---------------------------------------------------------------------------- input checks


def test_a_spec_naming_a_missing_column_is_refused():
    t = pd.DataFrame({"n": [1, 2]})
    with pytest.raises(DisclosureError, match=r"demo: the spec's bases names the column 'share'"):
        protect(t, TableSpec(counts=("n",), bases={"share": "n"}), POLICY, name="demo")
    with pytest.raises(DisclosureError, match=r"counts names the column 'people'"):
        protect(t, TableSpec(counts=("people",)), POLICY, name="demo")


@pytest.mark.parametrize(
    ("values", "shown"),
    [([4, -1], "-1"), ([4, 2.5], "2.5"), ([4, "many"], "'many'"), ([4, np.inf], "inf")],
)
def test_counts_must_be_whole_numbers_of_zero_or_more(values, shown):
    t = pd.DataFrame({"site": ["a", "b"], "n": pd.Series(values, dtype=object)})
    spec = TableSpec(counts=("n",), column_totals=(("site", "all", None),))
    with pytest.raises(DisclosureError, match=rf"demo: count column 'n' holds {shown}.* in row 2"):
        protect(t, spec, POLICY, name="demo")


def test_a_total_that_is_not_the_sum_of_its_parts_is_refused():
    t = pd.DataFrame({"site": ["a", "b", "all"], "x": [10, 12, 22], "y": [7, 8, 16]})
    t["total"] = t["x"] + t["y"]
    spec = TableSpec(row_totals=(("total", ("x", "y")),), column_totals=(("site", "all", None),))
    with pytest.raises(
        DisclosureError,
        match=r"demo: column 'total': the total row 3 \(site 'all'\) should equal the sum of "
        r"the other rows, but it is 38 and they sum to 37",
    ):
        protect(t, spec, POLICY, name="demo")
    t.loc[0, "total"] = 18
    with pytest.raises(
        DisclosureError,
        match=r"demo: row 1 \(site 'a'\): column 'total' should equal the sum of \['x', 'y'\]",
    ):
        protect(t, spec, POLICY, name="demo")


def test_other_spec_and_table_errors():
    t = pd.DataFrame({"g": ["a", "all", "all"], "n": [10, 10, 10]})
    with pytest.raises(DisclosureError, match="more than one row labelled 'all'"):
        protect(t, TableSpec(counts=("n",), column_totals=(("g", "all", None),)), POLICY, name="d")
    with pytest.raises(DisclosureError, match="distinct numbers"):
        protect(t.assign(o=[1, 1, 2]), TableSpec(funnel=("n", "o")), POLICY, name="d")
    with pytest.raises(DisclosureError, match="single string 'n'"):
        TableSpec(counts="n")
    with pytest.raises(DisclosureError, match="both as counts and as derived"):
        TableSpec(counts=("n",), bases={"n": "n"})
    with pytest.raises(DisclosureError, match="need a funnel"):
        TableSpec(rests_on_previous={"s": ("n",)})
    with pytest.raises(DisclosureError, match="neither count nor derived"):
        spec = TableSpec(counts=("n",), rests_on={"n2": ("g",)})
        protect(t.assign(n2=1.0), spec, POLICY, name="d")
    with pytest.raises(DisclosureError, match="round_to = 3"):
        DisclosurePolicy(round_to=3)
    with pytest.raises(DisclosureError, match="min_cell = 0"):
        DisclosurePolicy(min_cell=0)


# ---------------------------------------------------------------------------- policy and notes


def test_the_policy_comes_from_the_config(sample_config):
    cfg = load_config(sample_config)
    assert cfg.parameters["round_counts_to"] == 0
    assert DisclosurePolicy.from_config(cfg) == DisclosurePolicy(min_cell=6, round_to=None)
    assert DEFAULT_PARAMETERS["round_counts_to"][0] == 0
    raw = tomllib.loads(sample_config.read_text("utf-8"))

    def parse(**params):
        return parse_config({**raw, "parameters": params}, base_dir=sample_config.parent)

    cfg = parse(min_cell=10, round_counts_to=5)
    assert DisclosurePolicy.from_config(cfg) == DisclosurePolicy(min_cell=10, round_to=5)
    assert parse(round_counts_to=10).parameters["round_counts_to"] == 10
    for bad in (3, 11, -5, 5.0, "5", True):
        with pytest.raises(ConfigError, match=r"round_counts_to = .*give one of 0, 5 or 10"):
            parse(round_counts_to=bad)
    with pytest.raises(ConfigError, match="round_counts_to = 7"):
        DisclosurePolicy.from_config({"round_counts_to": 7})


def test_the_policy_and_notes_read_as_plain_english():
    assert DisclosurePolicy().describe() == (
        "Counts from 1 to 5 are suppressed and shown as c, as are the cells that would let "
        "them be worked out from totals or from differences between stages, and any share, "
        "mean or rate resting on a suppressed count or on fewer than 6 units; 0 is a true "
        "zero and x means not available."
    )
    assert (
        DisclosurePolicy(min_cell=2, round_to=10)
        .describe()
        .startswith("Counts of 1 are suppressed")
    )
    assert "rounded to the nearest 10, so totals may not equal" in (
        DisclosurePolicy(round_to=10).describe()
    )
    assert DisclosurePolicy(min_cell=1).describe().startswith("No counts are suppressed")
    t, spec = _grid([[3, 10], [8, 9]])
    note = protect(t, spec, POLICY, name="g").note
    assert note == (
        "Counts from 1 to 5 are shown as c, as are other counts and derived values that "
        "would reveal one; in this table: 1 small count, 3 further counts and 2 derived values."
    )
    clean = protect(pd.DataFrame({"n": [10, 0]}), TableSpec(counts=("n",)), POLICY, name="n")
    assert (
        clean.note
        == "Counts from 1 to 5 would be shown as c; no cell of this table needed suppressing."
    )
    assert (
        repr(clean)
        == "<ProtectedTable 'n': 2 rows x 1 columns; suppressed 0 primary, 0 secondary, 0 derived>"
    )


# ---------------------------------------------------------------------------- published results


def _published() -> PublishedResults:
    ind = pd.DataFrame({"indicator": ["a", "b"], "n": [40, 3], "estimate": [0.5, 0.2]})
    spec = TableSpec(counts=("n",), bases={"estimate": "n"})
    t, grid_spec = _grid([[3, 10], [8, 9]])
    return PublishedResults(
        {
            "indicators": protect(ind, spec, POLICY, name="indicators"),
            "grid": protect(t, grid_spec, POLICY, name="grid"),
        },
        plan={"window_days": 365},
        provenance={"package_version": "0"},
        policy=POLICY,
    )


def test_published_results_are_read_only_copies():
    pub = _published()
    assert pub.table_names == ("indicators", "grid")
    assert list(pub) == ["indicators", "grid"] and len(pub) == 2
    assert "grid" in pub and "raw" not in pub
    first = pub["indicators"]
    first.loc[0, "n"] = 999
    assert pub["indicators"].loc[0, "n"] == 40
    assert pub.indicators["estimate"].isna().tolist() == [False, True]
    assert pub.flags("indicators")["n"].tolist() == ["", "c"]
    flags = pub.flags("indicators")
    flags.loc[0, "n"] = "c"
    assert pub.flags("indicators")["n"].tolist() == ["", "c"]
    assert pub.table("grid").name == "grid"
    assert pub.plan["window_days"] == 365 and pub.provenance["package_version"] == "0"
    with pytest.raises(TypeError):
        pub.plan["window_days"] = 1  # type: ignore[index]
    with pytest.raises(
        KeyError, match=r"no published table 'raw'; tables: \['indicators', 'grid'\]"
    ):
        pub["raw"]
    assert repr(pub).startswith("<PublishedResults: 2 tables, ")
    checked = pub.audit()
    assert list(checked.columns[:2]) == ["table", "row"] and not checked["recovered"].any()
    assert set(checked["table"]) == {"indicators", "grid"}


def test_published_results_refuse_unprotected_or_mislabelled_tables():
    t = pd.DataFrame({"n": [10]})
    p = protect(t, TableSpec(counts=("n",)), DisclosurePolicy(min_cell=3), name="n")
    with pytest.raises(DisclosureError, match="not a ProtectedTable"):
        PublishedResults({"n": t}, policy=POLICY)  # type: ignore[dict-item]
    with pytest.raises(DisclosureError, match="named 'n'"):
        PublishedResults({"m": p}, policy=DisclosurePolicy(min_cell=3))
    with pytest.raises(DisclosureError, match="min_cell = 3, below the policy's 6"):
        PublishedResults({"n": p}, policy=POLICY)


# ---------------------------------------------------------------------------- sample data


def test_the_sample_participant_flow_is_protected(sample):
    from noream_eval.metrics.feasibility import participant_flow

    flow = participant_flow(sample)
    spec = TableSpec(
        funnel=("n", "order"),
        funnel_previous=("stage", "previous"),
        rests_on={
            c: ("n",) for c in ("share_of_previous", "ci_low", "ci_high", "share_of_referred")
        },
        rests_on_previous={c: ("n",) for c in ("share_of_previous", "ci_low", "ci_high")},
        rests_on_first={"share_of_referred": ("n",)},
    )
    p = protect(flow, spec, POLICY, name="participant_flow")
    assert not audit(p)["recovered"].any()
    n = flow["n"].astype(float).to_numpy()
    shown = p.flags["n"].to_numpy() == ""
    assert not ((n[shown] >= 1) & (n[shown] < 6)).any()
    by_stage = dict(zip(flow["stage"], range(len(flow)), strict=True))
    for i, prev in enumerate(flow["previous"]):
        if pd.isna(prev) or not shown[i] or not shown[by_stage[prev]]:
            continue
        assert not 1 <= n[by_stage[prev]] - n[i] < 6, flow.at[i, "stage"]
