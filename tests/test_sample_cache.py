"""The cache behind ``load_sample()``: disk and in-process, never a source of errors.

Every test points ``NOREAM_EVAL_CACHE`` at its own temporary folder and starts with
an empty in-process memo. The ingest is counted by wrapping the function
``load_sample`` calls to compute the sample. Storing is allowed in every test: the
real rule (not when a source file changed after the process started) would refuse
it for a process started within a second of editing the package.
"""

from __future__ import annotations

import os
import pathlib
import shutil
import time
from collections.abc import Callable, Iterator

import pandas as pd
import pytest

import noream_eval.sample as sample_pkg
from noream_eval.data import EvaluationData
from noream_eval.sample import cache, load_sample

REAL_INGEST = sample_pkg._ingest_default_sample
REAL_PROCESS_KEY = cache._process_key


@pytest.fixture(scope="module")
def fresh() -> EvaluationData:
    """The default sample ingested afresh, without any cache."""
    return REAL_INGEST()


@pytest.fixture(autouse=True)
def isolated(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[pathlib.Path]:
    folder = tmp_path / "cache"
    monkeypatch.setenv(cache.ENV_VAR, str(folder))
    monkeypatch.setattr(cache, "_process_key", lambda: (cache.source_key(), True))
    cache.clear_memo()
    yield folder
    cache.clear_memo()


class Counter:
    """Wraps the ingest of the default sample and counts its calls."""

    def __init__(self, result: Callable[[], EvaluationData]) -> None:
        self.calls = 0
        self.result = result

    def __call__(self) -> EvaluationData:
        self.calls += 1
        return self.result()


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch, fresh: EvaluationData) -> Counter:
    counter = Counter(lambda: cache._copy(fresh))
    monkeypatch.setattr(sample_pkg, "_ingest_default_sample", counter)
    return counter


def _never() -> EvaluationData:
    raise AssertionError("the sample was ingested although it should come from the cache")


def _entry(folder: pathlib.Path) -> pathlib.Path:
    entries = [p for p in (folder / "sample").iterdir() if not p.name.startswith(".")]
    assert len(entries) == 1, entries
    return entries[0]


def assert_same(a: EvaluationData, b: EvaluationData) -> None:
    for name, df in a._all_frames().items():
        pd.testing.assert_frame_equal(df, b._all_frames()[name], check_exact=True)
    assert a.provenance == b.provenance


def test_cached_result_equals_a_fresh_ingest(isolated: pathlib.Path, fresh: EvaluationData) -> None:
    first = load_sample()  # computed, then stored
    assert_same(first, fresh)
    cache.clear_memo()
    second = load_sample()  # read from disk
    assert_same(second, fresh)
    assert len(fresh.families) == 411 and len(fresh.rejects) > 0


