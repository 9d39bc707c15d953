"""The call log (issue 10): the engine's recorder (both paths), writing, and reading it back.

- Recording changes nothing: the recording replication returns exactly the counts of the
  plain one (same seed), on today's path and on the general path (groups, languages, lines,
  virtual hold, callbacks, transfers, drop at close).
- The log agrees with the counts: offered, answered, abandoned, answered within T, redials and
  repeat calls per interval are the engine's own numbers.
- Reading: CSV and Parquet, mapping, time zones and DST (2026: 29 Mar, 25 Oct), hashing.
"""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest

from helpers import mmc_dict
from ska_sim import scenario_from_dict
from ska_sim.engine import Model, record_replication, simulate_replication
from test_groups_engine import as_one_group, baseline_dict
from test_transfers_callbacks import callback_dicts, two_groups, vh_dict


def _seed(i: int = 0, root: int = 11) -> np.random.SeedSequence:
    return np.random.SeedSequence(root, spawn_key=(i,))


def _drop_dict() -> dict:
    d = baseline_dict(days=2)
    d["simulation"]["queued_at_close"] = "drop"
    return d


SCENARIOS = {
    "baseline (today's path)": lambda: baseline_dict(days=3),
    "drop at close": _drop_dict,
    "one group (general path)": lambda: as_one_group(baseline_dict(days=3)),
    "virtual hold + lines": vh_dict,
    "callbacks": lambda: callback_dicts()[1],
    "transfers": lambda: two_groups(days=2, patience_s=120),
    "mmc no patience": lambda: mmc_dict(days=2, agents=8),
}


def _assert_same_counts(a, b) -> None:
    assert a.counts.keys() == b.counts.keys()
    for k in a.counts:
        np.testing.assert_array_equal(a.counts[k], b.counts[k], err_msg=k)
    np.testing.assert_array_equal(a.hist, b.hist)
    np.testing.assert_array_equal(a.iv_busy_s, b.iv_busy_s)
    np.testing.assert_array_equal(a.day_on_duty_s, b.day_on_duty_s)


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_recording_changes_no_count(name):
    m = Model.from_scenario(scenario_from_dict(SCENARIOS[name]()))
    plain = simulate_replication(m, _seed())
    recorded, rec = record_replication(m, _seed())
    _assert_same_counts(plain, recorded)
    assert len(rec.caller) > 0 and 0 not in rec.outcome  # every call has an outcome


@pytest.mark.parametrize("name", ["baseline (today's path)", "drop at close", "virtual hold + lines", "callbacks"])
def test_the_log_agrees_with_the_counts_per_interval(name):
    from ska_sim.calllog import record_calls

    s = scenario_from_dict(SCENARIOS[name]())
    counts, log = record_calls(s, 11)
    m = Model.from_scenario(s)
    tl = m.timeline
    inbound = log[log["kind"] != "callback"]
    # the log's interval of arrival, as the engine numbers measured intervals
    day0 = pd.Timestamp(tl.dates[0])
    local = inbound["arrival"].dt.tz_localize(None)
    sec = (local - day0).dt.total_seconds().to_numpy()
    slot = (sec // tl.interval_s).astype(np.int64)
    at = tl.interval_at()[slot]
    measured = np.flatnonzero(tl.iv_measured())
    pos = np.searchsorted(measured, at)
    n = len(measured)
    wait = (inbound["answer"] - inbound["arrival"]).dt.total_seconds().to_numpy()

    def per_iv(mask) -> np.ndarray:
        return np.bincount(pos[np.asarray(mask)], minlength=n).astype(float)

    c = {k: v.sum(axis=1) for k, v in counts.counts.items()}
    np.testing.assert_array_equal(per_iv(np.ones(len(inbound), bool)), c["offered"])
    np.testing.assert_array_equal(per_iv(inbound["outcome"] == "answered"), c["answered"])
    np.testing.assert_array_equal(per_iv(inbound["outcome"] == "abandoned"), c["abandoned"])
    np.testing.assert_array_equal(per_iv(inbound["outcome"] == "unanswered_at_close"), c["unanswered_at_close"])
    np.testing.assert_array_equal(per_iv(inbound["outcome"] == "blocked"), c["blocked"])
    np.testing.assert_array_equal(per_iv(inbound["outcome"] == "virtual_hold"), c["virtual_hold_accepted"])
    np.testing.assert_array_equal(per_iv(inbound["kind"] == "redial"), c["offered_redial"])
    np.testing.assert_array_equal(per_iv(inbound["kind"] == "repeat"), c["offered_repeat"])
    # answered within T: the log's waits are rounded to ms, so allow calls within 1 ms of T
    within = per_iv((wait <= 20.0) & (inbound["outcome"] == "answered"))
    near = per_iv(np.abs(wait - 20.0) < 1e-3)
    assert np.all(np.abs(within - c["answered_within_t"]) <= near)
    np.testing.assert_allclose(np.nansum(wait), c["wait_sum_s"].sum(), rtol=1e-6)
    if name == "callbacks":
        assert (log["kind"] == "callback").sum() > 0


def test_callers_keep_their_id_across_redials_and_repeats():
    from ska_sim.calllog import record_calls

    _, log = record_calls(scenario_from_dict(baseline_dict(days=3)), 11)
    firsts = log[log["kind"] == "first"]
    assert firsts["caller_id"].is_unique  # a first call is a new caller
    follow = log[log["kind"] != "first"]
    assert len(follow) > 50
    # every follow-up's caller called before (or in the warm-up, whose callers keep their ids)
    seen_before = follow["caller_id"].isin(firsts["caller_id"])
    assert seen_before.mean() > 0.8
    # a redial comes after its caller's earlier call was abandoned or cut off
    both = log.sort_values("arrival").groupby("caller_id")
    prev_outcome = both["outcome"].shift(1)
    redials = log.loc[log["kind"] == "redial"].index
    known = prev_outcome.loc[redials].dropna()
    assert set(known) <= {"abandoned", "unanswered_at_close", "blocked"}
    assert (log["end"] >= log["arrival"]).all()
    ans = log["outcome"] == "answered"
    assert (log.loc[ans, "answer"] <= log.loc[ans, "end"]).all()
    assert log.loc[ans, "wrap_up_s"].notna().all() and log.loc[~ans, "wrap_up_s"].isna().all()
