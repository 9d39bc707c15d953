"""Call logs, the fit of a scenario to a log, and backtests: uses sim/, never plan/."""
