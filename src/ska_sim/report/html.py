"""The HTML report: one self-contained file a manager can read, print and attach to a request.

No network requests: plots are PNGs embedded as data URIs, the style sheet is inline, there
is no script. Every text that comes from a scenario file is escaped. Numbers shown carry
their raw value in ``data-value`` so that tests can check them against the CSV tables.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import io
import math

import numpy as np

from ska_sim.base.version import __version__
from ska_sim.plan.costs import money_of
from ska_sim.plan.plan import plan_people
from ska_sim.report.costs import people_rows, people_text
from ska_sim.report.erlang_text import erlang_label, group_summary
from ska_sim.report.forecast_week import forecast_html
from ska_sim.report.plots import service_level_by_interval
from ska_sim.report.roster import roster_html
from ska_sim.report.style import pyplot
from ska_sim.report.written_html import written_html
from ska_sim.report.text import LABELS, ORDER, fmt, fmt_diff, request_rows, step_label, window_words
from ska_sim.scenario.activities import REPLACED_SHARES, activity_share, activity_table
from ska_sim.scenario.clock import WEEKDAYS
from ska_sim.scenario.forecast import forecast_note
from ska_sim.sim.kpi import KPI_UNITS
from ska_sim.sim.written_kpis import WRITTEN_KPI_UNITS

CSS = """
:root { --ink: #1d1d1f; --muted: #5f6368; --line: #d9d9de; --pass: #006d4f; --fail: #a33a00; --unc: #7a5c00; }
* { box-sizing: border-box; }
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; color: var(--ink);
       max-width: 1040px; margin: 2rem auto; padding: 0 1.25rem; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; } h2 { font-size: 1.2rem; margin-top: 2.2rem; border-bottom: 1px solid var(--line); }
