"""The public site of a publication: its pages, rendered once in each language."""
