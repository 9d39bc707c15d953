"""Weekly rosters: the integer program against brute force, the rest rules, a
roster simulated equals the same agents per interval given as staffing, activities placed in
the slack, roster files and `staff --roster`."""

from __future__ import annotations

import dataclasses
import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ska_sim import scenario_from_dict
from ska_sim.scenario.activities import ActivityNeed
from ska_sim.sim.engine import Model
from ska_sim.plan.roster import solve_roster
from ska_sim.plan.roster_program import SHORT_PENALTY
from ska_sim.scenario.roster import RosterPlan, attach, read_roster_csv, rest_violations, roster_table
from ska_sim.scenario.roster_agents import roster_timeline
from ska_sim.scenario.timeline import roster_model
from ska_sim.sim.runner import simulate
from ska_sim.base.errors import ScenarioError
from ska_sim.plan.by_simulation import with_agents
from ska_sim.scenario.timeline import build_timeline
from helpers import roster_shifts, small_roster, solved_roster

def cli(*args: str):
    from click.testing import CliRunner

    from ska_sim.cli import main

    res = CliRunner().invoke(main, [str(a) for a in args])
    return res.exit_code, res.output








# --------------------------------------------------------------------------- the program
def _brute_force(req: np.ndarray, max_days: int, max_consecutive: int, people: int) -> float:
    """The least objective (paid hours + SHORT_PENALTY x agent-intervals short) over every
    assignment of (off, long, short) per person and weekday, enumerated as the weekly patterns
    the rules allow; req is (5 days, 8 hourly intervals)."""
    long_cov = np.array([1, 1, 1, 0.5, 1, 1, 1, 1.0])  # 09:00-17:30, break 12:00-12:30
    short_cov = np.array([0, 0, 0, 0, 1, 1, 1, 1.0])  # 13:00-17:00
    options = [(np.zeros(8), 0.0), (long_cov, 8.0), (short_cov, 4.0)]
    patterns = []
    for choice in itertools.product(range(3), repeat=5):
        worked = [c > 0 for c in choice]
        if sum(worked) > max_days:
            continue
        run = best = 0
        for w in worked:
            run = run + 1 if w else 0
            best = max(best, run)
        if best > max_consecutive:
            continue
        patterns.append((np.stack([options[c][0] for c in choice]).ravel(), sum(options[c][1] for c in choice)))
    cov = np.stack([p[0] for p in patterns])
    cost = np.array([p[1] for p in patterns])
    need = req.ravel()
    best = np.inf
    for combo in itertools.combinations_with_replacement(range(len(patterns)), people - 1):
        base = cov[list(combo)].sum(axis=0)
        short = np.clip(need - (base + cov), 0, None).sum(axis=1)  # the last person: any pattern
        best = min(best, float((cost[list(combo)].sum() + cost + SHORT_PENALTY * short).min()))
    return best


def _case(seed: int) -> np.ndarray:
    if seed == 0:  # 15 person-days of afternoons: more than 3 people x 4 days
        req = np.zeros((5, 8))
        req[:, :4], req[:, 4:] = 1, 3
        return req
    rng = np.random.default_rng(seed)
    req = np.zeros((5, 8))
    req[:, :4] = rng.integers(0, 2, size=(5, 1))  # mornings: only long shifts cover them
    req[:, 4:] = rng.integers(1, 4, size=(5, 1))  # afternoons
    return req


def _required(s, tl, req: np.ndarray) -> np.ndarray:
    required = np.zeros(len(tl.iv_day))
    for k, (d, slot) in enumerate(zip(tl.iv_day, tl.iv_slot)):
        date = tl.dates[d]
        if s.calendar.start <= date and date.weekday() < 5:
            required[k] = req[date.weekday(), slot - 9]
    return required


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_program_finds_the_brute_force_optimum(seed):
    """3 people, 1 week, 2 shift options: the integer program's optimum is the enumeration's."""
    req = _case(seed)
    line = {"name": "p", "count": 3, "max_days_per_week": 4, "max_consecutive_days": 3}
    s = scenario_from_dict(small_roster([line]))
    tl = build_timeline(s)
    plan = solve_roster(s, roster_shifts(), tl, _required(s, tl, req), 1)
    objective = plan.info["paid_hours"] + SHORT_PENALTY * plan.info["shortfall_agent_intervals"]
    assert objective == pytest.approx(_brute_force(req, 4, 3, 3), abs=1e-6)
    assert rest_violations(plan) == []
    for person in plan.people:
        days = [plan.day(person, d) for d in plan.dates]
        assert sum(d.status == "work" for d in days) <= 4
        assert all(d.status != "work" for d in days if d.date.weekday() >= 5)


