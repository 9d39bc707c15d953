"""Errors, atomic files and folders, limits, interrupts, memory: imports nothing else of ska_sim."""
