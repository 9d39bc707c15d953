"""`ska-sim report --fte`: the marginal-value steps in FTE, as `marginal --fte` computes them."""

from __future__ import annotations

import json
import re

from click.testing import CliRunner

from ska_sim.cli import main
from conftest import ROOT
from helpers import error_lines

BASE = str(ROOT / "scenarios" / "baseline.toml")


def test_report_fte_steps_are_marginal_fte_steps(tmp_path):
    out = tmp_path / "r.html"
    res = CliRunner().invoke(main, ["report", BASE, "--fte", "-1..+1", "-r", "3", "-o", str(out)])
    assert res.exit_code == 0, res.output
    html = out.read_text()
    doc = json.loads(CliRunner().invoke(main, ["marginal", BASE, "--fte", "-1..+1", "-r", "3",
                                               "--format", "json"]).output)
    for r in doc["rows"]:
        if r["step"] == 0:
            continue
        label = f"{r['step']:+d} FTE"
        row = re.search(f"<tr><td>{re.escape(label)}</td>(.*?)</tr>", html).group(1)
        assert f'data-value="{r["service_level"]:.10g}"' in row  # the same simulated step
        assert f"{r['fte']:.1f}" in row  # and its FTE, from the same function


def test_report_fte_bad_input_exits_2_with_one_line(tmp_path):
    out = tmp_path / "r.html"
    for args, words in ((["--fte", "two"], "--fte: two: must be FROM..TO"),
                        (["--fte", "0.5..1"], "--fte: 0.5..1: FROM and TO are whole numbers of FTE (steps of 1)"),
                        (["--agents", "3..1"], "--agents: 3..1: FROM (3) is after TO (1)"),
                        (["--fte", "-1..+1", "--agents", "-1..+1"], "--agents and --fte: give one of them")):
        res = CliRunner().invoke(main, ["report", BASE, *args, "-o", str(out)])
        assert res.exit_code == 2
        lines = error_lines(res)
        assert len(lines) == 1 and words in lines[0], lines
        assert not out.exists()


def test_report_on_a_scenario_with_groups_says_why_it_has_no_marginal_table(tmp_path):
    import tomlkit

    from helpers import skills_dict

    f = tmp_path / "g.toml"
    f.write_text(tomlkit.dumps(skills_dict()))
    out = tmp_path / "r.html"
    res = CliRunner().invoke(main, ["report", str(f), "--fte", "-1..+1", "-r", "2", "--workers", "1", "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert ("note: no marginal-value table in the report: with [[groups]] a step changes one group's agents; "
            f"ska-sim marginal {f} --group NAME shows it per group") in res.stderr
    assert out.exists()
