"""The rules a preset sets for individual people: cases, contacts, quarantine."""
