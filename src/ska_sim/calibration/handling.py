"""What happens to the calls of a log, per call type: shares of first calls, languages (shares and
talk factors), talk time and after-call work (never talk + ACW as talk), ``resolved`` from the
repeat calls, and the callers' patience from censored waits."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ska_sim.calibration.estimators import DurationFit, FitError, Survival, fit_censored, fit_duration
from ska_sim.calibration.prepare import REPEAT, FitOptions, Prepared
from ska_sim.calibration.volume import round_shares


def se_text(value: float, fmt: str, label: str = "SE") -> str:
    """A standard error for a comment; one that cannot be estimated (one day, no calls) says so."""
    return f"{label} {value:{fmt}}" if math.isfinite(value) else f"{label} n/a, too few days or calls"


def _language_factors(p: Prepared, first: np.ndarray):
    """Languages: shares of first calls and a talk factor each (talk / its call type's mean talk, the
    largest language 1.0); each type's talk is then fitted on talk / the call's factor.
    Returns (languages, codes per call or None, names, factor per call, note)."""
    all_types = p.type_names
    lang_factor = np.ones(len(p.type_code))
    languages: dict[str, dict] = {}
    lang_codes, lang_names = None, []
    note = ""
    if p.language is not None:
        lang_codes, names = pd.factorize(pd.Series(p.language).replace("", "unknown"), sort=True)
        lang_names = [str(n) for n in names]
        ans = p.answered & np.isfinite(p.talk_s)
        type_mean = np.bincount(p.type_code[ans], p.talk_s[ans], len(all_types)) / np.maximum(
            np.bincount(p.type_code[ans], minlength=len(all_types)), 1)
        expected = type_mean[p.type_code]
        obs = np.bincount(lang_codes[ans], p.talk_s[ans], len(lang_names))
        exp_ = np.bincount(lang_codes[ans], expected[ans], len(lang_names))
        factor = np.where(exp_ > 0, obs / np.maximum(exp_, 1e-9), 1.0)
        first_lang = np.bincount(lang_codes[first], minlength=len(lang_names))
        ref = int(np.argmax(first_lang))
        factor = np.clip(factor / factor[ref], 0.05, 10.0)
        lang_share = round_shares(np.maximum(first_lang, 0) / max(first_lang.sum(), 1), 6)
        n_ans_lang = np.bincount(lang_codes[ans], minlength=len(lang_names))
        for k, name in enumerate(lang_names):
            languages[name] = {"share": lang_share[k], "talk_factor": round(float(factor[k]), 3)}
        note = ("shares of first calls; talk_factor = mean talk / its call type's mean talk, relative to "
                f"{lang_names[ref]} (" + ", ".join(f"{n} {int(c):,} answered" for n, c in zip(lang_names, n_ans_lang))
                + ")")
        lang_factor = factor[lang_codes]
    return languages, lang_codes, lang_names, lang_factor, note


@dataclass
class Handling:
    """The call types and languages of the fitted scenario, with the duration fits behind them."""

    call_types: list[dict[str, Any]]  # the scenario's [[call_types]]
    languages: dict[str, dict]  # the scenario's [languages] (empty without languages)
    talk: dict[str, DurationFit]
    talk_samples: dict[str, np.ndarray]  # the talk times fitted (divided by the language's talk factor)
    acw: dict[str, DurationFit]


def call_types(p: Prepared, first: np.ndarray, next_kind: np.ndarray, seen_rep: np.ndarray, o: FitOptions,
               source: str, notes: dict[str, str], est: dict[str, Any]) -> Handling:
    """Per call type: share of first calls, language shares, talk, after-call work and resolved
    (only (1 - resolved) x repeat.probability is identifiable: the probability is fixed)."""
    n_first = int(first.sum())
    all_types = p.type_names
    type_counts = np.bincount(p.type_code[first], minlength=len(all_types))
    shares = {t: c / n_first for t, c in zip(all_types, type_counts)}
    share_list = round_shares(np.array([max(shares[t], 1e-6) for t in all_types]), 6)
    has_wrap = np.isfinite(p.wrap_up_s[p.answered]).mean() > 0.5 if p.answered.any() else False
    if not has_wrap and o.acw_s is None:
        raise FitError([f"{source}: the log has no wrap-up column (after-call work): give --acw-s S (seconds of "
                        "after-call work per answered call), or map wrap_up_s in --columns; "
                        "talk + after-call work is never fitted as talk"])
    languages, lang_codes, lang_names, lang_factor, lang_note = _language_factors(p, first)
    if lang_note:
        notes["languages"] = lang_note
    out = Handling([], languages, {}, {}, {})
    for i, t in enumerate(all_types):
        is_t = p.type_code == i
        talk = p.talk_s[is_t & p.answered]
        if (talk > 0).sum() < 2:
            raise FitError([f"{source}: call type {t!r}: fewer than 2 answered calls with a talk time"])
        tf = fit_duration(talk / lang_factor[is_t & p.answered], o.max_fit_sample, o.seed + i)
        out.talk[t], out.talk_samples[t] = tf, talk / lang_factor[is_t & p.answered]
        ct: dict[str, Any] = {"name": t, "share": share_list[i], "talk": tf.spec()}
        if lang_codes is not None:
            sel_f = first & is_t
            c = np.bincount(lang_codes[sel_f], minlength=len(lang_names))
            ct["language_shares"] = dict(zip(lang_names, round_shares(np.maximum(c, 0) + 1e-12, 6)))
            sel_a = is_t & p.answered & np.isfinite(p.talk_s)
            m_l = np.bincount(lang_codes[sel_a], p.talk_s[sel_a], len(lang_names))
            n_l = np.bincount(lang_codes[sel_a], minlength=len(lang_names))
            notes[f"call_types.{t}.language_shares"] = "mean talk by language: " + ", ".join(
                f"{n} {m / max(k, 1):.0f} s (n {k:,})" for n, m, k in zip(lang_names, m_l, n_l))
        notes[f"call_types.{t}.share"] = f"{int(shares[t] * n_first):,} of {n_first:,} first calls"
        net = ", / the language's talk_factor" if languages else ""
        notes[f"call_types.{t}.talk"] = f"talk (answer to end{net}): " + tf.note() + (
            f"; {tf.dropped_zero:,} zero talk times left out" if tf.dropped_zero else "")
        if has_wrap:
            wrap = p.wrap_up_s[is_t & p.answered]
            wrap = wrap[np.isfinite(wrap)]
            if (wrap > 0).sum() >= 2:
                af = fit_duration(wrap, o.max_fit_sample, o.seed + 100 + i)
                out.acw[t] = af
                ct["after_call_work"] = af.spec()
                notes[f"call_types.{t}.after_call_work"] = "wrap-up column: " + af.note()
        else:
            ct["after_call_work"] = {"dist": "deterministic", "mean_s": float(o.acw_s)}
            notes[f"call_types.{t}.after_call_work"] = "from --acw-s: NOT estimated (the log has no wrap-up column)"
        # repeat calls: only the product (1 - resolved) x repeat.probability is identifiable
        den = int((seen_rep & is_t).sum())
        k = int((seen_rep & is_t & (next_kind == REPEAT)).sum())
        prod = k / den if den else 0.0
        resolved = min(1.0, max(0.0, 1.0 - prod / o.repeat_probability))
        ct["resolved"] = round(resolved, 4)
        se = math.sqrt(prod * (1 - prod) / den) if den else math.nan
        notes[f"call_types.{t}.resolved"] = (
            f"(1 - resolved) x repeat.probability = {prod:.4f} ({se_text(se, '.4f')}): {k:,} of {den:,} answered "
            f"calls followed by a call within {o.repeat_window_days:g} days; repeat.probability fixed at "
            f"{o.repeat_probability:g}; FCR implied {1 - prod:.3f}")
        est.setdefault("repeat_product", {})[t] = prod
        est.setdefault("repeat_n", {})[t] = den
        out.call_types.append(ct)
    den_all = int(seen_rep.sum())
    k_all = int((seen_rep & (next_kind == REPEAT)).sum())
    est["repeat_product_all"] = k_all / den_all if den_all else 0.0
    est["repeat_n_all"] = den_all
    est["fcr_implied"] = 1 - est["repeat_product_all"]
    return out


@dataclass
class Patience:
    """The callers' patience fitted from censored waits."""

    fit: DurationFit
    km: Survival
    naive_mean_s: float  # the mean wait of abandoned calls alone (biased low)


