"""The documents the page draws: a scenario's fields and grid, a simulated plan's KPIs beside
the saved plan's, its cost; and a saved scenario's TOML with its comments kept."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ska_sim.base.errors import Problem, ScenarioError
from ska_sim.base.jsonable import finite_json_value
from ska_sim.plan.compare import paired_difference
from ska_sim.plan.plan import plan_people
from ska_sim.report.erlang_text import erlang_label
from ska_sim.scenario.clock import WEEKDAYS, format_clock
from ska_sim.scenario.forecast import forecast_facts, forecast_note, forecast_week
from ska_sim.scenario.model import Scenario
from ska_sim.scenario.overrides import parse_set_option, split_key
from ska_sim.scenario.timeline import build_timeline
from ska_sim.sim.kpi import KPI_UNITS
from ska_sim.sim.written_kpis import WRITTEN_KPI_UNITS
from ska_sim.sim.targets import targets_of
from ska_sim.web.plans import KPIS_SHOWN


@dataclass
class Simulated:
    scenario: Scenario
    result: Any  # SimulationResult
    timeline: Any
    cost: dict | None = None  # paid hours and FTE, computed once (the saved plan's at every edit)


# --------------------------------------------------------------------------- documents for the page
def _period_note(ct) -> dict:
    """{"note": ...} for a call type whose talk depends on the period (the page's talk mean and
    handle time are then those at factor 1), else {}."""
    if ct.talk_factor_by_period is None:
        return {}
    periods = ", ".join(f"{'-'.join(p.hours.label())} x{p.factor:g}" + (f" ({' '.join(p.days)})" if p.days else "")
                        for p in ct.talk_factor_by_period)
    return {"note": f"talk x a factor by period of arrival ({periods}): the talk mean and handle time shown "
                    "are at factor 1 (the talk mean edited here is the one the factors multiply)", "periods": periods}


def describe_scenario(name: str, s: Scenario) -> dict:
    """Fields (key, label, value as in the file) and the grid (measured open dates x clock slots)."""
    tl = build_timeline(s)
    iv = tl.interval_s
    m = tl.iv_measured()
    days = [int(d) for d in np.unique(tl.iv_day[m])]
    slot_lo = int(tl.iv_slot[m].min())
    slot_hi = int(tl.iv_slot[m].max()) + 1
    fields = [{"key": "arrivals.volume_scale", "label": "Volume scale", "value": s.arrivals.volume_scale,
               "hint": "1.15 = 15% more first calls"},
              {"key": "staffing.scale", "label": "Staffing scale", "value": s.staffing.scale,
               "hint": "multiplies every interval's agents (rounded)"}]
    own = [ct.name for ct in s.call_types if ct.patience is not None]  # types with their own patience
    if s.patience is not None and s.patience.mean_s is not None and len(own) < len(s.call_types):
        fields.append({"key": "patience.mean_s", "label": "Patience, mean (s)", "value": s.patience.mean_s,
                       "hint": "how long callers wait before hanging up"
                               + (f" (not {', '.join(own)}: their own patience, edited in the file)" if own else ""),
                       "own": own})
    shares = s.written_shares()  # as given, or implied by each type's own calls per hour
    types = [{"index": i, "name": ct.name, "display_name": ct.display_name or {}, "share": shares[i], "talk_key": f"call_types[{i}].talk.mean_s",
              "talk": ct.talk.mean_s, "aht_s": ct.mean_handle_s(), "resolved_key": f"call_types[{i}].resolved",
              "resolved": ct.resolved, **_period_note(ct)} for i, ct in enumerate(s.call_types)]
    tables = ([("staffing", s.staffing.agents or {}, s.staffing.dates)] if not s.groups
              else [(f"groups[{i}]", g.agents, g.dates) for i, g in enumerate(s.groups)])
    grids = []
    rostered, raw = set(), None  # roster.file: its dates show the roster's agents (everyone present, scale 1)
    if s.roster is not None and s.roster.plan is not None:
        rostered = set(tl.dates) if s.roster.repeat else set(s.roster.plan.dates)
        one = tl if s.staffing.scale == 1.0 else build_timeline(
            s.model_copy(update={"staffing": s.staffing.model_copy(update={"scale": 1.0})}))
        raw = one.iv_agents[:, None] if not s.groups else one.iv_group_agents
    for gi, (block, agents, dates) in enumerate(tables):
        rows = []
        for d in days:
            date = tl.dates[d]
            wd = WEEKDAYS[date.weekday()]
            usual = s.calendar.hours[wd]
            idx = np.flatnonzero(tl.iv_day == d)
            open_slots = [int(x) for x in tl.iv_slot[idx]]
            if date in dates:
                key, values, first = f"{block}.dates.{date.isoformat()}", list(dates[date]), open_slots[0]
            elif date in rostered:  # an edit becomes this date's staffing.dates vector: it replaces the roster
                key, values, first = f"{block}.dates.{date.isoformat()}", list(raw[idx, gi]), open_slots[0]
            else:
                vk = wd if wd in agents else "default"
                key, values, first = f"{block}.agents.{vk}", list(agents[vk]), usual.open_s // iv
            rows.append({"date": date.isoformat(), "weekday": wd, "key": key, "first_slot": first,
                         "values": [int(v) for v in values], "open_slots": open_slots,
                         "weekday_key": f"{block}.agents.{wd}",
                         "weekday_values": [int(v) for v in agents.get(wd, agents.get("default", []))],
                         "weekday_first_slot": usual.open_s // iv,
                         "date_key": f"{block}.dates.{date.isoformat()}",
                         "roster": date in rostered and date not in dates})
        group = None if block == "staffing" else s.groups[int(block[7:-1])]
        grids.append({"block": block, "group": group.name if group else None,
                      "display_name": (group.display_name or {}) if group else {}, "rows": rows})
    weeks = []
    cal = s.calendar
    for i in range(cal.days):
        d = cal.start + dt.timedelta(days=i)
        if d.weekday() == 0 and cal.days > 7:
            weeks.append(d.isoformat())
    return {
        "name": name,
        "title": s.name,
        "description": s.scenario.description,
        "window": {"start": cal.start.isoformat(), "days": cal.days, "weeks": weeks},
        "interval_min": cal.interval_min,
        "slots": [{"slot": k, "time": format_clock(k * iv)} for k in range(slot_lo, slot_hi)],
        "fields": fields,
        "call_types": types,
        "grids": grids,
        "replications": s.simulation.replications,
        "seed": s.simulation.seed,
        "costs": s.costs is not None,  # euros shown only with [costs]
        "targets": {"service_level": s.targets.service_level.share,
                    "threshold_s": s.targets.service_level.threshold_s},
        # [arrivals.forecast]: the forecast behind the window (band, effects) and each day's override key
        "forecast": {"note": forecast_note(s), "facts": forecast_facts(s), "days": forecast_week(s)}
        if forecast_note(s) else None,
    }


def cost_of(sim: Simulated) -> dict:
    """The plan's people and money over the measured window (plan.plan_people: a roster's people
    paid their contracts, a grid by the shrinkage chain)."""
    if sim.cost is not None:
        return sim.cost
    sim.cost = {k: finite_json_value(v) for k, v in plan_people(sim.scenario, sim.timeline).items()}
    return sim.cost


def target_verdicts(result) -> list[dict]:
    """Each target of a simulated plan as data the page puts in words (in its language): the KPI
    (and language), its bound, the mean and interval, the status (PASS / FAIL / UNCERTAIN),
    whether the mean meets it, and on how many of the measured days the day's mean met it."""
    rows = {row["kpi"]: row for row in result.targets.to_dict(orient="records")}
    days = result.days
    out = []
    for t in targets_of(result.scenario, languages=True):
        row = rows.get(t.key)
        if row is None:
            continue
        mean = row["mean"]
        per_day = days[t.kpi].to_numpy(float) if t.language is None and t.kpi in days else np.array([])
        per_day = per_day[~np.isnan(per_day)]
        out.append({"kpi": t.kpi, "language": t.language, "low": t.low, "high": t.high,
                    "benchmark_high": t.benchmark_high, "unit": {**KPI_UNITS, **WRITTEN_KPI_UNITS}[t.kpi],
                    **{k: finite_json_value(row[k]) for k in ("mean", "ci_low", "ci_high", "replications_met_share")},
                    "status": row["status"], "met": bool(mean == mean and t.met(np.array([mean]))[0]),
                    "days_met": int(t.met(per_day).sum()) if per_day.size else None,
                    "days": int(per_day.size) if per_day.size else None})
    return out


