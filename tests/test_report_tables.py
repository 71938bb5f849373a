"""The published tables: aggregate only, every declared column present, specs consistent."""

from __future__ import annotations

import pandas as pd
import pytest

from noream_eval.reports.tables import SECTIONS, TABLES, build_tables, humanise, rejects_by_reason

KINDS = {
    "text", "code", "count", "integer", "share", "percent", "number1", "number2", "number3",
    "gbp", "date", "p_value", "rag",
}  # fmt: skip


class _WithIngest:
    def __init__(self, results, data):
        self.r = results
        self.extra = {
            "ingest_report": data.ingest_report,
            "rejects_by_reason": rejects_by_reason(data.rejects),
        }

    def __getitem__(self, name):
        return self.extra[name] if name in self.extra else self.r[name]

    def __contains__(self, name):
        return name in self.extra or name in self.r

    @property
    def indicators(self):
        return self.r.indicators


@pytest.fixture(scope="module")
def built(sample_results, sample):
    return build_tables(_WithIngest(sample_results, sample))


def test_every_definition_is_built_on_the_sample(built):
    assert list(built) == [d.name for d in TABLES]


def test_names_unique_and_sections_known():
    names = [d.name for d in TABLES]
    assert len(names) == len(set(names))
    assert {d.section for d in TABLES} <= set(SECTIONS)
    assert all(k in KINDS for d in TABLES for k in d.kinds().values())


@pytest.mark.parametrize("definition", TABLES, ids=lambda d: d.name)
def test_spec_names_published_columns(definition):
    from noream_eval.reports.disclosure import TableSpec

    spec = TableSpec(**definition.spec)
    cols = set(definition.columns) | set(definition.extra)
    named = set(spec.count_columns) | set(spec.derived_columns) | set(spec.bases.values())
    for label, _, group, *_ in spec.column_totals:
        named |= {label} | ({group} if group else set())
    named |= set(spec.funnel or ()) | set(spec.funnel_previous or ())
    assert named <= cols, named - cols
    # every column shown as a count is declared a count, so disclosure control sees it
    shown_counts = {c for c, (_, kind) in definition.columns.items() if kind == "count"}
    assert shown_counts <= set(spec.count_columns)
    # extra columns are never counts
    assert not set(definition.extra) & set(spec.count_columns)


def test_no_table_of_people_or_families_is_published(built):
    for name, (_, table) in built.items():
        assert not {"family_id", "response_id", "respondent_id", "referral_id"} & set(
            table.columns
        ), name


def test_declared_totals_add_up_on_the_sample(built):
    for name, (definition, table) in built.items():
        for total, parts in definition.spec.get("row_totals", ()):
            known = table[list(parts)].notna().all(axis=1)  # parts NA: no relation
            got = table.loc[known, list(parts)].sum(axis=1)
            assert (got == table.loc[known, total]).all(), (name, total)
        for label, total_label, group in definition.spec.get("column_totals", ()):
            counts = definition.spec["counts"]
            groups = table.groupby(group, sort=False) if group else [(None, table)]
            for _, g in groups:
                is_total = g[label] == total_label
                assert is_total.sum() == 1, (name, label)
                for c in counts:
                    assert g.loc[~is_total, c].sum() == g.loc[is_total, c].iloc[0], (name, c)


def test_rejects_by_reason_counts_every_reject(sample):
    out = rejects_by_reason(sample.rejects)
    assert out["rows"].sum() == len(sample.rejects)
    assert not out["reason"].str.contains(r"\d").any()


def test_humanise_uses_labels_then_words():
    got = humanise(pd.Series(["enrolled", "not_eligible", "noream"]))
    assert got.tolist() == ["Enrolled", "Not eligible", "NOREAM"]
