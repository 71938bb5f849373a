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


@pytest.fixture(scope="session")
def sample_results(sample, sample_config):
    """The shipped sample's results under its own analysis plan, computed once."""
    from noream_eval.config import load_config
    from noream_eval.metrics import compute_all

    return compute_all(sample, load_config(sample_config))


@pytest.fixture(scope="session")
def sample_report(tmp_path_factory, sample_config):
    """The report folder of one `noream-eval run` of the shipped sample (do not modify it)."""
    from noream_eval.reports.run import run

    out = tmp_path_factory.mktemp("report") / "report"
    run(sample_config, out)
    return out
