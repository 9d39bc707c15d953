"""Written work blended between calls (``[[written]] blend = { reserve }``): a reserve of every
agent blends nothing (the calls are today's, both pools); the single and the routed pool agree
item by item; a threshold-blending case against a continuous-time Markov chain solved here;
conservation per day; the agents' busy time includes the written work."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from helpers import assert_counts_equal, mmc_dict, seed

from ska_sim import scenario_from_dict, simulate
from ska_sim.sim.engine import Model, Replication

H = 3600.0

def blended(reserve: int, **kw) -> dict:
    w = {"name": "letters", "daily_items": 150, "handling": {"dist": "exponential", "mean_s": 600},
         "deadline_days": 2, "blend": {"reserve": reserve}}
    w.update(kw)
    return w

def office(written=None, agents: int = 8) -> dict:
    d = mmc_dict(agents=agents, calls_per_hour=60, days=8, warmup_days=1, patience_s=300, replications=3,
                 redial={"probability": 0.3})
    if written is not None:
        d["written"] = written
    return d

def test_a_reserve_of_every_agent_blends_nothing_and_the_calls_are_todays():
    today = Model.from_scenario(scenario_from_dict(office()))
    m = Model.from_scenario(scenario_from_dict(office([blended(reserve=8)])))
    for routed in (False, True):
        for i in range(2):
            a = Replication(m, seed(i), routed=routed).run()
            b = Replication(today, seed(i), routed=routed).run()
            assert_counts_equal(a, b)
            np.testing.assert_array_equal(a.iv_busy_s, b.iv_busy_s)
            c = a.written.days["letters"]
            assert c["received"].sum() > 500 and c["done"].sum() == 0

@pytest.mark.parametrize("urgent", [None, {"days": 0, "agents": 2}])
def test_the_single_and_the_routed_pool_blend_alike(urgent):
    w = blended(reserve=2) if urgent is None else blended(reserve=4, daily_items=300, deadline_days=1, urgent=urgent)
    m = Model.from_scenario(scenario_from_dict(office([w])))
    for i in range(2):
        rep_a, rep_b = Replication(m, seed(i)), Replication(m, seed(i), routed=True)
        a, b = rep_a.run(), rep_b.run()
        assert_counts_equal(a, b)
        np.testing.assert_array_equal(rep_a.pool.blend.result(0)[1], rep_b.pool.blend.result(0)[1])
        assert np.isfinite(rep_a.pool.blend.result(0)[1]).sum() > 500

def test_blending_makes_the_calls_wait_longer_and_the_agents_busier():
    plain = simulate(scenario_from_dict(office()))
    mixed = simulate(scenario_from_dict(office([blended(reserve=1)])))
    p, q = plain.summary.set_index("kpi"), mixed.summary.set_index("kpi")
    assert q.loc["asa_s", "mean"] > p.loc["asa_s", "mean"]
    # the written hours are busy hours: occupancy rises by about them over the agents' hours
    hours = q.loc["written_hours_blended", "mean"]
    agent_h = mixed.days["agent_hours"].sum()
    assert hours > 100
    gained = q.loc["occupancy", "mean"] - p.loc["occupancy", "mean"]
    assert abs(gained - hours / agent_h) < 0.03

def test_received_is_done_plus_the_backlog_change_each_day():
    m = Model.from_scenario(scenario_from_dict(office([blended(reserve=2, backlog_at_start=40, daily_items=400)])))
    c = Replication(m, seed(5)).run().written.days["letters"]
    before = np.concatenate([[40.0], c["backlog"][:-1]])
    np.testing.assert_array_equal(c["received"], c["done"] + c["backlog"] - before)
    assert c["hours"].sum() == 0 and c["hours_blended"].sum() > 0

def ctmc(c: int, lam: float, mu: float, nu: float, mw: float, r: int, n_calls: int = 45, n_items: int = 160,
         urgent: bool = False):
    """Stationary (E calls waiting, E items waiting or in hand, E agents busy) of the threshold
    policy: calls (Poisson lam, exp mu, no abandonment) take any free agent; an item (Poisson nu,
    exp mw) is taken only when no call waits and r other agents stay free; never interrupted.
    With ``urgent`` every item is urgent and any agent may take it: a freed agent takes a waiting
    item before a waiting call, an item arriving takes any free agent (non-preemptive priority).
    State (i calls in the system, w agents on items, q items waiting)."""
    states = [(i, w, q) for i in range(n_calls + 1) for w in range(c + 1) for q in range(n_items + 1)]
    index = {s: k for k, s in enumerate(states)}
    rows, cols, rates = [], [], []

    def add(a, b, rate):
        if rate > 0 and b in index:
            rows.append(index[a])
            cols.append(index[b])
            rates.append(rate)

    for s in states:
        i, w, q = s
        on_calls = min(i, c - w)
        free = c - w - on_calls
        waiting = i - on_calls
        add(s, (i + 1, w, q), lam)
        if on_calls:
            if urgent and q:
                nxt = (i - 1, w + 1, q - 1)
            elif waiting:
                nxt = (i - 1, w, q)
            elif q and free + 1 - 1 >= r:
                nxt = (i - 1, w + 1, q - 1)
            else:
                nxt = (i - 1, w, q)
            add(s, nxt, on_calls * mu)
        if w:
            if urgent and q:
                nxt = (i, w, q - 1)
            elif waiting:
                nxt = (i, w - 1, q)
            elif q and free + 1 - 1 >= r:
                nxt = (i, w, q - 1)
            else:
                nxt = (i, w - 1, q)
            add(s, nxt, w * mw)
        if urgent:
            add(s, (i, w + 1, q) if free >= 1 else (i, w, q + 1), nu)
        else:
            add(s, (i, w + 1, q) if not waiting and free - 1 >= r else (i, w, q + 1), nu)
    n = len(states)
    Q = sp.csr_matrix((rates, (rows, cols)), shape=(n, n))
    Q = Q - sp.diags(np.asarray(Q.sum(axis=1)).ravel())
    A = Q.T.tolil()
    A[0, :] = 1.0  # one balance equation replaced by the normalisation
    b = np.zeros(n)
    b[0] = 1.0
    pi = spla.spsolve(A.tocsc(), b)
    arr = np.array(states)
    on_calls = np.minimum(arr[:, 0], c - arr[:, 1])
    assert pi[(arr[:, 0] == n_calls) | (arr[:, 2] == n_items)].sum() < 1e-6  # truncation
    return (pi @ (arr[:, 0] - on_calls), pi @ (arr[:, 1] + arr[:, 2]), pi @ (on_calls + arr[:, 1]))

def test_threshold_blending_matches_its_markov_chain():
    # 3 agents, calls 1.5 Erlang (18/h, exponential 300 s), items 0.6 Erlang (86.4 a day, 10 min),
    # reserve 1: an item is taken only with another agent free; around the clock
    c, lam, mu, nu, mw, r = 3, 18 / H, 1 / 300, 86.4 / 86400, 1 / 600, 1
    calls_waiting, items, busy = ctmc(c, lam, mu, nu, mw, r)
    d = mmc_dict(agents=c, calls_per_hour=18, days=60, warmup_days=2, replications=10, seed=3)
    d["written"] = [{"name": "letters", "daily_items": 86.4, "handling": {"dist": "exponential", "mean_s": 600},
                     "deadline_days": 30, "deadline_kind": "calendar", "blend": {"reserve": r}}]
    per = simulate(scenario_from_dict(d)).per_replication
    close(per, lam, nu, c, (calls_waiting, items, busy))
    # and blending at r = 0 differs from r = 1 in the chain by more than the tolerance
    assert abs(ctmc(c, lam, mu, nu, mw, 0)[0] / lam - calls_waiting / lam) > 2.0


def close(per, lam: float, nu: float, c: int, chain) -> None:
    """The simulated replications agree with the chain's (E calls waiting, E items, E busy) by
    Little's law: mean wait, mean age at completion, occupancy (3 standard errors + a slack)."""
    calls_waiting, items, busy = chain
    for values, expected, slack in ((per["asa_s"], calls_waiting / lam, 0.5),
                                    (per["written_age_mean_h"], items / nu / H, 0.01),
                                    (per["occupancy"], busy / c, 0.003)):
        values = np.asarray(values, float)
        se = values.std(ddof=1) / np.sqrt(len(values))
        assert abs(values.mean() - expected) < 3 * se + slack, (values.mean(), expected, se)


