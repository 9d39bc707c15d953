"""`ska-sim plan-hiring` (issue 9): hires needed by a date for a month to meet its targets."""

from __future__ import annotations

from .cli import main  # noqa: F401  (commands register on it)
