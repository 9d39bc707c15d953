"""Checks across blocks: vectors that match the opening hours, names that exist, shares that
sum to one, the simulated window and sizes within the limits, rosters and the workforce; and
warnings about values that are allowed but look like typing mistakes. Each check returns
(key path, message) pairs; :func:`cross_checks` runs them all in order."""

from __future__ import annotations

import datetime as dt
import math
from typing import TYPE_CHECKING

from ska_sim.base.limits import MAX_AGENTS_PER_INTERVAL, MAX_CALLS_PER_DAY, SUSPICIOUS_SCALE
from ska_sim.scenario.activities import activities_checks, activity_needs
from ska_sim.scenario.block import SHARE_TOLERANCE, Hours
from ska_sim.scenario.calls import PROFILE_ROUNDING
from ska_sim.scenario.calendar import WorkingCalendar, calendar_checks
from ska_sim.scenario.clock import WEEKDAYS
from ska_sim.scenario.periods import period_checks
from ska_sim.scenario.profiles import RATES, day_calls, weekday_key
from ska_sim.scenario.forecast import forecast_checks, forecast_warnings
from ska_sim.scenario.roster import unused_vectors_warning, window_warning
from ska_sim.scenario.workforce import roster_heads_warning, workforce_checks

if TYPE_CHECKING:
    from ska_sim.scenario.model import Scenario


def cross_checks(s: Scenario) -> list[tuple[str, str]]:
    """Every check that spans several keys, in the order their problems are reported."""
    out = _call_type_checks(s)
    out += profile_checks(s)
    tables = staffing_tables(s, out)
    _weekday_vector_checks(s, tables, out)
    _date_hours_checks(s, tables, out)
    _staffing_dates_checks(s, tables, out)
    out += skills_checks(s)
    out += _shrinkage_and_follow_up_checks(s)
    out += calendar_checks(s)
    if s.activities is not None:
        out += activities_checks(s)
    out += window_and_size_checks(s)
    out += period_checks(s)
    out += forecast_checks(s)
    out += roster_checks(s)
    out += written_checks(s)
    if s.workforce is not None:
        out += workforce_checks(s)
    return out


def _call_type_checks(s: Scenario) -> list[tuple[str, str]]:
    """Call-type shares sum to 1 and names are unique."""
    out: list[tuple[str, str]] = []
    shares = sum(ct.share for ct in s.call_types if ct.share is not None)  # missing ones: profile_checks
    if all(ct.share is not None for ct in s.call_types) and abs(shares - 1.0) > SHARE_TOLERANCE:
        out.append(("call_types", f"shares must sum to 1 (got {shares:.6f})"))
    names = [ct.name for ct in s.call_types]
    for n in sorted({n for n in names if names.count(n) > 1}):
        out.append(("call_types", f"name {n!r} is used more than once"))
    return out


def profile_checks(s: Scenario) -> list[tuple[str, str]]:
    """The keys each arrivals.profile_unit needs and refuses (scenario/profiles.py), and each call
    type's own profile summing to 1 when in shares."""
    out: list[tuple[str, str]] = []
    arr, types = s.arrivals, s.call_types
    own = [i for i, ct in enumerate(types) if ct.profile is not None]
    without = [ct.name for ct in types if ct.profile is None]
    if arr.profile_unit == RATES:
        if arr.daily_calls is not None:
            out.append(("arrivals.daily_calls", "leave it out with profile_unit = 'calls_per_hour': the calls per hour "
                                                "give the day's volume"))
        if own and without:
            out.append(("call_types", f"with profile_unit = 'calls_per_hour' either every call type has its own "
                                      f"profile (its calls per hour) or none does; without one: {', '.join(without)}"))
        elif own:
            out += [(f"call_types[{i}].share", "its own calls per hour give its volume: leave share out")
                    for i in own if types[i].share is not None]
    elif arr.daily_calls is None:
        out.append(("arrivals.daily_calls", "missing (required: the day's first calls, which the profile's shares "
                                            "divide; or give the profiles as profile_unit = 'calls_per_hour')"))
    if arr.profile is None and without:
        out.append(("arrivals.profile", "missing (required: when the calls come" + (
            f" for the call types without a profile of their own: {', '.join(without)})" if own else ")")))
    out += [(f"call_types[{i}].share", "missing (required: the type's share of the calls)")
            for i, ct in enumerate(types) if ct.share is None and (arr.profile_unit != RATES or ct.profile is None)]
    if arr.profile_unit != RATES:
        for i in own:
            for key, values in types[i].profile.items():
                if abs(sum(values) - 1.0) > PROFILE_ROUNDING:
                    out.append((f"call_types[{i}].profile.{key}", f"shares must sum to 1 (got {sum(values):.6f}; a "
                                                                   f"rounding of up to {PROFILE_ROUNDING:g} is normalised)"))
    elif own and not without and not any(sum(types[i].profile[k]) > 0 for i in own for wd in s.calendar.hours
                                         if (k := weekday_key(types[i].profile, wd)) is not None):
        out.append(("call_types", "the call types' calls per hour are 0 on every open weekday: no call would arrive"))
    return out


