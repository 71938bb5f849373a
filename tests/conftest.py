"""Test-session settings: nothing is written to the user's own cache folder."""

from __future__ import annotations

import os
import tempfile


def pytest_configure(config) -> None:
    # load_sample() caches the ingested sample; tests (and notebooks run by them) use a
    # private folder so that the user's ~/.cache is never touched by the suite.
    if "NOREAM_EVAL_CACHE" not in os.environ:
        os.environ["NOREAM_EVAL_CACHE"] = tempfile.mkdtemp(prefix="noream_eval_test_cache_")
