"""Epidesk: an open-source outbreak-response platform for city health authorities."""

__version__ = "0.1.0"
