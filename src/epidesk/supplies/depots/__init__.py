"""Depots: stock by item and lot, the movement log, receipts, picking and forecasts."""
