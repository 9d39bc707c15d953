"""A call log with a ten-year gap, for timing ``ska-sim backtest`` on it: the baseline scenario
at 15.5% volume recorded over two 2-day stretches (2016-03-01..02 and 2026-03-03..04, about 800
calls, the same caller ids in both), written as CSV.

    python benchmarks/gap_log.py ten.csv
    /usr/bin/time -v ska-sim backtest scenarios/baseline.toml ten.csv -r 1

The backtest simulates the two stretches only (4 days, each with its warm-up), not the 2,610
open days between them.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

from ska_sim import scenario_from_dict
from ska_sim.calibration.log_writer import record_calls, write_log
from ska_sim.scenario.load import read_toml

BASELINE = Path(__file__).resolve().parents[1] / "scenarios" / "baseline.toml"


def gap_log() -> pd.DataFrame:
    parts = []
    for seed, start in ((1, "2016-03-01"), (2, "2026-03-03")):
        d = read_toml(BASELINE)
        d["calendar"].update(start=start, days=2, warmup_days=2)
        d["arrivals"]["volume_scale"] = 0.155
        parts.append(record_calls(scenario_from_dict(d), seed)[1])
    log = pd.concat(parts, ignore_index=True)
    log["call_id"] = range(1, len(log) + 1)
    return log


if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else "ten.csv"
    log = gap_log()
    write_log(log, out)
    print(f"{len(log)} calls, {log.arrival.min()} to {log.arrival.max()}: {out}")
