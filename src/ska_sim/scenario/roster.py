"""Rosters as input: the roster of people a scenario simulates (a saved ``roster.csv`` named by
``roster.file``, or one ``staff --roster`` solved), its file format, the rest rules of the
Employment Contracts Act that every roster is checked against, and the warnings about a saved
roster's dates and the staffing vectors it replaces.

A roster is one row per person and date (:class:`RosterDay`): work (shift start-end, unpaid
break, off-phone activities), off, leave or not employed. The rest rules (11 h daily rest,
48 h weekly rest, a 30-min break over 6 h of work) are fixed, not keys: :func:`check_shifts`
checks a shifts file against them, :func:`rest_violations` any roster, solved or read.

Loading attaches the roster to the scenario (:func:`load_roster`: the scenario file's folder,
then ``roster.file`` read); :func:`attach` puts a solved one in its place. What is attached is
read through the [roster] block's properties (``plan``, ``base_dir``, ``file_record``,
``extra``); :func:`with_loaded` is the one function that writes it, returning a new scenario.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import re
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from ska_sim.base.errors import Problem, ScenarioError
from ska_sim.scenario.calendar import window_days
from ska_sim.scenario.clock import DAY_S, WEEKDAYS, format_clock, parse_clock
from ska_sim.scenario.people import line_people
from ska_sim.scenario.roster_plan import RosterDay, RosterPlan

if TYPE_CHECKING:
    from ska_sim.scenario.model import Scenario


DAILY_REST_H = 11.0  # Employment Contracts Act §51: 11 consecutive hours of rest in every 24 h
WEEKLY_REST_H = 48.0  # §52: 48 consecutive hours of rest in every 7 days
BREAK_AFTER_H = 6.0  # §47: a break when the working time is longer than 6 h ...
BREAK_MIN = 30.0  # ... of at least 30 minutes


def with_loaded(s: Scenario, **changes) -> Scenario:
    """The scenario whose [roster] block carries ``changes`` to what loading attached to it
    (:class:`~ska_sim.scenario.people.LoadedRoster`: plan, base_dir, file_record, extra). The one
    writer of that state: :func:`attach`, :func:`load_roster` and ``roster_agents.with_extra``
    go through it; the scenario given is not changed."""
    r = s.roster.model_copy()
    r._loaded = dataclasses.replace(s.roster._loaded, **changes)
    return s.model_copy(update={"roster": r})


def attach(s: Scenario, plan: RosterPlan | None, file_record: dict[str, str] | None = None) -> Scenario:
    """The scenario with ``plan`` as its roster (None: no roster plan, [staffing] as given);
    ``file_record`` ({"path", "sha256"}) names the saved roster it was read from."""
    return with_loaded(s, plan=plan, file_record=file_record, extra=None)


def detach(s: Scenario) -> Scenario:
    return s if s.roster is None or s.roster.plan is None else attach(s, None)


def resolve(s: Scenario, name: str) -> Path:
    """A path of [roster] (file, shifts), relative to the scenario file's folder."""
    p = Path(name)
    return p if p.is_absolute() else Path(s.roster.base_dir) / p


def in_folder(s: Scenario, folder: str | Path) -> Scenario:
    """The scenario whose [roster] paths (file, shifts) are relative to ``folder``."""
    return s if s.roster is None else with_loaded(s, base_dir=str(folder))


def attach_file(s: Scenario) -> Scenario:
    """``roster.file``: read the saved roster and attach it (the rest rules are checked)."""
    if s.roster is None or not s.roster.file:
        return s
    path = resolve(s, s.roster.file)
    plan = read_roster_csv(path, roster_people(s))
    problems = [Problem(str(path), "", v) for v in rest_violations(plan)]
    if problems:
        raise ScenarioError(problems)
    return attach(s, plan, {"path": str(path), "sha256": hashlib.sha256(path.read_bytes()).hexdigest()})


def load_roster(s: Scenario, folder: str | Path) -> Scenario:
    """Loading's roster step: [roster]'s paths are relative to ``folder`` (the scenario file's),
    and the saved roster ``roster.file`` names is read and attached."""
    return attach_file(in_folder(s, folder))


