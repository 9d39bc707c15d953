"""Transfers, callbacks and virtual hold on the routed pool (scenarios with agent groups),
against known answers (ISSUE-NOTES, "Known-answer tests"):

- transfers to a separate exponential group: group 1 M/M/c without abandonment or ACW
  (its departures are Poisson, Burke), group 2 without patience, long days -> group 2 is
  Erlang C at the transferred rate (inside a 99.9% interval over replications);
- a transferred call is offered and answered once on the line: with no repeat calls the
  inbound counts equal those of the same scenario without the transfer, under the same seed;
- callbacks placed by a separate group leave every inbound count exactly unchanged under the
  same seed, and that group's busy time is the sum of the callback handle times;
- virtual hold: accepted callers are offered, neither answered nor abandoned inbound, and
  offered = answered + abandoned + unanswered_at_close + blocked + virtual_hold_accepted in
  every interval and cell.
"""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest

from helpers import assert_counts_equal, ci, mmc_dict
from ska_sim import scenario_from_dict
from ska_sim.sim.engine import PURPOSES, Model, simulate_replication
from ska_sim.sim.kpi import FIRST
from ska_sim.maths.erlang import erlang_c_result
from ska_sim.sim.results import extra_kpis
from ska_sim.sim.replication import Groups, replication_kpis
from ska_sim.base.errors import ScenarioError
from helpers import as_one_group, baseline_dict
from helpers import callback_dicts, two_groups, vh_dict

EXP = {"dist": "exponential", "mean_s": 300}
# the inbound counts, without those of transfers, callbacks and virtual hold: what "every inbound KPI" is made of
INBOUND = ("offered", "offered_first", "offered_redial", "offered_repeat", "answered", "answered_within_t",
           "abandoned", "unanswered_at_close", "wait_sum_s", "wait_total_s", "first_contacts", "resolved_first",
           "repeat_contacts", "blocked", "written_requests")


def seeds(n: int, base: int = 11):
    return [np.random.SeedSequence(base, spawn_key=(i,)) for i in range(n)]


def run(d: dict, n: int = 1, base: int = 11):
    model = Model.from_scenario(scenario_from_dict(d))
    return [simulate_replication(model, q) for q in seeds(n, base)]


def assert_inbound_equal(a, b) -> None:
    assert_counts_equal(a, b, fields=INBOUND)




# --------------------------------------------------------------------------- scenario keys
def test_unused_keys_leave_the_scenario_and_its_digest_alone():
    d = mmc_dict()
    s = scenario_from_dict(d)
    assert not s.uses_groups() and not s.uses_transfers() and not s.uses_callbacks()
    out = s.to_dict()
    assert "callbacks" not in out
    assert all("callback_share" not in ct and "transfer" not in ct for ct in out["call_types"])
    assert extra_kpis(s) == ()
    assert PURPOSES[:9] == ("arrivals", "handling", "patience", "resolution", "followup_delay", "followup_calls",
                            "language", "routing", "identity")  # the new purposes come after
    t = scenario_from_dict(two_groups())
    assert t.uses_groups() and t.uses_transfers() and t.digest() != s.digest()
    assert "transfer_wait_s" in extra_kpis(t) and "callbacks_made" not in extra_kpis(t)


@pytest.mark.parametrize(
    "change, where, words",
    [
        (lambda d: d["call_types"][0]["transfer"].update(to="nobody"), "call_types[0].transfer.to", "unknown group 'nobody'"),
        (lambda d: d["call_types"][0]["transfer"].pop("talk"), "call_types[0].transfer.talk", "missing"),
        (lambda d: d["call_types"][0].update(callback_share=0.3), "call_types[0].callback_share", "needs [callbacks]"),
        (lambda d: d.update(callbacks={"group": "ghosts"}), "callbacks.group", "unknown group 'ghosts'"),
        (lambda d: d["call_types"][0]["transfer"].update(share=1.5), "call_types[0].transfer.share", "less than or equal to 1 (got 1.5)"),
        (lambda d: d.update(callbacks={"group": "back", "virtual_hold": {"offer_after_s": -1, "accept": 0.5}}),
         "callbacks.virtual_hold.offer_after_s", "greater than or equal to 0"),
    ],
)
def test_bad_transfer_and_callback_keys_name_the_key(change, where, words):
    d = two_groups()
    change(d)
    with pytest.raises(ScenarioError) as e:
        scenario_from_dict(d)
    text = str(e.value)
    assert f"{where}: " in text and words in text, text
    assert len(text.splitlines()) == 1, text  # one clear message


