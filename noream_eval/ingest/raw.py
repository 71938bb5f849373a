"""The raw rows of one source: its files read, classified and their identifiers registered.

For each source: read every file (several at a time), match the profile's
headers (ignoring case and spacing; a missing column stops the run with a
message that quotes no data cell), keep text columns as categoricals (each
distinct string parsed once) or, for record IDs, as plain Arrow text; reject
blank and summary ("Total") rows; register the values of identifier columns
with the run's scrubber; mark exact duplicates; then normalise the fields
(:mod:`noream_eval.ingest.fields`).
"""

from __future__ import annotations

import concurrent.futures as cf
import difflib
import os
from pathlib import Path

import numpy as np
import pandas as pd

from noream_eval._arrow import arrow_strings, is_arrow_text
from noream_eval.config import EvaluationConfig, SourceProfile
from noream_eval.errors import HeaderRowError, MissingColumnError, NoreamEvalError
from noream_eval.ingest import normalise as nz
from noream_eval.ingest.build import Prepared
from noream_eval.ingest.fields import normalise_fields
from noream_eval.ingest.keys import duplicates
from noream_eval.ingest.ledger import RowLedger
from noream_eval.ingest.pseudonymise import Pseudonymiser, fast_categories
from noream_eval.ingest.readers import (
    RawTable,
    find_header_row,
    header_key,
    header_problem,
    read_table,
)
from noream_eval.ingest.report import Say, Warnings
from noream_eval.privacy import Scrubber
from noream_eval.writers import sha256_file

__all__ = ["prepare_source"]


def _select_columns(
    profile: SourceProfile,
    raw: RawTable,
    path: Path,
    where: str,
    scrubber: Scrubber,
    warn: Warnings,
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


def _display(path: Path, base: Path) -> str:
    try:
        return str(path.resolve().relative_to(base))
    except ValueError:
        return path.name


def prepare_source(
    profile: SourceProfile,
    cfg: EvaluationConfig,
    pseudo: Pseudonymiser,
    scrubber: Scrubber,
    warn: Warnings,
    inputs: list[dict],
    say: Say,
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
        return shown, raw, sha256_file(path)

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
    work, wide = normalise_fields(profile, frame, ledger, cfg, pseudo)
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
        elif is_arrow_text(values):
            import pyarrow as pa
            import pyarrow.compute as pc

            distinct = pc.unique(arrow_strings(values).filter(pa.array(kept)))
            values = pd.Series(pd.arrays.ArrowStringArray(distinct))
        else:
            values = values[kept]
        scrubber.add(values, words=col not in references)


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
        if is_arrow_text(col):
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


def _total_word(col: pd.Series) -> np.ndarray:
    """True where a cell says "Total" (or "Grand total", "Sum"), in any case or spacing."""
    if is_arrow_text(col):
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


def _exact_duplicates(profile: SourceProfile, frame: pd.DataFrame, ledger: RowLedger) -> None:
    """Mark rows whose every cell the profile reads is identical, as written, to an earlier row's.

    Where the export has a record ID column, only rows whose raw ID repeats can be
    exact duplicates, and only those are compared cell by cell.
    """
    cols = [c for c in profile.mapped_columns if c in frame.columns]
    ids = [c for c, f in profile.columns.items() if profile.spec.kind(f) == "id" and c in cols]
    _, _, dup, first = duplicates(frame, ledger.kept, ids or cols, cols)
    ledger.duplicate(dup, of=first, near=False)


_TOTAL_WORDS = {"total", "totals", "grandtotal", "sum"}
