"""`ska-sim serve` (issue 11): the planning page."""

from __future__ import annotations

from .cli import main  # noqa: F401  (commands register on it)
