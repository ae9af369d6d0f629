"""Registering people the resident register does not know, and recording moves."""
