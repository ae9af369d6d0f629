"""The households and residents of the synthetic city."""