def test_brute_force_cases_bind_the_rules():
    """Case 0 is not trivial: the pattern rules change its optimum (short afternoons)."""
    assert _brute_force(_case(0), 4, 3, 3) > _brute_force(_case(0), 5, 5, 3) + SHORT_PENALTY - 1e-9


def test_leave_weeks_and_weekends_off():
    line = {"name": "p", "count": 2, "leave": [{"week": 2, "people": 1}]}
    s = scenario_from_dict(small_roster([line], weeks=2, leave={"p-02": [1]}))
    tl = build_timeline(s)
    required = np.ones(len(tl.iv_day))
    plan = solve_roster(s, roster_shifts(), tl, required, 2)
    p1 = [plan.day("p-01", d).status for d in plan.dates]
    p2 = [plan.day("p-02", d).status for d in plan.dates]
    assert p1[7:] == ["leave"] * 7 and p2[:7] == ["leave"] * 7
    assert "work" in p1[:7] and "work" in p2[7:]


def test_hires_join_and_leavers_leave_by_week():
    lines = [{"name": "old", "count": 2, "until_week": 1}, {"name": "new", "count": 2, "from_week": 2}]
    s = scenario_from_dict(small_roster(lines, weeks=2))
    tl = build_timeline(s)
    plan = solve_roster(s, roster_shifts(), tl, np.ones(len(tl.iv_day)), 2)
    for person in plan.people:
        st = [plan.day(person, d).status for d in plan.dates]
        first, second = (st[:7], st[7:]) if person.startswith("old") else (st[7:], st[:7])
        assert second == ["not_employed"] * 7 and "work" in first
    assert len(read_roster_csv_roundtrip(plan)) == len(plan.days)


def read_roster_csv_roundtrip(plan, tmp=None):
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        f = Path(d) / "roster.csv"
        roster_table(plan).to_csv(f, index=False)
        back = read_roster_csv(f)
    assert [(x.person, x.date, x.status, x.start_s, x.end_s, x.break_s) for x in back.days] == \
        [(x.person, x.date, x.status, x.start_s, x.end_s, x.break_s) for x in plan.days]
    return back.days


def test_repeat_roster_covers_every_simulated_day():
    """roster.repeat: the warm-up day (the Sunday before) and a second week work as the horizon's days."""
    d = small_roster([{"name": "p", "count": 6}], repeat=True)
    d["calendar"]["days"] = 14
    d["calendar"]["warmup_days"] = 3
    s = scenario_from_dict(d)
    tl = build_timeline(s)
    plan = solve_roster(s, roster_shifts(), tl, np.where(tl.iv_measured(), 3.0, 0.0), 1)
    agents = roster_timeline(attach(s, plan), tl).iv_agents
    week1 = agents[(tl.iv_day >= 3) & (tl.iv_day < 10)]
    week2 = agents[(tl.iv_day >= 10) & (tl.iv_day < 17)]
    np.testing.assert_array_equal(week1, week2)
    friday_before = agents[tl.iv_day == 0]  # Fri 27 Feb works as Fri 6 Mar
    np.testing.assert_array_equal(friday_before, agents[tl.iv_day == 7])
    d["roster"]["repeat"] = False
    s1 = scenario_from_dict(d)
    again = roster_timeline(attach(s1, plan), tl).iv_agents
    np.testing.assert_array_equal(again[tl.iv_day == 0], tl.iv_agents[tl.iv_day == 0])  # [staffing] outside


# --------------------------------------------------------------------------- rest rules
def test_shift_without_break_over_six_hours_is_refused():
    s = scenario_from_dict(small_roster([{"name": "p", "count": 2, "shifts": ["seven"]}]))
    tl = build_timeline(s)
    sh = roster_shifts({"name": "seven", "starts": ["09:00"], "length_h": 7})
    with pytest.raises(ScenarioError) as exc:
        solve_roster(s, sh, tl, np.ones(len(tl.iv_day)), 1)
    msg = str(exc.value)
    assert "shifts.seven.unpaid_break" in msg and "30 min" in msg and "§47" in msg


