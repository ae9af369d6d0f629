"""The synthetic city: places, households and residents, schools and work."""
