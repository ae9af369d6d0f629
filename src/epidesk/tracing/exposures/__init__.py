"""Exposures an investigator recorded between two residents."""
