"""Quarantine: facilities and rooms, inspections, orders, placement, transfers and release."""