def test_second_call_reads_the_disk_cache(
    isolated: pathlib.Path, counted: Counter, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = load_sample()
    assert counted.calls == 1
    assert (_entry(isolated) / "families.parquet").is_file()
    cache.clear_memo()
    monkeypatch.setattr(sample_pkg, "_ingest_default_sample", _never)
    assert_same(load_sample(), first)


def test_repeat_calls_in_a_process_use_the_memo(isolated: pathlib.Path, counted: Counter) -> None:
    first = load_sample()
    shutil.rmtree(isolated)  # the disk cache is not needed any more
    second = load_sample()
    assert counted.calls == 1
    assert_same(first, second)
    # each call gets its own copy: changing one changes no other
    second.families.loc[0, "n_children"] = 99
    second.meetings.loc[0, "agencies"].append("x")
    assert_same(load_sample(), first)


@pytest.mark.parametrize(
    "damage",
    [
        lambda e: (e / "families.parquet").write_bytes(b"PAR1 not parquet"),
        lambda e: (e / "referrals.parquet").unlink(),
        lambda e: (e / "provenance.json").write_text("{}"),
        lambda e: (e / "manifest.json").write_text("not json"),
        lambda e: (e / "stray.parquet").write_bytes(b""),
    ],
    ids=["corrupted-table", "missing-table", "edited-provenance", "bad-manifest", "stray-file"],
)
def test_a_broken_cache_entry_is_rebuilt(
    isolated: pathlib.Path,
    counted: Counter,
    fresh: EvaluationData,
    monkeypatch: pytest.MonkeyPatch,
    damage: Callable[[pathlib.Path], object],
) -> None:
    load_sample()
    damage(_entry(isolated))
    cache.clear_memo()
    assert_same(load_sample(), fresh)
    assert counted.calls == 2  # recomputed ...
    cache.clear_memo()
    monkeypatch.setattr(sample_pkg, "_ingest_default_sample", _never)
    assert_same(load_sample(), fresh)  # ... and stored again, whole


def test_cache_folder_follows_the_environment(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NOREAM_EVAL_CACHE", str(tmp_path / "mine"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache.cache_dir() == tmp_path / "mine"
    monkeypatch.delenv("NOREAM_EVAL_CACHE")
    assert cache.cache_dir() == tmp_path / "xdg" / "noream_eval"
    # XDG Base Directory spec: an empty or relative XDG_CACHE_HOME is ignored
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    for value in ("", "relative/path"):
        monkeypatch.setenv("XDG_CACHE_HOME", value)
        assert cache.cache_dir() == tmp_path / "home" / ".cache" / "noream_eval"


def test_load_sample_stores_in_the_named_folder(isolated: pathlib.Path, counted: Counter) -> None:
    load_sample()
    entry = _entry(isolated)
    assert entry.parent == isolated / "sample"
    assert entry.name == cache.source_key()
    assert sorted(p.name for p in entry.iterdir()) == sorted(
        [f"{name}.parquet" for name in EvaluationData()._all_frames()]
        + ["provenance.json", "manifest.json"]
    )


def test_an_unusable_cache_folder_falls_back_to_computing(
    tmp_path: pathlib.Path, counted: Counter, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("NOREAM_EVAL_CACHE", str(blocker / "cache"))  # cannot be created
    first = load_sample()
    cache.clear_memo()
    assert_same(load_sample(), first)
    assert counted.calls == 2


def test_a_failed_write_leaves_no_entry(
    isolated: pathlib.Path, counted: Counter, monkeypatch: pytest.MonkeyPatch
) -> None:
    def half_write(self: EvaluationData, path: str | os.PathLike[str]) -> None:
        (pathlib.Path(path) / "families.parquet").write_bytes(b"partial")
        raise OSError("disk full")

    monkeypatch.setattr(EvaluationData, "to_parquet", half_write)
    data = load_sample()
    assert len(data.families) == 411
    assert list((isolated / "sample").iterdir()) == []  # no entry, no temporary folder


def test_no_store_when_the_sources_changed_after_start(
    isolated: pathlib.Path, counted: Counter, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cache, "_process_key", lambda: (cache.source_key(), False))
    load_sample()
    assert not (isolated / "sample").exists()


def test_process_key_is_the_source_key_and_start_precedes_now() -> None:
    key, _ = REAL_PROCESS_KEY.__wrapped__()
    assert key == cache.source_key()
    assert cache._process_start() <= time.time()


def test_old_entries_are_pruned(isolated: pathlib.Path, counted: Counter) -> None:
    root = isolated / "sample"
    for i in range(12):
        old = root / f"0.0.{i}-old"
        old.mkdir(parents=True)
        os.utime(old, (1_000_000 + i, 1_000_000 + i))
    stale_tmp = root / ".tmp-crashed"
    stale_tmp.mkdir()
    os.utime(stale_tmp, (1_000_000, 1_000_000))
    load_sample()
    kept = sorted(p.name for p in root.iterdir())
    assert cache.source_key() in kept
    assert len(kept) == 8 and "0.0.11-old" in kept and "0.0.0-old" not in kept


def test_key_changes_with_any_source_file(tmp_path: pathlib.Path) -> None:
    package = pathlib.Path(cache.__file__).parents[1]
    copy = tmp_path / "noream_eval"
    shutil.copytree(package, copy, ignore=shutil.ignore_patterns("__pycache__"))
    key = cache.source_key(copy)
    assert key == cache.source_key(package)
    assert key.startswith("0.1.0-")
    for rel in (
        "ingest/pipeline.py",
        "ingest/fields.py",
        "sources.py",
        "privacy.py",
        "_arrow.py",
        "sample/world.py",
        "sample/evaluation.toml",
        "schema.py",
        "config.py",
        "data.py",
        "instruments.toml",
    ):
        path = copy / rel
        original = path.read_bytes()
        path.write_bytes(original + b"\n")
        assert cache.source_key(copy) != key, rel
        path.write_bytes(original)
    (copy / "ingest" / "new_module.py").write_text("")
    assert cache.source_key(copy) != key
    (copy / "ingest" / "new_module.py").unlink()
    # files that do not make the sample leave the key alone
    (copy / "stats" / "notes.py").write_text("")
    (copy / "sample" / "__pycache__").mkdir()
    (copy / "sample" / "__pycache__" / "x.py").write_text("")
    assert cache.source_key(copy) == key


def test_key_changes_with_the_package_version(monkeypatch: pytest.MonkeyPatch) -> None:
    key = cache.source_key()
    monkeypatch.setattr("noream_eval.__version__", "9.9.9")
    other = cache.source_key()
    assert other != key and other.startswith("9.9.9-")
