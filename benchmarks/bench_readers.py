"""CSV reader benchmark: the old pandas C parser path against read_table, same run.

Run by hand (``python benchmarks/bench_readers.py``); it is not a test. It writes a
Windows-1252 CSV (default 2,000,000 rows, 8 columns, a title row above the header,
quoted amounts with thousands commas, accented names) under benchmarks/_work/ and
times, in fresh processes so each peak memory is its own:

* ``old``: the previous reader: encoding detection decoding the whole file (UTF-8,
  then Windows-1252), then ``pandas.read_csv(engine="c", dtype=str, ...)``;
* ``new``: :func:`noream_eval.ingest.readers.read_table` (encoding and delimiter
  detection, pyarrow parse, header checks);
* ``new-fallback``: ``read_table`` forced onto its pandas fallback (as for a file
  with ragged rows).

    python benchmarks/bench_readers.py                 # 2,000,000 rows, 3 repeats
    python benchmarks/bench_readers.py --rows 11000000 --repeat 1
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
WORK = HERE / "_work"

_CHILD = r"""
import json, resource, sys, time
from pathlib import Path
import pandas as pd
import pyarrow.csv
from noream_eval.ingest import readers
path, mode = sys.argv[1], sys.argv[2]
t0 = time.perf_counter()  # imports excluded
if mode == "old":
    # the previous detect_encoding: strict UTF-8 over the whole file, then Windows-1252
    enc = next((e for e in ("utf-8", "cp1252") if readers._decodes(Path(path), e)), "latin-1")
    cells = pd.read_csv(path, header=None, dtype=str, keep_default_na=False, na_filter=False,
                        skip_blank_lines=False, skiprows=1, encoding=enc, engine="c")
    rows = len(cells) - 1
else:
    if mode == "new-fallback":
        readers._arrow_cells = lambda *a, **k: None
    rows = len(readers.read_table(path, fmt="csv", header_row=2).frame)
seconds = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": seconds, "peak_mib": peak, "rows": rows}))
"""

_FIRST = ["Aisha", "René", "Zoë", "Imran", "Folasade", "Wei", "Semhar", "Blerina", "Siân"]
_LAST = ["Yilmaz", "Fernández", "Mahlangu", "Müller", "O'Brien", "García", "Nowak"]
_TYPES = ["Subsistence", "Rent", "Travel", "Utilities – gas", "Nursery “top-up”"]


def _generate(path: Path, rows: int) -> None:
    rng = random.Random(20240601)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="cp1252", newline="") as fh:
        fh.write("NRPF payments ledger (generated)\r\n")
        fh.write(
            "Transaction ID,Date Paid,Client Ref,Payee Name,Postcode,Budget Code,"
            "Payment Type,Amount\r\n"
        )
        lines = []
        for i in range(rows):
            lines.append(
                f"T{i:08d},{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/20"
                f"{rng.randint(18, 23)},NRPF-{rng.randint(1, 99999):05d},"
                f"{rng.choice(_FIRST)} {rng.choice(_LAST)},E{rng.randint(1, 20)} "
                f"{rng.randint(1, 9)}QR,S17,{rng.choice(_TYPES)},"
                f'"£{rng.randint(1, 3000):,}.{rng.randint(0, 99):02d}"\r\n'
            )
            if len(lines) == 100_000:
                fh.write("".join(lines))
                lines.clear()
        fh.write("".join(lines))


def _run(path: Path, mode: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, str(path), mode],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    path = WORK / f"readers_{args.rows}.csv"
    if not path.exists():
        _generate(path, args.rows)
    size = path.stat().st_size / 2**20
    print(f"{path.name}: {args.rows:,} rows, 8 columns, cp1252, {size:.0f} MiB")
    for i in range(args.repeat):
        for mode in ("old", "new", "new-fallback"):
            r = _run(path, mode)
            assert r["rows"] == args.rows, r
            print(f"  run {i + 1} {mode:>12}: {r['seconds']:6.2f} s, peak {r['peak_mib']:6.0f} MiB")


if __name__ == "__main__":
    main()
