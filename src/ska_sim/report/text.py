"""Plain-text tables for the terminal: KPIs against targets, and the time-of-day view
beside Erlang C. Reads a result's DataFrames; computes nothing."""

from __future__ import annotations


from ska_sim.plan.costs import money_of
from ska_sim.plan.staffing_result import NOT_SIMULATED
from ska_sim.report.activities import activities_text
from ska_sim.report.columns import fmt, text_columns
from ska_sim.report.costs import money_text, people_rows, people_text
from ska_sim.report.erlang_text import cross_check_lines
from ska_sim.report.marginal_written import written_columns
from ska_sim.report.written import written_parts
from ska_sim.scenario.clock import WEEKDAYS
from ska_sim.scenario.forecast import UNCERTAINTY_LINE, forecast_note

LABELS = {
    "service_level": "service level",
    "answer_rate": "answer rate",
    "abandon_rate": "abandon rate",
    "asa_s": "ASA (mean wait, answered)",
    "wait_p50_s": "wait p50 (answered)",
    "wait_p90_s": "wait p90 (answered)",
    "wait_p95_s": "wait p95 (answered)",
    "fcr": "FCR (first-contact resolution)",
    "repeat_contact_share": "repeat-contact share",
    "redial_share": "redial share",
    "occupancy": "occupancy",
    "offered": "offered calls",
    "answered": "answered calls",
    "abandoned": "abandoned calls",
    "unanswered_at_close": "unanswered at close",
    "waiting_hours": "caller waiting hours",
    "redials": "redials",
    "repeat_calls": "repeat calls",
    "blocked": "blocked (busy tone)",
    "written_requests": "written requests (identity failed)",
    "transfers": "transferred calls",
    "transfer_abandoned": "hung up waiting for a transfer",
    "transfer_wait_s": "transfer wait (mean, second agent)",
    "callbacks_promised": "callbacks owed",
    "callbacks_made": "callbacks made",
    "callbacks_late": "callbacks late (or not made)",
    "callback_hours": "agent hours on callbacks",
    "virtual_hold_accepted": "took a callback instead of waiting",
    "served_incl_callbacks": "served, including callbacks",
    "messages": "messages left (maximum wait)",
    "message_share": "message share",
    "callers": "callers (all attempts)",
    "caller_service_level": "callers answered within T, all attempts",
    "caller_answer_rate": "callers answered, any attempt",
    "caller_wait_s": "wait per caller (all attempts, mean)",
    "attempts_per_caller": "attempts per caller",
}
ORDER = (
    "service_level",
    "answer_rate",
    "abandon_rate",
    "asa_s",
    "wait_p50_s",
    "wait_p90_s",
    "wait_p95_s",
    "fcr",
    "repeat_contact_share",
    "redial_share",
    "occupancy",
    "offered",
    "answered",
    "abandoned",
    "unanswered_at_close",
    "redials",
    "repeat_calls",
    "waiting_hours",
    "blocked",
    "written_requests",
    "transfers",
    "transfer_abandoned",
    "transfer_wait_s",
    "callbacks_promised",
    "callbacks_made",
    "callbacks_late",
    "callback_hours",
    "virtual_hold_accepted",
    "served_incl_callbacks",
    "messages",
    "message_share",
    "callers",
    "caller_service_level",
    "caller_answer_rate", "caller_wait_s",
    "attempts_per_caller",
)



def chance_phrase(q: float) -> str:
    """"a 90% chance", "an 80% chance" (the article as the number is read)."""
    pct = f"{q:.0%}"
    spoken_vowel = pct.startswith("8") or pct[:2] in ("11", "18")  # eight..., eleven, eighteen
    return f"{'an' if spoken_vowel else 'a'} {pct} chance"

def target_label(key: str) -> str:
    """A target's row name for people: 'service level', or 'service level (ru calls)'."""
    kpi, _, lang = key.partition(":")
    return LABELS.get(kpi, kpi) + (f" ({lang} calls)" if lang else "")


