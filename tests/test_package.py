"""Package-level promises: lazy heavy imports and a public API that resolves."""

from __future__ import annotations

import subprocess
import sys

import noream_eval as ne


def test_import_is_light():
    # A notebook user's `import noream_eval` must not pull in the heavy stack.
    code = (
        "import sys, noream_eval, noream_eval.stats, noream_eval.ingest;"
        "heavy = [m for m in ('statsmodels', 'matplotlib', 'pandera', 'scipy', 'pandas')"
        " if m in sys.modules]; print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_public_names_resolve():
    for name in ne.__all__:
        assert getattr(ne, name) is not None
    assert ne.ingest.load is not None
    assert issubclass(ne.StatsInputError, ne.NoreamEvalError)
