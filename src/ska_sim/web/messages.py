"""What is wrong with a value, as a machine key and its parameters the page puts in words in its
language (static/i18n/<lang>.json, ``problem.<code>``): the validation messages of the scenario's
models ("must be greater than 0 (got -1)") read into ``{"code": "gt", "params": {"limit": "0",
"got": "-1"}}``. A message of no known form is ``invalid`` (the page says the value is not
accepted, and keeps the message itself for a tooltip)."""

from __future__ import annotations

import re

_GOT = r"(?: \(got (?P<got>.*)\))?$"
_NUM = r"(?P<limit>[-+]?\d[\d.e+-]*)"
# (code, pattern of the message): the first that matches names the problem
FORMS: tuple[tuple[str, re.Pattern], ...] = tuple((code, re.compile(rx)) for code, rx in (
    ("ge", rf"^must be greater than or equal to {_NUM}{_GOT}"),
    ("gt", rf"^must be greater than {_NUM}{_GOT}"),
    ("le", rf"^must be less than or equal to {_NUM}{_GOT}"),
    ("lt", rf"^must be less than {_NUM}{_GOT}"),
    ("not_finite", rf"^must be a finite number{_GOT}"),
    ("not_whole", rf"^must be a valid integer.*?{_GOT}"),
    ("not_a_number", rf"^must be a valid number.*?{_GOT}"),
    ("not_a_number", r"^not a valid TOML value"),
    ("negative_agents", r"^(?:\w+: )?agents must be >= 0 \(got (?P<got>.*)\)$"),
    ("wrong_length", r"^has (?P<given>\d+) agents but .*?(?P<needed>\d+) intervals"),
    ("too_many_calls", r"first calls expected on .* at most (?P<limit>[\d,]+) per day"),
    ("too_many_agents", r"agents in an interval.* at most (?P<limit>[\d,]+)"),
))
CODES = tuple(dict.fromkeys(code for code, _ in FORMS)) + ("invalid",)


def problem_code(message: str) -> dict:
    """``{"code": ..., "params": {...}}`` of a problem's message (without its source and key)."""
    for code, rx in FORMS:
        m = rx.search(message)
        if m:
            params = {k: v.strip("'\"") for k, v in m.groupdict().items() if v is not None}
            return {"code": code, "params": params}
    return {"code": "invalid", "params": {}}
