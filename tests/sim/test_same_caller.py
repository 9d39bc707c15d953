"""A redial is the same caller (``[redial] same_caller``): its patience and talk time, the caller's
KPIs (every attempt's wait added up), counted call by call from the recorded calls, both pools,
and an exact continuous-time Markov chain of M/M/c+M with retrials."""

from __future__ import annotations

import copy
import math
from collections import defaultdict

import numpy as np
import pytest
from helpers import assert_counts_equal, ci, mmc_dict, seed
from scipy.sparse import coo_matrix
from scipy.sparse.linalg import spsolve

from ska_sim import scenario_from_dict, simulate
from ska_sim.sim.engine import BLOCKED, CALLBACK, Model, Replication, record_replication
from ska_sim.sim.engine.recording import CallRecorder
from ska_sim.sim.kpi import COUNT_FIELDS


def model_of(d: dict) -> Model:
    return Model.from_scenario(scenario_from_dict(d))


def redialling(keep_patience: float = 0.5, keep_talk: bool = True, same: bool = True, **kw) -> dict:
    redial = {"probability": 0.7, "delay": {"dist": "exponential", "mean_s": 300}}
    if same:
        redial |= {"same_caller": True, "keep_patience": keep_patience, "keep_talk": keep_talk}
    d = mmc_dict(agents=3, calls_per_hour=42, **({"days": 3} | kw), warmup_days=0, patience_s=100, redial=redial)
    d["call_types"][0]["talk"] = {"dist": "lognormal", "mean_s": 300, "cv": 1.0}
    return d


class Attempts(CallRecorder):
    """The recorder, also keeping each attempt's call object (its caller and handle time)."""

    def __init__(self):
        super().__init__()
        self.calls = []

    def arrive(self, call, kind, now):
        super().arrive(call, kind, now)
        self.calls.append((call, call.handle, call.patience))


@pytest.mark.parametrize("routed", [False, True])
def test_a_redial_keeps_the_callers_patience_share_and_talk(routed):
    obs = Attempts()
    Replication(model_of(redialling(keep_patience=0.5)), seed(), observer=obs, routed=routed).run()
    first = {}
    redials = 0
    for (call, handle, patience), kind in zip(obs.calls, obs.rec.kind):
        st = call.caller
        if kind == 0:
            first[id(st)] = (patience, handle)
            continue
        redials += 1
        p0, h0 = first[id(st)]
        assert patience == 0.5 * p0 and handle == h0
    assert redials > 100


def test_without_keep_talk_a_redial_draws_its_talk_time_and_keeps_the_draws():
    obs = Attempts()
    Replication(model_of(redialling(keep_patience=1.0, keep_talk=False)), seed(), observer=obs).run()
    first, same_talk, n = {}, 0, 0
    for (call, handle, patience), kind in zip(obs.calls, obs.rec.kind):
        if kind == 0:
            first[id(call.caller)] = (patience, handle)
            continue
        p0, h0 = first[id(call.caller)]
        assert patience == p0
        same_talk += handle == h0
        n += 1
    assert n > 100 and same_talk == 0
    # the redial's other draws are today's: offered first calls and their outcomes are the default's
    rc_same = Replication(model_of(redialling(keep_patience=1.0, keep_talk=False)), seed()).run()
    rc_new = Replication(model_of(redialling(same=False)), seed()).run()
    np.testing.assert_array_equal(rc_same.counts["offered_first"], rc_new.counts["offered_first"])


def hand_count(records, threshold: float) -> dict[str, float]:
    """The caller KPIs' counts from recorded calls: every attempt of a caller (first call and
    its redials; no repeat calls in these scenarios), waits added up."""
    callers = defaultdict(list)
    for row, caller in enumerate(records.caller):
        if records.kind[row] != CALLBACK:
            callers[caller].append(row)
    out = dict(callers=0, callers_answered=0, callers_answered_within_t=0, caller_wait_sum_s=0.0, caller_attempts=0)
    for rows in callers.values():
        wait, answered = 0.0, False
        for row in rows:
            a = records.answer[row]
            if not math.isnan(a):
                wait += a - records.arrival[row]
                answered = True
            elif records.outcome[row] != BLOCKED:
                wait += records.end[row] - records.arrival[row]
        out["callers"] += 1
        out["callers_answered"] += answered
        out["callers_answered_within_t"] += answered and wait <= threshold
        out["caller_wait_sum_s"] += wait
        out["caller_attempts"] += len(rows)
    return out


