"""``evaluation.toml`` is written from the same profiles the file writers use.

The package copy ``noream_eval/sample/evaluation.toml`` (read by
``noream_eval.config.load_config``'s example) and the shipped ``data/sample`` copy
must equal the generator's rendering byte for byte; the files it describes must
hold exactly the headers, layout and raw codes it maps.
"""

from __future__ import annotations

import csv
import io
import json
import pathlib
import re
import tomllib
from collections import Counter
from importlib import resources
from typing import Any

import pytest
from python_calamine import CalamineWorkbook

from noream_eval.config import load_config
from noream_eval.sample import profiles
from noream_eval.sample.generate import generate_sample
from noream_eval.sample.profiles import EXPORTS, Column, Export, evaluation_toml, value_map

REPO = pathlib.Path(__file__).resolve().parents[1]

# Explanatory comments of the config, which document its format for users.
COMMENTS = (
    "# Evaluation configuration for the synthetic NOREAM sample.",
    "# It describes the raw exports an NRPF team hands over (one [sources.*] profile",
    "# per export) and the pre-specified analysis parameters. Paths are relative to",
    '# this file. Column maps read `"raw header" = "canonical field"`; value maps read',
    '# `"raw code" = "canonical category"` and match ignoring case, spaces and',
    '# punctuation ("S.17 " matches "s17"). Canonical level names always match',
    "# themselves, so they need no entry.",
    "# the date the exports were taken",
    "# referral history before this date is unknown for everyone",
    "# NOREAM enrolment began",
    "# UK day-first dates (03/04/2021 is 3 April)",
    "# pseudonymisation key; NOREAM_EVAL_KEY overrides it",
    "# DfE re-referral window",
    "# payments further apart start a new s17 episode",
    "# disclosure control: counts 1..5 are suppressed",
    "# domain assessment scale",
    "# one workbook per LA at multi-site scale",
    "# two title lines above the header",
    "# detects UTF-8 (with or without BOM) or Windows-1252",
    '# the finance ledger is Windows-1252 ("£" is byte A3)',
    "# Wide: one row per family x assessment, one column per support domain.",
    "# Wide: one row per completion, one column per item, answers as text labels.",
)
SECTIONS = (
    "referrals",
    "families",
    "payments",
    "domain assessments",
    "wellbeing survey",
    "staff survey",
    "meetings",
    "contacts",
    "deliverables",
)


def match_key(value: str) -> str:
    """How the ingest matches codes: case, spaces and punctuation ignored."""
    return re.sub(r"[^0-9a-z]", "", value.casefold().replace("&", "and"))


def test_package_copy_is_the_rendering() -> None:
    text = evaluation_toml()
    package = resources.files("noream_eval.sample").joinpath("evaluation.toml").read_bytes()
    assert package == text.encode("utf-8")
    assert (REPO / "data" / "sample" / "evaluation.toml").read_bytes() == package


def test_rendering_keeps_the_explanatory_comments() -> None:
    lines = evaluation_toml().splitlines()
    for comment in COMMENTS:
        assert any(line.endswith(comment) for line in lines), comment
    banners = [line for line in lines if line.startswith("# ---")]
    assert [b.rsplit("- ", 1)[1] for b in banners] == ["analysis plan", *SECTIONS]


def test_rendering_is_a_valid_config(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "evaluation.toml"
    path.write_text(evaluation_toml(), encoding="utf-8")
    cfg = load_config(path)
    assert list(cfg.sources) == [e.source for e in EXPORTS]
    raw = tomllib.loads(evaluation_toml())
    assert raw["evaluation"]["data_cut"] == "2022-06-30"
    assert raw["parameters"]["score_min"] == 1 and raw["parameters"]["score_max"] == 5
    for export in EXPORTS:
        profile = cfg.sources[export.source]
        assert profile.identifiers == tuple(c.header for c in export.columns if c.identifier)
        assert set(profile.columns) <= set(export.header)


def test_value_map_rejects_a_code_given_to_two_levels() -> None:
    column = Column(
        "Cohort", "cohort", codes={"noream": ("Pilot",), "comparison": ("PILOT ", "Usual")}
    )
    export = Export("families", "families.csv", (column,))
    with pytest.raises(ValueError, match="'PILOT ' is given to both 'noream' and 'comparison'"):
        value_map(export, column)


def test_value_map_follows_schema_order_and_skips_blanks() -> None:
    immigration = next(c for c in profiles.FAMILIES.columns if c.field == "immigration_status")
    mapping = value_map(profiles.FAMILIES, immigration)
    assert "" not in mapping
    assert list(dict.fromkeys(mapping.values())) == [
        "no_leave",
        "leave_nrpf_condition",
        "asylum_pending",
        "eea",
        "leave_with_recourse",
        "other",
    ]


# ----------------------------------------------------- the files match the profiles


@pytest.fixture(scope="module")
def multisite(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    return generate_sample(tmp_path_factory.mktemp("profiles") / "s", n_families=3000, n_sites=3)


def _rows(folder: pathlib.Path, export: Export) -> tuple[list[Any], list[list[Any]]]:
    """Header and data rows of every file of an export (blank and Total rows dropped)."""
    header: list[Any] = []
    rows: list[list[Any]] = []
    names = sorted(p.name for p in folder.iterdir() if export.is_file(p.name))
    assert names, export.source
    for name in names:
        if export.format == "xlsx":
            sheet = CalamineWorkbook.from_path(str(folder / name)).get_sheet_by_name(export.sheet)
            table = sheet.to_python(skip_empty_area=False)
            header, body = table[export.header_row - 1], table[export.header_row :]
        else:
            text = (folder / name).read_bytes().decode(export.encoding)
            assert text.startswith("\ufeff") == export.bom, name
            table = list(csv.reader(io.StringIO(text.lstrip("\ufeff"), newline="")))
            header, body = table[0], table[1:]
        rows += [r for r in body if any(v not in ("", None) for v in r) and r[0] != "Total"]
    return header, rows


@pytest.mark.parametrize("export", EXPORTS, ids=lambda e: e.source)
def test_files_have_the_profiled_layout_and_codes(multisite: pathlib.Path, export: Export) -> None:
    truth = json.loads((multisite / "truth.json").read_text(encoding="utf-8"))
    header, rows = _rows(multisite, export)
    assert tuple(header) == export.header
    unknown = sum(c.get("unknown_codes", 0) for n, c in truth["mess"].items() if export.is_file(n))
    for i, column in enumerate(export.columns):
        if not column.codes:
            continue
        mapped = {match_key(k) for k in value_map(export, column)}
        written: Counter[str] = Counter()
        for r in rows:
            cell = str(r[i])
            parts = cell.split(export.list_separator) if export.list_separator else [cell]
            written.update(match_key(p) for p in parts if p.strip())
        unmapped = {code for code in written if code not in mapped}
        # Only injected unknown codes are unmapped ...
        assert len(unmapped) <= unknown, (column.header, unmapped)
        # ... and every mapped code is written, in the exports with enough rows to show
        # each variant (deliverables has about twenty).
        if len(rows) >= 100:
            written_only = {match_key(k) for k in column.not_written}
            assert mapped - written_only <= set(written), column.header
