"""Socle: a local-first, frugal and sovereign document assistant for public institutions."""

__version__ = "0.1.0"