def _interval_count(s: Scenario, h: Hours, where: str, out: list) -> int | None:
    """The number of intervals in opening hours ``h``; None (and a problem) when they do not
    fall on interval boundaries."""
    cal, iv = s.calendar, s.calendar.interval_s
    if h.open_s % iv or h.close_s % iv:
        out.append((where, f"opening hours {h.label()} do not fall on {cal.interval_min}-minute interval boundaries"))
        return None
    return (h.close_s - h.open_s) // iv


def _weekday_vector(table: dict[str, list], day: str) -> tuple[str, list] | None:
    """(key, vector) of a weekday in a table: its own, else the default; None without either."""
    if day in table:
        return day, table[day]
    if "default" in table:
        return "default", table["default"]
    return None


def _weekday_vector_checks(s: Scenario, tables: list[tuple[str, dict, dict]], out: list) -> None:
    """Every open weekday has a profile and agents vector, one value per interval of its hours."""
    cal = s.calendar
    for day, h in cal.hours.items():
        n = _interval_count(s, h, f"calendar.hours.{day}", out)
        if n is None:
            continue
        profiles = [("arrivals.profile", s.arrivals.profile)] if s.arrivals.profile is not None else []
        profiles += [(f"call_types[{i}].profile", ct.profile) for i, ct in enumerate(s.call_types) if ct.profile is not None]
        vectors = profiles + [(block, agents) for block, agents, _ in tables]
        for block, table in vectors:
            found = _weekday_vector(table, day)
            if found is None:
                out.append((block, f"no vector for {day} (open {'-'.join(h.label())}) and no default"))
            elif len(found[1]) != n:
                what = ("agents" if not block.endswith("profile") else
                        "calls per hour" if s.arrivals.profile_unit == RATES else "shares")
                out.append(
                    (
                        f"{block}.{found[0]}",
                        f"has {len(found[1])} {what} but {day} opens {'-'.join(h.label())}, "
                        f"{n} intervals of {cal.interval_min} min",
                    )
                )


def _date_hours_checks(s: Scenario, tables: list[tuple[str, dict, dict]], out: list) -> None:
    """A date's own hours lie within its weekday's hours, and its agents vectors match them."""
    cal = s.calendar
    for day, h in cal.date_hours.items():
        n = _interval_count(s, h, f"calendar.date_hours.{day}", out)
        if n is None:
            continue
        wd = WEEKDAYS[day.weekday()]
        base = cal.hours.get(wd)
        if base is None or h.open_s < base.open_s or h.close_s > base.close_s:
            usual = "-".join(base.label()) if base else "closed"
            out.append(
                (
                    f"calendar.date_hours.{day}",
                    f"{'-'.join(h.label())} must lie within {wd}'s usual hours ({usual}): "
                    "the profile and staffing of those hours are used",
                )
            )
            continue
        for block, _, dates in tables:
            where = block.removesuffix(".agents") + ".dates"
            agents = dates.get(day)
            if agents is not None and len(agents) != n:
                out.append((f"{where}.{day}", f"has {len(agents)} agents but {day} opens {n} intervals"))