def _by_kpi(summary) -> dict:
    """A result's summary table as kpi -> {mean, ci_low, ci_high, unit} (the first row of a kpi)."""
    cols = ("mean", "ci_low", "ci_high", "unit")
    out: dict = {}
    for k, *vals in zip(summary["kpi"].tolist(), *(summary[c].to_numpy() for c in cols)):
        out.setdefault(k, dict(zip(cols, vals)))
    return out


def written_card(result, summary: dict) -> dict | None:
    """[[written]]: the window's written figures, every kind together (None without the block):
    the share on time with its 95% interval, the backlog at the window's end and the items past
    their deadline, each {mean, ci_low, ci_high}; the on-time target's bound (None without one)."""
    if getattr(result, "written", None) is None:
        return None
    target = next((t.low for t in targets_of(result.scenario) if t.kpi == "written_on_time"), None)
    return {**{name: {k: finite_json_value(summary[f"written_{name}"][k]) for k in ("mean", "ci_low", "ci_high")}
               for name in ("on_time", "backlog", "past_deadline")},
            "target": target, "kinds": [w.name for w in result.scenario.written]}


def page_result(cur: Simulated, base: Simulated) -> dict:
    """KPIs against targets, the per-interval series, the heatmap, cost, and the paired
    difference against the saved plan (same seed: replication i of both sees the same callers)."""
    r, b = cur.result, base.result
    # the summaries as plain dicts (kpi -> column -> value): pandas .loc per cell cost most of this function
    summary, bsum = _by_kpi(r.summary), _by_kpi(b.summary)
    kpis = {k: {"mean": finite_json_value(summary[k]["mean"]), "ci_low": finite_json_value(summary[k]["ci_low"]),
                "ci_high": finite_json_value(summary[k]["ci_high"]), "unit": summary[k]["unit"]}
            for k in KPIS_SHOWN if k in summary}
    tcols = ["kpi", "target", "mean", "ci_low", "ci_high", "status", "reading"]
    targets = [{k: finite_json_value(v) for k, v in zip(tcols, row)} for row in zip(*(r.targets[c].tolist() for c in tcols))]
    iv = r.intervals
    cols = ["date", "weekday", "time", "agents", "offered", "service_level", "service_level_ci_low",
            "service_level_ci_high", "erlang_c_service_level", "answer_rate"]
    if "erlang_a_service_level" in iv:
        cols.append("erlang_a_service_level")
    series = {c: [finite_json_value(v) for v in iv[c].tolist()] for c in cols}
    diff = []
    same = cur.scenario.digest() == base.scenario.digest()
    for k in KPIS_SHOWN:
        if k not in summary or k not in b.per_replication:
            continue
        d, lo, hi = paired_difference(b.per_replication[k].to_numpy(), r.per_replication[k].to_numpy())
        sig = bool(not (math.isnan(lo) or lo <= 0 <= hi)) if d == d else False
        diff.append({"kpi": k, "unit": summary[k]["unit"], "saved": finite_json_value(bsum[k]["mean"]),
                     "plan": finite_json_value(summary[k]["mean"]), "diff": finite_json_value(d), "ci_low": finite_json_value(lo), "ci_high": finite_json_value(hi),
                     "significant": sig})
    return {
        "replications": r.replications,
        "seed": r.seed,
        "kpis": kpis,
        "targets": targets,
        "intervals": series,
        "target_service_level": cur.scenario.targets.service_level.share,
        "threshold_s": cur.scenario.targets.service_level.threshold_s,
        "erlang": {**{k: finite_json_value(v) for k, v in r.erlang.items()
                      if k in ("service_level", "erlang_a_service_level", "differing_intervals", "intervals")},
                   "label": erlang_label(r.erlang), "left_out": r.erlang.get("left_out", {}),
                   "compares": r.erlang.get("compares")},  # what Erlang C is evaluated on (the page's words)
        "verdicts": target_verdicts(r),
        "written": written_card(r, summary),  # the written requests' card beside the calls'
        "cost": cost_of(cur),
        "saved_cost": cost_of(base),
        "same_as_saved": same,
        "diff": diff,
        "forecast_note": forecast_note(cur.scenario),
        "forecast_facts": forecast_facts(cur.scenario),  # the same, as data the page puts in words
    }


