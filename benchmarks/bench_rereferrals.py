"""Re-referral flags benchmark: wall time and peak memory, side by side with DuckDB.

Run by hand (``python benchmarks/bench_rereferrals.py``); it is not a test. Each
measurement runs in a fresh Python process so that its peak resident memory is its
own. Generated data is cached under benchmarks/_work/.

The data are canonical referrals and families (pseudonymous keys of a letter and 16
hexadecimal digits, dates at midnight) written as Parquet: about 2.5 referrals per
family over five years, 1% of referrals repeated on the same day, and a third of
the families with a later ``history_known_from``. Both sides first load them (not
timed: pandas reads the Parquet files; DuckDB loads them into in-memory tables, the
dates as DATE), then time the same query:

- noream_eval: ``flag_rereferrals(referrals, history_known_from=families,
  data_start=...)``, which returns the referrals in their original order with the
  three flags;
- DuckDB: one window query (``lag`` over the family's referrals ordered by date and
  referral_id) joined to the families, into a new table with the three flags (in
  no particular order: DuckDB is not asked to restore the input order).

The two run in turn, noream_eval then DuckDB, ``--repeat`` times, so that both see
the same machine load; the ratio DuckDB / noream_eval is taken pair by pair and the
flag counts of the two are checked to be equal. DuckDB uses every core; the flags
are computed in one thread. Wall and CPU (user + system) seconds of the query are
reported; peak memory is the process's, loading included.

    python benchmarks/bench_rereferrals.py                      # 500,000 and 5 million
    python benchmarks/bench_rereferrals.py --referrals 5000000 --repeat 7
    python benchmarks/bench_rereferrals.py --no-hugepages   # see --help
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
DATA_START = "2017-04-01"

_CHILD = r"""
import json, resource, sys, time
step, folder, data_start = sys.argv[1], sys.argv[2], sys.argv[3]
def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime
t0 = time.perf_counter()
if step == "noream_eval":
    import pandas as pd
    from noream_eval.metrics.rereferrals import flag_rereferrals
    referrals = pd.read_parquet(folder + "/referrals.parquet")
    families = pd.read_parquet(folder + "/families.parquet")
    t1, c1 = time.perf_counter(), cpu()
    out = flag_rereferrals(referrals, window_days=365, history_known_from=families,
                           data_start=data_start)
    seconds, cpu_seconds = time.perf_counter() - t1, cpu() - c1
    counts = {c: int(out[c].sum()) for c in ("is_rereferral", "history_incomplete",
                                             "same_day_repeat")}
    rows = len(out)
else:
    import duckdb
    con = duckdb.connect()
    con.execute(f"SET threads = {int(sys.argv[4])}")
    con.execute(
        "CREATE TABLE referrals AS SELECT referral_id, family_id, "
        "CAST(referral_date AS DATE) AS referral_date FROM read_parquet(?)",
        [folder + "/referrals.parquet"],
    )
    con.execute(
        "CREATE TABLE families AS SELECT family_id, "
        "CAST(history_known_from AS DATE) AS history_known_from FROM read_parquet(?)",
        [folder + "/families.parquet"],
    )
    t1, c1 = time.perf_counter(), cpu()
    con.execute(f'''
        CREATE TABLE flags AS
        WITH w AS (
            SELECT r.*, lag(r.referral_date) OVER (
                PARTITION BY r.family_id ORDER BY r.referral_date, r.referral_id) AS prev
            FROM referrals r
        ), s AS (
            SELECT w.*,
                coalesce(w.prev = w.referral_date, false) AS same_day_repeat,
                coalesce(w.prev < w.referral_date AND w.referral_date - w.prev <= 365, false)
                    AS is_rereferral,
                greatest(coalesce(f.history_known_from, DATE '{data_start}'),
                         DATE '{data_start}') AS known
            FROM w LEFT JOIN families f USING (family_id)
        )
        SELECT referral_id, family_id, referral_date, is_rereferral,
            NOT same_day_repeat AND NOT is_rereferral
                AND referral_date - 365 < known AS history_incomplete,
            same_day_repeat
        FROM s
    ''')
    seconds, cpu_seconds = time.perf_counter() - t1, cpu() - c1
    counts = dict(zip(
        ("is_rereferral", "history_incomplete", "same_day_repeat"),
        (int(v) for v in con.execute(
            "SELECT sum(is_rereferral::INT), sum(history_incomplete::INT), "
            "sum(same_day_repeat::INT) FROM flags").fetchone()),
    ))
    rows = con.execute("SELECT count(*) FROM flags").fetchone()[0]
load = t1 - t0
peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": seconds, "cpu": cpu_seconds, "load": load, "peak_mib": peak_mib,
                  "rows": rows, "counts": counts}))
