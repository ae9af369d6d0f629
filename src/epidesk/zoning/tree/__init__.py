"""The geometry tree with its resident counts, and the cases as arrays."""