@pytest.mark.parametrize("lines", [None, 4])
def test_caller_counts_equal_a_hand_count_on_the_recorded_calls(lines):
    d = redialling(keep_patience=0.8, days=2, message={"after_s": 150, "leave": 0.4})
    if lines is not None:  # the routed pool, with busy tones that redial
        d["lines"] = {"count": lines}
    counts, records = record_replication(model_of(d), seed(3))
    got = {k: v.sum() for k, v in counts.counts.items()}
    want = hand_count(records, 20.0)
    assert want["callers"] > 1000 and want["caller_attempts"] > want["callers"] * 1.1
    for k in ("callers", "callers_answered", "callers_answered_within_t", "caller_attempts"):
        assert got[k] == want[k], k
    assert got["caller_wait_sum_s"] == pytest.approx(want["caller_wait_sum_s"], rel=1e-9)
    assert got["caller_attempts"] == got["offered"]
    assert got["callers"] == got["offered_first"]  # no repeat calls: a caller per first call


def test_both_pools_give_the_same_counts():
    d = redialling(keep_patience=0.3, message={"after_s": 120, "leave": 0.5})
    m = model_of(d)
    a, b = Replication(m, seed(1)).run(), Replication(m, seed(1), routed=True).run()
    waits = ("wait_total_s", "caller_wait_sum_s")  # a hang-up's wait: now - arrival, or the patience
    assert_counts_equal(a, b, fields=[k for k in COUNT_FIELDS if k not in waits])
    for k in waits:
        np.testing.assert_allclose(a.counts[k], b.counts[k], rtol=1e-12, atol=1e-9, err_msg=k)
    assert a.counts["messages"].sum() > 50 and a.counts["offered_redial"].sum() > 200


def test_repeat_calls_start_a_new_caller():
    d = redialling(keep_patience=1.0)
    d["call_types"][0]["resolved"] = 0.5
    d["repeat"] = {"probability": 1.0, "delay": {"dist": "exponential", "mean_s": 3600}}
    c = {k: v.sum() for k, v in Replication(model_of(d), seed()).run().counts.items()}
    # callers that ended: every first call and every repeat call begins one (a few end after the window)
    assert c["offered_repeat"] > 300
    assert c["offered_first"] + c["offered_repeat"] - 5 <= c["callers"] <= c["offered_first"] + c["offered_repeat"]


def test_the_caller_kpis_appear_only_with_same_caller():
    plain = simulate(scenario_from_dict(redialling(same=False, days=1)), replications=2)
    same = simulate(scenario_from_dict(redialling(days=1)), replications=2)
    names = ("callers", "caller_service_level", "caller_answer_rate", "caller_wait_s", "attempts_per_caller")
    assert not set(names) & set(plain.summary["kpi"])
    row = same.summary.set_index("kpi")
    assert set(names) <= set(row.index)
    assert 1.0 < row.loc["attempts_per_caller", "mean"] < 2.0
    assert row.loc["caller_answer_rate", "mean"] > row.loc["answer_rate", "mean"]  # a redial can still be answered
    assert row.loc["caller_service_level", "mean"] <= row.loc["caller_answer_rate", "mean"]


def test_same_caller_keys_leave_the_scenario_digest_alone_when_off():
    d = redialling(same=False)
    off = copy.deepcopy(d)
    off["redial"] |= {"same_caller": False, "keep_patience": 1.0, "keep_talk": True}  # the defaults written out
    assert scenario_from_dict(off).digest() == scenario_from_dict(d).digest()
    assert scenario_from_dict(redialling()).digest() != scenario_from_dict(d).digest()


