"""The Erlang C cross-check in words, under the time-of-day table: what it compares (one pool,
the inbound groups pooled, or each agent group on its own calls), the window figures, the
groups left out and why, and the mechanisms that explain a difference. Reads ``result.erlang``;
computes nothing. Also the `erlang` command's table (:func:`erlang_table`)."""

from __future__ import annotations

import math

from ska_sim.report.columns import fmt, text_columns
from ska_sim.sim.erlang_check import DIFFERS_MIN_REPLICATIONS, PER_GROUP, POOLED


def pct(value) -> str:
    return "-" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.1%}"


def erlang_label(e: dict) -> str:
    """The name of the Erlang C line in plots and on the page."""
    return {PER_GROUP: "Erlang C per agent group", POOLED: "Erlang C, inbound groups pooled"}.get(e.get("compares"),
                                                                                                 "Erlang C")


def what_it_compares(e: dict) -> str:
    """The cross-check's first words: what Erlang C is evaluated on."""
    if e.get("compares") == PER_GROUP:
        return (f"Erlang C cross-check per agent group (each group on the calls offered to it in the simulation: "
                f"its own, those that overflowed to it, and those lost while it was first in line; its agents and "
                f"AHT; mean AHT {e['aht_s']:.0f} s)")
    if e.get("compares") == POOLED:
        names = ", ".join(g["group"] for g in e["groups"] if g.get("compared"))
        return (f"Erlang C cross-check of the inbound groups pooled ({names}: they take every call at once; "
                f"AHT {e['aht_s']:.0f} s, each interval's simulated offered load and their agents)")
    return f"Erlang C cross-check (AHT {e['aht_s']:.0f} s, each interval's simulated offered load and agents)"


def group_rows(e: dict) -> list[str]:
    """Per agent group: its calls, AHT, Erlang C against simulated, intervals that differ; or why it is left out."""
    per_group = e.get("compares") == PER_GROUP
    head = ("group", "offered", "AHT", "Erlang C", "simulated", "intervals differ", "unstable") if per_group else \
        ("group", "offered", "AHT", "simulated", "", "", "")
    rows = [head]
    for g in e["groups"]:
        if not g.get("compared"):
            continue
        row = [g["group"], f"{g['offered']:,.0f}", f"{g['aht_s']:.0f} s"]
        if per_group:
            differ = f"{g['differing_intervals']} of {g['tested_intervals']}" if g["tested_intervals"] else "not tested"
            row += [pct(g["erlang_c_service_level"]), pct(g["service_level"]), differ, str(g["unstable_intervals"])]
        else:
            row += [pct(g["service_level"]), "", "", ""]
        rows.append(tuple(row))
    lines = ["  " + line for line in text_columns(rows, align="lrrrrrr")] if len(rows) > 1 else []
    out = [f"{g['group']} ({g['reason']})" for g in e["groups"] if not g.get("compared")]
    if out:
        lines.append("Left out of the comparison: " + ", ".join(out) + ".")
    if per_group and any(g.get("unstable_intervals") for g in e["groups"]):
        lines.append("Unstable: Erlang C has no answer where a group's calls need more agents than it has (it would "
                     "queue them forever); in the simulation those callers hang up or go to another group.")
    return lines


def group_summary(result) -> str:
    """With agent groups, one paragraph: what the cross-check compares, its window figure and the
    groups left out (for the report under the interval plot); '' without groups."""
    e = result.erlang
    if "compares" not in e:
        return ""
    lines = cross_check_lines(result)
    return " ".join([lines[0]] + [x for x in lines if x.startswith("Left out")])


def cross_check_lines(result) -> list[str]:
    """The cross-check's lines: window figures, per group (with agent groups), Erlang A, explanations."""
    e = result.erlang
    window_sim = result.summary.set_index("kpi").loc["service_level"]
    unstable = "a group's load >= its agents" if e.get("compares") == PER_GROUP else "load >= agents"
    lines = [
        f"{what_it_compares(e)}: {pct(e['service_level'])} over the window, simulated {pct(window_sim['mean'])}; "
        + (
            f"{e['differing_intervals']} of {e['intervals']} intervals differ at the {e['differs_level']:.0%} level (*; "
            f"about {e['expected_by_chance']:.0f} would by chance even if Erlang C held exactly), "
            if e.get("tested_intervals")
            else f"intervals not tested for a difference (fewer than {DIFFERS_MIN_REPLICATIONS} replications), "
        )
        + f"{e['unstable_intervals']} are unstable under Erlang C ({unstable})."
    ]
    if "groups" in e:
        lines.append("Per agent group (offered: calls over the window; simulated: answered by the group within the "
                     "threshold / offered to it):" if e.get("compares") == PER_GROUP else
                     "The groups pooled (offered: calls over the window; simulated: answered by the group within "
                     "the threshold / offered to it):")
        lines += group_rows(e)
    if "erlang_a_service_level" in e:
        lines.append(
            f"Erlang A, with exponential patience of mean {e['patience_mean_s']:.0f} s"
            + (" (the call types' patience, weighted by their shares)" if result.scenario.uses_type_patience() else "")
            + ", gives "
            f"{pct(e['erlang_a_service_level'])} and an abandon rate of {pct(e['erlang_a_abandon_rate'])} "
            f"(simulated {pct(result.summary.set_index('kpi').loc['abandon_rate', 'mean'])}): "
            "what remains between it and the simulation is the other mechanisms below."
        )
    if e["differing_intervals"] and e["explanations"]:
        lines.append("What Erlang C leaves out here:")
        lines += [f"  - {x}" for x in e["explanations"]]
    elif e["differing_intervals"]:
        lines.append("The scenario has none of the mechanisms Erlang C leaves out: flagged intervals are expected by chance.")
    return lines


def erlang_table(table: dict, calls, interval_s, aht_s, threshold_s, target, patience_s) -> str:
    model = "Erlang A (M/M/c+M)" if patience_s else "Erlang C (M/M/c)"
    head = (
        f"{model}: {calls:g} calls per {interval_s / 60:g} min, AHT {aht_s:g} s"
        + (f", mean patience {patience_s:g} s" if patience_s else "")
        + f" -> offered load {table['load_erlang']:.2f} Erlang"
    )
    lines = [head, f"Target: {target:.0%} of calls answered within {threshold_s:g} s", ""]
    abandon = bool(patience_s)  # Erlang C has no abandons: no column
    rows = [("agents", "P(wait)", f"service level ({threshold_s:g} s)", "ASA", *(("abandon",) * abandon), "occupancy", "note")]
    for r in table["rows"]:
        if not r["stable"]:
            rows.append((str(r["agents"]), "1", "unstable", "-", *(("-",) * abandon), "-",
                         "load >= agents: the queue grows without bound"))
            continue
        mark = "<- required" if r["required"] else ("<- given" if r["agents"] == table["agents"] else "")
        rows.append((str(r["agents"]), f"{r['p_wait']:.3f}", fmt(r["service_level"], "share"), fmt(r["asa_s"], "s"),
                     *((fmt(r["abandon_rate"], "share"),) if abandon else ()), fmt(r["occupancy"], "share"), mark))
    lines += text_columns(rows, align="rrrr" + "r" * abandon + "rl")
    lines.append("")
    lines.append(f"Required: {table['required_agents']} agents on the phones (before shrinkage).")
    return "\n".join(lines)
