"""The answers of ``plan-hiring`` and the monthly heads table in words and columns (the figures
are ``ska_sim.plan.workforce``'s)."""

from __future__ import annotations

from ska_sim.plan.workforce import HiringPlan


def hiring_text(p: HiringPlan) -> str:
    """The plan-hiring answer in words and tables."""
    m = p.month[0].strftime("%Y-%m")
    lines = []
    conf = f" and a chance of at least {p.confidence:.0%}" if p.confidence is not None else ""
    if p.hires is None:
        lines.append(f"No number of hires up to {p.max_hires} starting on {p.start_by.isoformat()} makes {m} meet "
                     f"its targets by the mean{conf}.")
    else:
        lines.append(f"{p.hires} hire{'s' if p.hires != 1 else ''} starting by {p.start_by.isoformat()} make {m} meet "
                     f"its targets by the mean{conf}" + (f"; {p.hires - 1} do not." if p.hires else " (none needed)."))
    lines.append("")
    lines.append("hires  service level  answer rate  effective FTE  chance of meeting (share of replications)  meets")
    for r in p.tried:
        ch = ", ".join(f"{k} {v:.0%}" for k, v in r["chance"].items())
        lines.append(f"{r['hires']:>5}  {r['service_level']:>13.1%}  {r['answer_rate']:>11.1%}  "
                     f"{r['effective_fte']:>13.1f}  {ch:<41}  {'yes' if r['meets'] else 'no'}")
    if p.result is not None:
        summ = p.result.result.summary.set_index("kpi")
        lines.append("")
        lines.append(f"{m} with {p.hires if p.hires is not None else p.max_hires} hires ({p.result.result.replications} "
                     "replications, 95% intervals):")
        for k in ("service_level", "answer_rate", "fcr"):
            if k in summ.index:
                row = summ.loc[k]
                lines.append(f"  {k:<14} {row['mean']:.1%} [{row['ci_low']:.1%}, {row['ci_high']:.1%}]")
    if p.months is not None and len(p.months):
        lines.append("")
        lines.append("Heads per month with these hires (expected values; leavers at the month's end):")
        lines.append(months_text(p.months))
    return "\n".join(lines)


def months_text(df) -> str:
    head = (f"{'month':<8} {'start':>7} {'hires':>6} {'leavers':>8} {'end':>7} {'training':>9} {'on phones':>10} "
            f"{'phone FTE':>10} {'eff. FTE':>9} {'plan FTE':>9}")
    out = [head]
    roster = "roster_employed" in df.columns
    if roster:  # the roster's people that month: employed (heads), on leave, on no day; paid their contracts
        out[0] += f"  {'roster: employed':>16} {'on leave':>8} {'no day':>6} {'contract FTE':>12}"
    sim = "service_level" in df.columns
    if sim:
        out[0] += f"  {'service level':>24}  {'answer rate':>24}"
    for r in df.to_dict("records"):
        line = (f"{r['month']:<8} {r['heads_start']:>7.1f} {r['hires']:>6.1f} {r['leavers']:>8.2f} {r['heads_end']:>7.1f} "
                f"{r['heads_training']:>9.1f} {r['heads_on_phones']:>10.1f} {r['phone_fte']:>10.1f} "
                f"{r['effective_fte']:>9.1f} {r['plan_fte']:>9.1f}")
        if roster:
            line += (f"  {r['roster_employed']:>16.0f} {r['roster_on_leave']:>8.0f} {r['roster_not_rostered']:>6.0f} "
                     f"{r['roster_fte']:>12.1f}")
        if sim:
            for k in ("service_level", "answer_rate"):
                line += f"  {r[k]:>6.1%} [{r[k + '_ci_low']:.1%}, {r[k + '_ci_high']:.1%}]"
        out.append(line)
    return "\n".join(out)
