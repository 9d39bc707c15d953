"""Absence on a roster: each rostered person-day is lost with probability p, drawn
per replication from each date's own "absence" stream; the paid-hours chain does not apply
shrinkage.absence on top (never both)."""

from __future__ import annotations

import numpy as np
import pytest

from ska_sim import scenario_from_dict
from ska_sim.sim.engine import PURPOSES, Model, Replication
from ska_sim.plan.roster import solve_roster
from ska_sim.scenario.roster import attach
from ska_sim.scenario.timeline import roster_model
from ska_sim.scenario.timeline import build_timeline

from helpers import roster_shifts, small_roster


def _rostered(p: float, count: int = 8):
    s = scenario_from_dict(small_roster([{"name": "p", "count": count}], absence=p))
    tl = build_timeline(s)
    required = np.where(tl.iv_measured(), 4.0, 0.0)
    only_short = roster_shifts().model_copy(update={"shifts": [roster_shifts().shifts[1]]})  # 13:00-17:00, no break: whole agents
    plan = solve_roster(s, only_short, tl, required, 1)
    return attach(s, plan)


def test_purposes_are_only_ever_appended():
    """The streams of a scenario that uses none of the later mechanisms stay as they were: the
    purposes before each new one keep their indexes."""
    assert PURPOSES[:12] == ("arrivals", "handling", "patience", "resolution", "followup_delay", "followup_calls",
                             "language", "routing", "identity", "transfer", "callback", "absence")
    assert len(set(PURPOSES)) == len(PURPOSES)


def test_absence_lowers_mean_on_phone_agents_by_p():
    """Mean on-phone agents per replication (the engine's own draws) is (1 - p) x the roster's,
    within a 99.9% interval of the binomial count."""
    p = 0.2
    s = _rostered(p)
    model = Model.from_scenario(s)
    rm = model.roster
    full = rm.agents_given(np.ones(len(rm.p_absent), bool))
    rostered = rm.rostered & (full > 0)
    total = full[rostered].sum()
    reps = 400
    ratios = []
    for i in range(reps):
        rep = Replication(model, np.random.SeedSequence([3, i]))
        ratios.append(rep.iv_agents[rostered].sum() / total)
    ratios = np.array(ratios)
    se = ratios.std(ddof=1) / np.sqrt(reps)
    assert abs(ratios.mean() - (1 - p)) < 3.3 * se
    assert se < 0.01  # narrow enough to tell p from 0.5 p
    # without absence every rostered agent is there, in every replication
    s0 = _rostered(0.0)
    m0 = Model.from_scenario(s0)
    rep = Replication(m0, np.random.SeedSequence(1))
    np.testing.assert_array_equal(rep.iv_agents, m0.timeline.iv_agents)


def test_direct_draws_match_p_per_person_day():
    p = 0.3
    rm = roster_model(_rostered(p))
    rng = np.random.default_rng(8)
    present = np.stack([rng.random(len(rm.p_absent)) >= rm.p_absent for _ in range(2000)])
    share = 1 - present.mean()
    n = present.size
    assert abs(share - p) < 4 * np.sqrt(p * (1 - p) / n)


def test_absence_leaves_the_other_streams_alone():
    """The first calls of a day are the same with and without absence (common random numbers):
    the absence draws come from their own stream."""
    a = Replication(Model.from_scenario(_rostered(0.0)), np.random.SeedSequence(4))
    b = Replication(Model.from_scenario(_rostered(0.5)), np.random.SeedSequence(4))
    assert not np.array_equal(a.iv_agents, b.iv_agents)
    a.run()
    b.run()
    assert a.times == b.times  # the last day's first-call arrival times


@pytest.mark.parametrize("p", [0.0, 0.1])
def test_a_solved_rosters_people_are_paid_their_contracts_with_or_without_absence_draws(p):
    """A roster's paid hours are its people's contracts (6 full-timers x the week's norm), whether
    absence is drawn or not: shrinkage.absence is for plans without a roster only (never both)."""
    from ska_sim.plan.people import working_time_norm_h
    from ska_sim.plan.roster import plan_roster

    d = small_roster([{"name": "p", "count": 6}], absence=p)
    d["shrinkage"]["absence"] = 0.06
    s = scenario_from_dict(d)
    rr = plan_roster(s, roster_shifts(), 1, replications=2, seed=3)
    expected = 6 * working_time_norm_h(rr.staffing.scenario)
    assert expected == 240  # an ordinary Monday-Friday week
    assert rr.staffing.fte["paid_hours"] == pytest.approx(expected)
    assert rr.staffing.fte["basis"] == "roster contracts" and rr.staffing.fte["heads"] == 6
    row = rr.staffing.comparison.set_index("plan").loc["roster"]
    assert row["paid_hours"] == pytest.approx(expected)
    rostered = sum(x.paid_h for x in rr.plan.worked() if x.date >= s.calendar.start)
    assert rr.staffing.fte["roster_worked_hours"] == pytest.approx(rostered)


def test_absence_shows_in_the_share_of_days_meeting_the_target():
    """Same callers, same roster: absent people make short days, and the share of days meeting
    the service-level target falls (a roster that meets it every day without absence)."""
    from ska_sim.sim.runner import simulate

    from helpers import solved_roster

    met = {}
    for p in (0.0, 0.3):
        s, _, plan = solved_roster(absence=p)
        r = simulate(attach(s, plan), replications=4, seed=3, workers=1)
        met[p] = r.targets.set_index("kpi").loc["service_level", "days_met_share"]
    assert met[0.0] == 1.0 and met[0.3] <= 0.9


def test_line_absence_and_cover_absence():
    """A line's own absence probability is drawn for its people; cover_absence plans the
    requirement / (1 - p) at work (more shifts)."""
    d = small_roster([{"name": "a", "count": 6, "absence_probability": 0.5}, {"name": "b", "count": 6}], absence=0.0)
    s = scenario_from_dict(d)
    tl = build_timeline(s)
    plan = solve_roster(s, roster_shifts(), tl, np.where(tl.iv_measured(), 4.0, 0.0), 1)
    rm = roster_model(attach(s, plan))
    lines = [x.line for x in plan.worked()]
    assert set(rm.p_absent[[ln == "a" for ln in lines]]) <= {0.5}
    assert set(rm.p_absent[[ln == "b" for ln in lines]]) <= {0.0}
    from ska_sim.scenario.roster_agents import draws_absence, mean_absence

    assert draws_absence(s) and mean_absence(s) == pytest.approx(0.25)
    d2 = small_roster([{"name": "p", "count": 10}], absence=0.2, cover_absence=True)
    from ska_sim.plan.roster import plan_roster

    plain = plan_roster(scenario_from_dict(small_roster([{"name": "p", "count": 10}], absence=0.2)), roster_shifts(), 1,
                        replications=1, seed=2)
    covered = plan_roster(scenario_from_dict(d2), roster_shifts(), 1, replications=1, seed=2)
    assert covered.plan.info["paid_hours"] > plain.plan.info["paid_hours"]
    req_plain, req_cov = plain.coverage["required_at_work"], covered.coverage["required_at_work"]
    assert (req_cov >= req_plain).all() and (req_cov > req_plain).any()
