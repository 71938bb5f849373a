"""Shared check: search every output file for planted identifiers."""

from __future__ import annotations

from pathlib import Path

import pandas as pd


def output_texts(out: Path) -> dict[str, str]:
    """Every file under ``out`` as lower-case text, Parquet tables decoded."""
    texts = {}
    for p in sorted(out.rglob("*")):
        if p.suffix == ".parquet":
            df = pd.read_parquet(p)
            texts[p.name] = (df.astype(str).to_csv(index=False) + " ".join(df.columns)).lower()
        elif p.is_file():
            texts[p.name] = p.read_text("utf-8").lower()
    assert texts, f"no outputs in {out}"
    return texts


def assert_no_identifiers(out: Path, planted: list[str]) -> None:
    """Fail, naming files but never the full values, if a planted value is in an output."""
    texts = output_texts(out)
    leaked = {v: [n for n, t in texts.items() if v.lower() in t] for v in planted}
    leaked = {v[:3] + "…": files for v, files in leaked.items() if files}
    assert not leaked, f"{len(leaked)} identifier values found in outputs: {leaked}"
