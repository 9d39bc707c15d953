"""The output folder of `staff --roster`: roster.csv, roster_coverage.csv and report.html.

Apart from :mod:`ska_sim.report.roster` because it writes the HTML report, whose builder
(report.html) draws the roster section from that module."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ska_sim.base.files import write_csv, write_text, writes_whole_folder
from ska_sim.report.html import build_report

if TYPE_CHECKING:
    from ska_sim.plan.roster import RosterResult


@writes_whole_folder
def write_roster(rr: RosterResult, out_dir: str | Path) -> list[Path]:
    """roster.csv (one row per person and date), roster_coverage.csv and report.html in ``out_dir``."""
    out = Path(out_dir)
    write_csv(out / "roster.csv", rr.table)
    write_csv(out / "roster_coverage.csv", rr.coverage)
    write_text(out / "report.html", build_report(rr.staffing.plan_result, label="staff --roster"))
    return [out / "roster.csv", out / "roster_coverage.csv", out / "report.html"]
