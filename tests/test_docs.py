"""The documentation in ``docs/`` is kept true with the code.

Every config key, parameter default, source, raw field, canonical table and column,
category level, audit column, ``rejects.action`` value, command, option, output file
and exit code the code defines must be documented, with the kinds, required flags,
bounds and defaults the code has; the examples must parse; links between the documents
must resolve; and the documents must not point outside the repository for their
definitions.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
import typer

from noream_eval import cli
from noream_eval.config import (
    _EVALUATION_KEYS,
    _INSTRUMENT_KEYS,
    _PROFILE_KEYS,
    DEFAULT_PARAMETERS,
    load_instruments,
    parse_config,
)
from noream_eval.data import REPORT_COLUMNS, WARNING_COLUMNS, EvaluationData
from noream_eval.ingest import load, write_outputs
from noream_eval.ingest.ledger import ACTIONS
from noream_eval.sample.profiles import evaluation_toml
from noream_eval.schema import LEVELS, REJECT_COLUMNS, TABLES
from noream_eval.sources import SOURCES
from tests._mini import write_mini

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs"
PAGES = (
    "README.md",
    "cli.md",
    "config.md",
    "data_model.md",
    "disclosure.md",
    "outcomes.md",
    "privacy.md",
    "report.md",
)
# Design notes that live outside the repository: the docs must stand on their own.
OUTSIDE = ("shared/spec", "DATA_MODEL.md", "OUTCOMES.md")


def _read(name: str) -> str:
    return (DOCS / name).read_text("utf-8")


def _code(name: str) -> str:
    """How a name is written in the docs: in backticks."""
    return f"`{name}`"


def _section(text: str, start: str, end: str | None) -> str:
    """The text from the heading line ``start`` up to the heading line ``end``."""
    lines = text.splitlines()
    i = lines.index(start)
    j = lines.index(end, i + 1) if end is not None else len(lines)
    return "\n".join(lines[i:j])


def _subsections(text: str, level: str = "### ") -> dict[str, str]:
    """Sub-section bodies by the name in backticks of their heading (``### `name` ``)."""
    out: dict[str, str] = {}
    name = None
    for line in text.splitlines():
        match = re.fullmatch(re.escape(level) + r"`([^`]+)`", line)
        if match:
            name = match.group(1)
            out[name] = ""
        elif line.startswith(("## ", "### ")):
            name = None
        elif name is not None:
            out[name] += line + "\n"
    return out


def _rows(text: str) -> dict[str, list[str]]:
    """Markdown table rows whose first cell is a name in backticks: name -> cells."""
    out: dict[str, list[str]] = {}
    for line in text.splitlines():
        match = re.match(r"\| `([^`]+)` \|(.*)\|\s*$", line)
        if match:
            out.setdefault(match.group(1), [c.strip() for c in match.group(2).split(" | ")])
    return out


def _blocks(text: str, lang: str) -> list[str]:
    return re.findall(rf"^```{lang}\n(.*?)^```$", text, flags=re.MULTILINE | re.DOTALL)


def _number(value: float) -> str:
    return f"{int(value):,}" if float(value).is_integer() else f"{value:g}"


# ---------------------------------------------------------------------------- config


@pytest.mark.parametrize(
    "key", sorted(_PROFILE_KEYS | _EVALUATION_KEYS | _INSTRUMENT_KEYS | set(DEFAULT_PARAMETERS))
)
def test_every_config_key_is_documented(key: str) -> None:
    assert _code(key) in _read("config.md")


def test_config_tables_have_a_row_per_key() -> None:
    text = _read("config.md")
    tables = {
        "## `[evaluation]`": _EVALUATION_KEYS,
        "## `[parameters]`": set(DEFAULT_PARAMETERS),
        "## `[instruments.NAME]`": _INSTRUMENT_KEYS,
    }
    headings = [line for line in text.splitlines() if line.startswith("## ")]
    for heading, keys in tables.items():
        end = headings[headings.index(heading) + 1]
        assert set(_rows(_section(text, heading, end))) >= keys, heading
    sources = _section(text, "## `[sources.NAME]`", "## The analysis plan")
    summary = re.findall(r"^\| \[`(\w+)`\]\(#\1\) \|", sources, flags=re.MULTILINE)
    assert set(summary) == _PROFILE_KEYS
    assert set(_subsections(sources)) == _PROFILE_KEYS


def test_every_analysis_plan_key_is_documented_with_its_default() -> None:
    from noream_eval.plan import _KEYS, CONDITIONS, AnalysisPlan

    text = _read("config.md")
    headings = [
        line for line in text.splitlines() if line.startswith("### ") or line.startswith("## ")
    ]
    defaults = AnalysisPlan()
    for table, keys in _KEYS.items():
        heading = f"### `[{table}]`"
        end = headings[headings.index(heading) + 1]
        rows = _rows(_section(text, heading, end))
        for key, (attr, kind, *_) in keys.items():
            assert key in rows, (table, key)
            default = getattr(defaults, attr)
            if kind in ("int", "float", "share") and default is not None:
                assert float(rows[key][0]) == default, (table, key)
    its = _rows(_section(text, "### `[its]`", "### `[costs]`"))
    assert "shocks" in its
    for condition in CONDITIONS:
        assert _code(condition) in text, condition


def test_parameter_defaults_and_ranges_are_as_in_the_code() -> None:
    rows = _rows(_read("config.md"))
    for name, (default, lo, hi) in DEFAULT_PARAMETERS.items():
        assert rows[name][:2] == [str(default), f"{lo} to {hi}"], name


def test_shipped_instruments_are_named() -> None:
    text = _read("config.md")
    for name in load_instruments():
        assert _code(name) in text, name


def test_minimal_example_config_parses(tmp_path: Path) -> None:
    minimal = _blocks(_read("config.md"), "toml")[0]
    cfg = parse_config(tomllib.loads(minimal), base_dir=tmp_path)
    assert "families" in cfg.sources


def test_every_toml_example_is_valid_toml() -> None:
    for page in PAGES:
        for block in _blocks(_read(page), "toml"):
            tomllib.loads(block)


def test_every_python_example_compiles() -> None:
    for page in (*PAGES, "../README.md"):
        for block in _blocks(_read(page), "python"):
            compile(block, page, "exec")


def test_sample_config_mentions_every_profile_key() -> None:
    text = evaluation_toml()
    for key in _PROFILE_KEYS:
        assert re.search(rf"\b{key}\b", text), key


# ------------------------------------------------------------------------ data model


def test_every_source_and_raw_field_is_documented_with_its_kind() -> None:
    text = _read("data_model.md")
    sections = _subsections(_section(text, "## Raw sources", "## Canonical tables"))
    for name, spec in SOURCES.items():
        assert name in sections, name
        rows = _rows(sections[name])
        assert set(rows) == set(spec.field_names), name
        for field in spec.field_names:
            kind, required = rows[field][0], rows[field][1]
            assert kind.startswith(_code(spec.kind(field))), (name, field)
            assert (required == "yes") == (field in spec.required), (name, field)
        assert all(_code(k) in sections[name] for k in spec.row_key), name
        assert _code(spec.table) in sections[name], name


def test_every_canonical_table_and_column_is_documented_as_in_the_schema() -> None:
    text = _read("data_model.md")
    sections = _subsections(_section(text, "## Canonical tables", "### Category levels"))
    for name, spec in TABLES.items():
        assert name in sections, name
        rows = _rows(sections[name])
        assert list(rows) == spec.columns, name
        for field in spec.fields:
            kind, required = rows[field.name][0], rows[field.name][1]
            assert kind.split(maxsplit=1)[0].rstrip(",") == field.kind, (name, field.name)
            assert (required == "yes") == field.required, (name, field.name)
            if field.levels is not None:
                assert _code(field.levels) in kind, (name, field.name)
            lo, hi = field.min_value, field.max_value
            if lo is not None and hi is not None:
                assert f"{_number(lo)} to {_number(hi)}" in kind, (name, field.name)
            elif lo is not None:
                assert f"at least {_number(lo)}" in kind, (name, field.name)
        assert all(_code(k) in sections[name] for k in spec.unique), name


def test_every_category_level_is_documented() -> None:
    rows = _rows(_section(_read("data_model.md"), "### Category levels", "## Audit tables"))
    assert set(rows) == set(LEVELS)
    for name, levels in LEVELS.items():
        assert all(_code(level) in rows[name][0] for level in levels), name


def test_every_reject_action_and_audit_column_is_documented() -> None:
    text = _read("data_model.md")
    for name in (*ACTIONS, *REJECT_COLUMNS, *WARNING_COLUMNS, *REPORT_COLUMNS):
        assert _code(name) in text, name


def test_every_provenance_key_is_documented(tmp_path: Path) -> None:
    provenance = load(write_mini(tmp_path)).provenance
    text = _read("data_model.md")
    keys = set(provenance) | {k for entry in provenance["inputs"] for k in entry}
    for key in keys:
        assert _code(key) in text, key


# ------------------------------------------------------------------------ command line


def test_every_command_and_option_is_documented() -> None:
    text = _read("cli.md")
    group = typer.main.get_command(cli.app)
    for param in group.params:
        for opt in param.opts:
            assert _code(opt) in text, opt
    for name, command in group.commands.items():  # type: ignore[attr-defined]
        assert f"## `noream-eval {name}`" in text, name
        for param in command.params:
            names = param.opts if param.param_type_name == "option" else [param.name.upper()]
            for opt in names:
                assert _code(opt) in text, (name, opt)


def test_exit_codes_are_documented() -> None:
    rows = _rows(_section(_read("cli.md"), "## Exit codes", None))
    assert {str(c) for c in (cli.EXIT_OK, cli.EXIT_INPUT, cli.EXIT_INTERNAL)} <= set(rows)


def test_every_output_file_is_documented(tmp_path: Path) -> None:
    out = write_outputs(EvaluationData(), tmp_path / "out")
    text = _read("cli.md")
    for path in out.iterdir():
        assert _code(path.name) in text, path.name


# --------------------------------------------------------------------------- links


def _anchors(text: str) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces as hyphens."""
    seen: dict[str, int] = {}
    out = set()
    for line in text.splitlines():
        if not line.startswith("#") or line.startswith("#!"):
            continue
        title = line.lstrip("#").strip().lower()
        slug = re.sub(r"[^\w\- ]", "", title).replace(" ", "-")
        n = seen.get(slug, 0)
        seen[slug] = n + 1
        out.add(slug if n == 0 else f"{slug}-{n}")
    return out


def _without_code_blocks(text: str) -> str:
    return re.sub(r"^```.*?^```$", "", text, flags=re.MULTILINE | re.DOTALL)


@pytest.mark.parametrize("page", [*PAGES, "../README.md"])
def test_links_between_documents_resolve(page: str) -> None:
    source = (DOCS / page).resolve()
    text = _without_code_blocks(source.read_text("utf-8"))
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+:", target):
            continue
        path, _, anchor = target.partition("#")
        file = (source.parent / path).resolve() if path else source
        assert file.exists(), (page, target)
        if anchor:
            assert anchor in _anchors(_without_code_blocks(file.read_text("utf-8"))), (
                page,
                target,
            )


@pytest.mark.parametrize("page", [*PAGES, "../README.md"])
def test_docs_stand_on_their_own(page: str) -> None:
    # Case matters: docs/data_model.md is this repository's own document.
    text = (DOCS / page).read_text("utf-8")
    for name in OUTSIDE:
        assert name not in text, (page, name)


def test_package_does_not_point_outside_the_repository() -> None:
    found = [
        f"{path.relative_to(REPO)}: {name}"
        for path in sorted((REPO / "noream_eval").rglob("*.py"))
        for name in OUTSIDE
        if name in path.read_text("utf-8")
    ]
    assert not found, found
