"""Estimates from a call log, and the scenario they make (``ska-sim fit``).

Input: the canonical call-log DataFrame of :mod:`calllog` (one row per call that reached the
line: ``caller`` (hashed), ``call_type``, ``language``, ``arrival``, ``answer``, ``end``,
``abandon`` as tz-aware timestamps, ``wrap_up_s``; ``kind`` is never used: real logs lack it).
Everything is vectorised over calls (no Python loop per call).

The order of the estimates matters:

1. **Follow-ups first.** A call of the same caller within ``redial_window_min`` minutes of
   opening time after a call that was not answered is a *redial*; within
   ``repeat_window_days`` after an answered call, a *repeat call*. ``daily_calls``,
   ``weekday_factor``, ``profile`` and the call-type shares are estimated from the remaining
   *first calls*: the model generates redials and repeats itself, so counting them in the
   volume would count them twice.
2. **Volume**: first calls per open day, per weekday (``weekday_factor``, mean 1 over the
   weekdays), day-to-day overdispersion by the method of moments net of Poisson noise
   (Var N = m + c^2 m^2, so c^2 = (s^2 - m) / m^2, pooled over weekdays), unusual days
   (|z| > 3 from both the median and the mean of the weekday's other days, with the other days'
   variance: the day is left out of its own reference) flagged, left out of the means and
   given a date factor.
3. **Profile**: first calls per weekday and interval on full ordinary days, optionally
   smoothed (a moving average of k intervals) or pooled over weekdays with the same hours;
   a chi-square test says whether the weekdays' shapes differ.
4. **Talk time** (answer to end) and **after-call work** (``wrap_up_s``) separately, per call
   type: lognormal, gamma, Weibull and exponential by maximum likelihood (scipy.stats,
   location 0), chosen by AIC, Kolmogorov-Smirnov distance reported. Never talk + ACW as talk.
5. **Patience from censored waits**: abandoned calls are events at their wait, answered
   calls are right-censored at theirs. Kaplan-Meier (``scipy.stats.ecdf`` of
   ``CensoredData``) and the four families fitted with censoring, chosen by AIC. The mean of
   abandoned calls' waits alone is biased low (the patient callers were answered first).
6. **Redials**: P(a call that was not answered is followed by a redial) and the delay in
   opening time. **Repeat calls**: P(an answered call is followed by a call of the same
   caller within the window) = (1 - resolved) x repeat.probability. Only the product is
   identifiable from a log; ``repeat.probability`` is fixed (``repeat_probability``, default
   1: every unresolved caller calls again, so ``resolved`` is the FCR the log shows) and
   ``resolved`` per call type = 1 - product / repeat.probability. Calls too close to the
   log's end for their window to be seen are left out of both denominators.

A log with gaps (spans.py: more than 14 days without a call) is fitted per stretch where it
matters: no follow-up across a gap, windows seen and lead-in days per stretch; the fitted
calendar is the last stretch, and a NOTE says so. A duration family whose fit does not converge
is left out of the AIC choice and named in its note (estimators.py).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ska_sim.calibration.estimators import DurationFit, FitError, Survival, fit_duration
from ska_sim.calibration.handling import Handling, Patience, call_types, patience, se_text
from ska_sim.calibration.prepare import (DAY_S, FIRST, REDIAL, REPEAT, WEEKDAYS, FitOptions, Hours, Prepared, classify,
                                         infer_hours, prepare)
from ska_sim.calibration.spans import GAP_DAYS, describe, stretch_of, stretches
from ska_sim.calibration.volume import Profile, Volume, profile, volume
from ska_sim.maths.erlang import Requirement, required_agents
from ska_sim.scenario.clock import format_clock


@dataclass
class Fit:
    """Every estimate, its sample size and diagnostic, and the scenario they make."""

    scenario: dict[str, Any]  # TOML-ready (loads with scenario.scenario_from_dict)
    notes: dict[str, str]  # key path -> comment (sample size, diagnostic)
    header: list[str]  # lines for the top of the file
    daily: pd.DataFrame  # date, weekday, first_calls, expected, z, unusual, used
    profile: pd.DataFrame  # weekday, slot, start, first_calls, share (fitted)
    talk: dict[str, DurationFit] = field(default_factory=dict)
    talk_samples: dict[str, np.ndarray] = field(default_factory=dict)
    acw: dict[str, DurationFit] = field(default_factory=dict)
    patience: DurationFit | None = None
    km: Survival | None = None
    naive_patience_mean_s: float = math.nan
    estimates: dict[str, Any] = field(default_factory=dict)  # flat numbers for tests and the report


def _n_days(n: int) -> str:
    return f"{n} day" if n == 1 else f"{n} days"


def fit_log(frame: pd.DataFrame, options: FitOptions = FitOptions(), agents: pd.DataFrame | None = None,
            agents_source: str | None = None, source: str = "log") -> Fit:
    """Estimate a scenario from a canonical call-log frame. ``agents``: calllog.agents_per_interval's table."""
    frame, callbacks = _inbound(frame)
    if len(frame) == 0:
        raise FitError([f"{source}: no calls"])
    p = prepare(frame, options.tz)
    cover = Cover.of(p)
    o, span_days = _windows(p, options, cover)
    iv = o.interval_min * 60
    hours = infer_hours(p, iv)
    kind = classify(p, hours, o.redial_window_min * 60, o.repeat_window_days * DAY_S)
    _no_follow_ups_across_gaps(p, kind, cover)
    notes: dict[str, str] = {}
    est: dict[str, Any] = {}
    first = kind == FIRST
    est.update(calls=len(kind), first_calls=int(first.sum()), redials=int((kind == REDIAL).sum()),
               repeats=int((kind == REPEAT).sum()))
    follow = _follow_ups(p, kind, hours, o, est, cover)
    # callers and wall-clock times are done with: freed before the fits (memory of a large log)
    p.caller = p.arr_t = p.free_t = p.free_day = p.free_sec = None
    vol = volume(p, kind, hours, follow.rep_delay, o.unusual_z, source, est,
                 [(a - hours.first_day, b - hours.first_day) for a, b in cover.bounds])
    prof = profile(p, first, vol, hours, iv, o.smooth)
    vol.day_i = None
    fit = Fit({}, notes, [], vol.daily, prof.frame)
    handling = call_types(p, first, follow.next_kind, follow.seen_rep, o, source, notes, est)
    follow.next_kind = follow.seen_rep = None  # per-call arrays no longer needed
    fit.talk, fit.talk_samples, fit.acw = handling.talk, handling.talk_samples, handling.acw
    pat = patience(p, o, notes, est)
    if pat is not None:
        fit.patience, fit.km, fit.naive_patience_mean_s = pat.fit, pat.km, pat.naive_mean_s
    staffing, staffing_note = _staffing(agents, agents_source, hours, vol, iv, prof, handling.call_types)
    cut = int((~p.answered & ~p.abandoned & ~p.blocked).sum())  # calls cut off at closing
    fit.scenario = _scenario(source, len(kind), hours, vol, prof, handling, pat, follow, staffing, o, cut, cover)
    _notes(notes, est, hours, vol, prof, follow, o, staffing_note)
    _log_notes(notes, span_days, o, options, callbacks, int(p.blocked.sum()), cut)
    shown = _gap_notes(notes, cover, hours) + _fallback_notes(fit, follow)
    fit.header = [
        f"Fitted by ska-sim fit from {source}: {len(kind):,} calls, {vol.dates[0]} to {vol.dates[-1]} ({o.tz}).",
        "Every number is an estimate from the log unless its comment says otherwise; sample sizes and",
        "diagnostics are in the comments. Not in a log, so not estimated: targets and shrinkage (SKA's",
        "defaults apply), identity checks (their time is inside talk), the split of repeat calls into",
        "resolved x probability (see [repeat]).",
    ]
    est["hours"] = hours
    est["redial_delay"] = follow.red_fit
    est["repeat_delay"] = follow.rep_fit
    est["stretches"] = [(hours.date(a - hours.first_day), hours.date(b - hours.first_day)) for a, b in cover.bounds]
    est["notes_shown"] = shown
    fit.header += [f"NOTE: {n}" for n in shown]
    fit.estimates = est
    return fit