def test_six_days_a_week_leaves_no_weekly_rest():
    s = scenario_from_dict(small_roster([{"name": "p", "count": 1, "min_days_per_week": 6, "max_days_per_week": 6,
                                   "weekends_off": False}]))
    tl = build_timeline(s)
    with pytest.raises(ScenarioError) as exc:
        solve_roster(s, roster_shifts(), tl, np.ones(len(tl.iv_day)), 1)
    assert "roster.people[0].min_days_per_week" in str(exc.value) and "48 h" in str(exc.value)


def test_clashing_pattern_rules_name_the_person_and_rules():
    """Five days a week with weekends off but at most 2 in a row: no roster; the message names
    the person and exactly the two clashing rules (dropping either makes a roster)."""
    s = scenario_from_dict(small_roster([{"name": "p", "count": 2, "min_days_per_week": 5, "max_consecutive_days": 2}]))
    tl = build_timeline(s)
    with pytest.raises(ScenarioError) as exc:
        solve_roster(s, roster_shifts(), tl, np.ones(len(tl.iv_day)), 1)
    (problem,) = exc.value.problems
    assert problem.path == "roster.people[0]"
    assert problem.message.startswith("p-01: min_days_per_week = 5 and max_consecutive_days = 2 cannot all hold "
                                      "with weekends off")
    assert "48 h" not in problem.message and "11 h" not in problem.message


def _write(path: Path, rows: list[tuple]) -> Path:
    df = pd.DataFrame(rows, columns=["person", "line", "date", "status", "start", "end", "break"])
    df.to_csv(path, index=False)
    return path


def test_roster_file_with_short_daily_rest_is_refused(tmp_path):
    f = _write(tmp_path / "roster.csv", [
        ("ann", "ann", "2026-03-02", "work", "15:00", "21:00", ""),
        ("ann", "ann", "2026-03-03", "work", "06:00", "12:00", ""),
    ])
    problems = rest_violations(read_roster_csv(f))
    assert len(problems) == 1
    assert "ann" in problems[0] and "2026-03-02 21:00" in problems[0] and "9 h of rest" in problems[0] and "11 h" in problems[0]


def test_roster_file_weekly_rest_and_break(tmp_path):
    rows = [("bo", "bo", f"2026-03-0{d}", "work", "09:00", "17:00", "12:00-12:30") for d in range(2, 8)]
    rows.append(("bo", "bo", "2026-03-08", "off", "", "", ""))
    rows.append(("cy", "cy", "2026-03-02", "work", "09:00", "17:00", ""))  # 8 h, no break
    plan = read_roster_csv(_write(tmp_path / "roster.csv", rows))
    problems = rest_violations(plan)
    assert any(p.startswith("bo: the 7 days from 2026-03-02") and "48 h" in p for p in problems)
    assert any(p.startswith("cy on 2026-03-02") and "30 min" in p for p in problems)


def test_bad_roster_file_rows_are_named(tmp_path):
    f = _write(tmp_path / "roster.csv", [
        ("ann", "ann", "2026-03-02", "work", "09:00", "17:00", "18:00-18:30"),
        ("ann", "ann", "2026-03-02", "off", "", "", ""),
        ("bo", "bo", "2026-03-32", "work", "09:00", "17:00", ""),
        ("cy", "cy", "2026-03-02", "sick", "", "", ""),
        ("dan", "dan", "2026-03-02", "work", "17:00", "09:00", ""),
    ])
    with pytest.raises(ScenarioError) as exc:
        read_roster_csv(f)
    msg = str(exc.value)
    assert "row 2: break 18:00-18:30 is outside the shift 09:00-17:00" in msg
    assert "row 3: ann on 2026-03-02 is listed twice (also row 2)" in msg
    assert "row 4: date: '2026-03-32' is not YYYY-MM-DD" in msg
    assert "row 5: status: 'sick' must be work, off, leave or not_employed" in msg
    assert "row 6: start-end: '17:00-09:00' ends before it starts" in msg
    assert all(str(f) in line for line in msg.splitlines())


