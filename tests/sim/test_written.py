"""Written work (``[[written]]``, dedicated agents): the M/M/c known answer of its backlog,
conservation per day, the calls unchanged but for the agents taken off the phones (both
pools), identity failures' written requests joining a kind, deadlines in working days, and its
KPIs in the result tables."""

from __future__ import annotations

import copy
import datetime as dt
import math

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import ROOT
from helpers import assert_counts_equal, mmc_dict, roster_shifts, seed, small_roster

from ska_sim import scenario_from_dict, simulate
from ska_sim.cli import main
from ska_sim.maths.erlang import erlang_c
from ska_sim.plan.roster import solve_roster
from ska_sim.scenario.roster import attach
from ska_sim.scenario.timeline import build_timeline
from ska_sim.scenario.clock import DAY_S, WEEKDAYS
from ska_sim.sim.engine import Model, Replication, simulate_replication
from ska_sim.sim.engine.written import serve

H = 3600.0


def letters(**kw) -> dict:
    w = {"name": "letters", "daily_items": 60, "handling": {"dist": "exponential", "mean_s": 1200},
         "deadline_days": 2, "dedicated": {"agents": 2, "hours": ["08:00", "12:00"]}}
    w.update(kw)
    return w


def office(written: list | None = None, warmup_days: int = 1) -> dict:
    d = mmc_dict(agents=8, calls_per_hour=60, days=10, warmup_days=warmup_days, patience_s=300, replications=3)
    if written is not None:
        d["written"] = written
    return d


def sojourn_cdf(t: np.ndarray, c: int, lam: float, mu: float) -> np.ndarray:
    """P(wait + service <= t) in M/M/c (FIFO): no wait with 1 - C, else Exp(c mu - lam) + Exp(mu)."""
    C = erlang_c(c, lam / mu)
    th = c * mu - lam
    tail = (1 - C) * np.exp(-mu * t) + C * (th * np.exp(-mu * t) - mu * np.exp(-th * t)) / (th - mu)
    return 1 - tail


def test_dedicated_agents_around_the_clock_give_the_mmc_share_on_time():
    # no calls worth the name (the phones keep 0 agents); 2 agents on letters around the clock,
    # exponential 4 h, 10.2 items a day (load 1.7): an item arriving at s into its day is due at
    # the end of the next day, 2 days - s later
    c, lam, mu = 2, 10.2 / DAY_S, 1 / (4 * H)
    w = {"name": "letters", "daily_items": 10.2, "handling": {"dist": "exponential", "mean_s": 4 * H},
         "deadline_days": 1, "deadline_kind": "calendar", "dedicated": {"agents": 2, "hours": ["00:00", "24:00"]}}
    d = mmc_dict(agents=2, calls_per_hour=0.01, days=400, warmup_days=20, replications=20, written=[w])
    res = simulate(scenario_from_dict(d))
    per_rep = res.per_replication["written_on_time"].to_numpy()
    u = (np.arange(4000) + 0.5) / 4000
    theory = float(sojourn_cdf(DAY_S * (1 + u), c, lam, mu).mean())
    assert 0.6 < theory < 0.95  # a deadline that matters
    se = per_rep.std(ddof=1) / math.sqrt(len(per_rep))
    assert abs(per_rep.mean() - theory) < 3 * se + 0.005, (per_rep.mean(), theory, se)
    # and the mean age at completion is M/M/c's mean sojourn, C / (c mu - lam) + 1 / mu
    ages = res.per_replication["written_age_mean_h"].to_numpy()
    sojourn_h = (erlang_c(c, lam / mu) / (c * mu - lam) + 1 / mu) / H
    se_age = ages.std(ddof=1) / math.sqrt(len(ages))
    assert abs(ages.mean() - sojourn_h) < 3 * se_age + 0.05, (ages.mean(), sojourn_h, se_age)
    row = res.summary.set_index("kpi").loc["written_on_time"]
    assert row.ci_low - 0.01 <= theory <= row.ci_high + 0.01


