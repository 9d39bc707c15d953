"""Written work (``[[written]]``) in the HTML report: the backlog plot (items waiting or in hand at
the end of each measured day per kind, the result's ``written_days``; items received and done per
day, the days table's columns) and the table of the written KPIs per kind (the result's
``written`` table). Renders only."""

from __future__ import annotations

import html

import numpy as np

from ska_sim.report.style import BLUE, GREEN, ORANGE, PURPLE, SKY, VERMILLION, pyplot

LINES = (ORANGE, BLUE, VERMILLION, PURPLE)  # one backlog line per kind

# (column of the written table, heading, unit); "window" columns hold each kind's window figures
COLUMNS = (
    ("written_received", "received", "items"),
    ("written_done", "done", "items"),
    ("written_on_time", "on time", "share"),
    ("written_past_deadline", "past deadline", "items"),
    ("written_backlog", "backlog at end", "items"),
    ("written_age_mean_h", "age mean", "h"),
    ("written_age_p90_h", "age p90", "h"),
    ("written_hours", "hours dedicated", "h"),
    ("written_hours_blended", "hours blended", "h"),
)


def backlog_figure(result):
    """Items received and done per measured day, every kind together (bars), and the backlog at
    each day's end per kind (lines; with more than one kind, every kind's too), means over the
    replications."""
    plt = pyplot()
    d = result.days
    x = np.arange(len(d))
    fig, ax = plt.subplots(figsize=(10, 3.8), layout="constrained")
    ax.bar(x - 0.2, d["written_received"], width=0.4, color=SKY, label="items received (every kind)")
    ax.bar(x + 0.2, d["written_done"], width=0.4, color=GREEN, alpha=0.6, label="items done (every kind)")
    wd = result.written_days
    kinds = list(dict.fromkeys(wd["kind"]))
    for i, kind in enumerate(kinds):
        ax.plot(x, wd.loc[wd["kind"] == kind, "written_backlog"].to_numpy(), color=LINES[i % len(LINES)], marker="o",
                label=f"backlog at the day's end: {kind}")
    if len(kinds) > 1:
        ax.plot(x, d["written_backlog"], color="#222222", marker="s", linewidth=1.5, label="backlog: every kind")
    ax.set_xticks(x, [f"{w} {str(t)[5:]}" for w, t in zip(d["weekday"], d["date"])])
    ax.set_ylabel("items (mean over replications)")
    ax.set_ylim(bottom=0)
    ax.legend(loc="lower left", bbox_to_anchor=(0, 1.01), ncols=3)
    return fig


def written_table(result, num) -> str:
    """The written KPIs per kind and every kind, the share on time with its 95% interval and the
    target's status; ``num(value, unit, kpi, stat)`` formats a number with its raw value."""
    df = result.written
    targets = result.targets.set_index("kpi")
    target = (f"{html.escape(str(targets.loc['written_on_time', 'target']))} "
              f"{html.escape(str(targets.loc['written_on_time', 'status']))}" if "written_on_time" in targets.index else "")
    head = "".join(f"<th>{h}</th>" for h in ("kind", *(c[1] for c in COLUMNS[:3]), "95% interval",
                                                *(c[1] for c in COLUMNS[3:])))
    rows = []
    for r in df.to_dict(orient="records"):
        kind = str(r["kind"])
        cells = [f"<td>{html.escape(kind)}</td>"]
        for col, _, unit in COLUMNS:
            cells.append(f"<td>{num(r[col], unit, col, kind)}</td>")
            if col == "written_on_time":
                cells.append(f"<td>{num(r[col + '_ci_low'], unit)} to {num(r[col + '_ci_high'], unit)}</td>")
        rows.append(f'<tr data-kind="{html.escape(kind)}">' + "".join(cells) + "</tr>")
    return (f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
            f'<p class="note">Items per window of {len(result.days)} measured open days, per replication. On time: of the '
            "items due in the window, the share done by their deadline"
            + (f" (target {target})" if target else "")
            + ". Backlog: items waiting or in hand at the end of the last day. Age: arrival to completion. "
            "Hours: written work by agents taken off the phones (dedicated) and taken between calls (blended).</p>")


def written_html(result, png, img, num) -> str:
    """The section's body ("" without [[written]]): the backlog plot and the KPI table."""
    if getattr(result, "written", None) is None:
        return ""
    return (img(png(backlog_figure(result)), "Written work per day: items received and done, backlog at the day's end")
            + written_table(result, num))
