"""Off-phone activities as text: the arithmetic of [activities] for `staff` (the needs and
shares themselves are :mod:`ska_sim.scenario.activities`')."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ska_sim.report.columns import text_columns
from ska_sim.scenario.activities import (
    REPLACED_SHARES,
    activity_share,
    activity_table,
    advisor_month_paid_h,
    review_talk_s,
)

if TYPE_CHECKING:
    from ska_sim.scenario.model import Scenario


def activities_text(s: Scenario) -> list[str]:
    """The arithmetic as text lines for `staff` (empty without [activities])."""
    if s.activities is None:
        return []
    t = activity_table(s)
    if t.empty:
        return ["Off-phone activities: [activities] gives none (every rule is 0)."]
    a = s.activities
    typed = {n: getattr(s.shrinkage, n) for n in REPLACED_SHARES if getattr(s.shrinkage, n)}
    lines = [f"Off-phone activities from the unit's rules (teams of {a.team_size}; talk time of a reviewed call "
             f"{review_talk_s(s) / 60:.2f} min; month = {advisor_month_paid_h(s):.1f} paid h per advisor):"]
    rows = [("activity", "h/advisor/month", "h/team/month", "manager h/team/month", "sitting", "rule")]
    for r in t.to_dict(orient="records"):
        rows.append((r["activity"], f"{r['hours_per_advisor_month']:.2f}", f"{r['hours_per_team_month']:.1f}",
                     f"{r['manager_hours_per_team_month']:.1f}", f"{r['block_min']} min" if r["block_min"] else "",
                     r["rule"]))
    lines += text_columns(rows, align="lrrrrl")
    if getattr(s, "roster", None) is not None:
        lines.append("The roster places these sittings in the quietest intervals; no share is applied.")
    else:
        lines.append(f"In the shrinkage chain they replace the typed shares "
                     f"{', '.join(f'{k} {v:g}' for k, v in typed.items()) or '(none typed)'}: "
                     f"{activity_share(s):.2%} of paid time, i.e. / (1 - absence) of the time at work. "
                     "Manager hours are apart (not on the phones, not in the advisors' paid hours).")
    return lines