def test_received_is_done_plus_the_backlog_change_each_day():
    s = scenario_from_dict(office([letters(backlog_at_start=25, daily_items=90)]))
    rc = simulate_replication(Model.from_scenario(s), seed(1))
    c = rc.written.days["letters"]
    before = np.concatenate([[25.0], c["backlog"][:-1]])
    np.testing.assert_array_equal(c["received"], c["done"] + c["backlog"] - before)
    assert c["backlog"][-1] > 25  # 90 items a day, 2 agents x 4 h at 20 min: the backlog grows
    assert c["received"].sum() > 500


def test_the_calls_are_those_of_the_agents_left_on_the_phones():
    # 2 agents on letters 08:00-12:00: the calls equal a scenario with 2 agents fewer then
    with_w = scenario_from_dict(office([letters()]))
    fewer = office()
    fewer["staffing"]["agents"]["default"] = [8] * 8 + [6] * 4 + [8] * 12
    without = scenario_from_dict(fewer)
    m = Model.from_scenario(with_w)
    np.testing.assert_array_equal(m.timeline.iv_agents, Model.from_scenario(without).timeline.iv_agents)
    for routed in (False, True):  # both pools
        a = Replication(m, seed(3), routed=routed).run()
        b = Replication(Model.from_scenario(without), seed(3), routed=routed).run()
        assert_counts_equal(a, b)
        assert a.written is not None and b.written is None


def test_a_group_gives_its_agents_on_the_routed_pool():
    def two_groups(extra=None, gb=(6,) * 24):
        d = office(extra)
        d.pop("staffing")
        d["groups"] = [{"name": "ga", "agents": {"default": [4] * 24}}, {"name": "gb", "agents": {"default": list(gb)}}]
        d["routing"] = {"policy": "group_order"}
        d["lines"] = {"count": 40}  # the routed pool
        return d

    with_w = scenario_from_dict(two_groups([letters(dedicated={"group": "gb", "agents": 3, "hours": ["08:00", "12:00"]})]))
    without = scenario_from_dict(two_groups(gb=[6] * 8 + [3] * 4 + [6] * 12))
    mw, mo = Model.from_scenario(with_w), Model.from_scenario(without)
    assert not mw.single_pool()
    a, b = Replication(mw, seed(4)).run(), Replication(mo, seed(4)).run()
    assert_counts_equal(a, b)
    assert a.written.days["letters"]["done"].sum() > 0


def test_no_more_agents_leave_the_phones_than_are_on_them():
    s = scenario_from_dict(office([letters(dedicated={"agents": 20, "hours": ["08:00", "12:00"]})]))
    m = Model.from_scenario(s)
    assert m.timeline.iv_agents.min() == 0
    assert m.written.taken.max() == 8


def test_identity_failures_written_requests_join_the_kind():
    d = office([letters(daily_items=0, from_identity_failures=True)], warmup_days=0)
    d["call_types"][0]["identity_check"] = {"probability": 1.0, "extra": {"dist": "deterministic", "mean_s": 30},
                                            "fails": 0.2}
    res = simulate(scenario_from_dict(d))
    w = res.summary.set_index("kpi")
    assert w.loc["written_requests", "mean"] > 100
    assert w.loc["written_received", "mean"] == pytest.approx(w.loc["written_requests", "mean"])


def test_deadlines_count_working_days_or_calendar_days():
    # Mon 2 Mar 2026 start, open Mon-Fri: an item of Friday (day 4) due in 1 working day is due
    # at the end of Monday (day 7); in 1 calendar day at the end of Saturday (day 5)
    d = office([letters(), letters(name="forms", deadline_kind="calendar", deadline_days=1)], warmup_days=0)
    d["calendar"]["hours"] = {k: ["08:00", "16:00"] for k in ("mon", "tue", "wed", "thu", "fri")}
    d["arrivals"]["profile"] = [1 / 8] * 8
    d["staffing"]["agents"]["default"] = [8] * 8
    d["written"][0]["deadline_days"] = 1
    d["written"][0]["weekday_factor"] = {"tue": 1.5}
    d["arrivals"]["date_factor"] = {"2026-03-04": 2.0}  # the calendar's date factors, as calls have them
    m = Model.from_scenario(scenario_from_dict(d))
    work, cal = m.written.kinds
    assert work.due_day[4] == 7 and work.due_day[0] == 1
    assert cal.due_day[4] == 5
    assert work.day_items[5] == 0 and work.day_items[4] == 60  # nothing arrives on a closed day
    assert work.day_items[1] == 90 and work.day_items[2] == 120


