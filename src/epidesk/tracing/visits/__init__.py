"""Visit logs: the import of venue visits, and synthetic visits."""
