"""Vaccine products and their schedules, read from the data files in `products/`."""
