"""The ``ska-sim`` command line: parse, call the library's public functions, print or write.
No model logic here. One module per command group; :mod:`ska_sim.cli.root` composes them."""

from ska_sim.cli.root import main

__all__ = ["main"]
