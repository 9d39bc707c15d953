"""`ska-sim fit`: a scenario estimated from a call log."""

from __future__ import annotations

from pathlib import Path

import click

from ska_sim.cli.common import private_errors, fail, FiniteRange, check_out_file, handles_bad_input


def text_of(notes: dict) -> str:
    return " ".join(str(v) for v in notes.values())


def _erlang_placeholder(result, source: str) -> None:
    """Placeholder agents for a log without agent ids or a staffing file: what `ska-sim staff`
    (Erlang, interval scope) asks for on the fitted scenario, i.e. on the fixed-point load of
    first calls plus the redials and repeat calls they cause (staffing.erlang_plan), for the
    scenario's targets (SKA's defaults). Per weekday and interval: the most any measured day of
    that weekday with its ordinary hours needs."""
    import tomllib

    import numpy as np

    from ska_sim.calibration import fit as calibrate
    from ska_sim.scenario.clock import WEEKDAYS
    from ska_sim.scenario.load import scenario_from_dict
    from ska_sim.plan.load import LoadModel
    from ska_sim.plan.requirement import erlang_plan

    scen = result.scenario
    s = scenario_from_dict(tomllib.loads(calibrate.to_toml(result)), source)
    lm = LoadModel(s)
    plan = erlang_plan(s, "interval", lm=lm)
    tl = lm.tl
    iv_s = tl.interval_s
    own = set(scen["calendar"].get("date_hours", {}))
    weekday = np.array([WEEKDAYS[tl.dates[d].weekday()] for d in tl.iv_day])
    ordinary = np.array([tl.dates[d].isoformat() not in own for d in tl.iv_day]) & tl.iv_measured()
    agents = scen["staffing"]["agents"]
    for name, vals in agents.items():
        h, m = map(int, scen["calendar"]["hours"][name][0].split(":"))
        first_slot = (h * 3600 + m * 60) // iv_s
        for k in range(len(vals)):
            sel = ordinary & (weekday == name) & (tl.iv_slot == first_slot + k)
            if sel.any():
                vals[k] = int(plan.agents[sel].max())
    result.notes["staffing"] = result.notes["staffing"].replace(
        "agents are the Erlang C requirement for 80/20 on the fitted first calls",
        "agents are what `ska-sim staff` (Erlang, interval scope) asks for on this fitted scenario: the "
        "fixed-point load of first calls plus the redials and repeat calls they cause, for SKA's default "
        "targets (80% in 20 s" + (", Erlang A with the fitted patience's mean" if s.patience is not None else "")
        + "), the most any measured day of the weekday needs per interval")


def _smooth(value: str) -> str:
    if value in ("none", "pool"):
        return value
    try:
        k = int(value)
    except ValueError:
        k = 0
    if k < 1 or k % 2 == 0 or k > 15:
        fail([f"--smooth: must be none, pool, or an odd number of intervals 1..15 for a moving average (got {value!r})"])
    return str(k)


@click.command()
@click.argument("log_file", metavar="LOG", type=click.Path(dir_okay=False))
@click.option("--out", "out_file", required=True, type=click.Path(dir_okay=False),
              help="The fitted scenario (TOML), with sample sizes and diagnostics as comments.")
@click.option("--columns", "mapping_file", type=click.Path(dir_okay=False),
              help="Mapping file (TOML): [columns] arrival = \"StartTime\", ... for a log with other column names; "
                   "[outcome_values] abandoned = [\"Lost\"], ... and [kind_values] for its own outcome and kind words.")
@click.option("--tz", default="Europe/Tallinn", show_default=True, help="Time zone of timestamps without an offset.")
@click.option("--interval", "interval_min", type=click.Choice(["15", "30", "60"]), default="30", show_default=True,
              help="Planning interval (minutes) of the profile and staffing.")
@click.option("--smooth", default="none", show_default=True, metavar="none|pool|K",
              help="Profile smoothing: none; pool (one profile for weekdays with the same hours); K: moving average "
                   "over K intervals (odd).")
@click.option("--acw-s", type=FiniteRange(min=0, max=86400), default=None,
              help="After-call work per answered call (s) when the log has no wrap-up column (not estimated; "
                   "ignored, with a note, when it has one).")
@click.option("--redial-window-min", type=FiniteRange(min=0, min_open=True, max=1440), default=60.0,
              show_default=True, help="A call within this many minutes of opening time after an unanswered call "
                                      "of the same caller is a redial.")