def _staffing_dates_checks(s: Scenario, tables: list[tuple[str, dict, dict]], out: list) -> None:
    """A date's agents vector (without own hours) is for an open date and matches its hours
    (as the calendar derives them: a shortened day has fewer intervals)."""
    cal, iv = s.calendar, s.calendar.interval_s
    for block, _, dates in tables:
        where = block.removesuffix(".agents") + ".dates"
        for day, agents in dates.items():
            if day in cal.date_hours:
                continue
            h = cal.hours.get(WEEKDAYS[day.weekday()])
            if h is not None and (cal.country or cal.last_friday_close or cal.shortened):
                o, c, _ = WorkingCalendar(s).hours(day)
                h = Hours(open_s=o, close_s=c) if o is not None and c is not None and c > o else h
            if h is None:
                out.append((f"{where}.{day}", f"{day} is not an open day (no hours for {WEEKDAYS[day.weekday()]})"))
            elif h.open_s % iv == 0 and h.close_s % iv == 0 and len(agents) != (h.close_s - h.open_s) // iv:
                n = (h.close_s - h.open_s) // iv
                out.append((f"{where}.{day}", f"has {len(agents)} agents but {day} opens {n} intervals"))


def _shrinkage_and_follow_up_checks(s: Scenario) -> list[tuple[str, str]]:
    """Shrinkage leaves someone on the phones; repeat calls have a delay; the FCR band is ordered."""
    out: list[tuple[str, str]] = []
    for day in WEEKDAYS:
        in_shift, absence = s.shrinkage.shares(day)
        if in_shift >= 1.0 or absence >= 1.0:
            where = f"shrinkage.weekday.{day}" if day in s.shrinkage.weekday else "shrinkage"
            out.append((where, f"shares leave nobody on the phones on {day} (in-shift {in_shift:.2f}, absence {absence:.2f})"))
            break
    fcr = s.targets.fcr
    if s.repeat.probability > 0 and s.repeat.delay.mean_s == 0:
        out.append(("repeat.delay.mean_s", "must be > 0 when repeat.probability > 0"))
    if fcr is not None and fcr.min > fcr.max:  # pragma: no cover - caught by FcrTarget
        out.append(("targets.fcr", "min above max"))
    return out


def staffing_tables(s: Scenario, out: list) -> list[tuple[str, dict, dict]]:
    """(key path, agents per weekday, agents per date) of [staffing] or of each group.
    With [[groups]] the agents are the groups'; giving staffing.agents too is a problem."""
    if s.groups:
        if s.staffing.agents is not None:
            out.append(("staffing.agents", "give the agents per group in [[groups]] or in [staffing.agents], not both"))
        if s.staffing.dates:
            out.append(("staffing.dates", "with [[groups]], give a date's agents per group (groups[i].dates)"))
        return [(f"groups[{i}].agents", g.agents, g.dates) for i, g in enumerate(s.groups)]
    if s.staffing.agents is None:
        out.append(("staffing.agents", "missing (required): agents on the phones per interval, or [[groups]]"))
        return []
    return [("staffing.agents", s.staffing.agents, s.staffing.dates)]


