"""The workplaces and work groups of the synthetic city."""
