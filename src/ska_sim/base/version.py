"""The package version (one place: manifests, reports and `ska-sim --version` read it)."""

__version__ = "0.1.0"
