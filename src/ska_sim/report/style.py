"""One plot style for every figure ska-sim makes: colour-blind-safe (Okabe-Ito), targets as
dashed lines, units on axes, sized to read in a report."""

from __future__ import annotations

# Okabe & Ito (2008) palette, safe for the common colour-vision deficiencies.
BLUE, ORANGE, GREEN, VERMILLION, SKY, PURPLE, YELLOW, GREY = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#D55E00",
    "#56B4E9",
    "#CC79A7",
    "#F0E442",
    "#999999",
)
CYCLE = [BLUE, ORANGE, GREEN, VERMILLION, SKY, PURPLE, YELLOW, GREY]
TARGET = dict(color="#222222", linestyle="--", linewidth=1.2)

RC = {
    "figure.dpi": 110,
    "savefig.dpi": 110,
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "legend.frameon": False,
    "axes.prop_cycle": None,  # set below
}


def pyplot():
    """matplotlib.pyplot with the Agg backend and ska-sim's style applied (imported lazily)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from cycler import cycler

    rc = dict(RC)
    rc["axes.prop_cycle"] = cycler(color=CYCLE)
    plt.rcParams.update(rc)
    return plt
