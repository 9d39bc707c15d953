"""The call log: the engine's recorder (both pools), writing, and reading it back.

- Recording changes nothing: the recording replication returns exactly the counts of the
  plain one (same seed), on the single pool (no groups, one group that takes every call, drop
  at close) and on the routed pool (virtual hold and lines, callbacks, transfers).
- The log agrees with the counts: offered, answered, abandoned, answered within T, redials and
  repeat calls per interval are the engine's own numbers.
- Reading: CSV and Parquet, mapping, time zones and DST (2026: 29 Mar, 25 Oct), hashing.
"""

from __future__ import annotations


import numpy as np
import pandas as pd
import pytest

from helpers import mmc_dict
from ska_sim import scenario_from_dict
from ska_sim.sim.engine import Model, record_replication, simulate_replication
from helpers import as_one_group, baseline_dict
from helpers import callback_dicts, two_groups, vh_dict


def _seed(i: int = 0, root: int = 11) -> np.random.SeedSequence:
    return np.random.SeedSequence(root, spawn_key=(i,))


def _drop_dict() -> dict:
    d = baseline_dict(days=2)
    d["simulation"]["queued_at_close"] = "drop"
    return d


SCENARIOS = {
    "baseline (single pool)": lambda: baseline_dict(days=3),
    "drop at close": _drop_dict,
    "one group (single pool)": lambda: as_one_group(baseline_dict(days=3)),
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


@pytest.mark.parametrize("name", ["baseline (single pool)", "drop at close", "virtual hold + lines", "callbacks"])
def test_the_log_agrees_with_the_counts_per_interval(name):
    from ska_sim.calibration.log_writer import record_calls

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
    from ska_sim.calibration.log_writer import record_calls

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


# --------------------------------------------------------------------------- reading
@pytest.fixture(scope="module")
def written(tmp_path_factory):
    from ska_sim.calibration.log_writer import record_calls, write_log

    _, log = record_calls(scenario_from_dict(vh_dict()), 11)
    d = tmp_path_factory.mktemp("log")
    write_log(log, d / "calls.csv")
    write_log(log, d / "calls.parquet")
    return log, d


@pytest.mark.parametrize("suffix", ["csv", "parquet"])
def test_a_written_log_reads_back_the_same(written, suffix):
    from ska_sim.calibration.calllog import hash_callers, read_log

    log, d = written
    got = read_log(d / f"calls.{suffix}")
    f = got.frame
    assert len(f) == len(log) and got.skipped.empty
    np.testing.assert_array_equal(f["call_id"].to_numpy(), log["call_id"].to_numpy())
    for c in ("arrival", "answer", "end", "abandon"):
        pd.testing.assert_series_equal(f[c], log[c].dt.tz_convert("Europe/Tallinn"), check_names=False,
                                       check_dtype=False)
    np.testing.assert_allclose(f["wrap_up_s"].to_numpy(), log["wrap_up_s"].to_numpy())
    assert (f["outcome"].to_numpy() == log["outcome"].to_numpy()).all()
    assert "caller_id" not in f and f["caller"].dtype == np.uint64
    np.testing.assert_array_equal(f["caller"].to_numpy(), hash_callers(log["caller_id"]))
    # the same caller, the same hash; different callers, different hashes
    assert f.groupby("caller").ngroups == log["caller_id"].nunique()


def test_the_salt_is_per_process_and_never_the_plain_id():
    import subprocess
    import sys

    code = "from ska_sim.calibration.calllog import hash_callers; print(int(hash_callers(['38001085718'])[0]))"
    a, b = (subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
            for _ in range(2))
    assert a != b  # another process, another salt: a hash cannot be looked up across runs


def _csv(tmp_path, text: str, name: str = "log.csv"):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


HEAD = "call_id,caller_id,arrival,answer,end\n"


def test_naive_times_are_local_and_dst_changes_follow_one_rule(tmp_path):
    from ska_sim.calibration.calllog import read_log

    p = _csv(tmp_path, HEAD
             + "1,A,2026-03-29T02:30:00,,2026-03-29T02:31:00\n"  # before the spring change: +02:00
             + "2,B,2026-03-29T03:30:00,,2026-03-29T03:31:00\n"  # does not exist: read as +02:00 = 04:30+03:00
             + "3,C,2026-10-25T03:30:00,,2026-10-25T03:31:00\n"  # twice: the first (+03:00)
             + "4,D,2026-10-25T03:30:00+02:00,,2026-10-25T03:31:00+02:00\n"  # the second, given explicitly
             + "5,E,2026-10-25 05:00:00Z,,2026-10-25 05:01:00Z\n"  # UTC -> 07:00+02:00
             + "6,F,2026-07-01T12:00:00+0300,,2026-07-01T12:01:00+0300\n")
    log = read_log(p)
    utc = log.frame["arrival"].dt.tz_convert("UTC").dt.strftime("%Y-%m-%d %H:%M").tolist()
    assert utc == ["2026-03-29 00:30", "2026-03-29 01:30", "2026-10-25 00:30", "2026-10-25 01:30",
                   "2026-10-25 05:00", "2026-07-01 09:00"]
    local = log.frame["arrival"].dt.strftime("%H:%M%z").tolist()
    assert local[1] == "04:30+0300" and local[2] == "03:30+0300" and local[3] == "03:30+0200"
    assert any("2 ambiguous and 2 nonexistent" in n for n in log.notes)  # arrival and end
    # another zone: naive times are its local times
    ny = read_log(p, tz="America/New_York").frame["arrival"]
    assert str(ny.dt.tz) == "America/New_York"
    assert ny.iloc[0].strftime("%H:%M%z") == "02:30-0400"


def test_columns_are_mapped_by_name(tmp_path):
    from ska_sim.calibration.calllog import load_columns, read_log

    p = _csv(tmp_path, "id;x\n", "ignored.csv")  # (unused)
    p = _csv(tmp_path, "CallID,Phone,Start,Connected,Finished,Queue\n"
             "10,38001085718,2026-03-02T09:00:00,2026-03-02T09:00:30,2026-03-02T09:05:00,pensions\n")
    m = tmp_path / "mapping.toml"
    m.write_text('[columns]\ncall_id = "CallID"\ncaller_id = "Phone"\narrival = "Start"\nanswer = "Connected"\n'
                 'end = "Finished"\ncall_type = "Queue"\n', encoding="utf-8")
    log = read_log(p, load_columns(m))
    f = log.frame
    assert f["call_id"].tolist() == [10] and f["call_type"].tolist() == ["pensions"]
    assert (f["answer"] - f["arrival"]).dt.total_seconds().tolist() == [30.0]
    assert f["abandon"].isna().all() and f["language"].tolist() == [""]


# --------------------------------------------------------------------------- bad input
GOOD = "1,A,2026-03-02T09:00:00,2026-03-02T09:00:10,2026-03-02T09:05:00\n"
GALLERY = {
    # name: (file text, the message expected; rows named, no value quoted)
    "missing column": ("call_id,caller_id,arrival,end\n1,A,2026-03-02T09:00:00,2026-03-02T09:05:00\n",
                       ["log.csv: column 'answer' missing"]),
    "unparseable timestamp": (HEAD + GOOD + "2,B,yesterday at nine,,2026-03-02T09:05:00\n",
                              ["log.csv row 2: arrival: not a timestamp"]),
    "end before arrival": (HEAD + GOOD + "2,B,2026-03-02T09:00:00,,2026-03-02T08:59:00\n",
                           ["log.csv row 2: end: before arrival"]),
    "answer after end": (HEAD + GOOD + "2,B,2026-03-02T09:00:00,2026-03-02T09:06:00,2026-03-02T09:05:00\n",
                         ["log.csv row 2: answer: after end"]),
    "duplicate call ids": (HEAD + GOOD + GOOD.replace(",A,", ",B,") + GOOD.replace("1,A", "2,C"),
                           ["log.csv rows 1, 2: call_id: the same call id on more than one row"]),
    "empty file": ("", ["log.csv: empty file (no header, no calls)"]),
    "header only": (HEAD, ["log.csv: no calls (a header and no rows)"]),
    "many bad rows": (HEAD + GOOD + "".join(f"{i},B,2026-03-02T09:00:00,,2026-03-02T08:00:00\n" for i in range(2, 16)),
                      ["log.csv rows 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 and 4 more: end: before arrival"]),
    "two problems, two messages": (HEAD + GOOD + "2,B,nine,,2026-03-02T09:05:00\n"
                                   + "3,C,2026-03-02T09:00:00,,2026-03-02T08:00:00\n",
                                   ["log.csv row 2: arrival: not a timestamp", "log.csv row 3: end: before arrival"]),
}


@pytest.mark.parametrize("name", list(GALLERY))
def test_bad_input_gallery(tmp_path, name):
    from ska_sim.calibration.calllog import LogError, read_log

    text, expected = GALLERY[name]
    p = _csv(tmp_path, text)
    with pytest.raises(LogError) as exc:
        read_log(p)
    assert len(exc.value.problems) == len(expected), exc.value.problems
    for got, want in zip(exc.value.problems, expected):
        assert got.startswith(want), got


@pytest.mark.parametrize("name", ["unparseable timestamp", "end before arrival", "duplicate call ids", "empty file",
                                  "missing column"])
def test_the_command_says_it_exits_2_and_writes_nothing(tmp_path, name):
    from click.testing import CliRunner

    from ska_sim.cli import main

    text, expected = GALLERY[name]
    p = _csv(tmp_path, text)
    out = tmp_path / "out"
    res = CliRunner().invoke(main, ["backtest", "scenarios/baseline.toml", str(p), "-r", "1", "--out", str(out)])
    assert res.exit_code == 2, res.output
    assert f"error: {expected[0]}" in res.output and "Traceback" not in res.output
    assert not out.exists()


def test_skip_bad_rows_leaves_them_out_and_counts_them(tmp_path):
    from ska_sim.calibration.calllog import read_log

    text, _ = GALLERY["two problems, two messages"]
    log = read_log(_csv(tmp_path, text), skip_bad_rows=True)
    assert len(log.frame) == 1 and log.skipped["row"].tolist() == [2, 3]
    assert log.skipped["reason"].tolist() == [
        "arrival: not a timestamp (ISO 8601 expected, e.g. 2026-03-02T09:00:05+02:00)", "end: before arrival"]
    assert any("2 bad rows skipped" in n for n in log.notes)
    # structural problems are never skipped
    from ska_sim.calibration.calllog import LogError

    with pytest.raises(LogError):
        read_log(_csv(tmp_path, GALLERY["missing column"][0]), skip_bad_rows=True)


def test_skipped_rows_are_counted_in_the_output_and_the_manifest(tmp_path):
    import json

    from click.testing import CliRunner

    from ska_sim.calibration.log_writer import record_calls, write_log
    from ska_sim.cli import main

    _, log = record_calls(scenario_from_dict(baseline_dict(days=1)), 3)
    p = tmp_path / "calls.csv"
    write_log(log, p)
    lines = p.read_text().splitlines()
    lines[5] = lines[5].replace("2026-03-02T", "2026-13-02T", 1)  # row 5: a 13th month
    p.write_text("\n".join(lines) + "\n")
    out = tmp_path / "out"
    args = ["backtest", "scenarios/baseline.toml", str(p), "-r", "1", "--workers", "1", "--out", str(out)]
    bad = CliRunner().invoke(main, args)
    assert bad.exit_code == 2 and "row 5: arrival: not a timestamp" in bad.output
    res = CliRunner().invoke(main, args + ["--skip-bad-rows"])
    assert res.exit_code == 0, res.output
    assert "1 bad rows of calls.csv skipped" in res.output and "row 5: arrival" in res.output
    assert json.loads((out / "manifest.json").read_text())["log_rows_skipped"] == 1


def test_a_mapping_file_with_unknown_keys_is_refused(tmp_path):
    from ska_sim.calibration.calllog import LogError, load_columns

    m = tmp_path / "m.toml"
    m.write_text('callerid = "Phone"\narrival = 3\n')
    with pytest.raises(LogError) as exc:
        load_columns(m)
    assert len(exc.value.problems) == 2 and "callerid: not a call-log column" in exc.value.problems[0]


def test_texts_with_commas_and_quotes_survive_the_csv(written, tmp_path):
    from ska_sim.calibration.calllog import read_log
    from ska_sim.calibration.log_writer import write_log

    log, _ = written
    odd = log.head(5).copy()
    odd["call_type"] = ['pensions, "old"', "a\nb", "plain", "=1+1", "x"]
    write_log(odd, tmp_path / "odd.csv")
    assert read_log(tmp_path / "odd.csv").frame["call_type"].tolist() == odd["call_type"].tolist()
    write_log(log.head(5), tmp_path / "plain.csv")
    assert '"' not in (tmp_path / "plain.csv").read_text()  # no quotes where none are needed


def test_run_with_record_calls_reports_the_same_kpis(tmp_path):
    import json

    from click.testing import CliRunner

    from ska_sim.cli import main

    args = ["run", "tests/data/minimal.toml", "-r", "2", "--workers", "1", "--format", "json"]
    plain = CliRunner().invoke(main, args)
    rec = CliRunner().invoke(main, args + ["--record-calls", str(tmp_path / "calls.parquet")])
    assert plain.exit_code == 0 and rec.exit_code == 0, rec.output
    assert json.loads(plain.output) == json.loads(rec.output)
    log = pd.read_parquet(tmp_path / "calls.parquet")
    assert list(log.columns) == ["call_id", "caller_id", "call_type", "language", "arrival", "answer", "end",
                                 "abandon", "wrap_up_s", "agent_group", "kind", "outcome"]
    bad = CliRunner().invoke(main, args + ["--record-calls", str(tmp_path / "calls.xlsx")])
    assert bad.exit_code == 2 and "must end in .csv or .parquet" in bad.output
    assert not (tmp_path / "calls.xlsx").exists()


def test_parquet_timestamps_naive_or_in_another_zone(tmp_path):
    from ska_sim.calibration.calllog import read_log

    t = pd.Series(pd.to_datetime(["2026-10-25 03:30:00", "2026-03-02 09:00:00"]))
    df = pd.DataFrame({"call_id": [1, 2], "caller_id": ["a", "b"], "arrival": t, "answer": t,
                       "end": t + pd.Timedelta(minutes=5)})
    df.to_parquet(tmp_path / "naive.parquet")
    got = read_log(tmp_path / "naive.parquet").frame["arrival"].dt.strftime("%H:%M%z").tolist()
    assert got == ["03:30+0300", "09:00+0200"]  # naive: local, the DST rule as for CSV
    df["arrival"] = df["answer"] = t.dt.tz_localize("UTC")
    df["end"] = df["arrival"] + pd.Timedelta(minutes=5)
    df.to_parquet(tmp_path / "utc.parquet")
    got = read_log(tmp_path / "utc.parquet").frame["arrival"].dt.strftime("%H:%M%z").tolist()
    assert got == ["05:30+0200", "11:00+0200"]


def test_rows_with_the_wrong_number_of_fields_are_named_and_later_rows_keep_their_numbers(tmp_path):
    from ska_sim.calibration.calllog import LogError, read_log

    p = _csv(tmp_path, HEAD + GOOD + "2,38001085718,2026-03-02T09:00:00,,2026-03-02T09:01:00,38001085718\n"
             + "3,B\n" + "4,C,2026-03-02T09:00:00,,2026-03-02T08:01:00\n" + GOOD.replace("1,A", "5,D"))
    with pytest.raises(LogError) as exc:
        read_log(p)
    assert exc.value.problems == ["log.csv row 2: fields: 6 instead of the header's 5",
                                  "log.csv row 3: fields: 2 instead of the header's 5",
                                  "log.csv row 4: end: before arrival"]
    assert "38001085718" not in str(exc.value)
    log = read_log(p, skip_bad_rows=True)
    assert log.frame["call_id"].tolist() == [1, 5] and log.skipped["row"].tolist() == [2, 3, 4]
