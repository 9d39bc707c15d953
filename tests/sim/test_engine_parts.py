"""The engine's parts on their own: which pool a model gets, the model's frozen parts, phone
lines, follow-ups landing in opening hours, the call attributes' draws, and recording as an
observer that changes nothing."""

from __future__ import annotations

import copy
import dataclasses
import math

import numpy as np
import pytest
from helpers import mmc_dict
from helpers import office_day
from helpers import as_one_group, assert_counts_equal, baseline_dict, seed
from helpers import callback_dicts, two_groups

from ska_sim import scenario_from_dict
from ska_sim.sim.engine import (
    Callbacks,
    CallRecorder,
    Lines,
    Model,
    Replication,
    RoutedPool,
    SingleCalls,
    SinglePool,
    Transfers,
    general_model,
)
from ska_sim.sim.kpi import REDIAL


def model_of(d: dict) -> Model:
    return Model.from_scenario(scenario_from_dict(d))


# --------------------------------------------------------------------------- which pool
def test_the_pool_is_chosen_by_what_the_model_uses():
    d = baseline_dict(days=3)
    today = model_of(d)
    assert today.single_pool() and type(Replication(today, seed()).pool) is SinglePool
    implicit = general_model(today)  # routing's implicit single group with every skill
    assert implicit.routing is not None and implicit.single_pool()
    assert type(Replication(implicit, seed()).pool) is SinglePool
    assert type(Replication(today, seed(), routed=True).pool) is RoutedPool
    named = model_of(as_one_group(d))  # one [[groups]] entry with every skill: a single FIFO too
    assert named.single_pool() and type(Replication(named, seed()).pool) is SinglePool
    ranked = copy.deepcopy(as_one_group(d))  # ... but priorities reorder its queue: the routed pool
    ranked["groups"][0]["priority"] = {d["call_types"][0]["name"]: 2}
    assert not model_of(ranked).single_pool()
    picky = copy.deepcopy(as_one_group(d))  # a group without every call type: the routed pool
    picky["groups"][0]["call_types"] = [ct["name"] for ct in d["call_types"][1:]]
    picky["groups"].append({"name": "other", "call_types": [d["call_types"][0]["name"]], "agents": {"default": [1] * 16}})
    assert not model_of(picky).single_pool()
    slower = copy.deepcopy(as_one_group(d, handle_factor=1.1))
    assert not model_of(slower).single_pool()
    langs = copy.deepcopy(d)
    langs["languages"] = {"et": {"share": 0.7}, "ru": {"share": 0.3}}
    assert not model_of(langs).single_pool()
    lines = copy.deepcopy(d)
    lines["lines"] = {"count": 40}
    assert not model_of(lines).single_pool()


@pytest.mark.parametrize("group", ["implicit", "named"])
def test_one_group_on_the_single_pool_equals_the_routed_pool(group):
    d = baseline_dict(days=3)
    m = general_model(model_of(d)) if group == "implicit" else model_of(as_one_group(d))
    for i in range(2):
        a = Replication(m, seed(i)).run()
        b = Replication(m, seed(i), routed=True).run()
        assert a.counts["abandoned"].sum() > 50
        assert_counts_equal(a, b)
        for k, v in b.groups.counts.items():
            if k == "wait_sum_s":
                np.testing.assert_allclose(a.groups.counts[k], v, rtol=1e-12, err_msg=k)
            else:
                np.testing.assert_array_equal(a.groups.counts[k], v, err_msg=k)
        np.testing.assert_array_equal(a.groups.iv_busy_s, b.groups.iv_busy_s)
        np.testing.assert_array_equal(a.groups.iv_on_duty_s, b.groups.iv_on_duty_s)


def test_optional_parts_exist_only_when_the_scenario_uses_them():
    plain = Replication(model_of(as_one_group(baseline_dict(days=3))), seed(), routed=True).pool
    assert plain.lines is None and plain.transfers is None and plain.callbacks is None
    tr = Replication(model_of(two_groups()), seed()).pool
    assert tr.transfers is not None and tr.callbacks is None
    _, with_cb = callback_dicts()
    cb = Replication(model_of(with_cb), seed()).pool
    assert cb.callbacks is not None and cb.transfers is None and cb.callbacks.vh_after is None


