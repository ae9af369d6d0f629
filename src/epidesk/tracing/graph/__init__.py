"""The contact graph in memory: memberships, visits and exposures as arrays."""