.sub { color: var(--muted); margin-top: 0; }
table { border-collapse: collapse; width: 100%; margin: .6rem 0; font-variant-numeric: tabular-nums; }
th, td { padding: .3rem .5rem; border-bottom: 1px solid var(--line); text-align: right; vertical-align: top; }
th:first-child, td:first-child { text-align: left; }
th { background: #f4f4f6; font-weight: 600; }
.verdicts { list-style: none; padding: 0; }
.verdicts li { margin: .5rem 0; padding: .6rem .8rem; border-left: 5px solid var(--line); background: #fafafa; }
.PASS { border-color: var(--pass) !important; } .FAIL { border-color: var(--fail) !important; }
.UNCERTAIN { border-color: var(--unc) !important; }
.tag { font-weight: 700; } .tag.PASS { color: var(--pass); } .tag.FAIL { color: var(--fail); } .tag.UNCERTAIN { color: var(--unc); }
img { max-width: 100%; height: auto; display: block; margin: .5rem 0; }
.note { color: var(--muted); font-size: .9rem; }
footer { margin-top: 3rem; color: var(--muted); font-size: .85rem; border-top: 1px solid var(--line); padding-top: .6rem; }
code { font-size: .85em; }
@media print {
  body { max-width: none; margin: 0; font-size: 11pt; }
  h2 { break-after: avoid; page-break-after: avoid; } table, img, .verdicts li { break-inside: avoid; }
  .keep { break-inside: avoid; page-break-inside: avoid; }
  a { color: inherit; text-decoration: none; }
}
@page { size: A4; margin: 16mm; }
"""

WORDS = {
    "service_level": "calls answered within {T}, of all calls offered",
    "answer_rate": "calls answered, of all calls offered",
    "fcr": "issues resolved at the first answered contact",
    "abandon_rate": "callers who hung up while waiting",
    "asa_s": "average wait of answered calls",
    "written_on_time": "written items done by their deadline, of the items due in the window",
}


VERDICT_NAMES = {**LABELS, "written_on_time": "written work on time"}  # a target's name in the verdicts


def e(text) -> str:
    return html.escape(str(text), quote=True)


def num(value, unit: str, kpi: str = "", stat: str = "") -> str:
    """A formatted number with its raw value for machines."""
    raw = "" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{float(value):.10g}"
    attrs = f' data-value="{raw}"'
    if kpi:
        attrs += f' data-kpi="{e(kpi)}"'
    if stat:
        attrs += f' data-stat="{e(stat)}"'
    return f"<span{attrs}>{e(fmt(value, unit))}</span>"


def png(fig) -> str:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def img(src: str, alt: str) -> str:
    return f'<img src="{src}" alt="{e(alt)}">'


# --------------------------------------------------------------------------- sections
def verdicts(result) -> str:
    s = result.scenario
    T = s.targets.service_level.label()
    items = []
    for t in result.targets.itertuples():
        kpi, _, lang = t.kpi.partition(":")  # "service_level:ru": a target for one language's calls
        unit = KPI_UNITS[kpi] if kpi in KPI_UNITS else WRITTEN_KPI_UNITS[kpi]
        what = WORDS.get(kpi, LABELS.get(kpi, kpi)).format(T=T)
        if lang:
            what = what.replace("calls", f"{lang} calls", 1)
        reading = {
            "PASS": "met: the whole 95% interval meets the target",
            "FAIL": "not met: the whole 95% interval misses the target",
            "UNCERTAIN": "uncertain: the 95% interval straddles the target (more replications may settle it)",
        }[t.status]
        band = {
            "above benchmark": "above the benchmark band, which is better than the benchmark (a pass, not a miss)",
            "within benchmark": "within the benchmark band",
            "below benchmark": "below the benchmark band",
        }.get(getattr(t, "reading", "") or "", "")
        reading = f"{reading}; {band}" if band else reading
        items.append(
            f'<li class="{t.status}"><span class="tag {t.status}">{t.status}</span> '
            f"<b>{e(VERDICT_NAMES.get(kpi, kpi) + (f' ({lang})' if lang else ''))}</b>: {num(t.mean, unit, t.kpi, 'mean')} "
            f"of {e(what)} (95% interval {num(t.ci_low, unit)} to {num(t.ci_high, unit)}). Target {e(t.target)}: "
            f"{e(reading)}. "
            + (f"The target was met on {t.days_met_share:.0%} of simulated days, and over" if t.days_met_share == t.days_met_share
               else "It was met over")
            + f" the whole window in {t.replications_met_share:.0%} of the replications (the chance of meeting it "
            "over this window).</li>"
        )
    return '<ul class="verdicts">' + "".join(items) + "</ul>"


def kpi_table(result) -> str:
    summary = result.summary.set_index("kpi")
    targets = result.targets.set_index("kpi")
    rows = []
    for k in ORDER:
        if k not in summary.index:  # KPIs of mechanisms the scenario does not use
            continue
        r = summary.loc[k]
        target = f"{e(targets.loc[k, 'target'])} {e(targets.loc[k, 'status'])}" if k in targets.index else ""
        rows.append(
            f"<tr><td>{e(LABELS[k])}</td><td>{num(r['mean'], r.unit, k, 'mean')}</td>"
            f"<td>{num(r.ci_low, r.unit, k, 'ci_low')} to {num(r.ci_high, r.unit, k, 'ci_high')}</td><td>{target}</td></tr>"
        )
    days = len(result.days)
    return (
        "<table><thead><tr><th>KPI</th><th>mean</th><th>95% interval</th><th>target</th></tr></thead><tbody>"
        + "".join(rows)
        + f'</tbody></table><p class="note">Counts and hours are totals over the {days} measured open days, '
        "per replication.</p>"
    )


def heatmap(result) -> str:
    """Service level by weekday (rows) and time of day (columns), mean over days."""
    iv = result.intervals
    times = sorted(iv["time"].unique())
    days = [d for d in WEEKDAYS if d in set(iv["weekday"])]
    grid = np.full((len(days), len(times)), np.nan)
    for i, d in enumerate(days):
        for j, t in enumerate(times):
            sel = iv[(iv["weekday"] == d) & (iv["time"] == t)]
            if len(sel) and sel["offered"].sum() > 0:
                grid[i, j] = (sel["service_level"] * sel["offered"]).sum() / sel["offered"].sum()
    target = result.scenario.targets.service_level.share
    return _grid_png(grid, days, times, "service level",
                     f"Service level (%) by weekday and time; bold = below the {target:.0%} target", target)


def group_heatmap(result) -> str:
    """Occupancy by agent group (rows) and time of day (columns): busy / on-duty hours over the days."""
    gi = result.group_intervals
    groups = list(dict.fromkeys(gi["group"]))
    times = sorted(gi["time"].unique())
    busy = gi.pivot_table(index="group", columns="time", values="busy_hours", aggfunc="sum").reindex(index=groups, columns=times)
    duty = gi.pivot_table(index="group", columns="time", values="agent_hours", aggfunc="sum").reindex(index=groups, columns=times)
    grid = np.divide(busy.to_numpy(float), duty.to_numpy(float), out=np.full(busy.shape, np.nan),
                     where=duty.to_numpy(float) > 0)
    return _grid_png(grid, groups, times, "occupancy",
                     "Occupancy (%) by agent group and time of day, over the measured days")


def _grid_png(grid: np.ndarray, rows: list, times: list, label: str, title: str, target: float | None = None) -> str:
    """A rows x times grid of shares as a heatmap with its percentages written in; with a
    ``target``: below it in bold, and a red line on the colour bar."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(10, 0.5 * len(rows) + 1.6))
    im = ax.imshow(grid, aspect="auto", cmap="cividis", vmin=0, vmax=1)
    for i in range(len(rows)):
        for j in range(len(times)):
            v = grid[i, j]
            if not np.isnan(v):
                bold = target is not None and v < target
                ax.text(j, i, f"{v * 100:.0f}", ha="center", va="center", fontsize=8,
                        color="white" if v < 0.55 else "black", fontweight="bold" if bold else "normal")
    ax.set_xticks(range(len(times)), times, rotation=60)
    ax.set_yticks(range(len(rows)), rows)
    ax.grid(False)
    cb = fig.colorbar(im, ax=ax, fraction=0.03)
    if target is not None:
        cb.ax.axhline(target, color="red", linewidth=1.5)
    cb.set_label(label)
    ax.set_title(title, loc="left", fontsize=10)
    fig.tight_layout()
    return png(fig)


def interval_plot(result) -> str:
    buf = io.BytesIO()
    service_level_by_interval(result, buf)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def marginal_table(mg, scenario=None) -> str:
    head = ("step", "paid agent-hours", "FTE", "heads", "service level (change, 95%)",
            "answer rate (change, 95%)", "answered / day", "hung up / day (change, 95%)", "repeat calls / day",
            "waiting hours")
    rows = []
    for r in mg.table.to_dict(orient="records"):
        k = r["step"]
        now = k == 0

        def ci(name: str, unit: str) -> str:
            if now:
                return ""
            return (f" ({e(fmt_diff(r[name + '_change'], unit))} [{e(fmt_diff(r[name + '_change_ci_low'], unit))}, "
                    f"{e(fmt_diff(r[name + '_change_ci_high'], unit))}])")

        paid = "" if now else f" ({r['paid_hours_change']:+,.0f})"
        fte = "" if now else f" ({r['fte_change']:+.2f})"
        heads = "" if now else f" ({r['heads_change']:+.0f})"
        rows.append(
            "<tr>"
            f"<td>{e(step_label(k, mg.unit))}</td>"
            f"<td>{r['paid_hours']:,.0f}{paid}</td><td>{r['fte']:.1f}{fte}</td><td>{r['heads']:.0f}{heads}</td>"
            f"<td>{num(r['service_level'], 'share')}{ci('service_level', 'share')}</td>"
            f"<td>{num(r['answer_rate'], 'share')}{ci('answer_rate', 'share')}</td>"
            f"<td>{r['answered_per_day']:,.0f}{ci('answered_per_day', 'calls')}</td>"
            f"<td>{r['abandoned_per_day']:,.1f}{ci('abandoned_per_day', 'calls')}</td>"
            f"<td>{r['repeat_calls_per_day']:,.1f}</td><td>{r['waiting_hours']:,.1f}</td>"
            "</tr>"
        )
    how = "in proportion to today's staffing" if mg.mode == "proportional" else "where they help most"
    what = ("adds (or removes) full-time equivalents of paid time, on the phones after shrinkage"
            if mg.unit == "fte" else "adds (or removes) agents on the phones for every open hour")
    return (
        f"<p>Each row {e(what)}, spread {e(how)}, and simulates the same callers again (common random numbers); "
        "changes against today are in brackets with their paired 95% intervals. Hours are the window's "
        f"({e(window_words(getattr(mg, 'window', None)))}); FTE = paid hours / the window's working-time norm; heads "
        "are whole people.</p>"
        "<table><thead><tr>" + "".join(f"<th>{e(h)}</th>" for h in head) + "</tr></thead><tbody>"
        + "".join(rows) + "</tbody></table>" + request_table(mg, scenario)
    )


def request_table(mg, scenario) -> str:
    """The marginal steps as a resource request: the shrinkage chain, per target the share of days
    meeting it / the share of replications whose window meets it, and the cost ([costs])."""
    if scenario is None or "hours_at_work" not in mg.table:
        return ""
    head, rows = request_rows(mg, scenario)
    how = ""
    if scenario.costs is not None:
        m = money_of(scenario, 1.0)
        how = (f" EUR = FTE x {m['month_norm_hours']:.1f} h a month (x {m['year_norm_hours']:g} h a year) x "
               f"{m['eur_per_paid_hour']:g} EUR per paid hour.")
    return (
        "<p>As a resource request: each option's people (hours on the phones, at work, paid: a roster's contracts, or the shrinkage chain; FTE; heads) and "
        "its chance of meeting each target, as the share of days meeting it / the share of replications whose whole "
        f"window meets it.{e(how)}</p>"
        "<table><thead><tr>" + "".join(f"<th>{e(h)}</th>" for h in head) + "</tr></thead><tbody>"
        + "".join("<tr>" + "".join(f"<td>{e(c)}</td>" for c in r) + "</tr>" for r in rows) + "</tbody></table>"
    )


def people_and_money(s) -> str:
    """Today's plan as people and money (plan.plan_people: a roster's contracts or the shrinkage
    chain; FTE, heads, euros), and the activities."""
    f = plan_people(s)
    if f["paid_hours"] <= 0:
        return ""
    out = "".join(f"<p>{e(line)}</p>" for line in people_text(s, f).splitlines())
    if s.activities is not None:
        t = activity_table(s)
        if not t.empty:
            out += ("<p>Off-phone activities from the unit's rules (manager hours counted apart):</p><table><thead><tr>"
                    "<th>activity</th><th>h / advisor / month</th><th>h / team / month</th><th>manager h / team / month"
                    "</th><th>rule</th></tr></thead><tbody>"
                    + "".join(f"<tr><td>{e(r['activity'])}</td><td>{r['hours_per_advisor_month']:.2f}</td>"
                              f"<td>{r['hours_per_team_month']:.1f}</td><td>{r['manager_hours_per_team_month']:.1f}</td>"
                              f"<td style='text-align:left'>{e(r['rule'])}</td></tr>"
                              for r in t.to_dict(orient="records")) + "</tbody></table>")
    return out


def comparison_table(cmp) -> str:
    head = "".join(f"<th>[{i}] {e(lbl)}</th>" for i, lbl in enumerate(cmp.labels))
    head += "".join(f"<th>[{i}] &minus; [0] (95%)</th>" for i in range(1, len(cmp.labels)))
    rows = []
    for r in cmp.table.to_dict(orient="records"):
        if r["kpi"] not in ORDER:
            continue
        cells = "".join(f"<td>{num(r[f'{i}:mean'], r['unit'])}</td>" for i in range(len(cmp.labels)))
        for i in range(1, len(cmp.labels)):
            star = " *" if r[f"{i}:significant"] else ""
            cells += (f"<td>{e(fmt_diff(r[f'{i}:diff'], r['unit']))} [{e(fmt_diff(r[f'{i}:diff_ci_low'], r['unit']))}, "
                      f"{e(fmt_diff(r[f'{i}:diff_ci_high'], r['unit']))}]{star}</td>")
        name = LABELS[r["kpi"]] + (" per open day" if r["unit"].endswith("per open day") else "")
        rows.append(f"<tr><td>{e(name)}</td>{cells}</tr>")
    return (
        "<p>All scenarios saw the same callers (common random numbers). * marks a difference whose paired 95% "
        "interval excludes zero.</p><table><thead><tr><th>KPI</th>" + head + "</tr></thead><tbody>"
        + "".join(rows) + "</tbody></table>" + _people_table(cmp)
    )


def _people_table(cmp) -> str:
    head, rows = people_rows([(f"[{i}] {lbl}", r.scenario) for i, (lbl, r) in enumerate(zip(cmp.labels, cmp.results))])
    return ("<p>Each scenario's own plan in people and money: hours on the phones, at work and paid over its measured "
            "days, FTE, heads (and euros with [costs]).</p><table><thead><tr>"
            + "".join(f"<th>{e(h)}</th>" for h in head) + "</tr></thead><tbody>"
            + "".join("<tr>" + "".join(f"<td>{e(c)}</td>" for c in r) + "</tr>" for r in rows) + "</tbody></table>")


def _patience_text(s) -> str:
    """[patience], each call type's own, and whether factors by period scale them."""
    text = _dur(s.patience) if s.patience else "callers never hang up"
    own = [f"{ct.name}: {_dur(ct.patience)}" for ct in s.call_types if ct.patience is not None]
    if own:
        text += f" ({'; '.join(own)})" if s.patience else f", except {'; '.join(own)}"
    if s.patience_factor_by_period is not None or any(ct.patience_factor_by_period for ct in s.call_types):
        text += "; x a factor by period of arrival"
    return text


def assumptions(s) -> str:
    cal, arr = s.calendar, s.arrivals
    items = [
        ("Measured window", f"{cal.start} for {cal.days} days, after {cal.warmup_days} warm-up days; "
                            f"{cal.interval_min}-minute intervals"),
        ("Opening hours", "; ".join(f"{d} {'-'.join(h.label())}" for d, h in cal.hours.items())),
        ("Dates with own hours", "; ".join(f"{d} {'-'.join(h.label())}" for d, h in cal.date_hours.items()) or "none"),
        ("Closed dates", ", ".join(str(d) for d in cal.closed) or "none"),
        ("First calls per open day", f"{_day_volume(s)} x weekday factor "
                                     f"({', '.join(f'{k} {v:g}' for k, v in arr.weekday_factor.items()) or 'none'}) "
                                     f"x volume scale {arr.volume_scale:g}; day-to-day cv {arr.day_cv:g}"),
        ("Special days", "; ".join(f"{d} x{f:g}" for d, f in arr.date_factor.items()) or "none"),
        *([("Forecast", forecast_note(s) + " (its dates: 'The forecast behind the week')")] if forecast_note(s) else []),
        ("Patience", _patience_text(s)),
        ("Redials", f"{s.redial.probability:.0%} of callers who hang up call again after {_dur(s.redial.delay)}"),
        ("Repeat calls", f"{s.repeat.probability:.0%} of unresolved issues come back after {_dur(s.repeat.delay)}"),
        *_staffing_items(s),
        *_people_items(s),
        ("Calls still queued at closing", "answered by the agents on duty" if s.simulation.queued_at_close == "serve"
         else "cut off (unanswered at close)"),
    ]
    dl = "".join(f"<tr><td>{e(k)}</td><td style='text-align:left'>{e(v)}</td></tr>" for k, v in items)
    shares = s.written_shares()
    types = "".join(
        f"<tr><td>{e(ct.name)}</td><td>{w:.0%}</td><td>{e(_dur(ct.talk))}</td>"
        f"<td>{e(_dur(ct.after_call_work) if ct.after_call_work else 'none')}</td>"
        f"<td>{e(f'{ct.identity_check.probability:.0%}, ' + _dur(ct.identity_check.extra) if ct.identity_check else 'none')}</td>"
        f"<td>{ct.resolved:.0%}</td></tr>"
        for w, ct in zip(shares, s.call_types)
    )
    return (
        f"<table><tbody>{dl}</tbody></table>"
        "<table><thead><tr><th>call type</th><th>share</th><th>talk</th><th>after-call work</th><th>identity check</th>"
        f"<th>resolved when answered</th></tr></thead><tbody>{types}</tbody></table>"
    )


def _day_volume(s) -> str:
    """The day's first calls as the scenario states them: daily_calls, or what the profiles' rates sum to."""
    arr = s.arrivals
    if arr.daily_calls is not None:
        return f"{arr.daily_calls:g}"
    own = " per call type" if any(ct.profile is not None for ct in s.call_types) else ""
    return f"the calls per hour of the arrival profile{own} x interval length"


def _people_items(s) -> list[tuple[str, str]]:
    """Calendar rules, shrinkage, activities and costs, as the staffing chain uses them."""
    cal, sh = s.calendar, s.shrinkage
    items = []
    if cal.country or cal.last_friday_close or s.arrivals.events:
        rules = []
        if cal.country:
            rules.append(f"public holidays of {cal.country} closed and their pre-holiday working days "
                         f"{cal.shortened_by_h:g} h shorter (the holidays package)")
        if cal.last_friday_close:
            rules.append(f"the last Friday of a month closes at {cal.last_friday_close}")
        rules += [f"{ev.name}: {ev.rule} x{ev.factor:g}" for ev in s.arrivals.events]
        items.append(("Calendar rules", "; ".join(rules) + " (ska-sim calendar lists every date)"))
    typed = [(n, getattr(sh, n)) for n in ("breaks", *REPLACED_SHARES, "other") if getattr(sh, n)]
    if s.activities is not None:
        typed = [(n, v) for n, v in typed if n not in REPLACED_SHARES]
        typed.append(("activities from the unit's rules", activity_share(s)))
        note = " (activities: a share of paid time; / (1 - absence) of the time at work)"
    else:
        note = ""
    items.append(("Shrinkage", "in-shift " + (", ".join(f"{n.replace('_', ' ')} {v:.1%}" for n, v in typed) or "none")
                  + f"; absence {sh.absence or 0:.1%}; {sh.fte_hours_per_week:g} h per FTE in an ordinary week, "
                  f"{sh.fte_per_head:g} FTE per person" + note))
    if s.costs is not None:
        m = money_of(s, 1.0)
        cost = (f"{s.costs.eur_per_paid_hour:g} EUR per paid hour; a month is {m['month_norm_hours']:.1f} h and a year "
                f"{m['year_norm_hours']:g} h per FTE (the calendar's working-time norm)")
        if s.costs.manager_eur_per_hour:
            cost += f"; managers {s.costs.manager_eur_per_hour:g} EUR per hour"
        items.append(("Costs", cost))
    return items


def _staffing_items(s) -> list[tuple[str, str]]:
    """The staffing, per group when the scenario has groups, with skills and routing."""
    def vectors(agents: dict) -> str:
        return "; ".join(f"{k}: {', '.join(str(a) for a in v)}" for k, v in agents.items())

    if not s.groups:
        return [("Staffing", f"agents on the phones per interval (scale {s.staffing.scale:g}): {vectors(s.staffing.agents)}")]
    items = []
    for g in s.groups:
        skills = (f"languages {'all' if g.languages == 'all' else ', '.join(g.languages)}; call types "
                  f"{'all' if g.call_types == 'all' else ', '.join(g.call_types)}")
        extra = "".join([f"; handle x{g.handle_factor:g}" if g.handle_factor != 1 else "",
                         "".join(f"; {k} handle x{f:g}" for k, f in g.handle_factor_by_type.items()),
                         f"; resolution x{g.resolution_factor:g}" if g.resolution_factor != 1 else "",
                         f"; takes overflow after {g.overflow_after_s:g} s" if g.overflow_after_s else ""])
        items.append((f"Group {g.name}", f"{skills}{extra}; agents per interval (scale {s.staffing.scale:g}): "
                                        f"{vectors(g.agents)}"))
    order = "; ".join(f"{k}: {' > '.join(v)}" for k, v in s.routing.order.items()) or "groups in file order"
    by_type = "".join(f"; {k}: policy {p}" for k, p in s.routing.policy_by_type.items())
    by_type += "".join(f"; {k}: others take it after {d:g} s" for k, d in s.routing.overflow_after_s_by_type.items())
    items.append(("Routing", f"policy {s.routing.policy}; order {order}{by_type}"))
    if s.languages:
        items.append(("Languages", "; ".join(f"{k} {v.share:.0%} (talk x{v.talk_factor:g})" for k, v in s.languages.items())))
    if s.lines is not None:
        items.append(("Phone lines", f"{s.lines.count} (calls waiting + in talk); more get a busy tone"))
    return items


def _dur(d) -> str:
    if d.dist == "empirical":
        return f"empirical ({len(d.values_s)} values)"
    if d.dist in ("uniform", "triangular"):
        peak = f", peak {d.mode_s:g} s" if d.dist == "triangular" else ""
        return f"{d.dist} {d.min_s:g}-{d.max_s:g} s{peak} (mean {d.build().mean:.0f} s)"
    cv = "" if d.dist in ("exponential", "deterministic") else f", cv {d.cv:g}"
    mean = d.mean_s
    shown = f"{mean / 3600:.1f} h" if mean >= 7200 else (f"{mean / 60:.1f} min" if mean >= 120 else f"{mean:g} s")
    least = f", at least {d.min_s:g} s" if d.min_s else ""
    return f"{d.dist} mean {shown}{cv}{least}"


# --------------------------------------------------------------------------- the page
def breakdown_table(df, key: str) -> str:
    """KPIs per language (or call type), with the service level's 95% interval."""
    head = (key.replace("_", " "), "offered", "service level", "95% interval", "answer rate", "abandon rate", "ASA", "FCR")
    rows = "".join(
        f"<tr><td>{e(r[key])}</td><td>{num(r['offered'], 'calls')}</td>"
        f"<td>{num(r['service_level'], 'share', f'{key}:{r[key]}:service_level', 'mean')}</td>"
        f"<td>{num(r['service_level_ci_low'], 'share')} to {num(r['service_level_ci_high'], 'share')}</td>"
        f"<td>{num(r['answer_rate'], 'share')}</td><td>{num(r['abandon_rate'], 'share')}</td>"
        f"<td>{num(r['asa_s'], 's')}</td><td>{num(r['fcr'], 'share')}</td></tr>"
        for r in df.to_dict(orient="records")
    )
    return ("<table><thead><tr>" + "".join(f"<th>{e(h)}</th>" for h in head) + "</tr></thead><tbody>" + rows
            + "</tbody></table><p class='note'>Counts are totals over the measured days, per replication.</p>")


def groups_html(result) -> str:
    T = result.scenario.targets.service_level.label(short=True)
    head = ("group", "agent-hours", "occupancy", "95% interval", "calls answered", f"of which within {T}", "ASA")
    rows = []
    for r in result.groups.to_dict(orient="records"):
        name = r["group"]
        rows.append(
            f"<tr><td>{e(name)}</td><td>{num(r['agent_hours'], 'h')}</td>"
            f"<td>{num(r['occupancy'], 'share', f'group:{name}:occupancy', 'mean')}</td>"
            f"<td>{num(r['occupancy_ci_low'], 'share')} to {num(r['occupancy_ci_high'], 'share')}</td>"
            f"<td>{num(r['answered'], 'calls')}</td><td>{num(r['service_level'], 'share')}</td>"
            f"<td>{num(r['asa_s'], 's')}</td></tr>"
        )
    rows = "".join(rows)
    return ("<table><thead><tr>" + "".join(f"<th>{e(h)}</th>" for h in head) + "</tr></thead><tbody>" + rows
            + "</tbody></table><p class='note'>Calls a group answered, in the interval they arrived; "
            f"'within {T}' is of the calls that group answered (the line's service level counts every "
            "call offered).</p>")


def keep(title: str, first: str, rest: str = "") -> str:
    """A section: its heading is kept on the same printed page as its first block
    (``break-inside: avoid`` on the pair), so no heading is left orphaned at a page end."""
    return f'<section><div class="keep"><h2>{e(title)}</h2>{first}</div>{rest}</section>'


def build_report(result, marginal=None, comparison=None, label: str | None = None) -> str:
    """The HTML page. ``label`` says what was run (scenario name, file, --set options)."""
    s = result.scenario
    first, last = result.days["date"].iloc[0], result.days["date"].iloc[-1]
    fc_html = forecast_html(s, png)  # [arrivals.forecast]: the band and the effects behind the week
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>{e(s.name)}: staffing report</title><style>{CSS}</style></head><body>",
        f"<h1>{e(s.name)}</h1>",
        f"<p class='sub'>{e(s.scenario.description)}</p>" if s.scenario.description else "",
        f"<p class='sub'>Run: <code>{e(label)}</code></p>" if label else "",
        f"<p class='sub'>Simulated {e(first)} to {e(last)} ({len(result.days)} open days), "
        f"{result.replications} replications, 95% intervals. Report made {dt.date.today().isoformat()}.</p>",
        keep("Verdict", verdicts(result)),
        keep("Key figures", kpi_table(result)),
        keep("The forecast behind the week", fc_html) if fc_html else "",
        keep("Service level by weekday and time of day",
             img(heatmap(result), "Heatmap of service level by weekday and time of day")),
        keep("Written requests: backlog and on time", written_html(result, png, img, num))
        if getattr(result, "written", None) is not None else "",
        keep("Offered calls, staffing and service level by interval",
             img(interval_plot(result),
                 f"Offered calls and agents per interval; service level with its 95% band, "
                 f"{erlang_label(result.erlang)} and the target")
             + (f"<p class='sub'>{e(group_summary(result))}</p>" if group_summary(result) else "")),
    ]
    if getattr(result, "languages", None) is not None:
        parts.append(keep("By language", breakdown_table(result.languages, "language")))
    if getattr(result, "groups", None) is not None:
        parts.append(keep("By agent group", groups_html(result)))
        parts.append(keep("Occupancy by agent group and time of day",
                          img(group_heatmap(result), "Heatmap of occupancy by agent group and time of day")))
    if marginal is not None:
        parts.append(keep("What more (or fewer) agents buy", marginal_table(marginal, s)))
    elif s.groups:
        parts.append(keep("What more (or fewer) agents buy",
                          "<p class='note'>Not computed for a scenario with agent groups: what an agent more buys "
                          "depends on the group. Run <code>ska-sim marginal SCENARIO --group NAME</code> (optionally "
                          "<code>--hours 10:00-14:00</code>) for each group of interest.</p>"))
    if getattr(s, "roster", None) is not None and s.roster.plan is not None:
        parts.append(keep("Roster", roster_html(s, result)))
    chain = people_and_money(s)
    if chain:
        parts.append(keep("Today's plan in people and money", chain))
    if comparison is not None:
        parts.append(keep("Scenarios side by side", comparison_table(comparison)))
    parts += [
        keep("Assumptions",
             "<p>The scenario's parameters as simulated. Numbers marked ASSUMED in the scenario file should be replaced "
             "with the centre's own data.</p>", assumptions(s)),
        f"<footer>ska-sim {e(__version__)} &middot; seed {result.seed} &middot; {result.replications} replications "
        f"&middot; scenario sha256 <code>{e(s.digest())}</code>. The same scenario and seed give the same numbers."
        "</footer></body></html>",
    ]
    return "\n".join(p for p in parts if p)
