"""The fit report (``ska-sim fit --report fit.html``): what was estimated from the log and how well
the fitted distributions describe it. Self-contained HTML (PNGs as data URIs, inline style, no script)."""

from __future__ import annotations

import datetime as dt

import numpy as np

from ska_sim.base.version import __version__
from ska_sim.report.html import CSS, e, img, png
from ska_sim.report.style import BLUE, GREY, ORANGE, VERMILLION, pyplot


def _qq(fit) -> str:
    plt = pyplot()
    types = list(fit.talk)
    n = len(types)
    cols = min(3, n)
    rows = (n + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(3.6 * cols, 3.4 * rows), squeeze=False)
    q = np.linspace(0.005, 0.995, 199)
    for ax, t in zip(axes.flat, types):
        f = fit.talk[t]
        x = fit.talk_samples[t]
        x = x[np.isfinite(x) & (x > 0)]
        emp = np.quantile(x, q)
        ax.plot(f.frozen().ppf(q), emp, ".", ms=3, color=BLUE, label=f"{f.family} (chosen)")
        other = "exponential" if f.family != "exponential" else "lognormal"
        ax.plot(f.frozen(other).ppf(q), emp, ".", ms=2, color=GREY, label=other)
        hi = float(max(emp[-1], f.frozen().ppf(q[-1])))
        ax.plot([0, hi], [0, hi], color="#222", lw=0.8)
        ax.set_title(f"{t} (n {f.n:,})")
        ax.set_xlabel("fitted quantile (s)")
        ax.set_ylabel("log's talk time quantile (s)")
        ax.legend(fontsize=8)
    for ax in list(axes.flat)[n:]:
        ax.axis("off")
    fig.tight_layout()
    return img(png(fig), "Q-Q plots of talk times against the fitted distributions")


def _km(fit) -> str:
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 3.8))
    km, pf = fit.km, fit.patience
    keep = np.unique(np.linspace(0, len(km.times_s) - 1, min(len(km.times_s), 3000)).astype(int))  # drawn, not all
    ax.step(np.concatenate([[0], km.times_s[keep]]), np.concatenate([[1], km.sf[keep]]), where="post", color=BLUE,
            label="Kaplan-Meier (censored waits)")
    t = np.linspace(0, max(km.times_s[-1], 1.0), 300)
    ax.plot(t, pf.frozen().sf(t), color=ORANGE, label=f"fitted {pf.family}, mean {pf.mean_s:.0f} s")
    naive = fit.naive_patience_mean_s
    if np.isfinite(naive):
        ax.axvline(naive, color=VERMILLION, ls=":", label=f"mean wait of abandoned calls alone: {naive:.0f} s (biased low)")
    ax.set_xlabel("wait (s)")
    ax.set_ylabel("share still waiting (patience survival)")
    ax.set_ylim(0, 1.02)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return img(png(fig), "Kaplan-Meier patience curve with the fitted distribution")


def _profiles(fit) -> str:
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(8, 3.8))
    df = fit.profile
    for w, sub in df.groupby("weekday", sort=False):
        total = sub.first_calls.sum()
        line, = ax.plot(sub.slot, sub.first_calls / max(total, 1), ".", ms=5, label=f"{w} (log)")
        ax.plot(sub.slot, sub.share, "-", color=line.get_color(), lw=1)
    starts = df.drop_duplicates("slot").set_index("slot")["start"]
    ax.set_xticks(starts.index[::2], starts.values[::2], rotation=45)
    ax.set_xlabel("interval start")
    ax.set_ylabel("share of the day's first calls")
    ax.legend(fontsize=8, ncol=4)
    fig.tight_layout()
    return img(png(fig), "Intraday profiles: points the log, lines the fitted shares")