def test_items_are_urgent_within_working_days_or_calendar_days():
    # Mon 2 Mar 2026 start, open Mon-Fri: on Friday (day 4) "within 1 working day" reaches the end
    # of Monday (day 7), "within 0" the end of Friday; "within 1 calendar day" the end of Saturday
    blend = {"reserve": 1}
    d = office([letters(dedicated=None, blend=blend, urgent={"days": 1, "agents": 2}),
                letters(name="forms", dedicated=None, blend=blend, urgent={"days": 0, "agents": 1}),
                letters(name="notes", dedicated=None, blend=blend, deadline_kind="calendar", urgent={"days": 1, "agents": 1}),
                letters(name="plain", dedicated=None, blend=blend)], warmup_days=0)
    d["calendar"]["hours"] = {k: ["08:00", "16:00"] for k in ("mon", "tue", "wed", "thu", "fri")}
    d["arrivals"]["profile"] = [1 / 8] * 8
    d["staffing"]["agents"]["default"] = [8] * 8
    one, zero, cal, plain = Model.from_scenario(scenario_from_dict(d)).written.kinds
    day = 86400.0
    assert one.urgent_due[4] == 8 * day and one.urgent_due[0] == 2 * day and one.urgent_agents == 2
    assert zero.urgent_due[4] == 5 * day and zero.urgent_due[5] == 6 * day
    assert cal.urgent_due[4] == 6 * day
    assert plain.urgent_due is None and plain.urgent_agents == 0


def test_serve_finishes_an_item_in_hand_when_the_hours_end():
    # one server 0-10 s: items at 0 (9 s) and 1 (5 s): the second starts at 9 and ends at 14
    # (never half done); a third at 12 waits for the next hours (100 s)
    done = serve(np.array([0.0, 1.0, 12.0]), np.array([9.0, 5.0, 2.0]), [0.0, 10.0, 100.0, 110.0], [1, 0, 1, 0])
    np.testing.assert_allclose(done, [9.0, 14.0, 102.0])
    # an item that never finds a server is never done
    assert serve(np.array([200.0]), np.array([1.0]), [0.0, 10.0], [1, 0])[0] == math.inf


def test_written_kpis_in_the_tables_and_the_target():
    d = office([letters(daily_items=15)], warmup_days=0)
    d["targets"]["written_on_time"] = 0.95
    res = simulate(scenario_from_dict(d))
    assert list(res.written["kind"]) == ["letters", "all"]
    for col in ("written_received", "written_backlog", "written_on_time", "written_age_p90_h", "written_hours"):
        assert col in res.days.columns and col in res.written.columns
    row = res.targets.set_index("kpi").loc["written_on_time"]
    due_days = ~np.isnan(res.days["written_on_time"].to_numpy())
    assert 0 < due_days.sum() < len(due_days)  # the first two days have nothing due (deadline 2 days)
    assert row.days_met_share == 1.0  # judged on the days with items due only
    doc = res.to_json()
    assert doc["written"][0]["kind"] == "letters"
    assert "written_on_time" in doc["kpis"]
    # without the block: no written column anywhere
    plain = simulate(scenario_from_dict(office()))
    assert plain.written is None and "written_received" not in plain.days.columns


def test_a_scenario_without_written_keeps_its_digest():
    d = office()
    s = scenario_from_dict(d)
    assert "written" not in s.to_dict()
    d2 = copy.deepcopy(d)
    d2["written"] = [letters()]
    assert scenario_from_dict(d2).to_dict()["written"][0]["dedicated"]["hours"] == ["08:00", "12:00"]
    d2["written"].append(letters(name="forms", dedicated=None, blend={"reserve": 2}))
    back = scenario_from_dict(d2).to_dict()
    assert back["written"][1]["blend"] == {"reserve": 2}
    assert scenario_from_dict(back).digest() == scenario_from_dict(d2).digest()