def _inbound(frame: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """The calls that reached the line, and how many callback rows were left out: callbacks are
    placed by agents (outbound)."""
    callbacks = 0
    if "kind" in frame:
        is_cb = (frame["kind"].astype("string") == "callback").fillna(False).to_numpy(bool)
        callbacks = int(is_cb.sum())
        if callbacks:
            frame = frame[~is_cb]
    return frame, callbacks


@dataclass
class Cover:
    """The stretches of days the log covers (spans.py) and each call's stretch."""

    bounds: list[tuple[int, int]]  # (first, last) local day number of each stretch
    of_call: np.ndarray  # each call's stretch (by its arrival)
    first_t: np.ndarray  # per stretch: its first and last arrival (s since 1970)
    last_t: np.ndarray

    @classmethod
    def of(cls, p: Prepared) -> Cover:
        bounds = stretches(p.arr_day)
        st = stretch_of(p.arr_day, bounds)
        first_t = np.full(len(bounds), np.inf)
        last_t = np.full(len(bounds), -np.inf)
        ok = np.isfinite(p.arr_t)
        np.minimum.at(first_t, st[ok], p.arr_t[ok])
        np.maximum.at(last_t, st[ok], p.arr_t[ok])
        return cls(bounds, st, first_t, last_t)


def _no_follow_ups_across_gaps(p: Prepared, kind: np.ndarray, cover: Cover) -> None:
    """A caller's call after a gap is a first call: the log does not say what happened in between
    (opening time does not run in a gap, so a redial would otherwise reach across it)."""
    if len(cover.bounds) > 1:
        across = np.zeros(len(kind), bool)
        across[1:] = (p.caller[1:] == p.caller[:-1]) & (cover.of_call[1:] != cover.of_call[:-1])
        kind[across] = FIRST


def _windows(p: Prepared, options: FitOptions, cover: Cover) -> tuple[FitOptions, float]:
    """The options with the repeat window shortened to half the longest stretch's span when it is
    longer (no answered call would have its whole window in the log), and that span in days."""
    span_days = float(np.max(cover.last_t - cover.first_t)) / DAY_S
    repeat_window_days = options.repeat_window_days
    if repeat_window_days > span_days / 2:
        repeat_window_days = max(span_days / 2, 1 / 24)
    return dataclasses.replace(options, repeat_window_days=repeat_window_days), span_days


@dataclass
class FollowUps:
    """What each call led to: redials after calls that were not answered, repeat calls after answered ones."""

    next_kind: np.ndarray | None  # kind of the same caller's next call, -1 when none
    seen_rep: np.ndarray | None  # answered calls whose whole repeat window is in the log
    redial_p: float
    n_red: int  # calls not answered whose whole redial window is in the log
    red_fit: DurationFit | None  # redial delay (opening time)
    rep_fit: DurationFit | None  # repeat delay (wall clock)
    rep_delay: np.ndarray


def _follow_ups(p: Prepared, kind: np.ndarray, hours: Hours, o: FitOptions, est: dict[str, Any],
                cover: Cover) -> FollowUps:
    """P(redial | not answered) and the redial delay in opening time; the repeat delays (wall clock);
    calls too close to the end of their stretch of the log for their window to be seen are left out
    of the denominators."""
    last_days = np.array([b for _, b in cover.bounds])
    log_end_t = cover.last_t[cover.of_call]
    log_end_clock = hours.open_clock(last_days, np.full(len(last_days), float(DAY_S)))[cover.of_call]
    nxt = np.roll(np.arange(len(kind)), -1)
    same_next = np.zeros(len(kind), bool)
    same_next[:-1] = p.caller[:-1] == p.caller[1:]
    next_kind = np.where(same_next, kind[nxt], -1)
    clock_free = hours.open_clock(p.free_day, p.free_sec)
    not_answered = ~p.answered
    seen_red = not_answered & (clock_free + o.redial_window_min * 60 <= log_end_clock)
    n_red = int(seen_red.sum())
    k_red = int((seen_red & (next_kind == REDIAL)).sum())
    redial_p = k_red / n_red if n_red else 0.0
    est.update(redial_probability=redial_p, redial_n=n_red,
               redial_se=math.sqrt(redial_p * (1 - redial_p) / n_red) if n_red else math.nan)
    red_rows = np.flatnonzero(kind == REDIAL)
    red_delay = hours.open_clock(p.arr_day[red_rows], p.arr_sec[red_rows]) - clock_free[red_rows - 1]
    red_fit = fit_duration(red_delay, o.max_fit_sample, o.seed) if (red_delay > 0).sum() >= 2 else None

    seen_rep = p.answered & (p.free_t + o.repeat_window_days * DAY_S <= log_end_t)
    rep_rows = np.flatnonzero(kind == REPEAT)
    rep_delay = p.arr_t[rep_rows] - p.free_t[rep_rows - 1]
    rep_fit = fit_duration(rep_delay, o.max_fit_sample, o.seed) if (rep_delay > 0).sum() >= 2 else None
    return FollowUps(next_kind, seen_rep, redial_p, n_red, red_fit, rep_fit, rep_delay)


def _staffing(agents, agents_source, hours: Hours, vol: Volume, iv: int, prof: Profile, types: list[dict]):
    """staffing.agents per weekday: the median of the log's agents per interval, or an Erlang C placeholder."""
    present = vol.present
    out: dict[str, dict] = {}
    if agents is not None and len(agents):
        a = agents.copy()
        a["date"] = pd.to_datetime(a["date"]).dt.date
        a["weekday"] = [WEEKDAYS[d.weekday()] for d in a["date"]]
        for w in present:
            name = WEEKDAYS[w]
            o_s, c_s = hours.weekday_hours[name]
            n = (c_s - o_s) // iv
            sub = a[a.weekday == name]
            vals = []
            med = sub.groupby("slot")["agents"].median()
            for k in range(n):
                v = med.get(o_s // iv + k)
                vals.append(int(round(float(v))) if v is not None and np.isfinite(v) else 0)
            out[name] = vals
        return {"agents": out}, (f"agents on the phones: the median per weekday and interval of {agents_source}"
                                 if agents_source else "agents on the phones per interval, median per weekday")
    aht = sum(ct["share"] * (ct["talk"]["mean_s"] + ct.get("after_call_work", {}).get("mean_s", 0.0))
              for ct in types)
    for w in present:
        name = WEEKDAYS[w]
        shares = prof.shares.get(name, prof.shares.get("default"))
        vol_w = vol.daily_calls * vol.weekday_factor[name]
        out[name] = [int(required_agents(vol_w * s / iv, aht, Requirement())) for s in shares]
    return {"agents": out}, ("NOT FROM THE LOG: the log has no agent ids and no staffing file was given; these "
                             "agents are the Erlang C requirement for 80/20 on the fitted first calls: replace "
                             "them with the centre's own staffing (or give --staffing)")


def _scenario(source: str, n_calls: int, hours: Hours, vol: Volume, prof: Profile, handling: Handling,
              pat: Patience | None, follow: FollowUps, staffing: dict, o: FitOptions, cut: int,
              cover: Cover) -> dict[str, Any]:
    """The fitted scenario as a TOML-ready dict, its blocks in the order of the file. Its calendar is
    the log's span, or, when the log has gaps, its last stretch (closed dates and dates with their
    own hours inside it)."""
    first, last = cover.bounds[-1][0] - hours.first_day if len(cover.bounds) > 1 else 0, hours.n_days - 1
    inside = lambda d: hours.date(first) <= d <= hours.date(last)  # noqa: E731
    cal: dict[str, Any] = {
        "start": hours.date(first), "days": last - first + 1, "warmup_days": max(7, vol.lead_days),
        "interval_min": o.interval_min,
        "hours": {WEEKDAYS[w]: [format_clock(a), format_clock(b)] for w, (a, b) in sorted(
            ((WEEKDAYS.index(k), v) for k, v in hours.weekday_hours.items()))},
    }
    date_hours = {d: h for d, h in hours.date_hours.items() if inside(d)}
    if date_hours:
        cal["date_hours"] = {d: [format_clock(a), format_clock(b)] for d, (a, b) in sorted(date_hours.items())}
    closed = [d for d in hours.closed if inside(d)]
    if closed:
        cal["closed"] = sorted(closed)
    dates = vol.dates
    scen: dict[str, Any] = {
        "scenario": {"name": f"fitted from {source}",
                     "description": f"ska-sim fit of {source}: {n_calls:,} calls, {dates[0]} to {dates[-1]}"},
        "calendar": cal,
        "arrivals": {"daily_calls": round(vol.daily_calls, 1), "day_cv": round(vol.day_cv, 4), "volume_scale": 1.0,
                     "weekday_factor": vol.weekday_factor,
                     "profile": prof.shares},
        "call_types": handling.call_types,
    }
    daily = vol.daily
    factors = {d: round(float(c / ex), 3) for d, c, ex in zip(daily.date[daily.unusual],
                                                              daily.first_calls_checked[daily.unusual],
                                                              daily.expected[daily.unusual]) if ex > 0}
    if factors:
        scen["arrivals"]["date_factor"] = factors
    if handling.languages:
        scen["languages"] = handling.languages
    if pat is not None:
        scen["patience"] = pat.fit.spec()
    scen["redial"] = {"probability": round(follow.redial_p, 4)}
    if follow.red_fit:
        scen["redial"]["delay"] = follow.red_fit.spec()
    scen["repeat"] = {"probability": o.repeat_probability}
    if follow.rep_fit:
        scen["repeat"]["delay"] = follow.rep_fit.spec()
    scen["staffing"] = staffing
    scen["simulation"] = {"replications": 20, "seed": 2026, "queued_at_close": "drop" if cut else "serve"}
    return scen


def _notes(notes: dict[str, str], est: dict[str, Any], hours: Hours, vol: Volume, prof: Profile,
           follow: FollowUps, o: FitOptions, staffing_note: str) -> None:
    """The comments of the calendar, arrivals, redial, repeat and staffing blocks."""
    daily, wd, kept = vol.daily, vol.wd, vol.used & ~vol.unusual
    notes["calendar"] = (f"opening hours from the arrivals (the usual hours per weekday; {len(hours.date_hours)} dates "
                         f"with their own, {len(hours.closed)} open weekdays without calls taken as closed)")
    notes["arrivals.daily_calls"] = (
        f"first calls (redials and repeat calls removed: {est['redials']:,} redials, {est['repeats']:,} repeats of "
        f"{est['calls']:,} calls) per full ordinary day: {vol.n_used_days} day{'s' if vol.n_used_days != 1 else ''} "
        f"used; mean of the weekday means ({se_text(est['daily_calls_se'], '.1f')})")
    notes["arrivals.day_cv"] = (f"method of moments net of Poisson noise, c^2 = (s^2 - m) / m^2 pooled over weekdays "
                                f"({se_text(est['day_cv_se'], '.3f', 'approx. SE')})")
    notes["arrivals.weekday_factor"] = ", ".join(
        f"{WEEKDAYS[w]} {_n_days(int((kept & (wd == w)).sum()))}" for w in vol.present)
    chi_txt = "; ".join(f"weekdays {'/'.join(WEEKDAYS[w] for w in ws)}: chi-square p = {prof.chi[h].pvalue:.3g}"
                        for h, ws in prof.groups.items() if h in prof.chi)
    notes["arrivals.profile"] = (f"first calls per interval on the days used ({prof.calls:,} calls); smoothing "
                                 f"{o.smooth}" + (f"; do the weekdays' shapes differ? {chi_txt}" if chi_txt else ""))
    unusual_txt = ", ".join(f"{d} ({c:.0f} vs {e:.0f}, z {zz:+.1f})" for d, c, e, zz in zip(
        daily.date[daily.unusual], daily.first_calls_checked[daily.unusual], daily.expected[daily.unusual],
        daily.z[daily.unusual]))
    if unusual_txt:
        notes["arrivals"] = (f"unusual days, left out of the means and given their own date_factor (observed / "
                             f"weekday mean; drop them for a forecast unless they recur): {unusual_txt}")
    if vol.lead_days:
        notes["arrivals.lead_in"] = (f"the first {vol.lead_days} days are left out of the volume: their 'first' calls "
                                     "include repeat calls of calls before the log (95% of repeat delays are shorter)")
    red_fit, rep_fit = follow.red_fit, follow.rep_fit
    notes["redial"] = (f"P(redial within {o.redial_window_min:g} min of opening time | not answered) = "
                       f"{follow.redial_p:.4f} ({se_text(est['redial_se'], '.4f')}, n = {follow.n_red:,})"
                       + (f"; delay: {red_fit.note()}" if red_fit else ""))
    notes["repeat"] = (f"only (1 - resolved) x probability is identifiable: probability FIXED at "
                       f"{o.repeat_probability:g}, resolved per call type fitted; over all answered calls the product "
                       f"is {est['repeat_product_all']:.4f} (n = {est['repeat_n_all']:,}), FCR implied "
                       f"{est['fcr_implied']:.3f}"
                       + (f"; delay (wall clock, answered call's end to the next call): {rep_fit.note()}"
                          if rep_fit else ""))
    notes["staffing"] = staffing_note


def _log_notes(notes: dict[str, str], span_days: float, o: FitOptions, options: FitOptions, callbacks: int,
               n_blocked: int, cut: int) -> None:
    """What the log itself made the fit leave out or shorten: a short span, callbacks, blocked calls,
    calls cut off at closing."""
    if o.repeat_window_days < options.repeat_window_days:
        notes["repeat"] += (f". The log spans {span_days:.1f} days: the repeat window was shortened from "
                            f"{options.repeat_window_days:g} to {o.repeat_window_days:.2f} days, so repeat calls later "
                            "than that are missed (the product is a lower bound)")
    if callbacks:
        notes["calendar"] += f"; {callbacks:,} callback rows (kind = callback, placed by agents) left out"
    if n_blocked:
        notes["staffing"] += (f". {n_blocked:,} calls ended at arrival without an answer (busy tone or virtual hold): "
                              "[lines] and [callbacks] are not estimated")
    notes["simulation"] = "not estimated: ska-sim's defaults" + (
        f"; {int(cut):,} calls cut off at closing: queued_at_close = drop" if cut else "")


def _gap_notes(notes: dict[str, str], cover: Cover, hours: Hours) -> list[str]:
    """What a log with gaps changes: the calendar's comment, and the note for the file's top and the
    terminal."""
    if len(cover.bounds) <= 1:
        return []
    dates = [(hours.date(a - hours.first_day), hours.date(b - hours.first_day)) for a, b in cover.bounds]
    span = (dates[-1][1] - dates[0][0]).days + 1
    closed = sum(1 for d in hours.closed if any(a <= d <= b for a, b in dates))
    notes["calendar"] = (f"opening hours from the arrivals (the usual hours per weekday; {len(hours.date_hours)} dates "
                         f"with their own, {closed} open weekdays without calls inside the log's stretches taken as "
                         f"closed). The log has gaps (see the NOTE at the top): the calendar is its last stretch")
    text = (f"the log spans {span:,} days ({dates[0][0]} to {dates[-1][1]}) in {len(dates)} stretches with gaps of "
            f"more than {GAP_DAYS} days without a call between them: {describe(dates)}. No redial or repeat call is "
            "recognised across a gap, each stretch's first days are a lead-in, the days of a gap are left out (not "
            f"taken as closed), and the calendar is the last stretch ({dates[-1][0]} to {dates[-1][1]})")
    if span > 366:
        text += ("; the log spans more than a year: volume, profile, talk and patience are pooled over stretches "
                 "years apart as if nothing changed between them (fit the recent stretch alone for a forecast)")
    return [text]


def _fallback_notes(fit: Fit, follow: FollowUps) -> list[str]:
    """One line per duration fit in which a family did not converge (its note in the file says which)."""
    fits = {**{f"talk {t}": f for t, f in fit.talk.items()}, **{f"after-call work {t}": f for t, f in fit.acw.items()},
            "patience": fit.patience, "redial delay": follow.red_fit, "repeat delay": follow.rep_fit}
    return [f"{name}: the values are all alike: deterministic {f.mean_s:.1f} s" if f.constant else
            f"{name}: {', '.join(f.failed)} did not converge; {f.family} "
            + ("(the simpler estimate: the sample mean)" if f.family == "exponential" else "chosen among the rest")
            for name, f in fits.items() if f is not None and (f.failed or f.constant)]


# --------------------------------------------------------------------------- the TOML file
def to_toml(fit: Fit) -> str:
    """The fitted scenario as TOML with the sample sizes and diagnostics as comments."""
    import tomlkit

    doc = tomlkit.document()
    for line in fit.header:
        for part in _wrap(line):
            doc.add(tomlkit.comment(part))
    doc.add(tomlkit.nl())
    s, notes = fit.scenario, fit.notes

    def comment_lines(t, text: str) -> None:
        for line in _wrap(text):
            t.add(tomlkit.comment(line))

    for key, value in s.items():
        if key == "call_types":
            aot = tomlkit.aot()
            for ct in value:
                t = tomlkit.table()
                for k2, v2 in ct.items():
                    note = notes.get(f"call_types.{ct['name']}.{k2}")
                    if note:
                        comment_lines(t, note)
                    t.add(k2, _inline(v2))
                aot.append(t)
            doc.add("call_types", aot)
            continue
        t = tomlkit.table()
        if key in notes:
            comment_lines(t, notes[key])
        for k2, v2 in value.items():
            note = notes.get(f"{key}.{k2}")
            if key == "arrivals" and k2 == "daily_calls" and "arrivals.lead_in" in notes:
                note = f"{note}. {notes['arrivals.lead_in']}"
            if note:
                comment_lines(t, note)
            if isinstance(v2, dict) and k2 in ("hours", "date_hours", "agents", "profile", "date_factor"):
                sub = tomlkit.table()
                for k3, v3 in v2.items():
                    sub.add(str(k3), v3)
                t.add(k2, sub)
            else:
                t.add(k2, _inline(v2))
        doc.add(key, t)
    return tomlkit.dumps(doc)


def _inline(v):
    import tomlkit

    if isinstance(v, dict):
        it = tomlkit.inline_table()
        it.update(v)
        return it
    return v


def _wrap(text: str, width: int = 96) -> list[str]:
    import textwrap

    return textwrap.wrap(text, width) or [""]


__all__ = ["Fit", "FitError", "FitOptions", "fit_log", "to_toml"]
