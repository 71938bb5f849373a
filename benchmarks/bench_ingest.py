"""Ingest benchmark: wall time and peak memory, side by side with DuckDB reading the CSVs.

Run by hand (``make bench`` or ``python benchmarks/bench_ingest.py``); it is not
a test. Each measurement runs in a fresh Python process so that its peak
resident memory is its own. Generated data is cached under benchmarks/_work/.

For every scenario the ingest and a DuckDB load of the same CSV exports (every
column as text, into in-memory tables: the floor for "just parsing") run in
turn, ingest then DuckDB, ``--repeat`` times, so that both see the same machine
load; the ratio ingest / DuckDB is taken pair by pair. DuckDB reads only the CSV
files: the Excel workbooks (the referrals, one per LA) are read by ingest alone.

    python benchmarks/bench_ingest.py                        # sample, 50,000 and 500,000 families
    python benchmarks/bench_ingest.py --scenario 50000:20 --repeat 3
    python benchmarks/bench_ingest.py --no-duckdb --scenario sample
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
WORK = HERE / "_work"

_CHILD = r"""
import json, resource, sys, time
t0 = time.perf_counter()
step, folder = sys.argv[1], sys.argv[2]
rows = None
if step == "generate":
    from noream_eval.sample import generate_sample
    generate_sample(folder, n_families=int(sys.argv[3]) or None, n_sites=int(sys.argv[4]),
                    force=True)
elif step == "ingest":
    from noream_eval.ingest import load
    data = load(folder + "/evaluation.toml")
    rows = int(data.ingest_report["rows_read"].sum())
else:  # duckdb: the CSV exports of the config, every column as text
    import duckdb
    files = json.loads(sys.argv[4])
    con = duckdb.connect()
    con.execute(f"SET threads = {int(sys.argv[3])}")
    rows = 0
    for k, (path, encoding, skip) in enumerate(files):
        con.execute(
            f"CREATE TABLE t{k} AS SELECT * FROM read_csv(?, all_varchar = true, header = true, "
            "encoding = ?, skip = ?, null_padding = true)",
            [path, encoding, skip],
        )
        rows += con.execute(f"SELECT count(*) FROM t{k}").fetchone()[0]
seconds = time.perf_counter() - t0
peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": seconds, "peak_mib": peak_mib, "rows": rows}))
"""


def _run(step: str, folder: Path, *args: object) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, step, str(folder), *map(str, args)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def _csv_files(folder: Path) -> str:
    """The config's CSV exports with the encoding DuckDB should use (decided before timing)."""
    from noream_eval.config import load_config
    from noream_eval.ingest.readers import detect_encoding

    cfg = load_config(folder / "evaluation.toml")
    duck = {"utf-8": "utf-8", "utf-8-sig": "utf-8", "utf-16": "utf-16", "ascii": "utf-8"}
    out = []
    for p in cfg.sources.values():
        if p.format != "csv":
            continue
        skip = (p.header_row if isinstance(p.header_row, int) else p.header_row[-1]) - 1
        for path in p.files():
            # DuckDB has no Windows-1252: latin-1 decodes the same bytes for these files
            out.append([str(path), duck.get(detect_encoding(path), "latin-1"), skip])
    return json.dumps(out)


def _threads() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def _scenario(spec: str, repeat: int, duckdb: bool) -> None:
    if spec == "sample":
        name, families, sites = "sample", 0, 1
    else:
        fam, _, site = spec.partition(":")
        families, sites = int(fam), int(site or 1)
        name = f"n{families}_s{sites}"
    folder = WORK / name
    if not (folder / "evaluation.toml").exists():
        g = _run("generate", folder, families, sites)
        print(f"{name:>14}: generated in {g['seconds']:7.1f} s, peak {g['peak_mib']:8.0f} MiB")
    size = sum(p.stat().st_size for p in folder.iterdir()) / 2**20
    ingest, duck, ratios = [], [], []
    files = _csv_files(folder) if duckdb else "[]"
    for _ in range(repeat):
        r = _run("ingest", folder)
        ingest.append(r)
        line = (
            f"{name:>14}: ingest {r['seconds']:6.1f} s, peak {r['peak_mib']:6.0f} MiB, "
            f"{r['rows']:,} raw rows ({size:,.1f} MiB of input)"
        )
        if duckdb:
            d = _run("duckdb", folder, _threads(), files)
            duck.append(d)
            ratios.append(r["seconds"] / d["seconds"])
            line += (
                f" | DuckDB (CSV only) {d['seconds']:6.1f} s, peak {d['peak_mib']:6.0f} MiB, "
                f"{d['rows']:,} rows | ratio {ratios[-1]:.1f}"
            )
        print(line, flush=True)
    med = statistics.median
    summary = (
        f"{name:>14}: median ingest {med(x['seconds'] for x in ingest):.1f} s "
        f"(peak {max(x['peak_mib'] for x in ingest):.0f} MiB)"
    )
    if duckdb:
        summary += (
            f", median DuckDB {med(x['seconds'] for x in duck):.1f} s, "
            f"median ratio ingest/DuckDB {med(ratios):.1f}"
        )
    print(summary, flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--scenario",
        action="append",
        help="'sample' or FAMILIES:SITES (repeatable); default: sample, 50000:20, 500000:150",
    )
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-duckdb", action="store_true", help="time ingest only")
    args = ap.parse_args()
    if not args.no_duckdb:
        try:
            import duckdb  # noqa: F401
        except ImportError:
            sys.exit("DuckDB is not installed: pip install -e '.[bench]' (or pass --no-duckdb).")
    for spec in args.scenario or ["sample", "50000:20", "500000:150"]:
        _scenario(spec, args.repeat, not args.no_duckdb)


if __name__ == "__main__":
    main()
