"""The forecast's text, plot and result folder (``ska-sim forecast``): forecast.csv,
effects.csv, profile.csv (from a call log), backtest.csv (with --backtest), forecast.png,
scenario-forecast.toml and manifest.json, written whole."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from ska_sim.base.files import file_record, write_csv, write_json, write_text, write_with, writes_whole_folder
from ska_sim.base.jsonable import json_records
from ska_sim.base.version import __version__
from ska_sim.forecast.backtest import BacktestResult
from ska_sim.forecast.predict import Forecast, fragment_toml
from ska_sim.report.style import BLUE, GREY, ORANGE, VERMILLION, pyplot

HISTORY_SHOWN_DAYS = 180  # the plot shows this much history before the forecast
METHOD_NAMES = {"model": "forecast", "naive_week": "seasonal naive (a week back)",
                "naive_year": "seasonal naive (52 weeks back)"}


def forecast_text(fc: Forecast, bt: BacktestResult | None = None) -> str:
    h = fc.history
    lines = [f"Forecast of first calls from {h.source}: history {h.first} to {h.last}, "
             f"{fc.dates[0]} to {fc.dates[-1]} ({len(fc.dates)} days)",
             f"Method: {fc.method}" + ("; annual season and trend" if h.annual else ""),
             ""]
    lines += [f"note: {n}" for n in fc.notes]
    if fc.notes:
        lines.append("")
    w = max([9] + [len(t) for t in h.types])
    lines.append("Calendar effects (factor on the day's volume; SE: standard error):")
    lines.append(f"  {'call type':<{w}} {'effect':<34} {'factor':>7} {'SE':>7}  source")
    for r in fc.effects_table().itertuples():
        se = f"{r.se:.3f}" if r.source == "estimated" else "-"
        lines.append(f"  {r.call_type:<{w}} {r.effect:<34} {r.factor:>7.3f} {se:>7}  {r.source}")
    lines.append("")
    lines.append("Forecast over the horizon (open days):")
    lines.append(f"  {'call type':<{w}} {'open days':>9} {'calls':>10} {'sum 80% lo':>10} {'sum 80% hi':>10} {'per open day':>12}")
    for r in fc.totals().itertuples():
        lines.append(f"  {r.call_type:<{w}} {r.open_days:>9} {r.calls:>10,.0f} {r.low80_sum:>10,.0f} "
                     f"{r.high80_sum:>10,.0f} {r.per_open_day:>12,.1f}")
    lines.append("  (sum 80% lo / hi: each day's 80% bounds added up, wider than an 80% interval of the total)")
    if bt is not None:
        lines += ["", backtest_text(bt)]
    return "\n".join(lines)


def backtest_text(bt: BacktestResult) -> str:
    lines = [f"Backtest: {len(bt.origins)} origins ({bt.origins[0]} to {bt.origins[-1]}), horizon {bt.horizon} days, "
             "open days only",
             f"  {'method':<32} {'MASE':>6} {'MAPE':>7} {'80% cover':>9} {'95% cover':>9} {'days':>6}"]
    for r in bt.summary.itertuples():
        if not r.days:  # the 52-weeks-back baseline on a history shorter than a year and a horizon
            lines.append(f"  {METHOD_NAMES[r.method]:<32} {'-':>6} {'-':>7} {'-':>9} {'-':>9} {0:>6}  (no history a year "
                         "before these days)")
            continue
        lines.append(f"  {METHOD_NAMES[r.method]:<32} {r.mase:>6.3f} {r.mape:>6.1%} {r.cover80:>9.1%} "
                     f"{r.cover95:>9.1%} {r.days:>6}")
    lines.append("  MASE: mean absolute error / the in-sample mean absolute error of the seven-day seasonal naive")
    return "\n".join(lines)


def plot_forecast(fc: Forecast, path: str | Path) -> None:
    """Per type: the recent history, the forecast's mean and bands, holidays marked."""
    plt = pyplot()
    n = len(fc.types)
    fig, axes = plt.subplots(n, 1, figsize=(11, 3.4 * n), squeeze=False)
    hist = fc.history_table()
    since = fc.dates[0] - dt.timedelta(days=HISTORY_SHOWN_DAYS)
    holidays = [d for d in fc.calendar.frame.index if fc.calendar.frame.at[d, "holiday"] and d >= since]
    for ax, tf in zip(axes[:, 0], fc.types):
        closed = fc.calendar.frame["closed"]
        hh = hist[(hist["call_type"] == tf.call_type) & (hist["date"] >= since)]
        hh = hh[~closed.loc[list(hh["date"])].to_numpy(bool)]  # open days only: a closed day is 0 by the calendar
        ax.plot(pd.to_datetime(hh["date"]), hh["calls"], ".", ms=3, color=GREY, label="history (open days)")
        op = ~tf.closed
        x = pd.to_datetime(pd.Series([d for d, o in zip(tf.dates, op) if o]))
        ax.vlines(x, tf.low95[op], tf.high95[op], color=BLUE, alpha=0.25, lw=2, label="95% interval")
        ax.vlines(x, tf.low80[op], tf.high80[op], color=BLUE, alpha=0.5, lw=2, label="80% interval")
        ax.plot(x, tf.mean[op], ".", ms=4, color=BLUE, label="forecast mean")
        ax.axvline(pd.Timestamp(fc.dates[0]), color=GREY, lw=1, ls="--")
        for k, d in enumerate(holidays):
            ax.axvline(pd.Timestamp(d), color=VERMILLION, lw=0.7, alpha=0.6, label="public holiday" if k == 0 else None)
        ev_days = [d for d, t in zip(fc.calendar.frame.index, fc.calendar.effects_text())
                   if d >= since and any(ev.name in t for ev in fc.events)]
        if ev_days:
            ax.plot(pd.to_datetime(pd.Series(ev_days)), np.zeros(len(ev_days)), "|", ms=10, color=ORANGE,
                    label="user event")
        ax.set_ylim(bottom=0)
        ax.set_ylabel("first calls per open day")
        ax.set_title(f"{tf.call_type}: history and forecast")
        ax.legend(loc="lower left", fontsize=7, ncol=3)
    fig.tight_layout()
    write_with(path, lambda p: fig.savefig(p, format="png", dpi=110))
    plt.close(fig)