def patience(p: Prepared, o: FitOptions, notes: dict[str, str], est: dict[str, Any]) -> Patience | None:
    """Abandoned calls are events at their wait, answered calls right-censored at theirs (blocked
    calls never waited); None when fewer than 2 calls were abandoned after a wait."""
    usable = ~p.blocked & np.isfinite(p.wait_s)
    events = p.wait_s[usable & p.abandoned]
    cens = p.wait_s[usable & ~p.abandoned]
    out = None
    if (events > 0).sum() >= 2:
        pf, km = fit_censored(events, cens, min(o.max_fit_sample, 50_000), o.seed + 7)
        out = Patience(pf, km, float(events.mean()))
        notes["patience"] = ("censored waits (abandoned = events, answered = censored at their wait): " + pf.note()
                             + f"; Kaplan-Meier restricted mean {km.restricted_mean_s():.0f} s up to "
                             f"{km.times_s[-1]:.0f} s; the mean wait of abandoned calls alone, "
                             f"{events.mean():.0f} s, is biased low")
        est.update(patience_mean_s=pf.mean_s, patience_cv=pf.cv, patience_family=pf.family,
                   patience_events=int(len(events)), patience_censored=int(len(cens)))
    est["abandon_share"] = float(p.abandoned.mean())
    return out
