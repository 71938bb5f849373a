"""The code paths taken for national-scale exports give exactly the same result.

Ingest switches strategy by size: long text columns are normalised row by row
in Arrow, and many pseudonyms are computed in worker processes. Forcing those
paths on the shipped sample must not change a single value.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

import noream_eval.ingest.keys as keys
import noream_eval.ingest.normalise as nz
import noream_eval.ingest.pseudonymise as pseudonymise
from noream_eval.ingest import load

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample" / "evaluation.toml"


def test_large_export_paths_give_identical_tables(monkeypatch):
    small = load(SAMPLE)
    monkeypatch.setattr(nz, "_ROWWISE_MIN", 0)
    monkeypatch.setattr(pseudonymise, "PARALLEL_MIN", 100)
    large = load(SAMPLE)
    for name, df in small._all_frames().items():
        pd.testing.assert_frame_equal(getattr(large, name), df, check_exact=True, obj=name)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 6), st.booleans()), min_size=1, max_size=80),
)
def test_first_of_groups_matches_its_definition(cells):
    # Each live row repeating an earlier live row's signature is paired with the first
    # live row of that signature (checked against a plain loop).
    sig = np.array([c for c, _ in cells], dtype=np.uint64)
    live = np.array([k for _, k in cells], dtype=bool)
    seen: dict[int, int] = {}
    expected_rows, expected_first = [], []
    for i, (c, k) in enumerate(cells):
        if not k:
            continue
        if c in seen:
            expected_rows.append(i)
            expected_first.append(seen[c])
        else:
            seen[c] = i
    rows, first = keys.first_of_groups(sig, live)
    assert rows.tolist() == expected_rows
    assert first.tolist() == expected_first


class _Recorder:
    def __init__(self) -> None:
        self.events: list[tuple] = []

    def __call__(self, message: str) -> None:
        self.events.append(("step", message))

    def advance(self, done: int, total: int, rows: int) -> None:
        self.events.append(("files", done, total, rows))


def test_progress_reports_files_and_rows_of_long_steps(tmp_path):
    # A source spread over several workbooks (one per LA) reports each file read,
    # with the raw rows read so far in the run, so that the command line can draw a bar.
    from noream_eval.sample import generate_sample

    generate_sample(tmp_path, n_families=60, n_sites=3, force=True)
    rec = _Recorder()
    data = load(tmp_path / "evaluation.toml", progress=rec)
    steps = [e[1] for e in rec.events if e[0] == "step"]
    assert steps[:2] == ["reading referrals", "reading families"]
    referrals = [e for e in rec.events if e[0] == "files" and e[2] == 3]
    assert [(d, t) for _, d, t, _ in referrals] == [(1, 3), (2, 3), (3, 3)]
    rows = [e[3] for e in rec.events if e[0] == "files"]
    assert rows == sorted(rows)  # cumulative
    assert rows[-1] == int(data.ingest_report["rows_read"].sum())
    # a plain callable (no advance method) still gets the steps only
    plain: list[str] = []
    load(tmp_path / "evaluation.toml", progress=plain.append)
    assert plain == steps
