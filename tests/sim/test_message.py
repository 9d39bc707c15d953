"""A message offered at the maximum wait (``[message]``): its own outcome, counted by hand on the
recorded calls, nothing changed when nobody leaves one, and its KPIs in the result tables."""

from __future__ import annotations

import math

import numpy as np
import pytest
from helpers import assert_counts_equal, mmc_dict, seed

from ska_sim import scenario_from_dict, simulate
from ska_sim.sim.engine import ABANDONED, ANSWERED, MESSAGE, Model, Replication, record_replication


def busy_line(**message) -> dict:
    d = mmc_dict(agents=3, calls_per_hour=45, days=2, warmup_days=0, patience_s=240,
                 redial={"probability": 0.5})
    if message:
        d["message"] = message
    return d


@pytest.mark.parametrize("lines", [None, 6])
def test_with_leave_1_a_wait_reaching_after_s_is_a_message_not_an_abandon(lines):
    d = busy_line(after_s=90, leave=1.0)
    if lines is not None:  # the routed pool
        d["lines"] = {"count": lines}
    counts, rec = record_replication(Model.from_scenario(scenario_from_dict(d)), seed(2))
    arrival, answer, end = (np.asarray(x, float) for x in (rec.arrival, rec.answer, rec.end))
    outcome = np.asarray(rec.outcome)
    wait = np.where(outcome == ANSWERED, answer - arrival, end - arrival)
    msg = outcome == MESSAGE
    # by hand: every caller still waiting at 90 s left a message then; nobody waited longer
    assert msg.sum() > 100
    np.testing.assert_allclose(wait[msg], 90.0, atol=1e-6)
    assert (wait[outcome == ABANDONED] <= 90.0 + 1e-6).all()
    assert (wait[outcome == ANSWERED] <= 90.0 + 1e-6).all()
    patience = np.asarray(rec.patience, float)
    assert (patience[msg] >= 90.0 - 1e-6).all()
    c = {k: v.sum() for k, v in counts.counts.items()}
    assert c["messages"] == msg.sum()
    assert c["abandoned"] == (outcome == ABANDONED).sum()
    # a message is offered and neither answered nor abandoned; it is not redialled
    assert c["offered"] == c["answered"] + c["abandoned"] + c["unanswered_at_close"] + c["blocked"] + c["messages"]
    last = {}
    for i, caller in enumerate(rec.caller):  # no repeat calls here (every issue resolved)
        last[caller] = i
    assert all(last[rec.caller[i]] == i for i in np.flatnonzero(msg))  # no attempt after a message


@pytest.mark.parametrize("routed", [False, True])
def test_leave_0_gives_the_numbers_of_a_scenario_without_the_block(routed):
    without = Model.from_scenario(scenario_from_dict(busy_line()))
    nobody = Model.from_scenario(scenario_from_dict(busy_line(after_s=60, leave=0.0)))
    a = Replication(without, seed(4), routed=routed).run()
    b = Replication(nobody, seed(4), routed=routed).run()
    assert_counts_equal(a, b)
    assert a.counts["abandoned"].sum() > 100


@pytest.mark.parametrize("leave", [0.25, 0.75])
def test_messages_are_left_by_a_share_of_the_callers_reaching_the_offer(leave):
    _, rec = record_replication(Model.from_scenario(scenario_from_dict(busy_line(after_s=60, leave=leave))), seed(5))
    arrival, answer, end = (np.asarray(x, float) for x in (rec.arrival, rec.answer, rec.end))
    outcome = np.asarray(rec.outcome)
    wait = np.where(outcome == ANSWERED, answer - arrival, end - arrival)
    msg = outcome == MESSAGE
    reached = msg | (wait > 60.0 + 1e-6)  # still waiting at the offer: left a message, or waited on
    n = reached.sum()
    assert n > 300
    assert abs(msg.sum() / n - leave) < 4 * math.sqrt(leave * (1 - leave) / n)


def test_the_message_kpis_appear_only_with_the_block():
    plain = simulate(scenario_from_dict(busy_line()), replications=2)
    msg = simulate(scenario_from_dict(busy_line(after_s=60, leave=0.5)), replications=2)
    assert "messages" not in set(plain.summary["kpi"])
    row = msg.summary.set_index("kpi")
    assert row.loc["messages", "mean"] > 0
    assert row.loc["message_share", "mean"] == pytest.approx(row.loc["messages", "mean"] / row.loc["offered", "mean"],
                                                             rel=0.05)
    assert "messages" in msg.intervals.columns and "message_share" in msg.days.columns
    # the service level keeps messages in its denominator (offered), as it keeps abandoned calls
    w = msg.per_replication
    assert not math.isnan(w["message_share"].iloc[0])


def test_a_recorded_log_with_messages_is_read_back(tmp_path):
    from helpers import recorded_log
    from ska_sim.calibration.calllog import read_log

    path = recorded_log(busy_line(after_s=60, leave=0.5), 3, tmp_path)
    frame = read_log(path).frame
    outcome = frame["outcome"].astype(str)
    assert (outcome == "message").sum() > 50
    assert frame.loc[outcome == "message", "abandon"].isna().all()  # a message is not an abandon
