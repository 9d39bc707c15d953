"""The sweep plots' axes: share ticks labelled with their exact percentage."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd

from ska_sim.report.plots import percent_label, sweep_figure
from ska_sim.scenario import load_scenario
from conftest import ROOT


def test_percent_label_keeps_half_points():
    assert [percent_label(v) for v in (0.725, 0.825, 0.8, 0.0, -0.0, 0.1 + 0.2, 1.0)] == \
        ["72.5%", "82.5%", "80%", "0%", "0%", "30%", "100%"]


def test_sweep_plot_ticks_at_2_5_points_say_their_exact_value():
    s = load_scenario(ROOT / "scenarios" / "baseline.toml")
    sl = np.linspace(0.70, 0.85, 5)  # a 15-point range: ticks every 2.5 points
    table = pd.DataFrame({"staffing.scale": [0.9, 0.95, 1.0, 1.05, 1.1], "service_level": sl,
                          "service_level_ci_low": sl - 0.01, "service_level_ci_high": sl + 0.01})
    table["service_level_met"] = sl >= 0.8
    sw = SimpleNamespace(keys=["staffing.scale"], table=table, results=[SimpleNamespace(scenario=s)],
                         targets=lambda: [{"key": "service_level", "kpi": "service_level", "language": None}])
    fig = sweep_figure(sw, "service_level")
    fig.canvas.draw()
    ax = fig.axes[0]
    locs = ax.get_yticks()
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert np.allclose(np.diff(locs), 0.025)  # the case in question: half-point ticks
    assert "72.5%" in labels and "82.5%" in labels
    assert labels == [f"{round(v * 100, 6) + 0.0:g}%" for v in locs]
    assert len(set(labels)) == len(labels)  # no two ticks read the same
