"""KPI definitions (DOMAIN.md, used exactly): the counts a replication keeps, the KPIs computed
from them (:func:`kpis`, :func:`group_kpis`), and their mean and 95% Student-t interval across
replications (:func:`summarise`). The engine's :class:`~ska_sim.sim.collector.Collector` keeps
the counts; :mod:`ska_sim.sim.targets` judges the KPIs against the scenario's targets.

A new KPI computed from existing counts is one entry in :data:`KPI_UNITS` (or
:data:`EXTRA_KPI_UNITS`) and its formula in :func:`kpis`; every table, JSON document and CSV
file then carries it (docs/architecture.md, "Where a change goes").

Definitions (an interval's KPIs belong to the interval in which the call *arrived*):

- offered = answered + abandoned + unanswered at close + blocked (busy tone, phone lines)
  + virtual_hold_accepted (callers who took a callback instead of waiting) + messages
  (callers who left a message at the maximum wait: neither answered nor abandoned; like
  abandoned calls they stay in the denominator of service level and answer rate)
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
- transfers: ``transfers`` = answered calls transferred (to a group or out);
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
- messages (``[message]``): ``messages`` = callers still waiting ``after_s`` s after their
  arrival who left a message (a share ``leave`` of them); ``message_share`` = messages /
  offered. A message's wait (``after_s``) counts in waiting hours.
- the same caller over attempts (``[redial] same_caller``): a *caller* is a first call or a
  repeat call with the redials that follow it (sim/engine/callers.py); it ends answered, or
  lost with no redial after it (gave up, left a message, took a virtual-hold callback, or
  the redial falls after the last simulated day), and is counted in the interval and call type
  of its first attempt's arrival. ``callers`` = callers that ended;
  ``caller_service_level`` = callers answered with the waits of all their attempts added up
  <= T / callers; ``caller_answer_rate`` = callers answered on some attempt / callers;
  ``caller_wait_s`` = every attempt's wait added up, mean over callers (answered or not; a
  redial's delay between attempts is not waiting); ``attempts_per_caller`` = attempts offered
  (the first and each redial) / callers.
"""

from __future__ import annotations

import numpy as np

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
    "blocked",  # busy tone: all phone lines taken; offered, not answered
    "written_requests",  # failed identity checks that become a written request, and promised written answers
    # transfers, callbacks, virtual hold (in the cell of the call's arrival)
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
    # a message at the maximum wait ([message]): messages left
    "messages",
    # the same caller over attempts ([redial] same_caller), in the cell of the first attempt
    "callers",  # callers that ended: answered, or lost with no redial after
    "callers_answered",  # answered on some attempt
    "callers_answered_within_t",  # ... with every attempt's wait added up <= T
    "caller_wait_sum_s",  # every attempt's wait, added up
    "caller_attempts",  # attempts offered (the first and each redial)
)
# Counters kept per (interval, agent group) when the scenario has agent groups (calls a group answered,
# transferred callers included, in the interval the call arrived); and the inbound calls offered to the
# group: those it answered (within T), and those no agent answered, counted for the group first in
# their routing order; with the mean handle time (scenario means) each offered call would take there.
GROUP_FIELDS = ("answered", "answered_within_t", "wait_sum_s", "offered", "offered_within_t", "offered_handle_s")
# Counters kept per (call type, answering group) over the measured window, for the per-replication
# table (sim/per_replication.py): the answered calls' part of COUNT_FIELDS, and their handle time.
TYPE_GROUP_FIELDS = ("answered", "answered_within_t", "wait_sum_s", "first_contacts", "resolved_first",
                     "repeat_contacts", "handle_s")
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
# KPIs of the mechanisms a scenario may use (lines, identity failures, transfers, callbacks):
# returned by kpis() at every level, not in KPI_NAMES, so the tables of a scenario without them
# keep their columns (results.extra_kpis adds those the scenario uses).
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
    "messages": "calls",
    "message_share": "share",
    "callers": "calls",
    "caller_service_level": "share",
    "caller_answer_rate": "share",
    "caller_wait_s": "s",
    "attempts_per_caller": "per caller",
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
    "offered": "calls",  # inbound calls offered to it: answered by it, or lost while first in line for it
    "offered_service_level": "share",  # of those, answered by it within T / offered to it
    "offered_aht_s": "s",  # mean handle time of the calls offered to it (scenario means, its handle factor)
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


# --------------------------------------------------------------------------- levels
LEVELS = ("interval", "day", "time_of_day", "call_type", "window", "language")
GROUP_LEVELS = ("group", "group_interval")  # group_interval: row = interval * n_groups + group


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
        "messages": counts["messages"],
        "message_share": ratio(counts["messages"], off),
        "callers": counts["callers"],
        "caller_service_level": ratio(counts["callers_answered_within_t"], counts["callers"]),
        "caller_answer_rate": ratio(counts["callers_answered"], counts["callers"]),
        "caller_wait_s": ratio(counts["caller_wait_sum_s"], counts["callers"]),
        "attempts_per_caller": ratio(counts["caller_attempts"], counts["callers"]),
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
        "offered": counts["offered"],
        "offered_service_level": ratio(counts["offered_within_t"], counts["offered"]),
        "offered_aht_s": ratio(counts["offered_handle_s"], counts["offered"]),
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