def test_run_refuses_a_roster_file_breaking_the_rules(tmp_path):
    import tomlkit

    _write(tmp_path / "roster.csv", [
        ("ann", "ann", "2026-03-02", "work", "15:00", "21:00", ""),
        ("ann", "ann", "2026-03-03", "work", "06:00", "12:00", ""),
    ])
    d = small_roster([], file="roster.csv")
    d["roster"].pop("people")
    (tmp_path / "s.toml").write_text(tomlkit.dumps(d))
    out = tmp_path / "out"
    code, text = cli("run", tmp_path / "s.toml", "-r", "1", "--workers", "1", "--out", out)
    assert code == 2, text
    assert "roster.csv" in text and "ann" in text and "11 h" in text
    assert "Traceback" not in text and not out.exists()


def test_bad_roster_keys_are_named():
    d = small_roster([{"name": "p", "count": 2, "leave": [{"week": 3}]}], leave={"q": [1]})
    with pytest.raises(ScenarioError) as exc:
        scenario_from_dict(d)
    msg = str(exc.value)
    assert "roster.people[0].leave[0].week" in msg and "roster.leave.q" in msg


# --------------------------------------------------------------------------- simulated


def test_roster_equals_the_same_agents_as_staffing():
    """A roster without activities or absence simulates exactly as its agents per interval
    given as [staffing.dates]: the roster path (person-days -> agents in each replication)."""
    s, tl, plan = solved_roster(extra_shift={"name": "mid", "starts": ["10:30"], "length_h": 4})
    rostered = attach(s, plan)
    agents = roster_timeline(rostered, tl).iv_agents
    assert Model.from_scenario(rostered).roster is not None
    assert agents[tl.iv_measured()].sum() > 0 and not np.array_equal(agents, tl.iv_agents)
    plain = with_agents(s.model_copy(update={"roster": None}), tl, agents)
    a = simulate(rostered, replications=3, seed=5, workers=1)
    b = simulate(plain, replications=3, seed=5, workers=1)
    pd.testing.assert_frame_equal(a.summary, b.summary)
    pd.testing.assert_frame_equal(a.intervals, b.intervals)


def test_given_agents_replace_an_attached_roster():
    """staff's plans and marginal's steps on a rostered scenario simulate the agents they give."""
    s, tl, plan = solved_roster()
    rostered = attach(s, plan)
    agents = np.full(len(tl.iv_day), 5)
    given = with_agents(rostered, tl, agents)
    assert Model.from_scenario(given).roster is None
    np.testing.assert_array_equal(build_timeline(given).iv_agents, agents)


def test_roster_agents_follow_people_breaks_and_shrinkage():
    s, tl, plan = solved_roster()
    rm = roster_model(attach(s, plan))
    full = rm.agents_given(np.ones(len(rm.p_absent), bool))
    for k in np.flatnonzero(rm.rostered):
        date = tl.dates[tl.iv_day[k]]
        t = int(tl.iv_slot[k]) * 3600
        share = 0.0
        for d in plan.worked():
            if d.date != date:
                continue
            work = max(0, min(t + 3600, d.end_s) - max(t, d.start_s))
            if d.break_s is not None:
                work -= max(0, min(t + 3600, d.break_s + 1800) - max(t, d.break_s))
            share += work / 3600
        assert full[k] == int(np.floor(share + 1e-9))


def test_activities_go_where_the_slack_is():
    """One 60-min block a week per person (52/12 h a month), inside the shift, clear of the
    break, in the quietest place: the last open hour (nothing required) or after closing."""
    needs = [ActivityNeed("call review", 52 / 12, 60, 0.0)]
    s, tl, plan = solved_roster(needs=needs, quiet_last_hour=True)
    placed = 0
    for person in plan.people:
        mine = [d for d in plan.worked() if d.person == person]
        blocks = [(d, a) for d in mine for a in d.activities]
        if not mine:
            continue
        assert len(blocks) == 1
        d, (_, b, e) = blocks[0]
        assert d.start_s <= b and e <= d.end_s and e - b == 3600
        if d.break_s is not None:
            assert e <= d.break_s or b >= d.break_s + 1800
        assert b >= 16 * 3600, (person, b)  # in the quiet hour 16:00-17:00 (and after 17:00)
        placed += 1
    assert placed > 0 and plan.info["activities_unplaced_blocks"] == 0
    assert roster_table(plan)["activities"].str.contains("call review 16:").sum() == placed
    # the blocks are off the phones: the agents' capacity drops by their overlap with open intervals
    rm = roster_model(attach(s, plan))
    bare = RosterPlan(plan.dates, plan.people, plan.lines, [dataclasses.replace(x, activities=[]) for x in plan.days])
    rm0 = roster_model(attach(s, bare))
    everyone = np.ones(len(rm.p_absent), bool)
    inside = sum(max(0, min(e, 17 * 3600) - max(b, 9 * 3600)) for d in plan.worked() for _, b, e in d.activities)
    assert (rm0.capacity(everyone) - rm.capacity(everyone)).sum() == pytest.approx(inside / 3600)