def test_urgent_items_before_calls_by_every_agent_match_their_markov_chain():
    # every item urgent from its arrival (due by the end of the next day, urgent within 1 day) and
    # all 3 agents may take them: items have (non-preemptive) priority over the calls
    c, lam, mu, nu, mw = 3, 18 / H, 1 / 300, 86.4 / 86400, 1 / 600
    chain = ctmc(c, lam, mu, nu, mw, 2, n_calls=80, n_items=60, urgent=True)
    d = mmc_dict(agents=c, calls_per_hour=18, days=60, warmup_days=2, replications=10, seed=3)
    d["written"] = [{"name": "letters", "daily_items": 86.4, "handling": {"dist": "exponential", "mean_s": 600},
                     "deadline_days": 1, "deadline_kind": "calendar", "blend": {"reserve": 2},
                     "urgent": {"days": 1, "agents": c}}]
    close(simulate(scenario_from_dict(d)).per_replication, lam, nu, c, chain)
    # and the priority moves the calls' wait by more than the tolerance (against blending with reserve 1)
    assert ctmc(c, lam, mu, nu, mw, 1)[0] / lam + 2.0 < chain[0] / lam


def test_urgent_raises_the_share_on_time_and_lowers_the_calls_service_level():
    # loaded: 8 agents, 60 calls an hour (5 Erlang), 300 letters a day (50 h) due the next day and
    # blended only with 4 others free: about a quarter on time; urgent on their last day, by 3 agents
    def run(urgent):
        w = blended(reserve=4, daily_items=300, deadline_days=1, deadline_kind="calendar")
        if urgent:
            w["urgent"] = {"days": 0, "agents": 3}
        d = office([w])
        d["simulation"]["replications"] = 6
        return simulate(scenario_from_dict(d)).per_replication

    plain, urgent = run(False), run(True)
    for kpi, sign in (("written_on_time", 1), ("service_level", -1)):
        diff = sign * (np.asarray(urgent[kpi], float) - np.asarray(plain[kpi], float))  # same seeds: paired
        assert diff.mean() > 3 * diff.std(ddof=1) / np.sqrt(len(diff)) and diff.mean() > 0.02, (kpi, diff)


