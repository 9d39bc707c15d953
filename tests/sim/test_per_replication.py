"""The per-replication table (``SimulationResult.per_replication_calls``, ``run --per-replication``):
every count and time per replication x call type x answering group, checked against a hand count
on the recorded calls of replication 0 and against the tables built from the same counts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from conftest import ROOT
from ska_sim import load_scenario
from ska_sim.calibration.log_writer import record_calls
from ska_sim.cli import main
from ska_sim.sim.per_replication import ALL_GROUPS, COLUMNS
from ska_sim.sim.runner import simulate

SKILLS = ROOT / "scenarios" / "skills-languages.toml"
BASELINE = ROOT / "scenarios" / "baseline.toml"
SPLIT = ["answered", "answered_within_t", "wait_sum_s", "first_contacts", "repeat_contacts", "handle_s"]


@pytest.fixture(scope="module")
def skills():
    s = load_scenario(SKILLS, ["calendar.days=2"])
    return s, simulate(s, replications=3)


def test_group_rows_are_a_hand_count_of_the_recorded_calls(skills):
    s, result = skills
    _, log = record_calls(s, result.seed, 0)
    start = pd.Timestamp(s.calendar.start).tz_localize(log["arrival"].dt.tz)
    inbound = log[(log["arrival"] >= start) & log["kind"].isin(["first", "redial", "repeat"])
                  & (log["outcome"] == "answered")]
    wait = (inbound["answer"] - inbound["arrival"]).dt.total_seconds()
    handle = (inbound["end"] - inbound["answer"]).dt.total_seconds() + inbound["wrap_up_s"]
    hand = pd.DataFrame({"call_type": inbound["call_type"], "group": inbound["agent_group"], "wait": wait,
                         "within": wait <= s.targets.service_level.threshold_s, "handle": handle})
    counted = hand.groupby(["call_type", "group"]).agg(answered=("wait", "size"), within=("within", "sum"),
                                                       wait_sum_s=("wait", "sum"), handle_s=("handle", "sum"))
    table = result.per_replication_calls
    rep0 = table[(table["replication"] == 0) & (table["group"] != ALL_GROUPS)].set_index(["call_type", "group"])
    assert len(counted) >= 4  # several types answered by several groups
    for key, row in counted.iterrows():
        assert rep0.loc[key, "answered"] == row["answered"], key
        assert rep0.loc[key, "answered_within_t"] == row["within"], key
        assert rep0.loc[key, "wait_sum_s"] == pytest.approx(row["wait_sum_s"], abs=1e-3 * row["answered"]), key
        # timestamps are written to the millisecond: at most 1 ms off per time read, three per call
        assert rep0.loc[key, "handle_s"] == pytest.approx(row["handle_s"], abs=3e-3 * row["answered"]), key
    others = rep0.drop(index=counted.index)
    assert (others["answered"] == 0).all()


def test_group_rows_sum_to_the_type_row_and_types_to_the_tables(skills):
    s, result = skills
    t = result.per_replication_calls
    assert list(t.columns) == list(COLUMNS)
    groups = [g.name for g in s.groups]
    assert len(t) == 3 * len(s.call_types) * (1 + len(groups))
    whole = t[t["group"] == ALL_GROUPS].set_index(["replication", "call_type"])
    parts = t[t["group"] != ALL_GROUPS].groupby(["replication", "call_type"])[SPLIT].sum()
    np.testing.assert_allclose(parts.loc[whole.index, SPLIT].to_numpy(), whole[SPLIT].to_numpy(), rtol=1e-12)
    assert t.loc[t["group"] != ALL_GROUPS, "offered"].isna().all()  # no group owns an unanswered call
    # offered = answered + abandoned + cut off at close + busy tone + virtual hold, per row
    w = whole
    np.testing.assert_array_equal(w["offered"], w["answered"] + w["abandoned"] + w["unanswered_at_close"]
                                  + w["blocked"] + w["virtual_hold_accepted"] + w["messages"])
    # the call-type table's means are these rows' means over the replications
    means = w.groupby("call_type")[["offered", "answered", "abandoned"]].mean()
    ct = result.call_types.set_index("call_type")
    for k in ("offered", "answered", "abandoned"):
        np.testing.assert_allclose(means.loc[ct.index, k], ct[k], rtol=1e-12)
    # and the window's service level is theirs summed
    by_rep = w.groupby("replication")[["answered_within_t", "offered"]].sum()
    sl = by_rep["answered_within_t"] / by_rep["offered"]
    assert sl.mean() == pytest.approx(result.kpi("service_level"), rel=1e-12)


def test_a_single_pool_has_one_row_per_replication_and_type_with_its_handle_time():
    s = load_scenario(BASELINE, ["calendar.days=1"])
    result = simulate(s, replications=2)
    t = result.per_replication_calls
    assert set(t["group"]) == {ALL_GROUPS} and len(t) == 2 * len(s.call_types)
    means = t.groupby("call_type")[["answered", "offered"]].mean()
    ct = result.call_types.set_index("call_type")
    np.testing.assert_allclose(means.loc[ct.index, "answered"], ct["answered"], rtol=1e-12)
    within = t.groupby("replication")["answered_within_t"].sum() / t.groupby("replication")["offered"].sum()
    assert within.mean() == pytest.approx(result.kpi("service_level"), rel=1e-12)
    # handle time of replication 0's answered calls, per type: a hand count of its recorded calls
    _, log = record_calls(s, result.seed, 0)
    start = pd.Timestamp(s.calendar.start).tz_localize(log["arrival"].dt.tz)
    inbound = log[(log["arrival"] >= start) & log["kind"].isin(["first", "redial", "repeat"])
                  & (log["outcome"] == "answered")]
    handle = ((inbound["end"] - inbound["answer"]).dt.total_seconds() + inbound["wrap_up_s"]).groupby(
        inbound["call_type"]).agg(["sum", "size"])
    rep0 = t[t["replication"] == 0].set_index("call_type")
    for name, row in handle.iterrows():
        assert rep0.loc[name, "answered"] == row["size"]
        assert rep0.loc[name, "handle_s"] == pytest.approx(row["sum"], abs=3e-3 * row["size"]), name


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_run_writes_the_table(tmp_path, suffix):
    out = tmp_path / f"reps{suffix}"
    res = CliRunner().invoke(main, ["run", str(BASELINE), "--set", "calendar.days=1", "-r", "2",
                                    "--per-replication", str(out)])
    assert res.exit_code == 0, res.output
    assert f"written to {out}" in res.output
    got = pd.read_parquet(out) if suffix == ".parquet" else pd.read_csv(out)
    want = simulate(load_scenario(BASELINE, ["calendar.days=1"]), replications=2).per_replication_calls
    assert list(got.columns) == list(COLUMNS)
    np.testing.assert_allclose(got[list(COLUMNS[3:])].to_numpy(float), want[list(COLUMNS[3:])].to_numpy(float),
                               rtol=1e-9)


@pytest.mark.parametrize(("args", "message"), [
    (["--per-replication", "reps.txt"], "--per-replication reps.txt: the file name must end in .csv or .parquet"),
    (["--per-replication", " "], "--per-replication: empty file name"),
    (["--per-replication", "x.csv", "--record-calls", "x.csv"], "--per-replication x.csv: the same file as --record-calls"),
])
def test_bad_per_replication_files_exit_2(tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    res = CliRunner().invoke(main, ["run", str(BASELINE), "-r", "2", *args])
    assert res.exit_code == 2 and message in res.output, res.output
    assert list(tmp_path.iterdir()) == []


def test_the_recorded_log_is_in_arrival_order_with_its_placed_callbacks(skills):
    """call_id is 1.. in arrival order (calibration/calllog.py): a callback the replay places
    after calls that arrived later is written at its own time, and callers are numbered in
    order of their first call in the window."""
    s, result = skills
    _, log = record_calls(s, result.seed, 0)
    callbacks = log[log["kind"] == "callback"]
    assert len(callbacks) > 10  # the scenario places callbacks: the order is tested where it can go wrong
    assert log["arrival"].is_monotonic_increasing
    assert log["call_id"].tolist() == list(range(1, len(log) + 1))
    first_seen = log.drop_duplicates("caller_id")["caller_id"].tolist()
    assert first_seen == [f"C{i:07d}" for i in range(1, len(first_seen) + 1)]
