"""The hotline's public figures per city day and category, kept ready in a table."""