def test_a_training_day_spans_the_lunch_break():
    """A 480-min sitting fits an 8.5 h shift only with its unpaid break inside: that person-day
    is then off the phones in every interval, the break counted once."""
    needs = [ActivityNeed("training", 8 * 52 / 12, 480, 0.0)]  # one day a week per person
    s, tl, plan = solved_roster(needs=needs)
    days = [d for d in plan.worked() if d.activities]
    assert days and plan.info["activities_unplaced_blocks"] == sum(
        1 for p in plan.people if all(d.shift == "short" for d in plan.worked() if d.person == p)
        and any(d.person == p for d in plan.worked()))
    for d in days:
        (_, b, e), = d.activities
        assert (d.shift, b, e) == ("long", 9 * 3600, 17 * 3600 + 1800)
    rm = roster_model(attach(s, plan))
    full = rm.capacity(np.ones(len(rm.p_absent), bool))
    bare = RosterPlan(plan.dates, plan.people, plan.lines, [dataclasses.replace(x, activities=[]) for x in plan.days])
    full0 = roster_model(attach(s, bare)).capacity(np.ones(len(rm.p_absent), bool))
    assert (full0 - full).sum() == pytest.approx(len(days) * 7.5)  # 8 open hours less the half hour of lunch


def test_staff_roster_command(tmp_path):
    import tomlkit

    d = small_roster([{"name": "p", "count": 6}], shifts="shifts.toml")
    (tmp_path / "s.toml").write_text(tomlkit.dumps(d))
    (tmp_path / "shifts.toml").write_text(tomlkit.dumps(roster_shifts().model_dump(exclude_none=True)))
    out = tmp_path / "out"
    code, text = cli("staff", tmp_path / "s.toml", "--roster", "-r", "2", "--workers", "1", "--out", out)
    assert code == 0, text
    assert "Roster: 6 people over 1 week(s)" in text and "roster (recommended)" in text
    table = pd.read_csv(out / "roster.csv", keep_default_na=False)
    assert list(table.columns[:6]) == ["person", "line", "group", "date", "weekday", "status"]
    assert len(table) == 6 * 7 and set(table["status"]) <= {"work", "off", "leave"}
    plans = pd.read_csv(out / "plans.csv")
    assert plans.loc[plans["recommended"], "plan"].tolist() == ["roster"]
    html = (out / "report.html").read_text()
    assert "<h2>Roster</h2>" in html and "6 people rostered over 7 days" in html and "p-01" in html
    # the saved roster runs: `run` simulates it through roster.file
    d["roster"]["file"] = str(out / "roster.csv")
    (tmp_path / "s2.toml").write_text(tomlkit.dumps(d))
    code, text = cli("run", tmp_path / "s2.toml", "-r", "1", "--workers", "1")
    assert code == 0, text
    code, text = cli("staff", tmp_path / "s.toml", "--weeks", "2")
    assert code == 2 and "--weeks" in text


