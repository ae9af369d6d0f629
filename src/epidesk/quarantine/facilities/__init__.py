"""Facility lists: the CSV format, checked whole, and its import through the kit."""
