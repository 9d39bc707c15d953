"""`staff` and `marginal` on scenarios with agent groups.

Known answers: on disjoint groups (each language served by its own group only) the Erlang
start is Erlang C per group computed by hand from that group's own calls and handle time;
a per-group plan written by ``with_agents`` comes back unchanged through the timeline;
``marginal --group`` changes that group's agents only, by a hand-countable amount.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from helpers import mmc_dict
from ska_sim import scenario_from_dict
from ska_sim.cli import main
from ska_sim.maths.erlang import erlang_c_result
from ska_sim.plan.by_simulation import with_agents
from ska_sim.plan.people import fte_of
from ska_sim.plan.staffing_groups import erlang_group_plan
from ska_sim.scenario.timeline import build_timeline
from conftest import ROOT

CALLS_PER_HOUR = 90.0
TALK_S = 300.0
ET, RU = 0.6, 0.4
RU_TALK = 1.2  # Russian calls take 20% longer to talk
ET_HANDLE = 0.9  # the Estonian group is 10% faster


def two_groups(**extra) -> dict:
    """M/M/c-like day (no patience, no follow-ups) with two languages, each its own group."""
    d = mmc_dict(calls_per_hour=CALLS_PER_HOUR, aht_s=TALK_S, days=2, warmup_days=1, replications=3, **extra)
    d["calendar"]["hours"] = {w: ["08:00", "16:00"] for w in ("mon", "tue", "wed", "thu", "fri")}
    d["arrivals"] = {"daily_calls": CALLS_PER_HOUR * 8, "profile": [1 / 8] * 8}
    d["languages"] = {"et": {"share": ET}, "ru": {"share": RU, "talk_factor": RU_TALK}}
    del d["staffing"]["agents"]
    d["groups"] = [
        {"name": "et_only", "languages": ["et"], "handle_factor": ET_HANDLE, "agents": {"default": [7] * 8}},
        {"name": "ru_only", "languages": ["ru"], "agents": {"default": [6] * 8}},
    ]
    return d


def erlang_c_by_hand(rate_per_s: float, aht_s: float, target: float = 0.8, threshold_s: float = 20.0) -> int:
    c = 1
    while True:
        r = erlang_c_result(c, rate_per_s, aht_s, threshold_s)
        if r.stable and r.service_level >= target:
            return c
        c += 1


def test_erlang_start_on_disjoint_groups_is_erlang_c_per_group_by_hand():
    s = scenario_from_dict(two_groups())
    plan = erlang_group_plan(s, "interval")
    tl = build_timeline(s)
    assert plan.agents.shape == (len(tl.iv_day), 2)
    et = erlang_c_by_hand(CALLS_PER_HOUR * ET / 3600, TALK_S * ET_HANDLE)
    ru = erlang_c_by_hand(CALLS_PER_HOUR * RU / 3600, TALK_S * RU_TALK)
    pooled = erlang_c_by_hand(CALLS_PER_HOUR / 3600, TALK_S * (ET * ET_HANDLE + RU * RU_TALK))
    assert (et, ru) == (7, 6) and pooled < et + ru  # pooling would save agents: not what the groups can do
    np.testing.assert_array_equal(plan.agents[:, 0], et)
    np.testing.assert_array_equal(plan.agents[:, 1], ru)
    np.testing.assert_allclose(plan.offered[:, 0], CALLS_PER_HOUR * ET)
    np.testing.assert_allclose(plan.offered[:, 1], CALLS_PER_HOUR * RU)


def test_overflow_group_gets_no_load_in_the_start():
    """A second group that is never first in line (it takes et calls after 60 s) has no load of
    its own in the separated start (it keeps today's agents), and the first group takes all of
    the cell's load."""
    d = two_groups()
    d["groups"].append({"name": "backup", "languages": ["et"], "overflow_after_s": 60, "agents": {"default": [2] * 8}})
    s = scenario_from_dict(d)
    plan = erlang_group_plan(s, "interval")
    assert (plan.agents[:, 2] == 2).all() and (plan.offered[:, 2] == 0).all()
    np.testing.assert_array_equal(plan.agents[:, 0], erlang_c_by_hand(CALLS_PER_HOUR * ET / 3600, TALK_S * ET_HANDLE))


def test_with_agents_plan_reproduces_itself_through_the_timeline():
    d = two_groups()
    d["staffing"]["scale"] = 1.5  # with_agents writes the plan at scale 1
    s = scenario_from_dict(d)
    tl = build_timeline(s)
    rng = np.random.default_rng(3)
    plan = rng.integers(0, 12, size=(len(tl.iv_day), 2))
    s2 = with_agents(s, tl, plan)
    tl2 = build_timeline(s2)
    np.testing.assert_array_equal(tl2.iv_group_agents, plan)
    np.testing.assert_array_equal(tl2.iv_agents, plan.sum(axis=1))
    with pytest.raises(ValueError):
        with_agents(s, tl, plan.sum(axis=1))  # one pool's vector on a groups scenario


def _toml(d: dict) -> str:
    """TOML for two_groups(): the general writer plus [languages.*] and [[groups]] tables."""
    import copy

    from helpers import toml_of as general

    d = copy.deepcopy(d)
    groups, languages = d.pop("groups"), d.pop("languages")
    staffing = d.pop("staffing")
    text = general(d) + "[staffing]\n" + "".join(f"{k} = {v!r}\n" for k, v in staffing.items())
    for name, lang in languages.items():
        text += f"[languages.{name}]\n" + "".join(f"{k} = {v!r}\n" for k, v in lang.items())
    for g in groups:
        text += "[[groups]]\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in g.items() if k != "agents")
        text += "[groups.agents]\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in g["agents"].items())
    return text


def _write(tmp_path, d: dict) -> str:
    p = tmp_path / "groups.toml"
    p.write_text(_toml(d))
    return str(p)


SHRINK = {"breaks": 0.1, "absence": 0.2}


def test_marginal_group_adds_agents_to_that_group_only_and_its_fte_is_hand_checkable():
    from ska_sim.plan.marginal import marginal

    s = scenario_from_dict(two_groups(shrinkage=SHRINK))
    mg = marginal(s, [0, 1], replications=2, seed=5, group="ru_only")
    gi0, gi1 = (mg.results[k].group_intervals for k in (0, 1))
    for name, change in (("et_only", 0), ("ru_only", 1)):
        a0 = gi0.loc[gi0["group"] == name, "agents"].to_numpy()
        a1 = gi1.loc[gi1["group"] == name, "agents"].to_numpy()
        np.testing.assert_array_equal(a1 - a0, change)
    row = mg.table.set_index("step").loc[1]
    # 1 agent x 8 open hours x 2 measured days = 16 h on the phones; / (1 - 0.1) / (1 - 0.2) paid;
    # the norm of 2 working days is 2 x 40 / 5 = 16 h
    paid_h = 16 / 0.9 / 0.8
    assert row["fte_change"] == pytest.approx(paid_h / 16)
    assert row["fte_change"] == pytest.approx(fte_of(s, paid_h))
    assert row["group"] == "ru_only"


def test_marginal_group_hours_changes_only_those_intervals():
    from ska_sim.plan.marginal import marginal

    s = scenario_from_dict(two_groups(shrinkage=SHRINK))
    mg = marginal(s, [0, 2], replications=2, seed=5, group="et_only", hours="10:00-12:00")
    gi0, gi2 = mg.results[0].group_intervals, mg.results[2].group_intervals
    d = gi2["agents"].to_numpy() - gi0["agents"].to_numpy()
    in_hours = gi0["time"].isin(["10:00", "11:00"]).to_numpy() & (gi0["group"] == "et_only").to_numpy()
    np.testing.assert_array_equal(d, np.where(in_hours, 2, 0))
    # 2 agents x 2 hours x 2 days = 8 h on the phones
    assert mg.table.set_index("step").loc[2, "fte_change"] == pytest.approx(8 / 0.9 / 0.8 / 16)


def test_marginal_cli_group_errors(tmp_path):
    path = _write(tmp_path, two_groups())
    run = CliRunner().invoke
    bad = run(main, ["marginal", path, "--group", "fr_only", "-r", "2"])
    assert bad.exit_code == 2 and "fr_only" in bad.output and "et_only, ru_only" in bad.output
    assert "Traceback" not in bad.output
    none = run(main, ["marginal", path, "-r", "2"])
    assert none.exit_code == 2 and "--group" in none.output
    hours = run(main, ["marginal", path, "--group", "et_only", "--hours", "14:00-10:00", "-r", "2"])
    assert hours.exit_code == 2 and "--hours" in hours.output
    ok = run(main, ["marginal", path, "--group", "et_only", "--agents", "0..1", "-r", "2", "--workers", "1",
                    "--format", "json"])
    assert ok.exit_code == 0, ok.output
    doc = json.loads(ok.output)
    assert doc["group"] == "et_only" and [r["step"] for r in doc["rows"]] == [0, 1]


def test_staff_per_group_json_shape(tmp_path):
    path = _write(tmp_path, two_groups(shrinkage=SHRINK))
    res = CliRunner().invoke(main, ["staff", path, "-r", "2", "--workers", "1", "--format", "json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    req = doc["requirements"]
    s = scenario_from_dict(two_groups())
    n_iv = int(build_timeline(s).iv_measured().sum())
    assert len(req) == 2 * n_iv and [r["group"] for r in req[:2]] == ["et_only", "ru_only"]
    assert {r["agents_erlang_interval"] for r in req if r["group"] == "et_only"} == {7}
    assert {r["agents_erlang_interval"] for r in req if r["group"] == "ru_only"} == {6}
    groups = {(g["plan"], g["group"]): g for g in doc["groups"]}
    rec = doc["recommended"]
    assert rec == "erlang interval" and set(groups) == {(p, g) for p in ("today", rec)
                                                        for g in ("et_only", "ru_only", "total")}
    # FTE per group: phone hours / shrinkage / the 16 h norm; the total is their sum (one definition)
    et = groups[(rec, "et_only")]
    assert et["phone_hours"] == pytest.approx(7 * 16) and et["fte"] == pytest.approx(7 * 16 / 0.9 / 0.8 / 16)
    assert groups[(rec, "total")]["fte"] == pytest.approx(et["fte"] + groups[(rec, "ru_only")]["fte"])
    assert doc["fte"]["fte"] == pytest.approx(groups[(rec, "total")]["fte"])
    assert [p["plan"] for p in doc["plans"]][:2] == ["today", "erlang interval"]
    today = groups[("today", "total")]
    assert today["phone_hours"] == pytest.approx((7 + 6) * 16)
    shifts_file = str(ROOT / "scenarios" / "shifts-example.toml")
    shifts = CliRunner().invoke(main, ["staff", path, "--shifts", shifts_file, "-r", "2"])
    assert shifts.exit_code == 2 and "--shifts" in shifts.output and "Traceback" not in shifts.output


def test_simulation_method_adds_agents_to_the_group_that_is_short():
    """From a start where ru_only is far too short (3 agents for 3.6 Erlangs), the simulation
    method gives ru_only the agents (the bottleneck by its carried load), not et_only."""
    from ska_sim.plan.load import Plan
    from ska_sim.plan.staffing_groups import simulation_group_plan

    s = scenario_from_dict(two_groups())
    start = erlang_group_plan(s, "interval")
    short = start.agents.copy()
    short[:, 1] = 3
    plan = simulation_group_plan(s, "interval", replications=3, seed=11, workers=1,
                                 start=Plan(short, start.offered, start.service_level, "erlang", "interval"))
    m = build_timeline(s).iv_measured()
    assert plan.converged
    ru = plan.agents[m, 1].reshape(-1, 8)  # per measured day, its 8 hours
    # Erlang C says 6; the simulation may find one fewer enough, and two fewer in the opening
    # hour, when the day starts with nobody waiting
    assert (ru[:, 1:] >= 5).all() and (ru[:, 0] >= 4).all()
    assert (np.abs(plan.agents[m, 0] - start.agents[m, 0]) <= 1).all()


def test_staff_simulation_method_per_group(tmp_path):
    path = _write(tmp_path, two_groups())
    res = CliRunner().invoke(main, ["staff", path, "--method", "simulation", "-r", "3", "--workers", "1",
                                    "--format", "json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    assert doc["recommended"] == "simulation interval"
    assert all("agents_simulation" in r and r["group"] in ("et_only", "ru_only") for r in doc["requirements"])
    text = CliRunner().invoke(main, ["staff", path, "--method", "simulation", "-r", "3", "--workers", "1"]).output
    assert "Group et_only:" in text and "Group ru_only:" in text and "on separated groups" in text


def test_staff_and_marginal_write_group_files(tmp_path):
    path = _write(tmp_path, two_groups())
    out = tmp_path / "st"
    res = CliRunner().invoke(main, ["staff", path, "-r", "2", "--workers", "1", "--out", str(out)])
    assert res.exit_code == 0, res.output
    import pandas as pd

    req = pd.read_csv(out / "requirements.csv")
    assert list(req["group"].unique()) == ["et_only", "ru_only"]
    assert set(pd.read_csv(out / "groups.csv")["group"]) == {"et_only", "ru_only", "total"}
    mo = tmp_path / "mg"
    res = CliRunner().invoke(main, ["marginal", path, "--group", "ru_only", "--hours", "10:00-12:00", "--agents", "0..1",
                                    "-r", "2", "--workers", "1", "--out", str(mo)])
    assert res.exit_code == 0, res.output
    man = json.loads((mo / "manifest.json").read_text())
    assert man["group"] == "ru_only" and man["hours"] == "10:00-12:00"
    assert "ru_only only" in res.output and "10:00-12:00" in res.output


def test_transfers_add_their_second_leg_to_the_receiving_group():
    """30% of the calls (both languages) are transferred to eu_unit (no inbound calls of its
    own), 600 s there: its start is Erlang C for 0.3 x the call rate at 600 s."""
    d = two_groups()
    d["call_types"][0]["transfer"] = {"share": 0.3, "to": "eu_unit", "talk": {"dist": "exponential", "mean_s": 600},
                                      "resolved": 1.0}
    d["groups"].append({"name": "eu_unit", "call_types": [], "agents": {"default": [1] * 8}})
    s = scenario_from_dict(d)
    plan = erlang_group_plan(s, "interval")
    assert (plan.agents[:, 2] == erlang_c_by_hand(0.3 * CALLS_PER_HOUR / 3600, 600)).all()
    np.testing.assert_allclose(plan.offered[:, 2], 0.3 * CALLS_PER_HOUR)


def test_marginal_of_a_group_shows_what_each_languages_callers_get():
    from ska_sim import load_scenario
    from ska_sim.plan.marginal import marginal

    s = load_scenario(ROOT / "scenarios" / "skills-languages.toml")
    mg = marginal(s, [0, 1], group="ru_general", hours="10:00-14:00", replications=3, seed=4, executor=None)
    t = mg.table.set_index("step")
    for lang in ("et", "ru", "en"):
        assert t.loc[0, f"service_level:{lang}_change"] == 0
        lo, hi = t.loc[1, f"service_level:{lang}_change_ci_low"], t.loc[1, f"service_level:{lang}_change_ci_high"]
        assert lo <= t.loc[1, f"service_level:{lang}_change"] <= hi
    # one more Russian speaker helps Russian callers more than English ones (who it cannot serve)
    assert t.loc[1, "service_level:ru_change"] > t.loc[1, "service_level:en_change"]
    from ska_sim.report.text import marginal_text

    assert "By language" in marginal_text(mg, s) and "service level ru" in marginal_text(mg, s)
