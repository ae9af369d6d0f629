"""Ingesting lab batches: the checks a batch must pass, and writing it whole."""
