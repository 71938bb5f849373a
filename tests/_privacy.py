"""Shared check: search every output file for planted identifiers."""

from __future__ import annotations

import html
import re
import zipfile
from pathlib import Path

import pandas as pd

from noream_eval.config import load_config
from noream_eval.ingest.readers import read_table

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"

_TAG = re.compile(r"<[^>]+>")
#: Canonical fields holding raw references (searched as well as declared identifiers).
_REF_FIELDS = {
    "family_ref",
    "referral_id",
    "payment_id",
    "response_id",
    "respondent_ref",
    "family_refs",
    "contact_id",
}


def _zip_text(path: Path) -> str:
    """The text of every XML part of a Word or Excel file, tags removed."""
    with zipfile.ZipFile(path) as z:
        parts = [
            html.unescape(_TAG.sub(" ", z.read(n).decode("utf-8", "replace")))
            for n in z.namelist()
            if n.endswith((".xml", ".rels"))
        ]
    return " ".join(parts)


def file_text(p: Path) -> str:
    """One output file as lower-case text: Parquet decoded, Word and Excel unzipped,
    images as their raw bytes (metadata chunks and SVG text included)."""
    if p.suffix == ".parquet":
        df = pd.read_parquet(p)
        return (df.astype(str).to_csv(index=False) + " ".join(df.columns)).lower()
    if p.suffix in (".docx", ".xlsx"):
        return _zip_text(p).lower()
    if p.suffix == ".png":
        return p.read_bytes().decode("latin-1").lower()
    return p.read_text("utf-8").lower()


def output_texts(out: Path) -> dict[str, str]:
    """Every file under ``out`` as lower-case text (see :func:`file_text`)."""
    texts = {}
    for p in sorted(out.rglob("*")):
        if p.is_file():
            texts[p.relative_to(out).as_posix()] = file_text(p)
    assert texts, f"no outputs in {out}"
    return texts


def sample_identifiers() -> list[str]:
    """Every identifier and raw reference value in the raw sample files."""
    cfg = load_config(SAMPLE / "evaluation.toml")
    values: set[str] = set()
    for prof in cfg.sources.values():
        ref_cols = [raw for raw, fld in prof.columns.items() if fld in _REF_FIELDS]
        for path in prof.files():
            frame = read_table(
                path, fmt=prof.format, sheet=prof.sheet, header_row=prof.header_row
            ).frame
            for col in [*prof.identifiers, *ref_cols]:
                if col not in frame:
                    continue
                for v in frame[col].astype(str):
                    for part in v.split(prof.list_separator):
                        part = part.strip()
                        # dates of birth are searched in the forms an output could hold
                        if len(part) >= 6:
                            values.add(part)
    return sorted(values)


def assert_no_identifiers(out: Path, planted: list[str]) -> None:
    """Fail, naming files but never the full values, if a planted value is in an output."""
    texts = output_texts(out)
    leaked = {v: [n for n, t in texts.items() if v.lower() in t] for v in planted}
    leaked = {v[:3] + "…": files for v, files in leaked.items() if files}
    assert not leaked, f"{len(leaked)} identifier values found in outputs: {leaked}"
