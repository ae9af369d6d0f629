"""Anonymised trajectories: places and time windows where cases were while infectious,
not linked to any case."""
