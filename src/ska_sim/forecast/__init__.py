"""Forecasts of first calls per call type and date from a daily history (layer 3, beside
``plan/`` and ``calibration/``; it reads daily counts only: ``cli/`` turns a call log into
them with ``calibration/daily.py``)."""
