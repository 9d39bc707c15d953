"""Presentation: text tables, plots (matplotlib) and reports. Nothing here computes a KPI."""
