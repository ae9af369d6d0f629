"""Escorted medical trips for residents under restriction: from a medical-emergency
ticket, or scheduled from a treatment plan; tracked on the transfers' manifests."""
