"""`ska-sim sweep` on the terminal: per point the KPIs with intervals, the plan's agents, FTE,
heads and euros, and each target's verdict (per language too), then where every target is met."""

from __future__ import annotations

import math

from ska_sim.report.columns import text_columns
from ska_sim.report.text import LABELS, fmt
from ska_sim.sim.kpi import KPI_UNITS
from ska_sim.sim.written_kpis import WRITTEN_KPI_UNITS

UNITS = {**KPI_UNITS, **WRITTEN_KPI_UNITS}  # a target's unit: the calls' KPIs and the written work's

SHORT = {"fcr": "FCR", "asa_s": "ASA"}  # target headers: short names where LABELS explains


def target_name(t: dict) -> str:
    """A target's short name: 'service level', 'answer rate (ru)'."""
    name = SHORT.get(t["kpi"], LABELS.get(t["kpi"], t["kpi"]))
    return f"{name} ({t['language']})" if t["language"] else name


def target_header(t: dict) -> str:
    """A target's column: its name and what it asks, 'service level (ru) >= 80%'."""
    asks = t["target"].replace(f" ({t['language']} calls)", "") if t["language"] else t["target"]
    return f"{target_name(t)} {asks}"


def norm_note(t) -> str:
    """The points' working-time norm per FTE, ' (29 h)', or ' (per point: 29-40 h)' when they differ."""
    if "working_time_norm_hours" not in t.columns or t.empty:
        return ""
    lo, hi = t["working_time_norm_hours"].min(), t["working_time_norm_hours"].max()
    return f" ({lo:g} h)" if lo == hi else f" (per point: {lo:g}-{hi:g} h)"


def sweep_text(sw) -> str:
    t = sw.table
    keys = tuple(sw.keys)
    blocked = "blocked" in t.columns  # with phone lines: busy tones, the rest of what is not answered
    money = "eur_per_month" in t.columns and t["eur_per_month"].notna().any()
    rows = [keys + ("service level", "answer rate", "abandon rate") + (("blocked",) if blocked else ())
            + ("ASA", "occupancy", "agents", "FTE", "heads") + (("EUR/month",) if money else ()) + ("all targets",)]
    for r in t.to_dict(orient="records"):
        rows.append(
            tuple(f"{r[k]:g}" for k in keys)
            + (f"{fmt(r['service_level'], 'share')} [{fmt(r['service_level_ci_low'], 'share')}, "
               f"{fmt(r['service_level_ci_high'], 'share')}]",
               fmt(r["answer_rate"], "share"), fmt(r["abandon_rate"], "share"))
            + ((fmt(r["blocked"] / r["offered"] if r["offered"] else float("nan"), "share"),) if blocked else ())
            + (fmt(r["asa_s"], "s"), fmt(r["occupancy"], "share"), f"{r['agents_mean']:.1f}", f"{r['fte']:.1f}",
               "-" if math.isnan(r["heads"]) else f"{r['heads']:.0f}")
            + ((f"{r['eur_per_month']:,.0f}",) if money else ())
            + ("PASS" if r["targets_pass"] else ("met (mean)" if r["targets_met"] else "no"),)
        )
    lines = [f"Sweep over {', '.join(keys)} (common random numbers; 95% intervals"
             + ("; blocked = busy tones / offered" if blocked else "")
             + "; agents = on the phones per open interval, mean; FTE = paid hours / the window's working-time norm"
             + norm_note(t) + "; heads and euros as `marginal` counts them)", ""]
    lines += text_columns(rows, align="r" * len(keys) + "rrr" + ("r" if blocked else "") + "rrrrr"
                          + ("r" if money else "") + "l")
    lines += ["", "Each target per point: its mean and verdict (PASS: the whole 95% interval meets it; "
              "FAIL: none of it; UNCERTAIN: the interval straddles it); not met: the targets the mean misses.", ""]
    lines += text_columns(target_rows(sw), align="r" * len(keys) + "r" * len(sw.targets()) + "l")
    for key, b in sw.bounds.items():
        lines.append("")
        if b["smallest_meeting"] is None:
            lines.append(f"No value of {key} in the sweep meets every target.")
        else:
            lines.append(
                f"{key}: every target is met (by the mean) from {b['smallest_meeting']:g} to {b['largest_meeting']:g}"
                + (f"; passed with the whole 95% interval from {b['smallest_passing']:g} to {b['largest_passing']:g}."
                   if b["smallest_passing"] is not None else "; no value passes with its whole 95% interval.")
            )
    return "\n".join(lines) + "\n"


def target_rows(sw) -> list[tuple]:
    """The targets table: a column per target (its mean and verdict), and the targets not met."""
    targets = sw.targets()
    rows = [tuple(sw.keys) + tuple(target_header(t) for t in targets) + ("not met (mean)",)]
    for r in sw.table.to_dict(orient="records"):
        cells = tuple(f"{fmt(r[t['key']], UNITS[t['kpi']])} {r[t['key'] + '_status']}" for t in targets)
        missed = [target_name(t) for t in targets if not r[t["key"] + "_met"]]
        rows.append(tuple(f"{r[k]:g}" for k in sw.keys) + cells + (", ".join(missed) or "-",))
    return rows
