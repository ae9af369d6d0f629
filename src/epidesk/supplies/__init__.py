"""Household supplies: needs, requests, priority, delivery batches, depots and stock."""
