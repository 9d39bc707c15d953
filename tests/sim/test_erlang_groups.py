"""The Erlang C cross-check with agent groups (sim/erlang_check.py: ``basis_of``,
``group_cross_check``, ``group_figures``): each group compared on the inbound calls offered to
it in the simulation, or the inbound groups pooled when they share every skill; groups that
take no inbound calls left out, with why.

On two independent groups that each meet M/M/c (their own call type, exponential handling,
no abandonment, constant rate and staffing, open around the clock) Erlang C per group is the
truth: every flagged (interval, group) is a false alarm, so the flagged share must be within a
binomial tolerance of the flag's 5% level, per group, per interval and per time of day.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import binom

from helpers import mmc_dict, two_mmc_groups
from ska_sim import load_scenario, scenario_from_dict, simulate
from ska_sim.maths.erlang import erlang_c_result
from ska_sim.report.erlang_text import cross_check_lines, erlang_label
from ska_sim.sim.erlang_check import DIFFERS_LEVEL, PER_GROUP, POOLED

ROOT = __import__("pathlib").Path(__file__).resolve().parents[2]


def within_binomial(flagged: int, n: int) -> bool:
    lo, hi = binom.ppf(0.0005, n, DIFFERS_LEVEL), binom.ppf(0.9995, n, DIFFERS_LEVEL)
    return lo <= flagged <= hi


@pytest.fixture(scope="module")
def independent():
    return simulate(scenario_from_dict(two_mmc_groups()), seed=5)


def test_two_independent_mmc_groups_flag_near_the_nominal_level(independent):
    r = independent
    e = r.erlang
    assert e["compares"] == PER_GROUP and e["left_out"] == {} and e["explanations"] == []
    gi = r.group_intervals
    for name in ("ga", "gb"):
        flags = gi.loc[gi["group"] == name, "erlang_c_differs"]
        assert len(flags) == 480
        assert within_binomial(int(flags.sum()), 480), f"{name}: {int(flags.sum())} of 480 flagged"
        fig = next(g for g in e["groups"] if g["group"] == name)
        assert fig["differing_intervals"] == int(flags.sum()) and fig["tested_intervals"] == 480
        assert fig["expected_by_chance"] == pytest.approx(0.05 * 480)
    # the interval's test (Erlang C of its groups against its simulated service level) too
    assert within_binomial(int(r.intervals["erlang_c_differs"].sum()), 480)
    assert e["differing_intervals"] == int(r.intervals["erlang_c_differs"].sum())
    # each group's AHT is its own calls' (300 s and 400 s), not the mix
    assert [g["aht_s"] for g in e["groups"]] == pytest.approx([300.0, 400.0])


def test_per_group_erlang_c_by_hand(independent):
    r = independent
    gi = r.group_intervals
    row = gi.iloc[2 * 7 + 1]  # interval 7, group gb
    assert row["group"] == "gb" and row["agents"] == 6
    by_hand = erlang_c_result(6, row["offered"] / 3600, 400.0, 20).service_level
    assert row["erlang_c_service_level"] == pytest.approx(by_hand, rel=1e-9)
    assert row["load_erlang"] == pytest.approx(row["offered"] * 400 / 3600)
    # the interval's Erlang C: its groups' values weighted by their offered calls
    a, b = gi.iloc[14], gi.iloc[15]
    iv = r.intervals.iloc[7]
    weighted = (a["offered"] * a["erlang_c_service_level"] + b["offered"] * b["erlang_c_service_level"]) / (
        a["offered"] + b["offered"])
    assert iv["erlang_c_service_level"] == pytest.approx(weighted, rel=1e-9)
    assert iv["offered"] == pytest.approx(a["offered"] + b["offered"])
    assert iv["erlang_agents"] == 14
    # without abandonment every call is answered by its group: offered = answered
    np.testing.assert_allclose(r.groups["offered"], r.groups["answered"])
    # the window figure is the offered-weighted Erlang C of every (interval, group)
    off, e = gi["offered"].to_numpy(), gi["erlang_c_service_level"].to_numpy()
    assert r.erlang["service_level"] == pytest.approx((off * e).sum() / off.sum(), rel=1e-9)


def test_lost_calls_count_for_the_group_first_in_line():
    # type b goes to gb first and to ga after 30 s; callers hang up (mean 60 s); ga's own calls too
    d = two_mmc_groups(days=3, replications=3)
    d["groups"][0]["call_types"] = ["a", "b"]
    d["groups"][0]["overflow_after_s"] = 30
    d["groups"][1]["agents"] = {"default": [3] * 24}
    d["routing"] = {"order": {"b": ["gb", "ga"]}}
    d["patience"] = {"dist": "exponential", "mean_s": 60.0}
    r = simulate(scenario_from_dict(d), seed=2)
    g = r.groups.set_index("group")
    types = r.call_types.set_index("call_type")
    assert g.loc["ga", "answered"] > types.loc["a", "answered"]  # ga took some b calls by overflow
    # every offered call is offered to one group; b's lost calls are gb's, a's are ga's
    assert g["offered"].sum() == pytest.approx(r.kpi("offered"))
    assert g.loc["gb", "offered"] == pytest.approx(g.loc["gb", "answered"] + types.loc["b", "abandoned"])
    assert g.loc["ga", "offered"] == pytest.approx(g.loc["ga", "answered"] + types.loc["a", "abandoned"])
    assert r.erlang["compares"] == PER_GROUP
    assert any(x.startswith("overflow: ga") for x in r.erlang["explanations"])


def test_groups_sharing_every_skill_are_pooled():
    # two groups that both take every call at once: one M/M/14 pool
    d = two_mmc_groups(days=20, replications=10)
    for grp in d["groups"]:
        grp["call_types"] = "all"
    r = simulate(scenario_from_dict(d), seed=9)
    e = r.erlang
    assert e["compares"] == POOLED and erlang_label(e) == "Erlang C, inbound groups pooled"
    assert (r.intervals["erlang_agents"] == 14).all()
    row = r.intervals.iloc[3]
    by_hand = erlang_c_result(14, row["offered"] / 3600, row["aht_s"], 20).service_level
    assert row["erlang_c_service_level"] == pytest.approx(by_hand, rel=1e-9)
    # the AHT is of the calls offered: 2/3 x 300 s + 1/3 x 400 s
    assert e["aht_s"] == pytest.approx(2 / 3 * 300 + 1 / 3 * 400, rel=0.02)
    assert within_binomial(int(r.intervals["erlang_c_differs"].sum()), 480)
    assert "inbound groups pooled (ga, gb" in cross_check_lines(r)[0]


def test_skills_languages_leaves_out_the_callback_team_and_names_what_it_compares():
    s = load_scenario(ROOT / "scenarios" / "skills-languages.toml")
    r = simulate(s, replications=3, seed=1)
    e = r.erlang
    assert e["compares"] == PER_GROUP
    assert e["left_out"] == {"eu_unit": "no inbound calls: takes transferred calls",
                             "callback_team": "no inbound calls: places callbacks"}
    compared = [g["group"] for g in e["groups"] if g["compared"]]
    assert compared == ["et_general", "ru_general", "en_capable", "family_specialists"]
    # the agents Erlang C counts leave out the 3 agents of eu_unit and callback_team
    assert (r.intervals["agents"] - r.intervals["erlang_agents"] == 3).all()
    text = "\n".join(cross_check_lines(r))
    assert text.startswith("Erlang C cross-check per agent group")
    assert "Left out of the comparison: eu_unit (no inbound calls: takes transferred calls), " \
           "callback_team (no inbound calls: places callbacks)." in text
    for name in compared:
        assert f"\n  {name} " in text
    # every inbound call is offered to one compared group
    assert r.groups["offered"].sum() == pytest.approx(r.kpi("offered"))


def test_scenarios_without_groups_keep_their_cross_check():
    r = simulate(scenario_from_dict(mmc_dict(days=2, replications=3)), seed=1)
    assert "compares" not in r.erlang and "erlang_agents" not in r.intervals
    assert erlang_label(r.erlang) == "Erlang C"
    assert cross_check_lines(r)[0].startswith("Erlang C cross-check (AHT 300 s")
