"""Public transparency: the publication step, small-count suppression, public pages, open data."""
