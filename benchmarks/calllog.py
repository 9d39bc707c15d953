"""Reading speed of call logs (issue 10.7): a one-year log of 1,000,000 calls, read + hashed +
checked by calllog.read_log, as CSV and as Parquet; wall time and peak memory of the reading
process (resource.getrusage, in a fresh process each, so imports are counted once and nothing
else), on this machine.

    .venv/bin/python benchmarks/calllog.py [--calls 1000000] [--repeat 2]

The log is synthetic and generated vectorised (no Python loop per call): 251 working days
09:00-17:00 Europe/Tallinn, caller ids shaped like personal codes with a third of calls from
callers seen before, 80% answered (wait exponential), talk lognormal, wrap-up, agent ids,
every column of the written format. Fitting is FIT's benchmark (benchmarks/fit.py).
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import cpu_model  # noqa: E402  (benchmarks/run.py: the CPU as read now)
sys.path.insert(0, str(ROOT / "src"))


def synthetic_log(n: int, seed: int = 1) -> pd.DataFrame:
    from ska_sim.calibration.logfile import local_times as _times

    rng = np.random.default_rng(seed)
    days = pd.bdate_range("2026-01-02", periods=251)
    day = rng.integers(0, len(days), n)
    sec = 9 * 3600 + rng.random(n) * 8 * 3600
    order = np.lexsort((sec, day))
    day, sec = day[order], sec[order]
    day0 = days[0].date()
    offset_days = (days[day] - days[0]).days.to_numpy()
    arrival = offset_days * 86400.0 + sec
    answered = rng.random(n) < 0.8
    wait = rng.exponential(40.0, n)
    talk = rng.lognormal(np.log(300) - 0.35, 0.83, n)
    answer = np.where(answered, arrival + wait, np.nan)
    end = np.where(answered, answer + talk, arrival + rng.exponential(90.0, n))
    n_callers = int(n * 0.67)
    caller_no = rng.integers(0, n_callers, n)
    codes = (30000000000 + caller_no * 7919 % 29999999999).astype(np.int64).astype(str)
    types = np.array(["pensions", "family_benefits", "eu_family_benefits", "disability_work_ability", "other"])
    return pd.DataFrame({
        "call_id": np.arange(1, n + 1),
        "caller_id": codes,
        "call_type": types[rng.choice(5, n, p=[0.4, 0.27, 0.03, 0.18, 0.12])],
        "language": np.array(["et", "ru", "en"])[rng.choice(3, n, p=[0.68, 0.27, 0.05])],
        "arrival": _times(arrival, day0, "Europe/Tallinn"),
        "answer": _times(answer, day0, "Europe/Tallinn"),
        "end": _times(end, day0, "Europe/Tallinn"),
        "abandon": _times(np.where(answered, np.nan, end), day0, "Europe/Tallinn"),
        "wrap_up_s": np.where(answered, np.round(rng.lognormal(np.log(60) - 0.15, 0.55, n), 1), np.nan),
        "agent_group": "all",
        "agent_id": np.where(answered, "A" + rng.integers(0, 40, n).astype(str), ""),
        "kind": "first",
        "outcome": np.where(answered, "answered", "abandoned"),
    })


CHILD = """
import json, resource, sys, time
t0 = time.perf_counter()
sys.path.insert(0, {src!r})
if {lean!r}:  # as `ska-sim fit` does before pandas and pyarrow load (ska_sim.base.memory)
    from ska_sim.base.memory import lean_memory
    lean_memory()
from ska_sim.calibration.calllog import read_log
rss_import = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t1 = time.perf_counter()
log = read_log({path!r})
t2 = time.perf_counter()
hwm = [l for l in open("/proc/self/status") if l.startswith("VmHWM")]
print(json.dumps({{"rows": len(log.frame), "read_s": t2 - t1, "import_s": t1 - t0,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "import_peak_mb": rss_import / 1024,
                  "hwm_mb": int(hwm[0].split()[1]) / 1024 if hwm else float("nan"),
                  "frame_mb": log.frame.memory_usage(deep=True).sum() / 2**20}}))
"""


def generate(folder: str, calls: int) -> None:
    from ska_sim.calibration.log_writer import write_log

    t = time.perf_counter()
    log = synthetic_log(calls)
    gen_s = time.perf_counter() - t
    sizes, write_s = {}, {}
    for fmt in ("csv", "parquet"):
        p = Path(folder) / f"year.{fmt}"
        t = time.perf_counter()
        write_log(log, p)
        write_s[fmt] = time.perf_counter() - t
        sizes[fmt] = p.stat().st_size / 2**20
    print(json.dumps({"gen_s": gen_s, "write_s": write_s, "sizes": sizes}))




def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--calls", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=2, help="fresh processes per format (the best is reported)")
    ap.add_argument("--plain", action="store_true",
                    help="without ska_sim.base.memory.lean_memory() (Arrow's mimalloc, glibc's default mmap threshold)")
    ap.add_argument("--generate", metavar="DIR", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.generate:
        generate(args.generate, args.calls)
        return
    with tempfile.TemporaryDirectory() as tmp:
        # the log is made and written by a child process: this one stays small, so the readers
        # it starts (fork + exec) do not inherit a large peak RSS
        gen = subprocess.run([sys.executable, __file__, "--generate", tmp, "--calls", str(args.calls)],
                             capture_output=True, text=True, check=True)
        made = json.loads(gen.stdout)
        gen_s, write_s, sizes = made["gen_s"], made["write_s"], made["sizes"]
        import os

        print(f"# call-log reading, {args.calls:,} calls (one year), {cpu_model()}, {os.cpu_count()} cores, "
              f"Python {platform.python_version()}, pandas {pd.__version__}")
        print(f"generated in {gen_s:.1f} s; " + ("plain read_log" if args.plain else
                                                  "read_log after ska_sim.base.memory.lean_memory(), as in ska-sim fit"))
        print("| format | file MB | write s | read + hash + check s | peak RSS MB (after imports) | VmHWM MB | frame MB |")
        print("|---|---|---|---|---|---|---|")
        for fmt in ("csv", "parquet"):
            p = Path(tmp) / f"year.{fmt}"
            runs = []
            for _ in range(args.repeat):
                out = subprocess.run([sys.executable, "-c", CHILD.format(src=str(ROOT / "src"), path=str(p), lean=not args.plain)],
                                     capture_output=True, text=True, check=True)
                runs.append(json.loads(out.stdout))
            best = min(runs, key=lambda r: r["read_s"])
            print(f"| {fmt} | {sizes[fmt]:.0f} | {write_s[fmt]:.1f} | {best['read_s']:.2f} | "
                  f"{best['peak_mb']:.0f} ({best['import_peak_mb']:.0f}) | {best['hwm_mb']:.0f} | {best['frame_mb']:.0f} |")


if __name__ == "__main__":
    main()
