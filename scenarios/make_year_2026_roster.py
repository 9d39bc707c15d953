"""Writes scenarios/year-2026-roster.csv, the roster that scenarios/year-2026.toml simulates.

`python scenarios/make_year_2026_roster.py` (a few minutes: one integer program per 4 weeks).

The year is rostered in blocks of 4 weeks from Monday 29 December 2025 (the warm-up week) to
Sunday 3 January 2027 (13 blocks and a last week), each block by roster.py's integer program
(`solve_roster`, the rest rules of the Employment Contracts Act) covering the scenario's own
staffing at work (agents on the phones / (1 - breaks and other), the activities placed in the
slack), on the block's calendar (EE holidays closed, shortened days, the last Friday's 13:00).
Planned leave rotates: each week ``LEAVE_PER_WEEK`` full-time people are on leave, in turn, so
every one of them gets about 4 weeks a year (Employment Contracts Act §55: 28 calendar days).
Blocks are independent; the weekly rest holds across them because every week keeps its own
(weekends off), and the rest rules are checked again on the whole year before writing.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))

FIRST_MONDAY = dt.date(2025, 12, 29)
WEEKS = 53
BLOCK_WEEKS = 4
LEAVE_PER_WEEK = 4


def main() -> None:
    import numpy as np
    import pandas as pd

    from ska_sim import scenario_from_dict
    from ska_sim.plan.roster import shifts_of, solve_roster
    from ska_sim.scenario.roster import RosterPlan, read_roster_csv, rest_violations, roster_table
    from ska_sim.scenario.roster_agents import activity_list, residual_share
    from ska_sim.scenario.clock import WEEKDAYS
    from ska_sim.scenario.load import read_toml
    from ska_sim.scenario.roster import in_folder
    from ska_sim.scenario.timeline import build_timeline

    path = HERE / "year-2026.toml"
    data = read_toml(path)
    data["roster"].pop("file", None)  # the file this writes
    s0 = in_folder(scenario_from_dict(data, source=str(path)), HERE)
    shifts, _ = shifts_of(s0, None)
    full = [n for line in s0.roster.people if line.name == "full_time" for n in
            ([line.name] if line.count == 1 else [f"{line.name}-{i:02d}" for i in range(1, line.count + 1)])]
    tables, turn = [], 0
    week = 0
    while week < WEEKS:
        w = min(BLOCK_WEEKS, WEEKS - week)
        start = FIRST_MONDAY + dt.timedelta(days=7 * week)
        leave: dict[str, list[int]] = {}
        for k in range(1, w + 1):
            for _ in range(LEAVE_PER_WEEK):
                leave.setdefault(full[turn % len(full)], []).append(k)
                turn += 1
        cal = s0.calendar.model_copy(update={"start": start, "days": 7 * w, "warmup_days": 0})
        s = s0.model_copy(update={"calendar": cal, "roster": s0.roster.model_copy(update={"weeks": w, "leave": leave})})
        tl = build_timeline(s)
        needs = activity_list(s)
        resid = np.array([residual_share(s, WEEKDAYS[tl.dates[d].weekday()], bool(needs)) for d in tl.iv_day])
        at_work = np.ceil(tl.iv_agents / (1 - resid) - 1e-9)
        plan = solve_roster(s, shifts, tl, at_work, w, needs)
        tables.append(roster_table(plan))
        print(f"{start}: {w} week(s), {plan.info.get('status')}, {plan.info.get('solve_s', 0):.1f} s", flush=True)
        week += w
    table = pd.concat(tables, ignore_index=True)
    out = HERE / "year-2026-roster.csv"
    table.to_csv(out, index=False)
    year: RosterPlan = read_roster_csv(out)
    bad = rest_violations(year)
    if bad:
        out.unlink()
        raise SystemExit("rest rules broken across blocks:\n" + "\n".join(bad[:20]))
    print(f"wrote {out} ({len(table)} person-days, {len(year.people)} people)")


if __name__ == "__main__":
    main()