# --------------------------------------------------------------------------- the exact chain
def retrial_chain(c: int, lam: float, mu: float, gamma: float, p: float, nu: float, n_max: int, m_max: int) -> dict:
    """M/M/c+M with retrials, a redial being the same caller with keep_patience = 0 (a redial is
    answered if an agent is free when it arrives, else hangs up at once and redials again with
    probability p). State (n, m): n callers at the line (talking or waiting: only first attempts
    wait), m callers between attempts (the orbit, each redials at rate nu). Stationary
    distribution of the chain truncated at n_max, m_max; long-run rates per second."""
    idx = lambda n, m: n * (m_max + 1) + m  # noqa: E731
    size = (n_max + 1) * (m_max + 1)
    rows, cols, vals = [], [], []

    def rate(a, b, r):
        if r > 0:
            rows.append(a)
            cols.append(b)
            vals.append(r)

    for n in range(n_max + 1):
        for m in range(m_max + 1):
            s = idx(n, m)
            if n < n_max:
                rate(s, idx(n + 1, m), lam)  # a first call
            if n > 0:
                rate(s, idx(n - 1, m), min(n, c) * mu)  # a call ends
            w = max(n - c, 0) * gamma  # a waiting first attempt hangs up
            if w:
                rate(s, idx(n - 1, min(m + 1, m_max)), w * p)
                rate(s, idx(n - 1, m), w * (1 - p))
            if m:
                if n < c:
                    rate(s, idx(n + 1, m - 1), m * nu)  # a redial finds a free agent
                else:
                    rate(s, idx(n, m - 1), m * nu * (1 - p))  # hangs up at once; gives up
    q = coo_matrix((vals, (rows, cols)), shape=(size, size)).tocsr()
    q = q - coo_matrix((np.asarray(q.sum(axis=1)).ravel(), (range(size), range(size))), shape=(size, size))
    a = q.T.tolil()
    a[0, :] = 1.0  # replace one balance equation by sum(pi) = 1
    b = np.zeros(size)
    b[0] = 1.0
    pi = spsolve(a.tocsr(), b).reshape(n_max + 1, m_max + 1)
    n = np.arange(n_max + 1)[:, None]
    m = np.arange(m_max + 1)[None, :]
    assert pi[-1, :].sum() < 1e-9 and pi[:, -1].sum() < 1e-9  # the truncation holds no mass
    queue = (pi * np.maximum(n - c, 0)).sum()
    served = (pi * np.minimum(n, c)).sum() * mu
    retrials = (pi * m).sum() * nu
    retrials_lost = (pi * m * (n >= c)).sum() * nu
    offered = lam + retrials
    return {
        "answer_rate": served / offered,
        "abandon_rate": (queue * gamma + retrials_lost) / offered,
        "redial_share": retrials / offered,
        "attempts_per_caller": offered / lam,
        "caller_answer_rate": served / lam,
        "caller_wait_s": queue / lam,  # Little: only first attempts wait
    }


def test_same_caller_retrials_match_the_exact_chain():
    c, aht, per_h, patience, p, delay = 3, 300.0, 42.0, 120.0, 0.6, 600.0
    redial = {"probability": p, "delay": {"dist": "exponential", "mean_s": delay}}
    d = mmc_dict(agents=c, calls_per_hour=per_h, aht_s=aht, days=8, warmup_days=1, patience_s=patience,
                 replications=10, redial=redial | {"same_caller": True, "keep_patience": 0.0})
    exact = retrial_chain(c, per_h / 3600, 1 / aht, 1 / patience, p, 1 / delay, 40, 60)
    res = simulate(scenario_from_dict(d))
    per = res.per_replication
    for k, want in exact.items():
        mean, half = ci(per[k])
        assert abs(mean - want) <= half, (k, mean, half, want)
    # the same caller keeping all of the first patience waits again on a redial: the chain
    # (redials never wait) is far from it, so the comparison tells the options apart
    whole = simulate(scenario_from_dict(mmc_dict(agents=c, calls_per_hour=per_h, aht_s=aht, days=8, warmup_days=1,
                                                 patience_s=patience, replications=10,
                                                 redial=redial | {"same_caller": True, "keep_patience": 1.0})))
    mean, half = ci(whole.per_replication["caller_wait_s"])
    assert mean - exact["caller_wait_s"] > 3 * half


def test_the_caller_and_message_kpis_are_defined_from_their_counts():
    from ska_sim.sim.kpi import kpis

    counts = {f: np.array([0.0, 0.0]) for f in COUNT_FIELDS}
    counts.update(offered=np.array([50.0, 0.0]), messages=np.array([5.0, 0.0]), callers=np.array([40.0, 0.0]),
                  callers_answered=np.array([30.0, 0.0]), callers_answered_within_t=np.array([20.0, 0.0]),
                  caller_wait_sum_s=np.array([2000.0, 0.0]), caller_attempts=np.array([50.0, 0.0]))
    k = kpis(counts, np.zeros((2, 3)), np.zeros(2), np.zeros(2))
    assert k["message_share"][0] == 0.1 and k["messages"][0] == 5
    assert k["caller_service_level"][0] == 0.5 and k["caller_answer_rate"][0] == 0.75
    assert k["caller_wait_s"][0] == 50.0 and k["attempts_per_caller"][0] == 1.25
    assert all(math.isnan(k[n][1]) for n in ("message_share", "caller_service_level", "caller_wait_s",
                                             "attempts_per_caller"))
