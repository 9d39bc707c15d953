"""Cross-key checks of [workforce] (the scenario's loading calls them; the months, heads and
hiring search are ``ska_sim.plan.workforce``'s)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ska_sim.scenario.model import Scenario


def workforce_checks(s: Scenario) -> list[tuple[str, str]]:
    """Cross-key checks of [workforce] (scenario loading calls this). Hires after the calendar's
    window are allowed (a window narrowed with --set keeps its file's hires): they change nothing."""
    wf = s.workforce
    if wf.heads == 0 and not any(h.count for h in wf.hires):
        return [("workforce", "no heads and no hires: nobody to put on the phones")]
    return []
