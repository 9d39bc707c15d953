"""Plots of a simulation result (PNG)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ska_sim.report.erlang_text import erlang_label
from ska_sim.report.style import BLUE, CYCLE, GREY, ORANGE, pyplot, TARGET, VERMILLION
from ska_sim.sim.targets import targets_of


def service_level_by_interval(result, path: str | Path) -> None:
    """Offered calls and service level per interval against the target (two panels)."""
    plt = pyplot()
    iv = result.intervals
    x = np.arange(len(iv))
    target = result.scenario.targets.service_level
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(10, 6), sharex=True, height_ratios=[1, 1.3])
    top.bar(x, iv["offered"], color=BLUE, width=0.85, label="offered calls (mean)")
    top.plot(x, iv["agents"], color=ORANGE, drawstyle="steps-mid", label="agents on the phones")
    top.set_ylabel("calls / agents per interval")
    top.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncols=2)
    bottom.fill_between(x, iv["service_level_ci_low"], iv["service_level_ci_high"], color=BLUE, alpha=0.25,
                        label="95% interval", step="mid")
    bottom.plot(x, iv["service_level"], color=BLUE, drawstyle="steps-mid", label="service level (simulated)")
    bottom.plot(x, iv["erlang_c_service_level"], color=GREY, drawstyle="steps-mid", linewidth=1,
                label=erlang_label(result.erlang))
    bottom.axhline(target.share, **TARGET, label=f"target {target.share:.0%} within {target.label()}")
    bottom.set_ylim(0, 1.02)
    bottom.set_ylabel(f"answered within {target.label()} / offered")
    bottom.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
    starts = np.flatnonzero(iv["date"].ne(iv["date"].shift()).to_numpy())
    bottom.set_xticks(starts, [f"{iv['weekday'][i]} {iv['date'][i][5:]}" for i in starts])
    for ax in (top, bottom):
        for s in starts[1:]:
            ax.axvline(s - 0.5, color="#cccccc", linewidth=0.8)
    bottom.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncols=4)
    fig.suptitle(result.scenario.name)
    fig.tight_layout()
    fig.savefig(path, format="png")
    plt.close(fig)


def coverage_figure(staffing):
    """Agents at work: required vs scheduled by the shift plan, per interval of the measured days.
    The title sits above the legend (constrained layout), never on it."""
    plt = pyplot()
    cov = staffing.coverage
    x = np.arange(len(cov))
    fig, ax = plt.subplots(figsize=(10, 4.4), layout="constrained")
    ax.step(x, cov["required_at_work"], where="mid", color=ORANGE, label="required at work")
    ax.step(x, cov["scheduled_at_work"], where="mid", color=BLUE, label="scheduled by the shift plan")
    ax.step(x, cov["agents_on_phones"], where="mid", color=GREY, linewidth=1, label="of whom on the phones")
    starts = np.flatnonzero(cov["date"].ne(cov["date"].shift()).to_numpy())
    ax.set_xticks(starts, [cov["date"][i][5:] for i in starts])
    for s in starts[1:]:
        ax.axvline(s - 0.5, color="#cccccc", linewidth=0.8)
    ax.set_ylabel("agents per interval")
    ax.set_ylim(bottom=0)
    ax.legend(loc="lower left", bbox_to_anchor=(0, 1.01), ncols=3)
    fig.suptitle(f"{staffing.scenario.name}: coverage of the shift plan", fontsize=10)
    return fig


def coverage_plot(staffing, path) -> None:
    plt = pyplot()
    fig = coverage_figure(staffing)
    fig.savefig(path, format="png")
    plt.close(fig)


SWEEP_KPIS = ("service_level", "answer_rate", "abandon_rate", "asa_s", "occupancy")
AXIS = {
    "service_level": "service level (answered within T / offered)",
    "answer_rate": "answer rate (answered / offered)",
    "abandon_rate": "abandon rate (hung up / offered)",
    "asa_s": "ASA, mean wait of answered calls (s)",
    "occupancy": "occupancy (busy / on duty)",
}


def percent_label(v: float, _pos=None) -> str:
    """An axis tick of a share as the exact percentage: 0.725 -> '72.5%', 0.8 -> '80%' (never rounded
    to whole points, so 2.5-point ticks keep their half)."""
    return f"{round(v * 100, 6) + 0.0:g}%"


LANGUAGE_STYLES = ("--", ":", "-.")


def sweep_figure(sw, kpi: str):
    """One KPI against the first varied key (a line per value of a second key), 95% bands, its
    targets as dashed lines; each language with a target on the KPI as a curve of its own, and
    an x where a curve's mean misses its target."""
    plt = pyplot()
    t = sw.table
    x_key = sw.keys[0]
    fig, ax = plt.subplots(figsize=(7, 4))
    groups = [((), t)] if len(sw.keys) == 1 else list(t.groupby(sw.keys[1:]))
    targets = [t for t in sw.targets() if t["kpi"] == kpi]  # the line's and each language's
    missed = False
    for i, (g, part) in enumerate(groups):
        colour = CYCLE[i % len(CYCLE)]
        label = "simulated" if not g else ", ".join(f"{k}={v:g}" for k, v in zip(sw.keys[1:], np.atleast_1d(g)))
        ax.fill_between(part[x_key], part[f"{kpi}_ci_low"], part[f"{kpi}_ci_high"], color=colour, alpha=0.2)
        ax.plot(part[x_key], part[kpi], marker="o", color=colour, label=label)
        for j, t in enumerate(x for x in targets if x["language"]):  # each language's curve, its own style
            ax.plot(part[x_key], part[t["key"]], marker=".", color=colour, linestyle=LANGUAGE_STYLES[j % 3],
                    label=f"{label}, {t['language']} calls")
        for t in targets:  # points where the mean misses the target
            miss = ~part[f"{t['key']}_met"].astype(bool)
            if miss.any():
                ax.scatter(part[x_key][miss], part[t["key"]][miss], marker="x", s=60, color=VERMILLION, zorder=3,
                           label=None if missed else "target not met (mean)")
                missed = True
    lines: dict = {}  # one dashed line per bound, naming every target at it
    for target in targets_of(sw.results[0].scenario, languages=any(t["language"] for t in targets)):
        if target.kpi == kpi:
            for bound in (target.low, target.high):
                if bound is not None:
                    lines.setdefault(bound, []).append(target)
    for bound, at in lines.items():
        langs = [t.language for t in at if t.language]
        also = f" (also {', '.join(langs)} calls)" if langs and len(at) > len(langs) else ""
        ax.axhline(bound, **TARGET, label=f"target {at[0].describe()}{also}" if also or len(at) == 1
                   else "target " + "; ".join(t.describe() for t in at))
    ax.set_xlabel(x_key)
    ax.set_ylabel(AXIS[kpi])
    if kpi != "asa_s":
        ax.yaxis.set_major_formatter(plt.FuncFormatter(percent_label))
    ax.legend(loc="best")
    fig.tight_layout()
    return fig


def sweep_plot(sw, kpi: str, path) -> None:
    plt = pyplot()
    fig = sweep_figure(sw, kpi)
    fig.savefig(path, format="png")
    plt.close(fig)