# --------------------------------------------------------------------------- TOML, comments kept
def render_toml(text: str, overrides: list[str]) -> str:
    """The scenario file with each ``KEY=VALUE`` set, its comments and layout kept (tomlkit)."""
    import tomlkit

    doc = tomlkit.parse(text)
    for o in overrides:
        key, value = parse_set_option(o)
        parts = split_key(key)
        node: Any = doc
        for i, part in enumerate(parts[:-1]):
            if isinstance(part, int):
                if not isinstance(node, list):  # e.g. groups[0] of a scenario without [[groups]]
                    where = ".".join(str(x) for x in parts[:i])
                    raise ScenarioError([Problem(f"--set {o}", key, f"{where}: not a list in the file")])
                try:
                    node = node[part]
                except IndexError:
                    raise ScenarioError([Problem(f"--set {o}", key, "index out of range")]) from None
                continue
            if part not in node:
                _add_keeping_comments(node, part, tomlkit.table())
            node = node[part]
        last = parts[-1]
        if isinstance(value, dt.date):
            item = tomlkit.date(value.isoformat())
        else:
            item = tomlkit.item(value)
        if isinstance(value, list) and len(value) > 12 and hasattr(item, "multiline"):
            item.multiline(False)
        if last in node:
            node[last] = item  # in place: the key's comments stay where they are
        else:
            _add_keeping_comments(node, last, item)
    return tomlkit.dumps(doc)