def two_groups(written=None) -> dict:
    d = office(written)
    d.pop("staffing")
    d["groups"] = [{"name": "ga", "agents": {"default": [4] * 24}}, {"name": "gb", "agents": {"default": [5] * 24}}]
    return d


def test_urgent_items_of_a_named_group_take_its_agents_before_its_calls():
    # letters due the next day, blended by gb only with all 5 gb agents free (rarely): mostly the
    # urgent rule (on the day due, up to 2 of gb's agents) takes them, and only gb's agents
    urgent = {"days": 0, "agents": 2}
    m = Model.from_scenario(scenario_from_dict(two_groups([blended(reserve=4, deadline_days=1, deadline_kind="calendar",
                                                                   blend={"group": "gb", "reserve": 4}, urgent=urgent)])))
    today = Model.from_scenario(scenario_from_dict(two_groups()))
    a, b = Replication(m, seed(1)).run(), Replication(today, seed(1)).run()
    hours = a.written.days["letters"]["hours_blended"].sum()
    assert a.written.days["letters"]["done"].sum() > 500 and hours > 50
    extra = a.groups.busy_s - b.groups.busy_s
    assert extra[1] > 0.5 * hours * 3600 and abs(extra[0]) < 0.2 * hours * 3600


def test_a_named_group_blends_on_the_routed_pool():
    today = Model.from_scenario(scenario_from_dict(two_groups()))
    none = Model.from_scenario(scenario_from_dict(two_groups([blended(reserve=5, blend={"group": "gb", "reserve": 5})])))
    some = Model.from_scenario(scenario_from_dict(two_groups([blended(reserve=1, blend={"group": "gb", "reserve": 1})])))
    assert not today.single_pool()
    a, b = Replication(none, seed(1)).run(), Replication(today, seed(1)).run()
    assert_counts_equal(a, b)  # a reserve of all gb's agents: today's calls
    c = Replication(some, seed(1)).run()
    assert c.written.days["letters"]["done"].sum() > 300
    # the written hours are gb's busy time, not ga's
    extra = c.groups.busy_s - b.groups.busy_s
    assert extra[1] > 0.5 * c.written.days["letters"]["hours_blended"].sum() * 3600


def test_identity_failures_written_requests_join_a_blended_kind():
    d = office([blended(reserve=1, daily_items=0, from_identity_failures=True)])
    d["calendar"]["warmup_days"] = 0
    d["call_types"][0]["identity_check"] = {"probability": 1.0, "extra": {"dist": "deterministic", "mean_s": 30},
                                            "fails": 0.2}
    res = simulate(scenario_from_dict(d))
    w = res.summary.set_index("kpi")
    assert w.loc["written_requests", "mean"] > 100
    assert w.loc["written_received", "mean"] == w.loc["written_requests", "mean"]
    assert w.loc["written_done", "mean"] > 0.9 * w.loc["written_received", "mean"]
    # each arrives when its call is answered: ages from then; all of them counted per day
    m = Model.from_scenario(scenario_from_dict(d))
    rep = Replication(m, seed(2))
    rc = rep.run()
    (t, h, due), done = rep.pool.blend.result(0)
    assert len(t) == rc.counts["written_requests"].sum() and (np.diff(t) >= 0).all()
    assert (done[np.isfinite(done)] - h[np.isfinite(done)] >= t[np.isfinite(done)] - 1e-9).all()
