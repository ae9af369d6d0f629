"""Retest orders: planning them from a batch and resolving them."""
