"""The text of written work (``[[written]]``): per kind and every kind, items received, done,
on time against the target, past deadline, the backlog at the window's end, ages at completion
and hours of written work (dedicated, blended between calls). Reads the result's ``written`` table and targets; computes nothing."""

from __future__ import annotations

from ska_sim.report.columns import text_columns


def _num(x: float, digits: int = 0) -> str:
    return "-" if x != x else f"{x:,.{digits}f}"


def written_parts(result) -> list[str]:
    """The written-work section ([] without [[written]])."""
    df = getattr(result, "written", None)
    if df is None:
        return []
    rows = [("kind", "received", "done", "on time", "95% interval", "past deadline", "backlog at end",
             "age mean", "age p90", "hours dedicated", "hours blended")]
    for r in df.to_dict(orient="records"):
        rows.append((str(r["kind"]), _num(r["written_received"]), _num(r["written_done"]),
                     "-" if r["written_on_time"] != r["written_on_time"] else f"{r['written_on_time']:.1%}",
                     f"[{r['written_on_time_ci_low']:.1%}, {r['written_on_time_ci_high']:.1%}]"
                     if r["written_on_time_ci_low"] == r["written_on_time_ci_low"] else "-",
                     _num(r["written_past_deadline"]), _num(r["written_backlog"]),
                     _num(r["written_age_mean_h"], 1) + " h", _num(r["written_age_p90_h"], 1) + " h",
                     _num(r["written_hours"], 1) + " h", _num(r["written_hours_blended"], 1) + " h"))
    n_days = len(result.days)
    lines = [f"Written work ({n_days} open days; items per window; on time: of the items due in the window, "
             "the share done by their deadline; backlog: items waiting or in hand at the end of the last day)"]
    lines += text_columns(rows, align="lrrrrrrrrrr")
    t = result.targets.set_index("kpi")
    if "written_on_time" in t.index:
        r = t.loc["written_on_time"]
        lines.append(f"target: written work on time {r.target}: {r.status} (days met {r.days_met_share:.0%}, "
                     f"window met {r.replications_met_share:.0%})")
    return ["\n".join(lines)]
