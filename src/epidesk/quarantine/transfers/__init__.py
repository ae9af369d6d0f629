"""Transfers: vehicle manifests, check-out at pickup, check-in at the facility, and
an alert for anyone who does not arrive."""
