"""The numbers the README quotes about the SKA baseline, regenerated from the library.

    python benchmarks/readme_figures.py           # print the README block
    python benchmarks/readme_figures.py --write   # and replace it in README.md (between the markers)

`make figures` runs the second. Every figure in the block comes from the commands named in
it, with the scenario's seed, so a reader can rerun them; rerun this script whenever the
engine or the staffing code changes.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BEGIN, END = "<!-- figures:begin (benchmarks/readme_figures.py) -->", "<!-- figures:end -->"


def figures() -> str:
    sys.path.insert(0, str(ROOT / "src"))
    from ska_sim import load_scenario, simulate
    from ska_sim.sim.executors import Executor
    from ska_sim.plan.staffing import plan_staffing
    from ska_sim.plan.marginal import marginal

    ex = Executor()
    s = load_scenario(ROOT / "scenarios" / "baseline.toml")
    reps, seed = s.simulation.replications, s.simulation.seed
    run = simulate(s, executor=ex)
    e = run.erlang
    sl = run.targets.set_index("kpi").loc["service_level"]
    st = plan_staffing(s, "erlang", "interval", executor=ex)
    plans = st.comparison.set_index("plan")
    sim = plan_staffing(s, "simulation", "interval", replications=10, executor=ex)
    sim_row = sim.comparison.set_index("plan").loc["simulation interval"]
    scopes = st.scopes[st.scopes["method"] == "erlang"].set_index("scope")
    mg = marginal(s, [0, 2], executor=ex).table.set_index("step")

    def pct(x: float) -> str:
        return f"{x:.1%}"

    today, erl, day = plans.loc["today"], plans.loc["erlang interval"], plans.loc["erlang day"]
    sim_h = float(sim_row["phone_hours"])
    lines = [
        BEGIN,
        f"Figures for `scenarios/baseline.toml` ({reps} replications, seed {seed}), from "
        "`ska-sim run`, `ska-sim staff`, `ska-sim staff --method simulation -r 10` and "
        "`ska-sim marginal --agents 0..2`; regenerate with `make figures`:",
        "",
        f"- Today's staffing: {today['phone_hours']:.1f} agent-hours on the phones, {today['paid_hours']:,.0f} paid "
        f"hours, {today['fte']:.1f} FTE of 40 h ({today['heads']:.0f} heads); service level {pct(sl['mean'])} "
        f"[{pct(sl['ci_low'])}, {pct(sl['ci_high'])}] ({sl['status']}), met on {sl['days_met_share']:.0%} of days "
        f"and over the week in {sl['replications_met_share']:.0%} of replications.",
        f"- Erlang cross-check over the week: Erlang C {pct(e['service_level'])}, Erlang A (exponential patience "
        f"of the same mean) {pct(e['erlang_a_service_level'])}, the simulation {pct(sl['mean'])}; "
        f"{e['differing_intervals']} of {e['intervals']} intervals differ at the 5% level "
        f"(about {e['expected_by_chance']:.0f} would by chance).",
        f"- Erlang requirement: interval scope {scopes.loc['interval', 'agent_hours']:.1f} agent-hours, "
        f"day scope {scopes.loc['day', 'agent_hours']:.1f} ({scopes.loc['day', 'change_vs_erlang_interval_share']:+.1%}), "
        f"window scope {scopes.loc['window', 'agent_hours']:.1f}; the interval plan is {erl['paid_hours']:,.0f} paid "
        f"hours, {erl['fte']:.1f} FTE ({erl['heads']:.0f} heads), and simulates to {pct(erl['service_level'])} "
        f"({erl['service_level_status']}, met on {erl['service_level_days_met_share']:.0%} of days); the day-scope "
        f"plan to {pct(day['service_level'])} ({day['service_level_status']}).",
        f"- Simulation method: {sim_h:.1f} agent-hours "
        f"({(sim_h - erl['phone_hours']) / erl['phone_hours']:+.1%} against the Erlang interval plan), "
        f"{sim_row['fte']:.1f} FTE, simulating to {pct(sim_row['service_level'])} "
        f"({sim_row['service_level_status']}).",
        f"- Two more agents on the phones in every open hour cost {mg.loc[2, 'fte_change']:+.2f} FTE "
        f"({mg.loc[2, 'paid_hours_change']:+,.0f} paid hours over the week) and move service level from "
        f"{pct(mg.loc[0, 'service_level'])} to {pct(mg.loc[2, 'service_level'])}.",
        END,
    ]
    return "\n".join(lines)


SKILLS_BEGIN, SKILLS_END = "<!-- skills:begin (benchmarks/readme_figures.py) -->", "<!-- skills:end -->"


def skills() -> str:
    """The skills scenario's output: KPIs per language and per group, as `ska-sim run` prints them."""
    sys.path.insert(0, str(ROOT / "src"))
    from ska_sim import load_scenario, simulate
    from ska_sim.report.text import breakdown_table, groups_table
    from ska_sim.sim.executors import Executor

    s = load_scenario(ROOT / "scenarios" / "skills-languages.toml")
    r = simulate(s, executor=Executor())
    sl = r.targets.set_index("kpi")
    lines = [
        SKILLS_BEGIN,
        f"`ska-sim run scenarios/skills-languages.toml` ({r.replications} replications, seed {r.seed}; regenerate "
        f"with `make figures`): service level {sl.loc['service_level', 'mean']:.1%} "
        f"({sl.loc['service_level', 'status']}) with {r.intervals['agents'].sum() * s.calendar.interval_s / 3600:.0f} "
        "agent-hours, against the baseline's single pool above:",
        "",
        "```",
        breakdown_table(r.languages, "language", "By language (calls offered in each language)"),
        "",
        groups_table(r),
        "```",
        SKILLS_END,
    ]
    return "\n".join(lines)


def _replace(text: str, begin: str, end: str, block: str) -> str:
    pattern = re.compile(re.escape(begin) + ".*?" + re.escape(end), re.S)
    if not pattern.search(text):
        raise SystemExit(f"README.md has no block between {begin!r} and {end!r}")
    return pattern.sub(lambda _: block, text)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--write", action="store_true", help="replace the block in README.md")
    args = ap.parse_args()
    block, skills_block = figures(), skills()
    print(block)
    print(skills_block)
    if args.write:
        readme = ROOT / "README.md"
        text = _replace(readme.read_text(), BEGIN, END, block)
        readme.write_text(_replace(text, SKILLS_BEGIN, SKILLS_END, skills_block))
        print("README.md updated", file=sys.stderr)


if __name__ == "__main__":
    main()
