"""`ska-sim calendar` (issue 9): each date's hours and volume factor, with the rule that set it."""

from __future__ import annotations

from .cli import main  # noqa: F401  (commands register on it)