def kpi_table(result) -> str:
    s = result.scenario
    sl = s.targets.service_level
    cal = s.calendar
    first, last = result.days["date"].iloc[0], result.days["date"].iloc[-1]
    lines = [
        s.name,
        f"{len(result.days)} open days measured, {first} to {last} ({cal.warmup_days} warm-up days before)"
        f" | {result.replications} replication{'s' if result.replications != 1 else ''} | seed {result.seed} | "
        + ("95% intervals" if result.replications > 1 else "one replication: no intervals, the mean decides"),
        *([forecast_note(s)] if forecast_note(s) else []),
        "",
    ]
    targets = result.targets.set_index("kpi")
    rows = [("KPI", "mean", "95% interval", "target", "status", "days met", "window met")]
    summary = result.summary.set_index("kpi")
    for k in ORDER:
        if k not in summary.index:  # KPIs of mechanisms the scenario does not use
            continue
        r = summary.loc[k]
        label = LABELS[k] + (f" ({sl.label()})" if k == "service_level" else "")
        if r.unit in ("calls", "h"):
            label += f", {len(result.days)} days"
        interval = f"[{fmt(r.ci_low, r.unit)}, {fmt(r.ci_high, r.unit)}]"
        if k in targets.index:
            t = targets.loc[k]
            rows.append((label, fmt(r["mean"], r.unit), interval, t.target, status_words(t), f"{t.days_met_share:.0%}",
                         f"{t.replications_met_share:.0%}"))
        else:
            rows.append((label, fmt(r["mean"], r.unit), interval, "", "", "", ""))
    lines += text_columns(rows, align="lrrllrr")
    lines.append("days met: share of simulated days on which the day as a whole met the target; window met: share of "
                 "replications whose whole window met it (the chance of meeting it over this window).")
    return "\n".join(lines)


def status_words(t) -> str:
    """PASS / FAIL / UNCERTAIN, with the reading of a benchmark band ('PASS, above benchmark')."""
    reading = getattr(t, "reading", "")
    return f"{t.status}, {reading}" if isinstance(reading, str) and reading else t.status


def time_of_day_table(result) -> str:
    tod = result.times_of_day
    sl = result.scenario.targets.service_level
    has_a = "erlang_a_service_level" in tod
    rows = [("time", "agents", "offered", f"service level ({sl.label()})", "95% interval", "Erlang C", "",
             "Erlang A" if has_a else "", "abandon", "occupancy")]
    for r in tod.to_dict(orient="records"):
        rows.append(
            (
                r["time"],
                f"{r['agents']:.1f}",
                f"{r['offered']:.1f}",
                fmt(r["service_level"], "share"),
                f"[{fmt(r['service_level_ci_low'], 'share')}, {fmt(r['service_level_ci_high'], 'share')}]",
                fmt(r["erlang_c_service_level"], "share"),
                "*" if r["erlang_c_differs"] else "",
                fmt(r["erlang_a_service_level"], "share") if has_a else "",
                fmt(r["abandon_rate"], "share"),
                fmt(r["occupancy"], "share"),
            )
        )
    lines = [f"By time of day (mean over the {len(result.days)} measured days; offered = calls per interval)"]
    lines += text_columns(rows, align="lrrrrrlrrr")
    lines.append("")
    lines += cross_check_lines(result)
    return "\n".join(lines)


def result_text(result) -> str:
    parts = [kpi_table(result)]
    if getattr(result, "languages", None) is not None:
        parts.append(breakdown_table(result.languages, "language", "By language (calls offered in each language)"))
        per_lang = result.targets[result.targets["kpi"].str.contains(":")]
        if len(per_lang):
            rows = [("target", "mean", "95% interval", "status", "window met")]
            for r in per_lang.itertuples():
                kpi, _, lang = r.kpi.partition(":")
                rows.append((f"{LABELS[kpi]}, {lang}: {r.target}", fmt(r.mean, "share"),
                             f"[{fmt(r.ci_low, 'share')}, {fmt(r.ci_high, 'share')}]", r.status,
                             f"{r.replications_met_share:.0%}"))
            parts.append("\n".join(["Targets per language"] + text_columns(rows, align="lrrlr")))
    if getattr(result, "groups", None) is not None:
        parts.append(groups_table(result))
    parts += [*written_parts(result), time_of_day_table(result)]
    return "\n\n".join(parts) + "\n"