def skills_checks(s: Scenario) -> list[tuple[str, str]]:
    """Languages, groups and routing name only what exists, and every call finds a group."""
    out: list[tuple[str, str]] = []
    langs = set(s.languages)
    types = [ct.name for ct in s.call_types]
    if s.languages:
        total = sum(lang.share for lang in s.languages.values())
        if abs(total - 1.0) > SHARE_TOLERANCE:
            out.append(("languages", f"shares must sum to 1 (got {total:.6f})"))
    for i, ct in enumerate(s.call_types):
        if ct.language_shares is None:
            continue
        where = f"call_types[{i}].language_shares"
        if not s.languages:
            out.append((where, "needs [languages] (the languages, their shares and talk factors)"))
            continue
        unknown = sorted(set(ct.language_shares) - langs)
        if unknown:
            out.append((where, f"unknown language(s) {', '.join(unknown)} (languages: {', '.join(sorted(langs))})"))
        bad = {k: v for k, v in ct.language_shares.items() if not (0.0 <= v <= 1.0)}
        if bad:
            out.append((where, f"shares must be in [0, 1] (got {bad})"))
        if abs(sum(ct.language_shares.values()) - 1.0) > SHARE_TOLERANCE:
            out.append((where, f"shares must sum to 1 (got {sum(ct.language_shares.values()):.6f})"))
    gnames = [g.name for g in s.groups]
    for n in sorted({n for n in gnames if gnames.count(n) > 1}):
        out.append(("groups", f"name {n!r} is used more than once"))
    for i, g in enumerate(s.groups):
        if g.languages != "all":
            unknown = sorted(set(g.languages) - langs)
            if unknown:
                out.append((f"groups[{i}].languages", f"unknown language(s) {', '.join(unknown)}"
                            + (f" (languages: {', '.join(sorted(langs))})" if langs else " (no [languages] given)")))
        if g.call_types != "all":
            unknown = sorted(set(g.call_types) - set(types))
            if unknown:
                out.append((f"groups[{i}].call_types", f"unknown call type(s) {', '.join(unknown)}"))
        unknown = sorted(set(g.priority) - set(types) - {"default"})
        if unknown:
            out.append((f"groups[{i}].priority", f"unknown call type(s) {', '.join(unknown)} (or 'default')"))
    out += by_type_checks(s, types)
    for lang in s.targets.languages:
        if lang not in langs:
            out.append((f"targets.languages.{lang}", f"unknown language {lang!r}"
                        + (f" (languages: {', '.join(sorted(langs))})" if langs else " (no [languages] given)")))
    if s.routing.order and not s.groups:
        out.append(("routing.order", "needs [[groups]] to route to"))
    for k, names in s.routing.order.items():
        if k not in types:
            out.append((f"routing.order.{k}", f"unknown call type {k!r}"))
        unknown = [n for n in names if n not in gnames]
        if unknown and s.groups:
            out.append((f"routing.order.{k}", f"unknown group(s) {', '.join(unknown)}"))
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            out.append((f"routing.order.{k}", f"group(s) listed twice: {', '.join(dup)}"))
    out += transfer_callback_checks(s, gnames)
    if s.groups and not out:
        for ct in s.call_types:
            shares = s.language_shares(ct) or {None: 1.0}
            order = s.group_order(ct.name)
            for lang, share in shares.items():
                if share > 0 and not any(g.serves(ct.name, lang) for g in order):
                    what = f"{ct.name!r} calls" + (f" in {lang}" if lang else "")
                    where = f"routing.order.{ct.name}" if ct.name in s.routing.order else "groups"
                    out.append((where, f"no group serves {what}: give a group these skills or route them"))
    return out


def by_type_checks(s: Scenario, types: list[str]) -> list[tuple[str, str]]:
    """The per-call-type keys (``..._by_type``) name only call types that exist; the routing
    ones need [[groups]] to route to."""
    out: list[tuple[str, str]] = []
    known = f" (call types: {', '.join(types)})"
    keyed = [(f"groups[{i}].handle_factor_by_type", g.handle_factor_by_type) for i, g in enumerate(s.groups)]
    keyed += [("routing.policy_by_type", s.routing.policy_by_type),
              ("routing.overflow_after_s_by_type", s.routing.overflow_after_s_by_type),
              ("targets.service_level.threshold_s_by_type", s.targets.service_level.threshold_s_by_type)]
    for where, values in keyed:
        for name in values:
            if name not in types:
                out.append((f"{where}.{name}", f"unknown call type {name!r}{known}"))
    for key in ("policy_by_type", "overflow_after_s_by_type"):
        if getattr(s.routing, key) and not s.groups:
            out.append((f"routing.{key}", "needs [[groups]] to route to"))
    return out


def transfer_callback_checks(s: Scenario, gnames: list[str]) -> list[tuple[str, str]]:
    """Transfers go to a group that exists (or "out"); callbacks name a group that exists."""
    out: list[tuple[str, str]] = []
    known = f" (groups: {', '.join(gnames)}, or \"out\")" if gnames else " (no [[groups]] given: only \"out\")"
    for i, ct in enumerate(s.call_types):
        tr = ct.transfer
        if tr is not None:
            where = f"call_types[{i}].transfer"
            if tr.to != "out" and tr.to not in gnames:
                out.append((f"{where}.to", f"unknown group {tr.to!r}{known}"))
            if tr.to != "out" and tr.talk is None:
                out.append((f"{where}.talk", f"missing: the talk time with group {tr.to!r}"))
            if tr.to == "out" and (tr.talk is not None or tr.after_call_work is not None):
                out.append((where, "a transfer out of the line has no talk or after_call_work on the line"))
        if ct.callback_share > 0 and s.callbacks is None:
            out.append((f"call_types[{i}].callback_share", "needs [callbacks] (the group that places them, delay, handle)"))
    cb = s.callbacks
    if cb is not None and cb.group not in gnames:
        what = f"unknown group {cb.group!r}" + (f" (groups: {', '.join(gnames)})" if gnames else " (no [[groups]] given)")
        out.append(("callbacks.group", what))
    return out


