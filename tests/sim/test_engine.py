"""Invariants of the engine: conservation, determinism, common random numbers, staffing changes."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import mmc_dict
from ska_sim import scenario_from_dict, simulate
from ska_sim.sim.engine import Model
from ska_sim.sim.replication import Groups, replication_kpis
from helpers import office_day




def interval_kpis(s, seed=11, index=0):
    model = Model.from_scenario(s)
    return replication_kpis(model, Groups.of(model), seed, index)


def test_offered_equals_answered_plus_abandoned_plus_unanswered_in_every_interval():
    for drop in (False, True):
        s = office_day([3, 5, 4, 2], calls=250, patience=120, redial=0.6, repeat=0.5, drop=drop, days=5)
        k = interval_kpis(s)["interval"]
        total = k["answered"] + k["abandoned"] + k["unanswered_at_close"]
        np.testing.assert_array_equal(k["offered"], total)
        assert k["offered"].sum() > 1000
        assert k["abandoned"].sum() > 0 and k["answered"].sum() > 0
        if drop:
            assert k["unanswered_at_close"].sum() > 0
            # only the last interval of a day can leave calls unanswered at close
            assert k["unanswered_at_close"].reshape(-1, 4)[:, :3].sum() == 0
        else:
            assert k["unanswered_at_close"].sum() == 0


def test_calls_queued_when_nobody_is_on_duty_at_closing_are_unanswered_at_close():
    # serve mode, infinite patience, but no agent in the last interval: nobody clears the queue
    s = office_day([2, 2, 2, 0], calls=150, days=3)
    k = interval_kpis(s)["interval"]
    np.testing.assert_array_equal(k["offered"], k["answered"] + k["abandoned"] + k["unanswered_at_close"])
    assert k["unanswered_at_close"].reshape(-1, 4)[:, 3].sum() > 0


def test_same_seed_gives_identical_results_and_other_seeds_differ():
    s = office_day([3, 4, 4, 3], calls=200, patience=200, redial=0.5, repeat=0.6)
    a = simulate(s, replications=3, seed=5)
    b = simulate(s, replications=3, seed=5)
    c = simulate(s, replications=3, seed=6)
    assert a.to_json() == b.to_json()
    assert a.to_json() != c.to_json()


def test_results_do_not_depend_on_the_number_of_workers():
    s = office_day([3, 4, 4, 3], calls=200, patience=200, redial=0.5, repeat=0.6)
    one = simulate(s, replications=4, seed=9, workers=1)
    two = simulate(s, replications=4, seed=9, workers=2)
    assert one.to_json() == two.to_json()


def test_staffing_changes_first_callers_not_at_all_under_common_random_numbers():
    # the first calls (arrivals and their attributes) are the same whatever the staffing
    few = interval_kpis(office_day([1, 1, 1, 1], calls=200, patience=100))
    many = interval_kpis(office_day([9, 9, 9, 9], calls=200, patience=100))
    # without redials or repeats every offered call is a first call
    np.testing.assert_array_equal(few["interval"]["offered"], many["interval"]["offered"])
    assert few["window"]["service_level"][0] < many["window"]["service_level"][0]


@settings(max_examples=25, deadline=None)
@given(
    agents=st.lists(st.integers(0, 6), min_size=4, max_size=4),
    extra_at=st.integers(0, 3),
    calls=st.integers(20, 250),
    aht=st.floats(60, 900),
    cv=st.floats(0.2, 2.0),
    seed=st.integers(0, 2**31),
)
def test_more_agents_never_lower_service_level(agents, extra_at, calls, aht, cv, seed):
    # Infinite patience, no follow-ups, queue cut off at closing: FCFS waits are then pathwise
    # monotone in agents. (With "serve", an extra agent in the last interval can clear a long
    # queue through the night into the next morning and delay its callers: not monotone.)
    more = list(agents)
    more[extra_at] += 1
    base = interval_kpis(office_day(agents, calls=calls, aht_s=aht, cv=cv, days=2, drop=True), seed=seed)["window"]
    plus = interval_kpis(office_day(more, calls=calls, aht_s=aht, cv=cv, days=2, drop=True), seed=seed)["window"]
    assert plus["offered"][0] == base["offered"][0]
    assert plus["service_level"][0] >= base["service_level"][0] - 1e-12
    if base["answered"][0] == plus["answered"][0] > 0:
        assert plus["asa_s"][0] <= base["asa_s"][0] + 1e-9


def test_agent_going_off_duty_finishes_the_call_and_nobody_is_answered_after():
    # one agent 00:00-01:00, none after; deterministic 1,000 s calls; queue cut off at 02:00
    d = mmc_dict(agents=0, calls_per_hour=6, aht_s=1000, days=4, warmup_days=0, replications=1)
    d["call_types"][0]["talk"] = {"dist": "deterministic", "mean_s": 1000}
    d["calendar"]["hours"] = {w: ["00:00", "02:00"] for w in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    d["arrivals"]["profile"] = [0.5, 0.5]
    d["staffing"]["agents"] = {"default": [1, 0]}
    d["simulation"]["queued_at_close"] = "drop"
    k = interval_kpis(scenario_from_dict(d), seed=1)["interval"]
    first, second = k["answered"][0::2], k["answered"][1::2]
    assert second.sum() == 0  # nobody arriving after the agent left is answered
    assert first.sum() > 0
    # at most 4 calls fit in an hour (and one more started before the end of the hour)
    assert (first <= 4).all()
    assert (k["offered"] == k["answered"] + k["unanswered_at_close"]).all()
    # the agent on duty in the first hour works past 01:00 to finish: busy time shows in hour two
    assert np.nanmax(k["occupancy"][1::2]) == 1.0


def test_deterministic_service_and_ample_agents_answer_everyone_at_once():
    d = mmc_dict(agents=50, calls_per_hour=30, aht_s=120, days=2, replications=2)
    d["call_types"][0]["talk"] = {"dist": "deterministic", "mean_s": 120}
    r = simulate(scenario_from_dict(d))
    assert r.kpi("service_level") == 1.0
    assert r.kpi("asa_s") == 0.0
    assert r.kpi("wait_p95_s") == 0.0
    # occupancy = load / agents = 30 x 120 / 3600 / 50
    assert abs(r.kpi("occupancy") - 0.02) < 0.002


def test_a_window_with_weekends_and_holidays_reports_open_days_only():
    d = mmc_dict(agents=5, calls_per_hour=20, days=9, warmup_days=2, replications=2)
    d["calendar"]["hours"] = {w: ["09:00", "12:00"] for w in ("mon", "tue", "wed", "thu", "fri")}
    d["calendar"]["closed"] = ["2026-03-04"]
    d["arrivals"]["profile"] = [0.3, 0.4, 0.3]
    d["staffing"]["agents"] = {"default": [5, 5, 5]}
    r = simulate(scenario_from_dict(d))
    # 2026-03-02..10: nine days, of which Sat, Sun and the closed Wednesday are not open
    assert list(r.days["date"]) == ["2026-03-02", "2026-03-03", "2026-03-05", "2026-03-06", "2026-03-09", "2026-03-10"]
    assert (r.days["occupancy"] > 0).all()
    assert len(r.intervals) == 6 * 3


@settings(max_examples=40, deadline=None)
@given(
    agents=st.lists(st.integers(0, 5), min_size=4, max_size=4),
    calls=st.integers(5, 300),
    patience=st.one_of(st.none(), st.floats(5, 900)),
    redial=st.floats(0, 1),
    repeat=st.floats(0, 1),
    drop=st.booleans(),
    seed=st.integers(0, 2**31),
)
def test_calls_are_conserved_and_agents_never_busier_than_on_duty(agents, calls, patience, redial, repeat, drop, seed):
    s = office_day(agents, calls=calls, patience=patience, redial=redial, repeat=repeat, drop=drop, days=3)
    model = Model.from_scenario(s)
    from ska_sim.sim.engine import Replication

    rep = Replication(model, np.random.SeedSequence(seed))
    rc = rep.run()
    c = {k: v.sum(axis=1) for k, v in rc.counts.items()}
    np.testing.assert_array_equal(c["offered"], c["answered"] + c["abandoned"] + c["unanswered_at_close"])
    np.testing.assert_array_equal(c["offered"], c["offered_first"] + c["offered_redial"] + c["offered_repeat"])
    assert (rc.iv_busy_s <= rc.iv_on_duty_s + 1e-6).all()
    assert rep.pool.staffed == 0 and not rep.pool.busy_ends  # everybody went home at the end