def breakdown_table(df, key: str, title: str) -> str:
    """KPIs per call type or language, with the service level's interval."""
    rows = [(key.replace("_", " "), "offered", "service level", "95% interval", "answer rate", "abandon rate", "ASA", "FCR")]
    for r in df.to_dict(orient="records"):
        rows.append((str(r[key]), fmt(r["offered"], "calls"), fmt(r["service_level"], "share"),
                     f"[{fmt(r['service_level_ci_low'], 'share')}, {fmt(r['service_level_ci_high'], 'share')}]",
                     fmt(r["answer_rate"], "share"), fmt(r["abandon_rate"], "share"), fmt(r["asa_s"], "s"),
                     fmt(r["fcr"], "share")))
    return "\n".join([title] + text_columns(rows, align="lrrrrrrr"))


def groups_table(result) -> str:
    """Per agent group: its hours, occupancy and the calls it answered."""
    T = result.scenario.targets.service_level.label(short=True)
    rows = [("group", "agent-hours", "occupancy", "95% interval", "calls answered", f"of which within {T}", "ASA")]
    for r in result.groups.to_dict(orient="records"):
        rows.append((r["group"], fmt(r["agent_hours"], "h"), fmt(r["occupancy"], "share"),
                     f"[{fmt(r['occupancy_ci_low'], 'share')}, {fmt(r['occupancy_ci_high'], 'share')}]",
                     fmt(r["answered"], "calls"), fmt(r["service_level"], "share"), fmt(r["asa_s"], "s")))
    head = (f"By agent group ({len(result.days)} days; calls a group answered, counted in the interval they arrived; "
            "'within' is of the calls it answered)")
    return "\n".join([head] + text_columns(rows, align="lrrrrrr"))


