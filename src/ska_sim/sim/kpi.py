"""KPI definitions (DOMAIN.md, used exactly), per-interval accumulators and target checks.

The engine appends each call's outcome to a :class:`Collector` (plain Python lists, cheap in
the hot loop); :meth:`Collector.flush` reduces them into per-interval numpy arrays, so memory
does not grow with the number of calls. :func:`level_counts` sums intervals into days, times
of day, call types or the whole window; :func:`kpis` turns counts into KPIs; :func:`summarise`
gives the mean and 95% Student-t interval across replications.

Definitions (an interval's KPIs belong to the interval in which the call *arrived*):

- offered = answered + abandoned + unanswered at close + blocked (busy tone, phone lines)
  + virtual_hold_accepted (callers who took a callback instead of waiting)
- service level = answered with wait <= T / offered
- answer rate = answered / offered; abandon rate = abandoned / offered
- ASA = mean wait of answered calls (s); wait percentiles are of answered calls
- FCR = issues resolved at their first answered contact / issues whose first answered
  contact fell in the group
- repeat-contact share = answered calls that are not their issue's first answered contact
  / answered calls
- redial share = offered calls that are redials after abandoning / offered calls
- occupancy = agent time busy (talk + identity check + after-call work) / agent time on duty
- waiting hours = time all offered callers spent in the queue (answered, hung up or cut off
  at close), in hours; redials and repeat calls are counts of offered calls
- transfers (phase B): ``transfers`` = answered calls transferred (to a group or out);
  ``transfer_abandoned`` = transferred callers who hung up waiting for the second agent (or
  were cut off at closing): answered on the line, unresolved; ``transfer_wait_s`` = mean wait
  of transferred callers for the second agent (of those reached). A transferred call resolved
  by the transfer counts as resolved at first contact (FCR).
- callbacks: ``callbacks_promised`` (after unresolved calls, and virtual-hold callers),
  ``callbacks_made``, ``callbacks_late`` (started more than ``due_within_s`` after due, or
  never made in the simulated days), ``callback_hours`` (agent time placing them);
  ``virtual_hold_accepted``; ``served_incl_callbacks`` = (answered + callbacks made to
  virtual-hold callers) / offered. Callbacks are never inbound offered or answered calls;
  their agent time (and a transfer's second leg) counts in busy time and occupancy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ska_sim.scenario.timeline import DAY_S, Timeline

# Counters kept per (interval, call type).
COUNT_FIELDS = (
    "offered",
    "offered_first",
    "offered_redial",
    "offered_repeat",
    "answered",
    "answered_within_t",
    "abandoned",
    "unanswered_at_close",
    "wait_sum_s",
    "wait_total_s",
    "first_contacts",
    "resolved_first",
    "repeat_contacts",
    "blocked",  # busy tone: all phone lines taken (issue 8); offered, not answered
    "written_requests",  # failed identity checks that become a written request (issue 8)
    # phase B: transfers, callbacks, virtual hold (in the cell of the call's arrival)
    "transfers",
    "transfers_answered",  # transferred callers the second agent took
    "transfer_wait_sum_s",  # their waits for the second agent
    "transfer_abandoned",
    "callbacks_promised",
    "callbacks_made",
    "callbacks_late",
    "callback_busy_s",
    "virtual_hold_accepted",
    "vh_callbacks_made",  # callbacks made to virtual-hold callers
)
# Counters kept per (interval, agent group) on the general path (calls a group answered,
# in the interval the call arrived).
GROUP_FIELDS = ("answered", "answered_within_t", "wait_sum_s")
# Kinds of offered call (the last digit of an offered code).
FIRST, REDIAL, REPEAT = 0, 1, 2
# Answered flags (the last digit of an answered code).
REPEAT_CONTACT, FIRST_UNRESOLVED, FIRST_RESOLVED = 0, 1, 2

# Wait histogram: bin 0 holds waits of exactly 0 s; then 1 s bins to 2 min, 5 s to 10 min,
# 30 s to 1 h, 5 min to 4 h, and one overflow bin. Percentiles interpolate within a bin.
WAIT_EDGES_S = np.concatenate(
    [np.arange(0, 120, 1), np.arange(120, 600, 5), np.arange(600, 3600, 30), np.arange(3600, 14400, 300), [14400]]
).astype(float)
N_WAIT_BINS = len(WAIT_EDGES_S) + 1
QUANTILES = (0.50, 0.90, 0.95)

# KPIs, in the order tables show them, with their units.
KPI_UNITS = {
    "offered": "calls",
    "answered": "calls",
    "abandoned": "calls",
    "unanswered_at_close": "calls",
    "service_level": "share",
    "answer_rate": "share",
    "abandon_rate": "share",
    "asa_s": "s",
    "wait_p50_s": "s",
    "wait_p90_s": "s",
    "wait_p95_s": "s",
    "fcr": "share",
    "repeat_contact_share": "share",
    "redial_share": "share",
    "occupancy": "share",
    "waiting_hours": "h",
    "redials": "calls",
    "repeat_calls": "calls",
}
KPI_NAMES = tuple(KPI_UNITS)
# KPIs of issue 8's mechanisms: returned by kpis() at every level, not (yet) in KPI_NAMES, so
# the tables of a scenario without them keep their columns.
EXTRA_KPI_UNITS = {
    "blocked": "calls",
    "written_requests": "calls",
    "transfers": "calls",
    "transfer_abandoned": "calls",
    "transfer_wait_s": "s",
    "callbacks_promised": "calls",
    "callbacks_made": "calls",
    "callbacks_late": "calls",
    "callback_hours": "h",
    "virtual_hold_accepted": "calls",
    "served_incl_callbacks": "share",
}
COUNT_KPIS = tuple(k for k, u in {**KPI_UNITS, **EXTRA_KPI_UNITS}.items() if u in ("calls", "h"))  # sums over a group
# KPIs per agent group ("group" and "group_interval" levels): of the calls the group answered.
GROUP_KPI_UNITS = {
    "answered": "calls",
    "service_level": "share",  # answered within T / answered by the group
    "asa_s": "s",
    "occupancy": "share",
    "agent_hours": "h",  # on duty
    "busy_hours": "h",
}


def wait_bins(waits: np.ndarray) -> np.ndarray:
    b = np.searchsorted(WAIT_EDGES_S, waits, side="right")
    return np.where(waits <= 0, 0, b)


def quantiles_from_hist(hist: np.ndarray, qs: tuple[float, ...] = QUANTILES) -> np.ndarray:
    """Quantiles of waits from histograms (rows = groups). Returns (groups, len(qs)); NaN if empty."""
    hist = np.atleast_2d(hist).astype(float)
    total = hist.sum(axis=1)
    cum = np.cumsum(hist, axis=1)
    lo = np.concatenate([[0.0], WAIT_EDGES_S])  # lower edge of each bin (bin 0: exactly 0)
    hi = np.concatenate([[0.0], WAIT_EDGES_S[1:], [WAIT_EDGES_S[-1]], [WAIT_EDGES_S[-1]]])
    out = np.full((hist.shape[0], len(qs)), np.nan)
    for j, q in enumerate(qs):
        target = q * total
        b = np.argmax(cum >= target[:, None] - 1e-9, axis=1)
        before = np.where(b > 0, cum[np.arange(len(b)), b - 1], 0.0)
        inside = hist[np.arange(len(b)), b]
        frac = np.divide(target - before, inside, out=np.zeros_like(target), where=inside > 0)
        out[:, j] = np.where(total > 0, lo[b] + (hi[b] - lo[b]) * np.clip(frac, 0, 1), np.nan)
    return out


class Collector:
    """Outcomes of one replication's calls, reduced to per-interval arrays by :meth:`flush`.

    A cell is ``iv * n_cells + type * n_langs + lang`` (``n_cells = n_types * n_langs``; with
    one language, ``iv * n_types + type``). The engine appends integer codes: offered
    ``cell * 3 + kind``; answered ``cell * 3 + flag`` with its wait; abandoned, unanswered at
    close, blocked and written requests ``cell``; and each service's (start, end) for busy
    time. On the general path (``n_groups > 0``) each answered call also appends the index of
    the group that answered it to ``group`` (aligned with ``answered`` and ``svc_start``), and
    time on duty is added per group.
    """

    def __init__(self, timeline: Timeline, n_types: int, threshold_s: float, n_langs: int = 1, n_groups: int = 0):
        self.tl, self.threshold_s = timeline, threshold_s
        self.n_types, self.n_langs, self.n_groups = n_types, n_langs, n_groups
        n_cells = n_types * n_langs
        self.n_cells = n_cells
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
        # phase B: cells (of the call's arrival), and agent work that is not an inbound answer
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
        if self.answered:
            cell, flag = np.divmod(np.asarray(self.answered, dtype=np.int64), 3)
            waits = np.asarray(self.waits, dtype=float)
            add("answered", cell)
            add("answered_within_t", cell[waits <= self.threshold_s])
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
            if self.group:
                self._add_groups(iv, np.asarray(self.group, dtype=np.int64), waits)
        for name, buf, waits in (
            ("abandoned", self.abandoned, self.abandon_waits),
            ("unanswered_at_close", self.dropped, self.drop_waits),
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
        if self.cb_made:
            cells = np.asarray(self.cb_made, dtype=np.int64)
            add("callbacks_made", cells)
            add("callback_busy_s", cells, np.asarray(self.cb_busy, dtype=float))
        if self.legs:
            cells, waits = np.asarray(self.legs, dtype=np.int64), np.asarray(self.leg_waits, dtype=float)
            add("transfers_answered", cells)
            add("transfer_wait_sum_s", cells, waits)
            self._add_groups(cells // nt, np.asarray(self.leg_groups, dtype=np.int64), waits)
        if self.work_start:
            start, end = np.asarray(self.work_start), np.asarray(self.work_end)
            self._add_busy(start, end, self.busy_s)
            g = np.asarray(self.work_group, dtype=np.int64)
            for k in range(self.n_groups):
                sel = g == k
                if sel.any():
                    self._add_busy(start[sel], end[sel], self.group_busy_s[k])
        if self.svc_start:
            start, end = np.asarray(self.svc_start, dtype=float), np.asarray(self.svc_end, dtype=float)
            self._add_busy(start, end, self.busy_s)
            if self.group:
                g = np.asarray(self.group, dtype=np.int64)
                for k in range(self.n_groups):
                    sel = g == k
                    if sel.any():
                        self._add_busy(start[sel], end[sel], self.group_busy_s[k])
        self._reset()

    def _add_groups(self, iv: np.ndarray, g: np.ndarray, waits: np.ndarray) -> None:
        """Answered calls per (interval of arrival, answering group)."""
        size = self.n_iv * self.n_groups
        key = iv * self.n_groups + g
        gc = self.group_counts
        gc["answered"].reshape(-1)[:] += np.bincount(key, minlength=size)
        gc["answered_within_t"].reshape(-1)[:] += np.bincount(key[waits <= self.threshold_s], minlength=size)
        gc["wait_sum_s"].reshape(-1)[:] += np.bincount(key, weights=waits, minlength=size)

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
        )


@dataclass
class GroupCounts:
    """Per agent group (general path): calls it answered (in their interval of arrival), its busy
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
    groups: GroupCounts | None = None  # general path only

    def by_type_lang(self, field: str) -> np.ndarray:
        """A count as (intervals, call types, languages)."""
        v = self.counts[field]
        return v.reshape(v.shape[0], -1, self.n_langs)