def window_and_size_checks(s: Scenario) -> list[tuple[str, str]]:
    """A measured window with an open day; calls per day and agents per interval within the limits."""
    out: list[tuple[str, str]] = []
    cal, arr = s.calendar, s.arrivals
    first = cal.start - dt.timedelta(days=cal.warmup_days)
    dates = [first + dt.timedelta(days=i) for i in range(cal.warmup_days + cal.days)]

    wc = WorkingCalendar(s)
    open_dates = [d for d in dates if wc.is_open(d)]
    last = cal.start + dt.timedelta(days=cal.days - 1)
    if not [d for d in open_dates if d >= cal.start]:
        span = cal.start.isoformat() if cal.days == 1 else f"{cal.start.isoformat()} to {last.isoformat()}"
        out.append(("calendar", f"no open day falls in the measured window {span} ({cal.days} day"
                                f"{'s' if cal.days != 1 else ''}: every date is closed or its weekday has no hours); "
                                "there is nothing to measure"))
    busiest, busiest_day = 0.0, None
    for d in open_dates:
        calls = day_calls(s, WEEKDAYS[d.weekday()]) * arr.weekday_factor.get(WEEKDAYS[d.weekday()], 1.0) * wc.factor(d)[0]
        if calls * arr.volume_scale > busiest:
            busiest, busiest_day = calls * arr.volume_scale, d
    if busiest > MAX_CALLS_PER_DAY:
        out.append(("arrivals", f"{busiest:.4g} first calls expected on {busiest_day.isoformat()} (daily_calls, or "
                                f"the profile's calls per hour, x factors x volume_scale); at most {MAX_CALLS_PER_DAY:,} per day are simulated "
                                "(README, Limits)"))
    vectors = [v for _, agents, dates in staffing_tables(s, []) for v in (*agents.values(), *dates.values())]
    most = max((max(v) for v in vectors if v), default=0)
    scaled = math.floor(most * s.staffing.scale + 0.5)
    if scaled > MAX_AGENTS_PER_INTERVAL:
        out.append(("staffing", f"{scaled:,} agents in an interval ({most:,} x scale {s.staffing.scale:g}); at most "
                                f"{MAX_AGENTS_PER_INTERVAL:,} per interval are simulated (README, Limits)"))
    return out


def roster_checks(s: Scenario) -> list[tuple[str, str]]:
    r = s.roster
    out: list[tuple[str, str]] = []
    if r is None:
        return out
    gnames = [g.name for g in s.groups]
    for i, line in enumerate(r.people):
        if gnames and line.group not in gnames:
            what = "missing" if line.group is None else f"unknown group {line.group!r}"
            out.append((f"roster.people[{i}].group", f"{what}: with [[groups]] each line names its group "
                                                     f"({', '.join(gnames)})"))
        elif not gnames and line.group is not None:
            out.append((f"roster.people[{i}].group", "needs [[groups]] (without them the roster is one pool)"))
    if not r.people and r.file is None:
        out.append(("roster", "needs [[roster.people]] lines (or roster.file, a saved roster to simulate)"))
    names = [line.name for line in r.people]
    for n in sorted({n for n in names if names.count(n) > 1}):
        out.append(("roster.people", f"name {n!r} is used more than once"))
    for i, line in enumerate(r.people):
        for j, lv in enumerate(line.leave):
            if lv.week > r.weeks:
                out.append((f"roster.people[{i}].leave[{j}].week", f"week {lv.week} is after the horizon "
                                                                  f"(roster.weeks = {r.weeks})"))
            if lv.people is not None and lv.people > line.count:
                out.append((f"roster.people[{i}].leave[{j}].people", f"{lv.people} people but the line has "
                                                                    f"count = {line.count}"))
    known = set(r.person_names())
    for person, weeks in r.leave.items():
        if person not in known:
            out.append((f"roster.leave.{person}", f"unknown person {person!r} (people are named after their line: "
                                                   "name, or name-01, name-02, ... when count > 1)"))
        for w in weeks:
            if not 1 <= w <= r.weeks:
                out.append((f"roster.leave.{person}", f"week {w} is outside the horizon 1..{r.weeks}"))
    return out


