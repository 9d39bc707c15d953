"""Erlang B/C/A, duration distributions, arrival times: pure maths, imports nothing else of ska_sim."""
