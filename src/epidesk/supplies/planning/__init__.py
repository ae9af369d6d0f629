"""The day's delivery plan for a whole city, read in bulk as arrays."""