def test_staff_roster_says_the_hours_the_contracts_force_and_the_rule(tmp_path):
    """Six people with min_days_per_week = 5 for a requirement that needs fewer: staff --roster
    names the forced hours (the program's figure, as in JSON) and the rule."""
    import json

    import tomlkit

    d = small_roster([{"name": "p", "count": 6, "min_days_per_week": 5}], shifts="shifts.toml")
    d["arrivals"]["daily_calls"] = 40  # a requirement of one or two at work
    (tmp_path / "s.toml").write_text(tomlkit.dumps(d))
    (tmp_path / "shifts.toml").write_text(tomlkit.dumps(roster_shifts().model_dump(exclude_none=True)))
    code, out = cli("staff", tmp_path / "s.toml", "--roster", "-r", "2", "--workers", "1", "--format", "json")
    assert code == 0, out
    info = json.loads(out)["roster"]["solver"]
    assert info["forced_hours"] > 0 and info["forced_rule"] == "min_days_per_week (p: 5 days)"
    code, text = cli("staff", tmp_path / "s.toml", "--roster", "-r", "2", "--workers", "1")
    assert code == 0, text
    assert (f"The contracts force {info['forced_hours']:,.0f} paid hours at work beyond the requirement: "
            "min_days_per_week (p: 5 days)") in text


# --------------------------------------------------------------------------- agent groups
def _groups_dict(absence: float = 0.0) -> dict:
    d = small_roster([{"name": "a", "count": 4, "group": "first"}, {"name": "b", "count": 3, "group": "second"}],
              absence=absence)
    d["call_types"] = [
        {"name": "x", "share": 0.6, "talk": {"dist": "exponential", "mean_s": 240}, "resolved": 1.0},
        {"name": "y", "share": 0.4, "talk": {"dist": "exponential", "mean_s": 240}, "resolved": 1.0},
    ]
    d.pop("staffing")
    d["groups"] = [
        {"name": "first", "call_types": ["x"], "agents": {"default": [2] * 8}},
        {"name": "second", "call_types": ["y"], "agents": {"default": [1] * 8}},
    ]
    return d


def test_group_lines_cover_their_own_group():
    s = scenario_from_dict(_groups_dict())
    tl = build_timeline(s)
    req = np.zeros((len(tl.iv_day), 2))
    req[tl.iv_measured(), 0], req[tl.iv_measured(), 1] = 2, 1
    plan = solve_roster(s, roster_shifts(), tl, req, 1)
    assert plan.info["shortfall_agent_intervals"] == pytest.approx(0.0, abs=1e-9)
    assert {d.group for d in plan.worked() if d.line == "a"} == {"first"}
    assert {d.group for d in plan.worked() if d.line == "b"} == {"second"}
    rtl = roster_timeline(attach(s, plan), tl)
    m = rtl.iv_measured()
    assert rtl.iv_group_agents.shape == (len(tl.iv_day), 2)
    assert np.all(rtl.iv_group_agents[m, 0] >= 2) and np.all(rtl.iv_group_agents[m, 1] >= 1)
    np.testing.assert_array_equal(rtl.iv_agents, rtl.iv_group_agents.sum(axis=1))


def test_group_roster_equals_the_same_agents_per_group():
    """With agent groups (the routed pool) too, a roster without absence simulates exactly as
    its agents per interval and group given as the groups' dates."""
    s = scenario_from_dict(_groups_dict())
    tl = build_timeline(s)
    req = np.zeros((len(tl.iv_day), 2))
    req[tl.iv_measured(), 0], req[tl.iv_measured(), 1] = 3, 2
    plan = solve_roster(s, roster_shifts(), tl, req, 1)
    rostered = attach(s, plan)
    agents = roster_timeline(rostered, tl).iv_group_agents
    plain = with_agents(s.model_copy(update={"roster": None}), tl, agents)
    a = simulate(rostered, replications=2, seed=9, workers=1)
    b = simulate(plain, replications=2, seed=9, workers=1)
    pd.testing.assert_frame_equal(a.summary, b.summary)
    pd.testing.assert_frame_equal(a.groups, b.groups)
    # with absence the routed pool draws it too: fewer agents on the phones
    sa = scenario_from_dict(_groups_dict(absence=0.5))
    model = Model.from_scenario(attach(sa, plan))
    from ska_sim.sim.engine import Replication

    rep = Replication(model, np.random.SeedSequence(2))
    assert np.asarray(rep.pool.agents_iv).sum() < agents.sum()


def test_group_key_is_checked():
    d = _groups_dict()
    d["roster"]["people"][1]["group"] = "third"
    d["roster"]["people"][0].pop("group")
    with pytest.raises(ScenarioError) as exc:
        scenario_from_dict(d)
    msg = str(exc.value)
    assert "roster.people[0].group: missing" in msg and "roster.people[1].group: unknown group 'third'" in msg


