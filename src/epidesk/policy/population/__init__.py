"""The rules a preset sets for areas and the population: zones, testing, vaccination."""
