"""Written work in an off-phone activity's blocks (``dedicated = { activity = "back office" }``):
the roster's people in those blocks work the kind (also outside opening hours), the calls keep
every number (those people are off the phones already), absent people work none, and the
refusals name the key."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
import tomlkit
from helpers import run_cli, seed, small_roster

from ska_sim.scenario.load import load_scenario
from ska_sim.sim.engine import Model, Replication

DAYS = [dt.date(2026, 2, 28) + dt.timedelta(days=i) for i in range(9)]  # the weekend before (warm-up), the week
# person -> (shift start, end, back-office block): p-02's block is before the line opens at 09:00
PEOPLE = {"p-01": ("09:00", "17:30", "back office 13:00-15:00"), "p-02": ("08:00", "16:30", "back office 08:00-09:00")}
LETTERS = {"name": "letters", "daily_items": 0, "backlog_at_start": 200, "deadline_days": 30,
           "handling": {"dist": "deterministic", "mean_s": 1800}, "dedicated": {"activity": "back office"}}


def roster_csv() -> str:
    rows = ["person,line,date,weekday,status,shift,start,end,break,activities,paid_hours"]
    for p, (start, end, block) in PEOPLE.items():
        for d in DAYS:
            wd = d.strftime("%a").lower()
            if d.weekday() < 5:
                rows.append(f"{p},p,{d},{wd},work,day,{start},{end},12:00-12:30,{block},8.0")
            else:
                rows.append(f"{p},p,{d},{wd},off,,,,,,0.0")
    return "\n".join(rows) + "\n"


def scenario_file(tmp_path, written=(LETTERS,), absence: float = 0.0, **roster):
    d = small_roster([{"name": "p", "count": 2}], absence=absence, file="roster.csv", **roster)
    d["activities"] = {"back_office_hours_per_week": 2}
    if written:
        d["written"] = [dict(w) for w in written]
    (tmp_path / "roster.csv").write_text(roster_csv())
    (tmp_path / "s.toml").write_text(tomlkit.dumps(d))
    return tmp_path / "s.toml"


def test_the_people_in_the_blocks_work_the_kind_also_before_opening(tmp_path):
    # a's 2 h and b's 1 h a day at 30 min an item: exactly 6 items on each open day, none on Sunday
    m = Model.from_scenario(load_scenario(scenario_file(tmp_path)))
    rc = Replication(m, seed(0)).run()
    done = rc.written.days["letters"]["done"]
    open_day = np.array([d.weekday() < 5 for d in m.timeline.dates])
    assert done[open_day].tolist() == [6] * int(open_day.sum())
    assert done[~open_day].sum() == 0
    assert np.allclose(rc.written.days["letters"]["hours"][open_day], 3.0)


def test_the_calls_keep_every_number(tmp_path):
    (tmp_path / "w").mkdir()
    (tmp_path / "n").mkdir()
    with_kind = Model.from_scenario(load_scenario(scenario_file(tmp_path / "w")))
    without = Model.from_scenario(load_scenario(scenario_file(tmp_path / "n", written=())))
    a, b = Replication(with_kind, seed(3)), Replication(without, seed(3))
    ra, rb = a.run(), b.run()
    assert np.array_equal(a.iv_agents, b.iv_agents)
    for key, v in rb.counts.items():
        assert np.array_equal(ra.counts[key], v), key


def test_absent_people_work_no_block(tmp_path):
    m = Model.from_scenario(load_scenario(scenario_file(tmp_path, absence=0.5)))
    r = m.roster
    present = np.ones(len(r.p_absent), bool)
    t, n = r.in_activity("back office", present)
    # one day of the week: b 08:00-09:00 alone, a 13:00-15:00 alone, nobody between
    day1 = 2 * 86400  # Monday: the second simulated day
    steps = [(x - day1, k) for x, k in zip(t, n) if day1 <= x < day1 + 86400]
    assert steps == [(8 * 3600, 1), (9 * 3600, 0), (13 * 3600, 1), (15 * 3600, 0)]
    # a absent on every day: only b's blocks stay
    who = np.array([m.roster.pd_person[i] for i in range(len(r.p_absent))])
    t2, n2 = r.in_activity("back office", who != 0)
    assert max(n2) == 1 and sum(1 for x, k in zip(t2, n2) if k == 1) == 5
    # and in a replication with absences, never more items than the present people's hours
    for i in range(3):
        rep = Replication(m, seed(i))
        rc = rep.run()
        hours = rc.written.days["letters"]["hours"]
        assert (hours <= 3.0 + 1e-9).all()


BAD = {
    "unknown": ({"activity": "filing"}, "written[0].dedicated.activity: unknown activity 'filing'"),
    "both": ({"activity": "back office", "agents": 1, "hours": ["09:00", "10:00"]},
             "written[0].dedicated: give either activity"),
    "neither": ({}, "written[0].dedicated: needs agents and hours"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_activity_kinds_are_refused_naming_the_key(tmp_path, case):
    ded, words = BAD[case]
    path = scenario_file(tmp_path, written=({**LETTERS, "dedicated": ded},))
    code, out = run_cli("run", path, "-r", "1")
    assert code == 2 and "Traceback" not in out
    assert words in out, out


def test_an_activity_kind_needs_a_roster_file_and_one_kind_per_activity(tmp_path):
    path = scenario_file(tmp_path, written=(LETTERS, {**LETTERS, "name": "forms"}))
    code, out = run_cli("run", path, "-r", "1")
    assert code == 2 and "written[1].dedicated.activity: another kind is worked in the 'back office' blocks" in out
    d = tomlkit.parse(path.read_text())
    del d["roster"]["file"]
    d["written"] = [LETTERS]
    path.write_text(tomlkit.dumps(d))
    code, out = run_cli("run", path, "-r", "1")
    assert code == 2 and "written[0].dedicated.activity: needs a roster file (roster.file)" in out


def test_a_server_freed_as_its_hours_end_takes_no_item():
    # one server 0-3600 s, items of exactly 1800 s: two are done by 3600, the third waits for
    # the next hours (3 items at 0; hours again from 7200)
    from ska_sim.sim.engine.written import serve

    done = serve(np.zeros(3), np.full(3, 1800.0), [0.0, 3600.0, 7200.0, 9000.0], [1, 0, 1, 0])
    assert done.tolist() == [1800.0, 3600.0, 9000.0]
