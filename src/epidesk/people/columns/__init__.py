"""Whole columns of the people domain's tables, read in bulk."""
