"""The ingest pipeline: raw exports -> canonical tables, rejects and a report.

Every raw row ends in exactly one state (see :mod:`noream_eval.ingest.ledger`),
so that for every source file
``rows_read = rows_kept + rows_rejected + duplicates_exact + duplicates_near``:

1. *rejected*: blank, a summary ("Total") row, a required value missing or
   not understood, a conflicting repeat of a key, a family reference not in the
   families export, a family that was itself rejected, or a failed validation
   check;
2. *exact duplicate*: every raw cell identical to an earlier row;
3. *near duplicate*: different raw text but identical canonical values;
4. *kept*.

Problems in optional values do not lose the row: the value is dropped (or set
to ``unknown`` for categories) and recorded in ``rejects`` with the action taken.
Every row not kept is listed in ``rejects``, duplicates with the row they repeat.

The steps, in order: read and normalise every source (registering the values of
identifier columns with the run's scrubber); settle the families (duplicates,
key conflicts, validation); link every other source to the families that were
kept, rejecting rows of unknown or rejected families; settle and build the
other tables; derive s17 episodes; build the rejects table (values scrubbed
with every identifier of the run) and the report.
"""

from __future__ import annotations

import concurrent.futures as cf
import hashlib
import os
import platform
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import noream_eval
from noream_eval._arrow import arrow_strings, hash_strings
from noream_eval.config import EvaluationConfig, SourceProfile, load_config
from noream_eval.data import REPORT_COLUMNS, WARNING_COLUMNS, EvaluationData
from noream_eval.errors import (
    HeaderRowError,
    MissingColumnError,
    NoreamEvalError,
    ValidationError,
)
from noream_eval.ingest import normalise as nz
from noream_eval.ingest.build import Built, Prepared, build_tables
from noream_eval.ingest.episodes import s17_episodes
from noream_eval.ingest.ledger import KEPT, RowLedger
from noream_eval.ingest.pseudonymise import Pseudonymiser, fast_categories, load_key
from noream_eval.ingest.readers import (
    RawTable,
    find_header_row,
    header_key,
    header_problem,
    read_table,
)
from noream_eval.ingest.validate import validate_table
from noream_eval.privacy import Scrubber
from noream_eval.schema import REJECT_COLUMNS, TABLES, UNKNOWN, empty_table

__all__ = ["load"]

Progress = Callable[[str], None]

_TOTAL_WORDS = {"total", "totals", "grandtotal", "sum"}
#: Earliest plausible date of any event or birth.
EARLIEST_DATE = pd.Timestamp("1900-01-01")
#: How far after the data cut a planned event (a deliverable) may lie.
_FUTURE_YEARS = 5
_REDACTED_KINDS = {"ref", "id", "person", "dob", "reflist"}


class _Warnings:
    """Warnings of one run: things the user should know that did not stop it."""

    def __init__(self) -> None:
        self.rows: list[dict[str, str]] = []

    def __call__(self, source: str, file: str, field: str, message: str) -> None:
        self.rows.append({"source": source, "file": file, "field": field, "message": message})

    def frame(self, scrubber: Scrubber) -> pd.DataFrame:
        df = pd.DataFrame(self.rows, columns=list(WARNING_COLUMNS))
        if len(df):
            df["message"] = df["message"].map(scrubber.scrub_message)
        return df.astype("string")


def load(
    config: str | Path | EvaluationConfig,
    *,
    progress: Progress | None = None,
) -> EvaluationData:
    """Ingest the raw exports described by an evaluation config.

    Parameters
    ----------
    config
        Path of the evaluation TOML, or an already loaded :class:`EvaluationConfig`.
    progress
        Optional callable receiving a short message at the start of each step
        (the command line prints them; the library itself never prints). If it
        also has a method ``advance(done, total, rows)``, that is called as the
        files of a source are read (``done`` of ``total`` files, ``rows`` raw rows
        read so far in the run), so that a long step can show a progress bar.

    Returns
    -------
    EvaluationData
        Canonical tables, rejects, warnings, the ingest report and provenance.

    Raises
    ------
    ConfigError, InputFileError, MissingColumnError, KeyMissingError
        When the config, a file or the key is unusable; nothing is half-done.
        Messages name the file, row and column and never quote personal data.

    Examples
    --------
    >>> from noream_eval.ingest import load
    >>> data = load("data/sample/evaluation.toml")  # doctest: +SKIP
    """
    scrubber = Scrubber()
    try:
        cfg = config if isinstance(config, EvaluationConfig) else load_config(config)
        return _run(cfg, scrubber, _Say(progress, scrubber))
    except NoreamEvalError as exc:
        raise type(exc)(scrubber.scrub_message(str(exc))) from None


class _Say:
    """Progress reports, passed through the run's scrubber."""

    def __init__(self, progress: Progress | None, scrubber: Scrubber) -> None:
        self.progress = progress
        self.scrubber = scrubber
        self.rows = 0

    def __call__(self, message: str) -> None:
        if self.progress is not None:
            self.progress(self.scrubber.scrub_message(message))

    def advance(self, done: int, total: int, rows: int) -> None:
        """``done`` of ``total`` files of the current source read; ``rows`` more raw rows."""
        self.rows += rows
        advance = getattr(self.progress, "advance", None)
        if callable(advance):
            advance(done, total, self.rows)


