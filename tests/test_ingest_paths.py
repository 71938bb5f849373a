"""The code paths taken for national-scale exports give exactly the same result.

Ingest switches strategy by size: text columns of mostly distinct values stay
plain Arrow text (hashed, not factorised), long text columns are normalised row
by row, and many pseudonyms are computed in worker processes. Forcing those
paths on the shipped sample must not change a single value.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

import noream_eval.ingest.normalise as nz
import noream_eval.ingest.pipeline as pipeline
import noream_eval.ingest.pseudonymise as pseudonymise
from noream_eval.ingest import load

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample" / "evaluation.toml"


def test_large_export_paths_give_identical_tables(monkeypatch):
    small = load(SAMPLE)
    monkeypatch.setattr(pipeline, "_SAMPLE_ROWS", 50)
    monkeypatch.setattr(nz, "_ROWWISE_MIN", 0)
    monkeypatch.setattr(pseudonymise, "PARALLEL_MIN", 100)
    large = load(SAMPLE)
    for name, df in small._all_frames().items():
        pd.testing.assert_frame_equal(getattr(large, name), df, check_exact=True, obj=name)
