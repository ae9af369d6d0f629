"""Campaign targets checked against the capacity, staff, stock and eligible people of a
district's sites before they are accepted."""
