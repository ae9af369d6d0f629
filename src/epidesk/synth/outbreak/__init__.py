"""The outbreak scenario: an infection spreading over the city, and the testing that finds it."""
