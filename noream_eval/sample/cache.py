"""Cache of the ingested default sample, on disk and in the running process.

:func:`noream_eval.sample.load_sample` without a path ingests the sample of the
default seed. The result depends only on the package's code, so it is kept in a user
cache folder (:func:`cache_dir`) under a key made of the package version, a hash of
the source files that determine it (:data:`SOURCES`) and the versions of Python,
NumPy, pandas and pyarrow. The cache is an optimisation only: any problem with it
(read-only or missing folder, a broken or half-written entry) falls back to
computing the result, and nothing here raises.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import hashlib
import importlib.metadata
import json
import os
import platform
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

import noream_eval
from noream_eval.data import EvaluationData
from noream_eval.schema import TABLES

__all__ = ["ENV_VAR", "SOURCES", "cache_dir", "cached_sample", "source_key"]

#: Environment variable naming the cache folder.
ENV_VAR = "NOREAM_EVAL_CACHE"
#: Files and folders of the ``noream_eval`` package whose ``.py`` and ``.toml`` files
#: determine the ingested sample (folders are searched recursively).
SOURCES = (
    "ingest",
    "sample",
    "schema.py",
    "sources.py",
    "config.py",
    "data.py",
    "privacy.py",
    "_arrow.py",
    "instruments.toml",
)
_VERSIONS_OF = ("numpy", "pandas", "pyarrow")
_MANIFEST = "manifest.json"
_KEEP = 8  # entries kept (most recently used first); older ones are removed
_STALE_TMP_SECONDS = 24 * 3600
_IMPORTED_AT = time.time()

_lock = threading.Lock()
_memo: dict[str, EvaluationData] = {}


def cache_dir() -> Path:
    """The cache folder of noream_eval.

    Returns
    -------
    pathlib.Path
        ``$NOREAM_EVAL_CACHE`` if set, else ``$XDG_CACHE_HOME/noream_eval`` if
        ``XDG_CACHE_HOME`` is an absolute path, else ``~/.cache/noream_eval``. It need
        not exist.
    """
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg and os.path.isabs(xdg):
        return Path(xdg) / "noream_eval"
    return Path.home() / ".cache" / "noream_eval"


def _source_files(package: Traversable) -> Iterator[tuple[str, Traversable]]:
    def walk(item: Traversable, rel: str) -> Iterator[tuple[str, Traversable]]:
        if item.is_dir():
            if item.name != "__pycache__":
                for child in item.iterdir():
                    yield from walk(child, f"{rel}/{child.name}")
        elif item.name.endswith((".py", ".toml")):
            yield rel, item

    for name in SOURCES:
        yield from walk(package.joinpath(name), name)


def _digest(package: Traversable) -> str:
    h = hashlib.sha256()
    versions = [f"noream_eval {noream_eval.__version__}", f"python {platform.python_version()}"]
    for dist in _VERSIONS_OF:
        try:
            versions.append(f"{dist} {importlib.metadata.version(dist)}")
        except importlib.metadata.PackageNotFoundError:
            versions.append(f"{dist} -")
    h.update("\n".join(versions).encode("utf-8") + b"\n")
    for rel, item in sorted(_source_files(package), key=lambda x: x[0]):
        data = item.read_bytes()
        h.update(f"{rel}\0{len(data)}\0".encode())
        h.update(data)
    return h.hexdigest()


def source_key(package: Traversable | None = None) -> str:
    """Cache key of the ingested sample: package version and a hash of what makes it.

    Parameters
    ----------
    package
        Folder of the ``noream_eval`` package (default: the installed one).

    Returns
    -------
    str
        ``<version>-<32 hex digits>``; any change to a file of :data:`SOURCES` or to the
        Python, NumPy, pandas or pyarrow version changes it.
    """
    root = resources.files("noream_eval") if package is None else package
    return f"{noream_eval.__version__}-{_digest(root)[:32]}"


@functools.cache
def _process_key() -> tuple[str, bool]:
    """This process's key, and whether its result may be stored: not when a source
    file changed after the process started (the code running may be older)."""
    package = resources.files("noream_eval")
    key = source_key(package)
    newest = 0.0
    for _, item in _source_files(package):
        if isinstance(item, Path):
            newest = max(newest, item.stat().st_mtime)
    return key, newest <= _process_start()


def _process_start() -> float:
    """When this process started (from /proc on Linux; elsewhere when this module was
    imported)."""
    try:
        with open("/proc/self/stat", encoding="ascii") as fh:
            start_ticks = int(fh.read().rsplit(")", 1)[1].split()[19])
        with open("/proc/stat", encoding="ascii") as fh:
            boot = next(int(line.split()[1]) for line in fh if line.startswith("btime"))
        return boot + start_ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, StopIteration):
        return _IMPORTED_AT


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _read(entry: Path) -> EvaluationData | None:
    """A cache entry's data, or None when it is missing or not exactly as written."""
    try:
        if not entry.is_dir():
            return None
        manifest = json.loads((entry / _MANIFEST).read_text("utf-8"))
        present = {p.name for p in entry.iterdir()} - {_MANIFEST}
        if set(manifest) != present:
            return None
        if any(_sha256(entry / name) != digest for name, digest in manifest.items()):
            return None
        data = EvaluationData.from_parquet(entry)
    except Exception:  # a broken entry is recomputed, never an error
        return None
    try:
        os.utime(entry)  # most recently used
    except OSError:
        pass
    return data


