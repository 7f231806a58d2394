"""Screening Night: run a film-screening evening from a YAML playlist."""

__version__ = "0.1.0"
