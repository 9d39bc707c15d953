"""Staffing requirements, shift and roster solvers, costs, workforce and what-ifs: uses sim/, never calibration/."""