# --------------------------------------------------------------------------- levels
LEVELS = ("interval", "day", "time_of_day", "call_type", "window", "language")
GROUP_LEVELS = ("group", "group_interval")  # group_interval: row = interval * n_groups + group


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
        assert gr is not None, "group levels need a replication of the general path"
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


def kpis(counts: dict[str, np.ndarray], quantiles: np.ndarray, busy_s: np.ndarray, on_duty_s: np.ndarray) -> dict[str, np.ndarray]:
    """KPIs from counts (DOMAIN.md definitions). Ratios with a zero denominator are NaN."""

    def ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        a, b = np.asarray(a, float), np.asarray(b, float)
        return np.divide(a, b, out=np.full(a.shape, np.nan), where=b > 0)

    off = counts["offered"]
    return {
        "offered": off,
        "answered": counts["answered"],
        "abandoned": counts["abandoned"],
        "unanswered_at_close": counts["unanswered_at_close"],
        "service_level": ratio(counts["answered_within_t"], off),
        "answer_rate": ratio(counts["answered"], off),
        "abandon_rate": ratio(counts["abandoned"], off),
        "asa_s": ratio(counts["wait_sum_s"], counts["answered"]),
        "wait_p50_s": quantiles[:, 0],
        "wait_p90_s": quantiles[:, 1],
        "wait_p95_s": quantiles[:, 2],
        "fcr": ratio(counts["resolved_first"], counts["first_contacts"]),
        "repeat_contact_share": ratio(counts["repeat_contacts"], counts["answered"]),
        "redial_share": ratio(counts["offered_redial"], off),
        "occupancy": ratio(busy_s, on_duty_s),
        "waiting_hours": counts["wait_total_s"] / 3600.0,
        "redials": counts["offered_redial"],
        "repeat_calls": counts["offered_repeat"],
        "blocked": counts["blocked"],
        "written_requests": counts["written_requests"],
        "transfers": counts["transfers"],
        "transfer_abandoned": counts["transfer_abandoned"],
        "transfer_wait_s": ratio(counts["transfer_wait_sum_s"], counts["transfers_answered"]),
        "callbacks_promised": counts["callbacks_promised"],
        "callbacks_made": counts["callbacks_made"],
        "callbacks_late": counts["callbacks_late"],
        "callback_hours": counts["callback_busy_s"] / 3600.0,
        "virtual_hold_accepted": counts["virtual_hold_accepted"],
        "served_incl_callbacks": ratio(counts["answered"] + counts["vh_callbacks_made"], off),
    }


