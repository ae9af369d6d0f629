"""Vaccination sites: opening hours, staff shifts, stock by lot, and the site-list import."""
