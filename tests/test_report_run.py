"""`noream-eval run`: the whole report folder from the shipped sample, checked as published."""

from __future__ import annotations

import hashlib
import json
import re
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from _privacy import assert_no_identifiers, output_texts, sample_identifiers
from typer.testing import CliRunner

from noream_eval.cli import app
from noream_eval.reports.tables import TABLES

runner = CliRunner()


def _published(out: Path) -> list[Path]:
    return [p for p in sorted(out.rglob("*")) if p.is_file() and "restricted" not in p.parts]


def test_report_folder_holds_the_whole_set(sample_report):
    from noream_eval.reports.figures import FIGURES

    for name in ("report.html", "report.docx", "tables.xlsx", "manifest.json"):
        assert (sample_report / name).is_file(), name
    for name in ("indicators", "evidence_of_promise", "progression"):
        assert (sample_report / f"{name}.csv").is_file(), name
    csvs = {p.stem for p in (sample_report / "tables").glob("*.csv")}
    assert {d.name for d in TABLES} <= csvs
    for name in FIGURES:
        assert (sample_report / "figures" / f"{name}.png").stat().st_size > 10_000, name
        assert (sample_report / "figures" / f"{name}.svg").stat().st_size > 5_000, name


def test_manifest_lists_every_published_file_with_its_hash(sample_report):
    manifest = json.loads((sample_report / "manifest.json").read_text("utf-8"))
    files = manifest["files"]
    published = {p.relative_to(sample_report).as_posix() for p in _published(sample_report)} - {
        "manifest.json"
    }
    assert set(files) == published
    for rel, digest in files.items():
        assert hashlib.sha256((sample_report / rel).read_bytes()).hexdigest() == digest, rel
    assert manifest["disclosure"]["min_cell"] == 6
    assert not any(f.startswith("restricted/") for f in files)


def test_restricted_folder_is_labelled_and_never_linked(sample_report):
    readme = (sample_report / "restricted" / "README.txt").read_text("utf-8")
    assert "Do not publish" in readme
    assert (sample_report / "restricted" / "indicators.parquet").is_file()
    html = (sample_report / "report.html").read_text("utf-8")
    assert "restricted/" not in html


def test_no_identifier_reaches_any_file_of_the_run(sample_report):
    planted = sample_identifiers()
    assert len(planted) > 500
    assert_no_identifiers(sample_report, planted)


def test_published_files_hold_no_pseudonym(sample_report):
    # family, response and referral pseudonyms stay in restricted/ (one row per person there)
    texts = {k: v for k, v in output_texts(sample_report).items() if not k.startswith("restricted")}
    pseudonym = re.compile(r"\b[frp][0-9a-f]{16}\b")
    leaked = {name for name, text in texts.items() if pseudonym.search(text)}
    assert not leaked


def test_html_is_self_contained(sample_report):
    html = (sample_report / "report.html").read_text("utf-8")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "<script" not in html.lower()  # the report needs no script at all
    imgs = re.findall(r"<img[^>]+src=\"([^\"]+)\"", html)
    assert imgs and all(src.startswith("data:image/") for src in imgs)


def test_workbook_sheets_match_the_tables(sample_report):
    with zipfile.ZipFile(sample_report / "tables.xlsx") as z:
        workbook = z.read("xl/workbook.xml").decode("utf-8")
    names = re.findall(r'<sheet name="([^"]+)"', workbook)
    assert len(names) >= len(TABLES)


def test_cli_run_bad_config_exits_2_without_traceback(tmp_path):
    bad = tmp_path / "evaluation.toml"
    bad.write_text("[evaluation]\nname = 'x'\n", "utf-8")
    res = runner.invoke(app, ["run", str(bad), "--out", str(tmp_path / "o")])
    assert res.exit_code == 2
    assert "Traceback" not in res.output
    assert "data_cut" in res.output
    assert not (tmp_path / "o").exists()


def test_cli_run_refuses_to_overwrite(tmp_path, sample_config):
    (tmp_path / "o").mkdir()
    res = runner.invoke(app, ["run", str(sample_config), "--out", str(tmp_path / "o")])
    assert res.exit_code == 2
    assert "--force" in res.output


def test_published_csvs_equal_the_protected_tables(sample_report, sample_results, sample):
    from noream_eval.reports.disclosure import DisclosurePolicy
    from noream_eval.reports.run import published_results

    _, protected = published_results(sample_results, DisclosurePolicy(), data=sample)
    for name, (definition, table) in protected.items():
        got = pd.read_csv(
            sample_report / "tables" / f"{name}.csv", dtype=str, keep_default_na=False
        )
        flags = table.flags
        for col, (_, kind) in definition.columns.items():
            shown = got[definition.labels()[col]] if definition.labels()[col] in got else got[col]
            suppressed = (flags[col] == "c").to_numpy()
            assert (shown[suppressed] == "c").all(), (name, col)
            if kind == "count":
                numbers = pd.to_numeric(shown[~suppressed], errors="coerce").dropna()
                assert not numbers.between(1, 5).any(), (name, col)


@pytest.mark.parametrize("definition", TABLES, ids=lambda d: d.name)
def test_no_count_of_one_to_five_in_any_published_table(sample_report, definition):
    table = pd.read_csv(sample_report / "tables" / f"{definition.name}.csv", dtype=str)
    for col, (label, kind) in definition.columns.items():
        if kind != "count":
            continue
        column = table[label] if label in table else table[col]
        numbers = pd.to_numeric(column, errors="coerce").dropna()
        assert not numbers.between(1, 5).any(), (definition.name, col)
