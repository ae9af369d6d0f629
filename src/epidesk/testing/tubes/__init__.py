"""Tubes: reading what a batch says of each tube."""