def scenario_warnings(s: Scenario, overrides: list[str] | tuple[str, ...] = ()) -> list[str]:
    """Values that are allowed but look like typing mistakes (``volume_scale = 115`` for 1.15),
    and ``--set`` options (``overrides``) of staffing vectors a saved roster replaces.
    One line each; the command line prints them on stderr as ``warning: ...``."""
    out = []

    def check(path: str, value: float) -> None:
        if value > SUSPICIOUS_SCALE:
            guess = f": did you mean {1 + value / 100:g} (+{value:g}%)?" if value < 100 else f": did you mean {value / 100:g}?"
            out.append(f"{path} = {value:g} multiplies by {value:g}{guess}")

    if s.arrivals.profile is not None and all(ct.profile is not None for ct in s.call_types):
        out.append("arrivals.profile is not used: every call type has a profile of its own")
    profiles = [("arrivals.profile", s.arrivals.profile)] + [(f"call_types[{i}].profile", ct.profile)
                                                             for i, ct in enumerate(s.call_types)]
    for where, table in profiles if s.arrivals.profile_unit != RATES else ():
        for key, shares in (table or {}).items():
            if abs(sum(shares) - 1.0) > SHARE_TOLERANCE:  # within PROFILE_ROUNDING, else refused
                out.append(f"{where}.{key}: shares sum to {sum(shares):.6f}, not 1: divided by their sum "
                           "(a rounding)")
    callback_group = s.callbacks.group if s.callbacks is not None else None
    for i, g in enumerate(s.groups):  # a per-type factor of a type the group never handles
        for name in g.handle_factor_by_type:
            ct = next((c for c in s.call_types if c.name == name), None)
            handled = ct is not None and (g.serves(name, None) or g.name == callback_group
                                          or (ct.transfer is not None and ct.transfer.to == g.name))
            if ct is not None and not handled:
                out.append(f"groups[{i}].handle_factor_by_type.{name}: {g.name} takes no {name} calls (not in its "
                           "call_types, no transfer or callback of them): the factor is not used")
    check("arrivals.volume_scale", s.arrivals.volume_scale)
    check("staffing.scale", s.staffing.scale)
    for wd, x in s.arrivals.weekday_factor.items():
        check(f"arrivals.weekday_factor.{wd}", x)
    for d, x in s.arrivals.date_factor.items():
        check(f"arrivals.date_factor.{d.isoformat()}", x)
    for i, ev in enumerate(s.arrivals.events):
        check(f"arrivals.events[{i}].factor", ev.factor)
    if s.roster is not None and s.roster.plan is not None and not s.roster.repeat:
        out += window_warning(s)
    if s.roster is not None and s.roster.plan is not None:  # roster.file gives the agents of its dates
        out += unused_vectors_warning(s, overrides)
        out += roster_heads_warning(s)
    out += forecast_warnings(s)
    return out


