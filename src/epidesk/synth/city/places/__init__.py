"""The places of the synthetic city: areas, dwellings and venues."""
