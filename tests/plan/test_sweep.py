"""`sweep`: each target's verdict per point (per language too), and the plan's agents, FTE,
heads and euros per point, as `marginal` computes them."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from ska_sim.cli import main
from ska_sim.plan.marginal import marginal
from ska_sim.plan.sweep import sweep
from ska_sim.report.plots import sweep_figure
from ska_sim.report.sweep import sweep_text
from ska_sim.scenario import load_scenario
from conftest import ROOT

MINIMAL = str(ROOT / "tests" / "data" / "minimal.toml")
LANGUAGES = str(ROOT / "scenarios" / "skills-languages.toml")
SIMPLE = ("shrinkage.breaks=0.2", "shrinkage.absence=0.2", "costs.eur_per_paid_hour=20")


def test_people_and_euros_per_point_by_hand():
    """minimal.toml: Monday and Tuesday, 3 one-hour intervals of 4, 5, 4 agents; breaks 20%,
    absence 20%; the norm of 2 working days is 16 h; a month's norm in 2026 is 174 h."""
    sw = sweep(MINIMAL, [("staffing.scale", [1, 2])], SIMPLE, replications=2)
    one, two = sw.table.to_dict(orient="records")
    assert one["agents_mean"] == pytest.approx(13 / 3) and two["agents_mean"] == pytest.approx(26 / 3)
    assert one["phone_hours"] == pytest.approx(26.0)  # 2 days x 13 agent-hours
    assert one["paid_hours"] == pytest.approx(26 / 0.8 / 0.8)  # 40.625 h
    assert one["fte"] == pytest.approx(40.625 / 16) and one["heads"] == 3
    assert two["fte"] == pytest.approx(81.25 / 16) and two["heads"] == 6
    assert one["eur_per_month"] == pytest.approx(40.625 / 16 * 174 * 20)


def test_people_per_point_are_marginal_s_figures():
    sw = sweep(MINIMAL, [("staffing.scale", [1])], SIMPLE, replications=2)
    mg = marginal(load_scenario(MINIMAL, SIMPLE), [0], replications=2)
    point, step = sw.table.iloc[0], mg.table.set_index("step").loc[0]
    assert point["fte"] == step["fte"] and point["heads"] == step["heads"]
    assert point["eur_per_month"] == step["eur_per_month"]


def test_each_target_has_its_verdict_per_point_per_language_too():
    sw = sweep(LANGUAGES, [("staffing.scale", [0.9, 1.3])], replications=3, seed=5)
    targets = sw.targets()
    keys = [t["key"] for t in targets]
    assert {"service_level:ru", "answer_rate:ru", "service_level:en", "answer_rate:en"} <= set(keys)
    for row, r in zip(sw.table.to_dict(orient="records"), sw.results):
        verdicts = r.targets.set_index("kpi")
        for t in targets:
            k = t["key"]
            assert row[k] == verdicts.loc[k, "mean"] and row[f"{k}_status"] == verdicts.loc[k, "status"]
        assert row["service_level:ru_met"] == (row["service_level:ru"] >= 0.80)  # the ru target: 80% in 20 s
        assert row["answer_rate:en_met"] == (row["answer_rate:en"] >= 0.90)
        assert row["targets_met"] == all(row[f"{k}_met"] for k in keys)
    text = sweep_text(sw)
    assert "service level (ru) >= 80%" in text and "answer rate (en) >= 90%" in text
    first = sw.table.iloc[0]
    assert not first["service_level:ru_met"]  # 0.9 of today's agents: the Russian callers' target is missed
    lines = text.splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.startswith("Each target per point"))
    row = next(ln for ln in lines[start:] if ln.split()[:1] == ["0.9"])  # the targets table's row of 0.9
    assert f"{first['service_level:ru']:.1%} {first['service_level:ru_status']}" in row
    assert "service level (ru)" in row  # named among the targets not met
    fig = sweep_figure(sw, "service_level")  # the plot: each language's curve and the points that miss
    ax = fig.axes[0]
    legend = [x.get_text() for x in ax.get_legend().get_texts()]
    assert "simulated, ru calls" in legend and "target not met (mean)" in legend
    assert "target >= 80% (also ru, en calls)" in legend
    ru = next(ln for ln in ax.get_lines() if ln.get_label() == "simulated, ru calls")
    assert list(ru.get_ydata()) == list(sw.table["service_level:ru"])


def test_sweep_json_names_each_target_and_its_verdicts(tmp_path):
    res = CliRunner().invoke(main, ["sweep", LANGUAGES, "--vary", "staffing.scale=1:1.2:0.2", "-r", "2",
                                    "--format", "json", "--out", str(tmp_path / "sw")])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    assert {t["key"]: t["target"] for t in doc["targets"]}["service_level:en"] == ">= 80% (en calls)"
    for row in doc["rows"]:
        assert row["service_level:en_status"] in ("PASS", "UNCERTAIN", "FAIL")
        assert isinstance(row["answer_rate:ru_met"], bool) and row["fte"] > 0 and row["heads"] >= row["fte"]
    assert (tmp_path / "sw" / "sweep-service_level.png").read_bytes()[:4] == b"\x89PNG"
