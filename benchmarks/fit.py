"""Fit speed (issue 10.7): `ska-sim fit` of a one-year log of about 1,000,000 calls.

The log is synthetic (tests/synthetic_log.py: known parameters, numpy only), written once as
CSV or Parquet, then `ska-sim fit LOG --out ... --report ...` runs in a fresh process: the
wall time, CPU time and peak RSS of that process are what a user waits for and pays for
(reading, hashing caller ids, every estimate, the TOML and the HTML report).

    .venv/bin/python benchmarks/fit.py                 # ~1,000,000 calls, Parquet and CSV
    .venv/bin/python benchmarks/fit.py --calls 200000  # smaller
"""

from __future__ import annotations

import argparse
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import cpu_model  # noqa: E402  (benchmarks/run.py: the CPU as read now)
sys.path.insert(0, str(ROOT / "tests"))




def make(calls: int):
    """A one-year synthetic log (Monday 5 January 2026 on, 260 weekdays) of about ``calls`` calls
    (~1.3 calls per first call: redials and repeat calls), with caller ids as a log has them."""
    import datetime as dt

    import pandas as pd

    from synthetic_log import Truth, make_log

    t = Truth(days=364, start=dt.date(2026, 1, 5), daily_calls=calls / 260 / 1.3)
    f = make_log(t, seed=2026)
    f = f.assign(caller_id=pd.Series(f["caller"]).map("C{:010d}".format)).drop(columns=["caller"])
    f["call_id"] = range(1, len(f) + 1)
    return f


CHILD = """
import resource, sys, time
from ska_sim.cli import main
t0 = time.process_time()
try:
    main(sys.argv[1:], prog_name="ska-sim")
except SystemExit as exc:
    code = exc.code
ru = resource.getrusage(resource.RUSAGE_SELF)
print(f"PEAK_RSS_KB {ru.ru_maxrss} CPU_S {ru.ru_utime + ru.ru_stime}", file=sys.stderr)
sys.exit(code)
"""


def fit(path: Path, out: Path) -> dict:
    """`ska-sim fit` in a fresh process: its wall time, CPU time and peak RSS (its own getrusage)."""
    t0 = time.perf_counter()
    r = subprocess.run([sys.executable, "-c", CHILD, "fit", str(path), "--out", str(out / "fitted.toml"),
                        "--report", str(out / "fit.html")], capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if r.returncode != 0:
        raise SystemExit(r.stderr)
    last = r.stderr.strip().splitlines()[-1].split()
    return {"wall_s": wall, "cpu_s": float(last[3]), "peak_rss_mb": int(last[1]) / 1024, "stdout": r.stdout}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calls", type=int, default=1_000_000)
    ap.add_argument("--formats", default="parquet,csv")
    ap.add_argument("--generate", metavar="DIR", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.generate:  # in a child process: see below
        from ska_sim.calibration.log_writer import write_log

        t0 = time.perf_counter()
        frame = make(args.calls)
        print(f"synthetic log: {len(frame):,} calls (made in {time.perf_counter() - t0:.0f} s)")
        for fmt in args.formats.split(","):
            write_log(frame, Path(args.generate) / f"log.{fmt}")
        return
    print(f"CPU: {cpu_model()} ({__import__('os').cpu_count()} cores); Python {platform.python_version()}")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        # the log is made and written by a child process, so that this one stays small: a process
        # started by fork + exec keeps its parent's peak RSS in its own getrusage ru_maxrss (the
        # fit's peak read as 756 / 846 MB here was this process's, holding the synthetic frame)
        made = subprocess.run([sys.executable, __file__, "--generate", str(tmp), "--calls", str(args.calls),
                               "--formats", args.formats], capture_output=True, text=True, check=True)
        print(made.stdout.strip())
        for fmt in args.formats.split(","):
            path = tmp / f"log.{fmt}"
            print(f"\n{fmt}: {path.stat().st_size / 1e6:.0f} MB")
            r = fit(path, tmp)
            print(f"ska-sim fit: wall {r['wall_s']:.1f} s, CPU {r['cpu_s']:.1f} s, peak RSS {r['peak_rss_mb']:.0f} MB")
            print("  " + r["stdout"].strip().replace("\n", "\n  "))

if __name__ == "__main__":
    main()