def test_a_transfer_out_needs_no_groups_and_callbacks_need_one():
    d = mmc_dict()
    d["call_types"][0]["transfer"] = {"share": 0.2, "to": "out", "resolved": 0.5}
    assert scenario_from_dict(d).uses_groups()
    d["callbacks"] = {"group": "all"}
    with pytest.raises(ScenarioError, match=r"callbacks.group: unknown group 'all' \(no \[\[groups\]\] given\)"):
        scenario_from_dict(d)


# --------------------------------------------------------------------------- transfers
def test_transferred_calls_queue_at_the_second_group_as_erlang_c_at_the_transferred_rate():
    # group 1: M/M/10 at 96/h, 300 s (8 Erlang), no abandonment, no ACW: departures Poisson 96/h;
    # half are transferred: group 2 is M/M/6 at 48/h, 300 s (4 Erlang), no patience
    reps = run(two_groups(days=10), n=8)
    theory = erlang_c_result(6, 48 / 3600, 300, 20)
    sl = [rc.groups.counts["answered_within_t"][:, 1].sum() / rc.groups.counts["answered"][:, 1].sum() for rc in reps]
    asa = [rc.counts["transfer_wait_sum_s"].sum() / rc.counts["transfers_answered"].sum() for rc in reps]
    for what, values, want, widest in (("service level", sl, theory.service_level, 0.03), ("ASA", asa, theory.asa_s, 10.0)):
        mean, half = ci(values)
        assert half < widest, f"{what}: interval too wide (+/- {half:.4f})"
        assert abs(mean - want) <= half, f"group 2 {what}: simulated {mean:.4f} +/- {half:.4f} (99.9%), Erlang C {want:.4f}"
    for rc in reps:
        transfers, answered = rc.counts["transfers"].sum(), rc.counts["answered"].sum()
        assert abs(transfers / answered - 0.5) < 4 * math.sqrt(0.25 / answered)
        # every transferred caller reaches the second agent, but those handed over after the
        # last closing when no agent of group 2 is still at work (the end of the simulated days)
        lost = rc.counts["transfer_abandoned"].sum(axis=1)
        assert lost[:-1].sum() == 0 and lost[-1] <= 10
        assert transfers - rc.counts["transfers_answered"].sum() == lost.sum()
        # group 2's busy time: its second legs (occupancy about 4/6)
        occ = rc.groups.busy_s[1] / rc.groups.on_duty_s[1]
        assert abs(occ - 4 / 6) < 0.03


def test_a_transfer_is_offered_and_answered_once_on_the_line():
    # with no repeat calls, transferring changes none of the inbound counts but FCR's
    # resolved_first (the transfer's resolution replaces the first leg's)
    d = two_groups(front=9, back=2, days=3, patience_s=200, redial={"probability": 0.5})
    d["call_types"][0]["resolved"] = 0.6
    d["call_types"][0]["transfer"]["resolved"] = 0.3
    none = copy.deepcopy(d)
    none["call_types"][0]["transfer"]["share"] = 0.0
    for a, b in zip(run(d, 2), run(none, 2)):
        assert a.counts["transfers"].sum() > 500 and b.counts["transfers"].sum() == 0
        assert a.counts["transfer_abandoned"].sum() > 10  # 2 agents behind, callers hang up
        fields = [k for k in INBOUND if k != "resolved_first"]
        for k in fields:
            np.testing.assert_allclose(a.counts[k], b.counts[k], rtol=1e-12, err_msg=k)
        assert a.counts["resolved_first"].sum() < b.counts["resolved_first"].sum()
        # front's group counts unchanged; back's are the second legs only
        np.testing.assert_array_equal(a.groups.counts["answered"][:, 0], b.groups.counts["answered"][:, 0])
        np.testing.assert_array_equal(a.groups.counts["answered"][:, 1], a.counts["transfers_answered"].sum(axis=1))