def test_a_roster_file_outside_the_window_is_warned_about(tmp_path):
    from ska_sim.scenario.checks import scenario_warnings

    s, tl, plan = solved_roster()
    assert scenario_warnings(attach(s, plan)) == []
    later = s.model_copy(update={"calendar": s.calendar.model_copy(update={"start": s.calendar.start.replace(day=16)})})
    (w,) = scenario_warnings(attach(later, plan))
    assert w.startswith("roster.file: no date of the roster (2026-03-02 to 2026-03-08) falls in the measured window")


def test_part_timers_on_short_shifts_cover_the_afternoon_within_their_contracts():
    """The roster takes the cheaper part-timers' short shifts for the afternoon peak, but no more
    of them a week than their contract's hours (8 h: two 4-hour shifts each)."""
    s = scenario_from_dict(small_roster([
        {"name": "full", "count": 3, "shifts": ["long"], "hours_per_week": 40},
        {"name": "part", "count": 2, "shifts": ["short"], "hours_per_week": 8},
    ]))
    tl = build_timeline(s)
    # hourly intervals: one at work 09-12 (none needed over the long shift's 12:00 break), two 13-17
    required = np.where(tl.iv_measured(), np.select([tl.iv_slot >= 13, tl.iv_slot == 12], [2.0, 0.0], 1.0), 0.0)
    plan = solve_roster(s, roster_shifts(), tl, required, 1)
    worked = [d for d in plan.days if d.status == "work"]
    short = [d for d in worked if d.shift == "short"]
    assert len(short) == 4  # 2 part-timers x 8 h / 4 h shifts; without the contract it would be 5
    for person in ("part-01", "part-02"):
        assert sum(d.paid_h for d in short if d.person == person) <= 8 + 1e-9
    # the five days: one long shift each, a second long shift on the day without a short one
    assert sum(d.paid_h for d in worked) == pytest.approx(5 * 8 + 1 * 8 + 4 * 4)


def test_contracts_forcing_days_say_how_many_hours_and_which_rule():
    """Four full-timers with min_days_per_week = 5 must work 20 shifts where the requirement needs
    one person a day: the program without that rule needs 5 x 8 h; the forced hours are the rest."""
    from ska_sim.plan.roster import forced_hours

    s = scenario_from_dict(small_roster([{"name": "full", "count": 4, "shifts": ["long"], "min_days_per_week": 5,
                                           "hours_per_week": 40}]))
    tl = build_timeline(s)
    required = np.where(tl.iv_measured() & (tl.iv_slot != 12), 1.0, 0.0)  # none over the 12:00 break
    plan = solve_roster(s, roster_shifts(), tl, required, 1)
    f = forced_hours(s, roster_shifts(), tl, required, 1, [], plan)
    assert plan.info["paid_hours"] == pytest.approx(4 * 5 * 8)
    assert f["forced_hours"] == pytest.approx(4 * 5 * 8 - 5 * 8)  # without the rule: one long shift a day
    assert f["forced_rule"] == "min_days_per_week (full: 5 days)"
    assert f["required_hours_at_work"] == pytest.approx(5 * 7)  # 7 hourly intervals a day need one
    # a requirement on the warm-up day too (the requirement's plan covers every simulated day):
    # the roster's horizon is what it is compared with, 5 days x 7 h
    d = small_roster([{"name": "full", "count": 4, "shifts": ["long"], "min_days_per_week": 5, "hours_per_week": 40}])
    d["calendar"]["warmup_days"] = 3  # Friday 27 February is open
    s3 = scenario_from_dict(d)
    tl3 = build_timeline(s3)
    everywhere = np.where(tl3.iv_slot != 12, 1.0, 0.0)
    assert (everywhere[~tl3.iv_measured()] > 0).any()
    plan3 = solve_roster(s3, roster_shifts(), tl3, everywhere, 1)
    assert forced_hours(s3, roster_shifts(), tl3, everywhere, 1, [], plan3)["required_hours_at_work"] == pytest.approx(5 * 7)
    loose = scenario_from_dict(small_roster([{"name": "full", "count": 4, "shifts": ["long"], "hours_per_week": 40}]))
    free = solve_roster(loose, roster_shifts(), tl, required, 1)
    assert forced_hours(loose, roster_shifts(), tl, required, 1, [], free)["forced_hours"] == 0.0
