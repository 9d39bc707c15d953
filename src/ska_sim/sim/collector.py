"""One replication's outcomes, collected while it runs and reduced to per-interval counts.

The engine appends each call's outcome to a :class:`Collector` (plain Python lists, cheap in
the hot loop); :meth:`Collector.flush` folds them into per-interval numpy arrays, so memory does
not grow with the number of calls. :func:`level_counts` sums a replication's counts into days,
times of day, call types, languages, groups or the whole window, for :func:`ska_sim.sim.kpi.kpis`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ska_sim.scenario.timeline import Timeline
from ska_sim.sim.kpi import (
    COUNT_FIELDS,
    FIRST,
    FIRST_RESOLVED,
    GROUP_FIELDS,
    GROUP_LEVELS,
    N_WAIT_BINS,
    REDIAL,
    REPEAT,
    REPEAT_CONTACT,
    TYPE_GROUP_FIELDS,
    quantiles_from_hist,
    wait_bins,
)


class Collector:
    """Outcomes of one replication's calls, reduced to per-interval arrays by :meth:`flush`.

    A cell is ``iv * n_cells + type * n_langs + lang`` (``n_cells = n_types * n_langs``; with
    one language, ``iv * n_types + type``). The engine appends integer codes: offered
    ``cell * 3 + kind``; answered ``cell * 3 + flag`` with its wait; abandoned, unanswered at
    close, blocked and written requests ``cell``; and each service's (start, end) for busy
    time. With agent groups (``n_groups > 0``) each answered call also appends the index of
    the group that answered it to ``group`` (aligned with ``answered`` and ``svc_start``; with
    one group it may stay empty: every call is that group's), and time on duty is added per group.
    With ``routes`` (:class:`InboundRoutes`) the inbound calls offered to each group are counted
    too (:meth:`_add_offered`): the calls it answered, and the calls no agent answered (hung up,
    cut off at close, busy tone, virtual hold) counted for the group first in their order.
    """

    def __init__(self, timeline: Timeline, n_types: int, threshold_s: float, n_langs: int = 1, n_groups: int = 0,
                 routes: InboundRoutes | None = None, type_threshold_s: tuple[float, ...] | None = None):
        self.tl, self.threshold_s, self.routes = timeline, threshold_s, routes
        self.n_types, self.n_langs, self.n_groups = n_types, n_langs, n_groups
        n_cells = n_types * n_langs
        self.n_cells = n_cells
        # per cell column (call type x language): its call type's threshold T; None = threshold_s for every call
        self.cell_threshold = (None if type_threshold_s is None
                               else np.repeat(np.asarray(type_threshold_s, dtype=float), n_langs))
        n_iv = len(timeline.iv_day)
        self.n_iv = n_iv
        self.counts = {f: np.zeros((n_iv, n_cells)) for f in COUNT_FIELDS}
        self.hist = np.zeros((n_iv, N_WAIT_BINS), dtype=np.int64)
        self.type_hist = np.zeros((n_types, N_WAIT_BINS), dtype=np.int64)
        self.lang_hist = np.zeros((n_langs, N_WAIT_BINS), dtype=np.int64)
        n_slots = timeline.n_days * timeline.slots_per_day + timeline.slots_per_day  # one spare day
        self.busy_s = np.zeros(n_slots)
        self.on_duty_s = np.zeros(n_slots)
        self.group_counts = {f: np.zeros((n_iv, n_groups)) for f in GROUP_FIELDS}
        # per (call type, answering group) over the measured window: the per-replication table's split
        self.type_group = {f: np.zeros((n_types, max(1, n_groups))) for f in TYPE_GROUP_FIELDS}
        self.group_busy_s = np.zeros((n_groups, n_slots))
        self.group_on_duty_s = np.zeros((n_groups, n_slots))
        self._reset()

    def _reset(self) -> None:
        self.offered: list[int] = []
        self.answered: list[int] = []
        self.waits: list[float] = []
        self.abandoned: list[int] = []
        self.abandon_waits: list[float] = []
        self.dropped: list[int] = []
        self.drop_waits: list[float] = []
        self.svc_start: list[float] = []
        self.svc_end: list[float] = []
        self.blocked: list[int] = []
        self.written: list[int] = []
        self.group: list[int] = []
        # transfers, callbacks, virtual hold: cells (of the call's arrival), and agent work that is not an inbound answer
        self.transfers: list[int] = []
        self.transfer_resolved: list[int] = []  # first contacts resolved by their transfer
        self.transfer_abandoned: list[int] = []
        self.legs: list[int] = []  # transferred callers taken by the second agent ...
        self.leg_waits: list[float] = []  # ... their wait for it
        self.leg_groups: list[int] = []  # ... and the group that took them
        self.cb_promised: list[int] = []
        self.cb_made: list[int] = []
        self.cb_busy: list[float] = []  # agent time of each callback made (aligned with cb_made)
        self.cb_late: list[int] = []
        self.vh: list[int] = []
        self.vh_made: list[int] = []
        self.work_start: list[float] = []  # second legs of transfers and callbacks: busy time
        self.work_end: list[float] = []
        self.work_group: list[int] = []
        # messages left at the maximum wait (cells, waits); callers that ended (callers.py): the
        # cell of their first attempt, their waits added up, their attempts, whether answered
        self.messages: list[int] = []
        self.message_waits: list[float] = []
        self.callers: list[int] = []
        self.caller_waits: list[float] = []
        self.caller_attempts: list[int] = []
        self.caller_answered: list[bool] = []

    # ----------------------------------------------------------------- reduction
    def flush(self) -> None:
        """Fold the buffered outcomes into the per-interval arrays and empty the buffers.

        Only the span of cells the buffers touch is updated (a day's worth), so a flush costs
        the same on day 1 and on day 300.
        """
        nt, c = self.n_cells, self.counts
        flat = {k: v.reshape(-1) for k, v in c.items()}

        def add(name: str, cells: np.ndarray, weights: np.ndarray | None = None) -> None:
            if len(cells) == 0:
                return
            lo = int(cells.min())
            counts = np.bincount(cells - lo, weights=weights)
            flat[name][lo : lo + len(counts)] += counts

        if self.offered:
            cell, kind = np.divmod(np.asarray(self.offered, dtype=np.int64), 3)
            add("offered", cell)
            for name, k in (("offered_first", FIRST), ("offered_redial", REDIAL), ("offered_repeat", REPEAT)):
                add(name, cell[kind == k])
        group = self.answering_groups()
        # each inbound service's (start, end), aligned with the answered calls: converted once
        svc = (np.asarray(self.svc_start, dtype=float), np.asarray(self.svc_end, dtype=float)) if self.svc_start else None
        if self.answered:
            cell, flag = np.divmod(np.asarray(self.answered, dtype=np.int64), 3)
            waits = np.asarray(self.waits, dtype=float)
            within = self.within(cell, waits)
            add("answered", cell)
            add("answered_within_t", cell[within])
            add("wait_sum_s", cell, waits)
            add("wait_total_s", cell, waits)
            first = flag > REPEAT_CONTACT
            add("first_contacts", cell[first])
            add("resolved_first", cell[flag == FIRST_RESOLVED])
            add("repeat_contacts", cell[~first])
            bins = wait_bins(waits)
            iv, typ = np.divmod(cell, nt)
            hist = self.hist.reshape(-1)
            key = iv * N_WAIT_BINS + bins
            lo = int(key.min())
            counts = np.bincount(key - lo)
            hist[lo : lo + len(counts)] += counts
            m = self.tl.measured[self.tl.iv_day[iv]]
            typ, lang = np.divmod(typ, self.n_langs)
            n_t = self.n_types
            self.type_hist += np.bincount(typ[m] * N_WAIT_BINS + bins[m], minlength=n_t * N_WAIT_BINS).reshape(
                n_t, N_WAIT_BINS
            )
            if self.n_langs > 1:
                n_l = self.n_langs
                self.lang_hist += np.bincount(lang[m] * N_WAIT_BINS + bins[m], minlength=n_l * N_WAIT_BINS).reshape(
                    n_l, N_WAIT_BINS
                )
            handle = (svc[1] - svc[0])[m] if svc is not None else np.zeros(int(m.sum()))
            self._add_type_group(typ[m], None if group is None else group[m], waits[m], flag[m], within[m], handle)
            if group is not None:
                self._add_groups(iv, group, waits, within)
                if self.routes is not None:
                    self._add_offered(cell, group, within)
        for name, buf, waits in (
            ("abandoned", self.abandoned, self.abandon_waits),
            ("unanswered_at_close", self.dropped, self.drop_waits),
            ("messages", self.messages, self.message_waits),
        ):
            if buf:
                cells = np.asarray(buf, dtype=np.int64)
                add(name, cells)
                add("wait_total_s", cells, np.asarray(waits, dtype=float))
        for name, buf in (("blocked", self.blocked), ("written_requests", self.written),
                          ("transfers", self.transfers), ("resolved_first", self.transfer_resolved),
                          ("transfer_abandoned", self.transfer_abandoned), ("callbacks_promised", self.cb_promised),
                          ("callbacks_late", self.cb_late), ("virtual_hold_accepted", self.vh),
                          ("vh_callbacks_made", self.vh_made)):
            if buf:
                add(name, np.asarray(buf, dtype=np.int64))
        self._add_lost_and_callers(add)
        if self.cb_made:
            cells = np.asarray(self.cb_made, dtype=np.int64)
            add("callbacks_made", cells)
            add("callback_busy_s", cells, np.asarray(self.cb_busy, dtype=float))
        if self.legs:
            cells, waits = np.asarray(self.legs, dtype=np.int64), np.asarray(self.leg_waits, dtype=float)
            add("transfers_answered", cells)
            add("transfer_wait_sum_s", cells, waits)
            self._add_groups(cells // nt, np.asarray(self.leg_groups, dtype=np.int64), waits, self.within(cells, waits))
        self._fold_busy(group, svc)
        self._reset()

    def _fold_busy(self, group: np.ndarray | None, svc: tuple[np.ndarray, np.ndarray] | None) -> None:
        """The buffered agent work (second legs, callbacks, inbound services) into busy time per
        clock slot, and per group."""
        if self.work_start:
            start, end = np.asarray(self.work_start), np.asarray(self.work_end)
            self._add_busy(start, end, self.busy_s)
            g = np.asarray(self.work_group, dtype=np.int64)
            for k in range(self.n_groups):
                sel = g == k
                if sel.any():
                    self._add_busy(start[sel], end[sel], self.group_busy_s[k])
        if svc is not None:
            start, end = svc
            self._add_busy(start, end, self.busy_s)
            if group is not None:
                g = group
                for k in range(self.n_groups):
                    sel = g == k
                    if sel.any():
                        self._add_busy(start[sel], end[sel], self.group_busy_s[k])

    def _add_lost_and_callers(self, add) -> None:
        """Calls no agent answered, per group (with ``routes``); callers that ended, in the cell
        of their first attempt (kpi.py's caller KPIs)."""
        if self.routes is not None:
            self._add_lost()
        if not self.callers:
            return
        cells = np.asarray(self.callers, dtype=np.int64)
        waits = np.asarray(self.caller_waits, dtype=float)
        answered = np.asarray(self.caller_answered, dtype=bool)
        add("callers", cells)
        add("callers_answered", cells[answered])
        add("callers_answered_within_t", cells[answered & self.within(cells, waits)])
        add("caller_wait_sum_s", cells, waits)
        add("caller_attempts", cells, np.asarray(self.caller_attempts, dtype=float))

    def answering_groups(self) -> np.ndarray | None:
        """The group of each buffered answered call (None without groups); with one group the
        list may be left empty (the single pool): every call is that group's."""
        if self.group:
            return np.asarray(self.group, dtype=np.int64)
        if self.n_groups == 1 and self.answered:
            return np.zeros(len(self.answered), dtype=np.int64)
        return None

    def _add_type_group(self, typ: np.ndarray, g: np.ndarray | None, waits: np.ndarray, flag: np.ndarray,
                        within: np.ndarray, handle: np.ndarray) -> None:
        """The measured buffered answered calls per (call type, answering group): their counts,
        waits and ``handle`` times. Without groups only the handle times: the rest is the per-cell
        counts summed over the measured intervals (:meth:`result`)."""
        if not len(typ):
            return
        if g is None:
            self.type_group["handle_s"][:, 0] += np.bincount(typ, weights=handle, minlength=self.n_types)
            return
        n_g = max(1, self.n_groups)
        key = typ * n_g + (0 if g is None else g)
        size = self.n_types * n_g
        first = flag > REPEAT_CONTACT
        for name, sel, weights in (("answered", None, None), ("answered_within_t", within, None),
                                   ("wait_sum_s", None, waits), ("first_contacts", first, None),
                                   ("resolved_first", flag == FIRST_RESOLVED, None), ("repeat_contacts", ~first, None),
                                   ("handle_s", None, handle)):
            k = key if sel is None else key[sel]
            w = weights if sel is None or weights is None else weights[sel]
            self.type_group[name].reshape(-1)[:] += np.bincount(k, weights=w, minlength=size)

    def type_group_counts(self, m: np.ndarray) -> dict[str, np.ndarray]:
        """The per (call type, answering group) counts; without groups, those other than the
        handle time from the per-cell counts of the measured intervals ``m``."""
        if self.n_groups:
            return self.type_group
        out = dict(self.type_group)
        for name in TYPE_GROUP_FIELDS:
            if name != "handle_s":
                per_cell = self.counts[name][m].sum(axis=0)
                out[name] = per_cell.reshape(self.n_types, self.n_langs).sum(axis=1)[:, None]
        return out

    def within(self, cells: np.ndarray, waits: np.ndarray) -> np.ndarray:
        """Which calls (of ``cells``, with ``waits``) were answered within their call type's threshold T."""
        if self.cell_threshold is None:
            return waits <= self.threshold_s
        return waits <= self.cell_threshold[cells % self.n_cells]

    def _add_groups(self, iv: np.ndarray, g: np.ndarray, waits: np.ndarray, within: np.ndarray) -> None:
        """Answered calls per (interval of arrival, answering group); ``within`` those answered within T."""
        size = self.n_iv * self.n_groups
        key = iv * self.n_groups + g
        gc = self.group_counts
        gc["answered"].reshape(-1)[:] += np.bincount(key, minlength=size)
        gc["answered_within_t"].reshape(-1)[:] += np.bincount(key[within], minlength=size)
        gc["wait_sum_s"].reshape(-1)[:] += np.bincount(key, weights=waits, minlength=size)

    def _add_lost(self) -> None:
        """Calls no agent answered (hung up, cut off at close, busy tone, virtual hold, message): offered to
        the group first in their order."""
        lost = [np.asarray(b, dtype=np.int64) for b in (self.abandoned, self.dropped, self.blocked, self.vh, self.messages)
                if b]
        if lost:
            cells = np.concatenate(lost)
            self._add_offered(cells, self.routes.first[cells % self.n_cells], np.zeros(len(cells), dtype=bool))

    def _add_offered(self, cells: np.ndarray, g: np.ndarray, within: np.ndarray) -> None:
        """Inbound calls offered to groups ``g`` (per cell of arrival), ``within`` those answered within T,
        and the mean handle time each would take there."""
        size = self.n_iv * self.n_groups
        iv, col = np.divmod(cells, self.n_cells)
        key = iv * self.n_groups + g
        gc = self.group_counts
        gc["offered"].reshape(-1)[:] += np.bincount(key, minlength=size)
        gc["offered_within_t"].reshape(-1)[:] += np.bincount(key[within], minlength=size)
        r = self.routes
        handle = r.handle_s[col, g]
        if r.talk_factor is not None:
            handle = handle + r.talk_s[col, g] * (r.talk_factor[iv, col // self.n_langs] - 1.0)
        gc["offered_handle_s"].reshape(-1)[:] += np.bincount(key, weights=handle, minlength=size)

    def _add_busy(self, start: np.ndarray, end: np.ndarray, target: np.ndarray) -> None:
        iv = float(self.tl.interval_s)
        n = len(target)
        js = np.minimum((start // iv).astype(np.int64), n - 1)
        je = np.minimum((end // iv).astype(np.int64), n - 1)
        lo = int(js.min())
        busy = target[lo:]  # a view: the span this batch touches starts here

        def add(slots: np.ndarray, seconds: np.ndarray) -> None:
            counts = np.bincount(slots - lo, weights=seconds)
            busy[: len(counts)] += counts

        same = js == je
        add(js[same], end[same] - start[same])
        cross = ~same
        if cross.any():
            s, e, a, b = start[cross], end[cross], js[cross], je[cross]
            add(a, (a + 1) * iv - s)
            add(b, e - b * iv)
            long = b > a + 1  # whole slots covered by long calls (rare): only those loop
            for first, last in zip((a[long] + 1).tolist(), b[long].tolist()):
                target[first:last] += iv

    def add_on_duty(self, t0: float, t1: float, agents: int, group: int | None = None) -> None:
        """Add ``agents`` agents on duty over [t0, t1) (split across clock slots); with
        ``group``, to that group's time on duty as well."""
        if agents <= 0 or t1 <= t0:
            return
        iv = self.tl.interval_s
        duty = self.on_duty_s
        own = self.group_on_duty_s[group] if group is not None else None
        t = t0
        while t < t1:
            j = min(int(t // iv), len(duty) - 1)
            nxt = min(t1, (j + 1) * iv) if j < len(duty) - 1 else t1
            duty[j] += agents * (nxt - t)
            if own is not None:
                own[j] += agents * (nxt - t)
            t = nxt

    # ----------------------------------------------------------------- results
    def result(self) -> ReplicationCounts:
        """The measured window's counts at interval level, plus everything needed for other levels."""
        self.flush()
        tl = self.tl
        m = tl.iv_measured()
        spd = tl.slots_per_day
        n_slots_all = tl.n_days * spd
        day_busy = self.busy_s[:n_slots_all].reshape(tl.n_days, spd).sum(axis=1)
        day_duty = self.on_duty_s[:n_slots_all].reshape(tl.n_days, spd).sum(axis=1)
        # work after the last day's midnight (a queue cleared very late) belongs to the last day
        day_busy[-1] += self.busy_s[n_slots_all:].sum()
        day_duty[-1] += self.on_duty_s[n_slots_all:].sum()
        slot = tl.iv_day * spd + tl.iv_slot
        open_days = np.unique(tl.iv_day[m])  # measured open days, in order (as runner.Groups)
        groups = None
        if self.n_groups:
            def window(a: np.ndarray) -> np.ndarray:  # per group: measured open days + work after the last midnight
                days = a[:, :n_slots_all].reshape(self.n_groups, tl.n_days, spd).sum(axis=2)
                days[:, -1] += a[:, n_slots_all:].sum(axis=1)
                return days[:, open_days].sum(axis=1)

            groups = GroupCounts(
                counts={k: v[m] for k, v in self.group_counts.items()},
                iv_busy_s=self.group_busy_s[:, slot][:, m].T,
                iv_on_duty_s=self.group_on_duty_s[:, slot][:, m].T,
                busy_s=window(self.group_busy_s),
                on_duty_s=window(self.group_on_duty_s),
            )
        return ReplicationCounts(
            counts={k: v[m] for k, v in self.counts.items()},
            hist=self.hist[m],
            type_hist=self.type_hist,
            iv_busy_s=self.busy_s[slot][m],
            iv_on_duty_s=self.on_duty_s[slot][m],
            day_busy_s=day_busy[open_days],
            day_on_duty_s=day_duty[open_days],
            n_langs=self.n_langs,
            lang_hist=self.lang_hist if self.n_langs > 1 else self.type_hist.sum(axis=0, keepdims=True),
            groups=groups,
            type_group=self.type_group_counts(m),
        )


@dataclass(frozen=True)
class InboundRoutes:
    """Per cell (call type x language): the group first in its routing order, where a call no agent
    answered counts as offered; and each group's mean handle time of the cell's calls (the
    scenario's means: talk x the language's factor + identity check + after-call work, x the
    group's handle factor)."""

    first: np.ndarray  # (cells,) group index (0 for a cell no group takes: it gets no calls)
    handle_s: np.ndarray  # (cells, groups)
    # talk by period (scenario/periods.py): the talk part of handle_s, and each open interval's
    # mean talk factor per call type (the handle time of a cell's calls arriving in interval i is
    # handle_s + talk_s x (factor[i, type] - 1)); None: talk does not depend on the period
    talk_s: np.ndarray | None = None  # (cells, groups)
    talk_factor: np.ndarray | None = None  # (open intervals, call types)


@dataclass
class GroupCounts:
    """Per agent group (scenarios with agent groups): calls it answered (in their interval of arrival), its busy
    time and its time on duty (in the clock interval they happened)."""

    counts: dict[str, np.ndarray]  # GROUP_FIELDS -> (intervals, groups)
    iv_busy_s: np.ndarray  # (intervals, groups)
    iv_on_duty_s: np.ndarray  # (intervals, groups)
    busy_s: np.ndarray  # (groups,) measured window, including work after closing
    on_duty_s: np.ndarray  # (groups,)


@dataclass
class ReplicationCounts:
    """What one replication returns: counts per measured interval and cell (call type x language:
    column ``type * n_langs + lang``; with one language, the call type)."""

    counts: dict[str, np.ndarray]  # field -> (intervals, cells)
    hist: np.ndarray  # (intervals, wait bins), all call types
    type_hist: np.ndarray  # (call types, wait bins), measured window
    iv_busy_s: np.ndarray  # (intervals,)
    iv_on_duty_s: np.ndarray  # (intervals,)
    day_busy_s: np.ndarray  # (measured open days,), including work after closing
    day_on_duty_s: np.ndarray
    n_langs: int = 1
    lang_hist: np.ndarray | None = None  # (languages, wait bins), measured window
    groups: GroupCounts | None = None  # with agent groups only
    type_group: dict[str, np.ndarray] | None = None  # TYPE_GROUP_FIELDS -> (call types, groups or 1), measured window
    written: object | None = None  # [[written]]: engine.written.WrittenCounts

    def by_type_lang(self, field: str) -> np.ndarray:
        """A count as (intervals, call types, languages)."""
        v = self.counts[field]
        return v.reshape(v.shape[0], -1, self.n_langs)


def level_counts(rc: ReplicationCounts, level: str, groups: np.ndarray | None = None, n_groups: int = 0):
    """Counts and wait quantiles summed to a level.

    ``groups`` maps each measured interval to its group (days, times of day); not needed for
    'interval', 'call_type' and 'window'. Returns (counts: field -> (groups,), quantiles (groups, 3),
    busy_s (groups,), on_duty_s (groups,)).
    """
    c = rc.counts
    if level == "interval":
        counts = {k: v.sum(axis=1) for k, v in c.items()}
        return counts, quantiles_from_hist(rc.hist), rc.iv_busy_s, rc.iv_on_duty_s
    if level == "call_type":
        if rc.n_langs == 1:
            counts = {k: v.sum(axis=0) for k, v in c.items()}
        else:
            counts = {k: rc.by_type_lang(k).sum(axis=(0, 2)) for k in c}
        nan = np.full(rc.type_hist.shape[0], np.nan)
        return counts, quantiles_from_hist(rc.type_hist), nan, nan
    if level == "language":
        counts = {k: rc.by_type_lang(k).sum(axis=(0, 1)) for k in c}
        nan = np.full(rc.n_langs, np.nan)
        return counts, quantiles_from_hist(rc.lang_hist), nan, nan
    if level in GROUP_LEVELS:
        gr = rc.groups
        assert gr is not None, "group levels need a replication with agent groups"
        if level == "group":
            return {k: v.sum(axis=0) for k, v in gr.counts.items()}, None, gr.busy_s, gr.on_duty_s
        flat = {k: v.reshape(-1) for k, v in gr.counts.items()}
        return flat, None, gr.iv_busy_s.reshape(-1), gr.iv_on_duty_s.reshape(-1)
    if level == "window":
        counts = {k: np.atleast_1d(v.sum()) for k, v in c.items()}
        hist = rc.hist.sum(axis=0, keepdims=True)
        return counts, quantiles_from_hist(hist), np.atleast_1d(rc.day_busy_s.sum()), np.atleast_1d(rc.day_on_duty_s.sum())
    assert groups is not None

    def group(a: np.ndarray) -> np.ndarray:
        if a.ndim == 1:
            return np.bincount(groups, weights=a, minlength=n_groups)
        # (the 2-D arrays are wait histograms: integer counts, so the order of the sums is exact)
        out = np.zeros((n_groups, a.shape[1]))
        if len(groups):
            order = np.argsort(groups, kind="stable")
            g = groups[order]
            starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
            out[g[starts]] = np.add.reduceat(a[order], starts, axis=0)
        return out

    counts = {k: group(v.sum(axis=1)) for k, v in c.items()}
    q = quantiles_from_hist(group(rc.hist))
    if level == "day":
        return counts, q, rc.day_busy_s, rc.day_on_duty_s
    return counts, q, group(rc.iv_busy_s), group(rc.iv_on_duty_s)