def check_shifts(shifts, s: Scenario) -> list[Problem]:
    """Shift types a roster line may use that break a rest rule, and lines that name unknown
    shifts or whose pattern leaves no weekly rest."""
    problems = []
    src = shifts.source
    used = set()
    names = [st.name for st in shifts.shifts]
    for i, line in enumerate(s.roster.people):
        if line.shifts is not None:
            unknown = [n for n in line.shifts if n not in names]
            if unknown:
                problems.append(Problem("[roster]", f"roster.people[{i}].shifts", f"unknown shift(s) {', '.join(unknown)} "
                                        f"(shifts in {src}: {', '.join(names)})"))
            used |= set(line.shifts)
        else:
            used |= set(names)
        if line.min_days_per_week >= 6:
            problems.append(Problem("[roster]", f"roster.people[{i}].min_days_per_week",
                                    f"{line.name}: {line.min_days_per_week} days a week leave no 48 h weekly rest "
                                    "(two consecutive days off in every week; Employment Contracts Act §52)"))
    for st in shifts.shifts:
        if st.name not in used:
            continue
        work = st.paid_h
        brk = st.unpaid_break.length_min if st.unpaid_break else 0.0
        if st.length_h > 24 - DAILY_REST_H:
            problems.append(Problem(src, f"shifts.{st.name}.length_h", f"a {st.length_h:g} h shift leaves less than "
                                    f"{DAILY_REST_H:g} h of rest in 24 h (Employment Contracts Act §51)"))
        if work > BREAK_AFTER_H + 1e-9 and brk < BREAK_MIN:
            what = f"a {brk:g}-min break" if brk else "no break"
            problems.append(Problem(src, f"shifts.{st.name}.unpaid_break", f"{work:g} h of work with {what}: a break "
                                    f"of at least {BREAK_MIN:g} min is due after {BREAK_AFTER_H:g} h "
                                    "(Employment Contracts Act §47)"))
        for start in st.starts:
            if parse_clock(start) + st.length_h * 3600 > DAY_S:
                problems.append(Problem(src, f"shifts.{st.name}.starts", f"{start} + {st.length_h:g} h crosses "
                                        "midnight: rosters of night shifts are not supported"))
                break
    return problems