@click.option("--repeat-window-days", type=FiniteRange(min=0, min_open=True, max=90), default=14.0,
              show_default=True, help="A call within this many days after an answered call of the same caller is a "
                                      "repeat call.")
@click.option("--repeat-probability", type=FiniteRange(min=0, min_open=True, max=1), default=1.0,
              show_default=True, help="The fixed factor of (1 - resolved) x repeat.probability (only the product is "
                                      "in a log); resolved is fitted given it.")
@click.option("--staffing", "staffing_file", type=click.Path(dir_okay=False),
              help="Agents on the phones per interval (calllog.agents_per_interval's format); else agent ids of the log.")
@click.option("--report", "report_file", type=click.Path(dir_okay=False),
              help="Also write the fit report (HTML, self-contained): Q-Q plots, Kaplan-Meier, profiles, volumes.")
@click.option("--skip-bad-rows", is_flag=True, help="Skip rows with bad values (counted in the output) instead of failing.")
@handles_bad_input
@private_errors
def fit(log_file, out_file, mapping_file, tz, interval_min, smooth, acw_s, redial_window_min, repeat_window_days,
        repeat_probability, staffing_file, report_file, skip_bad_rows) -> None:
    """Estimate a scenario from a call LOG (CSV or Parquet): volume, profile, handle times, patience,
    redials, repeat calls and agents; write it to --out."""
    import zoneinfo

    try:
        zoneinfo.ZoneInfo(tz)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        fail([f"--tz: unknown time zone {tz!r} (an IANA name such as Europe/Tallinn)"])
    smooth = _smooth(smooth)
    from ska_sim.base.memory import lean_memory

    lean_memory()  # before pandas/pyarrow load: a year of calls, freed memory goes back to the OS
    from ska_sim.calibration import fit as calibrate
    from ska_sim.calibration import calllog
    from ska_sim.report.fit import fit_summary

    for option, path in (("--columns", mapping_file), ("--staffing", staffing_file)):
        if path is not None and not Path(path).is_file():
            fail([f"{option} {path}: " + ("not a file" if Path(path).exists() else "file not found")])
    columns = calllog.load_columns(mapping_file) if mapping_file else None
    if not out_file.lower().endswith(".toml"):  # the fitted scenario is TOML
        fail([f"--out {out_file}: the fitted scenario is a TOML file: give a name ending in .toml"])
    check_out_file(out_file, "--out")
    if report_file:
        if not report_file.lower().endswith((".html", ".htm")):
            fail([f"--report {report_file}: the file name must end in .html"])
        check_out_file(report_file, "--report")

    import tomllib

    from ska_sim.base.files import write_text
    from ska_sim.scenario.load import scenario_from_dict

    log = calllog.read_log(log_file, columns=columns, tz=tz, skip_bad_rows=skip_bad_rows)
    frame = log.frame
    agents = calllog.agents_per_interval(log, int(interval_min), staffing_file=staffing_file)
    agents_source = agents.attrs.get("source") if agents is not None else None
    options = calibrate.FitOptions(tz=tz, interval_min=int(interval_min), smooth=smooth, acw_s=acw_s,
                                   redial_window_min=redial_window_min, repeat_window_days=repeat_window_days,
                                   repeat_probability=repeat_probability)
    name = Path(log_file).name
    try:
        result = calibrate.fit_log(frame, options, agents=agents, agents_source=agents_source, source=name)
    except calibrate.FitError as exc:
        fail(exc.problems)
    result.header += [f"Reading {name}: {note}" for note in getattr(log, "notes", [])]
    if acw_s is not None and "from --acw-s" not in text_of(result.notes):
        click.echo(f"note: --acw-s {acw_s:g} not used: {name} has a wrap-up column (after-call work is fitted from it)",
                   err=True)
    if agents is None:
        _erlang_placeholder(result, name)
    skipped = getattr(log, "skipped", None)
    text = calibrate.to_toml(result)
    scenario_from_dict(tomllib.loads(text), out_file)  # the file written is a valid scenario
    html = None
    if report_file:
        from ska_sim.report.fit import build_fit_report

        html = build_fit_report(result, name)
    write_text(out_file, text)
    if html is not None:
        write_text(report_file, html)
    for line in fit_summary(result):
        click.echo(line)
    if skipped is not None and len(skipped):
        click.echo(f"skipped {len(skipped):,} bad rows (--skip-bad-rows)")
    click.echo(f"Scenario written to {out_file}" + (f", report to {report_file}" if report_file else ""))