def staffing_text(st) -> str:
    """The `ska-sim staff` report: requirement matrix, scopes, FTE, shift plan, the plans simulated."""
    req = st.requirements
    s = st.scenario
    erlang = f"Erlang {'A' if s.has_patience() else 'C'}"
    col = "agents_simulation" if st.method == "simulation" else f"agents_erlang_{st.scope}"
    if st.method == "simulation":
        p = st.plans[f"simulation_{st.scope}"]
        how = (f"found by simulation: the {erlang} plan simulated and adjusted over {p.iterations} iterations "
               f"({'converged' if p.converged else 'NOT converged'})")
    else:
        how = f"by {erlang} on the offered load incl. redials and repeat calls"
    if "group" in req:
        sep = "on separated groups (each call type x language to its first eligible group)"
        how = how.replace(f"by {erlang}", f"by {erlang} {sep}") if st.method != "simulation" else \
            how.replace(f"the {erlang} plan simulated and adjusted", f"the {erlang} plan {sep} simulated and adjusted "
                                                                     "per group")
    lines = [
        *([st.recommendation()] if st.recommendation() else []),
        f"Staffing plan: {s.name}",
        f"method {st.method}, target scope {st.scope}; agents on the phones per interval {how}",
        *([forecast_note(s)] if forecast_note(s) else []),
        "",
    ]
    for name, part in (req.groupby("group", sort=False) if "group" in req else [(None, req)]):
        if name is not None:
            lines.append(f"Group {name}:")
        matrix = part.pivot_table(index="time", columns="date", values=col, aggfunc="first")
        head = ["time"] + [f"{pd_weekday(d)} {d[5:]}" for d in matrix.columns]
        rows = [tuple(head)]
        for t, r in matrix.iterrows():
            rows.append((t, *["" if v != v else f"{v:.0f}" for v in r]))
        hours = part.groupby("date")[col].sum() * (s.calendar.interval_s / 3600)
        rows.append(("agent-h", *[f"{hours[d]:,.1f}" for d in matrix.columns]))
        lines += text_columns(rows, align="l" + "r" * (len(head) - 1))
        lines.append("")
    if st.group_fte is not None:
        lines.append("Per group, over the measured days (each group's part of the plan priced as the plan is: a "
                     "roster's people of that group paid their contracts, other agents by the shrinkage chain; FTE = "
                     "paid hours / the working-time norm; total = the plan's figures, as in the table of plans; heads "
                     "rounded up per group, so they may add up above the total):")
        grows = [("plan", "group", "phone h", "paid h", "FTE", "heads")]
        for r in st.group_fte.itertuples():
            grows.append((r.plan, r.group, f"{r.phone_hours:.1f}", f"{r.paid_hours:.0f}",
                          "-" if r.fte != r.fte else f"{r.fte:.1f}", "-" if r.heads != r.heads else f"{r.heads:.0f}"))
        lines += text_columns(grows, align="llrrrr")
        lines.append("")
    lines.append("Agent-hours on the phones over the measured days, by method and target scope:")
    srows = [("method", "scope", "agent-hours", "vs Erlang interval plan", "iterations", "converged")]
    for r in st.scopes.itertuples():
        srows.append((r.method, r.scope, f"{r.agent_hours:,.1f}",
                      f"{r.change_vs_erlang_interval_hours:+,.1f} h ({r.change_vs_erlang_interval_share:+.2%})",
                      str(r.iterations), "yes" if r.converged else "NO"))
    lines += text_columns(srows, align="llrrrl")
    f = st.fte
    fte = "-" if f["fte"] != f["fte"] else f"{f['fte']:,.1f}"
    heads = "-" if f["heads"] != f["heads"] else f"{f['heads']:,.0f}"
    if str(f.get("basis", "")).startswith("roster"):  # a roster's people, paid their contracts
        lines += ["", "The recommended plan: " + people_text(s, f)]
    else:
        lines += [
            "",
            f"Shrinkage chain of the recommended plan: {f['phone_hours']:,.0f} h on the phones -> {f['hours_at_work']:,.0f} h "
            f"at work (in-shift shrinkage) -> {f['paid_hours']:,.0f} paid hours (absence; total shrinkage "
            f"{f['shrinkage_total']:.1%}) -> {fte} FTE (paid hours / {f['working_time_norm_hours']:g} h, the working-time "
            f"norm over {f['window']}: {norm_days(f)}) -> "
            f"{heads} heads "
            f"at {f['fte_per_head']:g} FTE per person",
        ]
        money = money_text(s, f["fte"], f["heads"])
        lines += [money] if money else []
    acts = activities_text(s)
    lines += ["", *acts] if acts else []
    if st.shift_plan is not None:
        lines += ["", "Shift plan (people per shift and start, measured days):"]
        sp = st.shift_plan
        prow = [("date", "shift", "start", "end", "people", "paid h", "unpaid breaks (people x start)")]
        for r in sp.itertuples():
            prow.append((r.date, r.shift, r.start, r.end, str(r.people), f"{r.paid_hours:.1f}", r.unpaid_breaks))
        lines += text_columns(prow, align="llllrrl")
        cov = st.coverage
        lines.append(
            f"Paid hours at work in these shifts: {sp['paid_hours'].sum():.1f}; every interval covered "
            f"(surplus at work: mean {cov['surplus_at_work'].mean():.2f}, max {cov['surplus_at_work'].max():.2f} agents)."
        )
    if st.comparison is not None:
        lines += ["", "Today's plan beside the recommendations, each simulated on the same callers "
                      f"({st.plan_result.replications} replications; days met / window met: share of days, and of "
                      "replications' whole windows, meeting the target):"]
        lines += plans_table(st.comparison)
    verdict = st.verdict()
    if verdict:
        lines += ["", verdict]
    pr = st.plan_result
    lines += ["", f"The recommended plan{' (shift plan)' if st.shift_plan is not None else ''}, simulated:", kpi_table(pr)]
    if getattr(st, "confidence", None) is not None:
        lines += ["", *confidence_text(st.confidence)]
    return "\n".join(lines) + "\n"