def _run(cfg: EvaluationConfig, scrubber: Scrubber, say: _Say) -> EvaluationData:
    pseudo = Pseudonymiser(load_key(cfg.key_file))
    warn = _Warnings()
    inputs: list[dict[str, Any]] = []
    prepared: dict[str, Prepared] = {}
    for name, profile in cfg.sources.items():
        say(f"reading {name}")
        prepared[name] = _prepare(profile, cfg, pseudo, scrubber, warn, inputs, say)

    say("linking records and removing duplicates")

    def flags(values: pd.Series) -> pd.Series:
        codes, uniques = pd.factorize(values)
        hit = np.append(scrubber.contains_identifiers(list(uniques)), False)
        return pd.Series(hit[codes], index=values.index)

    def scrub_text(values: pd.Series) -> pd.Series:
        return scrubber.scrub_series(values, max_len=5000)

    fam = prepared["families"]
    _finish_keys(fam)
    built = build_tables(fam, cfg, empty_table("families"), scrub_text=scrub_text, flags=flags)
    families = _validated("families", built["families"], fam)
    rejected = _rejected_families(fam, families)
    fam.release()
    tables: dict[str, pd.DataFrame] = {"families": families}
    for name, p in prepared.items():
        if name == "families":
            continue
        _link(p, families, rejected, pseudo)
        _finish_keys(p)
        for table, b in build_tables(p, cfg, families, scrub_text=scrub_text, flags=flags).items():
            tables[table] = _validated(table, b, p)
        p.release()  # its tables are built: the working values are no longer needed

    say("deriving s17 episodes")
    tables["s17_episodes"] = s17_episodes(
        tables.get("payments", empty_table("payments")),
        gap_days=int(cfg.parameters["episode_gap_days"]),
        data_cut=cfg.data_cut,
    )
    for name in TABLES:
        tables.setdefault(name, empty_table(name))
    _warn_empty(prepared, tables, warn)
    say("writing the rejects table")
    report = _report(prepared)
    rejects = _rejects(prepared, scrubber)
    provenance = {
        "package": "noream_eval",
        "package_version": noream_eval.__version__,
        "python": platform.python_version(),
        "pandas": pd.__version__,
        "config_name": cfg.name,
        "config_file": cfg.path.name if cfg.path else None,
        "config_sha256": cfg.sha256,
        "key_fingerprint": pseudo.fingerprint,
        "data_cut": cfg.data_cut.isoformat(),
        "data_start": cfg.data_start.isoformat(),
        "parameters": dict(cfg.parameters),
        "parameters_given": list(cfg.parameters_given),
        "inputs": inputs,
    }
    return EvaluationData(
        **{k: tables[k] for k in TABLES},
        rejects=rejects,
        warnings=warn.frame(scrubber),
        ingest_report=report,
        provenance=provenance,
    )


# --------------------------------------------------------------------------- reading


def _select_columns(
    profile: SourceProfile,
    raw: RawTable,
    path: Path,
    where: str,
    scrubber: Scrubber,
    warn: _Warnings,
) -> pd.DataFrame:
    """Raw frame with the profile's columns renamed to the profile's spelling.

    Headers match ignoring case and spacing. A missing mapped column stops the
    run; a missing identifier column is a warning (nothing to drop).
    """
    by_key: dict[str, str] = {}
    for col in raw.frame.columns:
        by_key.setdefault(header_key(col), col)
    wanted = [*profile.columns, *profile.domains, *profile.items]
    rename: dict[str, str] = {}
    missing = []
    for col in wanted:
        found = by_key.get(header_key(col))
        if found is None:
            missing.append(col)
        else:
            rename[found] = col
    if missing:
        _missing_columns(profile, raw, path, where, missing, by_key, scrubber)
    for col in profile.identifiers:
        found = by_key.get(header_key(col))
        if found is None:
            warn(
                profile.name,
                where,
                col,
                f"{where}: the identifier column {col!r} declared in [sources.{profile.name}] "
                "is not in the file; check the column name (nothing is dropped for it).",
            )
        elif found not in rename:
            rename[found] = col
    frame = raw.frame.rename(columns=rename)
    return frame


def _rows_text(header_row: int | tuple[int, ...]) -> str:
    if isinstance(header_row, int):
        return f"header row {header_row}"
    return "header rows " + ", ".join(str(r) for r in header_row)


