"""Speed and memory of `ska-sim forecast`: four years of daily history (synthetic SKA line,
two call types), a 28-day forecast and its rolling-origin backtest (six origins), as the
command runs them, in a fresh process (imports counted); wall time and peak memory
(resource.getrusage of the child). Targets: under 30 s and 500 MB on 2 cores.

    .venv/bin/python benchmarks/forecast.py [--repeat 3] [--horizon-days 28]
"""

from __future__ import annotations

import argparse
import os
import datetime as dt
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import cpu_model  # noqa: E402  (benchmarks/run.py: the CPU as read now)
sys.path.insert(0, str(ROOT / "src"))

TARGET_S, TARGET_MB = 30.0, 500.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--horizon-days", type=int, default=28)
    args = ap.parse_args()
    from ska_sim.forecast.synthetic import ska_history

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "daily.csv"
        h = ska_history(first=dt.date(2022, 1, 3), last=dt.date(2025, 12, 31), types={"info": 1500.0, "pension": 400.0})
        h.to_csv(path, index=False)
        cmd = [sys.executable, "-c", "from ska_sim.cli.root import main; main()", "forecast", str(path),
               "--horizon-days", str(args.horizon_days), "--out", str(Path(tmp) / "out"), "--backtest"]
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT / "src"),
                                                                        os.environ.get("PYTHONPATH")]))}
        times, peaks = [], []
        for _ in range(args.repeat):
            before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
            t0 = time.perf_counter()
            res = subprocess.run(cmd, capture_output=True, text=True, env=env)
            times.append(time.perf_counter() - t0)
            if res.returncode:
                sys.exit(f"forecast failed: {res.stderr}")
            peaks.append(max(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, before) / 1024)
        backtest = res.stdout[res.stdout.index("Backtest:"):].splitlines()[:5]
    print(f"forecast + backtest, 4 years x 2 call types ({len(h) // 2} days each), horizon {args.horizon_days} days, "
          f"{cpu_model()}:")
    print(f"  wall time: min {min(times):.1f} s, median {sorted(times)[len(times) // 2]:.1f} s, max {max(times):.1f} s "
          f"(target {TARGET_S:g} s)")
    print(f"  peak memory: {max(peaks):.0f} MB (target {TARGET_MB:g} MB)")
    print("\n".join("  " + line for line in backtest))
    if min(times) > TARGET_S or max(peaks) > TARGET_MB:
        sys.exit("over target")


if __name__ == "__main__":
    main()