def confidence_text(cp) -> list[str]:
    """staff --confidence: the plan for the chance asked, beside the recommended plan."""
    rows = [("agents x", "hours on the phones", "chance of meeting every target")]
    rows += [(f"{t['factor']:.2f}", f"{t['phone_hours']:,.0f}", f"{t['chance']:.0%}") for t in cp.tried]
    head = (f"Plan for {chance_phrase(cp.confidence)} of meeting every target over the window (share of replications "
            f"whose whole window meets them all at once): the recommended plan ({cp.base_name}) meets them in "
            f"{cp.base_chance:.0%}; its agents x a factor (steps of 2%, common random numbers):")
    if cp.met:
        verdict = (f"Plan for {cp.confidence:.0%}: agents x {cp.factor:.2f}, {cp.figures['fte']:,.1f} FTE "
                   f"({cp.figures['paid_hours']:,.0f} paid hours), chance {cp.chance:.0%}; the recommended plan: "
                   f"{cp.base_figures['fte']:,.1f} FTE. The {cp.confidence:.0%} chance costs {cp.extra_fte():+,.1f} FTE"
                   + (" (the forecast's uncertainty included)." if UNCERTAINTY_LINE in forecast_note(cp.result.scenario)
                      else "."))
    else:
        verdict = (f"No plan up to agents x {cp.factor:.2f} reaches {chance_phrase(cp.confidence)} (best "
                   f"{max(t['chance'] for t in cp.tried):.0%}): the targets or the confidence cannot be met this way.")
    return [head, *text_columns(rows, align="rrr"), verdict]


def plans_table(comparison) -> list[str]:
    """staff's plans side by side: people, money, each target's mean, status, days met and window
    met, then (with [[written]] and no written target) the written work's share on time."""
    kpis = [k for k in ("service_level", "answer_rate", "fcr", "abandon_rate", "asa_s", "written_on_time")
            if f"{k}_status" in comparison]
    plain = "written_on_time" in comparison and "written_on_time" not in kpis  # no target: the share alone
    written = "written_dedicated_hours" in comparison and bool((comparison["written_dedicated_hours"] > 0).any())
    # ^ dedicated written work: paid hours off the phones, their own column
    head = ["plan", "phone h", *(["written h"] if written else []), "paid h", "paid as", "FTE", "heads"]
    money = "eur_per_month" in comparison
    head += ["EUR/month"] if money else []
    for k in kpis:
        head += [LABELS.get(k, k.replace("_", " ")).split(" (")[0], "days met", "window met"]
    head += ["written on time"] if plain else []
    head.append("verdict")
    rows = [tuple(head)]
    for r in comparison.to_dict(orient="records"):
        cells = [r["plan"] + (" (recommended)" if r.get("recommended") else ""), f"{r['phone_hours']:,.1f}",
                 *([f"{r['written_dedicated_hours']:,.1f}"] if written else []),
                 f"{r['paid_hours']:,.0f}", paid_as(r.get("paid_basis", "")),
                 "-" if r["fte"] != r["fte"] else f"{r['fte']:,.1f}", "-" if r["heads"] != r["heads"] else f"{r['heads']:,.0f}"]
        cells += [f"{r['eur_per_month']:,.0f}"] if money else []
        simulated = r["verdict"] != NOT_SIMULATED
        for k in kpis:
            unit = "share" if k != "asa_s" else "s"
            cells += [f"{fmt(r[k], unit)} {r[f'{k}_status']}", f"{r[f'{k}_days_met_share']:.0%}",
                      f"{r[f'{k}_replications_met_share']:.0%}"] if simulated else ["-", "-", "-"]
        cells += [fmt(r["written_on_time"], "share") if simulated else "-"] if plain else []
        cells.append(r["verdict"])
        rows.append(tuple(cells))
    notes = [f"{r['plan']}: {r['note']}." for r in comparison.to_dict(orient="records") if r["verdict"] == NOT_SIMULATED]
    return text_columns(rows, align="lr" + "r" * written + "rlrr" + "r" * money + "rrr" * len(kpis) + "r" * plain + "l") + notes


