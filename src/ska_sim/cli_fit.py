"""`ska-sim fit` (issue 10): a scenario estimated from a call log."""

from __future__ import annotations

from .cli import main  # noqa: F401  (commands register on it)
