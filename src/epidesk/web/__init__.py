"""Base templates, static files and the pages that belong to no single domain."""