def paid_as(basis: str) -> str:
    """A plan's paid hours in a word: a roster's "contracts" of the people employed, the shrinkage
    "chain"'s estimate of the contracts a plan needs, or both (agents added to a roster)."""
    return basis.replace("roster contracts", "contracts").replace("shrinkage chain", "chain").replace(" + ", "+")


def pd_weekday(date: str) -> str:
    import datetime as dt

    return WEEKDAYS[dt.date.fromisoformat(date).weekday()]


def fmt_diff(value: float, unit: str) -> str:
    return fmt(value, unit, signed=True)


def compare_text(cmp) -> str:
    t = cmp.table
    lines = [
        f"Comparison with common random numbers: {cmp.results[0].replications} replications, seed {cmp.results[0].seed}; "
        "differences to the first scenario with paired 95% intervals (* = significant)",
        "",
    ]
    for i, label in enumerate(cmp.labels):
        lines.append(f"  [{i}] {label}")
    if getattr(cmp, "per_day", False):
        lines.append("  The scenarios measure different calendar windows: counts and hours are rates per open day.")
    lines.append("")
    head = ["KPI"] + [f"[{i}]" for i in range(len(cmp.labels))]
    head += [f"[{i}] - [0]" for i in range(1, len(cmp.labels))]
    rows = [tuple(head)]
    for r in t.to_dict(orient="records"):
        if r["kpi"] not in ORDER:
            continue
        cells = [LABELS[r["kpi"]] + (" per open day" if r["unit"].endswith("per open day") else "")]
        cells += [fmt(r[f"{i}:mean"], r["unit"]) for i in range(len(cmp.labels))]
        for i in range(1, len(cmp.labels)):
            star = " *" if r[f"{i}:significant"] else ""
            cells.append(f"{fmt_diff(r[f'{i}:diff'], r['unit'])} [{fmt_diff(r[f'{i}:diff_ci_low'], r['unit'])}, "
                         f"{fmt_diff(r[f'{i}:diff_ci_high'], r['unit'])}]{star}")
        rows.append(tuple(cells))
    lines += text_columns(rows, align="l" + "r" * (len(head) - 1))

    head, prow = people_rows([(f"[{i}]", r.scenario) for i, r in enumerate(cmp.results)])
    lines += ["", "Each scenario's own plan in people and money over its measured days (paid as: a roster's people "
                  "paid their contracts, or the shrinkage chain phones -> at work -> paid -> FTE -> heads; EUR with [costs]):"]
    lines += text_columns([tuple(head), *map(tuple, prow)], align="ll" + "r" * (len(head) - 2))
    lines += ["", "Targets:"]
    for label, res in zip(cmp.labels, cmp.results):
        verdicts = ", ".join(f"{target_label(x.kpi)} {x.status}" for x in res.targets.itertuples())
        lines.append(f"  {label}: {verdicts}")
    return "\n".join(lines) + "\n"


def _ci(value: float, lo: float, hi: float, unit: str) -> str:
    """A change with its paired 95% interval: '+3.1 pts [+2.4, +3.8]'."""
    def bare(x: float) -> str:
        return fmt_diff(x, unit).removesuffix(" pts").removesuffix(" h").removesuffix(" s")

    return f"{fmt_diff(value, unit)} [{bare(lo)}, {bare(hi)}]"


def norm_days(w: dict) -> str:
    """What a window's norm is made of: '4 working days, 1 shortened; 40 h in an ordinary week'."""
    short = int(w.get("shortened_days") or 0)
    return (f"{w['working_days']:.0f} working days" + (f", {short} shortened" if short else "")
            + f"; {w['fte_hours_per_week']:g} h in an ordinary week")