@pytest.mark.parametrize("resolved", [0.0, 1.0])
def test_a_transfer_out_resolves_with_its_own_probability(resolved):
    d = mmc_dict(agents=9, days=2)
    d["call_types"][0]["resolved"] = 1.0 - resolved  # the first leg's resolution does not count
    d["call_types"][0]["transfer"] = {"share": 1.0, "to": "out", "resolved": resolved}
    (rc,) = run(d)
    c = rc.counts
    assert c["transfers"].sum() == c["answered"].sum() > 1000
    assert c["resolved_first"].sum() == resolved * c["first_contacts"].sum()
    assert c["transfers_answered"].sum() == 0 and rc.groups.busy_s[0] == pytest.approx(rc.day_busy_s.sum(), rel=1e-12)


def test_callers_nobody_takes_after_a_transfer_count_as_transfer_abandoned():
    d = two_groups(front=9, back=0, days=2, patience_s=120)
    (rc,) = run(d)
    c = rc.counts
    assert c["transfers"].sum() > 500
    np.testing.assert_array_equal(c["transfer_abandoned"], c["transfers"])  # hung up, or cut off at closing
    assert c["transfers_answered"].sum() == 0


# --------------------------------------------------------------------------- callbacks


@pytest.mark.parametrize("priority", [True, False])
def test_callbacks_by_a_separate_group_leave_every_inbound_kpi_unchanged(priority):
    base, with_cb = callback_dicts(priority=priority)
    for a, b in zip(run(base, 2), run(with_cb, 2)):
        assert_inbound_equal(a, b)
        np.testing.assert_array_equal(a.groups.counts["answered"][:, 0], b.groups.counts["answered"][:, 0])
        np.testing.assert_array_equal(a.groups.iv_busy_s[:, 0], b.groups.iv_busy_s[:, 0])
        np.testing.assert_array_equal(a.groups.iv_on_duty_s[:, 0], b.groups.iv_on_duty_s[:, 0])
        c = b.counts
        made, promised = c["callbacks_made"].sum(), c["callbacks_promised"].sum()
        assert made > 200 and c["callbacks_late"].sum() >= promised - made > 0  # some due after the last day
        # the callback team's busy time is exactly the callbacks' handle times; they count in occupancy
        assert b.groups.busy_s[1] == pytest.approx(c["callback_busy_s"].sum(), rel=1e-12)
        assert b.iv_busy_s.sum() == pytest.approx(a.iv_busy_s.sum() + b.groups.iv_busy_s[:, 1].sum(), rel=1e-12)
        assert b.groups.counts["answered"][:, 1].sum() == 0  # callbacks are no inbound answers
        # their handle times are the [callbacks] distribution's (lognormal, mean 300 s, cv 0.8)
        mean = c["callback_busy_s"].sum() / made
        assert abs(mean - 300) < 4 * 300 * 0.8 / math.sqrt(made)
        assert c["callbacks_promised"].sum() == pytest.approx(0.4 * (c["first_contacts"].sum() - c["resolved_first"].sum()),
                                                             rel=4 / math.sqrt(promised))


def test_a_callback_replaces_the_repeat_call():
    base, with_cb = callback_dicts()
    for d in (base, with_cb):
        d["repeat"]["probability"] = 1.0
    with_cb["callbacks"]["resolved"] = 1.0  # every callback resolves: no repeat call after it
    a, b = run(base)[0], run(with_cb)[0]
    assert b.counts["callbacks_made"].sum() > 200
    assert b.counts["offered_repeat"].sum() < 0.8 * a.counts["offered_repeat"].sum()


def test_late_callbacks_when_the_team_cannot_keep_up():
    _, with_cb = callback_dicts(due_within_s=600)
    with_cb["groups"][1]["agents"] = {"default": [1] * 16}
    (rc,) = run(with_cb)
    c = rc.counts
    late, made = c["callbacks_late"].sum(), c["callbacks_made"].sum()
    assert late > 0.5 * c["callbacks_promised"].sum() and made > 0
    occ = rc.groups.busy_s[1] / rc.groups.on_duty_s[1]
    assert occ > 0.9  # one agent working through the backlog


# --------------------------------------------------------------------------- virtual hold


