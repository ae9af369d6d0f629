"""Base templates and static files shared by every page (no Python: the kit renders them)."""