def window_words(w: dict | None) -> str:
    """A marginal run's window in words: 'week of 23 Feb 2026: norm 29 h per FTE; 4 working days, ...'."""
    return "the measured window" if not w else f"{w['label']}; {norm_days(w)}"


def step_label(k, unit: str) -> str:
    if k == 0:
        return "now"
    return f"{k:+d} FTE" if unit == "fte" else f"{k:+d}"


def marginal_text(mg, scenario) -> str:
    t = mg.table
    how = "in proportion to the current staffing" if mg.mode == "proportional" else "in the intervals where they help most"
    what = ("k full-time equivalents more (or fewer) of paid time, on the phones after shrinkage"
            if mg.unit == "fte" else "k agents more (or fewer) on the phones for every open hour")
    group, hours = getattr(mg, "group", None), getattr(mg, "hours", None)
    if hours:
        what = what.replace("for every open hour", f"in every open interval starting {hours}")
        what += f" (in {hours} only)" if mg.unit == "fte" else ""
    if group:
        what += f", of agent group {group} only (the other groups keep their agents)"
    lines = [
        f"Marginal value of {'FTE' if mg.unit == 'fte' else 'agents'}: {scenario.name}",
        f"{what}, spread {how}. Changes against now with paired 95% intervals [low, high] (common random numbers); "
        f"hours are the window's ({window_words(getattr(mg, 'window', None))}); per day = per open day; FTE = paid hours / the "
        f"window's norm; heads at {scenario.shrinkage.fte_per_head:g} FTE per person.",
        "",
    ]
    if str(t["paid_basis"].iloc[0] if "paid_basis" in t and len(t) else "").startswith("roster"):
        lines[-1:-1] = ["Paid hours: the roster's people paid their contracts (leave included); the agents a step adds "
                        "or removes priced by the shrinkage chain. Heads: the people employed, plus the step's."]
    rows = [("step", "agents/interval", "paid h", "FTE", "heads", "service level", "answer rate",
             "answered/day", "hung up/day", "repeat calls/day", "waiting h")]
    for r in t.to_dict(orient="records"):
        k = r["step"]
        now = k == 0
        rows.append(
            (
                step_label(k, mg.unit),
                "" if now else f"{r['agents_change']:+.2f}",
                f"{r['paid_hours']:,.0f}" + ("" if now else f" ({r['paid_hours_change']:+,.0f})"),
                f"{r['fte']:.1f}" + ("" if now else f" ({r['fte_change']:+.2f})"),
                f"{r['heads']:.0f}" + ("" if now else f" ({r['heads_change']:+.0f})"),
                fmt(r["service_level"], "share") + ("" if now else " " + _ci(
                    r["service_level_change"], r["service_level_change_ci_low"], r["service_level_change_ci_high"], "share")),
                fmt(r["answer_rate"], "share") + ("" if now else " " + _ci(
                    r["answer_rate_change"], r["answer_rate_change_ci_low"], r["answer_rate_change_ci_high"], "share")),
                f"{r['answered_per_day']:,.0f}" + ("" if now else " " + _ci(
                    r["answered_per_day_change"], r["answered_per_day_change_ci_low"], r["answered_per_day_change_ci_high"],
                    "calls")),
                f"{r['abandoned_per_day']:,.1f}" + ("" if now else " " + _ci(
                    r["abandoned_per_day_change"], r["abandoned_per_day_change_ci_low"],
                    r["abandoned_per_day_change_ci_high"], "calls")),
                f"{r['repeat_calls_per_day']:,.1f}" + ("" if now else " " + _ci(
                    r["repeat_calls_per_day_change"], r["repeat_calls_per_day_change_ci_low"],
                    r["repeat_calls_per_day_change_ci_high"], "calls")),
                f"{r['waiting_hours']:,.1f}" + ("" if now else " " + _ci(
                    r["waiting_hours_change"], r["waiting_hours_change_ci_low"], r["waiting_hours_change_ci_high"],
                    "h")),
            )
        )
    lines += text_columns((rows := written_columns(rows, t, fmt, _ci)), align="r" * len(rows[0]))
    lines += [f"Note: {n}." for n in getattr(mg, "notes", [])] + request_text(mg, scenario)
    langs = [c.split(":", 1)[1] for c in t.columns
             if c.startswith("service_level:") and not c.endswith(("_change", "_change_ci_low", "_change_ci_high", "_status",
                                                                   "_days_met_share", "_replications_met_share"))]
    if langs:  # what the step buys each language's callers
        lines += ["", "By language (service level and answer rate of each language's calls; changes with paired 95% "
                      "intervals):"]
        lrows = [("step", *[f"{kpi} {lang}" for lang in langs for kpi in ("service level", "answer rate")])]
        for r in t.to_dict(orient="records"):
            k, cells = r["step"], []
            for lang in langs:
                for kpi in ("service_level", "answer_rate"):
                    key = f"{kpi}:{lang}"
                    cells.append(fmt(r[key], "share") + ("" if k == 0 else " " + _ci(
                        r[f"{key}_change"], r[f"{key}_change_ci_low"], r[f"{key}_change_ci_high"], "share")))
            lrows.append((step_label(k, mg.unit), *cells))
        lines += text_columns(lrows, align="r" * len(lrows[0]))
    return "\n".join(lines) + "\n"


