"""The HTML report's written-work section: the backlog plot and the KPI table per kind appear
for a scenario with [[written]] and not for one without; the table's figures are the result's."""

from __future__ import annotations

import re
import tomllib

import pytest

from ska_sim import scenario_from_dict, simulate
from ska_sim.report.html import build_report
from conftest import ROOT

WRITTEN = [
    {"name": "letters", "daily_items": 30, "handling": {"dist": "exponential", "mean_s": 600},
     "deadline_days": 1, "blend": {"reserve": 1}},
    {"name": "applications", "daily_items": 10, "handling": {"dist": "exponential", "mean_s": 900},
     "deadline_days": 2, "backlog_at_start": 5, "dedicated": {"agents": 1, "hours": ["10:00", "12:00"]}},
]


def minimal(written: bool) -> dict:
    d = tomllib.loads((ROOT / "tests" / "data" / "minimal.toml").read_text())
    d["simulation"] = {"replications": 3, "seed": 4}
    if written:
        d["written"] = WRITTEN
        d["targets"] = {"written_on_time": 0.95}
    return d


@pytest.fixture(scope="module")
def pages():
    out = {}
    for w in (True, False):
        res = simulate(scenario_from_dict(minimal(w)))
        out[w] = (res, build_report(res))
    return out


def test_written_scenario_has_backlog_plot_and_table_per_kind(pages):
    res, page = pages[True]
    assert "<h2>Written requests: backlog and on time</h2>" in page
    assert re.search(r'<img src="data:image/png;base64,[^"]+" alt="Written work per day', page)
    # beside the service-level heatmap: the section follows it
    assert page.index("Service level by weekday and time of day") < page.index("Written requests: backlog")
    for kind in ("letters", "applications", "all"):
        row = res.written.set_index("kind").loc[kind]
        for col in ("written_received", "written_on_time", "written_backlog", "written_hours_blended"):
            m = re.search(rf'data-value="([^"]*)" data-kpi="{col}" data-stat="{kind}"', page)
            assert m is not None, (kind, col)
            assert float(m.group(1)) == pytest.approx(float(row[col]), rel=1e-9)
    assert re.search(r"<b>written work on time</b>: <span[^>]*>[0-9.]+%</span> of written items done by their "
                     r"deadline, of the items due in the window", page)  # the target's verdict in words
    # one backlog line per kind in the plot: the figure's legend names each kind
    from ska_sim.report.written_html import backlog_figure
    fig = backlog_figure(res)
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert "backlog at the day's end: letters" in labels and "backlog at the day's end: applications" in labels
    assert "backlog: every kind" in labels
    fig.clf()


def test_plain_scenario_has_no_written_section(pages):
    _, page = pages[False]
    assert "Written requests" not in page
    assert "Written work per day" not in page