def test_virtual_hold_callers_are_offered_and_neither_answered_nor_abandoned():
    for rc in run(vh_dict(), 2):
        c = rc.counts
        assert c["virtual_hold_accepted"].sum() > 100 and c["blocked"].sum() > 0
        rest = c["answered"] + c["abandoned"] + c["unanswered_at_close"] + c["blocked"] + c["virtual_hold_accepted"]
        np.testing.assert_array_equal(c["offered"], rest)  # every interval and cell
        assert 0 < c["vh_callbacks_made"].sum() <= c["virtual_hold_accepted"].sum()
        k = replication_kpis(Model.from_scenario(scenario_from_dict(vh_dict())), Groups.of(
            Model.from_scenario(scenario_from_dict(vh_dict()))), 11, 0)["window"]
        assert k["served_incl_callbacks"][0] > k["answer_rate"][0]


def test_virtual_hold_never_offered_changes_nothing_and_always_accepted_leaves_no_wait():
    plain = copy.deepcopy(vh_dict())
    del plain["callbacks"]
    for a, b in zip(run(plain, 2), run(vh_dict(offer_after_s=1e9), 2)):
        assert_inbound_equal(a, b)
        assert b.counts["virtual_hold_accepted"].sum() == 0
    # everyone who would wait takes a callback: no inbound caller waits or hangs up
    (rc,) = run(vh_dict(offer_after_s=0, accept=1.0, lines=None))
    c = rc.counts
    assert c["virtual_hold_accepted"].sum() > 500
    assert c["wait_total_s"].sum() == 0 and c["abandoned"].sum() == 0
    np.testing.assert_array_equal(c["answered_within_t"], c["answered"])


# --------------------------------------------------------------------------- outputs
def test_the_new_kpis_reach_the_summary_and_the_terminal_only_when_used():
    from ska_sim import simulate
    from ska_sim.report.text import kpi_table

    d = vh_dict(lines=None)
    d["calendar"]["days"], d["calendar"]["warmup_days"] = 1, 0
    d["call_types"][0]["transfer"] = {"share": 0.2, "to": "out", "resolved": 0.5}
    for ct in d["call_types"]:
        ct["callback_share"] = 0.3
    res = simulate(scenario_from_dict(d), replications=2, seed=3, workers=1)
    s = res.summary.set_index("kpi")
    new = ("transfers", "transfer_abandoned", "transfer_wait_s", "callbacks_promised", "callbacks_made",
           "callbacks_late", "callback_hours", "virtual_hold_accepted", "served_incl_callbacks")
    assert all(k in s.index for k in new)
    assert s.loc["served_incl_callbacks", "unit"] == "share" and s.loc["callback_hours", "unit"] == "h"
    assert s.loc["served_incl_callbacks", "mean"] >= s.loc["answer_rate", "mean"]
    text = kpi_table(res)
    assert "callbacks made" in text and "served, including callbacks" in text
    plain = simulate(scenario_from_dict(baseline_dict(days=1)), replications=2, seed=3, workers=1)
    assert not any(k in plain.summary["kpi"].tolist() for k in new)
    assert "callbacks" not in kpi_table(plain)


def test_due_callbacks_go_before_waiting_calls_only_with_priority():
    # the inbound group places the callbacks itself: with priority its inbound callers wait longer,
    # replication by replication (the same callers in both: common random numbers)
    base = baseline_dict(days=3)
    base["repeat"]["probability"] = 0.0
    d = as_one_group(base)
    for ct in d["call_types"]:
        ct["callback_share"] = 0.5
    asa = {}
    for priority in (True, False):
        d["callbacks"] = {"group": "everyone", "delay": {"dist": "exponential", "mean_s": 1800}, "priority": priority}
        reps = run(d, 6)
        asa[priority] = np.array([rc.counts["wait_sum_s"].sum() / rc.counts["answered"].sum() for rc in reps])
        assert all(rc.counts["callbacks_made"].sum() > 300 for rc in reps)
    longer = asa[True] - asa[False]
    # a sign test on the paired replications: without an effect each is longer with probability
    # 1/2, so all 6 longer has probability 2^-6 = 1.6% (0.2 s to 3.7 s longer with these seeds)
    assert (longer > 0).all(), longer


