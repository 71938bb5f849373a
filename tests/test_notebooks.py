"""Execute the example notebooks top to bottom and check what they show.

Each notebook runs in a fresh kernel whose working folder is a temporary one (as a
reader's copy would), so a notebook must find the sample's config by itself. Beyond
running without an error or a warning, the checks are:

- every code cell tagged ``figure`` displays a PNG image;
- a notebook that makes disclosure-controlled results (a ``published`` variable)
  publishes no indicator count from 1 to ``min_cell - 1``, and does suppress some;
- the notebooks after the ingest quick start print no family or questionnaire
  pseudonym of the sample (they show aggregates only).

The facts about ``published`` come from one cell appended to the notebook in memory
(the files on disk are never changed). The notebooks run two at a time, one kernel per
core, in a fixture shared by the tests of this module.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

FOLDER = Path(__file__).resolve().parents[1] / "notebooks"
NOTEBOOKS = sorted(FOLDER.glob("*.ipynb"))
#: Notebooks that may show pseudonymised rows (the ingest quick start shows table heads).
SHOWS_ROWS = {"01_ingest_quickstart.ipynb"}
#: Least number of cells tagged ``figure`` in each notebook.
FIGURE_CELLS = {
    "01_ingest_quickstart.ipynb": 0,
    "02_results_quickstart.ipynb": 1,
    "03_wellbeing_change.ipynb": 1,
    "04_report_figures.ipynb": 8,  # one per report figure, at least
}

_FACTS = """
import json as _json

_facts = {}
if "published" in globals():
    _n = published.table("indicators").display()["n"]
    _numbers = [int(v) for v in _n if not isinstance(v, str)]
    _facts = {
        "min_cell": published.policy.min_cell,
        "n_numbers": _numbers,
        "n_suppressed": int((_n == "c").sum()),
    }
print(_json.dumps(_facts))
"""


def _text(output) -> str:
    if output.get("output_type") == "stream":
        return output.get("text", "")
    data = output.get("data", {})
    return "\n".join(str(data[k]) for k in ("text/plain", "text/html") if k in data)


@pytest.fixture(scope="module")
def pseudonyms(sample) -> set[str]:
    """The sample's family and questionnaire pseudonyms (the sample fixture also fills
    the load_sample cache, which every notebook's kernel then reads)."""
    ids = set(sample.families["family_id"].astype(str))
    ids |= set(sample.wellbeing_items["response_id"].astype(str))
    return {i for i in ids if len(i) >= 8}


@pytest.fixture(scope="module")
def executed(tmp_path_factory, pseudonyms) -> dict:
    """Every notebook executed, by file name: (notebook with outputs, exception or None)."""

    async def run(path: Path, gate: asyncio.Semaphore):
        nb = nbformat.read(path, as_version=4)
        nb.cells.append(nbformat.v4.new_code_cell(_FACTS))
        folder = tmp_path_factory.mktemp(path.stem)
        client = NotebookClient(
            nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(folder)}}
        )
        async with gate:
            try:
                await client.async_execute()
            except Exception as err:  # reported by the notebook's own test
                return nb, err
        return nb, None

    async def run_all():
        gate = asyncio.Semaphore(2)
        # The last notebooks are the longest: started first, the two cores stay busy.
        paths = NOTEBOOKS[::-1]
        done = await asyncio.gather(*(run(p, gate) for p in paths))
        return {p.name: d for p, d in zip(paths, done, strict=True)}

    return asyncio.run(run_all())


def test_every_notebook_is_listed():
    assert {p.name for p in NOTEBOOKS} == set(FIGURE_CELLS)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_committed_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert not any(c.outputs or c.execution_count for c in code)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs(path, executed, pseudonyms):
    nb, error = executed[path.name]
    if error is not None:
        raise error
    code = [c for c in nb.cells if c.cell_type == "code"]
    outputs = [o for c in code for o in c.outputs]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    warnings = [o["text"] for o in outputs if o.get("name") == "stderr"]
    assert not warnings, warnings
    assert outputs  # the cells produced something to look at

    figure_cells = [c for c in code if "figure" in c.metadata.get("tags", [])]
    assert len(figure_cells) >= FIGURE_CELLS[path.name]
    for cell in figure_cells:
        assert any("image/png" in o.get("data", {}) for o in cell.outputs), cell.source

    facts = json.loads(code[-1].outputs[-1]["text"])
    if path.name == NOTEBOOKS[0].name:
        assert facts == {}
    else:
        small = [n for n in facts["n_numbers"] if 1 <= n < facts["min_cell"]]
        assert not small, f"published indicator counts from 1 to {facts['min_cell'] - 1}"
        assert facts["n_numbers"] and facts["n_suppressed"] > 0

    if path.name not in SHOWS_ROWS:
        shown = "\n".join(_text(o) for o in outputs)
        assert not [i for i in pseudonyms if i in shown]