# --------------------------------------------------------------------------- the model's parts
def test_the_models_parts_are_small_frozen_dataclasses():
    tr = model_of(two_groups()).transfers
    assert isinstance(tr, Transfers) and tr.to == (1,) and tr.share == (0.5,)
    _, with_cb = callback_dicts()
    cb = model_of(with_cb).callbacks
    assert isinstance(cb, Callbacks) and cb.group == 1 and cb.virtual_hold is None
    with pytest.raises(dataclasses.FrozenInstanceError):
        cb.group = 0
    m = model_of(baseline_dict(days=3))
    assert m.identity is None and m.transfers is None and m.callbacks is None


# --------------------------------------------------------------------------- lines
def test_lines_count_waiting_calls_and_calls_holding_a_line():
    lines = Lines(2)
    assert not lines.full(0.0, 1)
    lines.hold(10.0)
    assert lines.full(5.0, 1)  # one waiting + one held
    assert not lines.full(10.0, 1)  # the held line is free at 10 s


# --------------------------------------------------------------------------- follow-ups
def test_follow_ups_land_in_opening_hours_or_not_at_all():
    rep = Replication(Model.from_scenario(office_day([2, 2, 2, 2], days=2)), seed())
    follow = rep.follow
    calls = SingleCalls(rep.m)
    calls.new_day({"followup_calls": np.random.default_rng(1)})
    call = calls.follow_up(type("C", (), {"type": 0})(), True)  # any call of type 0
    day0_close, day1_open = 11 * 3600.0, 86400 + 9 * 3600.0
    follow.add(call, day0_close + 600.0, REDIAL)  # in the night: the next morning, in its hours
    (t, _, new, kind), = follow.heap
    assert day1_open <= t < day1_open + 2 * 3600 and kind == REDIAL and new.type == 0 and new.first
    follow.add(call, 5 * 86400.0, REDIAL)  # after the last simulated day: not simulated
    assert len(follow.heap) == 1
    assert rep.driver_at == t  # the arrivals event is due for it


def test_recording_draws_the_same_follow_up_calls():
    m = Model.from_scenario(office_day([2, 2, 2, 2], aht_s=200, patience=100, redial=0.5, repeat=0.5))
    plain, split = SingleCalls(m), SingleCalls(m, split=True)
    plain.new_day({"followup_calls": np.random.default_rng(5)})
    split.new_day({"followup_calls": np.random.default_rng(5)})
    parent = type("C", (), {"type": 1})()
    for _ in range(300):  # more than a batch
        a, b = plain.follow_up(parent, False), split.follow_up(parent, False)
        assert (a.handle, a.patience, a.resolved, a.repeats, a.redials) == (b.handle, b.patience, b.resolved,
                                                                          b.repeats, b.redials)
        assert 30.0 <= b.acw and not hasattr(a, "acw")  # type b's after-call work is 30 s


# --------------------------------------------------------------------------- the observer
class Tally:
    """An observer that counts what the pools tell it."""

    def __init__(self):
        self.n = {}

    def __getattr__(self, name):
        def hook(*args):
            self.n[name] = self.n.get(name, 0) + 1

        return hook


@pytest.mark.parametrize("routed", [False, True])
def test_an_observer_is_told_of_every_call_and_changes_nothing(routed):
    d = mmc_dict(agents=7, calls_per_hour=80, days=3, warmup_days=0, patience_s=200, redial={"probability": 0.5})
    m = Model.from_scenario(scenario_from_dict(d))
    tally = Tally()
    a = Replication(m, seed(3), observer=tally, routed=routed).run()
    b = Replication(m, seed(3), routed=routed).run()
    assert_counts_equal(a, b)
    c = {k: int(v.sum()) for k, v in a.counts.items()}
    assert tally.n["arrive"] == c["offered"] and tally.n["answered"] == c["answered"]
    assert tally.n["follow_up"] >= c["offered_redial"] > 0 and tally.n["finish"] == 1
    if not routed:  # the single pool notices callers who would not redial lazily
        assert tally.n["abandoned"] <= c["abandoned"]


def test_the_recorder_is_an_observer():
    m = Model.from_scenario(office_day([3, 3, 3, 3], patience=120, redial=0.5, repeat=0.3))
    rec = CallRecorder()
    counts = Replication(m, seed(), observer=rec).run()
    assert len(rec.rec.caller) == int(counts.counts["offered"].sum())
    assert all(o > 0 for o in rec.rec.outcome)
    assert not math.isnan(rec.rec.answer[rec.rec.outcome.index(1)])