def small_callbacks() -> dict:
    """Three agents at 60 calls an hour (2-minute talks), half the unresolved calls promised a
    callback after 5 minutes on average, placed by a team of one."""
    d = mmc_dict(agents=3, calls_per_hour=60, aht_s=120, days=3, patience_s=300)
    del d["staffing"]
    d["groups"] = [{"name": "front", "agents": {"default": [3] * 24}},
                   {"name": "callback_team", "call_types": [], "agents": {"default": [1] * 24}}]
    d["call_types"][0].update(resolved=0.5, callback_share=0.5)
    d["callbacks"] = {"group": "callback_team", "delay": {"dist": "exponential", "mean_s": 300}}
    return d


def short_repeats() -> dict:
    d = two_groups()
    d["call_types"][0]["resolved"] = 0.3
    d["repeat"] = {"probability": 1.0, "delay": {"dist": "exponential", "mean_s": 60}}
    return d


@pytest.mark.parametrize("make", [two_groups, small_callbacks, short_repeats])
def test_handovers_callbacks_and_follow_ups_never_start_before_the_pools_replay(monkeypatch, make):
    """The arrivals driver lets calls arrive (and the pool replay its agents' call ends) ahead of
    the clock; a handover, a callback falling due or a redial/repeat call decided in that replay
    may be due before the time the pool has already replayed to. It then starts at that time,
    never before it (an agent idle by then may have been busy at its own time: a group would work
    more calls than it has agents) and never before the clock (no event in the past)."""
    from ska_sim.sim.engine.followups import CallbackPart, TransferPart
    from ska_sim.sim.engine.loop import Clock
    from ska_sim.sim.engine.routed import RoutedPool

    acted: list[str] = []
    early: list[tuple[str, float]] = []

    def watch(cls, name, time_of):
        original = getattr(cls, name)

        def watched(self, *args):
            pool, now = time_of(self, *args)
            if now == math.inf:  # a first call: not a follow-up
                return original(self, *args)
            acted.append(name)
            if now < pool.noticed:
                early.append((name, pool.noticed - now))
            return original(self, *args)

        monkeypatch.setattr(cls, name, watched)

    watch(TransferPart, "on_handover", lambda self, ev: (self.pool, self.env.now))
    watch(CallbackPart, "on_due", lambda self, ev: (self.pool, self.env.now))
    watch(RoutedPool, "arrive", lambda self, call, kind, now: (self, now) if kind != FIRST else (self, math.inf))
    past: list[float] = []
    schedule = Clock.schedule

    def checked(self, event, priority=1, delay=0):
        if delay < 0:
            past.append(delay)
        return schedule(self, event, priority, delay)

    monkeypatch.setattr(Clock, "schedule", checked)
    run(make(), n=4)
    assert len(acted) > 1000  # the mechanism is met often enough to show the case (several hundred early before the fix)
    assert early == [] and past == []


def test_the_single_pools_repeat_calls_never_start_before_its_replay(monkeypatch):
    """As on the routed pool: a repeat call decided at a replayed call end with a delay shorter
    than the replay's lag starts at the time the pool has replayed to, so the three agents never
    work more than three calls at once (without it: up to 5 at once, 53 answers started above 3 in these 4 runs)."""
    from ska_sim.sim.collector import Collector

    d = mmc_dict(agents=3, calls_per_hour=60, aht_s=120, days=3, patience_s=300)
    d["call_types"][0]["resolved"] = 0.3
    d["repeat"] = {"probability": 1.0, "delay": {"dist": "exponential", "mean_s": 60}}
    starts: list[float] = []
    ends: list[float] = []
    flush = Collector.flush

    def watched(self):  # every answer's start and end (the buffers, before they are folded)
        starts.extend(self.svc_start)
        ends.extend(self.svc_end)
        flush(self)

    monkeypatch.setattr(Collector, "flush", watched)
    model = Model.from_scenario(scenario_from_dict(d))
    assert model.single_pool()
    for q in seeds(4):
        starts.clear()
        ends.clear()
        simulate_replication(model, q)
        assert len(starts) == len(ends) > 5000
        marks = sorted([(a, 1) for a in starts] + [(b, -1) for b in ends])  # an end before a start at a tie
        busy = np.cumsum([k for _, k in marks])
        assert busy.max() <= 3