def written_checks(s: Scenario) -> list[tuple[str, str]]:
    """(key path, problem) of every ``[[written]]`` kind: names unique, a group that exists (and
    named with [[groups]]), dedicated hours on interval boundaries, a blending reserve below the
    most agents its group (or pool) has (and urgent.agents not above it, urgent only with
    blend), a handling time above 0, identity failures to send."""
    out: list[tuple[str, str]] = []
    if s.targets.written_on_time is not None and not s.written:
        out.append(("targets.written_on_time", "the scenario has no [[written]] work"))
    seen: set[str] = set()
    groups = {g.name for g in s.groups}
    iv = s.calendar.interval_s
    for i, w in enumerate(s.written):
        where = f"written[{i}]"
        if w.name in seen:
            out.append((f"{where}.name", f"{w.name!r} is named twice"))
        seen.add(w.name)
        key, d = ("dedicated", w.dedicated) if w.dedicated is not None else ("blend", w.blend)
        if d.group is not None and d.group not in groups:
            known = ", ".join(sorted(groups)) or "none: the scenario has no [[groups]]"
            out.append((f"{where}.{key}.group", f"unknown group {d.group!r} (groups: {known})"))
        elif d.group is None and groups:
            out.append((f"{where}.{key}.group", "the scenario has [[groups]]: name the group the agents come from"))
        elif w.blend is not None and s.roster is None:
            most = _most_agents(s, d.group)
            if most is not None and w.blend.reserve > most:
                out.append((f"{where}.blend.reserve", f"{w.blend.reserve} is larger than the group: "
                            f"{d.group or 'the pool'} has at most {most} agents on the phones"))
            if most is not None and w.urgent is not None and w.urgent.agents > most:
                out.append((f"{where}.urgent.agents", f"{w.urgent.agents} is larger than the group: "
                            f"{d.group or 'the pool'} has at most {most} agents on the phones"))
        if w.urgent is not None and w.blend is None:
            out.append((f"{where}.urgent", "needs blend = { reserve } (the phone agents who take urgent items "
                        "before calls); a dedicated kind is worked in its own hours or roster blocks, oldest "
                        "(most urgent) first"))
        if w.dedicated is not None and w.dedicated.activity is not None:
            out += _activity_problems(s, i)
        elif w.dedicated is not None and (d.hours.open_s % iv or d.hours.close_s % iv):
            out.append((f"{where}.dedicated.hours", f"must start and end on interval boundaries ({iv // 60} min)"))
        if w.handling.build().mean <= 0:
            out.append((f"{where}.handling", "mean handling time must be above 0"))
        if w.from_identity_failures and any(x.from_identity_failures for x in s.written[:i]):
            out.append((f"{where}.from_identity_failures", "another kind takes identity failures' written requests "
                        "(at most one)"))
        elif w.from_identity_failures and not any(ct.identity_check is not None and ct.identity_check.fails > 0
                                                  for ct in s.call_types) and not s.uses_written_answers():
            out.append((f"{where}.from_identity_failures", "no call type's identity check fails (identity_check.fails) "
                        "and none promises written answers (written_answer)"))
    if s.written and not any(w.from_identity_failures for w in s.written):
        for k, ct in enumerate(s.call_types):
            if ct.written_answer > 0:
                out.append((f"call_types[{k}].written_answer", "no [[written]] kind takes the written requests from the "
                            "phones (from_identity_failures = true)"))
    return out


def _activity_problems(s: Scenario, i: int) -> list[tuple[str, str]]:
    """A kind worked in an off-phone activity's blocks needs a roster file that places them, an
    activity the scenario has, and no other kind in the same blocks."""
    name = s.written[i].dedicated.activity
    key = f"written[{i}].dedicated.activity"
    if s.roster is None or not s.roster.file:
        return [(key, "needs a roster file (roster.file) placing the activity's blocks: without one, off-phone "
                      "activities are a share of paid time, not hours of given people")]
    known = {n.name for n in activity_needs(s)}
    if s.roster.plan is not None:
        known |= {a for rd in s.roster.plan.days for a, _, _ in rd.activities}
    if name not in known:
        return [(key, f"unknown activity {name!r} (activities: {', '.join(sorted(known)) or 'none'})")]
    if any(w.dedicated is not None and w.dedicated.activity == name for w in s.written[:i]):
        return [(key, f"another kind is worked in the {name!r} blocks (one kind per activity)")]
    return []


def _most_agents(s: Scenario, group: str | None) -> int | None:
    """The most agents the pool (or ``group``) has in any interval of its staffing tables (x scale)."""
    if group is None:
        if s.staffing.agents is None:
            return None
        tables = (s.staffing.agents, s.staffing.dates)
    else:
        g = next(g for g in s.groups if g.name == group)
        tables = (g.agents, g.dates)
    values = [x for table in tables for vector in table.values() for x in vector]
    return math.floor(max(values) * s.staffing.scale + 0.5) if values else None
