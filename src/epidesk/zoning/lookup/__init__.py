"""Finding the zone of an address, zones for the public, rounds and households to serve."""
