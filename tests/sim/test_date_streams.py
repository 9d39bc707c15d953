"""The same dates, the same callers: a replication's random streams are seeded by (replication,
calendar date, purpose), so what happens on a date does not depend on the window around it.

- the first calls of a date (volume factor, arrival times, types, every attribute) are the same
  whatever window contains the date, and whatever the staffing (common random numbers);
- a person-date's absence is the same whatever window contains the date;
- a window that differs only in closed days after its last open day gives identical KPIs;
- a week picked from a longer window equals the same week run alone when the run alone starts
  on the same first date (its warm-up covers every earlier date of the longer window): the
  calls waiting, the follow-ups pending and the callbacks owed when the week begins come from
  those earlier dates, so they must be simulated too. (What depends on dates after the week
  still differs: callbacks due after the shorter window's last closing are late there.)
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from conftest import ROOT
from ska_sim import load_scenario, simulate
from ska_sim.scenario.timeline import build_timeline, roster_model
from ska_sim.sim.engine import Model, absence_draws, record_replication
from ska_sim.sim.engine.recording import KIND_NAMES
from ska_sim.sim.executors import Executor

YEAR = ROOT / "scenarios" / "year-2026.toml"
SKILLS = ROOT / "scenarios" / "skills-languages.toml"
BASELINE = ROOT / "scenarios" / "baseline.toml"


def week_of(path, start: str, days: int, warmup: int | None = None, *extra: str):
    sets = [f"calendar.start={start}", f"calendar.days={days}", *extra]
    if warmup is not None:
        sets.append(f"calendar.warmup_days={warmup}")
    return load_scenario(path, sets)


def first_calls(s, seed: np.random.SeedSequence) -> pd.DataFrame:
    """The first calls of one replication: date, time of day (s), type, language, patience."""
    model = Model.from_scenario(s)
    _, rec = record_replication(model, seed)
    first = np.array(rec.kind) == KIND_NAMES.index("first")
    arrival = np.array(rec.arrival)[first]
    day = (arrival // 86400).astype(int)
    dates = build_timeline(s).dates
    return pd.DataFrame({"date": [dates[d] for d in day], "clock_s": arrival - day * 86400.0,
                         "type": np.array(rec.type)[first], "lang": np.array(rec.lang)[first],
                         "patience": np.array(rec.patience)[first]})


def on_dates(df: pd.DataFrame, dates) -> pd.DataFrame:
    return df[df["date"].isin(dates)].reset_index(drop=True)


def test_a_dates_first_callers_do_not_depend_on_the_window_around_it():
    """Warm-up of 0 or 7 days, 3 or 5 measured days: the callers of 3-5 March are the same call
    for call (to the float: their times of day are the same numbers)."""
    seed = np.random.SeedSequence(7, spawn_key=(2,))
    a = first_calls(week_of(BASELINE, "2026-03-02", 5, 0), seed)
    b = first_calls(week_of(BASELINE, "2026-03-03", 3, 7), seed)
    dates = [dt.date(2026, 3, d) for d in (3, 4, 5)]
    x, y = on_dates(a, dates), on_dates(b, dates)
    assert len(x) > 2000
    np.testing.assert_allclose(x["clock_s"], y["clock_s"], rtol=0, atol=1e-6)
    pd.testing.assert_frame_equal(x.drop(columns="clock_s"), y.drop(columns="clock_s"))
    # another replication draws other callers
    c = on_dates(first_calls(week_of(BASELINE, "2026-03-02", 5, 0), np.random.SeedSequence(7, spawn_key=(3,))), dates)
    assert len(c) != len(x) or not np.allclose(c["clock_s"], x["clock_s"])


@pytest.mark.parametrize("path", [BASELINE, SKILLS])
def test_two_staffings_see_the_same_first_callers(path):
    """Common random numbers: fewer agents change waits and follow-ups, never the first callers
    (single pool and the routed pool with languages, transfers and callbacks)."""
    seed = np.random.SeedSequence(5, spawn_key=(0,))
    a = first_calls(week_of(path, "2026-03-02", 5), seed)
    b = first_calls(week_of(path, "2026-03-02", 5, None, "staffing.scale=0.7"), seed)
    assert len(a) > 2000
    pd.testing.assert_frame_equal(a, b)


def test_a_person_dates_absence_does_not_depend_on_the_window():
    """The year's roster: each person-date's U(0,1) of absence is the same in a 5-day window and
    a 21-day window around it, and another replication's differ."""
    short, long_ = week_of(YEAR, "2026-12-07", 5), week_of(YEAR, "2026-11-23", 21)
    u = {}
    for name, s in (("short", short), ("long", long_)):
        rm, tl = roster_model(s), build_timeline(s)
        draws = absence_draws(rm, np.random.SeedSequence(2026, spawn_key=(4,)), tl.dates)
        inside = rm.pd_day >= 0
        u[name] = pd.Series(draws[inside], index=pd.MultiIndex.from_arrays(
            [rm.pd_person[inside], [tl.dates[d] for d in rm.pd_day[inside]]]))
    common = u["short"].index.intersection(u["long"].index)
    assert len(common) == len(u["short"]) > 200
    np.testing.assert_array_equal(u["short"].loc[common].to_numpy(), u["long"].loc[common].to_numpy())
    other = absence_draws(roster_model(short), np.random.SeedSequence(2026, spawn_key=(5,)), build_timeline(short).dates)
    assert not np.array_equal(other[roster_model(short).pd_day >= 0], u["short"].to_numpy())