def test_run_writes_the_written_table(tmp_path):
    minimal = (ROOT / "tests" / "data" / "minimal.toml").read_text()
    block = ('[[written]]\nname = "letters"\ndaily_items = 40\nhandling = { dist = "exponential", mean_s = 600 }\n'
             'deadline_days = 2\ndedicated = { agents = 1, hours = ["10:00", "12:00"] }\n\n'
             '[[written]]\nname = "forms"\ndaily_items = 20\nhandling = { dist = "exponential", mean_s = 300 }\n'
             'deadline_days = 1\nblend = { reserve = 2 }\n\n')
    path = tmp_path / "w.toml"
    path.write_text(minimal.replace("[simulation]", block + "[simulation]", 1))
    res = CliRunner().invoke(main, ["run", str(path), "--out", str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    assert "Written work" in res.output and "forms" in res.output
    text = (tmp_path / "out" / "written.csv").read_text()
    assert text.splitlines()[0].startswith("kind,written_received") and "forms" in text
    assert "written_backlog" in (tmp_path / "out" / "days.csv").read_text().splitlines()[0]


def test_a_rosters_agents_give_the_dedicated_agents_per_replication():
    # a roster of 8 people on 13:00-17:00 shifts, each absent with p = 0.2: the agent on letters
    # 13:00-15:00 is taken from the people present in each replication
    s = scenario_from_dict(small_roster([{"name": "p", "count": 8}], absence=0.2))
    tl = build_timeline(s)
    only_short = roster_shifts().model_copy(update={"shifts": [roster_shifts().shifts[1]]})
    s = attach(s, solve_roster(s, only_short, tl, np.where(tl.iv_measured(), 4.0, 0.0), 1))
    w = scenario_from_dict({**office(), "written": [letters(dedicated={"agents": 1, "hours": ["13:00", "15:00"]})]}).written
    m = Model.from_scenario(s.model_copy(update={"written": w}))
    assert m.roster is not None and m.written.taken is None  # taken per replication, after absences
    everyone = m.roster.agents(np.ones(len(m.roster.p_absent)))
    mask = m.written.kinds[0].iv_mask
    for i in range(2):
        rep = Replication(m, seed(i))
        rc = rep.run()
        taken = rep.taken[0]
        assert (taken <= 1).all() and taken[mask].sum() > 0 and taken[~mask].sum() == 0
        assert (rep.iv_agents + taken <= everyone).all()
        assert rc.written.days["letters"]["received"].sum() > 0


@pytest.mark.parametrize("deadline", [1, 40, 300])
def test_working_days_reach_as_far_as_the_longest_deadline(deadline):
    """working_days looks up only the days after the window that deadlines need (doubling): the
    due days equal those counted on the calendar day by day, here over a year-end's holidays."""
    from ska_sim.scenario.calendar import WorkingCalendar
    from ska_sim.sim.engine.written import working_days

    d = office([letters(deadline_days=deadline)], warmup_days=0)
    d["calendar"]["start"] = "2026-12-14"
    d["calendar"]["country"] = "EE"
    s = scenario_from_dict(d)
    m = Model.from_scenario(s)
    first, days = m.timeline.dates[0], m.timeline.n_days
    wc = WorkingCalendar(s)
    hours = s.calendar.hours
    every = [i for i in range(days + 2 * 366 + 10)
             if wc.day(first + dt.timedelta(days=i)).is_open and WEEKDAYS[(first + dt.timedelta(days=i)).weekday()] in hours]
    got = working_days(s, first, days).tolist()
    assert got == every[:len(got)] and len([i for i in got if i >= days]) >= deadline
    for day in range(days):  # an item of each day is due on the deadline-th working day after it
        assert m.written.kinds[0].due_day[day] == [i for i in every if i > day][deadline - 1]
