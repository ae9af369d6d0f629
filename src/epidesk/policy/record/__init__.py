"""A rule value with its provenance: the base of every table of a preset file."""