@pytest.mark.parametrize("path", [YEAR, SKILLS])
def test_a_closed_weekend_after_the_window_changes_nothing(path):
    """Monday-Friday alone and Monday-Sunday (Saturday and Sunday closed), same seed: the same
    KPIs in every interval and over the window (the year's roster with absences; agent groups
    with transfers and callbacks)."""
    start = "2026-12-07" if path == YEAR else "2026-03-02"
    five = simulate(week_of(path, start, 5), replications=3, seed=2026)
    seven = simulate(week_of(path, start, 7), replications=3, seed=2026)
    assert five.intervals["offered"].sum() > 3000
    pd.testing.assert_frame_equal(five.intervals, seven.intervals)
    pd.testing.assert_frame_equal(five.summary, seven.summary)


def test_a_week_from_a_longer_window_equals_the_week_run_alone_from_the_same_first_date():
    """Year-2026, 23 November to 20 December (7 warm-up days before) against the week of
    7 December run alone with 21 warm-up days (the same first date, 16 November): the week's
    KPIs per interval are identical. With a warm-up of only 7 days the week's first callers
    are the same but the follow-ups carried in from earlier dates are not."""
    cols = ["date", "time", "agents", "offered", "answered", "abandoned", "service_level", "asa_s"]
    long_ = simulate(week_of(YEAR, "2026-11-23", 28), replications=2, seed=11)
    alone = simulate(week_of(YEAR, "2026-12-07", 7, 21), replications=2, seed=11)
    short_warm = simulate(week_of(YEAR, "2026-12-07", 7), replications=2, seed=11)
    week = [dt.date(2026, 12, d).isoformat() for d in range(7, 14)]

    def of_week(r):
        iv = r.intervals
        return iv[iv["date"].astype(str).isin(week)][cols].reset_index(drop=True)

    assert len(of_week(alone)) == 80
    pd.testing.assert_frame_equal(of_week(long_), of_week(alone))
    assert not of_week(short_warm)["offered"].equals(of_week(alone)["offered"])


def test_results_do_not_depend_on_workers_or_executor():
    """The rostered year, one week, three replications: in this process, on one and on two local workers."""
    s = week_of(YEAR, "2026-12-07", 5)
    here = simulate(s, replications=3, seed=4)
    one = simulate(s, replications=3, seed=4, executor=Executor(workers=1))
    two = simulate(s, replications=3, seed=4, executor=Executor(workers=2))
    assert here.to_json() == one.to_json() == two.to_json()