def _header_hint(
    profile: SourceProfile,
    path: Path,
    where: str,
    current: int | tuple[int, ...] | None = None,
) -> str:
    """ " The expected headers are in row N: set header_row = N." when such a row exists.

    Rows (or, for a header spanning several rows, groups of as many rows) are
    scored by how many of the profile's headers they hold; advice is given only
    for a candidate holding at least half of them.
    """
    expected = [*profile.columns, *profile.domains, *profile.items]
    current = profile.header_row if current is None else current
    span = 1 if isinstance(current, int) else len(current)
    try:
        better = find_header_row(
            path,
            expected,
            fmt=profile.format,
            sheet=profile.sheet,
            encoding=profile.encoding,
            delimiter=profile.delimiter,
            display_name=where,
            span=span,
            min_found=max(1, -(-len(set(expected)) // 2)),
        )
    except NoreamEvalError:
        return ""
    if better is None or better == current:
        return ""
    if isinstance(better, tuple):
        shown = "[" + ", ".join(str(r) for r in better) + "]"
        return f" The expected headers are in rows {shown}: set header_row = {shown}."
    return f" The expected headers are in row {better}: set header_row = {better}."


def _missing_columns(
    profile: SourceProfile,
    raw: RawTable,
    path: Path,
    where: str,
    missing: list[str],
    by_key: dict[str, str],
    scrubber: Scrubber,
) -> None:
    """Stop with a message that helps, without quoting a data row's cells."""
    import difflib

    sheet = f" (sheet {raw.sheet!r})" if raw.sheet else ""
    rows = _rows_text(raw.header_row)
    first = missing[0]
    target = profile.columns.get(first) or profile.domains.get(first) or "an item"
    more = f", and {len(missing) - 1} more: {missing[1:]}" if len(missing) > 1 else ""
    here = f"{where}{sheet}, {rows}: column {first!r} (mapped to {target!r} in "
    here += f"[sources.{profile.name}]) is missing{more}."
    hint = _header_hint(profile, path, where, raw.header_row)
    problem = header_problem(list(raw.frame.columns))
    if problem is not None:
        raise MissingColumnError(
            f"{here} The {rows} does not look like a header: it holds {problem} — check "
            f"`header_row` in the config.{hint}"
        )
    close = difflib.get_close_matches(header_key(first), list(by_key), n=1, cutoff=0.7)
    if close:
        shown = scrubber.scrub(by_key[close[0]], max_len=40)
        hint += f" The closest header in the file is {shown!r}."
    found = ", ".join(repr(scrubber.scrub(c, max_len=40)) for c in raw.frame.columns[:40])
    raise MissingColumnError(
        f"{here}{hint} Columns found: {found}. Fix the header in the file or the column map "
        "in the config (and check header_row)."
    )


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _display(path: Path, base: Path) -> str:
    try:
        return str(path.resolve().relative_to(base))
    except ValueError:
        return path.name


def _prepare(
    profile: SourceProfile,
    cfg: EvaluationConfig,
    pseudo: Pseudonymiser,
    scrubber: Scrubber,
    warn: _Warnings,
    inputs: list[dict],
    say: _Say,
) -> Prepared:
    frames, names, codes, rows = [], [], [], []
    paths = profile.files()

    def read(path: Path) -> tuple[str, RawTable, str]:
        shown = _display(path, cfg.base_dir)
        try:
            raw = read_table(
                path,
                fmt=profile.format,
                sheet=profile.sheet,
                header_row=profile.header_row,
                encoding=profile.encoding,
                delimiter=profile.delimiter,
                display_name=shown,
            )
        except HeaderRowError as exc:
            raise HeaderRowError(f"{exc}{_header_hint(profile, path, shown)}") from None
        return shown, raw, _sha256(path)

    # Several files (one workbook per LA) are read two or more at a time: the
    # workbook and CSV parsers and the file hashing release the GIL.
    workers = min(len(paths), os.cpu_count() or 1, 4)
    pool = cf.ThreadPoolExecutor(workers) if workers > 1 else None
    results = pool.map(read, paths) if pool is not None else map(read, paths)
    try:
        for i, (path, (shown, raw, digest)) in enumerate(zip(paths, results, strict=True)):
            frame = _select_columns(profile, raw, path, shown, scrubber, warn)
            if not len(frame):
                warn(
                    profile.name,
                    shown,
                    "",
                    f"{shown}: has a header row but no data rows. Check that the export is "
                    "complete (export it again if rows are missing), or remove the file if "
                    "it is meant to be empty.",
                )
            inputs.append(
                {
                    "source": profile.name,
                    "file": shown,
                    "sha256": digest,
                    "bytes": path.stat().st_size,
                    "encoding": raw.encoding,
                }
            )
            names.append(shown)
            codes.append(np.full(len(frame), i, dtype=np.int32))
            rows.append(frame.index.to_numpy(dtype=np.int64))
            frames.append(frame.reset_index(drop=True))
            say.advance(i + 1, len(paths), len(frame))
            del raw, frame  # the raw cells live on only in ``frames`` (freed once encoded)
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    ids = {c for c, f in profile.columns.items() if profile.spec.kind(f) == "id"}
    frame = _encode(pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0], ids)
    del frames
    ledger = RowLedger(profile.name, names, np.concatenate(codes), np.concatenate(rows))
    _blank_and_total(frame, ledger)
    _register_identifiers(profile, frame, ledger.kept, scrubber)
    _exact_duplicates(profile, frame, ledger)
    frame = frame[[c for c in profile.mapped_columns if c in frame.columns]]
    work, wide = _normalise(profile, frame, ledger, cfg, pseudo)
    return Prepared(profile, ledger, work, wide)


def _register_identifiers(
    profile: SourceProfile, frame: pd.DataFrame, kept: np.ndarray, scrubber: Scrubber
) -> None:
    """Every value of an identifier column is redacted wherever it appears later.

    Only rows still ``kept`` count: blank and summary rows are left out (a "Total"
    label is not a name). Each distinct value is registered once.
    """
    spec = profile.spec
    references = {c for c, f in profile.columns.items() if spec.kind(f) in ("ref", "id", "reflist")}
    cols = [c for c in profile.identifiers if c in frame.columns]
    cols += [c for c, f in profile.columns.items() if spec.field(f).identifier]
    for col in dict.fromkeys(cols):
        # A reference's letters ("NRPF") are shared by every value: register the whole
        # value only, not its words. A categorical registers its distinct values.
        values = frame[col]
        if isinstance(values.dtype, pd.CategoricalDtype):
            codes = values.cat.codes.to_numpy()[kept]
            used = np.bincount(codes[codes >= 0], minlength=len(values.cat.categories)) > 0
            values = pd.Series(values.cat.categories[used])
        elif _is_arrow_text(values):
            import pyarrow as pa
            import pyarrow.compute as pc

            distinct = pc.unique(arrow_strings(values).filter(pa.array(kept)))
            values = pd.Series(pd.arrays.ArrowStringArray(distinct))
        else:
            values = values[kept]
        scrubber.add(values, words=col not in references)


def _is_arrow_text(col: pd.Series) -> bool:
    return pd.api.types.is_string_dtype(col.dtype) and col.dtype != object


def _encode(frame: pd.DataFrame, plain: set[str]) -> pd.DataFrame:
    """Text columns as categoricals, so each distinct string is stored and parsed once.

    CSV columns are all text, and so are most Excel columns; an Excel column
    mixing text with dates or numbers stays as it is. The ``plain`` columns
    (record IDs: a transaction ID is different on every row) stay plain Arrow
    text, as finding their distinct values would cost more than it saves.
    ``frame`` is emptied column by column as it is encoded.
    """
    out = {}
    index = frame.index
    for c in list(frame.columns):
        col = frame.pop(c)  # the raw column is freed once encoded (national scale)
        if col.dtype == object and pd.api.types.infer_dtype(col, skipna=True) == "string":
            col = col.astype("str")  # an Excel column of text only
        if _is_arrow_text(col):
            if c in plain:
                out[c] = col
                continue
            codes, uniques = pd.factorize(col)
            out[c] = pd.Categorical.from_codes(
                codes, dtype=fast_categories(uniques), validate=False
            )
        else:
            out[c] = col
        del col
    return pd.DataFrame(out, index=index)


def _codes(col: pd.Series) -> np.ndarray:
    """Integer code (or 64-bit hash, for plain Arrow text) of each cell's exact raw value."""
    if isinstance(col.dtype, pd.CategoricalDtype):
        return col.cat.codes.to_numpy()
    if _is_arrow_text(col):
        return hash_strings(arrow_strings(col))
    codes, _ = pd.factorize(col)
    return codes


def _total_word(col: pd.Series) -> np.ndarray:
    """True where a cell says "Total" (or "Grand total", "Sum"), in any case or spacing."""
    if _is_arrow_text(col):
        import pyarrow.compute as pc

        arr = arrow_strings(col)
        short = pc.and_(
            pc.less_equal(pc.utf8_length(arr), 20),
            pc.invert(pc.match_substring_regex(arr, r"\d")),
        )
        where = np.flatnonzero(np.asarray(pc.fill_null(short, False), dtype=bool))
        hit = np.zeros(len(col), dtype=bool)
        texts = arr.take(where).to_pylist()
        hit[where] = [nz.key_one(t) in _TOTAL_WORDS for t in texts]
        return hit
    codes, uniques = (
        (col.cat.codes.to_numpy(), col.cat.categories)
        if isinstance(col.dtype, pd.CategoricalDtype)
        else pd.factorize(col)
    )
    text = pd.Series(np.asarray(uniques, dtype=object)).map(str)
    short = (text.str.len() <= 20) & ~text.str.contains(r"\d", regex=True)
    hit = np.zeros(len(text) + 1, dtype=bool)  # last entry: missing cells (code -1)
    hit[: len(text)][short.to_numpy()] = [
        nz.key_one(t) in _TOTAL_WORDS for t in text[short].tolist()
    ]
    return hit[codes]


def _blank_and_total(frame: pd.DataFrame, ledger: RowLedger) -> None:
    blank = np.column_stack(
        [nz.is_blank(frame[c]).to_numpy() for c in frame.columns]
        or [np.ones(len(frame), dtype=bool)]
    )
    all_blank = blank.all(axis=1)
    ledger.reject(all_blank, field="", reason="blank row")
    # A summary row: its first filled cell is "Total" (columns are few, rows many).
    is_total = np.zeros(len(frame), dtype=bool)
    unset = ~all_blank
    for k, c in enumerate(frame.columns):
        take = unset & ~blank[:, k]
        if take.any():
            is_total[take] = _total_word(frame[c])[take]
            unset &= ~take
        if not unset.any():
            break
    ledger.reject(is_total, field="", reason="summary row (Total), not a record")


def _repeated(sig: np.ndarray, live: np.ndarray) -> np.ndarray:
    """Positions of the live rows whose signature is shared with another live row."""
    pos = np.flatnonzero(live)
    if not len(pos):
        return pos
    codes, _ = pd.factorize(sig[pos])
    return pos[np.bincount(codes)[codes] > 1]


def _first_of_groups(sig: np.ndarray, live: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions of live rows repeating an earlier live row's signature, and that row."""
    pos = np.flatnonzero(live)
    if not len(pos):
        return pos, pos
    # factorize numbers signatures in order of first appearance, so a code larger than
    # every code before it marks the first row of its group.
    codes, _ = pd.factorize(sig[pos])
    new = np.empty(len(codes), dtype=bool)
    new[0] = True
    new[1:] = codes[1:] > np.maximum.accumulate(codes)[:-1]
    first_of_code = pos[new]
    first = first_of_code[codes]
    repeat = first != pos
    return pos[repeat], first[repeat]


def _exact_duplicates(profile: SourceProfile, frame: pd.DataFrame, ledger: RowLedger) -> None:
    """Mark rows whose every cell the profile reads is identical, as written, to an earlier row's.

    Where the export has a record ID column, only rows whose raw ID repeats can be
    exact duplicates, and only those are compared cell by cell.
    """
    cols = [c for c in profile.mapped_columns if c in frame.columns]
    ids = [c for c, f in profile.columns.items() if profile.spec.kind(f) == "id" and c in cols]
    rows = np.flatnonzero(ledger.kept)
    if ids:
        sig = pd.util.hash_pandas_object(
            pd.DataFrame({c: _codes(frame[c]) for c in ids}), index=False
        ).to_numpy()
        rows = _repeated(sig, ledger.kept)
        if not len(rows):
            return
    sub = frame.iloc[rows] if ids else frame
    codes = pd.DataFrame({c: _codes(sub[c]) for c in cols})
    sig = pd.util.hash_pandas_object(codes, index=False).to_numpy()
    live = ledger.kept[rows] if ids else ledger.kept
    dup, first = _first_of_groups(sig, live)
    if ids:
        dup, first = rows[dup], rows[first]
    ledger.duplicate(dup, of=first, near=False)


# ------------------------------------------------------------------------ normalising


def _cell_text(value: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return " ".join(str(value).split())


def _text(s: pd.Series) -> pd.Series:
    return s.map(_cell_text).replace("", np.nan).astype(object)


def _joined_text(frame: pd.DataFrame, cols: list[str]) -> pd.Series:
    """Several free-text columns in one: ``Header: text | Header: text``."""
    parts = [_text(frame[c]).map(lambda t, c=c: f"{c}: {t}", na_action="ignore") for c in cols]
    joined = pd.concat(parts, axis=1).apply(lambda r: " | ".join(r.dropna()), axis=1)
    return joined.replace("", np.nan).astype(object)


def _normalise(
    profile: SourceProfile,
    frame: pd.DataFrame,
    ledger: RowLedger,
    cfg: EvaluationConfig,
    pseudo: Pseudonymiser,
) -> tuple[pd.DataFrame, dict[str, str]]:
    spec = profile.spec
    cut = pd.Timestamp(cfg.data_cut)
    work = pd.DataFrame(index=pd.RangeIndex(len(frame)))
    birth_dates = _birth_dates(profile, frame)
    text_cols: dict[str, list[str]] = {}
    for raw_col, fld in profile.columns.items():
        if spec.kind(fld) == "text":
            text_cols.setdefault(fld, []).append(raw_col)
    for fld, cols in text_cols.items():
        work[spec.target(fld)] = (
            _text(frame[cols[0]]) if len(cols) == 1 else _joined_text(frame, cols)
        )
    for raw_col, fld in profile.columns.items():
        f = spec.field(fld)
        kind = spec.kind(fld)
        if kind == "text":
            continue
        target = spec.target(fld) or fld
        canon = spec.canonical(fld)
        s = frame[raw_col]
        redact = f.identifier or kind in _REDACTED_KINDS or raw_col in profile.identifiers
        problems: pd.Series | None = None
        if kind == "ref":
            domain = f.domain or "family"
            vals = _map_uniques(
                s, lambda u, d=domain: pseudo.hash_values(nz.normalise_reference(u), domain=d)
            )
            work[target] = vals
        elif kind == "id":
            # pseudonymised once the wide columns are done (below)
            vals = (
                _map_uniques(s, nz.normalise_reference)
                if isinstance(s.dtype, pd.CategoricalDtype)
                else nz.normalise_reference(s)
            )
            work[fld] = vals
        elif kind == "person":
            domain = f.domain or "staff"
            vals = _map_uniques(
                s,
                lambda u, d=domain: pseudo.hash_values(
                    u.map(_cell_text).str.casefold().replace("", np.nan), domain=d
                ),
            )
            work[target] = vals
        elif kind in ("date", "dob"):
            latest = cut + pd.DateOffset(years=_FUTURE_YEARS) if f.future_ok else cut
            res = nz.parse_dates(
                s, dayfirst=profile.dayfirst, min_date=EARLIEST_DATE, max_date=latest
            )
            vals, problems = res.values, res.problems
            if kind == "date" and birth_dates:
                vals, problems = _not_a_birth_date(vals, problems, birth_dates)
            work[fld] = vals
        elif kind == "category":
            levels = cfg.cohorts if fld == "cohort" else spec.levels(fld)
            res = nz.map_codes(s, profile.values.get(fld, {}), levels)
            vals, problems = res.values, res.problems
            work[target] = vals.where(vals.notna() | f.required, UNKNOWN)
        elif kind == "list":
            res = nz.map_code_lists(
                s, profile.values.get(fld, {}), spec.levels(fld), sep=profile.list_separator
            )
            vals, problems = res.values, res.problems
            work[target] = vals
        elif kind == "int":
            res = nz.parse_int(
                s,
                min_value=None if canon is None else canon.min_value,
                max_value=None if canon is None else canon.max_value,
            )
            vals, problems = res.values, res.problems
            work[target] = vals
        elif kind == "money":
            res = nz.parse_money(
                s,
                min_value=None if canon is None else canon.min_value,
                max_value=None if canon is None else canon.max_value,
            )
            vals, problems = res.values, res.problems
            work[target] = vals
        elif kind == "reflist":
            vals = _ref_lists(s, profile.list_separator)
            work[fld] = vals
        else:  # str: a short code
            vals = _text(s)
            if fld == "site":
                vals = vals.str.upper()
            work[target] = vals
        bad = np.zeros(len(s), dtype=bool) if problems is None else problems.astype(bool).to_numpy()
        if f.required:
            if bad.any():
                ledger.reject(bad, field=raw_col, reason=problems, values=s, redact=redact)
            ledger.reject(
                ~bad & _missing(vals),
                field=raw_col,
                reason=f"required value missing (mapped to {fld!r})",
                values=s,
                redact=redact,
            )
        elif bad.any():
            action = "set_unknown" if kind == "category" else "value_dropped"
            ledger.note(bad, field=raw_col, reason=problems, values=s, redact=redact, action=action)
        del frame[raw_col], s, vals  # raw cells have served: free them (national scale)
    wide: dict[str, str] = {}
    if spec.wide == "domains":
        lo, hi = int(cfg.parameters["score_min"]), int(cfg.parameters["score_max"])
        _normalise_wide(
            frame,
            work,
            ledger,
            profile.domains,
            lambda s: nz.parse_int(s, min_value=lo, max_value=hi),
            prefix="_d_",
            empty_reason="no valid domain score in the row",
            wide=wide,
        )
    elif spec.wide == "items":
        inst = cfg.instruments[profile.instrument or ""]
        _normalise_wide(
            frame,
            work,
            ledger,
            profile.items,
            lambda s: nz.parse_likert(
                s, inst.anchors, min_value=inst.item_min, max_value=inst.item_max
            ),
            prefix="_i_",
            empty_reason="no answered item in the row",
            wide=wide,
        )
    for fld in profile.columns.values():
        f = spec.field(fld)
        if spec.kind(fld) == "id" and fld in work:
            work[fld] = pseudo.hash_values(work[fld], domain=f.domain or fld)
    return work, wide


def _birth_dates(profile: SourceProfile, frame: pd.DataFrame) -> dict[str, pd.Series]:
    """Dates of birth in the row's identifier columns, by raw column.

    A declared identifier column counts when most of its filled cells are dates
    (a "Parent DOB" column), as does a mapped date of birth.
    """
    spec = profile.spec
    cols = [c for c in profile.identifiers if c in frame.columns]
    cols += [c for c, f in profile.columns.items() if spec.kind(f) == "dob"]
    out = {}
    for col in dict.fromkeys(cols):
        s = frame[col]
        filled = s[~nz.is_blank(s).to_numpy()]
        # a names or phones column is recognised on its first rows (as plain values: a
        # categorical would bring every category of the column along)
        head = pd.Series(filled.iloc[:1000].to_numpy(dtype=object), dtype=object)
        if (
            not len(head)
            or nz.parse_dates(head, dayfirst=profile.dayfirst).values.isna().mean() > 0.5
        ):
            continue
        parsed = nz.parse_dates(s, dayfirst=profile.dayfirst).values
        if parsed.notna().sum() > len(filled) / 2:
            out[col] = parsed
    return out


def _not_a_birth_date(
    vals: pd.Series, problems: pd.Series, birth_dates: Mapping[str, pd.Series]
) -> tuple[pd.Series, pd.Series]:
    """Drop an event date that equals a date of birth in the same row (typed in error)."""
    for col, born in birth_dates.items():
        same = (vals.notna() & (vals == born)).to_numpy()
        if same.any():
            vals = vals.mask(same)
            problems = problems.astype(object).copy()
            problems[same] = (
                f"the same date as the date of birth in {col!r} of this row; a date of birth "
                "is not kept, so the value was removed"
            )
    return vals, problems


def _map_uniques(col: pd.Series, fn: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """Apply ``fn`` to the distinct values of ``col`` only; a categorical of the results.

    ``fn`` takes and returns a Series of the distinct values (positional index);
    equal results share a category, and a missing result is a missing cell.
    """
    if isinstance(col.dtype, pd.CategoricalDtype):
        codes = col.cat.codes.to_numpy()
        uniques = pd.Series(col.cat.categories)
    else:
        codes, found = pd.factorize(col)
        uniques = pd.Series(found)
    mapped = fn(uniques.reset_index(drop=True))
    merged, categories = pd.factorize(mapped)
    out = np.append(merged, -1)[codes]
    return pd.Series(
        pd.Categorical.from_codes(out, dtype=fast_categories(categories), validate=False),
        index=col.index,
        name=col.name,
    )


def _missing(values: pd.Series) -> np.ndarray:
    if values.dtype == object and len(values) and isinstance(values.iloc[0], list):
        return (values.map(len) == 0).to_numpy()
    return values.isna().to_numpy()


def _ref_lists(s: pd.Series, sep: str) -> pd.Series:
    text = s.map(_cell_text)
    parts = text.str.split(sep).explode()
    refs = nz.normalise_reference(parts)
    refs = refs[refs.notna()]
    grouped = refs.groupby(level=0).agg(lambda x: list(dict.fromkeys(x)))
    return grouped.reindex(s.index).map(lambda v: v if isinstance(v, list) else [])


def _normalise_wide(
    frame: pd.DataFrame,
    work: pd.DataFrame,
    ledger: RowLedger,
    columns: Mapping[str, object],
    parse: Callable[[pd.Series], nz.Normalised],
    *,
    prefix: str,
    empty_reason: str,
    wide: dict[str, str],
) -> None:
    """Normalise one-column-per-domain or per-item cells into ``prefix + label`` columns.

    A bad cell loses only its value; a row without any valid cell is rejected.
    """
    any_value = np.zeros(len(frame), dtype=bool)
    for raw_col, label in columns.items():
        res = parse(frame[raw_col])
        col = f"{prefix}{label}"
        work[col] = res.values
        wide[col] = raw_col
        bad = res.problems.astype(bool).to_numpy()
        if bad.any():
            ledger.note(bad, field=raw_col, reason=res.problems, values=frame[raw_col])
        any_value |= res.values.notna().to_numpy()
    ledger.reject(~any_value, field="", reason=empty_reason)


# ---------------------------------------------------------------- duplicates and keys


def _is_list_column(col: pd.Series) -> bool:
    if col.dtype != object:
        return False
    at = col.first_valid_index()
    return at is not None and isinstance(col[at], list)


def _column_codes(col: pd.Series) -> np.ndarray:
    """Integers equal exactly where the values are equal (codes, or 64-bit hashes)."""
    if isinstance(col.dtype, pd.CategoricalDtype):
        return col.cat.codes.to_numpy()
    if _is_list_column(col):
        return pd.factorize(col.map("|".join))[0]
    if _is_arrow_text(col):
        return hash_strings(arrow_strings(col))
    if col.dtype == object or pd.api.types.is_string_dtype(col.dtype):
        return pd.factorize(col)[0]
    return col.to_numpy()


def _row_hash(parts: Mapping[str, np.ndarray], columns: list[str]) -> np.ndarray:
    """A 64-bit hash of each row's values in ``columns`` (from :func:`_column_codes`)."""
    frame = pd.DataFrame({c: parts[c] for c in columns})
    return pd.util.hash_pandas_object(frame, index=False).to_numpy()


def _finish_keys(p: Prepared) -> None:
    """Mark near duplicates, then reject conflicting repeats of the row key.

    A near duplicate has the same canonical values as an earlier row, so the same
    key: only rows whose key repeats (few, even in a national ledger) are compared
    value by value.
    """
    f = p.frame
    columns = [c for c in f.columns if c != "_case_ids"]
    key = [k for k in p.profile.spec.row_key if k in f.columns] or columns
    keys = _row_hash({c: _column_codes(f[c]) for c in key}, key)
    rows = _repeated(keys, p.ledger.kept)
    if not len(rows):
        return
    # near duplicates and key conflicts can only be among rows whose key repeats
    sub = f.iloc[rows]
    sig = _row_hash({c: _column_codes(sub[c]) for c in columns}, columns)
    near, first = _first_of_groups(sig, np.ones(len(rows), dtype=bool))
    p.ledger.duplicate(rows[near], of=rows[first], near=True)
    repeat, first = _first_of_groups(keys[rows], p.ledger.kept[rows])
    repeat, first = rows[repeat], rows[first]
    if not len(repeat):
        return
    spec = p.profile.spec
    raw_for = p.profile.raw_for
    key_field = next((fld for fld in spec.field_names if spec.target(fld) == key[0]), key[0])
    p.ledger.reject(
        repeat,
        field=raw_for.get(key_field, key[0]),
        reason="repeats the key of "
        + p.ledger.where_all(first)
        + " with different values; the first was kept",
    )


# --------------------------------------------------------------------------- linking


def _rejected_families(fam: Prepared, families: pd.DataFrame) -> pd.Series:
    """Family pseudonym -> "row N of FILE" of its first rejected row, for families not kept."""
    f = fam.frame
    rejected = (fam.ledger.status != KEPT) & f["family_id"].notna().to_numpy()
    pos = np.flatnonzero(rejected)
    ids = f["family_id"].to_numpy()[pos]
    out = pd.Series(fam.ledger.where_all(pos), index=ids, dtype=object)
    out = out[~out.index.duplicated(keep="first")]
    return out[~_isin(pd.Series(out.index), families["family_id"])]


def _isin(values: pd.Series, known: pd.Series) -> np.ndarray:
    """``values.isin(known)`` for text, in Arrow (pandas loops in Python for Arrow text).

    A categorical is tested one category at a time.
    """
    import pyarrow.compute as pc

    known_arr = pc.unique(arrow_strings(known.dropna()))
    if isinstance(values.dtype, pd.CategoricalDtype):
        hit = np.asarray(pc.is_in(arrow_strings(values.cat.categories), value_set=known_arr))
        codes = values.cat.codes.to_numpy()
        return np.append(hit.astype(bool), False)[codes]
    found = pc.is_in(arrow_strings(values.astype("str")), value_set=known_arr)
    return np.asarray(pc.fill_null(found, False), dtype=bool)


def _link(p: Prepared, families: pd.DataFrame, rejected: pd.Series, pseudo: Pseudonymiser) -> None:
    """Reject rows of unknown or rejected families; drop such cases from meeting lists."""
    f = p.frame
    raw_for = p.profile.raw_for
    known = families["family_id"]
    if "family_id" in f:
        fid = f["family_id"]
        orphan = np.flatnonzero(~_isin(fid, known) & fid.notna().to_numpy())
        if len(orphan):
            why = fid.iloc[orphan].astype(object).map(rejected)
            reason = np.where(
                why.notna().to_numpy(),
                "family rejected (" + why.where(why.notna(), "").to_numpy(dtype=object) + ")",
                "family reference not found in the families export",
            )
            p.ledger.reject(
                orphan,
                field=raw_for.get("family_ref", "family_ref"),
                reason=reason,
                redact=True,
            )
    links = [fld for fld in p.profile.columns.values() if p.profile.spec.kind(fld) == "reflist"]
    for fld in links:
        refs = f[fld].explode().dropna()
        ids = pseudo.hash_values(refs, domain=p.profile.spec.field(fld).domain or "family")
        ok = pd.Series(_isin(ids, known), index=ids.index)
        why = ids.map(rejected)
        kept_ids = ids[ok].groupby(level=0).agg(list)
        f["_case_ids"] = kept_ids.reindex(f.index).map(lambda v: v if isinstance(v, list) else [])
        for mask, text in (
            (~ok & why.isna(), "case reference(s) not found in the families export; dropped"),
            (~ok & why.notna(), None),
        ):
            if not mask.any():
                continue
            if text is None:
                first = why[mask].groupby(level=0).first()
                counts = mask[mask].groupby(level=0).size()
                reasons = (
                    counts.astype(str)
                    + " case(s) of a family rejected ("
                    + first.astype(str)
                    + "); dropped"
                )
            else:
                counts = mask[mask].groupby(level=0).size()
                reasons = counts.astype(str) + " " + text
            p.ledger.note(
                reasons.index.to_numpy(dtype=np.int64),
                field=raw_for[fld],
                reason=reasons.to_numpy(dtype=object),
                redact=True,
            )


# ------------------------------------------------------------------------- validation


def _validated(name: str, built: Built, p: Prepared) -> pd.DataFrame:
    """Validate a canonical table; rows failing a check become rejects."""
    df = built.table
    failures = validate_table(name, df)
    if failures.empty:
        return df
    if built.origin is None:
        # Tables derived without rows of their own (meeting_cases) must be valid by
        # construction; a failure here is a defect, not bad input.
        raise ValidationError(
            f"derived table {name} failed validation: " + "; ".join(sorted(set(failures["reason"])))
        )
    idx = failures["index"].to_numpy()
    raw_for = p.profile.raw_for
    spec = p.profile.spec
    to_raw = {spec.target(fld): raw for fld, raw in raw_for.items()}
    if built.raw_column is not None:
        raw_col = built.raw_column[idx]
        columns = np.where(
            np.isin(failures["column"].to_numpy(), ["score", "value"]),
            raw_col,
            failures["column"].map(lambda c: to_raw.get(c, c)).to_numpy(dtype=object),
        )
    else:
        columns = failures["column"].map(lambda c: to_raw.get(c, c)).to_numpy(dtype=object)
    values = np.array(
        [df.at[i, c] for i, c in zip(idx, failures["column"], strict=True)], dtype=object
    )
    reasons = failures["reason"].to_numpy(dtype=object)
    for column in dict.fromkeys(columns):
        sel = columns == column
        pos = built.origin[idx[sel]]
        shown = np.empty(len(p.ledger), dtype=object)
        shown[pos] = values[sel]
        redact = column in p.profile.identifiers
        if built.raw_column is not None:
            p.ledger.note(pos, field=str(column), reason=reasons[sel], values=shown, redact=redact)
        else:
            p.ledger.reject(
                pos, field=str(column), reason=reasons[sel], values=shown, redact=redact
            )
    keep = np.ones(len(df), dtype=bool)
    keep[idx] = False
    return df.loc[keep].reset_index(drop=True)


# --------------------------------------------------------------------------- reporting


def _warn_empty(
    prepared: Mapping[str, Prepared], tables: Mapping[str, pd.DataFrame], warn: _Warnings
) -> None:
    for name, p in prepared.items():
        for i, file in enumerate(p.ledger.files):
            c = p.ledger.counts(i)
            read = sum(c.values())
            if read and not c["kept"]:
                warn(
                    name,
                    file,
                    "",
                    f"{file}: none of its {read:,} rows was kept (see rejects for why).",
                )
        table = p.profile.spec.table
        if table in tables and tables[table].empty:
            warn(
                name,
                ", ".join(p.ledger.files),
                "",
                f"the {table} table is empty after ingest of [sources.{name}].",
            )


def _report(prepared: Mapping[str, Prepared]) -> pd.DataFrame:
    rows = []
    for name, p in prepared.items():
        dropped = p.ledger.values_noted()
        for i, file in enumerate(p.ledger.files):
            c = p.ledger.counts(i)
            rows.append(
                {
                    "source": name,
                    "file": file,
                    "rows_read": sum(c.values()),
                    "rows_kept": c["kept"],
                    "rows_rejected": c["rejected"],
                    "duplicates_exact": c["duplicate_exact"],
                    "duplicates_near": c["duplicate_near"],
                    "values_dropped": int(dropped[i]),
                }
            )
    out = pd.DataFrame(rows, columns=list(REPORT_COLUMNS))
    return out.astype({c: "Int64" for c in REPORT_COLUMNS[2:]}).astype(
        {"source": "string", "file": "string"}
    )


_ROW_REF = re.compile(r"\brow \d+ of ")


def _scrub_reasons(reasons: pd.Series, scrubber: Scrubber) -> np.ndarray:
    """Reasons through the scrubber, each distinct shape once.

    Reasons are the package's words plus file names and row numbers ("repeats
    the key of row 7 of x.csv"). Each distinct reason with its row numbers
    masked is scrubbed; where that changes nothing, the reasons of that shape
    are safe as they are (a row number is not an identifier), otherwise each
    of them is scrubbed in full.
    """
    codes, uniques = pd.factorize(reasons.astype(object))
    texts = [str(u) for u in uniques]
    shapes = [_ROW_REF.sub("row N of ", t) for t in texts]
    shape_codes, distinct = pd.factorize(pd.Series(shapes, dtype=object))
    clean = scrubber.scrub_messages(list(distinct))
    unsafe = np.array([c != d for c, d in zip(clean, distinct, strict=True)], dtype=bool)
    out = np.asarray(texts, dtype=object)
    redo = np.flatnonzero(unsafe[shape_codes])
    if len(redo):
        out[redo] = scrubber.scrub_messages([texts[i] for i in redo])
    return out[codes]


def _rejects(prepared: Mapping[str, Prepared], scrubber: Scrubber) -> pd.DataFrame:
    frames = [p.ledger.rejects(scrubber.scrub_series) for p in prepared.values()]
    frames = [f for f in frames if len(f)]
    if not frames:
        return EvaluationData().rejects
    out = pd.concat(frames, ignore_index=True)[list(REJECT_COLUMNS)]
    out = out.sort_values("source", kind="stable").reset_index(drop=True)
    out["reason"] = _scrub_reasons(out["reason"], scrubber)
    out = out.astype({c: "string" for c in REJECT_COLUMNS if c != "row"})
    out["row"] = out["row"].astype("Int64")
    return out
