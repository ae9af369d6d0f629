"""Likely duplicate records of one person, and merging them."""