def _remove(path: Path) -> None:
    """Remove a folder: renamed aside first, so that it vanishes at once."""
    trash = path.with_name(f".trash-{path.name}-{os.getpid()}-{time.time_ns()}")
    try:
        path.rename(trash)
    except OSError:
        return
    shutil.rmtree(trash, ignore_errors=True)


def _write(root: Path, key: str, data: EvaluationData) -> None:
    """Store an entry atomically: written in a temporary folder, then renamed."""
    try:
        root.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=root))
    except OSError:
        return
    try:
        data.to_parquet(tmp)
        manifest = {p.name: _sha256(p) for p in sorted(tmp.iterdir())}
        (tmp / _MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n", "utf-8")
        entry = root / key
        if entry.exists():  # broken (it was just read and rejected)
            _remove(entry)
        tmp.rename(entry)  # fails if another process stored it meanwhile: fine
    except Exception:
        pass
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    _prune(root)


def _prune(root: Path) -> None:
    """Remove entries beyond the most recent few, and leftovers of interrupted writes."""
    try:
        now = time.time()
        entries = []
        for p in root.iterdir():
            if not p.is_dir():
                continue
            if p.name.startswith("."):
                if now - p.stat().st_mtime > _STALE_TMP_SECONDS:
                    shutil.rmtree(p, ignore_errors=True)
                continue
            entries.append((p.stat().st_mtime, p))
        for _, p in sorted(entries, reverse=True)[_KEEP:]:
            _remove(p)
    except OSError:
        pass


def _copy(data: EvaluationData) -> EvaluationData:
    """An independent copy (list cells included), so that callers cannot change the memo."""
    changes: dict[str, object] = {}
    for f in dataclasses.fields(data):
        value = getattr(data, f.name)
        if f.name == "provenance":
            changes[f.name] = copy.deepcopy(value)
            continue
        df = value.copy(deep=True)
        spec = TABLES.get(f.name)
        for fld in spec.fields if spec else ():
            if fld.kind == "list":
                df[fld.name] = [list(v) for v in df[fld.name]]
        changes[f.name] = df
    return dataclasses.replace(data, **changes)


def cached_sample(compute: Callable[[], EvaluationData]) -> EvaluationData:
    """The ingested default sample: from this process's memo, else the disk cache, else
    ``compute()`` (then stored in both).

    Parameters
    ----------
    compute
        Ingests the default sample afresh.

    Returns
    -------
    EvaluationData
        A copy of its own for each call.
    """
    key, storable = _process_key()
    with _lock:
        data = _memo.get(key)
        if data is None:
            root = cache_dir() / "sample"
            data = _read(root / key)
            if data is None:
                data = compute()
                if storable:
                    _write(root, key, data)
            _memo[key] = data
    return _copy(data)


def clear_memo() -> None:
    """Forget the in-process result (the disk cache is kept)."""
    with _lock:
        _memo.clear()
