"""`ska-sim forecast`: first calls per call type and date, with prediction intervals, from a
history of daily counts or call logs."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from ska_sim.cli.common import check_out, fail, handles_bad_input, private_errors


def _date(option: str, text: str | None) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        fail([f"{option}: {text!r} is not a date (YYYY-MM-DD)"])


@click.command()
@click.argument("history_files", metavar="HISTORY...", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--horizon-days", type=int, required=True, help="Days to forecast (1 to 730).")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False),
              help="Write forecast.csv, effects.csv, forecast.png, scenario-forecast.toml (and profile.csv, "
                   "backtest.csv) and manifest.json here.")
@click.option("--start", "start_text", metavar="DATE", help="First forecast date (default: the day after the history).")
@click.option("--events", "events_file", type=click.Path(dir_okay=False),
              help="User events (TOML: [[events]] name, start, end, optional factor).")
@click.option("--backtest", "run_backtest", is_flag=True,
              help="Also score the forecast and two seasonal-naive baselines from rolling origins over the last year.")
@click.option("--call-type", "call_types", multiple=True, help="Forecast only this call type (repeatable).")
@click.option("--columns", "columns_file", type=click.Path(dir_okay=False),
              help="Mapping file (TOML) for call logs with other column names or outcome words (as fit's).")
@click.option("--tz", default="Europe/Tallinn", show_default=True, help="Time zone of call-log timestamps without an offset.")
@click.option("--profile-weeks", type=click.IntRange(1, 52), default=8, show_default=True,
              help="Recent weeks of a call log the intraday profile is counted over.")
@handles_bad_input
@private_errors
def forecast(history_files, horizon_days, out_dir, start_text, events_file, run_backtest, call_types, columns_file,
             tz, profile_weeks) -> None:
    """Forecast first calls per call type and date from HISTORY (daily-counts CSVs with columns
    date,calls or date,call_type,calls, or call logs), with 80% and 95% prediction intervals; the
    calendar (Estonian holidays, shortened days, payment days, month starts, days after a holiday,
    your events) enters as estimated effects."""
    start = _date("--start", start_text)
    import zoneinfo

    try:  # checked whatever the history: a log read later would refuse it only then
        zoneinfo.ZoneInfo(tz)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        fail([f"--tz {tz}: not a known time zone (e.g. Europe/Tallinn)"])
    for option, path in [("--events", events_file), ("--columns", columns_file)] + [
            ("HISTORY", p) for p in history_files]:
        if path is not None and not Path(path).is_file():
            fail([f"{option} {path}: " + ("not a file" if Path(path).exists() else "file not found")])
    check_out(out_dir, "forecast")
    import pandas as pd

    from ska_sim.forecast.events import read_events
    from ska_sim.forecast.history import build_history, is_daily_counts, read_daily_counts
    from ska_sim.forecast.predict import make_forecast
    from ska_sim.report.forecast import forecast_text, write_forecast

    events = read_events(events_file) if events_file else []
    daily = [p for p in history_files if is_daily_counts(p)]
    logs = [p for p in history_files if p not in daily]
    parts = [read_daily_counts(p) for p in daily]
    profile = None
    if logs:
        first_calls = _first_calls(logs, columns_file, tz, profile_weeks)
        parts.append(first_calls.rows.assign(source=", ".join(logs), line=0))
        profile = first_calls.profile
        click.echo(f"{', '.join(logs)}: {first_calls.first_calls:,} first calls of {first_calls.calls:,} calls; "
                   f"profile from {first_calls.profile_weeks[0]} to {first_calls.profile_weeks[1]}")
    source = ", ".join(Path(p).name for p in history_files)
    history = build_history(pd.concat(parts, ignore_index=True), source, dt.date.today(),
                            call_types=list(call_types) or None)
    fc = make_forecast(history, horizon_days, start, events, profile=profile, events_source=f"--events {events_file}")
    bt = None
    if run_backtest:
        from ska_sim.forecast.backtest import backtest

        bt = backtest(history, horizon_days, events)
    write_forecast(fc, out_dir, sources=list(history_files), bt=bt, events_file=events_file)
    click.echo(forecast_text(fc, bt))
    click.echo(f"Forecast, effects, plot and scenario fragment written to {out_dir}/")


def _first_calls(logs, columns_file, tz, profile_weeks):
    """The call logs' first calls per date and type (fit's classification) and their recent profile."""
    import pandas as pd

    from ska_sim.calibration.calllog import load_columns, read_log
    from ska_sim.calibration.daily import daily_first_calls
    from ska_sim.calibration.estimators import FitError
    from ska_sim.calibration.prepare import FitOptions

    columns = load_columns(columns_file) if columns_file else None
    frames = [read_log(p, columns, tz=tz).frame for p in logs]
    frame = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
    try:
        return daily_first_calls(frame, FitOptions(tz=tz), profile_weeks, source=", ".join(logs))
    except FitError as exc:
        fail(exc.problems)
