"""Ingest benchmark: wall time and peak memory, sample and national scale.

Run by hand (``make bench`` or ``python benchmarks/bench_ingest.py``); it is not
a test. Each measurement runs in a fresh Python process so that its peak
resident memory is its own. Generated data is cached under benchmarks/_work/.

    python benchmarks/bench_ingest.py                       # sample + 500,000 families in 150 LAs
    python benchmarks/bench_ingest.py --families 50000 --sites 20
    python benchmarks/bench_ingest.py --repeat 3 --skip-national
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
WORK = HERE / "_work"

_CHILD = r"""
import json, resource, sys, time
t0 = time.perf_counter()
step = sys.argv[1]
if step == "generate":
    from noream_eval.sample import generate_sample
    generate_sample(sys.argv[2], n_families=int(sys.argv[3]) or None, n_sites=int(sys.argv[4]),
                    force=True)
    rows = None
else:
    from noream_eval.ingest import load
    data = load(sys.argv[2] + "/evaluation.toml")
    rows = int(data.ingest_report["rows_read"].sum())
seconds = time.perf_counter() - t0
peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": seconds, "peak_mib": peak_mib, "rows": rows}))
"""


def _run(step: str, folder: Path, families: int, sites: int) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, step, str(folder), str(families), str(sites)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def _scenario(name: str, families: int, sites: int, repeat: int) -> None:
    folder = WORK / name
    if not (folder / "evaluation.toml").exists():
        g = _run("generate", folder, families, sites)
        print(f"{name:>9}: generated in {g['seconds']:7.1f} s, peak {g['peak_mib']:8.0f} MiB")
    size = sum(p.stat().st_size for p in folder.iterdir()) / 2**20
    for i in range(repeat):
        r = _run("ingest", folder, families, sites)
        print(
            f"{name:>9}: ingest run {i + 1}: {r['seconds']:7.1f} s, peak {r['peak_mib']:8.0f} MiB, "
            f"{r['rows']:,} raw rows ({size:,.1f} MiB of input), "
            f"{r['rows'] / r['seconds']:,.0f} rows/s"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--families", type=int, default=500_000)
    ap.add_argument("--sites", type=int, default=150)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--skip-national", action="store_true")
    args = ap.parse_args()
    _scenario("sample", 0, 1, args.repeat)
    if not args.skip_national:
        _scenario(f"n{args.families}_s{args.sites}", args.families, args.sites, args.repeat)


if __name__ == "__main__":
    main()