def _add_keeping_comments(node: Any, key: Any, item: Any) -> None:
    """``node[key] = item`` for a new key or table, keeping the comments and blank lines that end
    the text before it where they were: they introduce the table (or key) that follows, not the
    new item, so they move below it."""
    trailing = _pop_trailing(_last_table(node))
    node[key] = item
    container = _last_table(node).value
    for ws_or_comment in trailing:
        container.append(None, ws_or_comment)


def _last_table(node: Any) -> Any:
    """The table whose body ends the text of ``node`` (a table, or the document)."""
    import tomlkit.items as items

    body = node.body if not isinstance(node, items.Table) else node.value.body
    for _, child in reversed(body):
        if isinstance(child, items.Table):
            return _last_table(child)
        if isinstance(child, items.AoT) and child.body:
            return _last_table(child.body[-1])
        if not isinstance(child, (items.Whitespace, items.Comment)):
            break
    return node


def _pop_trailing(node: Any) -> list:
    """The comments and blank lines after the last key of ``node``'s own text, taken out of it."""
    import tomlkit.items as items

    container = node.value if isinstance(node, items.Table) else node
    out = []
    while container.body and container.body[-1][0] is None and isinstance(container.body[-1][1],
                                                                          (items.Whitespace, items.Comment)):
        out.insert(0, container.body.pop()[1])
    return out
