"""The backtest's text table, plot and output folder (``ska-sim backtest``): renders a
calibration.backtest.BacktestResult; computes nothing."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ska_sim.base.files import file_record, manifest, write_csv, write_json, write_with, writes_whole_folder
from ska_sim.calibration.backtest import KPIS, BacktestResult, expected_coverage
from ska_sim.report.style import pyplot


def backtest_text(r: BacktestResult) -> str:
    n_days = len(r.days)
    lines = [f"Backtest of {r.scenario.name} on {r.log_source}: {n_days} day{'s' if n_days != 1 else ''}, "
             f"{len(r.intervals)} intervals, "
             f"{r.replications} replications (seed {r.seed}).",
             f"Staffing: {r.staffing_source}.",
             f"Band: 2.5-97.5% of the per-replication values; expected share inside if the scenario is right "
             f"~{expected_coverage(r.replications):.0%} at R={r.replications}.", ""]
    lines.append(f"{'level':<9}{'KPI':<15}{'compared':>9}{'inside':>9}{'bias':>10}{'MAE':>10}")
    for row in r.summary.itertuples():
        pct = row.kpi != "asa_s"
        fmt = (lambda x: f"{x * 100:+.1f}pp") if pct else (lambda x: f"{x:+.1f}s")
        mfmt = (lambda x: f"{x * 100:.1f}pp") if pct else (lambda x: f"{x:.1f}s")
        inside = f"{row.inside_share:.0%}" if row.compared else "-"
        bias = fmt(row.bias) if row.compared else "-"
        mae = mfmt(row.mae) if row.compared else "-"
        lines.append(f"{row.level:<9}{row.kpi:<15}{row.compared:>9}{inside:>9}{bias:>10}{mae:>10}")
    lines.append("bias = actual - simulated mean (positive: the centre did better than simulated for service "
                 "level and answer rate; waited longer for ASA).")
    lines += [f"Note: {n}" for n in r.notes]
    return "\n".join(lines)


def plot_backtest(r: BacktestResult, path: str | Path) -> None:
    plt = pyplot()
    fig, axes = plt.subplots(3, 1, figsize=(11, 8), sharex=True)
    iv = r.intervals
    x = np.arange(len(iv))
    for ax, k, label in zip(axes, KPIS, ("service level", "answer rate", "ASA (s)")):
        scale = 100.0 if k != "asa_s" else 1.0
        ax.fill_between(x, iv[f"{k}_band_low"] * scale, iv[f"{k}_band_high"] * scale, step="mid", alpha=0.3,
                        label=f"simulated 95% band (R={r.replications})")
        ax.plot(x, iv[f"{k}_sim_mean"] * scale, lw=0.8, label="simulated mean")
        inside = iv[f"{k}_inside"] == 1
        ax.plot(x[inside], iv.loc[inside, f"{k}_actual"] * scale, ".", ms=3, label="actual, inside")
        ax.plot(x[~inside], iv.loc[~inside, f"{k}_actual"] * scale, "x", ms=4, color="C3", label="actual, outside")
        ax.set_ylabel(label + (" (%)" if k != "asa_s" else ""))
    axes[0].legend(loc="lower left", fontsize=7, ncol=4)
    day_start = np.flatnonzero(np.r_[True, iv["date"].to_numpy()[1:] != iv["date"].to_numpy()[:-1]])
    axes[-1].set_xticks(day_start)
    axes[-1].set_xticklabels([str(iv["date"].iloc[i]) for i in day_start], rotation=45, ha="right", fontsize=7)
    axes[0].set_title(f"Backtest: {r.scenario.name} against {r.log_source} (per interval)")
    fig.tight_layout()
    write_with(path, lambda p: fig.savefig(p, format="png", dpi=110))
    plt.close(fig)


@writes_whole_folder
def write_backtest(r: BacktestResult, out_dir: str | Path, *, source: str, overrides=(), log_path: str,
                   skipped: int = 0, staffing_file: str | None = None) -> list[Path]:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, df in (("backtest_intervals.csv", r.intervals), ("backtest_days.csv", r.days),
                     ("backtest_summary.csv", r.summary)):
        write_csv(out / name, df)
        written.append(out / name)
    plot_backtest(r, out / "backtest.png")
    written.append(out / "backtest.png")
    extra = {"log": file_record(log_path), "log_rows_skipped": skipped, "staffing": r.staffing_source,
             "expected_inside": expected_coverage(r.replications), "notes": r.notes}
    if staffing_file:
        extra["staffing_file"] = file_record(staffing_file)
    write_json(out / "manifest.json", manifest(r.scenario, r.seed, r.replications, command="backtest",
                                               source=source, overrides=overrides, **extra))
    written.append(out / "manifest.json")
    return written
