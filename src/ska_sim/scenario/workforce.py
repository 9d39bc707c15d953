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



def _roster_of(s: Scenario):
    plan = s.roster.plan if s.roster is not None else None
    return plan if s.workforce is not None and plan is not None and plan.dates else None


def roster_heads_warning(s: Scenario) -> list[str]:
    """With [workforce] and an attached roster, workforce's heads of a month are the roster's
    people employed that month: a ``workforce.heads`` other than the roster's people employed on
    ``calendar.start`` is not used (every command warns)."""
    plan = _roster_of(s)
    if plan is None:
        return []
    first, last = plan.dates[0], plan.dates[-1]
    day = s.calendar.start
    if s.roster.repeat and len(plan.dates) % 7 == 0:
        day = plan.dates[(day - first).days % len(plan.dates)]
    if first <= day <= last:
        status = {(d.person, d.date): d.status for d in plan.days if d.date == day}
        people = sum(status.get((p, day), "not_employed") != "not_employed" for p in plan.people)
        when = f"employed on {s.calendar.start}"
    else:
        people = len({d.person for d in plan.days if d.status != "not_employed"})
        when = "employed"
    if s.workforce.heads == people:
        return []
    return [f"workforce.heads = {s.workforce.heads}, but the roster (roster.file) has {people} people {when}: with "
            "a roster, workforce's heads of a month are the roster's people employed that month, and "
            f"workforce.heads is not used (set it to {people})"]


def roster_hires_warning(s: Scenario) -> list[str]:
    """With [workforce] and an attached roster, ``[[workforce.hires]]`` starting within the
    roster's dates are not counted in workforce's heads (the roster says who is employed then);
    those starting after its last date are. `workforce` and `plan-hiring` warn."""
    plan = _roster_of(s)
    if plan is None:
        return []
    first, last = plan.dates[0], plan.dates[-1]
    out = []
    for i, h in enumerate(s.workforce.hires):
        if h.count and h.start <= last:
            name = f" ({h.name})" if h.name else ""
            out.append(f"workforce.hires[{i}]{name} starts on {h.start}, within the roster's dates ({first} to "
                       f"{last}): not counted in workforce's heads, the roster (roster.file) says who is employed "
                       f"then (add them to the roster, or start them after {last})")
    return out
