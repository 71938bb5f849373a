"""Figures drawn in worker processes are the same files as figures drawn in the caller."""

from __future__ import annotations

import pickle

import pytest

from noream_eval.reports._pool import FigurePool, Snapshot
from noream_eval.reports.disclosure import DisclosurePolicy
from noream_eval.reports.run import published_results


@pytest.fixture(scope="module")
def published(sample_results, sample):
    return published_results(sample_results, DisclosurePolicy(), data=sample)[0]


def test_snapshot_pickles_and_keeps_values_and_flags(published):
    snap = pickle.loads(pickle.dumps(Snapshot.of(published)))
    for name in published.table_names:
        assert snap[name].equals(published[name])
        assert snap.flags(name).equals(published.flags(name))
    assert dict(snap.provenance) == dict(published.provenance)


def test_pool_and_caller_draw_identical_files(published, tmp_path):
    names = ["domain_distance", "participant_flow"]
    note = published.policy.describe()
    with FigurePool(workers=0) as serial:
        here = {
            n: (png, svg)
            for n, png, svg in serial.draw(published, names, tmp_path / "a", note=note)
        }
    with FigurePool(workers=2) as pool:
        if not pool.parallel:
            pytest.skip("this platform cannot fork worker processes")
        there = {
            n: (png, svg) for n, png, svg in pool.draw(published, names, tmp_path / "b", note=note)
        }
    assert here == there
    for n in names:
        assert (tmp_path / "b" / f"{n}.png").read_bytes() == here[n][0]
