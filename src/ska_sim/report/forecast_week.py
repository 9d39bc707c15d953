"""The forecast behind the simulated week in the report: its band plot and table (the rows
scenario/forecast.forecast_week gives); renders only."""

from __future__ import annotations

import html

import numpy as np

from ska_sim.report.style import BLUE, ORANGE, VERMILLION, pyplot
from ska_sim.scenario.forecast import forecast_note, forecast_week


def forecast_figure(rows: list[dict]):
    """First calls per date: the forecast's mean, its 80% and 95% bands, overrides marked."""
    plt = pyplot()
    x = np.arange(len(rows))
    fig, ax = plt.subplots(figsize=(10, 3.6), layout="constrained")
    ax.fill_between(x, [r["low_95"] for r in rows], [r["high_95"] for r in rows], color=BLUE, alpha=0.15,
                    label="95% interval")
    ax.fill_between(x, [r["low_80"] for r in rows], [r["high_80"] for r in rows], color=BLUE, alpha=0.3,
                    label="80% interval")
    ax.plot(x, [r["calls"] for r in rows], color=BLUE, marker="o", label="first calls (the forecast's mean, or the override)")
    over = [i for i, r in enumerate(rows) if r["override"]]
    if over:
        ax.scatter(over, [rows[i]["calls"] for i in over], color=VERMILLION, zorder=3, s=60, label="override")
        given = [i for i in over if rows[i]["forecast"] is not None]
        ax.scatter(given, [rows[i]["forecast"] for i in given], color=ORANGE, marker="x", zorder=3,
                   label="forecast before the override")
    ax.set_xticks(x, [f"{r['weekday']} {r['date'][5:]}" for r in rows])
    ax.set_ylabel("first calls per day")
    ax.set_ylim(bottom=0)
    ax.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncols=4)
    return fig


def forecast_html(s, png) -> str:
    """The section's HTML ('' without [arrivals.forecast]); ``png`` turns a figure into an image source."""
    rows = forecast_week(s)
    if not rows:
        return ""
    e = lambda t: html.escape(str(t), quote=True)  # noqa: E731
    body = "".join(
        f"<tr><td>{e(r['weekday'])} {e(r['date'])}</td><td>{r['calls']:,.0f}"
        f"{' <b>override</b>' if r['override'] else ''}</td>"
        f"<td>{'' if r['forecast'] is None else format(r['forecast'], ',.0f')}</td>"
        f"<td>{r['low_80']:,.0f}-{r['high_80']:,.0f}</td><td>{r['low_95']:,.0f}-{r['high_95']:,.0f}</td>"
        f"<td style='text-align:left'>{e('; '.join(r['effects']) or '-')}"
        f"{'; closed in the forecast' if r['closed'] else ''}{'' if r['open'] else '; the calendar closes it'}</td></tr>"
        for r in rows)
    src = png(forecast_figure(rows))
    return (f"<p class='sub'>{e(forecast_note(s))}.</p>"
            f"<img src='{src}' alt='First calls per day: the forecast with its 80% and 95% intervals'>"
            "<table><thead><tr><th>date</th><th>first calls (mean)</th><th>forecast</th><th>80% interval</th>"
            "<th>95% interval</th><th>effects that apply</th></tr></thead>"
            f"<tbody>{body}</tbody></table>")