def request_rows(mg, scenario) -> tuple[list[str], list[list[str]]]:
    """The resource-request table of a marginal run: per option the shrinkage chain
    (phones -> at work -> paid -> FTE -> heads), per target the share of days meeting it and the
    share of replications whose whole window meets it, and the cost with [costs]."""
    t = mg.table
    keys = [c[: -len("_days_met_share")] for c in t.columns if c.endswith("_days_met_share")]
    money = "eur_per_month" in t
    head = ["option", "phone h", "at work h", "paid h", "FTE", "heads"]
    head += ["EUR/month", "EUR/year"] if money else []
    for k in keys:
        head.append(f"{target_label(k).replace(' (first-contact resolution)', '')}: days / window met")
    rows = []
    for r in t.to_dict(orient="records"):
        cells = [step_label(r["step"], mg.unit), f"{r['phone_hours']:,.0f}",
                 f"{r['hours_at_work']:,.0f}", f"{r['paid_hours']:,.0f}", f"{r['fte']:.1f}",
                 f"{r['heads']:.0f}"]
        if money:
            cells += [f"{r['eur_per_month']:,.0f}" + ("" if r["step"] == 0 else f" ({r['eur_per_month_change']:+,.0f})"),
                      f"{r['eur_per_year']:,.0f}"]
        for k in keys:
            d, w = r[f"{k}_days_met_share"], r[f"{k}_replications_met_share"]
            cells.append(f"{'-' if d != d else f'{d:.0%}'} / {'-' if w != w else f'{w:.0%}'}")
        rows.append(cells)
    return head, rows


def request_text(mg, scenario) -> list[str]:
    head, rows = request_rows(mg, scenario)
    if "hours_at_work" not in mg.table:
        return []

    lines = ["", f"As a resource request: each option's people, paid as the table above says (hours of the window: "
                 f"{window_words(getattr(mg, 'window', None))}), and the chance of meeting each target: "
                 "the share of days meeting it / the share of replications whose whole window meets it"]
    if scenario.costs is not None:
        m = money_of(scenario, 1.0)
        lines[-1] += (f"; EUR = FTE x {m['month_norm_hours']:.1f} h a month (x {m['year_norm_hours']:,.0f} h a year) x "
                      f"{m['eur_per_paid_hour']:g} EUR per paid hour")
    lines[-1] += ":"
    lines += text_columns([tuple(head), *map(tuple, rows)], align="r" * len(head))
    return lines
