"""Risk zoning: zones per preset, step-down on time, manual changes, the restriction footprint."""