def _daily(fit) -> str:
    plt = pyplot()
    d = fit.daily[fit.daily.open]
    fig, ax = plt.subplots(figsize=(9, 3.6))
    x = np.arange(len(d))
    colors = np.where(d.unusual, VERMILLION, np.where(d.used, BLUE, GREY))
    ax.bar(x, d.first_calls, color=colors, width=0.8, linewidth=0)
    ax.plot(x, d.expected, "_", color="#222", ms=10, label="weekday mean (fitted)")
    step = max(1, len(d) // 15)
    ax.set_xticks(x[::step], [str(v) for v in d.date.iloc[::step]], rotation=45, fontsize=8)
    ax.set_ylabel("first calls")
    ax.set_title("first calls per open day (blue: used; grey: lead-in or short day; red: unusual)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return img(png(fig), "Daily first calls with the weekday means")


def _table(rows: list[tuple], head: tuple) -> str:
    th = "".join(f"<th>{e(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{e(c)}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><tr>{th}</tr>{body}</table>"


def build_fit_report(fit, source: str) -> str:
    est = fit.estimates
    s = fit.scenario
    rows = [
        ("calls in the log", f"{est['calls']:,}", ""),
        ("first calls (follow-ups removed)", f"{est['first_calls']:,}",
         f"{est['redials']:,} redials, {est['repeats']:,} repeat calls"),
        ("daily first calls", f"{est['daily_calls']:.1f}", f"{est['days_used']} days used"),
        ("day-to-day cv (gamma)", f"{est['day_cv']:.3f}", "method of moments net of Poisson noise"),
        ("redial probability", f"{est['redial_probability']:.3f}", f"n {est['redial_n']:,}"),
        ("(1 - resolved) x repeat probability", f"{est['repeat_product_all']:.3f}",
         f"n {est['repeat_n_all']:,}; FCR implied {est['fcr_implied']:.3f}; repeat.probability fixed at "
         f"{s['repeat']['probability']:g}"),
    ]
    if fit.patience:
        pf = fit.patience
        rows.append(("patience mean (censored fit)", f"{pf.mean_s:.0f} s",
                     f"{pf.family}, cv {pf.cv:.2f}; {pf.n_events:,} abandoned, {pf.n - pf.n_events:,} censored"))
    dur_rows = []
    for t, f in fit.talk.items():
        dur_rows.append((t, "talk", f.family, f"{f.mean_s:.0f}", f"{f.cv:.2f}", f"{f.n:,}", f"{f.ks[f.family]:.3f}",
                         ", ".join(f"{k} {v - f.aic[f.family]:+.0f}" for k, v in f.aic.items() if k != f.family)))
        a = fit.acw.get(t)
        if a:
            dur_rows.append((t, "after-call work", a.family, f"{a.mean_s:.0f}", f"{a.cv:.2f}", f"{a.n:,}",
                             f"{a.ks[a.family]:.3f}", ", ".join(f"{k} {v - a.aic[a.family]:+.0f}"
                                                               for k, v in a.aic.items() if k != a.family)))
    unusual = fit.daily[fit.daily.unusual]
    parts = [
        "<!doctype html><html lang=en><head><meta charset=utf-8>",
        f"<title>Fit of {e(source)}</title><style>{CSS}</style></head><body>",
        f"<h1>Fitted scenario from {e(source)}</h1>",
        f"<p class=sub>{e(fit.header[0])}</p>",
        "<h2>Estimates</h2>", _table(rows, ("estimate", "value", "basis")),
        "<h2>Handle times</h2>",
        "<p class=note>Talk (answer to end) and after-call work (wrap-up) are fitted separately: lognormal, gamma, "
        "Weibull and exponential by maximum likelihood, the lowest AIC chosen; KS is the Kolmogorov-Smirnov "
        "distance; the other families' AIC are shown relative to the chosen one.</p>",
        _table(dur_rows, ("call type", "part", "family", "mean (s)", "cv", "n", "KS", "AIC of the others")),
        _qq(fit),
    ]
    if fit.patience:
        parts += ["<h2>Patience</h2>",
                  "<p class=note>Abandoned calls are events at their wait; answered calls are censored at theirs "
                  "(they would have waited at least that long). The mean of abandoned calls' waits alone is biased low.</p>",
                  _km(fit)]
    parts += ["<h2>Intraday profiles</h2>", _profiles(fit), "<h2>Daily volumes</h2>", _daily(fit)]
    if len(unusual):
        parts.append(_table([(str(r.date), r.weekday, int(r.first_calls), f"{r.expected:.0f}", f"{r.z:+.1f}")
                             for r in unusual.itertuples()], ("unusual day", "weekday", "first calls", "expected", "z")))
    parts.append(f"<footer>ska-sim {e(__version__)} fit, {e(dt.date.today().isoformat())}</footer></body></html>")
    return "\n".join(parts)


def fit_summary(fit) -> list[str]:
    """A few lines for the terminal (``ska-sim fit``): the counts and the main estimates of a calibration.fit.Fit."""
    e = fit.estimates
    lines = [
        f"calls {e['calls']:,}: first {e['first_calls']:,}, redials {e['redials']:,}, repeat calls {e['repeats']:,}",
        f"daily first calls {e['daily_calls']:.1f} ({e['days_used']} day{'s' if e['days_used'] != 1 else ''}), day_cv {e['day_cv']:.3f}, weekday factors "
        + " ".join(f"{k} {v:.2f}" for k, v in e["weekday_factor"].items()),
    ]
    for t, f in fit.talk.items():
        lines.append(f"talk {t}: {f.family} mean {f.mean_s:.0f} s cv {f.cv:.2f} (n {f.n:,}, KS {f.ks[f.family]:.3f})")
    if fit.patience:
        pf = fit.patience
        lines.append(f"patience: {pf.family} mean {pf.mean_s:.0f} s cv {pf.cv:.2f} from {pf.n_events:,} abandoned and "
                     f"{pf.n - pf.n_events:,} censored waits (abandoned alone: {fit.naive_patience_mean_s:.0f} s)")
    lines.append(f"redial probability {e['redial_probability']:.3f} (n {e['redial_n']:,}); repeat (1 - resolved) x "
                 f"probability {e['repeat_product_all']:.3f}, FCR implied {e['fcr_implied']:.3f}")
    if e["unusual_days"]:
        lines.append("unusual days: " + ", ".join(e["unusual_days"]))
    lines += [f"note: {n}" for n in e.get("notes_shown", [])]
    return lines
