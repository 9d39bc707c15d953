"""Outputs of scenarios with agent groups: KPIs per language and per agent group add up to the line's, reach the
terminal, CSV and the report, and are absent for a scenario without groups."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from ska_sim import scenario_from_dict, simulate
from ska_sim.cli import main
from helpers import skills_dict


@pytest.fixture(scope="module")
def result():
    return simulate(scenario_from_dict(skills_dict()), replications=3, seed=5, workers=1)


def test_languages_and_groups_add_up_to_the_line(result):
    total = result.summary.set_index("kpi")["mean"]
    langs, groups = result.languages, result.groups
    assert list(langs["language"]) == ["et", "ru"] and list(groups["group"]) == ["et_general", "ru_general", "family"]
    assert langs["offered"].sum() == pytest.approx(total["offered"])
    assert langs["answered"].sum() == pytest.approx(total["answered"])
    assert groups["answered"].sum() == pytest.approx(total["answered"])  # every answered call has one group
    # agents on duty: each group's hours are its agents x the hours it is open (constant staffing, 2 days x 24 h)
    assert list(groups["agent_hours"]) == pytest.approx([4 * 48, 2 * 48, 1 * 48], rel=0.02)
    gi = result.group_intervals
    assert len(gi) == 3 * len(result.intervals)
    by_group = gi.groupby("group", sort=False)["answered"].sum()
    np.testing.assert_allclose(by_group.to_numpy(), groups.set_index("group").loc[by_group.index, "answered"], rtol=1e-9)
    assert (gi["agents"].to_numpy() == np.tile([4, 2, 1], len(result.intervals))).all()
    # the line's service level is the offered-weighted mean of the languages'
    w = langs["offered"] / langs["offered"].sum()
    assert (langs["service_level"] * w).sum() == pytest.approx(total["service_level"], abs=0.02)
    assert "blocked" in total.index and "written_requests" not in total.index  # lines given, no identity failures


def test_outputs_reach_terminal_csv_json_and_report(tmp_path):
    path = tmp_path / "skills.toml"
    path.write_text(_toml_groups(skills_dict()))
    out = tmp_path / "run"
    res = CliRunner().invoke(main, ["run", str(path), "-r", "2", "--workers", "1", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "By language" in res.output and "By agent group" in res.output and "blocked (busy tone)" in res.output
    assert pd.read_csv(out / "groups.csv")["group"].tolist() == ["et_general", "ru_general", "family"]
    assert set(pd.read_csv(out / "languages.csv")["language"]) == {"et", "ru"}
    doc = json.loads(CliRunner().invoke(main, ["run", str(path), "-r", "2", "--workers", "1", "--format", "json"]).output)
    assert {"languages", "groups", "group_intervals"} <= set(doc)
    rep = tmp_path / "r.html"
    res = CliRunner().invoke(main, ["report", str(path), "-r", "2", "--workers", "1", "-o", str(rep)])
    assert res.exit_code == 0, res.output
    html = rep.read_text()
    assert "By agent group" in html and "By language" in html and "Group et_general" in html
    assert 'alt="Heatmap of occupancy by agent group and time of day"' in html
    assert "Not computed for a scenario with agent groups" in html and "--group NAME" in html
    bad = CliRunner().invoke(main, ["marginal", str(path), "-r", "2"])
    assert bad.exit_code == 2 and "give --group NAME" in bad.output


def test_a_scenario_without_groups_has_no_group_tables(tmp_path):
    from helpers import mmc

    r = simulate(mmc(days=1, warmup_days=0), replications=2, seed=1, workers=1)
    assert r.languages is None and r.groups is None and r.group_intervals is None
    assert "blocked" not in set(r.summary["kpi"])


def _toml_groups(d: dict) -> str:
    """TOML for skills_dict(): the general writer plus [[groups]] tables with their agents."""
    import copy

    from helpers import toml_of

    d = copy.deepcopy(d)
    groups = d.pop("groups")
    languages = d.pop("languages")
    routing = d.pop("routing")
    lines = d.pop("lines")
    text = toml_of(d)
    for name, lang in languages.items():
        text += f"[languages.{name}]\n" + "".join(f"{k} = {v!r}\n" for k, v in lang.items())
    for g in groups:
        text += "[[groups]]\n"
        for k, v in g.items():
            if k != "agents":
                text += f"{k} = {json.dumps(v) if not isinstance(v, dict) else _inline(v)}\n"
        text += "[groups.agents]\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in g["agents"].items())
    text += "[routing.order]\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in routing["order"].items())
    text += f"[lines]\ncount = {lines['count']}\n"
    return text


def _inline(v: dict) -> str:
    return "{ " + ", ".join(f"{k} = {json.dumps(x)}" for k, x in v.items()) + " }"


def test_targets_per_language_are_read_from_that_languages_calls():
    d = skills_dict()
    d["targets"] = {"service_level": {"threshold_s": 20, "share": 0.8},
                    "languages": {"ru": {"service_level": 0.8, "answer_rate": 0.9}}}
    r = simulate(scenario_from_dict(d), replications=3, seed=5, workers=1)
    targets = r.targets.set_index("kpi")
    ru = r.languages.set_index("language").loc["ru"]
    assert targets.loc["service_level:ru", "mean"] == pytest.approx(ru["service_level"])
    assert targets.loc["answer_rate:ru", "mean"] == pytest.approx(ru["answer_rate"])
    assert targets.loc["service_level:ru", "target"] == ">= 80% (ru calls)"
    assert targets.loc["service_level", "mean"] != pytest.approx(ru["service_level"])  # the line's is another figure
    assert 0 <= targets.loc["service_level:ru", "replications_met_share"] <= 1
    d["targets"]["languages"] = {"fi": {"service_level": 0.8}}
    from ska_sim import ScenarioError

    with pytest.raises(ScenarioError, match="targets.languages.fi: unknown language 'fi'"):
        scenario_from_dict(d)


def test_compare_pairs_the_new_kpis_and_names_language_targets(tmp_path):
    d = skills_dict()
    path = tmp_path / "skills.toml"
    path.write_text(_toml_groups(d) + "[targets.languages.ru]\nservice_level = 0.8\n")
    res = CliRunner().invoke(main, ["compare", str(path), str(path), "--set", "lines.count=8", "-r", "3",
                                    "--workers", "1", "--format", "json"])
    assert res.exit_code == 0, res.output
    rows = {r["kpi"]: r for r in json.loads(res.output)["kpis"]}
    assert rows["blocked"]["1:diff"] > 0  # 8 lines for 7 agents block callers; 30 lines hardly do
    text = CliRunner().invoke(main, ["compare", str(path), str(path), "-r", "2", "--workers", "1"])
    assert text.exit_code == 0, text.output
    assert "service level (ru calls)" in text.output and "blocked (busy tone)" in text.output


def test_sweep_over_lines_shows_the_busy_tones():
    from ska_sim.report.sweep import sweep_text
    from ska_sim.plan.sweep import sweep

    import tempfile

    with tempfile.TemporaryDirectory() as d:
        path = f"{d}/skills.toml"
        open(path, "w").write(_toml_groups(skills_dict()))
        sw = sweep(path, [("lines.count", [7, 30])], replications=2, seed=3)
    assert "blocked" in sw.table.columns
    assert sw.table["blocked"].iloc[0] > sw.table["blocked"].iloc[1]
    assert "blocked" in sweep_text(sw)