"""


def _hex_keys(rng, letter: str, n: int):
    """n distinct pseudonyms: the letter and 16 lower-case hexadecimal digits."""
    import numpy as np

    from noream_eval._arrow import fixed_width_strings

    values = np.unique(rng.integers(0, 2**63, int(n * 1.01) + 10, dtype=np.int64))
    values = rng.permutation(values)[:n].astype(np.uint64)
    chars = np.empty((n, 17), dtype=np.uint8)
    chars[:, 0] = ord(letter)
    digits = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
    for k in range(16):
        chars[:, 16 - k] = digits[((values >> np.uint64(4 * k)) & np.uint64(15)).astype(int)]
    return fixed_width_strings(chars)


def _generate(folder: Path, n: int, seed: int = 20210201) -> None:
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    n_fam = max(1, int(n / 2.5))
    fam_ids = _hex_keys(rng, "f", n_fam)
    start = np.datetime64(DATA_START, "D").astype(np.int64)
    span = 5 * 365
    fam = rng.integers(0, n_fam, n)
    day = start + rng.integers(0, span, n)
    repeat = rng.random(n) < 0.01  # a second referral of a family on the same day
    source = rng.integers(0, n, n)
    fam[repeat] = fam[source[repeat]]
    day[repeat] = day[source[repeat]]
    ts = pa.timestamp("ns")
    referrals = pa.table(
        {
            "referral_id": _hex_keys(rng, "r", n),
            "family_id": fam_ids.take(pa.array(fam)),
            "referral_date": pa.array(day.astype("datetime64[D]").astype("datetime64[ns]"), ts),
        }
    )
    later = rng.random(n_fam) < 1 / 3
    known = np.where(later, np.datetime64("2020-10-13", "D").astype(np.int64), start)
    families = pa.table(
        {
            "family_id": fam_ids,
            "history_known_from": pa.array(
                known.astype("datetime64[D]").astype("datetime64[ns]"), ts
            ),
        }
    )
    folder.mkdir(parents=True, exist_ok=True)
    pq.write_table(referrals, folder / "referrals.parquet")
    pq.write_table(families, folder / "families.parquet")


def _run(step: str, folder: Path, *args: object, env: dict | None = None) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, step, str(folder), DATA_START, *map(str, args)],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def _threads() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def _scenario(n: int, repeat: int, env: dict | None) -> dict:
    folder = WORK / f"rereferrals_{n}"
    if not (folder / "families.parquet").exists():
        _generate(folder, n)
    ours, duck, ratios = [], [], []
    for _ in range(repeat):
        a = _run("noream_eval", folder, env=env)
        d = _run("duckdb", folder, _threads(), env=env)
        if a["counts"] != d["counts"] or a["rows"] != d["rows"]:
            sys.exit(f"the two disagree on {n:,} referrals: {a['counts']} vs {d['counts']}")
        ours.append(a)
        duck.append(d)
        ratios.append(d["seconds"] / a["seconds"])
        print(
            f"{n:>11,} referrals: noream_eval {a['seconds']:6.2f} s (CPU {a['cpu']:5.2f} s, peak "
            f"{a['peak_mib']:5.0f} MiB) | DuckDB {d['seconds']:6.2f} s (CPU {d['cpu']:5.2f} s, "
            f"peak {d['peak_mib']:5.0f} MiB) | "
            f"DuckDB / noream_eval {ratios[-1]:.2f}",
            flush=True,
        )
    med = statistics.median
    return {
        "referrals": n,
        "counts": ours[0]["counts"],
        "ours": med(x["seconds"] for x in ours),
        "ours_cpu": med(x["cpu"] for x in ours),
        "duck_cpu": med(x["cpu"] for x in duck),
        "ours_peak": max(x["peak_mib"] for x in ours),
        "duck": med(x["seconds"] for x in duck),
        "duck_peak": max(x["peak_mib"] for x in duck),
        "ratio": med(ratios),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--referrals",
        type=int,
        action="append",
        help="number of referrals (repeatable); default 500,000 and 5,000,000",
    )
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument(
        "--no-hugepages",
        action="store_true",
        help="run both with NUMPY_MADVISE_HUGEPAGE=0 (NumPy then does not ask for transparent "
        "huge pages, whose first touch is slow on some virtual machines)",
    )
    args = ap.parse_args()
    env = None
    if args.no_hugepages:
        import os

        env = {**os.environ, "NUMPY_MADVISE_HUGEPAGE": "0"}
    try:
        import duckdb  # noqa: F401
    except ImportError:
        sys.exit("DuckDB is not installed: pip install -e '.[bench]'.")
    results = [_scenario(n, args.repeat, env) for n in args.referrals or [500_000, 5_000_000]]
    print(f"\nMedians of {args.repeat} runs each (DuckDB with {_threads()} threads):\n")
    print(
        "| referrals | noream_eval s | CPU s | peak MiB | DuckDB s | CPU s | peak MiB "
        "| DuckDB / noream_eval |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        print(
            f"| {r['referrals']:,} | {r['ours']:.2f} | {r['ours_cpu']:.2f} | {r['ours_peak']:.0f} "
            f"| {r['duck']:.2f} | {r['duck_cpu']:.2f} | {r['duck_peak']:.0f} | {r['ratio']:.2f} |"
        )
    for r in results:
        c = r["counts"]
        print(
            f"{r['referrals']:,} referrals: {c['is_rereferral']:,} re-referrals, "
            f"{c['history_incomplete']:,} with incomplete history, "
            f"{c['same_day_repeat']:,} same-day repeats (the same in both)"
        )


if __name__ == "__main__":
    main()