def group_kpis(counts: dict[str, np.ndarray], _quantiles, busy_s: np.ndarray, on_duty_s: np.ndarray) -> dict[str, np.ndarray]:
    """KPIs per agent group (GROUP_KPI_UNITS) from ``level_counts(rc, "group")`` (or "group_interval")."""

    def ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        a, b = np.asarray(a, float), np.asarray(b, float)
        return np.divide(a, b, out=np.full(a.shape, np.nan), where=b > 0)

    return {
        "answered": counts["answered"],
        "service_level": ratio(counts["answered_within_t"], counts["answered"]),
        "asa_s": ratio(counts["wait_sum_s"], counts["answered"]),
        "occupancy": ratio(busy_s, on_duty_s),
        "agent_hours": np.asarray(on_duty_s, float) / 3600.0,
        "busy_hours": np.asarray(busy_s, float) / 3600.0,
    }


# --------------------------------------------------------------------------- across replications
def summarise(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean and 95% Student-t confidence interval over axis 0 (replications), NaN-aware."""
    values = np.asarray(values, dtype=float)
    nan = np.isnan(values)
    r = values.shape[0] if values.ndim >= 2 else 0
    if r > 1 and not nan.any():
        # no NaN (most KPIs): the same arithmetic as below with n = r everywhere, without
        # the masks (a result table summarises a hundred KPI x level arrays)
        from scipy.special import stdtrit

        mean = np.sum(values, axis=0) / r
        sd = np.sqrt(np.sum((values - mean) ** 2, axis=0) / (r - 1))
        half = stdtrit(r - 1, 0.975) * sd / np.sqrt(r)
        return mean, mean - half, mean + half
    n = np.sum(~nan, axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(n > 0, np.nansum(values, axis=0) / np.maximum(n, 1), np.nan)
        dev = np.where(np.isnan(values), 0.0, values - mean)
        sd = np.sqrt(np.sum(dev**2, axis=0) / np.maximum(n - 1, 1))
        from scipy.special import stdtrit  # the t quantile, without importing scipy.stats (~0.6 s)

        tq = np.where(n > 1, stdtrit(np.maximum(n - 1, 1), 0.975), np.nan)
        half = tq * sd / np.sqrt(np.maximum(n, 1))
    return mean, mean - half, mean + half


# --------------------------------------------------------------------------- targets
# Which way is good for each KPI a target can be set on (README, "KPIs").
KPI_BETTER = {"service_level": "higher", "answer_rate": "higher", "fcr": "higher", "abandon_rate": "lower",
              "asa_s": "lower"}


@dataclass(frozen=True)
class Target:
    """One target: the KPI, its bound and how to read it.

    ``low`` / ``high`` are requirements (the KPI must be >= low, <= high). ``benchmark_high``
    is the top of a benchmark band on a KPI where more is better (FCR 70-75%): above it is
    better than the benchmark, reported in words, never a failure.
    """

    kpi: str
    low: float | None = None  # the KPI must be >= low
    high: float | None = None  # the KPI must be <= high
    benchmark_high: float | None = None  # top of a benchmark band; above it is better, not a miss
    language: str | None = None  # a target for one language's calls ([targets.languages])

    @property
    def key(self) -> str:
        """The target's row in the targets table: the KPI, or ``kpi:language``."""
        return self.kpi if self.language is None else f"{self.kpi}:{self.language}"

    def _fmt(self, x: float) -> str:
        return f"{x:.0%}" if KPI_UNITS[self.kpi] == "share" else f"{x:g} s"

    def describe(self) -> str:
        if self.benchmark_high is not None and self.low is not None:
            return f"{self._fmt(self.low)}-{self._fmt(self.benchmark_high)} benchmark (above is better)"
        if self.low is not None and self.high is not None:
            return f"{self._fmt(self.low)}-{self._fmt(self.high)}"
        text = f">= {self._fmt(self.low)}" if self.low is not None else f"<= {self._fmt(self.high)}"
        return text + (f" ({self.language} calls)" if self.language else "")

    def met(self, values: np.ndarray) -> np.ndarray:
        v = np.asarray(values, float)
        ok = ~np.isnan(v)
        if self.low is not None:
            ok &= v >= self.low - 1e-12
        if self.high is not None:
            ok &= v <= self.high + 1e-12
        return ok

    def status(self, mean: float, ci_low: float, ci_high: float) -> str:
        """PASS if the whole interval meets the target, FAIL if none of it does, else UNCERTAIN.

        With one replication (no interval) the mean decides.
        """
        if math.isnan(mean):
            return "UNCERTAIN"
        if math.isnan(ci_low) or math.isnan(ci_high):
            ci_low = ci_high = mean
        inside = bool(self.met(np.array([ci_low]))[0] and self.met(np.array([ci_high]))[0])
        if inside:
            return "PASS"
        lo_ok = self.low is None or ci_high >= self.low
        hi_ok = self.high is None or ci_low <= self.high
        return "UNCERTAIN" if (lo_ok and hi_ok) else "FAIL"

    def reading(self, mean: float) -> str:
        """Where the mean lies against a benchmark band, in words ('' for plain targets)."""
        if self.benchmark_high is None or math.isnan(mean):
            return ""
        if mean > self.benchmark_high + 1e-12:
            return "above benchmark"
        if self.low is not None and mean < self.low - 1e-12:
            return "below benchmark"
        return "within benchmark"


def targets_of(scenario, languages: bool = False) -> list[Target]:
    """The line's targets; with ``languages``, then the targets per language (``targets.languages``)."""
    t = scenario.targets
    out = _line_targets(t)
    if languages:
        for lang, lt in t.languages.items():
            if lt.service_level is not None:
                out.append(Target("service_level", low=lt.service_level, language=lang))
            if lt.answer_rate is not None:
                out.append(Target("answer_rate", low=lt.answer_rate, language=lang))
    return out


def _line_targets(t) -> list[Target]:
    out = [Target("service_level", low=t.service_level.share)]
    if t.answer_rate is not None:
        out.append(Target("answer_rate", low=t.answer_rate))
    if t.fcr is not None:
        # FCR 70-75% is a benchmark band (SKA): below it is a miss, above it better than the benchmark
        out.append(Target("fcr", low=t.fcr.min, benchmark_high=t.fcr.max if t.fcr.max < 1 else None))
    if t.abandon_rate_max is not None:
        out.append(Target("abandon_rate", high=t.abandon_rate_max))
    if t.asa_max_s is not None:
        out.append(Target("asa_s", high=t.asa_max_s))
    return out


__all__ = [
    "COUNT_FIELDS",
    "KPI_NAMES",
    "KPI_UNITS",
    "KPI_BETTER",
    "Collector",
    "EXTRA_KPI_UNITS",
    "GROUP_KPI_UNITS",
    "GroupCounts",
    "ReplicationCounts",
    "group_kpis",
    "Target",
    "kpis",
    "level_counts",
    "quantiles_from_hist",
    "summarise",
    "targets_of",
    "DAY_S",
]
