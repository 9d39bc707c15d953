"""What-ifs: common random numbers, comparisons, sweeps and the marginal value of agents."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from helpers import mmc
from ska_sim import load_scenario, simulate
from ska_sim.cli import main
from ska_sim.plan.compare import compare, paired_difference, parse_variants
from ska_sim.plan.marginal import parse_agent_range, spread_agents
from ska_sim.plan.sweep import parse_vary
from conftest import ROOT

DATA = ROOT / "tests" / "data"
MINIMAL = str(DATA / "minimal.toml")


def test_common_random_numbers_narrow_the_interval_of_a_difference():
    # 9 vs 10 agents: paired with the same seed, then with independent seeds
    a = mmc(agents=9, calls_per_hour=90, patience_s=240, days=3, replications=12)
    b = mmc(agents=10, calls_per_hour=90, patience_s=240, days=3, replications=12)
    ra, rb_same, rb_other = simulate(a, seed=1), simulate(b, seed=1), simulate(b, seed=777)
    sl = lambda r: r.per_replication["service_level"].to_numpy()  # noqa: E731
    _, lo_c, hi_c = paired_difference(sl(ra), sl(rb_same))
    _, lo_i, hi_i = paired_difference(sl(ra), sl(rb_other))
    var_crn = np.var(sl(rb_same) - sl(ra), ddof=1)
    var_ind = np.var(sl(rb_other) - sl(ra), ddof=1)
    assert var_crn < var_ind / 4  # a large variance reduction, not a marginal one
    assert hi_c - lo_c < (hi_i - lo_i) / 2
    assert lo_c > 0  # with CRN, one more agent is a significant improvement


def test_compare_of_a_scenario_with_itself_shows_zero_difference():
    s = load_scenario(MINIMAL)
    cmp = compare([("a", s), ("b", s)], replications=4, seed=2)
    diffs = cmp.table["1:diff"].to_numpy(dtype=float)
    assert np.nanmax(np.abs(diffs)) == 0.0
    assert not cmp.table["1:significant"].any()


def test_compare_command_with_per_file_overrides(tmp_path):
    out = tmp_path / "cmp"
    res = CliRunner().invoke(main, ["compare", MINIMAL, MINIMAL, "--set", "staffing.scale=1.5", "-r", "4",
                                    "--workers", "1", "--format", "json", "--out", str(out)])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    assert doc["scenarios"] == ["minimal (minimal.toml)", "minimal (minimal.toml) --set staffing.scale=1.5"]
    sl = next(r for r in doc["kpis"] if r["kpi"] == "service_level")
    assert sl["1:diff"] > 0 and sl["1:significant"]
    off = next(r for r in doc["kpis"] if r["kpi"] == "offered")
    assert off["1:diff"] == 0  # the same callers
    assert (out / "comparison.csv").exists() and (out / "manifest.json").exists()
    bad = CliRunner().invoke(main, ["compare", MINIMAL, "--set", "staffing.scale=-1", "--workers", "1"])
    assert bad.exit_code == 2 and "--set staffing.scale=-1: staffing.scale" in bad.output


def test_parse_variants_and_ranges():
    v, common = parse_variants(["--set", "a=1", "x.toml", "y.toml", "--set", "b=2", "--set=c=3"])
    assert common == ("a=1",) and [x.path for x in v] == ["x.toml", "y.toml"] and v[1].overrides == ("b=2", "c=3")
    assert parse_vary("staffing.scale=0.8:1.2:0.1") == ("staffing.scale", [0.8, 0.9, 1.0, 1.1, 1.2])
    assert parse_vary("arrivals.daily_calls=100:300:100") == ("arrivals.daily_calls", [100, 200, 300])
    assert parse_agent_range("-2..+4") == [-2, -1, 0, 1, 2, 3, 4]
    assert parse_agent_range("1..3") == [0, 1, 2, 3]


@pytest.mark.parametrize("bad", ["staffing.scale", "x=1:0:1", "x=0:1:0", "x=a:b:c", "x=0:1000:1"])
def test_bad_vary_exits_2(bad):
    res = CliRunner().invoke(main, ["sweep", MINIMAL, "--vary", bad])
    assert res.exit_code == 2 and "--vary" in res.output and "Traceback" not in res.output


@pytest.mark.parametrize("bad, line", [
    ("foo=1:2:1", "error: --vary foo: foo: unknown key (at foo=1)"),
    (["staffing.scale=1:1.1:0.1", "staffing.scale=1:2:1"],
     "error: --vary staffing.scale: the same key is varied twice: give one --vary per key"),
    ("staffing.scale=-1:1:1", "error: --vary staffing.scale: staffing.scale: must be greater than or equal to 0 (got -1) "
                              "(at staffing.scale=-1)"),
])
def test_a_bad_value_of_a_vary_names_the_vary_not_a_set(bad, line):
    varies = [x for v in ([bad] if isinstance(bad, str) else bad) for x in ("--vary", v)]
    res = CliRunner().invoke(main, ["sweep", MINIMAL, *varies, "-r", "1"])
    assert res.exit_code == 2 and res.output.strip().splitlines() == [line], res.output


def test_sweep_over_staffing_is_monotone_and_finds_the_smallest_scale(tmp_path):
    out = tmp_path / "sweep"
    res = CliRunner().invoke(main, ["sweep", MINIMAL, "--vary", "staffing.scale=0.6:1.6:0.2", "-r", "4",
                                    "--workers", "1", "--format", "json", "--out", str(out)])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    sl = [r["service_level"] for r in doc["rows"]]
    assert all(b >= a for a, b in zip(sl, sl[1:])), sl
    bounds = doc["meets_every_target"]["staffing.scale"]
    smallest = bounds["smallest_meeting"]
    assert smallest is not None
    below = [r for r in doc["rows"] if r["staffing.scale"] < smallest]
    assert all(not r["targets_met"] for r in below)
    assert (out / "sweep-service_level.png").read_bytes()[:4] == b"\x89PNG"


def test_two_key_sweep_is_a_grid():
    res = CliRunner().invoke(main, ["sweep", MINIMAL, "--vary", "staffing.scale=1:1.2:0.2", "--vary",
                                    "arrivals.volume_scale=0.9:1.1:0.2", "-r", "2", "--workers", "1", "--format", "json"])
    assert res.exit_code == 0, res.output
    assert len(json.loads(res.output)["rows"]) == 4


def test_spreading_agents_keeps_the_agent_hours_exact():
    agents = np.array([4, 6, 8, 2, 5, 5])
    day = np.array([0, 0, 0, 0, 1, 1])
    for k in (-2, -1, 1, 3):
        out = spread_agents(agents, day, k, "proportional")
        assert out[day == 0].sum() - agents[day == 0].sum() == 4 * k
        assert out[day == 1].sum() - agents[day == 1].sum() == 2 * k
    gains = lambda i, c: -abs(c - [9, 9, 9, 0, 5, 5][i])  # noqa: E731  agents help where short of these
    best = spread_agents(agents, day, 1, "best", gains)
    assert best[3] == 2 and best[day == 0].sum() == agents[day == 0].sum() + 4


def test_marginal_table_adds_service_and_costs_hours():
    res = CliRunner().invoke(main, ["marginal", MINIMAL, "--agents", "-1..2", "-r", "4", "--workers", "1", "--format", "json"])
    assert res.exit_code == 0, res.output
    rows = {r["agents_change"]: r for r in json.loads(res.output)["rows"]}
    assert set(rows) == {-1, 0, 1, 2}
    assert rows[0]["service_level_change"] == 0
    assert rows[-1]["service_level"] < rows[0]["service_level"] < rows[1]["service_level"] <= rows[2]["service_level"]
    assert rows[1]["abandoned_per_day"] <= rows[0]["abandoned_per_day"]
    assert rows[1]["paid_hours"] > rows[0]["paid_hours"]
    # waiting hours are the window's: its 2 open days, not a 5-day week
    assert rows[1]["waiting_hours"] == pytest.approx(rows[1]["waiting_hours_per_day"] * 2)
    best = CliRunner().invoke(main, ["marginal", MINIMAL, "--agents", "0..1", "--spread", "best", "-r", "3",
                                     "--workers", "1"])
    assert best.exit_code == 0 and "help most" in best.output


def test_compare_shows_a_kpi_only_some_scenarios_have_without_a_difference():
    """[message] in the second scenario only: its messages are shown, the first has none to pair."""
    base = load_scenario(ROOT / "scenarios" / "baseline.toml", ["calendar.days=2"])
    msg = load_scenario(ROOT / "scenarios" / "baseline.toml", ["calendar.days=2", "message.after_s=60",
                                                                  "message.leave=0.9"])
    t = compare([("base", base), ("message", msg)], replications=3).table.set_index("kpi")
    assert t.loc["messages", "1:mean"] > 10 and np.isnan(t.loc["messages", "0:mean"])
    assert np.isnan(t.loc["messages", "1:diff"]) and not t.loc["messages", "1:significant"]
    assert t.loc["offered", "1:mean"] == pytest.approx(
        t.loc["answered", "1:mean"] + t.loc["abandoned", "1:mean"] + t.loc["unanswered_at_close", "1:mean"]
        + t.loc["messages", "1:mean"])
