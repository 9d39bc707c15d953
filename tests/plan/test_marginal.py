"""marginal: what a step of agents or FTE removes when intervals reach 0 agents."""

from __future__ import annotations

from helpers import office_day
from ska_sim.sim.engine import Model


def test_a_step_that_would_go_below_zero_agents_says_how_much_it_removed():
    """Removing more agents than an interval has stops at 0: the step's note says how many
    agent-intervals it asked (k x measured intervals) and how many it removed (by hand: 2 agents
    in each of 4 intervals a day, step -3 asks 12 a day and removes 8); steps that fit have none."""
    from ska_sim.plan.marginal import marginal
    from ska_sim.report.text import marginal_text

    s = office_day([2, 2, 2, 2], calls=100, days=2)
    mg = marginal(s, [-3, -1, 0, 1], replications=2, seed=1)
    n = int(Model.from_scenario(s).timeline.iv_measured().sum())
    assert mg.notes == [f"step -3 agents removes {2 * n:,} of the {3 * n:,} agent-intervals it asks: "
                        "the others are at 0 agents already"]
    assert f"Note: {mg.notes[0]}." in marginal_text(mg, s) and mg.to_json()["notes"] == mg.notes
