"""Test-session settings: nothing is written to the user's own cache folder."""

from __future__ import annotations

import os
import pathlib
import tempfile

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]


def pytest_configure(config) -> None:
    # load_sample() caches the ingested sample; tests (and notebooks run by them) use a
    # private folder so that the user's ~/.cache is never touched by the suite.
    if "NOREAM_EVAL_CACHE" not in os.environ:
        os.environ["NOREAM_EVAL_CACHE"] = tempfile.mkdtemp(prefix="noream_eval_test_cache_")


@pytest.fixture(scope="session")
def sample_config() -> pathlib.Path:
    """The shipped sample's evaluation config."""
    return ROOT / "data" / "sample" / "evaluation.toml"


@pytest.fixture(scope="session")
def sample():
    """The shipped sample, ingested once per test session (do not modify it)."""
    from noream_eval import load_sample

    return load_sample()
