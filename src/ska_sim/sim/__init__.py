"""The engine (one replication), KPIs, routing, the runner (seeds, executors) and results."""
