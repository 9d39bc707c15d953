"""Routing: agent groups, their skills, each call type's group order, overflow and priorities,
and which free agent takes which waiting call. Pure Python and numpy: the engine asks, this
module does not know SimPy.

The rules (README "Routing" draws them):

1. **Cells and eligibility.** A call has a call type k and a language l (its *cell*, column
   ``k * n_langs + l`` of the KPI arrays). Group g is *eligible* for the cell when g speaks l,
   serves k and is in k's group order (``[routing.order]``; default: every group, in file
   order). The cell's eligible groups keep that order. Validation makes sure every cell that
   can occur has one.
2. **When a group may take a call.** The first eligible group may take the call at once. A
   group further down the order may take it once the call has waited its ``overflow_after_s``
   (default 0: at once too). So each (cell, group) has a *delay*: 0 for the first eligible
   group, else the call type's ``[routing] overflow_after_s_by_type`` when given (it replaces
   the group's own value for that type's calls, for every group after the first), else that
   group's ``overflow_after_s``.
3. **An arriving call** goes to a free agent of a group whose delay is 0, chosen by its call
   type's ``[routing] policy_by_type``, else ``[routing] policy``:
   - ``group_order`` (default): the first such group in the order that has a free agent;
   - ``random``: a free agent drawn uniformly among all free agents of those groups (so a
     group is picked with probability proportional to its free agents; stream "routing");
   - ``longest_idle``: the free agent of those groups who has been idle longest (ties: order).
   With no free agent the call waits (FIFO per cell), keeping its patience.
4. **Overflow timers.** When a waiting call has waited a group's delay (an event at arrival +
   delay), the groups whose delay that is are tried as in 3 (they were not allowed before; the
   groups allowed earlier have no free agent, else they would have taken it).
   After the last closing no agent is idle, so no timer is set beyond it.
5. **An agent who becomes free** (a call ends, or the agent comes on duty) takes, among the
   waiting calls its group may take now (rule 2), the one with the highest priority for its
   group (``priority`` per call type, ``default`` else 0), ties by longest wait (earliest
   arrival). With none, the agent waits idle (after closing: goes home).
6. **Closing.** With ``queued_at_close = "serve"`` a waiting call is kept at closing while a
   group that may already take it (rule 2) has a closing-crew agent busy; otherwise (and
   always with ``"drop"``) it is cut off (unanswered at close). Each time a group's last agent
   goes home after closing, calls that no group still at work may take now are cut off.
7. **Follow-ups.** Redials and repeat calls keep their issue's type and language, so their
   cell, order and delays.

With one group that serves everything, rules 3 and 5 are a single FIFO queue: an arriving
call takes a free agent if there is one, a freed agent takes the longest-waiting caller.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

POLICIES = ("group_order", "random", "longest_idle")


@dataclass(frozen=True)
class RoutingModel:
    """Groups and the routing tables of a scenario (picklable, built once)."""

    group_names: tuple[str, ...]
    named: bool  # the scenario gave [[groups]] (else one implicit group, "all")
    policy: str
    handle_factor: tuple[float, ...]  # per group
    resolution_factor: tuple[float, ...]  # per group
    agents: np.ndarray  # (open intervals, groups): agents on the phones
    arrival_groups: tuple[tuple[int, ...], ...]  # per cell: groups with delay 0, in order
    overflow_steps: tuple[tuple[tuple[float, tuple[int, ...]], ...], ...]  # per cell: (delay_s, groups), delay > 0, ascending
    group_cells: tuple[tuple[tuple[int, float, int], ...], ...]  # per group: (cell, delay_s, priority)
    eligible: tuple[tuple[tuple[int, float], ...], ...]  # per cell: every eligible (group, delay_s), in order
    cell_policy: tuple[str, ...] = ()  # per cell: its call type's policy (() = policy for every cell)
    type_handle_factor: tuple[tuple[float, ...], ...] | None = None  # per (call type, group); None = handle_factor

    def policies(self, n_cells: int) -> tuple[str, ...]:
        """The routing policy of each of the ``n_cells`` cells."""
        return self.cell_policy or (self.policy,) * n_cells

    def handle_factors(self, n_types: int) -> tuple[tuple[float, ...], ...]:
        """The handle factor per (call type, group)."""
        return self.type_handle_factor or (self.handle_factor,) * n_types

    @property
    def n_groups(self) -> int:
        return len(self.group_names)


def single_group(n_types: int, n_langs: int, agents: np.ndarray, policy: str = "group_order") -> RoutingModel:
    """One group ("all") that serves every call type and language: the single pool as one group."""
    cells = n_types * n_langs
    return RoutingModel(
        group_names=("all",),
        named=False,
        policy=policy,
        handle_factor=(1.0,),
        resolution_factor=(1.0,),
        agents=np.asarray(agents, dtype=np.int64).reshape(-1, 1),
        arrival_groups=((0,),) * cells,
        overflow_steps=((),) * cells,
        group_cells=(tuple((c, 0.0, 0) for c in range(cells)),),
        eligible=(((0, 0.0),),) * cells,
    )


def build_routing(s, n_langs: int, agents: np.ndarray) -> RoutingModel:
    """The routing tables of scenario ``s`` (``agents``: (open intervals, groups), or (intervals,)
    for the implicit single group). Languages are in ``s.languages`` order; without
    [languages] there is one (unnamed) language."""
    if not s.groups:  # [staffing] without [[groups]]: one group that serves everything
        return single_group(len(s.call_types), n_langs, agents, s.routing.policy)
    lang_names = list(s.languages) or [None]
    groups = list(s.groups)
    index = {g.name: i for i, g in enumerate(groups)}
    names = tuple(g.name for g in groups)
    hf = tuple(float(g.handle_factor) for g in groups)
    rf = tuple(float(g.resolution_factor) for g in groups)
    ov = tuple(float(g.overflow_after_s) for g in groups)
    type_ov = s.routing.overflow_after_s_by_type
    thf = None
    if any(g.handle_factor_by_type for g in groups):
        thf = tuple(tuple(g.handle_factor_of(ct.name) for g in groups) for ct in s.call_types)
    prio = [[g.priority_of(ct.name) for ct in s.call_types] for g in groups]
    orders = [[index[g.name] for g in s.group_order(ct.name)] for ct in s.call_types]
    n_groups = len(names)
    eligible, arrival, steps, policies = [], [], [], []
    group_cells: list[list[tuple[int, float, int]]] = [[] for _ in range(n_groups)]
    for k in range(len(s.call_types)):
        for li, lang in enumerate(lang_names[:n_langs]):
            cell = k * n_langs + li
            name = s.call_types[k].name
            el = [g for g in orders[k] if groups[g].serves(name, lang)]
            delays = [0.0 if j == 0 else float(type_ov.get(name, ov[g])) for j, g in enumerate(el)]
            policies.append(s.routing.policy_of(name))
            eligible.append(tuple(zip(el, delays)))
            arrival.append(tuple(g for g, d in zip(el, delays) if d <= 0))
            by_delay: dict[float, list[int]] = {}
            for g, d in zip(el, delays):
                if d > 0:
                    by_delay.setdefault(d, []).append(g)
                group_cells[g].append((cell, d, prio[g][k]))
            steps.append(tuple((d, tuple(gs)) for d, gs in sorted(by_delay.items())))
    return RoutingModel(
        group_names=names,
        named=True,
        policy=s.routing.policy,
        handle_factor=hf,
        resolution_factor=rf,
        agents=np.asarray(agents, dtype=np.int64),
        arrival_groups=tuple(arrival),
        overflow_steps=tuple(steps),
        group_cells=tuple(tuple(c) for c in group_cells),
        eligible=tuple(eligible),
        cell_policy=tuple(policies),
        type_handle_factor=thf,
    )


def may_take(eligible: tuple[tuple[int, float], ...], arrived_s: float, now: float, agents: list) -> bool:
    """Whether a group that may take a call that arrived at ``arrived_s`` at ``now`` (rule 2)
    has ``agents[g] > 0`` (closing rules)."""
    return any(agents[g] > 0 and arrived_s + d <= now for g, d in eligible)


def free_group(groups: tuple[int, ...], idle: list, policy: str, uniform) -> int:
    """The group whose free agent takes a call that ``groups`` may take now (rule 3), or -1.

    ``idle[g]`` is group g's free agents as a sequence of the times they became idle (oldest
    first); ``uniform()`` gives a U(0,1) draw (used by the random policy only).
    """
    if policy == "group_order":
        for g in groups:
            if idle[g]:
                return g
        return -1
    if policy == "longest_idle":
        best, since = -1, 0.0
        for g in groups:
            q = idle[g]
            if q and (best < 0 or q[0] < since):
                best, since = g, q[0]
        return best
    total = 0
    for g in groups:
        total += len(idle[g])
    if not total:
        return -1
    r = int(uniform() * total)
    for g in groups:
        r -= len(idle[g])
        if r < 0:
            return g
    return groups[-1]  # pragma: no cover - float edge


def next_call(cells: tuple[tuple[int, float, int], ...], queues: list, now: float):
    """The waiting call an agent of a group takes at ``now`` (rule 5), removed from its queue, or None.

    ``cells`` is the group's (cell, delay_s, priority); ``queues[cell]`` a deque of calls in
    arrival order with ``waiting``, ``t``, ``seq`` and ``col`` (their cell); calls no longer waiting are dropped
    from the front as they are met (lazy deletion). Within a cell the front call has waited
    longest, so it is the only candidate of its cell.
    """
    best = None
    best_p = 0
    for cell, delay, prio in cells:
        q = queues[cell]
        while q and not q[0].waiting:
            q.popleft()
        if not q:
            continue
        call = q[0]
        if call.t + delay > now:
            continue
        if best is None or prio > best_p or (prio == best_p and call.seq < best.seq):
            best, best_p = call, prio
    if best is not None:
        queues[best.col].popleft()
    return best