@writes_whole_folder
def write_forecast(fc: Forecast, out_dir: str | Path, *, sources: list[str], bt: BacktestResult | None = None,
                   events_file: str | None = None, command: str = "forecast") -> list[Path]:
    out = Path(out_dir)
    written = []
    tables = {"forecast.csv": fc.table(), "effects.csv": fc.effects_table()}
    if fc.profile is not None:
        tables["profile.csv"] = fc.profile
    if bt is not None:
        tables["backtest.csv"] = bt.scores.assign(origin=bt.scores["origin"].map(str))
    for name, df in tables.items():
        write_csv(out / name, df)
        written.append(out / name)
    write_text(out / "scenario-forecast.toml", fragment_toml(fc))
    plot_forecast(fc, out / "forecast.png")
    written += [out / "scenario-forecast.toml", out / "forecast.png"]
    man = {"ska_sim_version": __version__, "command": command,
           "history": [file_record(s) for s in sources], "method": fc.method,
           "history_first": fc.history.first.isoformat(), "history_last": fc.history.last.isoformat(),
           "forecast_first": fc.dates[0].isoformat(), "forecast_last": fc.dates[-1].isoformat(),
           "call_types": fc.history.types, "notes": fc.notes}
    if events_file:
        man["events"] = file_record(events_file)
    if bt is not None:
        man["backtest"] = {"origins": [str(o) for o in bt.origins], "horizon_days": bt.horizon,
                           "summary": json_records(bt.summary)}  # a baseline without scores (no year back): null
    write_json(out / "manifest.json", man)
    written.append(out / "manifest.json")
    return written
