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


def test_the_even_spread_adds_k_agents_to_every_interval_and_stops_at_zero():
    """spread 'even': k agents more in every interval of every day (by hand: [3, 1, 0, 5] + 2 ->
    [5, 3, 2, 7]; - 2 -> [1, 0, 0, 3]); the other spreads move the same agent-intervals elsewhere."""
    import numpy as np

    from ska_sim.plan.marginal import spread_agents

    agents, days = np.array([3, 1, 0, 5, 3, 1, 0, 5]), np.array([0, 0, 0, 0, 1, 1, 1, 1])
    assert spread_agents(agents, days, 2, "even").tolist() == [5, 3, 2, 7] * 2
    assert spread_agents(agents, days, -2, "even").tolist() == [1, 0, 0, 3] * 2
    assert spread_agents(agents, days, 2, "proportional").sum() == spread_agents(agents, days, 2, "even").sum()
