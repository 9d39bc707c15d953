"""`ska-sim backtest` (issue 10): a scenario against the days a call log lived."""

from __future__ import annotations

from .cli import main  # noqa: F401  (commands register on it)