def rest_violations(plan: RosterPlan) -> list[str]:
    """Every person's breaches of the rest rules (exact, from the shift times), one line each."""
    out = []
    weeks = [plan.dates[i:i + 7] for i in range(0, len(plan.dates), 7)]
    origin = plan.dates[0] if plan.dates else dt.date.today()
    by_person: dict[str, list[RosterDay]] = {p: [] for p in plan.people}
    for d in plan.days:
        if d.status == "work":
            by_person.setdefault(d.person, []).append(d)
    for person in plan.people:
        mine = sorted(by_person[person], key=lambda d: d.date)
        spans = []
        for d in mine:
            off = (d.date - origin).days * DAY_S
            spans.append((off + d.start_s, off + d.end_s, d))
            if d.work_h > BREAK_AFTER_H + 1e-9 and d.break_min < BREAK_MIN:
                what = f"a {d.break_min:g}-min break" if d.break_min else "no break"
                out.append(f"{person} on {d.date}: {d.work_h:g} h of work with {what}: a break of at least "
                           f"{BREAK_MIN:g} min is due after {BREAK_AFTER_H:g} h (Employment Contracts Act §47)")
            if (d.end_s - d.start_s) / 3600 > 24 - DAILY_REST_H:
                out.append(f"{person} on {d.date}: a {(d.end_s - d.start_s) / 3600:g} h shift leaves less than "
                           f"{DAILY_REST_H:g} h of rest in 24 h (Employment Contracts Act §51)")
        for (_, e1, d1), (s2, _, d2) in zip(spans, spans[1:]):
            gap = (s2 - e1) / 3600
            if gap < DAILY_REST_H - 1e-9:
                out.append(f"{person}: {gap:g} h of rest between {d1.date} {format_clock(d1.end_s)} and {d2.date} "
                           f"{format_clock(d2.start_s)}: at least {DAILY_REST_H:g} h in every 24 h (Employment Contracts "
                           "Act §51)")
        in_week: dict[int, list] = {}  # shifts do not cross midnight: each lies in its date's week
        for span in spans:
            in_week.setdefault(span[0] // (7 * DAY_S), []).append(span)
        for w, week in enumerate(weeks):
            if len(week) < 7:
                continue  # a part week at the end of a horizon is not a 7-day period
            lo = (week[0] - origin).days * DAY_S
            hi = lo + 7 * DAY_S
            edges = [lo] + [t for a, b, _ in in_week.get(w, []) for t in (max(a, lo), min(b, hi))] + [hi]
            longest = max(edges[i + 1] - edges[i] for i in range(0, len(edges) - 1, 2)) / 3600
            if longest < WEEKLY_REST_H - 1e-9:
                out.append(f"{person}: the 7 days from {week[0]} have at most {longest:g} h of consecutive rest: at "
                           f"least {WEEKLY_REST_H:g} h in every 7 days (Employment Contracts Act §52)")
    return out


ROSTER_COLUMNS = ["person", "line", "group", "date", "weekday", "status", "shift", "start", "end", "break",
                  "activities", "paid_hours"]


def roster_table(plan: RosterPlan) -> pd.DataFrame:
    """One row per person and date: status (work / off / leave), shift start-end, unpaid break,
    activities ("name HH:MM-HH:MM; ..."), paid hours."""
    rows = []
    for d in plan.days:
        work = d.status == "work"
        rows.append({
            "person": d.person, "line": d.line, "group": d.group, "date": d.date.isoformat(),
            "weekday": WEEKDAYS[d.date.weekday()],
            "status": d.status, "shift": d.shift if work else "",
            "start": format_clock(d.start_s) if work else "", "end": format_clock(d.end_s) if work else "",
            "break": f"{format_clock(d.break_s)}-{format_clock(int(d.break_s + d.break_min * 60))}" if work and d.break_s is not None
            else "",
            "activities": "; ".join(f"{n} {format_clock(b)}-{format_clock(e)}" for n, b, e in d.activities),
            "paid_hours": d.paid_h if work else 0.0,
        })
    return pd.DataFrame(rows, columns=ROSTER_COLUMNS)


def _clock_s(text: str) -> int:
    """HH:MM -> seconds since midnight (fast path of scenario._parse_clock for roster files)."""
    h, sep, m = text.partition(":")
    if sep and h.isdigit() and m.isdigit() and len(m) == 2 and len(h) <= 2 and int(m) < 60:
        s = int(h) * 3600 + int(m) * 60
        if s <= DAY_S:
            return s
    return parse_clock(text)  # raises ValueError with the message


def _span(text: str, where: str, problems: list) -> tuple[int, int] | None:
    try:
        a, b = text.split("-")
        lo, hi = _clock_s(a.strip()), _clock_s(b.strip())
    except ValueError:
        problems.append(f"{where}: {text!r} is not HH:MM-HH:MM")
        return None
    if hi <= lo:
        problems.append(f"{where}: {text!r} ends before it starts")
        return None
    return lo, hi


def roster_people(s: Scenario) -> dict[str, str] | None:
    """Person -> roster line of [roster.people] (None without lines: the file names the people)."""
    if s.roster is None or not s.roster.people:
        return None
    return {p: line.name for line in s.roster.people for p in line_people(line)}


def _unknown_name(person: str, line: str, people: dict[str, str]) -> tuple[str, tuple[str, str]] | None:
    """(kind, (person, line)) when a row's person or line is not one of [roster.people], else None:
    kind ``person`` (an unknown person), ``line`` (an unknown line) or ``their line`` (another
    person's line)."""
    if person not in people:
        return "person", (person, line)
    if line and line not in people.values():
        return "line", (person, line)
    if line and line != people[person]:
        return "their line", (person, line)
    return None


def _unknown_problems(unknown: dict[str, dict], people: dict[str, str]) -> list[str]:
    """One line per kind of unknown name (:func:`_unknown_name`): the first row, the names (at most
    5 shown, each with its first row) and how many rows name them."""
    lines = list(dict.fromkeys(people.values()))
    counts = list(people.values())
    out = []
    for kind, names in unknown.items():
        first = min(r for r, _ in names.values())
        rows = sum(n for _, n in names.values())
        if kind == "person":
            label = {k: f"person {k[0]!r}" for k in names}
            why = ("is not one of", "people are not in", "the people of its lines: " + ", ".join(
                f"{n} ({n}-01 to {n}-{counts.count(n):02d})" if counts.count(n) > 1 else n for n in lines))
        elif kind == "line":
            label = {k: f"line {k[1]!r}" for k in names}
            why = ("is not a line of", "lines are not lines of", ", ".join(lines))
        else:
            label = {k: f"line {k[1]!r} of {k[0]}" for k in names}
            why = ("is not its line in", "lines are not their people's in", ", ".join(
                people[k[0]] if len(names) == 1 else f"{k[0]}: {people[k[0]]}" for k in names))
        if len(names) == 1:
            (k,) = names
            more = f" (and {rows - 1} more row(s) naming it)" if rows > 1 else ""
            out.append(f"row {first}: {label[k]} {why[0]} [roster.people] ({why[2]}){more}")
            continue
        shown = ", ".join(f"{label[k]} (row {r})" for k, (r, _) in list(names.items())[:5])
        out.append(f"row {first}: {len(names)} {why[1]} [roster.people]: {shown}{', ...' if len(names) > 5 else ''} "
                   f"({rows} rows; {why[2]})")
    return out


def read_roster_csv(path: str | Path, people: dict[str, str] | None = None) -> RosterPlan:
    """A roster.csv (as :func:`roster_table` writes it); bad rows raise ScenarioError naming the row.
    ``people``: person -> line of [roster.people] (:func:`roster_people`); given, a row naming
    another person or line is refused (one line per kind: the first row, the names, how many
    rows name them), and a row without a line gets its person's."""
    import csv

    path = Path(path)
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            reader = csv.DictReader(f)
            records = [{k: (v or "") for k, v in row.items() if k is not None} for row in reader]
            columns = reader.fieldnames or []
    except FileNotFoundError:
        raise ScenarioError([Problem(str(path), "roster.file", "file not found")]) from None
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ScenarioError([Problem(str(path), "roster.file", f"cannot read: {exc}")]) from None
    missing = [c for c in ("person", "date", "status", "start", "end") if c not in columns]
    if missing:
        raise ScenarioError([Problem(str(path), "", f"missing column(s) {', '.join(missing)} (roster.csv has "
                                                    f"{', '.join(ROSTER_COLUMNS)})")])
    problems: list[str] = []
    days = []
    seen: dict[tuple, int] = {}
    unknown: dict[str, dict] = {}  # kind -> (person, line) -> [its first row, rows naming it]
    for i, row in enumerate(records, start=2):
        where = f"row {i}"
        try:
            date = dt.date.fromisoformat(row["date"].strip())
        except ValueError:
            problems.append(f"{where}: date: {row['date']!r} is not YYYY-MM-DD")
            continue
        status = row["status"].strip()
        rd = RosterDay(row["person"].strip(), row.get("line", "").strip() or row["person"].strip(), date, status,
                       group=row.get("group", "").strip())
        if status not in ("work", "off", "leave", "not_employed"):
            problems.append(f"{where}: status: {status!r} must be work, off, leave or not_employed")
            continue
        if people is not None:
            bad = _unknown_name(rd.person, row.get("line", "").strip(), people)
            if bad is not None:
                unknown.setdefault(bad[0], {}).setdefault(bad[1], [i, 0])[1] += 1
                continue
            rd.line = people[rd.person]
        if status == "work":
            span = _span(f"{row['start']}-{row['end']}", f"{where}: start-end", problems)
            if span is None:
                continue
            rd.start_s, rd.end_s = span
            rd.shift = row.get("shift", "").strip()
            if row.get("break", "").strip():
                b = _span(row["break"], f"{where}: break", problems)
                if b is not None:
                    rd.break_s, rd.break_min = b[0], (b[1] - b[0]) / 60
            for part in filter(None, (x.strip() for x in row.get("activities", "").split(";"))):
                name, _, when = part.rpartition(" ")
                a = _span(when, f"{where}: activities", problems)
                if a is not None:
                    rd.activities.append((name or "activity", a[0], a[1]))
            rd.paid_h = rd.work_h
            parts = [("break", rd.break_s, int(rd.break_s + rd.break_min * 60))] if rd.break_s is not None else []
            for what, lo, hi in parts + [(f"activity {n!r}", b, e) for n, b, e in rd.activities]:
                if lo < rd.start_s or hi > rd.end_s:
                    problems.append(f"{where}: {what} {format_clock(lo)}-{format_clock(hi)} is outside the shift "
                                    f"{format_clock(rd.start_s)}-{format_clock(rd.end_s)}")
        key = (rd.person, rd.date)
        if key in seen:
            problems.append(f"{where}: {rd.person} on {rd.date} is listed twice (also row {seen[key]})")
            continue
        seen[key] = i
        days.append(rd)
    if unknown:
        problems += _unknown_problems(unknown, people)
    if problems:
        raise ScenarioError([Problem(str(path), "", p) for p in problems])
    if not days:
        raise ScenarioError([Problem(str(path), "", "no rows")])
    people = list(dict.fromkeys(d.person for d in days))
    first, last = min(d.date for d in days), max(d.date for d in days)
    dates = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    return RosterPlan(dates, people, {d.person: d.line for d in days}, days, {"source": str(path)})


def window_warning(s: Scenario) -> list[str]:
    """A saved roster whose dates miss some open days of the measured window: those days keep
    [staffing]. Closed days need no agents and are not counted; the window is the scenario's
    (``staff --roster`` warns on its horizon: ``plan.roster.horizon``)."""
    plan: RosterPlan = s.roster.plan
    cal = s.calendar
    covered = set(plan.dates)
    open_days = [d.date for d in window_days(s) if d.is_open]
    missing = [d for d in open_days if d not in covered]
    if not missing:
        return []
    if len(missing) == len(open_days):
        return [f"roster.file: no date of the roster ({plan.dates[0]} to {plan.dates[-1]}) falls in the measured "
                f"window ({cal.start} + {cal.days} days): it is not simulated ([staffing] is; roster.repeat = true "
                "cycles it)"]
    return [f"roster.file: {len(missing)} open day(s) of the measured window ({cal.start} + {cal.days} days) "
            f"outside the roster ({plan.dates[0]} to {plan.dates[-1]}; first {missing[0]}) keep [staffing] "
            "(roster.repeat = true cycles the roster over them)"]


def unused_vectors_warning(s: Scenario, overrides=()) -> list[str]:
    """A ``--set`` of weekday staffing vectors (staffing.agents, groups[i].agents) on a scenario
    whose saved roster gives the agents of the simulated dates it covers: there they are not used
    (staffing.scale multiplies the roster's agents; a date's staffing.dates vector replaces them)."""
    keys = [o.split("=", 1)[0].strip() for o in overrides]
    hit = [k for k in keys if k.startswith("staffing.agents") or re.match(r"groups(\[\d+\]|\.\d+)\.agents", k)]
    if not hit:
        return []
    plan: RosterPlan = s.roster.plan
    first = s.calendar.start - dt.timedelta(days=s.calendar.warmup_days)
    simulated = {first + dt.timedelta(days=i) for i in range(s.calendar.warmup_days + s.calendar.days)}
    covered = simulated if s.roster.repeat else simulated & set(plan.dates)
    if not covered:
        return []
    return [f"{hit[0]}: not used on the {len(covered)} simulated date(s) the roster (roster.file) covers, of "
            f"{len(simulated)}: the roster gives their agents (staffing.scale multiplies them; a date's "
            "staffing.dates vector replaces them)"]
